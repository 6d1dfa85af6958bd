"""Compliance reads: the policy, the set-based contactability of whole querysets, and the pages' queries."""

import datetime
from collections import Counter
from zoneinfo import ZoneInfo

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from collections_app.models import Account, Activity, ContactPoint, Dispute
from collections_app.selectors import accounts_visible_to

from .gate.decision import PERSONAL_USAGES
from .gate.zones import US_ZONES, _in_window, _zone
from .models import AccountCompliance, AuditEvent, ContactPolicy, Hold, StateRule


def policy_current() -> ContactPolicy:
    """The contact policy in force: the stored row, or the federal defaults when none is stored."""
    return ContactPolicy.objects.filter(pk=1).first() or ContactPolicy(pk=1)


def _local_midnight_utc(at: datetime.datetime, zone: ZoneInfo, days_back: int) -> datetime.datetime:
    day = at.astimezone(zone).date() - datetime.timedelta(days=days_back)
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone).astimezone(datetime.UTC)


def _cutoff_by_zone(zones: set[str], *, at: datetime.datetime, days: int):
    """Start (UTC) of the debtor's local day `days - 1` days ago, as a CASE over the zones in use.

    A zone the database holds but Python does not know, or an empty one, gets the earliest cutoff
    of the US zones: counting more history can only refuse more, never allow what the gate would not.
    """
    fallback = min(_local_midnight_utc(at, ZoneInfo(z), days - 1) for z in (*US_ZONES, "UTC"))
    whens = [
        When(debtor__timezone=name, then=Value(_local_midnight_utc(at, zone, days - 1)))
        for name in sorted(zones)
        if name and (zone := _zone(name)) is not None
    ]
    return Case(*whens, default=Value(fallback), output_field=DateTimeField())


def _count(queryset) -> Coalesce:
    counted = queryset.order_by().values("account").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def accounts_with_contactability(
    queryset: QuerySet, *, at: datetime.datetime | None = None, channel: str = "call"
) -> QuerySet:
    """Annotate accounts with what the gate would refuse for `channel`, in a fixed number of queries.

    Annotations: gate_hold_reason (the first active hold's reason or None), gate_disputed,
    gate_recent_conversation, gate_call_attempts, gate_call_cap, gate_state_capped, gate_in_hours and
    gate_blocked (any of the blocking ones). Days are judged in Debtor.timezone; the exact gate
    (`contact_decision`) still has the last word on the one account handed to a collector, since it
    also weighs the number's own zones, opt-outs and consent.
    """
    at = at or timezone.now()
    policy = policy_current()
    zones = set(queryset.order_by().values_list("debtor__timezone", flat=True).distinct())
    holds = (
        Hold.objects.active(at)
        .filter(channel__in=["", channel])
        .filter(Q(account_id=OuterRef("pk")) | Q(debtor_id=OuterRef("debtor_id")))
    )
    disputes = Dispute.objects.filter(
        account_id=OuterRef("pk"), resolved_at__isnull=True, within_validation_period=True
    )
    rules = list(StateRule.objects.filter(active=True))
    cap = Value(policy.weekly_call_cap)
    cap_whens = [
        When(_region=rule.region, then=Value(min(policy.weekly_call_cap, rule.weekly_call_cap)))
        for rule in rules
        if rule.weekly_call_cap is not None
    ]
    if cap_whens:
        cap = Case(*cap_whens, default=cap, output_field=IntegerField())
    queryset = queryset.annotate(
        _region=Upper("debtor__region"),
        _cap_since=_cutoff_by_zone(zones, at=at, days=policy.cap_period_days),
        _quiet_since=_cutoff_by_zone(zones, at=at, days=policy.days_after_conversation),
        gate_hold_reason=Subquery(holds.order_by("starts_at").values("reason")[:1]),
        gate_disputed=Exists(disputes),
    )
    calls = Activity.objects.filter(
        account_id=OuterRef("pk"), channel="call", direction="outbound", is_attempt=True, occurred_at__lte=at
    )
    queryset = queryset.annotate(
        gate_recent_conversation=Exists(
            Activity.objects.filter(
                account_id=OuterRef("pk"),
                is_conversation=True,
                channel__in=["call", "inbound_call"],
                occurred_at__gte=OuterRef("_quiet_since"),
                occurred_at__lte=at,
            )
        ),
        gate_call_attempts=_count(calls.filter(occurred_at__gte=OuterRef("_cap_since"))),
        gate_call_cap=cap,
    )
    state_capped: Q = Q(pk__in=[])
    for rule in rules:
        if rule.personal_cap is None and rule.other_cap is None:
            continue
        tag = rule.region.lower()
        initiated = Activity.objects.filter(
            account_id=OuterRef("pk"),
            channel__in=["call", "sms"],
            direction="outbound",
            is_attempt=True,
            occurred_at__lte=at,
        )
        queryset = queryset.annotate(
            **{
                f"_p_{tag}": _count(
                    initiated.filter(
                        contact_point__usage__in=PERSONAL_USAGES,
                        occurred_at__gte=_cutoff_by_zone(zones, at=at, days=rule.personal_cap_days),
                    )
                ),
                f"_o_{tag}": _count(
                    initiated.exclude(contact_point__usage__in=PERSONAL_USAGES).filter(
                        occurred_at__gte=_cutoff_by_zone(zones, at=at, days=rule.other_cap_days),
                    )
                ),
                f"_hp_{tag}": Exists(
                    ContactPoint.objects.filter(
                        debtor_id=OuterRef("debtor_id"), kind="phone", usage__in=PERSONAL_USAGES
                    )
                ),
                f"_ho_{tag}": Exists(
                    ContactPoint.objects.filter(debtor_id=OuterRef("debtor_id"), kind="phone").exclude(
                        usage__in=PERSONAL_USAGES
                    )
                ),
            }
        )
        personal_full = Q(**{f"_p_{tag}__gte": rule.personal_cap}) if rule.personal_cap is not None else Q(pk__in=[])
        other_full = Q(**{f"_o_{tag}__gte": rule.other_cap}) if rule.other_cap is not None else Q(pk__in=[])
        # Capped when every kind of number the debtor has is used up, and at least one cap was hit.
        state_capped |= (
            Q(_region=rule.region)
            & (personal_full | Q(**{f"_hp_{tag}": False}))
            & (other_full | Q(**{f"_ho_{tag}": False}))
            & (personal_full | other_full)
        )
    in_hours = _in_hours_expression(zones, at=at, policy=policy)
    blocked = Q(gate_hold_reason__isnull=False) | Q(gate_disputed=True)
    if channel == "call":
        blocked |= Q(gate_recent_conversation=True) | Q(gate_call_attempts__gte=F("gate_call_cap"))
    if channel in ("call", "sms"):
        blocked |= state_capped
    return queryset.annotate(
        gate_state_capped=Case(When(state_capped, then=Value(True)), default=Value(False), output_field=BooleanField()),
        gate_in_hours=in_hours,
        gate_blocked=Case(When(blocked, then=Value(True)), default=Value(False), output_field=BooleanField()),
    )


