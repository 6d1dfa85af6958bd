"""Writes to the ledger: invoices, payments, adjustments, reversals, and the balance caches.

Every function locks the account row first, so two payments posted at once on one account
serialise and the caches stay equal to the ledger.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Sum
from django.utils import timezone

from compliance.audit import audit_record

from ..allocation import OpenInvoice, allocate
from ..errors import DomainError
from ..models import (
    Account,
    AccountStatus,
    Allocation,
    Arrangement,
    EntryKind,
    Invoice,
    LedgerEntry,
    PlanStatus,
    Promise,
    PromiseStatus,
)
from ..models.ledger import CREDIT_KINDS, DEBIT_KINDS
from ..money import MAX_AMOUNT, ZERO, fits_currency
from ..selectors import account_caches_derived, credit_remainders, invoice_open_derived

# Statuses in which a zero balance means the account is paid, and a positive one that it is open.
_OPEN_STATUSES = {AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT}
_AMOUNT = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")


def account_lock(account_id: int) -> Account:
    return Account.objects.select_for_update().get(pk=account_id)


def accounts_for_credit(accounts=None):
    """Accounts (of `accounts`, a scope such as `accounts_visible_to`; all by default) to lock for a credit, with
    whether each has a promise or an arrangement for the credit to keep: read with the lock, so that
    most payments (on accounts with neither) skip plans_evaluate's queries. Both are created under
    this lock, so none can appear before the payment commits. `.get(pk=…)` inside a transaction."""
    promises = Promise.objects.filter(account=OuterRef("pk"), status=PromiseStatus.PENDING)
    arrangements = Arrangement.objects.filter(account=OuterRef("pk"), status=PlanStatus.ACTIVE)
    return (
        (Account.objects.all() if accounts is None else accounts)
        .select_for_update(of=("self",))
        .annotate(has_promise=Exists(promises), has_arrangement=Exists(arrangements))
    )


def amount_validate(amount: Decimal, currency: str, what: str = "The amount", field: str = "amount") -> Decimal:
    """Refuse anything but a positive Decimal that the currency and the amount columns can hold."""
    if not isinstance(amount, Decimal):
        raise DomainError(f"{what} must be a decimal amount.", code="invalid_amount", field=field)
    if not amount.is_finite() or amount <= 0:
        raise DomainError(f"{what} must be more than zero.", code="invalid_amount", field=field)
    if not fits_currency(amount, currency):
        raise DomainError(f"{what} has more decimal places than {currency} allows.", code="invalid_amount", field=field)
    if amount >= MAX_AMOUNT:
        raise DomainError(f"{what} is too large.", code="invalid_amount", field=field)
    return amount


def latest_business_date() -> datetime.date:
    """The latest date money may be dated. One day of slack: a payer ahead of the department's
    time zone may already be in tomorrow."""
    return timezone.localdate() + datetime.timedelta(days=1)


def account_status_after(balance: Decimal, status: str) -> str:
    """The status an account takes when its balance changes: paid at zero, open again above it."""
    if balance <= 0 and status in _OPEN_STATUSES:
        return AccountStatus.PAID
    if balance > 0 and status == AccountStatus.PAID:
        return AccountStatus.ACTIVE
    return status


def _validate_business_date(value: datetime.date, field: str, label: str) -> None:
    if not isinstance(value, datetime.date):
        raise DomainError(f"{label} must be a date.", code="invalid_date", field=field)
    if value > latest_business_date():
        raise DomainError(f"{label} cannot be in the future.", code="future_date", field=field)


def account_refresh(account: Account) -> Account:
    """Re-derive the account's caches from its ledger (one query) and its status."""
    derived = (
        Account.objects.filter(pk=account.pk)
        .annotate(**account_caches_derived())
        .values("derived_balance", "derived_open", "derived_oldest")[0]
    )
    # Quantized: SQLite hands sums back as floats.
    account.balance = Decimal(derived["derived_balance"]).quantize(CENT)
    account.unapplied_credit = Decimal(derived["derived_open"]).quantize(CENT) - account.balance
    account.oldest_open_due_on = derived["derived_oldest"]
    account.status = account_status_after(account.balance, account.status)
    account.save(update_fields=["balance", "unapplied_credit", "oldest_open_due_on", "status", "changed_at"])
    return account


