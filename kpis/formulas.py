"""The KPI formulas of KPIS.md as pure functions over Decimal inputs.

A division by zero yields None (no figure), never 0 or an error. Rounding to two places happens
only where a figure is presented, so these return exact Decimals.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def dso_standard(*, ending_ar: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """AR(e) / credit sales(P) × N (multiplied first, so exact cases stay exact)."""
    return _ratio(Decimal(ending_ar) * days, credit_sales)


def dso_countback(*, ending_ar: Decimal, monthly_sales: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """Walk back month by month (newest first: (sales, days in month)); see KPIS.md.

    While the remaining AR covers a month's sales, subtract them and add the month's days; then
    add remaining / that month's sales × its days. None when AR outruns every month given or a
    month with no sales stops the walk with AR left over.
    """
    return countback_walk(ending_ar, monthly_sales)[0]


def countback_walk(ending_ar: Decimal, monthly_sales: Sequence[tuple[Decimal, int]]) -> tuple[Decimal | None, int]:
    """The countback DSO and how many months its walk read: one more than given when AR outran them all
    (so a reader of the ledger knows whether older months would change the figure)."""
    remaining = Decimal(ending_ar)
    total_days = Decimal(0)
    if remaining <= 0:
        return Decimal(0), 0
    for read, (sales, days) in enumerate(monthly_sales, start=1):
        sales = Decimal(sales)
        if remaining >= sales and sales > 0:
            remaining -= sales
            total_days += days
            if remaining == 0:
                return total_days, read
            continue
        if sales <= 0:
            return None, read
        return total_days + remaining / sales * days, read
    return None, len(monthly_sales) + 1


def best_possible_dso(*, current_ar: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    return _ratio(Decimal(current_ar) * days, credit_sales)


def average_days_delinquent(*, dso: Decimal | None, best_dso: Decimal | None) -> Decimal | None:
    if dso is None or best_dso is None:
        return None
    return dso - best_dso


def cei(
    *, beginning_ar: Decimal, credit_sales: Decimal, ending_ar: Decimal, ending_current_ar: Decimal, months: int = 1
) -> Decimal | None:
    """Collection effectiveness index in percent. With months > 1, the CRF variant (sales per month)."""
    sales = Decimal(credit_sales) / months
    collectible = beginning_ar + sales
    ratio = _ratio(collectible - ending_ar, collectible - ending_current_ar)
    return None if ratio is None else ratio * 100


def collection_rate(*, payments: Decimal, beginning_ar: Decimal, credit_sales: Decimal) -> Decimal | None:
    ratio = _ratio(payments, beginning_ar + credit_sales)
    return None if ratio is None else ratio * 100


def rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """A share in percent (promise-kept rate, right-party-contact rate, roll-forward rate)."""
    ratio = _ratio(Decimal(part), Decimal(whole))
    return None if ratio is None else ratio * 100


def median(values: Sequence[Decimal | int]) -> Decimal | None:
    ordered = sorted(Decimal(v) for v in values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def round2(value: Decimal | None) -> float | None:
    """A rate or day count as presented: a number rounded half-up to two places, or None."""
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