def _in_hours_expression(zones: set[str], *, at: datetime.datetime, policy: ContactPolicy):
    start, end = policy.call_window_start, policy.call_window_end
    open_zones = [name for name in zones if name and (z := _zone(name)) is not None and _in_window(at, z, start, end)]
    unknown_open = all(_in_window(at, ZoneInfo(z), start, end) for z in US_ZONES)
    whens = [When(debtor__timezone__in=open_zones, then=Value(True))] if open_zones else []
    whens.append(When(debtor__timezone="", then=Value(unknown_open)))
    return Case(*whens, default=Value(False), output_field=BooleanField())


def accounts_contactable(
    queryset: QuerySet, *, at: datetime.datetime | None = None, channel: str = "call", in_hours: bool = True
) -> QuerySet:
    """Only the accounts the gate would not refuse for a hold, dispute or cap (and, by default, hours)."""
    annotated = accounts_with_contactability(queryset, at=at, channel=channel).filter(gate_blocked=False)
    return annotated.filter(gate_in_hours=True) if in_hours else annotated


# --- the compliance page ------------------------------------------------------------------------


def refusals_by_reason(*, user, day: datetime.date | None = None) -> list[tuple[str, int]]:
    """Contacts the gate refused on a day (in the site's zone), counted per reason code."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))
    rows = Activity.objects.filter(
        outcome="held",
        occurred_at__gte=start,
        occurred_at__lt=start + datetime.timedelta(days=1),
        account__in=accounts_visible_to(user),
    ).values_list("gate_reasons", flat=True)
    counts = Counter(code for reasons in rows for code in (reasons or []))
    return counts.most_common()


def holds_active_for(*, user, at: datetime.datetime | None = None) -> QuerySet:
    at = at or timezone.now()
    visible = accounts_visible_to(user)
    scope = Q(account__in=visible) | Q(debtor__accounts__in=visible)
    if user.is_superuser or getattr(user, "role", "") == "admin":
        scope = Q()
    return (
        Hold.objects.active(at)
        .filter(scope)
        .select_related("account", "debtor", "placed_by")
        .distinct()
        .order_by("-starts_at")
    )


def validation_periods_ending(*, user, within_days: int = 14, today: datetime.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return (
        AccountCompliance.objects.filter(
            validation_period_ends_on__gte=today,
            validation_period_ends_on__lte=today + datetime.timedelta(days=within_days),
            account__in=accounts_visible_to(user),
        )
        .select_related("account", "account__debtor")
        .order_by("validation_period_ends_on")
    )


def in_validation_period(account, *, on: datetime.date) -> bool:
    """True while the debtor may still dispute with effect (or while no notice has been sent yet)."""
    profile = AccountCompliance.objects.filter(account=account).first()
    if profile is None or profile.validation_period_ends_on is None:
        return True
    return on <= profile.validation_period_ends_on


def account_for_audit(*, user, external_id: str) -> Account | None:
    return accounts_visible_to(user).filter(external_id=external_id).select_related("debtor").first()


def audit_trail(*, account: Account) -> QuerySet:
    return AuditEvent.objects.filter(account_id=account.pk).select_related("actor").order_by("at", "id")