def _credits_apply(account: Account, new_credit: LedgerEntry | None = None) -> list[OpenInvoice]:
    """Apply every unapplied credit (oldest first) to open invoices (oldest due first); returns the
    invoices that were open, with their open amounts after.

    `new_credit`: a credit just posted on an account whose (locked) cache held no unapplied credit, so
    the only credit with money left to apply: the query for the others is spared.
    """
    open_invoices = [
        OpenInvoice(inv.id, inv.due_on, inv.issued_on, inv.open_amount)
        for inv in account.invoices.select_for_update().filter(open_amount__gt=0)
    ]
    if not open_invoices:
        return open_invoices
    issued = {inv.id: inv.issued_on for inv in open_invoices}
    if new_credit is not None:
        credits = [(new_credit, -new_credit.amount)]
    else:
        credits = ((entry, entry.remainder) for entry in credit_remainders(account.entries.all()))
    new_allocations = []
    for entry, remainder in credits:
        for invoice_id, applied in allocate(remainder, open_invoices, named_invoice_id=entry.invoice_id):
            new_allocations.append(
                Allocation(
                    entry=entry,
                    invoice_id=invoice_id,
                    amount=applied,
                    applied_on=max(entry.posted_on, issued[invoice_id]),
                )
            )
    if not new_allocations:
        return open_invoices
    Allocation.objects.bulk_create(new_allocations)
    by_id = {inv.id: inv for inv in open_invoices}
    paid = {a.invoice_id for a in new_allocations}
    if len(paid) == 1:  # most payments: a plain UPDATE costs less to build than bulk_update's CASE
        (invoice_id,) = paid
        Invoice.objects.filter(pk=invoice_id).update(open_amount=by_id[invoice_id].open_amount)
    else:
        Invoice.objects.bulk_update([Invoice(id=i, open_amount=by_id[i].open_amount) for i in paid], ["open_amount"])
    return open_invoices


def _caches_after_credit(account: Account, entry: LedgerEntry, open_invoices: list[OpenInvoice]) -> None:
    """The account's caches after a credit, from what the locked posting already holds (the cached
    balance and every invoice that was open, as _credits_apply left it): account_refresh's figures
    without its query over the ledger, the heaviest of a payment's."""
    still_open = [inv for inv in open_invoices if inv.open_amount > 0]
    account.balance = (account.balance + entry.amount).quantize(CENT)
    account.unapplied_credit = sum((inv.open_amount for inv in still_open), ZERO).quantize(CENT) - account.balance
    account.oldest_open_due_on = min((inv.due_on for inv in still_open), default=None)
    account.status = account_status_after(account.balance, account.status)
    account.save(update_fields=["balance", "unapplied_credit", "oldest_open_due_on", "status", "changed_at"])


def _existing_by_external_id(
    account: Account, kind: str, external_id: str | None, amount: Decimal, posted_on: datetime.date
) -> LedgerEntry | None:
    """The same external id posted again returns the first entry; a different one is refused."""
    if not external_id:
        return None
    # With its reversal, if any: the API answers a repost from this entry.
    existing = account.entries.filter(kind=kind, external_id=external_id).select_related("reversed_by").first()
    if existing is None:
        return None
    if existing.amount != amount or existing.posted_on != posted_on:
        raise DomainError(
            f"{external_id} was already posted on this account with another amount or date.",
            code="duplicate_external_id",
            field="external_id",
        )
    return existing


def _named_invoice(account: Account, invoice: Invoice | None) -> Invoice | None:
    if invoice is not None and invoice.account_id != account.pk:
        raise DomainError("That invoice belongs to another account.", code="invoice_not_on_account", field="invoice")
    return invoice


@transaction.atomic
def invoice_create(
    *,
    account: Account,
    amount: Decimal,
    issued_on: datetime.date,
    due_on: datetime.date,
    external_id: str | None = None,
    description: str = "",
    created_by=None,
    kind: str = EntryKind.CHARGE,
) -> Invoice:
    """Raise an invoice and post its charge (or a fee or interest, which are invoices of their own)."""
    account = account_lock(account.pk)
    amount = amount_validate(amount, account.currency)
    _validate_business_date(issued_on, "issued_on", "The issue date")
    if not isinstance(due_on, datetime.date) or due_on < issued_on:
        raise DomainError("The due date cannot be before the issue date.", code="invalid_date", field="due_on")
    if kind not in DEBIT_KINDS:
        raise DomainError("An invoice is a charge, a fee or interest.", code="invalid_kind", field="kind")
    if external_id:
        existing = account.invoices.filter(external_id=external_id).first()
        if existing is not None:
            if (existing.amount, existing.issued_on, existing.due_on) != (amount, issued_on, due_on):
                raise DomainError(
                    f"Invoice {external_id} already exists on this account with other figures.",
                    code="duplicate_external_id",
                    field="external_id",
                )
            return existing
    invoice = Invoice.objects.create(
        account=account,
        external_id=external_id or None,
        issued_on=issued_on,
        due_on=due_on,
        amount=amount,
        open_amount=amount,
        description=description,
    )
    LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        posted_on=issued_on,
        invoice=invoice,
        external_id=external_id or None,
        created_by=created_by,
    )
    _credits_apply(account)
    account_refresh(account)
    audit_record(
        action=f"ledger.{kind}",
        actor=created_by,
        obj=invoice,
        account_id=account.pk,
        after={"amount": amount, "issued_on": issued_on, "due_on": due_on},
    )
    return invoice


