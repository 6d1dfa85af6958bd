"""Promises to pay and payment arrangements: creating them and judging them kept or broken."""

import datetime
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from compliance.audit import audit_record
from compliance.selectors import policy_current

from ..errors import DomainError
from ..models import (
    Account,
    AccountStatus,
    Arrangement,
    EntryKind,
    Frequency,
    Instalment,
    LedgerEntry,
    PlanStatus,
    Promise,
    PromiseStatus,
)
from ..money import ZERO, currency_places, money
from .ledger import account_lock, amount_validate

_AMOUNT = DecimalField(max_digits=14, decimal_places=2)
MAX_INSTALMENTS = 60


def grace_days_default() -> int:
    """Days after a promise or instalment date during which a payment still keeps it (contact policy)."""
    return policy_current().promise_grace_days


def _payment_entries(account, start, end):
    """Entries that move money received between two dates: payments, and reversals of payments
    that were themselves received on or after `start` (an older payment's reversal is not counted).

    `account`, `start` and `end` may be values or OuterRef()s (the nightly pass uses it as a subquery).
    """
    return LedgerEntry.objects.filter(account=account, posted_on__gte=start, posted_on__lte=end).filter(
        Q(kind=EntryKind.PAYMENT)
        | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.PAYMENT, reverses__posted_on__gte=start)
    )


def payments_received(*, account: Account, start: datetime.date, end: datetime.date) -> Decimal:
    """Net money received on an account between two dates, both included."""
    total = _payment_entries(account, start, end).aggregate(
        s=Coalesce(-Sum("amount"), Value(ZERO), output_field=_AMOUNT)
    )["s"]
    return Decimal(total).quantize(Decimal("0.01"))  # SQLite sums decimals as floats


@transaction.atomic
def promise_create(
    *,
    account: Account,
    amount: Decimal,
    due_on: datetime.date,
    created_by=None,
    note: str = "",
    today: datetime.date | None = None,
) -> Promise:
    account = account_lock(account.pk)
    today = today or timezone.localdate()
    amount_validate(amount, account.currency, "The promised amount")
    if amount > account.balance:
        raise DomainError(
            f"The promise ({amount}) is more than the balance ({account.balance} {account.currency}).",
            code="promise_exceeds_balance",
            field="amount",
        )
    if not isinstance(due_on, datetime.date) or due_on < today:
        raise DomainError("The promise date cannot be in the past.", code="invalid_date", field="due_on")
    if due_on > today + datetime.timedelta(days=90):
        raise DomainError(
            "A promise more than 90 days away is an arrangement: set one up instead.",
            code="promise_too_far",
            field="due_on",
        )
    if account.promises.filter(status=PromiseStatus.PENDING).exists():
        raise DomainError(
            "This account already has a pending promise: record the outcome of that one first.", code="promise_pending"
        )
    grace = grace_days_default()
    promise = Promise.objects.create(
        account=account,
        amount=amount,
        due_on=due_on,
        created_on=today,
        grace_days=grace,
        window_ends_on=due_on + datetime.timedelta(days=grace),
        note=note,
        created_by=created_by,
    )
    account.next_action_on = due_on
    account.save(update_fields=["next_action_on", "changed_at"])
    audit_record(
        action="promise.create",
        actor=created_by,
        obj=promise,
        account_id=account.pk,
        after={"amount": amount, "due_on": due_on},
    )
    return promise


def _start_on_check(start_on, today: datetime.date) -> None:
    if not isinstance(start_on, datetime.date) or start_on < today:
        raise DomainError(
            "The first instalment cannot be in the past: choose today or a later day.",
            code="invalid_date",
            field="start_on",
        )


