"""Contact log writes: logging a contact after the gate allowed it, disputes, opt-outs, cease requests.

Every outbound contact asks `compliance.gate.contact_decision` first. A refused contact is still
recorded (outcome "held", with the gate's reason codes) and audited, then DomainError is raised with
the gate's sentence, so the person refused sees why and the audit trail shows it.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from compliance.audit import acting_user, audit_event_new, audit_record, snapshot
from compliance.gate import Decision, contact_decision
from compliance.models import AccountCompliance, AuditEvent, HoldReason
from compliance.selectors import in_validation_period
from compliance.services import hold_place, hold_release

from ..errors import DomainError
from ..models import (
    Account,
    AccountStatus,
    Activity,
    Arrangement,
    Channel,
    ContactPoint,
    Direction,
    Dispute,
    DisputeOutcome,
    Outcome,
    PlanStatus,
)
from ..models.activity import CONVERSATION_OUTCOMES, NOT_CONNECTED_OUTCOMES

__all__ = [
    "activities_write_many",
    "activity_log",
    "cease_communication_record",
    "contact_point_opt_out",
    "dispute_open",
    "dispute_resolve",
    "hold_place",
    "hold_release",
    "refusals_record_many",
]

# Outcomes that tell us something about the debtor that stops collection at once.
HOLDING_OUTCOMES = {Outcome.DECEASED: HoldReason.DECEASED, Outcome.BANKRUPT: HoldReason.BANKRUPTCY}
# An email, text or letter that went out, or a conversation: the first one starts the 5 days for
# the validation notice.
COMMUNICATION_OUTCOMES = CONVERSATION_OUTCOMES | {Outcome.SENT, Outcome.VOICEMAIL}
# Checked by the caller who read them: validating each would cost a query per row.
ACTIVITY_RELATIONS = ["account", "debtor", "contact_point", "user"]
# What an activity's audit event records (audit key: field).
ACTIVITY_AUDIT_FIELDS = {
    "channel": "channel",
    "direction": "direction",
    "to": "to",
    "outcome": "outcome",
    "at": "occurred_at",
    "automated": "automated",
    "is_attempt": "is_attempt",
    "is_conversation": "is_conversation",
    "gate_reasons": "gate_reasons",
    "timezone": "debtor_timezone",
    "region": "debtor_region",
}


def _zone_snapshot(debtor, zones) -> str:
    """The debtor's IANA zone as known now; when none is stored, the number's zone if it is unambiguous."""
    if debtor.timezone:
        return debtor.timezone[:64]
    return zones[0] if len(zones) == 1 else ""


def _activity_new(
    *,
    account,
    channel,
    direction,
    contact_point,
    to,
    outcome,
    note,
    at,
    user,
    automated,
    zones=(),
    duration_seconds=None,
    gate_reasons=(),
) -> Activity:
    """An unsaved Activity with the contact's snapshot (zone, region) as known at the time."""
    debtor = account.debtor
    is_call = channel in (Channel.CALL, Channel.INBOUND_CALL)
    return Activity(
        account=account,
        debtor=debtor,
        channel=channel,
        direction=direction,
        contact_point=contact_point,
        to=to,
        outcome=outcome,
        note=note,
        duration_seconds=duration_seconds,
        occurred_at=at,
        user=acting_user(user),
        automated=automated,
        # Inbound contacts are the debtor's doing and count toward no cap; a call that never
        # connected (or was held by the gate) is no attempt (12 CFR 1006.14(b)(2)).
        is_attempt=direction == Direction.OUTBOUND and outcome not in NOT_CONNECTED_OUTCOMES,
        is_conversation=is_call and outcome in CONVERSATION_OUTCOMES,
        gate_reasons=list(gate_reasons),
        debtor_timezone=_zone_snapshot(debtor, zones),
        debtor_region=debtor.region,
    )


def _refusal_record(*, activity: Activity, user, decision: Decision) -> Activity:
    return refusals_record_many([(activity, decision)], user=user)[0]