def credit_post(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    posted_on: datetime.date,
    external_id: str | None = None,
    invoice: Invoice | None = None,
    method: str = "",
    note: str = "",
    created_by=None,
    locked: bool = False,
) -> LedgerEntry:
    """Post money that lowers the balance (payment, credit, write-off); `amount` is positive.

    `locked`: `account` comes from accounts_for_credit, locked in the caller's transaction (the API
    looks the account up that way), so it is not read again and no savepoint is taken: every refusal
    comes before the first write.
    """
    if not locked:
        with transaction.atomic():
            return credit_post(
                account=accounts_for_credit().get(pk=account.pk),
                kind=kind,
                amount=amount,
                posted_on=posted_on,
                external_id=external_id,
                invoice=invoice,
                method=method,
                note=note,
                created_by=created_by,
                locked=True,
            )
    if kind not in CREDIT_KINDS:
        raise DomainError("Only payments, credits and write-offs lower a balance.", code="invalid_kind")
    amount = amount_validate(amount, account.currency)
    _validate_business_date(posted_on, "posted_on", "The date")
    invoice = _named_invoice(account, invoice)
    existing = _existing_by_external_id(account, kind, external_id, -amount, posted_on)
    if existing is not None:
        return existing
    if kind == EntryKind.WRITE_OFF and amount > account.balance:
        raise DomainError(
            f"A write-off cannot exceed the balance ({account.balance} {account.currency}).",
            code="write_off_exceeds_balance",
            field="amount",
        )
    # No savepoint: a failure from here on spoils the caller's whole transaction, never half of it.
    with transaction.atomic(savepoint=False):
        entry = LedgerEntry.objects.create(
            account=account,
            kind=kind,
            amount=-amount,
            posted_on=posted_on,
            invoice=invoice,
            external_id=external_id or None,
            method=method,
            note=note,
            created_by=created_by,
        )
        # A new entry has no reversal (reversing locks this account): known, so reading it costs no query.
        LedgerEntry._meta.get_field("reversed_by").set_cached_value(entry, None)
        before = {"balance": account.balance, "status": account.status}
        open_invoices = _credits_apply(account, new_credit=entry if account.unapplied_credit == 0 else None)
        _caches_after_credit(account, entry, open_invoices)
        if kind == EntryKind.WRITE_OFF and account.balance <= 0:
            account.status = AccountStatus.WRITTEN_OFF
            account.save(update_fields=["status", "changed_at"])
        audit_record(
            action=f"ledger.{kind}",
            actor=created_by,
            obj=entry,
            account_id=account.pk,
            before=before,
            after={"amount": amount, "posted_on": posted_on, "balance": account.balance, "status": account.status},
        )
        if account.has_promise or account.has_arrangement:
            from .plans import plans_evaluate  # here, not at the top: plans imports this module

            plans_evaluate(account=account, today=timezone.localdate())
        return entry


def payment_post(
    *,
    account: Account,
    amount: Decimal,
    received_on: datetime.date,
    method: str = "other",
    external_id: str | None = None,
    invoice: Invoice | None = None,
    note: str = "",
    created_by=None,
    locked: bool = False,
) -> LedgerEntry:
    """Record a payment received; allocated to the named invoice, then oldest due first (`locked`: see
    credit_post)."""
    return credit_post(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=amount,
        posted_on=received_on,
        external_id=external_id,
        invoice=invoice,
        method=method,
        note=note,
        created_by=created_by,
        locked=locked,
    )


def adjustment_post(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    posted_on: datetime.date,
    external_id: str | None = None,
    invoice: Invoice | None = None,
    note: str = "",
    created_by=None,
):
    """An adjustment as in adjustments.csv: `amount` is signed (negative lowers the balance).

    Credits and write-offs must be negative; fees and interest positive and become invoices of
    their own, due on the day they are posted.
    """
    if kind in (EntryKind.CREDIT, EntryKind.WRITE_OFF):
        if not isinstance(amount, Decimal) or amount >= 0:
            raise DomainError(
                f"A {kind.replace('_', '-')} lowers the balance: give a negative amount.",
                code="invalid_amount",
                field="amount",
            )
        return credit_post(
            account=account,
            kind=kind,
            amount=-amount,
            posted_on=posted_on,
            external_id=external_id,
            invoice=invoice,
            note=note,
            created_by=created_by,
        )
    if kind in (EntryKind.FEE, EntryKind.INTEREST):
        if not isinstance(amount, Decimal) or amount <= 0:
            raise DomainError(
                f"{kind.capitalize()} raises the balance: give a positive amount.",
                code="invalid_amount",
                field="amount",
            )
        description = f"{kind.capitalize()}" + (f" on invoice {invoice.external_id or invoice.pk}" if invoice else "")
        return invoice_create(
            account=account,
            amount=amount,
            issued_on=posted_on,
            due_on=posted_on,
            external_id=external_id,
            description=description,
            created_by=created_by,
            kind=kind,
        )
    raise DomainError(
        "The kind of adjustment must be credit, fee, interest or write_off.", code="invalid_kind", field="kind"
    )