def arrangement_schedule(
    *,
    total: Decimal,
    count: int,
    frequency: str,
    start_on: datetime.date,
    currency: str = "USD",
    today: datetime.date | None = None,
) -> list[tuple[datetime.date, Decimal]]:
    """Equal instalments; the rounding difference goes on the last one so the sum is exact.

    A first date in the past is refused here too, so that no preview shows a plan that could not be made.
    """
    _start_on_check(start_on, today or timezone.localdate())
    if not isinstance(count, int) or not 1 <= count <= MAX_INSTALMENTS:
        raise DomainError(
            f"The number of instalments must be between 1 and {MAX_INSTALMENTS}.", code="invalid_count", field="count"
        )
    amount_validate(total, currency, "The total", field="total_amount")
    if frequency not in Frequency.values:
        raise DomainError("Choose weekly, every two weeks or monthly.", code="invalid_frequency", field="frequency")
    each = money(total / count, currency)
    if total - each * (count - 1) <= 0:
        # Rounding up would leave nothing for the last one: round down, the last takes the rest.
        places = Decimal(1).scaleb(-currency_places(currency))
        each = (total / count).quantize(places, rounding=ROUND_DOWN).quantize(Decimal("0.01"))
    if each <= 0:
        raise DomainError(
            "The total is too small for that many instalments.", code="invalid_amount", field="total_amount"
        )
    dates = []
    for i in range(count):
        if frequency == Frequency.WEEKLY:
            dates.append(start_on + datetime.timedelta(weeks=i))
        elif frequency == Frequency.FORTNIGHTLY:
            dates.append(start_on + datetime.timedelta(weeks=2 * i))
        else:
            dates.append(start_on + relativedelta(months=i))
    amounts = [each] * (count - 1) + [total - each * (count - 1)]
    if amounts[-1] <= 0:
        raise DomainError(
            "The total is too small for that many instalments.", code="invalid_amount", field="total_amount"
        )
    return list(zip(dates, amounts, strict=True))


@transaction.atomic
def arrangement_create(
    *,
    account: Account,
    total_amount: Decimal,
    count: int,
    frequency: str,
    start_on: datetime.date,
    created_by=None,
    missed_allowed: int = 1,
    today: datetime.date | None = None,
) -> Arrangement:
    account = account_lock(account.pk)
    today = today or timezone.localdate()
    if isinstance(total_amount, Decimal) and total_amount > account.balance:
        raise DomainError(
            f"The arrangement ({total_amount}) is more than the balance ({account.balance} {account.currency}).",
            code="arrangement_exceeds_balance",
            field="total_amount",
        )
    schedule = arrangement_schedule(
        total=total_amount,
        count=count,
        frequency=frequency,
        start_on=start_on,
        currency=account.currency,
        today=today,
    )
    if account.arrangements.filter(status=PlanStatus.ACTIVE).exists():
        raise DomainError("This account already has an active arrangement: cancel it first.", code="arrangement_active")
    arrangement = Arrangement.objects.create(
        account=account,
        total_amount=total_amount,
        frequency=frequency,
        start_on=start_on,
        created_on=today,
        grace_days=grace_days_default(),
        missed_allowed=missed_allowed,
        created_by=created_by,
    )
    Instalment.objects.bulk_create(
        Instalment(arrangement=arrangement, sequence=i + 1, due_on=due_on, amount=amount)
        for i, (due_on, amount) in enumerate(schedule)
    )
    before = account.status
    if account.status == AccountStatus.ACTIVE:
        account.status = AccountStatus.IN_ARRANGEMENT
    account.next_action_on = start_on
    account.save(update_fields=["status", "next_action_on", "changed_at"])
    audit_record(
        action="arrangement.create",
        actor=created_by,
        obj=arrangement,
        account_id=account.pk,
        before={"status": before},
        after={"total": total_amount, "count": count, "frequency": frequency, "start_on": start_on},
    )
    return arrangement


@transaction.atomic
def arrangement_cancel(*, arrangement: Arrangement, cancelled_by=None, today: datetime.date | None = None) -> None:
    account = account_lock(arrangement.account_id)
    arrangement = Arrangement.objects.select_for_update().get(pk=arrangement.pk)
    if arrangement.status != PlanStatus.ACTIVE:
        raise DomainError("Only an active arrangement can be cancelled.", code="arrangement_not_active")
    _arrangement_close(arrangement, account, PlanStatus.CANCELLED, today or timezone.localdate())
    audit_record(action="arrangement.cancel", actor=cancelled_by, obj=arrangement, account_id=account.pk)


def _arrangement_close(arrangement: Arrangement, account: Account, status: str, today: datetime.date) -> None:
    arrangement.status = status
    arrangement.resolved_on = today
    arrangement.save(update_fields=["status", "resolved_on"])
    arrangement.instalments.filter(status=Instalment.Status.PENDING).update(
        status=Instalment.Status.CANCELLED if status != PlanStatus.COMPLETED else Instalment.Status.KEPT
    )
    if account.status == AccountStatus.IN_ARRANGEMENT:
        account.status = AccountStatus.ACTIVE if account.balance > 0 else AccountStatus.PAID
        account.save(update_fields=["status", "changed_at"])


