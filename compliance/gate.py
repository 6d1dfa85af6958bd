"""The contact gate: the one place that decides whether a contact with a debtor is allowed, and why not.

Everything that reaches a debtor (the queue, a logged call, a dunning reminder, a text or email)
asks `contact_decision`. It only reads; recording what happened is the caller's job
(`collections_app.services.activities.activity_log`). The set-based companion for whole querysets
lives in `compliance.selectors` (`accounts_with_contactability`, `accounts_contactable`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.db.models import Q
from django.utils import timezone
from phonenumbers import timezone as phone_timezones

from collections_app.models import Account, Activity, ContactPoint, Dispute

from .dates import add_years
from .models import AccountCompliance, ContactPolicy, Hold, HoldReason, StateRule, StatuteOfLimitations

UTC = datetime.UTC

# Channels that carry a time-of-day rule: letters are mailed, inbound calls are the debtor's choice.
TIMED_CHANNELS = frozenset({"call", "sms", "email", "visit"})
PHONE_CHANNELS = frozenset({"call", "sms"})
WRITTEN_CHANNELS = frozenset({"letter", "email"})
ELECTRONIC_CHANNELS = frozenset({"sms", "email"})
PERSONAL_USAGES = frozenset({"home", "mobile"})

CHANNELS = frozenset({"call", "sms", "email", "letter", "visit", "inbound_call"})
PURPOSES = ("collection", "final_notice", "verification")

# When nothing tells us where a US debtor is, every one of these must be within hours.
US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
# A number mapped to more zones than this is not geographic (toll-free, VoIP): it says nothing.
MAX_GEOGRAPHIC_ZONES = 3
# How far ahead the gate looks for a moment that suits every candidate zone.
SEARCH_DAYS = 9

HOLD_CODES = {
    HoldReason.CEASE: "cease",
    HoldReason.DISPUTE: "dispute_pending",
    HoldReason.BANKRUPTCY: "bankruptcy",
    HoldReason.DECEASED: "deceased",
    HoldReason.ATTORNEY: "attorney",
    HoldReason.OPT_OUT: "opt_out",
    HoldReason.OTHER: "hold",
}

REASON_CODES = (
    "outside_hours",
    "no_common_hours",
    "weekly_cap",
    "after_conversation",
    "state_cap",
    "cease",
    "dispute_pending",
    "opt_out",
    "work_email",
    "bankruptcy",
    "deceased",
    "attorney",
    "no_consent",
    "hold",
    "no_address",
)
FLAG_CODES = ("time_barred", "ambiguous_zone", "validation_notice_due")


@dataclass(frozen=True)
class Reason:
    """Why a contact is refused (or, as a flag, what the user must know). `until`: when it lifts."""

    code: str
    message: str
    until: datetime.datetime | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    next_allowed_at: datetime.datetime | None = None
    flags: tuple[Reason, ...] = ()
    zones: tuple[str, ...] = ()
    at: datetime.datetime | None = None

    @property
    def verdict(self) -> str:
        """callable (now), not_now (later, at next_allowed_at) or never (not by waiting alone)."""
        if self.allowed:
            return "callable"
        return "not_now" if self.next_allowed_at is not None else "never"

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def message(self) -> str:
        if self.allowed:
            return "Allowed."
        return " ".join(reason.message for reason in self.reasons)


# --- time zones ---------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _split_zones(value: str) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip() and _zone(name)]


def phone_zones(number: str) -> list[str]:
    """IANA zones of a phone number by its prefix; empty when the number is not geographic."""
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return []
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown" and _zone(z)]
    return zones if len(zones) <= MAX_GEOGRAPHIC_ZONES else []


def _contact_point_zones(point) -> list[str]:
    if point is None or point.kind != "phone":
        return []
    return _split_zones(point.timezone) or phone_zones(point.value)


def _country_zones(country: str) -> list[str]:
    if not country or country.upper() == "US":
        return list(US_ZONES)
    example = phonenumbers.example_number(country.upper())
    return phone_timezones.time_zones_for_number(example) if example else []


def candidate_zones(debtor, *, channel: str, contact_point=None, to: str = "", phones: Iterable = ()) -> list[str]:
    """Every zone the debtor may be in for this contact: the address-derived zone and the number's.

    When they disagree both count (12 CFR 1006.6(b)(1)(i) asks that the time suit each). For an
    email or a visit with no known zone, the zones of the debtor's numbers stand in; with nothing
    known at all, every zone of the debtor's country.
    """
    zones: list[str] = _split_zones(debtor.timezone)
    if channel in PHONE_CHANNELS:
        zones += _contact_point_zones(contact_point) if contact_point is not None else phone_zones(to or "")
    elif not zones:
        for point in phones:
            zones += _contact_point_zones(point)
    if not zones:
        zones = _country_zones(debtor.country)
    return list(dict.fromkeys(zones)) or ["UTC"]


def _window_bounds(day: datetime.date, zone: ZoneInfo, start: datetime.time, end: datetime.time):
    return (
        datetime.datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
        datetime.datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
    )


def _in_window(at: datetime.datetime, zone: ZoneInfo, start: datetime.time, end: datetime.time) -> bool:
    local = at.astimezone(zone).time()
    return start <= local < end


def next_common_window(
    zones: Iterable[str], *, at: datetime.datetime, start: datetime.time, end: datetime.time
) -> datetime.datetime | None:
    """The first moment at or after `at` that is within [start, end) in every zone; None if none soon."""
    infos = [z for z in (_zone(name) for name in zones) if z is not None]
    if all(_in_window(at, z, start, end) for z in infos):
        return at
    # A common window, if one exists, opens when the last of the zones opens: try every opening.
    candidates = []
    for zone in infos:
        first_day = at.astimezone(zone).date()
        for offset in range(SEARCH_DAYS):
            opening, _ = _window_bounds(first_day + datetime.timedelta(days=offset), zone, start, end)
            if opening > at:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if all(_in_window(candidate, z, start, end) for z in infos):
            return candidate
    return None


def next_callable_at(debtor, *, at: datetime.datetime | None = None, contact_point=None) -> datetime.datetime | None:
    """The next moment within calling hours in every candidate zone of a debtor.

    With a contact point, the zones of the debtor and that number; without one, the debtor's zone
    and those of every number on file, since the collector may dial any of them.
    """
    at = at or timezone.now()
    window = _effective_window(ContactPolicy.objects.filter(pk=1).first() or ContactPolicy(), _state_rule(debtor))
    if contact_point is not None:
        zones = candidate_zones(debtor, channel="call", contact_point=contact_point)
    else:
        zones = _split_zones(debtor.timezone)
        for point in debtor.contact_points.filter(kind="phone"):
            zones += _contact_point_zones(point)
        zones = list(dict.fromkeys(zones)) or candidate_zones(debtor, channel="visit")
    return next_common_window(zones, at=at, start=window[0], end=window[1])


# --- wording ------------------------------------------------------------------------------------


def _clock(value: datetime.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def humanize_delta(delta: datetime.timedelta) -> str:
    minutes = max(1, -(-int(delta.total_seconds()) // 60))  # round up: "in 0 minutes" helps nobody
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or "1 minute"


def _day_label(day: datetime.date, today: datetime.date) -> str:
    if day == today:
        return "today"
    if day == today + datetime.timedelta(days=1):
        return "tomorrow"
    return f"on {day:%A} {day.day} {day:%B}"


# --- the rules ----------------------------------------------------------------------------------


def _state_rule(debtor) -> StateRule | None:
    region = (debtor.region or "").strip().upper()
    if not region:
        return None
    return StateRule.objects.filter(region=region, active=True).first()


def _effective_window(policy: ContactPolicy, rule: StateRule | None) -> tuple[datetime.time, datetime.time]:
    start, end = policy.call_window_start, policy.call_window_end
    if rule is not None:
        start = max(start, rule.call_window_start or start)
        end = min(end, rule.call_window_end or end)
    return start, end


@dataclass
class _Context:
    """Everything the rules need, read once, so that evaluating at later moments costs no query."""

    account: Account
    channel: str
    purpose: str
    automated: bool
    contact_point: ContactPoint | None
    to: str
    zones: list[str]
    policy: ContactPolicy
    rule: StateRule | None
    window: tuple[datetime.time, datetime.time]
    call_cap: int
    holds: list[Hold]
    disputes: list[Dispute]
    attempts: list[tuple[datetime.datetime, str, str]] = field(default_factory=list)  # (at, channel, bucket)
    conversations: list[datetime.datetime] = field(default_factory=list)


def _bucket(point) -> str:
    return "personal" if point is not None and point.usage in PERSONAL_USAGES else "other"


def _load(*, account, channel, to, contact_point, at, automated, purpose) -> _Context:
    debtor = account.debtor
    policy = ContactPolicy.objects.filter(pk=1).first() or ContactPolicy()
    rule = _state_rule(debtor)
    points = list(ContactPoint.objects.filter(debtor=debtor))
    by_value = {point.value.lower(): point for point in points}
    if contact_point is None and to:
        contact_point = by_value.get(to.strip().lower())
    to = to or (contact_point.value if contact_point is not None else "")
    zones = candidate_zones(
        debtor,
        channel=channel,
        contact_point=contact_point,
        to=to,
        phones=[p for p in sorted(points, key=lambda p: not p.is_primary) if p.kind == "phone"],
    )
    call_cap = policy.weekly_call_cap
    if rule is not None and rule.weekly_call_cap is not None:
        call_cap = min(call_cap, rule.weekly_call_cap)
    holds = list(
        Hold.objects.filter(released_at__isnull=True)
        .filter(_hold_target(account))
        .exclude(ends_at__lte=at)
        .filter(channel__in=["", channel])
    )
    disputes = list(Dispute.objects.filter(account=account, resolved_at__isnull=True, within_validation_period=True))
    context = _Context(
        account=account,
        channel=channel,
        purpose=purpose,
        automated=automated,
        contact_point=contact_point,
        to=to,
        zones=zones,
        policy=policy,
        rule=rule,
        window=_effective_window(policy, rule),
        call_cap=call_cap,
        holds=holds,
        disputes=disputes,
    )
    if channel in PHONE_CHANNELS:
        look_back = max(policy.cap_period_days, policy.days_after_conversation, 31)
        if rule is not None:
            look_back = max(look_back, rule.personal_cap_days, rule.other_cap_days)
        rows = Activity.objects.filter(
            account=account, occurred_at__gte=at - datetime.timedelta(days=look_back + 2), occurred_at__lte=at
        ).values_list("occurred_at", "channel", "direction", "is_attempt", "is_conversation", "contact_point_id", "to")
        by_id = {point.pk: point for point in points}
        for occurred_at, act_channel, direction, is_attempt, is_conversation, point_id, act_to in rows:
            if is_conversation and act_channel in ("call", "inbound_call"):
                context.conversations.append(occurred_at)
            if direction == "outbound" and is_attempt and act_channel in PHONE_CHANNELS:
                point = by_id.get(point_id) or by_value.get((act_to or "").lower())
                context.attempts.append((occurred_at, act_channel, _bucket(point)))
    return context


def _hold_target(account):
    return Q(account=account) | Q(debtor_id=account.debtor_id)


def _rule_holds(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    reasons = []
    for hold in ctx.holds:
        if hold.starts_at > at or (hold.ends_at is not None and hold.ends_at <= at):
            continue
        code = HOLD_CODES.get(hold.reason, "hold")
        # The two exceptions the law itself makes: a final notice after a cease request, and the
        # verification that ends a dispute's hold, both in writing.
        if code == "cease" and ctx.purpose == "final_notice" and ctx.channel in WRITTEN_CHANNELS:
            continue
        if code == "dispute_pending" and ctx.purpose == "verification" and ctx.channel in WRITTEN_CHANNELS:
            continue
        since = f"{hold.starts_at:%Y-%m-%d}"
        messages = {
            "cease": f"The debtor asked us in writing on {since} to stop contacting them; only a final notice "
            "by letter may still go out.",
            "dispute_pending": f"The debt was disputed on {since}; collection is held until verification is sent.",
            "bankruptcy": f"Bankruptcy notice received on {since}: no collection contact (automatic stay).",
            "deceased": f"The debtor was reported deceased on {since}: no collection contact.",
            "attorney": f"The debtor is represented by an attorney since {since}: contact the attorney, "
            "not the debtor.",
            "opt_out": f"The debtor opted out of {hold.channel or 'contact'} on {since}.",
            "hold": f"The account is on hold since {since}" + (f": {hold.note}." if hold.note else "."),
        }
        message = messages[code]
        if hold.ends_at is not None:
            message += f" The hold ends {hold.ends_at:%Y-%m-%d %H:%M} UTC."
        reasons.append(Reason(code, message, hold.ends_at))
    if (
        not any(r.code == "dispute_pending" for r in reasons)
        and ctx.disputes
        and not (ctx.purpose == "verification" and ctx.channel in WRITTEN_CHANNELS)
    ):
        opened = min(d.opened_at for d in ctx.disputes)
        reasons.append(
            Reason(
                "dispute_pending",
                f"The debt was disputed on {opened:%Y-%m-%d} within the validation period; collection is held "
                "until verification is sent.",
            )
        )
    return reasons


def _rule_contact_point(ctx: _Context) -> list[Reason]:
    reasons = []
    point, channel = ctx.contact_point, ctx.channel
    if channel in ("call", "sms", "email") and not ctx.to:
        reasons.append(Reason("no_address", "No number or address to contact was given."))
    if point is not None and point.opted_out and channel in ELECTRONIC_CHANNELS:
        when = f" on {point.opted_out_at:%Y-%m-%d}" if point.opted_out_at else ""
        word = "texts" if channel == "sms" else "emails"
        reasons.append(Reason("opt_out", f"The debtor opted out of {word} at {point.value}{when}."))
    if channel == "email" and point is not None:
        employer_given = point.usage == "work" or (point.source or "").lower() == "employer"
        if employer_given and not point.debtor_used:
            reasons.append(
                Reason(
                    "work_email",
                    f"{point.value} is a work address the debtor has not used with us: no email there.",
                )
            )
    needs_consent = channel == "sms" or (ctx.automated and channel == "call")
    if needs_consent and (point is None or not point.consent_autodial):
        what = "Texts" if channel == "sms" else "Autodialed calls"
        target = point.value if point is not None else (ctx.to or "this number")
        reasons.append(Reason("no_consent", f"{what} to {target} need the debtor's recorded consent; none is on file."))
    return reasons


def _rule_hours(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    if ctx.channel not in TIMED_CHANNELS:
        return []
    start, end = ctx.window
    if all(_in_window(at, _zone(z), start, end) for z in ctx.zones):
        return []
    word = "Calling hours" if ctx.channel == "call" else "Contact hours"
    several = len(ctx.zones) > 1
    also = (
        f" The debtor may be in {', '.join(ctx.zones[:-1])} or {ctx.zones[-1]}: the time must suit every one."
        if several
        else ""
    )
    nxt = next_common_window(ctx.zones, at=at, start=start, end=end)
    if nxt is None:
        return [
            Reason(
                "no_common_hours",
                f"No time of day is within {_clock(start)}–{_clock(end)} in every zone this debtor may be in "
                f"({', '.join(ctx.zones)}); confirm the debtor's time zone.",
            )
        ]
    # Describe a zone that is closed now; the moment given is when every zone is open.
    infos = [_zone(z) for z in ctx.zones]
    closed = [z for z in infos if not _in_window(at, z, start, end)]
    binding = next((z for z in infos if nxt.astimezone(z).time() == start), closed[0])
    described = binding if binding in closed else closed[0]
    local = at.astimezone(described)
    wait = humanize_delta(nxt - at)
    opens = nxt.astimezone(binding)
    day = _day_label(opens.date(), at.astimezone(binding).date())
    if binding is described:
        later = f"they start again at {_clock(opens.time())} {day}"
    else:
        later = f"the next time that suits every zone is {_clock(opens.time())} {day} in {binding.key}"
    if local.time() >= end:
        message = f"{word} in {described.key} ended at {_clock(end)} (it is {_clock(local.time())} there); {later}"
    elif binding is described and opens.date() == local.date():
        message = f"{word} in {described.key} start at {_clock(start)}"
    else:
        message = f"{word} in {described.key} start at {_clock(start)}; {later}"
    message += f" — in {wait}."
    return [Reason("outside_hours", message + also, nxt)]


def _local_midnight(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone).astimezone(UTC)


def _count_in_days(moments: Iterable[datetime.datetime], zone: ZoneInfo, first: datetime.date, last: datetime.date):
    return sum(1 for moment in moments if first <= moment.astimezone(zone).date() <= last)


def _cap_reason(moments, *, cap: int, days: int, at, zones, code: str, message) -> Reason | None:
    """A cap of `cap` contacts in any `days` consecutive calendar days, judged in every zone.

    Days are the debtor's calendar days (Regulation F counts days, not hours); when the zone is
    uncertain every candidate counts and the latest reopening wins.
    """
    moments = [m for m in moments if m <= at]
    worst: tuple[datetime.datetime, ZoneInfo, int] | None = None
    for zone in map(_zone, zones):
        today = at.astimezone(zone).date()
        count = _count_in_days(moments, zone, today - datetime.timedelta(days=days - 1), today)
        if count < cap:
            continue
        reopen_day = today
        while _count_in_days(moments, zone, reopen_day - datetime.timedelta(days=days - 1), reopen_day) >= cap:
            reopen_day += datetime.timedelta(days=1)
        reopens = _local_midnight(reopen_day, zone)
        if worst is None or reopens > worst[0]:
            worst = (reopens, zone, count)
    if worst is None:
        return None
    reopens, zone, count = worst
    return Reason(
        code, message(count, _day_label(reopens.astimezone(zone).date(), at.astimezone(zone).date())), reopens
    )


def _rule_frequency(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    if ctx.channel != "call" or ctx.purpose != "collection":
        return []
    reasons = []
    policy = ctx.policy
    calls = [moment for moment, channel, _ in ctx.attempts if channel == "call"]
    cap = _cap_reason(
        calls,
        cap=ctx.call_cap,
        days=policy.cap_period_days,
        at=at,
        zones=ctx.zones,
        code="weekly_cap",
        message=lambda n, when: (
            f"{n} call attempts on this debt in the last {policy.cap_period_days} days: the limit is "
            f"{ctx.call_cap}. The next call may be made {when}."
        ),
    )
    if cap:
        reasons.append(cap)
    # The conversation's own day is day one of the quiet period (12 CFR 1006.14(b)(2)(i)(B)).
    quiet = _cap_reason(
        ctx.conversations,
        cap=1,
        days=policy.days_after_conversation,
        at=at,
        zones=ctx.zones,
        code="after_conversation",
        message=lambda n, when: (
            f"We spoke with the debtor about this debt in the last {policy.days_after_conversation} days: "
            f"no further call until {when}."
        ),
    )
    if quiet:
        reasons.append(quiet)
    return reasons


def _rule_state(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    rule = ctx.rule
    if rule is None or ctx.channel not in PHONE_CHANNELS:
        return []
    bucket = _bucket(ctx.contact_point)
    cap, days = (
        (rule.personal_cap, rule.personal_cap_days) if bucket == "personal" else (rule.other_cap, rule.other_cap_days)
    )
    if cap is None:
        return []
    kind = "home and mobile numbers" if bucket == "personal" else "numbers other than home or mobile"
    moments = [moment for moment, _, b in ctx.attempts if b == bucket]
    reason = _cap_reason(
        moments,
        cap=cap,
        days=days,
        at=at,
        zones=ctx.zones,
        code="state_cap",
        message=lambda n, when: (
            f"{rule.name} allows {cap} calls or texts to {kind} in each {days} days for a debt; "
            f"{n} made already. Next {when}."
        ),
    )
    return [reason] if reason else []


def _evaluate(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    if ctx.channel == "inbound_call":
        return []
    return (
        _rule_holds(ctx, at)
        + _rule_contact_point(ctx)
        + _rule_state(ctx, at)
        + _rule_frequency(ctx, at)
        + _rule_hours(ctx, at)
    )


# --- flags: facts that do not block but change what may be said ---------------------------------


def statute_of_limitations_on(account, profile: AccountCompliance | None = None) -> datetime.date | None:
    """The date the debt becomes time-barred: the profile's own date, or the state table's years."""
    if profile is not None and profile.statute_of_limitations_on:
        return profile.statute_of_limitations_on
    region = (account.debtor.region or "").strip().upper()
    entry = StatuteOfLimitations.objects.filter(region=region).first() if region else None
    start = account.oldest_open_due_on or account.placed_on or account.opened_on
    if entry is None or start is None:
        return None
    return add_years(start, entry.years)


def is_time_barred(account, *, on: datetime.date | None = None) -> bool:
    profile = AccountCompliance.objects.filter(account=account).first()
    sol = statute_of_limitations_on(account, profile)
    return sol is not None and sol <= (on or timezone.now().date())


def letter_template_kind(account, *, on: datetime.date | None = None) -> str:
    """ "time_barred" or "standard": time-barred debts get the letter that threatens no suit."""
    return "time_barred" if is_time_barred(account, on=on) else "standard"


def _flags(ctx: _Context, at: datetime.datetime) -> list[Reason]:
    flags = []
    profile = AccountCompliance.objects.filter(account=ctx.account).first()
    sol = statute_of_limitations_on(ctx.account, profile)
    if sol is not None and sol <= at.date():
        flags.append(
            Reason(
                "time_barred",
                f"This debt is time-barred since {sol:%Y-%m-%d}: do not threaten or imply a suit; letters use "
                "the time-barred template.",
            )
        )
    if len(ctx.zones) > 1 and ctx.channel in TIMED_CHANNELS:
        flags.append(Reason("ambiguous_zone", f"Time zone uncertain: {', '.join(ctx.zones)}."))
    if (
        profile is not None
        and profile.first_communication_at
        and not profile.validation_notice_sent_on
        and at - profile.first_communication_at > datetime.timedelta(days=5)
    ):
        flags.append(
            Reason(
                "validation_notice_due",
                "The validation notice was due within 5 days of the first communication and has not been sent.",
            )
        )
    return flags


# --- the one question ---------------------------------------------------------------------------


def contact_decision(
    *,
    account,
    channel: str,
    to: str | None = None,
    contact_point=None,
    at: datetime.datetime | None = None,
    automated: bool = False,
    purpose: str = "collection",
) -> Decision:
    """May we contact this account's debtor on `channel` at `to` (or `contact_point`) at `at`?

    Reads a handful of rows, whatever the history. The decision carries every reason (not just
    the first), the next moment when waiting alone makes the contact allowed, or None when it
    does not (a hold, an opt-out, missing consent).
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}, not {channel!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
    at = (at or timezone.now()).astimezone(UTC)
    ctx = _load(
        account=account,
        channel=channel,
        to=to or "",
        contact_point=contact_point,
        at=at,
        automated=automated,
        purpose=purpose,
    )
    reasons = _evaluate(ctx, at)
    flags = tuple(_flags(ctx, at))
    if not reasons:
        return Decision(True, (), at, flags, tuple(ctx.zones), at)
    next_at = None
    if all(reason.until is not None for reason in reasons):
        # Waiting for one rule can land in another (a cap lifts at midnight, hours open at 8:00):
        # step to the latest lift until nothing refuses.
        probe = at
        for _ in range(12):
            pending = _evaluate(ctx, probe)
            if not pending:
                next_at = probe
                break
            if any(reason.until is None for reason in pending):
                break
            probe = max(reason.until for reason in pending)
    return Decision(False, tuple(reasons), next_at, flags, tuple(ctx.zones), at)
