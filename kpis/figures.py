"""From the inputs of one group and currency to the KPIs of KPIS.md, as FORMATS.md presents them."""

import calendar
import datetime
from decimal import Decimal

from . import formulas as f
from .inputs import BUCKET_NAMES, BUCKETS, PAID, Inputs, month_start

COUNTBACK_MONTHS = 24


def period_days(start: datetime.date, end: datetime.date) -> int:
    return (end - start).days + 1


def period_months(start: datetime.date, end: datetime.date) -> int:
    """Months in P for the CRF variant: whole calendar months when P is made of them, else N / 30.44."""
    whole = start.day == 1 and (end + datetime.timedelta(days=1)).day == 1
    if whole:
        return (end.year - start.year) * 12 + end.month - start.month + 1
    return max(1, round(period_days(start, end) / 30.4375))


def countback_months(inputs: Inputs, end: datetime.date) -> list[tuple[Decimal, int]]:
    """(sales, days) newest first: the month of `end` up to `end`, then whole months before it."""
    months = []
    first = month_start(end)
    months.append((inputs.monthly_sales.get(first, Decimal(0)), end.day))
    for _ in range(COUNTBACK_MONTHS - 1):
        first = month_start(first - datetime.timedelta(days=1))
        days = calendar.monthrange(first.year, first.month)[1]
        months.append((inputs.monthly_sales.get(first, Decimal(0)), days))
    return months


def money_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def roll_forward(inputs: Inputs) -> dict:
    """Per bucket at the earlier month end: the share (%) of accounts and of balance in a worse bucket."""
    rates = {}
    for index, name in enumerate(BUCKETS):
        moves = [(to, value) for (frm, to), value in inputs.roll.items() if frm == index]
        accounts = sum(v[0] for _, v in moves)
        balance = sum((v[1] for _, v in moves), Decimal(0))
        worse = [(to, v) for to, v in moves if to != PAID and to > index]
        rates[name] = {
            "accounts": f.round2(f.rate(sum(v[0] for _, v in worse), accounts)),
            "balance": f.round2(f.rate(sum((v[1] for _, v in worse), Decimal(0)), balance)),
        }
    return rates


def figures(inputs: Inputs, start: datetime.date, end: datetime.date, currency: str | None) -> dict:
    """The FORMATS.md object of one group and currency (amounts as strings, rates as numbers or null)."""
    days = period_days(start, end)
    dso = f.dso_standard(ending_ar=inputs.ending_ar, credit_sales=inputs.credit_sales, days=days)
    best = f.best_possible_dso(current_ar=inputs.current_ar, credit_sales=inputs.credit_sales, days=days)
    cei_args = {
        "beginning_ar": inputs.beginning_ar,
        "credit_sales": inputs.credit_sales,
        "ending_ar": inputs.ending_ar,
        "ending_current_ar": inputs.current_ar,
    }
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "currency": currency,
        "days": days,
        "beginning_ar": money_text(inputs.beginning_ar),
        "ending_ar": money_text(inputs.ending_ar),
        "current_ar": money_text(inputs.current_ar),
        "credit_sales": money_text(inputs.credit_sales),
        "payments": money_text(inputs.payments),
        "dso": f.round2(dso),
        "dso_countback": f.round2(
            f.dso_countback(ending_ar=inputs.ending_ar, monthly_sales=countback_months(inputs, end))
        ),
        "best_possible_dso": f.round2(best),
        "add": f.round2(f.average_days_delinquent(dso=dso, best_dso=best)),
        "cei": f.round2(f.cei(**cei_args)),
        "cei_crf": f.round2(f.cei(**cei_args, months=period_months(start, end))),
        "collection_rate": f.round2(
            f.collection_rate(
                payments=inputs.payments, beginning_ar=inputs.beginning_ar, credit_sales=inputs.credit_sales
            )
        ),
        "aging": {
            name: {"amount": money_text(inputs.aging_amount[i]), "accounts": inputs.aging_accounts[i]}
            for i, name in enumerate(BUCKETS)
        },
        "roll_rates": {
            BUCKET_NAMES[frm]: {
                BUCKET_NAMES[to]: {
                    "accounts": inputs.roll.get((frm, to), [0, 0])[0],
                    "balance": money_text(inputs.roll.get((frm, to), [0, Decimal(0)])[1]),
                }
                for to in range(len(BUCKET_NAMES))
            }
            for frm in range(len(BUCKETS))
        },
        "promise_kept_rate": f.round2(f.rate(inputs.promises_kept, inputs.promises_due)),
        "right_party_contact_rate": f.round2(f.rate(inputs.right_party, inputs.calls)),
        "dispute_resolution_days": f.round2(f.median(list(inputs.dispute_days.elements()))),
        "written_off": money_text(inputs.written_off),
    }


FIELDS = [
    "start",
    "end",
    "currency",
    "days",
    "beginning_ar",
    "ending_ar",
    "current_ar",
    "credit_sales",
    "payments",
    "dso",
    "dso_countback",
    "best_possible_dso",
    "add",
    "cei",
    "cei_crf",
    "collection_rate",
    "aging",
    "roll_rates",
    "promise_kept_rate",
    "right_party_contact_rate",
    "dispute_resolution_days",
    "written_off",
]