@transaction.atomic
def entry_reverse(
    *, entry: LedgerEntry, reason: str, posted_on: datetime.date | None = None, created_by=None
) -> LedgerEntry:
    """Reverse an entry (a returned payment, a bounced cheque, a charge raised in error).

    A reversed payment reopens exactly the invoices it had paid, by the amounts it had paid them.
    """
    account = account_lock(entry.account_id)
    entry = LedgerEntry.objects.select_related("invoice").get(pk=entry.pk)
    posted_on = posted_on or timezone.localdate()
    _validate_business_date(posted_on, "posted_on", "The reversal date")
    if not reason or not reason.strip():
        raise DomainError("Say why the entry is reversed.", code="reason_required", field="reason")
    if entry.kind == EntryKind.REVERSAL:
        raise DomainError(
            "A reversal cannot itself be reversed: post the entry again instead.", code="cannot_reverse_reversal"
        )
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise DomainError("This entry has already been reversed.", code="already_reversed")
    if posted_on < entry.posted_on:
        raise DomainError(
            "A reversal cannot be dated before the entry it reverses.", code="invalid_date", field="posted_on"
        )
    before = {"balance": account.balance, "status": account.status}
    reversal = LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.REVERSAL,
        amount=-entry.amount,
        posted_on=posted_on,
        reverses=entry,
        note=reason.strip()[:200],
        created_by=created_by,
    )
    if entry.kind in CREDIT_KINDS:
        paid = (
            entry.allocations.values("invoice_id").annotate(net=Sum("amount")).filter(net__gt=0).order_by("invoice_id")
        )
        reopen = [
            Allocation(entry=reversal, invoice_id=row["invoice_id"], amount=-row["net"], applied_on=posted_on)
            for row in paid
        ]
        Allocation.objects.bulk_create(reopen)
        if reopen:
            invoices = {
                inv.id: inv for inv in Invoice.objects.select_for_update().filter(id__in=[a.invoice_id for a in reopen])
            }
            for allocation in reopen:
                invoices[allocation.invoice_id].open_amount -= allocation.amount
            Invoice.objects.bulk_update(invoices.values(), ["open_amount"])
    else:
        invoice = Invoice.objects.select_for_update().get(pk=entry.invoice_id)
        if invoice.open_amount != invoice.amount:
            raise DomainError(
                "Money has been applied to this invoice: reverse those payments first.", code="invoice_has_payments"
            )
        Allocation.objects.create(entry=reversal, invoice=invoice, amount=invoice.amount, applied_on=posted_on)
        invoice.open_amount = ZERO
        invoice.save(update_fields=["open_amount"])
    _credits_apply(account)
    if account.status == AccountStatus.WRITTEN_OFF and entry.kind == EntryKind.WRITE_OFF:
        account.status = AccountStatus.ACTIVE
    account_refresh(account)
    audit_record(
        action="ledger.reversal",
        actor=created_by,
        obj=reversal,
        account_id=account.pk,
        before=before,
        after={"reverses": entry.pk, "amount": reversal.amount, "balance": account.balance},
        detail=reason.strip(),
    )
    return reversal


def accounts_refresh_caches(account_ids) -> int:
    """Set-based re-derivation of invoice open amounts and account caches (import, repair).

    One UPDATE per table for the whole set; callers chunk very large sets by id range.
    """
    ids = list(account_ids)
    if not ids:
        return 0
    Invoice.objects.filter(account_id__in=ids).update(open_amount=invoice_open_derived())
    derived = account_caches_derived()
    updated = Account.objects.filter(id__in=ids).update(
        balance=derived["derived_balance"],
        unapplied_credit=derived["derived_open"] - derived["derived_balance"],
        oldest_open_due_on=derived["derived_oldest"],
        changed_at=timezone.now(),
    )
    Account.objects.filter(id__in=ids, balance__lte=0, status__in=list(_OPEN_STATUSES)).update(
        status=AccountStatus.PAID
    )
    Account.objects.filter(Q(id__in=ids), balance__gt=0, status=AccountStatus.PAID).update(status=AccountStatus.ACTIVE)
    return updated
