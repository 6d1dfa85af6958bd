"""The gate's rules: what it reads for one contact (once), holds, the address itself, and their order."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection

from collections_app.models import Account, Activity, ContactPoint, Dispute

from .. import selectors
from ..models import AccountCompliance, ContactPolicy, Hold, StateRule, StatuteOfLimitations
from .caps import bucket, rule_caps
from .decision import ELECTRONIC_CHANNELS, PHONE_CHANNELS, WRITTEN_CHANNELS, Reason
from .wording import HOLD_CODES, hold_message
from .zones import candidate_zones, effective_window, rule_hours


@dataclass
class Context:
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
    profile: AccountCompliance | None = None
    limitation: StatuteOfLimitations | None = None
    attempts: list[tuple[datetime.datetime, str, str]] = field(default_factory=list)  # (at, channel, bucket)
    conversations: list[datetime.datetime] = field(default_factory=list)


def _look_back_days(policy: ContactPolicy, rule: StateRule | None) -> int:
    days = max(policy.cap_period_days, policy.days_after_conversation, 31)
    if rule is not None:
        days = max(days, rule.personal_cap_days, rule.other_cap_days)
    return days


# What the caps and the hours read of an activity (after its id and account).
_ACTIVITY_FIELDS = (
    "id",
    "account_id",
    "occurred_at",
    "channel",
    "direction",
    "is_attempt",
    "is_conversation",
    "contact_point_id",
    "to",
)


def _in(values) -> str:
    """Placeholders for `column IN ...`; no values match nothing."""
    return f"({', '.join(['%s'] * len(values))})" if values else "(NULL)"


def _moment(value: datetime.datetime):
    """A moment as the database compares it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _rows(model, where: str, params: list, *, fields=None) -> list:
    """`model` rows by a plain statement: on the queue's hot path, building and compiling the ORM's
    querysets cost more CPU than the gate's rules themselves. Values come converted as the ORM's; every
    value in `where` is a parameter."""
    columns = [model._meta.get_field(name).column for name in fields] if fields else None
    columns = columns or [field.column for field in model._meta.concrete_fields]
    quote = connection.ops.quote_name
    select = ", ".join(quote(column) for column in columns)
    statement = f"SELECT {select} FROM {quote(model._meta.db_table)} WHERE {where}"  # noqa: S608 -- values are params
    return list(model.objects.raw(statement, params))