def refusals_record_many(refusals: list[tuple[Activity, Decision]], *, user) -> list[Activity]:
    """Save held contacts and audit each with the gate's reasons: three queries however many."""
    activities = Activity.objects.bulk_create([activity for activity, _ in refusals])
    AuditEvent.objects.bulk_create(
        audit_event_new(
            action="contact.refused",
            actor=user,
            obj=activity,
            account_id=activity.account_id,
            after=snapshot(activity, ACTIVITY_AUDIT_FIELDS) | {"reasons": [r.as_dict() for r in decision.reasons]},
            detail=decision.message,
        )
        for activity, decision in refusals
    )
    return activities


def activity_log(
    *,
    account: Account,
    channel: str,
    outcome: str,
    user=None,
    to: str = "",
    contact_point: ContactPoint | None = None,
    note: str = "",
    duration_seconds: int | None = None,
    at: datetime.datetime | None = None,
    direction: str = Direction.OUTBOUND,
    automated: bool = False,
    purpose: str = "collection",
) -> Activity:
    """Record one contact on an account; outbound contacts must pass the gate first.

    Raises DomainError("contact_refused") when the gate refuses, after the refusal is committed.
    """
    at = at or timezone.now()
    if channel not in Channel.values:
        raise DomainError(f"Unknown channel {channel!r}.", code="invalid_channel", field="channel")
    if outcome not in Outcome.values or outcome == Outcome.HELD:
        raise DomainError(f"Unknown outcome {outcome!r}.", code="invalid_outcome", field="outcome")
    if channel == Channel.INBOUND_CALL:
        direction = Direction.INBOUND
    if contact_point is not None and contact_point.debtor_id != account.debtor_id:
        raise DomainError("That number or address belongs to another debtor.", code="invalid_contact_point")
    if contact_point is None and to:
        contact_point = ContactPoint.objects.filter(debtor_id=account.debtor_id, value__iexact=to.strip()).first()
    to = to or (contact_point.value if contact_point is not None else "")
    contact = {
        "account": account,
        "channel": channel,
        "direction": direction,
        "contact_point": contact_point,
        "to": to,
        "at": at,
        "user": user,
        "automated": automated,
    }
    if direction != Direction.OUTBOUND:
        with transaction.atomic():
            return _activity_write(
                _activity_new(**contact, outcome=outcome, note=note, duration_seconds=duration_seconds), user=user
            )
    with transaction.atomic():
        if channel == Channel.CALL and user is not None and not automated:
            _daily_call_limit_check(user, at)
        # The account row lock serialises contacts on one debt: two collectors cannot both take the
        # last slot under a cap, since the second decides only after the first has written.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        decision = contact_decision(
            account=account,
            channel=channel,
            to=to or None,
            contact_point=contact_point,
            at=at,
            automated=automated,
            purpose=purpose,
        )
        if decision.allowed:
            activity = _activity_new(
                **contact, outcome=outcome, note=note, duration_seconds=duration_seconds, zones=decision.zones
            )
            return _activity_write(activity, user=user)
    # Outside the block above: the refusal must be committed before the exception we raise.
    with transaction.atomic():
        _refusal_record(
            activity=_activity_new(
                **contact,
                outcome=Outcome.HELD,
                note=(decision.message + (f"\n{note}" if note else ""))[:5000],
                zones=decision.zones,
                gate_reasons=decision.codes,
            ),
            user=user,
            decision=decision,
        )
    raise DomainError(decision.message, code="contact_refused", reasons=[r.as_dict() for r in decision.reasons])


def _daily_call_limit_check(user, at: datetime.datetime) -> None:
    """A collector's calls stop at their daily limit; the user row lock orders two tabs' last call."""
    from ..queue import calls_today

    limit = User.objects.select_for_update().filter(pk=user.pk).values_list("daily_call_limit", flat=True).first()
    if user.role == Role.COLLECTOR and limit is not None and calls_today(user=user, now=at) >= limit:
        raise DomainError(
            f"You have made your {limit} calls for today, the daily limit your manager set.",
            code="daily_call_limit",
        )


