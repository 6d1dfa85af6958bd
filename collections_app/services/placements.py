"""Placing one account with us (the API's counterpart of a line of accounts.csv)."""

import datetime

from django.db import transaction

from compliance.audit import audit_record

from ..errors import DomainError
from ..models import Account, AssignmentReason, Creditor, Debtor
from ..money import is_currency
from .assignments import account_assign


@transaction.atomic
def account_place(
    *,
    external_id: str,
    debtor: Debtor,
    creditor: Creditor,
    currency: str,
    opened_on: datetime.date,
    placed_on: datetime.date | None = None,
    product: str = "",
    segment: str = "",
    collector=None,
    created_by=None,
) -> Account:
    """Create a receivable account of a debtor for a creditor, optionally assigned to a collector.

    Its balance starts at zero: the money comes as invoices (invoice_create), as in an import.
    """
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainError("Give the account's external id.", code="required", field="external_id")
    if not is_currency(currency):
        raise DomainError(
            f"'{currency}' is not an ISO 4217 currency code (like USD).", code="invalid_currency", field="currency"
        )
    if placed_on is not None and placed_on < opened_on:
        raise DomainError("An account cannot be placed before it was opened.", code="invalid_date", field="placed_on")
    if Account.objects.filter(external_id=external_id).exists():
        raise DomainError(
            f"An account with external id {external_id} already exists.",
            code="duplicate_external_id",
            field="external_id",
        )
    account = Account(
        external_id=external_id,
        debtor=debtor,
        creditor=creditor,
        currency=currency,
        opened_on=opened_on,
        placed_on=placed_on,
        product=product,
        segment=segment,
    )
    account.full_clean()
    account.save()
    audit_record(
        action="account.placed",
        actor=created_by,
        obj=account,
        after={"external_id": external_id, "debtor": debtor.external_id, "creditor": creditor.name},
    )
    if collector is not None:
        account = account_assign(
            account=account, collector=collector, reason=AssignmentReason.IMPORT, assigned_by=created_by
        )
    return account