@dataclass
class Reads:
    """The rows the rules read, for one account or for a whole page of them (a query each)."""

    policy: ContactPolicy
    rules: dict[str, StateRule]  # active state rules by region
    points: dict[int, list[ContactPoint]]  # by debtor id
    holds: list[Hold]
    disputes: list[Dispute]
    activities: dict[int, list[tuple]]  # by account id
    profiles: dict[int, AccountCompliance]  # by account id
    limitations: dict[str, StatuteOfLimitations]  # by region

    @classmethod
    def fetch(
        cls, accounts: list[Account], *, channel: str, at: datetime.datetime, policy=None, state_rules=None
    ) -> Reads:
        """One query per kind of row; `policy` and `state_rules` (every active rule), when given, are not re-read."""
        account_ids = [a.pk for a in accounts]
        debtor_ids = sorted({a.debtor_id for a in accounts})
        policy = policy if policy is not None else selectors.policy_current()
        regions = {(a.debtor.region or "").strip().upper() for a in accounts} - {""}
        if state_rules is None:
            state_rules = StateRule.objects.filter(region__in=regions, active=True) if regions else []
        rules = {r.region: r for r in state_rules if r.active and r.region in regions}
        points: dict[int, list[ContactPoint]] = {}
        for point in _rows(ContactPoint, f"debtor_id IN {_in(debtor_ids)} ORDER BY id", debtor_ids):
            points.setdefault(point.debtor_id, []).append(point)
        holds = _rows(
            Hold,
            f"released_at IS NULL AND (account_id IN {_in(account_ids)} OR debtor_id IN {_in(debtor_ids)})"
            " AND (ends_at IS NULL OR ends_at > %s) AND channel IN ('', %s) ORDER BY starts_at DESC, id DESC",
            [*account_ids, *debtor_ids, _moment(at), channel],
        )
        disputes = _rows(
            Dispute,
            f"account_id IN {_in(account_ids)} AND resolved_at IS NULL AND within_validation_period"
            " ORDER BY opened_at DESC",
            account_ids,
        )
        activities: dict[int, list[tuple]] = {}
        if channel in PHONE_CHANNELS:
            look_back = max(_look_back_days(policy, rule) for rule in [None, *rules.values()])
            since = at - datetime.timedelta(days=look_back + 2)
            for act in _rows(
                Activity,
                f"account_id IN {_in(account_ids)} AND occurred_at >= %s AND occurred_at <= %s"
                " ORDER BY occurred_at DESC, id DESC",
                [*account_ids, _moment(since), _moment(at)],
                fields=_ACTIVITY_FIELDS,
            ):
                activities.setdefault(act.account_id, []).append(
                    tuple(getattr(act, name) for name in _ACTIVITY_FIELDS[2:])
                )
        profiles = {p.account_id: p for p in _rows(AccountCompliance, f"account_id IN {_in(account_ids)}", account_ids)}
        limitations = (
            {e.region: e for e in _rows(StatuteOfLimitations, f"region IN {_in(sorted(regions))}", sorted(regions))}
            if regions
            else {}
        )
        return cls(policy, rules, points, holds, disputes, activities, profiles, limitations)

    def context(self, *, account, channel, to, contact_point, automated, purpose) -> Context:
        """The rules' view of one contact, built from these rows without a query."""
        debtor = account.debtor
        policy = self.policy
        rule = self.rules.get((debtor.region or "").strip().upper())
        points = self.points.get(debtor.pk, [])
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
        context = Context(
            account=account,
            channel=channel,
            purpose=purpose,
            automated=automated,
            contact_point=contact_point,
            to=to,
            zones=zones,
            policy=policy,
            rule=rule,
            window=effective_window(policy, rule),
            call_cap=call_cap,
            holds=[h for h in self.holds if h.account_id == account.pk or h.debtor_id == account.debtor_id],
            disputes=[d for d in self.disputes if d.account_id == account.pk],
            profile=self.profiles.get(account.pk),
            limitation=self.limitations.get((debtor.region or "").strip().upper()),
        )
        by_id = {point.pk: point for point in points}
        # Rows older than this account's own look-back (fetched for a stricter state's) never count.
        for occurred_at, act_channel, direction, is_attempt, is_conversation, point_id, act_to in self.activities.get(
            account.pk, []
        ):
            if is_conversation and act_channel in ("call", "inbound_call"):
                context.conversations.append(occurred_at)
            if direction == "outbound" and is_attempt and act_channel in PHONE_CHANNELS:
                point = by_id.get(point_id) or by_value.get((act_to or "").lower())
                context.attempts.append((occurred_at, act_channel, bucket(point)))
        return context


def load(*, account, channel, to, contact_point, at, automated, purpose) -> Context:
    return Reads.fetch([account], channel=channel, at=at).context(
        account=account, channel=channel, to=to, contact_point=contact_point, automated=automated, purpose=purpose
    )


def rule_holds(ctx: Context, at: datetime.datetime) -> list[Reason]:
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
        reasons.append(Reason(code, hold_message(code, hold), hold.ends_at))
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


def rule_contact_point(ctx: Context) -> list[Reason]:
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


def evaluate(ctx: Context, at: datetime.datetime) -> list[Reason]:
    """Every reason to refuse at `at`, in a fixed order; no query."""
    if ctx.channel == "inbound_call":
        return []
    return rule_holds(ctx, at) + rule_contact_point(ctx) + rule_caps(ctx, at) + rule_hours(ctx, at)
