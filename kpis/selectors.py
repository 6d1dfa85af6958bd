"""Reads for the KPIs: their inputs per cell, straight from the ledger or from the rollup tables.

Every query is set-based over the whole portfolio and groups by cell (currency, creditor, segment,
collector); Python only adds cells up. The ledger queries are plain SQL that runs on PostgreSQL
and SQLite (3.30 or later, for FILTER) alike: dates are compared with bounds computed here (no date
arithmetic in SQL), and money is rounded to cents where SQLite's float sums need it (`cents` per
row, `dec` on reading).
"""

# ruff: noqa: S608 -- the SQL is assembled from table names and fixed fragments; every value is a parameter.

import datetime
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from collections_app.models import (
    Account,
    Activity,
    Allocation,
    Channel,
    Dispute,
    Invoice,
    LedgerEntry,
    Promise,
    PromiseStatus,
)
from collections_app.models.ledger import DEBIT_KINDS, EntryKind

from .figures import COUNTBACK_MONTHS, countback_months
from .formulas import countback_walk
from .inputs import (
    PAID,
    ZERO,
    Cell,
    Inputs,
    Names,
    dec,
    group_cells,
    last_month_end_on_or_before,
    month_start,
    previous_month_end,
)
from .models import KpiDaily, KpiDailyEvents, KpiRollRate

ACCOUNT = Account._meta.db_table
ENTRY = LedgerEntry._meta.db_table
INVOICE = Invoice._meta.db_table
ALLOCATION = Allocation._meta.db_table
# Days past due that start each bucket after "current" (KPIS.md): 1, 31, 61, 91, 121.
_BUCKET_STARTS = (1, 31, 61, 91, 121)


def day_cut(day: datetime.date) -> datetime.datetime:
    """The first moment after `day` in the department's time zone (events of `day` are before it)."""
    nxt = day + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(nxt, datetime.time.min))


def bucket_sql(column: str, name: str, on: datetime.date) -> tuple[str, dict]:
    """A CASE giving the bucket code (0 current ... 5 for 121+) of a due date at `on`, and its params."""
    params = {f"{name}_on": on}
    parts = [f"CASE WHEN {column} >= %({name}_on)s THEN 0"]
    for code, first_day in enumerate(_BUCKET_STARTS[1:], start=1):
        params[f"{name}_{code}"] = on - datetime.timedelta(days=first_day - 1)
        parts.append(f"WHEN {column} >= %({name}_{code})s THEN {code}")
    parts.append(f"ELSE {len(_BUCKET_STARTS)} END")
    return " ".join(parts), params


def cents(expr: str) -> str:
    """A money expression per row: exact on PostgreSQL (numeric); rounded to cents on SQLite, whose sums are floats."""
    return expr if connection.vendor == "postgresql" else f"ROUND({expr}, 2)"


def open_items_sql(name: str, on: datetime.date, accounts_sql: str = "") -> tuple[str, dict]:
    """Open invoices at `on`: (account_id, due_on, open_amount) with O(on) = A - allocations to `on`.

    Computed as O(on) = open_amount + allocations applied after `on`: the invoice's open amount is
    kept equal to A minus all its allocations by the ledger services, in the transaction that
    writes them (`reconcile_ledger` checks it). So only the allocations after `on` are read, not
    every allocation ever made: for a recent date a few days' worth (at 1,000,000 accounts the full
    sum per invoice took most of the report and of the rebuild).

    `accounts_sql`, when given, is a subquery of account ids that restricts the invoices.
    """
    only_accounts = f"AND i.account_id IN ({accounts_sql})" if accounts_sql else ""
    open_amount = cents("i.open_amount + COALESCE(x.applied_after, 0)")
    sql = f"""
        SELECT i.account_id AS account_id, i.due_on AS due_on, {open_amount} AS open_amount
        FROM {INVOICE} i
        LEFT JOIN (
            SELECT al.invoice_id AS invoice_id, SUM(al.amount) AS applied_after
            FROM {ALLOCATION} al
            WHERE al.applied_on > %({name})s
            GROUP BY al.invoice_id
        ) x ON x.invoice_id = i.id
        WHERE i.issued_on <= %({name})s {only_accounts}
          AND (i.open_amount > 0 OR x.invoice_id IS NOT NULL) AND {open_amount} > 0
    """
    return sql, {name: on}


def fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def row_cell(row) -> Cell:
    """The cell of a row that starts with currency, creditor, segment and collector."""
    return (row[0], row[1], row[2] or "", row[3])


def countback_ranges(end: datetime.date, months: int = COUNTBACK_MONTHS) -> list[tuple]:
    """(first day, last day) of the month of `end` up to `end`, then of each whole month before it."""
    ranges = [(month_start(end), end)]
    for _ in range(months - 1):
        last = ranges[-1][0] - datetime.timedelta(days=1)
        ranges.append((month_start(last), last))
    return ranges


def empty_aging() -> dict:
    return {"amount": [ZERO] * 6, "accounts": [0] * 6}


# --- Flows: credit sales, payments and write-offs in a period ------------------------------------


# The cell of a ledger entry, as values() keywords, and back to a Cell.
_ENTRY_CELL = {
    "currency": F("account__currency"),
    "creditor_id": F("account__creditor_id"),
    "seg": F("account__segment"),
    "collector_id": F("account__assigned_to_id"),
}


def _entry_cell(row) -> Cell:
    return (row["currency"], row["creditor_id"], row["seg"] or "", row["collector_id"])


def _reversed_flows(entries, *group):
    """Reversals of payments and write-offs among `entries`, summed per cell (and `group`): rows with
    "name" (payments or written_off) and "s" (their sum, of the sign that lowers that figure)."""
    rows = (
        entries.filter(kind=EntryKind.REVERSAL, reverses__kind__in=[EntryKind.PAYMENT, EntryKind.WRITE_OFF])
        .values(*group, reversed_kind=F("reverses__kind"), **_ENTRY_CELL)
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for row in rows:
        row["name"] = "payments" if row["reversed_kind"] == EntryKind.PAYMENT else "written_off"
        yield row


def ledger_flows(start: datetime.date, end: datetime.date, by_day: bool = False) -> dict:
    """Per cell (and day when `by_day`): credit sales, net payments and net write-offs from start to end.

    Credit sales are the invoices issued (charges, fees, interest: each is an invoice). Payments and
    write-offs are net of their reversals posted in the period (a returned payment lowers the
    payments of the day it is returned), so that days add up to any period.
    """
    day = ["posted_on"] if by_day else []
    base = LedgerEntry.objects.filter(posted_on__gte=start, posted_on__lte=end)
    result: dict = {}

    def slot(row):
        key = (row["posted_on"], _entry_cell(row)) if by_day else _entry_cell(row)
        return result.setdefault(key, {"credit_sales": dec(0), "payments": dec(0), "written_off": dec(0)})

    direct = (
        base.filter(kind__in=[*DEBIT_KINDS, EntryKind.PAYMENT, EntryKind.WRITE_OFF])
        .values(*day, "kind", **_ENTRY_CELL)
        .annotate(s=Sum("amount"))
        .order_by()
    )
    for row in direct:
        figures = slot(row)
        if row["kind"] in DEBIT_KINDS:
            figures["credit_sales"] += dec(row["s"])
        elif row["kind"] == EntryKind.PAYMENT:
            figures["payments"] -= dec(row["s"])
        else:
            figures["written_off"] -= dec(row["s"])
    for row in _reversed_flows(base, *day):
        slot(row)[row["name"]] -= dec(row["s"])
    return result


# --- Events: contacts, promises, disputes ----------------------------------------------------


def events_by_day(start: datetime.date, end: datetime.date) -> dict[tuple, dict]:
    """(day, cell) -> counts of calls, right-party contacts, promises and resolved disputes.

    Calls and promises belong to the person who logged or took them; a dispute to the account's
    collector. A call attempt is an outbound call counted toward the call limits; a right-party
    contact is such a call that reached the debtor (a conversation).
    """
    result: dict[tuple, dict] = {}

    def slot(day, row, collector_field="collector_id"):
        cell = (row["currency"], row["creditor_id"], row["seg"] or "", row[collector_field])
        return result.setdefault((day, cell), _empty_events())

    account_cell = {
        "currency": F("account__currency"),
        "creditor_id": F("account__creditor_id"),
        "seg": F("account__segment"),
    }
    calls = (
        Activity.objects.filter(
            channel=Channel.CALL,
            is_attempt=True,
            occurred_at__gte=day_cut(start - datetime.timedelta(days=1)),
            occurred_at__lt=day_cut(end),
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("day", collector_id=F("user_id"), **account_cell)
        .annotate(calls=Count("id"), rpc=Count("id", filter=Q(is_conversation=True)))
        .order_by()
    )
    for row in calls:
        events = slot(row["day"], row)
        events["calls"] += row["calls"]
        events["right_party"] += row["rpc"]
    made = (
        Promise.objects.filter(created_on__gte=start, created_on__lte=end)
        .values("created_on", collector_id=F("created_by_id"), **account_cell)
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in made:
        slot(row["created_on"], row)["promises_made"] += row["n"]
    due = (
        # Judged promises only: a pending one (its grace days not over) is neither kept nor broken yet.
        Promise.objects.filter(
            due_on__gte=start, due_on__lte=end, status__in=[PromiseStatus.KEPT, PromiseStatus.BROKEN]
        )
        .values("due_on", collector_id=F("created_by_id"), **account_cell)
        .annotate(n=Count("id"), kept=Count("id", filter=Q(status=PromiseStatus.KEPT)))
        .order_by()
    )
    for row in due:
        events = slot(row["due_on"], row)
        events["promises_due"] += row["n"]
        events["promises_kept"] += row["kept"]
    resolved = Dispute.objects.filter(
        resolved_at__gte=day_cut(start - datetime.timedelta(days=1)), resolved_at__lt=day_cut(end)
    ).values("opened_at", "resolved_at", collector_id=F("account__assigned_to_id"), **account_cell)
    for row in resolved:  # one row per resolved dispute: the days are a local-date difference
        resolved_on = timezone.localdate(row["resolved_at"])
        events = slot(resolved_on, row)
        events["disputes_resolved"] += 1
        events["dispute_days"][(resolved_on - timezone.localdate(row["opened_at"])).days] += 1
    return result


def _empty_events() -> dict:
    return {
        "calls": 0,
        "right_party": 0,
        "promises_made": 0,
        "promises_due": 0,
        "promises_kept": 0,
        "disputes_resolved": 0,
        "dispute_days": Counter(),
    }


# --- Everything of a period, straight from the ledger ---------------------------------------------

# Per-report working tables, one row per account: each is filled by one pass over its source and
# read by every figure that needs it, where each figure used to aggregate the ledger or the
# allocations again.
REPORT_BALANCES = "kpi_report_balances"
REPORT_OPEN = "kpi_report_open"
_OPEN_COLUMNS = [f"age{code}" for code in range(len(_BUCKET_STARTS) + 1)]


# Planner settings for the statements grouping by cell (PostgreSQL): the planner takes the number of
# cells for the product of each column's distinct values (hundreds of thousands where there are a
# few thousand) and sorts every row to group them; hashed, the grouping takes a third less time
# (0.48 -> 0.31 s and 1.1 -> 0.8 s at 100,000 accounts).
HASHED = {"enable_sort": "off", "work_mem": "64MB"}


@contextmanager
def planner(settings: dict[str, str]):
    """Run the statements inside with these planner settings (PostgreSQL; local to the transaction)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        before = {name: fetch("SELECT current_setting(%(n)s)", {"n": name})[0][0] for name in settings}
        for name, value in settings.items():
            fetch("SELECT set_config(%(n)s, %(v)s, true)", {"n": name, "v": value})
        yield
        # Restored only on success: on an error the savepoint's rollback undoes the settings itself,
        # and a statement in the aborted transaction would hide the error that caused it.
        for name, value in before.items():
            fetch("SELECT set_config(%(n)s, %(v)s, true)", {"n": name, "v": value})


def _report_balances(columns: dict[str, str | None], params: dict, end: datetime.date) -> None:
    """Per account, one sum of its ledger entries per column (name -> FILTER condition, None for every
    entry): one scan."""
    sums = ", ".join(
        f"SUM(le.amount) FILTER (WHERE {condition}) AS {name}" if condition else f"SUM(le.amount) AS {name}"
        for name, condition in columns.items()
    )
    execute(f"DROP TABLE IF EXISTS {REPORT_BALANCES}", {})
    execute(
        f"""CREATE TEMPORARY TABLE {REPORT_BALANCES} AS
            SELECT le.account_id AS account_id, {sums} FROM {ENTRY} le
            WHERE le.posted_on <= %(end)s GROUP BY le.account_id""",
        params | {"end": end},
    )


def sales_columns(start: datetime.date, end: datetime.date, months: list[tuple]) -> list[str]:
    """The balance column holding the credit sales of each of `months` ((first, last) day): the period's
    own where the month is the period (a one-month report), so the two are not summed twice."""
    return ["period_sales" if month == (start, end) else f"sales{i}" for i, month in enumerate(months)]


def balance_columns(
    start: datetime.date, end: datetime.date, months: list[tuple]
) -> tuple[dict[str, str | None], dict]:
    """The report's per-account sums: AR before the period and at its end, the balance at the roll's
    earlier month end, the period's credit sales, payments and write-offs, and credit sales in each of
    `months` ((first, last) day) for the countback (`sales_columns`); with their parameters."""
    later = last_month_end_on_or_before(end)
    debit = "le.kind IN (" + ", ".join(f"%(debit{i})s" for i in range(len(DEBIT_KINDS))) + ")"
    params = {f"debit{i}": kind for i, kind in enumerate(DEBIT_KINDS)} | {
        "before": start - datetime.timedelta(days=1),
        "earlier": previous_month_end(later),
        "start": start,
        "payment": EntryKind.PAYMENT,
        "write_off": EntryKind.WRITE_OFF,
    }
    columns = {
        "ar_before": "le.posted_on <= %(before)s",
        "ar_end": None,
        "balance_earlier": "le.posted_on <= %(earlier)s",
        "period_sales": f"le.posted_on >= %(start)s AND {debit}",
        "period_paid": "le.posted_on >= %(start)s AND le.kind = %(payment)s",
        "period_written_off": "le.posted_on >= %(start)s AND le.kind = %(write_off)s",
    }
    for i, ((first, last), name) in enumerate(zip(months, sales_columns(start, end, months), strict=True)):
        if name not in columns:
            columns[name] = f"le.posted_on >= %(m{i}a)s AND le.posted_on <= %(m{i}b)s AND {debit}"
            params |= {f"m{i}a": first, f"m{i}b": last}
    return columns, params


def _report_open(end: datetime.date, later: datetime.date, earlier: datetime.date) -> None:
    """Per account with an invoice open at `end`, `later` or `earlier` (O(d) > 0, issued by d): its open
    amount per bucket at `end` (NULL where none) and its oldest open due date at each month end.

    One pass over the invoices and the allocations after `earlier` serves both the aging and the roll
    matrix (O(d) = open amount + allocations after d, as in `open_items_sql`).
    """
    bucket, params = bucket_sql("i.due_on", "b", end)
    ages = ", ".join(
        f"SUM(v.open_end) FILTER (WHERE v.bucket = {code} AND v.open_end > 0) AS {name}"
        for code, name in enumerate(_OPEN_COLUMNS)
    )
    execute(f"DROP TABLE IF EXISTS {REPORT_OPEN}", {})
    execute(
        f"""CREATE TEMPORARY TABLE {REPORT_OPEN} AS
            SELECT v.account_id AS account_id, {ages},
                   MIN(v.due_on) FILTER (WHERE v.issued_on <= %(earlier)s AND v.open_earlier > 0) AS due1,
                   MIN(v.due_on) FILTER (WHERE v.issued_on <= %(later)s AND v.open_later > 0) AS due2
            FROM (
                SELECT i.account_id AS account_id, i.due_on AS due_on, i.issued_on AS issued_on, {bucket} AS bucket,
                       {cents("i.open_amount + COALESCE(x.after_end, 0)")} AS open_end,
                       {cents("i.open_amount + COALESCE(x.after_later, 0)")} AS open_later,
                       {cents("i.open_amount + COALESCE(x.after_earlier, 0)")} AS open_earlier
                FROM {INVOICE} i
                LEFT JOIN (
                    SELECT al.invoice_id AS invoice_id, SUM(al.amount) AS after_earlier,
                           SUM(al.amount) FILTER (WHERE al.applied_on > %(later)s) AS after_later,
                           SUM(al.amount) FILTER (WHERE al.applied_on > %(end)s) AS after_end
                    FROM {ALLOCATION} al WHERE al.applied_on > %(earlier)s GROUP BY al.invoice_id
                ) x ON x.invoice_id = i.id
                WHERE i.issued_on <= %(end)s AND (i.open_amount > 0 OR x.invoice_id IS NOT NULL)
            ) v
            WHERE v.open_end > 0 OR v.open_later > 0 OR v.open_earlier > 0
            GROUP BY v.account_id""",
        params | {"end": end, "later": later, "earlier": earlier},
    )


def _drop_report_tables() -> None:
    execute(f"DROP TABLE IF EXISTS {REPORT_BALANCES}", {})
    execute(f"DROP TABLE IF EXISTS {REPORT_OPEN}", {})


def report_stocks(earlier: datetime.date, later: datetime.date, columns: dict[str, str | None]) -> dict[Cell, dict]:
    """Per cell, from the report's tables in one join with the accounts: the sum of each balance column
    (None for a cell with no ledger entries), the aging at the end, and the roll matrix from month end
    `earlier` to `later`.

    The roll counts accounts holding an open invoice at `earlier`, by their bucket then; `to` is their
    bucket at `later`, or paid when nothing is open; the balance is theirs at `earlier`.
    """
    from_bucket, from_params = bucket_sql("o.due1", "f", earlier)
    to_bucket, to_params = bucket_sql("o.due2", "t", later)
    # Selected after the four cell columns, read back by name.
    selected = {
        "roll_from": f"CASE WHEN o.due1 IS NULL THEN NULL ELSE {from_bucket} END",
        "roll_to": f"CASE WHEN o.due1 IS NULL THEN NULL WHEN o.due2 IS NULL THEN {PAID} ELSE {to_bucket} END",
        "roll_accounts": "COUNT(*)",
        "roll_balance": "SUM(b.balance_earlier)",
        "with_entries": "COUNT(b.account_id)",
    }
    for name in _OPEN_COLUMNS:
        selected |= {f"{name}_amount": f"SUM(o.{name})", f"{name}_accounts": f"COUNT(o.{name})"}
    selected |= {f"sum_{name}": f"SUM(b.{name})" for name in columns}
    at = {name: position for position, name in enumerate(selected, start=4)}
    sql = f"""
        SELECT a.currency, a.creditor_id, a.segment, a.assigned_to_id, {", ".join(selected.values())}
        FROM {ACCOUNT} a
        LEFT JOIN {REPORT_BALANCES} b ON b.account_id = a.id
        LEFT JOIN {REPORT_OPEN} o ON o.account_id = a.id
        WHERE b.account_id IS NOT NULL OR o.account_id IS NOT NULL
        GROUP BY a.currency, a.creditor_id, a.segment, a.assigned_to_id, {selected["roll_from"]}, {selected["roll_to"]}
    """
    result: dict[Cell, dict] = {}
    with planner(HASHED):
        rows = fetch(sql, from_params | to_params)
    roll_from, roll_to, roll_accounts, roll_balance = (
        at[name] for name in ("roll_from", "roll_to", "roll_accounts", "roll_balance")
    )
    with_entries = at["with_entries"]
    ages = [(code, at[f"{name}_amount"], at[f"{name}_accounts"]) for code, name in enumerate(_OPEN_COLUMNS)]
    sums_at = [(name, at[f"sum_{name}"]) for name in columns]
    for row in rows:  # one per cell and roll cell: at 1,000,000 accounts about 85,000, so kept lean
        cell = row_cell(row)
        stocks = result.get(cell)
        if stocks is None:  # not setdefault: its default (three new containers) would be built for every row
            stocks = result[cell] = {"sums": None, "aging": empty_aging(), "roll": {}}
        if row[with_entries]:
            sums = stocks["sums"] = stocks["sums"] or dict.fromkeys(columns, ZERO)
            for name, position in sums_at:
                if row[position] is not None:
                    sums[name] += dec(row[position])
        aging = stocks["aging"]
        for code, amount, accounts in ages:
            if row[accounts]:
                aging["amount"][code] += dec(row[amount])
                aging["accounts"][code] += row[accounts]
        if row[roll_from] is not None:
            stocks["roll"][(row[roll_from], row[roll_to])] = [row[roll_accounts], dec(row[roll_balance])]
    return result


def ledger_monthly_sales(first: datetime.date, last: datetime.date) -> dict[Cell, dict]:
    """Per cell: credit sales per month (first day -> sum) from `first` (a month's first day) to `last`."""
    query = (
        LedgerEntry.objects.filter(kind__in=DEBIT_KINDS, posted_on__gte=first, posted_on__lte=last)
        .values(month=TruncMonth("posted_on"), **_ENTRY_CELL)
        .annotate(s=Sum("amount"))
        .order_by()
    )
    result: dict[Cell, dict] = {}
    with planner(HASHED):
        for row in query:
            result.setdefault(_entry_cell(row), {})[month_start(row["month"])] = dec(row["s"])
    return result


# How many months of credit sales are read with the period's flows, then after each further pass
# while some group's countback still walks further back: a few months of sales cover most
# portfolios' AR, and each month read is a pass over a month of the ledger.
COUNTBACK_PASSES = (3, 6, COUNTBACK_MONTHS)


def countback_months_read(inputs: Inputs, end: datetime.date) -> int:
    """How many months back from `end` the countback of these inputs reads (COUNTBACK_MONTHS + 1: all, and more)."""
    return countback_walk(inputs.ending_ar, countback_months(inputs, end))[1]


def _older_sales(cells: dict[Cell, Inputs], end: datetime.date, by: str | None, have: int) -> None:
    """Read credit sales of months older than the `have` newest, a pass at a time, while a group of
    `by` walks back to them in its countback (the figures are those of reading every month)."""
    ranges = countback_ranges(end)
    names = Names.load() if by not in (None, "currency") else None
    for months in COUNTBACK_PASSES[1:]:
        if all(countback_months_read(group, end) <= have for group in group_cells(cells, by, names).values()):
            return
        for cell, sales in ledger_monthly_sales(
            ranges[months - 1][0], ranges[have - 1][0] - datetime.timedelta(days=1)
        ).items():
            if cell in cells:  # a cell without ledger entries has no AR to count back
                cells[cell].monthly_sales.update(sales)
        have = months


def ledger_inputs(
    start: datetime.date, end: datetime.date, by: str | None = None, keep: Callable[[Cell], bool] | None = None
) -> dict[Cell, Inputs]:
    """The inputs of every KPI of KPIS.md for the period, per cell, computed from the ledger alone.

    `by` is the grouping the figures will be read in (credit sales of older months are read only as
    far back as its groups' countbacks walk); `keep`, when given, picks the cells the caller may see.
    """
    later = last_month_end_on_or_before(end)
    earlier = previous_month_end(later)
    months = countback_ranges(end)[: COUNTBACK_PASSES[0]]
    columns, params = balance_columns(start, end, months)
    sales = sales_columns(start, end, months)
    cells: dict[Cell, Inputs] = {}

    def at(cell):
        return cells.setdefault(cell, Inputs())

    with transaction.atomic():
        _report_balances(columns, params, end)
        _report_open(end, later, earlier)
        for cell, stocks in report_stocks(earlier, later, columns).items():
            # A cell whose accounts have no ledger entries and are open only at the later month end
            # (and not at the end) has no figure here.
            sums, aged = stocks["sums"], any(stocks["aging"]["accounts"])
            if sums is None and not aged and not stocks["roll"]:
                continue
            inputs = at(cell)
            if aged:  # else its accounts are open only at the roll's month ends
                _apply_aging(inputs, stocks["aging"])
            inputs.roll = stocks["roll"]
            if sums is None:
                continue
            inputs.beginning_ar, inputs.ending_ar = sums["ar_before"], sums["ar_end"]
            inputs.credit_sales = sums["period_sales"]
            inputs.payments, inputs.written_off = -sums["period_paid"], -sums["period_written_off"]
            inputs.monthly_sales = {
                first: sums[name] for (first, _), name in zip(months, sales, strict=True) if sums[name]
            }
        _drop_report_tables()  # a report that fails leaves them to the next one's DROP IF EXISTS
    for row in _reversed_flows(LedgerEntry.objects.filter(posted_on__gte=start, posted_on__lte=end)):
        inputs = at(_entry_cell(row))
        setattr(inputs, row["name"], getattr(inputs, row["name"]) - dec(row["s"]))
    for (_, cell), events in events_by_day(start, end).items():
        _apply_events(at(cell), events)
    if keep:
        cells = {cell: inputs for cell, inputs in cells.items() if keep(cell)}
    _older_sales(cells, end, by, len(months))
    return cells


def _apply_aging(inputs: Inputs, aging: dict) -> None:
    inputs.aging_amount = list(aging["amount"])
    inputs.aging_accounts = list(aging["accounts"])
    inputs.current_ar = aging["amount"][0]


def _apply_flows(inputs: Inputs, flows: dict) -> None:
    inputs.credit_sales += flows["credit_sales"]
    inputs.payments += flows["payments"]
    inputs.written_off += flows["written_off"]


def _apply_events(inputs: Inputs, events: dict) -> None:
    for name, value in events.items():
        if name == "dispute_days":
            inputs.dispute_days.update({int(k): v for k, v in value.items()})
        else:
            setattr(inputs, name, getattr(inputs, name) + value)


# --- The same inputs from the rollup tables (dashboards) --------------------------------------------

_AGING_FIELDS = ("age_current", "age_1_30", "age_31_60", "age_61_90", "age_91_120", "age_121")
_ACCOUNT_FIELDS = ("acc_current", "acc_1_30", "acc_31_60", "acc_61_90", "acc_91_120", "acc_121")
_CELL_VALUES = ("currency", "creditor_id", "segment", "collector_id")


def _row_cell(row) -> Cell:
    return (row["currency"], row["creditor_id"], row["segment"] or "", row["collector_id"])


def rollup_inputs(start: datetime.date, end: datetime.date, cells_filter: Q | None = None) -> dict[Cell, Inputs]:
    """The inputs of the period from the rollup: stocks at start - 1 and end, flows and events summed."""
    cells_filter = cells_filter or Q()
    before = start - datetime.timedelta(days=1)
    cells: dict[Cell, Inputs] = {}

    def at(cell):
        return cells.setdefault(cell, Inputs())

    stock = KpiDaily.objects.filter(cells_filter, date__in=[before, end]).values(
        "date", *_CELL_VALUES, "ar", "current_ar", *_AGING_FIELDS, *_ACCOUNT_FIELDS
    )
    for row in stock:
        inputs = at(_row_cell(row))
        if row["date"] == before:
            inputs.beginning_ar += dec(row["ar"])
            continue
        inputs.ending_ar += dec(row["ar"])
        _apply_aging(
            inputs,
            {
                "amount": [dec(row[name]) for name in _AGING_FIELDS],
                "accounts": [row[name] for name in _ACCOUNT_FIELDS],
            },
        )
    flows = (
        KpiDaily.objects.filter(cells_filter, date__gte=start, date__lte=end)
        .values(*_CELL_VALUES)
        .annotate(cs=Sum("credit_sales"), p=Sum("payments"), w=Sum("written_off"))
        .order_by()
    )
    for row in flows:
        _apply_flows(
            at(_row_cell(row)),
            {"credit_sales": dec(row["cs"]), "payments": dec(row["p"]), "written_off": dec(row["w"])},
        )
    events = (
        KpiDailyEvents.objects.filter(cells_filter, date__gte=start, date__lte=end)
        .values(*_CELL_VALUES)
        .annotate(
            calls_=Sum("calls"),
            rpc=Sum("right_party"),
            made=Sum("promises_made"),
            due=Sum("promises_due"),
            kept=Sum("promises_kept"),
            disputes=Sum("disputes_resolved"),
        )
        .order_by()
    )
    for row in events:
        _apply_events(
            at(_row_cell(row)),
            {
                "calls": row["calls_"],
                "right_party": row["rpc"],
                "promises_made": row["made"],
                "promises_due": row["due"],
                "promises_kept": row["kept"],
                "disputes_resolved": row["disputes"],
            },
        )
    disputes = KpiDailyEvents.objects.filter(
        cells_filter, date__gte=start, date__lte=end, disputes_resolved__gt=0
    ).values(*_CELL_VALUES, "dispute_days")
    for row in disputes:
        at(_row_cell(row)).dispute_days.update({int(k): v for k, v in row["dispute_days"].items()})
    for cell, months in rollup_monthly_sales(end, cells_filter).items():
        at(cell).monthly_sales = months
    later = last_month_end_on_or_before(end)
    roll = KpiRollRate.objects.filter(cells_filter, month_end=later).values(
        *_CELL_VALUES, "from_bucket", "to_bucket", "accounts", "balance"
    )
    for row in roll:
        at(_row_cell(row)).roll[(row["from_bucket"], row["to_bucket"])] = [row["accounts"], dec(row["balance"])]
    return cells


def rollup_monthly_sales(end: datetime.date, cells_filter: Q, months: int = COUNTBACK_MONTHS) -> dict[Cell, dict]:
    first = month_start(end)
    for _ in range(months - 1):
        first = month_start(first - datetime.timedelta(days=1))
    rows = (
        KpiDaily.objects.filter(cells_filter, date__gte=first, date__lte=end)
        .values(*_CELL_VALUES, month=TruncMonth("date"))
        .annotate(s=Sum("credit_sales"))
        .order_by()
    )
    result: dict[Cell, dict] = {}
    for row in rows:
        result.setdefault(_row_cell(row), {})[month_start(row["month"])] = dec(row["s"])
    return result