def _activity_write(activity: Activity, *, user) -> Activity:
    """Save an allowed contact, mark the account contacted, start the validation clock, audit it."""
    activity.full_clean(exclude=["user"])
    return activities_write_many([activity], user=user)[0]


def activities_write_many(activities: list[Activity], *, user) -> list[Activity]:
    """_activity_write for many contacts at once (the dunning sender's batches), in a fixed number of queries.

    Relations are not re-validated row by row (a query each): callers pass the accounts, debtors and
    contact points they have just read. Accounts of a batch must be locked by the caller in id order,
    as the dunning claim does, so that two batches never wait on each other's rows.
    """
    for activity in activities:
        activity.clean_fields(exclude=ACTIVITY_RELATIONS)
    Activity.objects.bulk_create(activities)
    now = timezone.now()
    # Each account ends as the last of its contacts leaves it, as when they are written one by one.
    last_at = {activity.account_id: activity.occurred_at for activity in activities}
    for at, account_ids in _grouped(last_at).items():
        Account.objects.filter(pk__in=account_ids).update(last_contact_at=at, changed_at=now)
    first_at: dict[int, datetime.datetime] = {}
    for activity in activities:
        activity.account.last_contact_at = last_at[activity.account_id]
        if activity.outcome in COMMUNICATION_OUTCOMES:
            at = activity.occurred_at
            first_at[activity.account_id] = min(at, first_at.get(activity.account_id, at))
    if first_at:
        AccountCompliance.objects.bulk_create(
            [AccountCompliance(account_id=account_id) for account_id in first_at], ignore_conflicts=True
        )
        for at, account_ids in _grouped(first_at).items():
            AccountCompliance.objects.filter(account_id__in=account_ids).filter(
                Q(first_communication_at__isnull=True) | Q(first_communication_at__gt=at)
            ).update(first_communication_at=at, updated_at=now)
    AuditEvent.objects.bulk_create(
        audit_event_new(
            action="contact.logged",
            actor=user,
            obj=activity,
            account_id=activity.account_id,
            after=snapshot(activity, ACTIVITY_AUDIT_FIELDS),
            detail=activity.note[:500],
        )
        for activity in activities
    )
    for activity in activities:
        hold_reason = HOLDING_OUTCOMES.get(activity.outcome)
        if hold_reason:
            # Death and bankruptcy stop collection on every debt of the debtor, not just this one.
            at = activity.occurred_at
            hold_place(
                reason=hold_reason,
                debtor=activity.debtor,
                user=user,
                starts_at=at,
                note=f"Reported on a {activity.get_channel_display().lower()} on {at:%Y-%m-%d}",
            )
    return activities


def _grouped(moments: dict[int, datetime.datetime]) -> dict[datetime.datetime, list[int]]:
    """Ids by moment: a batch written at one moment costs one UPDATE."""
    groups: dict[datetime.datetime, list[int]] = {}
    for pk, at in moments.items():
        groups.setdefault(at, []).append(pk)
    return groups


def _status_set(account: Account, status: str, *, user, why: str) -> None:
    if account.status == status:
        return
    before = account.status
    Account.objects.filter(pk=account.pk).update(status=status, changed_at=timezone.now())
    account.status = status
    audit_record(
        action="account.status_changed",
        actor=user,
        obj=account,
        before={"status": before},
        after={"status": status},
        detail=why,
    )


