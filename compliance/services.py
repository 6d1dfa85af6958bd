"""Compliance writes: holds, the policy tables, validation notices, audit retention. Every one audited."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from collections_app.errors import DomainError
from collections_app.models import Account, Activity, Dispute

from .audit import acting_user, audit_record, snapshot
from .dates import validation_dates
from .models import RETENTION_YEARS, AccountCompliance, AuditEvent, Hold, HoldReason
from .selectors import policy_current

HOLD_FIELDS = ("reason", "channel", "account", "debtor", "starts_at", "ends_at", "released_at", "note")
# Holds a collector may release; the legal ones (bankruptcy, death, cease, attorney) need a manager,
# and a dispute's hold ends when the dispute is resolved.
COLLECTOR_RELEASABLE = frozenset({HoldReason.OTHER, HoldReason.OPT_OUT})


@transaction.atomic
def hold_place(
    *,
    reason: str,
    account=None,
    debtor=None,
    user=None,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    channel: str = "",
    note: str = "",
) -> Hold:
    """Hold an account (one debt) or a debtor (all their debts) from contact, optionally on one channel."""
    if reason not in HoldReason.values:
        raise DomainError(f"Unknown hold reason {reason!r}.", code="invalid_hold")
    if account is None and debtor is None:
        raise DomainError("A hold needs an account or a debtor.", code="invalid_hold")
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError("A hold must end after it starts.", code="invalid_hold")
    hold = Hold(
        reason=reason,
        account=account,
        debtor=debtor if account is None else None,
        channel=channel,
        note=note[:300],
        placed_by=acting_user(user),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    hold.full_clean()
    hold.save()
    audit_record(
        action="hold.placed",
        actor=user,
        obj=hold,
        account_id=hold.account_id,
        after=snapshot(hold, HOLD_FIELDS),
        detail=f"{hold.get_reason_display()}" + (f": {note}" if note else ""),
    )
    return hold


def hold_releasable_by(*, user, hold: Hold) -> bool:
    """Whether the user's role may release this kind of hold (no query: the account page lists them
    with it). A collector releases only the holds of no legal weight; a manager, admin or task any."""
    is_collector = getattr(user, "is_collector", False) and not user.is_superuser
    return not is_collector or hold.reason in COLLECTOR_RELEASABLE


@transaction.atomic
def hold_release(*, hold: Hold, user=None, note: str = "", at: datetime.datetime | None = None) -> Hold:
    """End a hold. Every caller (page, API, admin, dispute resolution) is held to the same rules."""
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise DomainError("This hold was already released.", code="hold_released")
    if hold.reason == HoldReason.DISPUTE:
        if Dispute.objects.filter(account_id=hold.account_id, resolved_at__isnull=True).exists():
            raise DomainError(
                "This hold lasts while the dispute is open: it ends when the dispute is resolved.",
                code="hold_dispute_open",
            )
    elif not hold_releasable_by(user=user, hold=hold):
        raise DomainError(
            f"A collector may not release a {hold.get_reason_display().lower()} hold: ask a manager to release it.",
            code="hold_release_forbidden",
        )
    before = snapshot(hold, HOLD_FIELDS)
    hold.released_at = at or timezone.now()
    hold.released_by = acting_user(user)
    hold.save(update_fields=["released_at", "released_by"])
    audit_record(
        action="hold.released",
        actor=user,
        obj=hold,
        account_id=hold.account_id,
        before=before,
        after=snapshot(hold, HOLD_FIELDS),
        detail=note,
    )
    return hold


def account_profile(account) -> AccountCompliance:
    """The account's compliance profile, created empty on first use (a write: callers are services)."""
    profile, _ = AccountCompliance.objects.get_or_create(account=account)
    return profile


@transaction.atomic
def validation_notice_record(*, account, sent_on: datetime.date, user=None) -> AccountCompliance:
    """Record the validation notice's sending and the dates that follow from it."""
    profile = AccountCompliance.objects.select_for_update().filter(account=account).first() or account_profile(account)
    before = {"sent_on": profile.validation_notice_sent_on, "ends_on": profile.validation_period_ends_on}
    policy = policy_current()
    received, ends = validation_dates(
        sent_on, receipt_business_days=policy.receipt_business_days, period_days=policy.validation_period_days
    )
    profile.validation_notice_sent_on = sent_on
    profile.validation_notice_received_on = received
    profile.validation_period_ends_on = ends
    profile.full_clean()
    profile.save()
    audit_record(
        action="validation_notice.recorded",
        actor=user,
        obj=account,
        before=before,
        after={"sent_on": sent_on, "received_on": received, "ends_on": ends},
    )
    return profile


@transaction.atomic
def config_save(*, obj, user=None) -> object:
    """Save a policy table row (ContactPolicy, StateRule, StatuteOfLimitations) after validation, audited."""
    model = type(obj)
    previous = model.objects.filter(pk=obj.pk).first() if obj.pk else None
    before = snapshot(previous) if previous else None
    obj.full_clean()
    obj.save()
    audit_record(
        action="policy.changed",
        actor=user,
        obj=obj,
        before=before,
        after=snapshot(obj),
        detail=f"{model._meta.verbose_name}: {obj}",
    )
    return obj


@transaction.atomic
def config_delete(*, obj, user=None) -> None:
    before = snapshot(obj)
    label = f"{type(obj)._meta.verbose_name}: {obj}"
    pk = obj.pk
    obj.delete()
    audit_record(action="policy.deleted", actor=user, before=before, detail=f"{label} (id {pk})")


def export_record(*, user=None, what: str, rows: int, params: dict | None = None, account_id: int | None = None):
    """Every export of personal data leaves an audit event: who took what."""
    return audit_record(
        action="data.exported", actor=user, account_id=account_id, after={"rows": rows, **(params or {})}, detail=what
    )


def audit_retention_purge(*, now: datetime.datetime | None = None, dry_run: bool = True) -> int:
    """Remove audit events no longer needed: older than 3 years AND 3 years past the account's last activity.

    12 CFR 1006.100 keeps records 3 years after the last activity on the account; the trigger
    lets a DELETE through only inside this function's transaction and only for rows past 3 years.
    """
    now = now or timezone.now()
    cutoff = now - relativedelta(years=RETENTION_YEARS)
    last_activity = (
        Activity.objects.filter(account_id=OuterRef("account_id"))
        .values("account_id")
        .annotate(m=Max("occurred_at"))
        .values("m")
    )
    last_contact = Account.objects.filter(pk=OuterRef("account_id")).values("last_contact_at")
    candidates = (
        AuditEvent.objects.filter(at__lt=cutoff)
        .annotate(_last=Subquery(last_activity), _contact=Subquery(last_contact))
        # Spelled out with IS NULL: NOT (NULL >= x) is NULL in SQL, which would keep nothing.
        .filter(Q(_last__isnull=True) | Q(_last__lt=cutoff))
        .filter(Q(_contact__isnull=True) | Q(_contact__lt=cutoff))
    )
    if dry_run:
        return candidates.count()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL compliance.retention_purge = 'on'")
        # The queryset guard refuses delete(); _raw_delete is the one deliberate way past it.
        deleted = AuditEvent.objects.filter(pk__in=candidates.values("pk"))._raw_delete(AuditEvent.objects.db)
    if not deleted:
        return 0
    audit_record(action="audit.purged", detail=f"{deleted} audit events older than {RETENTION_YEARS} years removed")
    return deleted
