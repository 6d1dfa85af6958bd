"""How a payment or credit is spread over invoices: pure functions, shared by services and import.

Named invoice first; the rest (or all, when none is named) to open invoices oldest due date first,
ties by oldest issue date, then id (KPIS.md). What is left over stays an unapplied credit.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO


@dataclass
class OpenInvoice:
    id: int
    due_on: datetime.date
    issued_on: datetime.date
    open_amount: Decimal


def allocation_order(invoice: OpenInvoice) -> tuple:
    return (invoice.due_on, invoice.issued_on, invoice.id)


def allocate(
    amount: Decimal, invoices: list[OpenInvoice], named_invoice_id: int | None = None
) -> list[tuple[int, Decimal]]:
    """Spread `amount` (positive) over `invoices`; returns (invoice id, amount) pairs.

    Mutates each OpenInvoice's open_amount so that a caller can allocate several payments in turn
    against the same list (the import does). Never allocates more than an invoice's open amount.
    """
    remaining = amount
    result: list[tuple[int, Decimal]] = []
    ordered = sorted(invoices, key=allocation_order)
    if named_invoice_id is not None:
        ordered.sort(key=lambda inv: inv.id != named_invoice_id)  # stable: named first, then oldest
    for invoice in ordered:
        if remaining <= ZERO:
            break
        if invoice.open_amount <= ZERO:
            continue
        applied = min(remaining, invoice.open_amount)
        invoice.open_amount -= applied
        remaining -= applied
        result.append((invoice.id, applied))
    return result