@transaction.atomic
def dispute_open(
    *, account: Account, reason: str, user=None, at: datetime.datetime | None = None, in_writing: bool = False
) -> Dispute:
    """Open a dispute. Inside the validation period it holds collection until verification is sent."""
    at = at or timezone.now()
    if not reason.strip():
        raise DomainError("Say what the debtor disputes.", code="invalid_dispute", field="reason")
    account = Account.objects.select_for_update().get(pk=account.pk)
    within = in_validation_period(account, on=at.date())
    dispute = Dispute.objects.create(
        account=account,
        reason=reason,
        opened_at=at,
        opened_by=acting_user(user),
        in_writing=in_writing,
        within_validation_period=within,
    )
    audit_record(
        action="dispute.opened",
        actor=user,
        obj=dispute,
        account_id=account.pk,
        after={"reason": reason, "in_writing": in_writing, "within_validation_period": within},
    )
    _status_set(account, AccountStatus.DISPUTED, user=user, why="Dispute opened")
    if within:
        hold_place(
            reason=HoldReason.DISPUTE,
            account=account,
            user=user,
            starts_at=at,
            note=f"Dispute {dispute.pk} in the validation period: held until verification",
        )
    return dispute


@transaction.atomic
def dispute_resolve(
    *, dispute: Dispute, outcome: str, user=None, note: str = "", at: datetime.datetime | None = None
) -> Dispute:
    """Close a dispute (verification sent, corrected, withdrawn) and let collection resume."""
    if outcome not in DisputeOutcome.values:
        raise DomainError(f"Unknown dispute outcome {outcome!r}.", code="invalid_dispute", field="outcome")
    at = at or timezone.now()
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.resolved_at is not None:
        raise DomainError("This dispute is already resolved.", code="dispute_resolved")
    dispute.resolved_at = at
    dispute.outcome = outcome
    dispute.resolution_note = note
    dispute.save(update_fields=["resolved_at", "outcome", "resolution_note"])
    audit_record(
        action="dispute.resolved",
        actor=user,
        obj=dispute,
        account_id=dispute.account_id,
        after={"outcome": outcome, "note": note},
    )
    account = Account.objects.select_for_update().get(pk=dispute.account_id)
    if not Dispute.objects.filter(account=account, resolved_at__isnull=True).exists():
        for hold in account.holds.filter(reason=HoldReason.DISPUTE, released_at__isnull=True):
            hold_release(hold=hold, user=user, note=f"Dispute {dispute.pk} {outcome}", at=at)
        if account.status == AccountStatus.DISPUTED:
            arranged = Arrangement.objects.filter(account=account, status=PlanStatus.ACTIVE).exists()
            _status_set(
                account,
                AccountStatus.IN_ARRANGEMENT if arranged else AccountStatus.ACTIVE,
                user=user,
                why=f"Dispute {outcome}",
            )
    return dispute


@transaction.atomic
def contact_point_opt_out(
    *, contact_point: ContactPoint, user=None, at: datetime.datetime | None = None, note: str = ""
) -> ContactPoint:
    """The debtor opted out of texts or emails at this number or address (12 CFR 1006.6(e))."""
    at = at or timezone.now()
    point = ContactPoint.objects.select_for_update().get(pk=contact_point.pk)
    if point.opted_out:
        return point
    point.opted_out = True
    point.opted_out_at = at
    point.save(update_fields=["opted_out", "opted_out_at"])
    for account_id in Account.objects.filter(debtor_id=point.debtor_id).values_list("pk", flat=True):
        audit_record(
            action="contact_point.opted_out",
            actor=user,
            obj=point,
            account_id=account_id,
            before={"opted_out": False},
            after={"opted_out": True, "value": point.value, "at": at},
            detail=note,
        )
    contact_point.opted_out, contact_point.opted_out_at = True, at
    return point


@transaction.atomic
def cease_communication_record(
    *,
    debtor=None,
    account: Account | None = None,
    user=None,
    received_at: datetime.datetime | None = None,
    in_writing: bool = True,
    note: str = "",
):
    """A request to stop communicating: holds the debt (or, without an account, every debt of the debtor)."""
    if account is None and debtor is None:
        raise DomainError("Name the debtor or the account the request is about.", code="invalid_cease")
    if not in_writing:
        # A spoken request is not a 1692c(c) notice, but honouring it is the safer course.
        note = ("Spoken request. " + note).strip()
    return hold_place(
        reason=HoldReason.CEASE,
        account=account,
        debtor=debtor if account is None else None,
        user=user,
        starts_at=received_at or timezone.now(),
        note=note,
    )