def _arrangement_evaluate(arrangement: Arrangement, account: Account, today: datetime.date) -> None:
    """Instalment i is kept when payments since the plan began cover instalments 1..i by its date
    plus grace; missed when that date has passed uncovered."""
    instalments = list(arrangement.instalments.order_by("sequence"))
    cumulative_due = ZERO
    missed = 0
    changed = []
    for instalment in instalments:
        cumulative_due += instalment.amount
        window_end = instalment.due_on + datetime.timedelta(days=arrangement.grace_days)
        paid = payments_received(account=account, start=arrangement.created_on, end=min(window_end, today))
        if paid >= cumulative_due:
            status = Instalment.Status.KEPT
        elif today > window_end:
            status = Instalment.Status.MISSED
        else:
            status = Instalment.Status.PENDING
        if status == Instalment.Status.MISSED:
            missed += 1
        if status != instalment.status:
            instalment.status = status
            changed.append(instalment)
    Instalment.objects.bulk_update(changed, ["status"])
    if missed > arrangement.missed_allowed:
        _arrangement_close(arrangement, account, PlanStatus.BROKEN, today)
        audit_record(
            action="arrangement.broken", obj=arrangement, account_id=account.pk, detail=f"{missed} instalments missed"
        )
    elif instalments and instalments[-1].status == Instalment.Status.KEPT:
        # Kept is cumulative: the last instalment kept means the whole plan is paid, a tolerated miss or not.
        _arrangement_close(arrangement, account, PlanStatus.COMPLETED, today)
        audit_record(action="arrangement.completed", obj=arrangement, account_id=account.pk)


@transaction.atomic
def plans_evaluate(*, account: Account, today: datetime.date) -> None:
    """Judge one account's pending promises and active arrangement (called after each payment)."""
    account = account_lock(account.pk)
    for promise in account.promises.filter(status=PromiseStatus.PENDING):
        paid = payments_received(account=account, start=promise.created_on, end=min(promise.window_ends_on, today))
        if paid >= promise.amount:
            _promise_resolve(promise, PromiseStatus.KEPT, today)
        elif today > promise.window_ends_on:
            _promise_resolve(promise, PromiseStatus.BROKEN, today)
    for arrangement in account.arrangements.filter(status=PlanStatus.ACTIVE):
        _arrangement_evaluate(arrangement, account, today)


def _promise_resolve(promise: Promise, status: str, today: datetime.date) -> None:
    promise.status = status
    promise.resolved_on = today
    promise.save(update_fields=["status", "resolved_on"])
    Account.objects.filter(pk=promise.account_id).update(changed_at=timezone.now())
    audit_record(action=f"promise.{status}", obj=promise, account_id=promise.account_id)


def plans_evaluate_all(*, today: datetime.date) -> dict:
    """The nightly judgement. Promises in one set-based pass; arrangements with a date passed."""
    # Rounded in SQL: SQLite sums decimals as floats.
    paid = Round(
        Coalesce(
            Subquery(
                _payment_entries(OuterRef("account"), OuterRef("created_on"), OuterRef("window_ends_on"))
                .values("account")
                .annotate(s=-Sum("amount"))
                .values("s"),
                output_field=_AMOUNT,
            ),
            Value(ZERO),
        ),
        2,
    )
    pending = Promise.objects.filter(status=PromiseStatus.PENDING).annotate(paid=paid)
    with transaction.atomic():
        kept_ids = list(pending.filter(paid__gte=F("amount")).values_list("id", flat=True))
        broken_ids = list(pending.filter(paid__lt=F("amount"), window_ends_on__lt=today).values_list("id", flat=True))
        Promise.objects.filter(id__in=kept_ids).update(status=PromiseStatus.KEPT, resolved_on=today)
        Promise.objects.filter(id__in=broken_ids).update(status=PromiseStatus.BROKEN, resolved_on=today)
        touched = Promise.objects.filter(id__in=kept_ids + broken_ids).values("account_id")
        Account.objects.filter(id__in=touched).update(changed_at=timezone.now())
    arrangements = 0
    due = (
        Arrangement.objects.filter(
            status=PlanStatus.ACTIVE,
            instalments__status=Instalment.Status.PENDING,
            instalments__due_on__lt=today,
        )
        .distinct()
        .values_list("id", flat=True)
    )
    for arrangement_id in due.iterator():
        with transaction.atomic():
            arrangement = Arrangement.objects.select_related("account").get(pk=arrangement_id)
            account = account_lock(arrangement.account_id)
            _arrangement_evaluate(arrangement, account, today)
            arrangements += 1
    return {"promises_kept": len(kept_ids), "promises_broken": len(broken_ids), "arrangements": arrangements}
