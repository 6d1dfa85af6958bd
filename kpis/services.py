"""Writes of the KPI rollup: the per-account state, daily cell figures, month-end buckets, roll rates.

The nightly run for a date D moves the per-account state from its head date to D by recomputing
only the accounts that may differ: those changed (Account.changed_at) since the head date ended or
since the run that set it started, and those with ledger entries dated after the head date (a
payment dated tomorrow posted late today). Everything else is unchanged because an account's AR and
open items as of a date move only with its ledger; its buckets follow from the due dates and D.

A date before the head is computed straight from the ledger (the state never goes back, unless a
rebuild is asked for). Re-running a date replaces its rows; both paths give identical rows.
"""

# ruff: noqa: S608 -- the SQL is assembled from table names and fixed fragments; every value is a parameter.

import datetime
import re
import time
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from collections_app.bulk import rows_insert
from collections_app.models import Account, LedgerEntry

from .inputs import PAID, ZERO, dec, month_end, previous_month_end
from .models import (
    AccountState,
    KpiDaily,
    KpiDailyEvents,
    KpiRollRate,
    KpiRun,
    MonthEndBucket,
    OpenItemState,
    RunKind,
    StateHead,
)
from .selectors import (
    ACCOUNT,
    ENTRY,
    HASHED,
    bucket_sql,
    cents,
    day_cut,
    empty_aging,
    events_by_day,
    execute,
    fetch,
    ledger_flows,
    open_items_sql,
    planner,
    row_cell,
)

STATE = AccountState._meta.db_table
ITEMS = OpenItemState._meta.db_table
MONTH_END = MonthEndBucket._meta.db_table
ROLL = KpiRollRate._meta.db_table
# Promises are judged kept or broken up to their grace days after their date: the nightly run
# recounts the events of this many days back, so late judgements land on the day they belong to.
EVENT_SETTLE_DAYS = getattr(settings, "KPI_EVENT_SETTLE_DAYS", 35)
# Per-account month-end rows are needed only to roll the next month forward.
MONTH_ENDS_KEPT = getattr(settings, "KPI_MONTH_ENDS_KEPT", 3)
_AGING_FIELDS = ("age_current", "age_1_30", "age_31_60", "age_61_90", "age_91_120", "age_121")
_ACCOUNT_FIELDS = ("acc_current", "acc_1_30", "acc_31_60", "acc_61_90", "acc_91_120", "acc_121")


def _named(sql: str, params, prefix: str) -> tuple[str, dict]:
    """A compiled ORM query (positional %s) rewritten with named parameters, to embed in raw SQL."""
    counter = iter(range(len(params)))
    named = re.sub(r"%s", lambda _: f"%({prefix}{next(counter)})s", sql)
    return named, {f"{prefix}{i}": value for i, value in enumerate(params)}


def changed_accounts_sql(head: StateHead) -> tuple[str, dict]:
    """Ids of the accounts whose state as of a later date may differ from the state at the head."""
    since = min(day_cut(head.as_of), head.run_started_at or day_cut(head.as_of))
    changed = Account.objects.filter(changed_at__gte=since).order_by().values("id")
    dated_later = LedgerEntry.objects.filter(posted_on__gt=head.as_of).order_by().values("account_id")
    sql, params = changed.union(dated_later).query.sql_with_params()
    return _named(sql, params, "chg")


def _changed_table(head: StateHead) -> str:
    """Write the changed account ids into a temporary table and return a subquery over it.

    A small table with a primary key (and fresh statistics) lets the planner reach the ledger of
    those accounts through its (account, date) index instead of aggregating the whole ledger.
    """
    sql, params = changed_accounts_sql(head)
    execute("DROP TABLE IF EXISTS kpi_changed", {})
    execute("CREATE TEMPORARY TABLE kpi_changed (id bigint PRIMARY KEY)", {})
    execute(f"INSERT INTO kpi_changed (id) {sql}", params)
    if connection.vendor == "postgresql":
        execute("ANALYZE kpi_changed", {})
    return "SELECT id FROM kpi_changed"


# --- The per-account state ------------------------------------------------------------------------


def state_refresh(*, on: datetime.date, accounts_sql: str = "", accounts_params: dict | None = None) -> int:
    """Recompute the state as of `on` of the accounts selected by `accounts_sql` (all when empty)."""
    params = dict(accounts_params or {})
    if accounts_sql:
        execute(f"DELETE FROM {ITEMS} WHERE account_id IN ({accounts_sql})", params)
        execute(f"DELETE FROM {STATE} WHERE account_id IN ({accounts_sql})", params)
    elif connection.vendor == "postgresql":
        execute(f"TRUNCATE {ITEMS}, {STATE}", {})
    else:
        execute(f"DELETE FROM {ITEMS}", {})
        execute(f"DELETE FROM {STATE}", {})
    items, item_params = open_items_sql("on_day", on, accounts_sql)
    # In key order: the rows append to the (account, due date) key instead of landing at random pages
    # (EXPLAIN ANALYZE at 100k accounts: the insert itself 2.4-3.3 s instead of 4.1-4.3 s); grouped
    # on the sorted rows, not hashed then sorted (the hash spilled to disk at 1,000,000 accounts).
    with planner({"enable_hashagg": "off"}):
        execute(
            f"""INSERT INTO {ITEMS} (account_id, due_on, amount)
                SELECT o.account_id, o.due_on, {cents("SUM(o.open_amount)")} FROM ({items}) o
                GROUP BY o.account_id, o.due_on
                ORDER BY o.account_id, o.due_on""",
            params | item_params,
        )
    with planner(HASHED):  # the oldest due date per account hashed in memory, not spilled to disk
        return execute(
            f"""INSERT INTO {STATE} (account_id, currency, creditor_id, segment, collector_id, balance, oldest_open_due_on)
                {state_sql(ITEMS, accounts_sql)}""",
            params | {"on_day": on},
        )


def state_sql(items: str, accounts_sql: str = "") -> str:
    """The state of every account (or those of `accounts_sql`) at %(on_day)s, as the columns of the state
    table: its cell, its balance, and its oldest due date among `items` (a relation of open items:
    account_id, due_on, amount).

    The balance at the date is the account's balance now less the entries posted after the date, as
    the open amounts are: the ledger services keep `Account.balance` equal to the sum of its entries in
    the transaction that writes them (`reconcile_ledger` checks it). A night or a rebuild for yesterday
    reads a day of entries instead of summing the whole ledger per account.
    """
    only_entries = f"AND le.account_id IN ({accounts_sql})" if accounts_sql else ""
    only_items = f"WHERE i.account_id IN ({accounts_sql})" if accounts_sql else ""
    only_accounts = f"WHERE a.id IN ({accounts_sql})" if accounts_sql else ""
    balance = cents("a.balance - COALESCE(b.later, 0)")
    return f"""
        SELECT a.id AS account_id, a.currency AS currency, a.creditor_id AS creditor_id, a.segment AS segment,
               a.assigned_to_id AS collector_id, {balance} AS balance, o.due AS oldest_open_due_on
        FROM {ACCOUNT} a
        LEFT JOIN (
            SELECT le.account_id AS account_id, SUM(le.amount) AS later FROM {ENTRY} le
            WHERE le.posted_on > %(on_day)s {only_entries} GROUP BY le.account_id
        ) b ON b.account_id = a.id
        LEFT JOIN (
            SELECT i.account_id AS account_id, MIN(i.due_on) AS due FROM {items} i {only_items} GROUP BY i.account_id
        ) o ON o.account_id = a.id
        {only_accounts}"""


class Sources(NamedTuple):
    """Where the stocks of a date are read: the state and its open items (tables, or subqueries computing
    them from the ledger), with the subqueries' parameters."""

    state: str
    items: str
    params: dict


STATE_TABLES = Sources(STATE, ITEMS, {})


def ledger_sources(on: datetime.date) -> Sources:
    """The state and the open items at `on` computed from the ledger, to read in place of the state tables
    for a date they have moved past."""
    items, params = open_items_sql("on_day", on)
    items = f"(SELECT o.account_id AS account_id, o.due_on AS due_on, o.open_amount AS amount FROM ({items}) o)"
    return Sources(f"({state_sql(items)})", items, params)


def state_stocks(on: datetime.date, sources: Sources = STATE_TABLES) -> tuple[dict, dict]:
    """AR and aging per cell at `on`, from the state tables (which must stand at `on`), or from the
    relations `ledger_sources` gives for a date they have moved past.

    An account counts once in a bucket: at its first open item there in due-date order (a window over
    the items, read in order from the state's (account, due date) key, sorted first when they come from
    the ledger), so the grouping per cell is a single hashed pass (from the state at 1,000,000 accounts
    2.3-2.8 s, where summing per account and bucket first took 6.0 s and a COUNT(DISTINCT account)
    sorted every item).
    """
    bucket, bucket_params = bucket_sql("i.due_on", "b", on)
    state, items, params = sources.state, sources.items, sources.params | bucket_params
    with planner(HASHED):
        balances = fetch(
            f"""SELECT s.currency, s.creditor_id, s.segment, s.collector_id, SUM(s.balance) FROM {state} s
                GROUP BY s.currency, s.creditor_id, s.segment, s.collector_id""",
            params,
        )
        buckets = fetch(
            f"""SELECT s.currency, s.creditor_id, s.segment, s.collector_id, o.bucket, SUM(o.amount),
                       COUNT(*) FILTER (WHERE o.bucket <> o.previous)
                FROM (
                    SELECT i.account_id, i.amount, i.bucket,
                           COALESCE(LAG(i.bucket) OVER (PARTITION BY i.account_id ORDER BY i.due_on), -1) AS previous
                    FROM (SELECT i.account_id, i.due_on, i.amount, {bucket} AS bucket FROM {items} i) i
                ) o JOIN {state} s ON s.account_id = o.account_id
                GROUP BY s.currency, s.creditor_id, s.segment, s.collector_id, o.bucket""",
            params,
        )
    ar = {row_cell(row): dec(row[4]) for row in balances}
    aging: dict = {}
    for row in buckets:
        entry = aging.setdefault(row_cell(row), empty_aging())
        entry["amount"][row[4]] = dec(row[5])
        entry["accounts"][row[4]] = row[6]
    return ar, aging


# --- Daily rows -------------------------------------------------------------------------------


_DAILY_FIELDS = (
    "date", "currency", "creditor_id", "segment", "collector_id", "ar", "current_ar",
    "credit_sales", "payments", "written_off", *_AGING_FIELDS, *_ACCOUNT_FIELDS,
)  # fmt: skip


def daily_write(*, on: datetime.date, ar: dict, aging: dict) -> int:
    """Replace the KpiDaily rows of `on` with these stocks and the day's flows from the ledger.

    Written as plain rows by COPY (`rows_insert`): ~10,000 cells at 1,000,000 accounts, where
    building and saving model instances took a second.
    """
    flows = ledger_flows(on, on)
    rows = []
    for cell in set(ar) | set(aging) | set(flows):
        stock = aging.get(cell, empty_aging())
        flow = flows.get(cell, {})
        balance = ar.get(cell, ZERO)
        sales, paid, written_off = (flow.get(name, ZERO) for name in ("credit_sales", "payments", "written_off"))
        if balance or any(stock["accounts"]) or sales or paid or written_off:
            rows.append(
                (on, *cell, balance, stock["amount"][0], sales, paid, written_off, *stock["amount"], *stock["accounts"])
            )
    KpiDaily.objects.filter(date=on).delete()
    rows_insert(KpiDaily, list(_DAILY_FIELDS), rows)
    return len(rows)


def events_write(*, start: datetime.date, end: datetime.date) -> int:
    """Replace the KpiDailyEvents rows from start to end with counts from the contact log and promises."""
    rows = [
        KpiDailyEvents(
            date=day,
            currency=cell[0],
            creditor_id=cell[1],
            segment=cell[2],
            collector_id=cell[3],
            **{k: v for k, v in counts.items() if k != "dispute_days"},
            dispute_days={str(k): v for k, v in sorted(counts["dispute_days"].items())},
        )
        for (day, cell), counts in events_by_day(start, end).items()
    ]
    KpiDailyEvents.objects.filter(date__gte=start, date__lte=end).delete()
    KpiDailyEvents.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- Month ends and roll rates ------------------------------------------------------------------

_MONTH_END_COLUMNS = "month_end, account_id, bucket, balance, currency, creditor_id, segment, collector_id"


def month_end_write(on: datetime.date, sources: Sources = STATE_TABLES) -> None:
    """Every account's bucket and balance at month end `on`, from the state table (standing at `on`) or
    the relation `ledger_sources` gives."""
    bucket, bucket_params = bucket_sql("s.oldest_open_due_on", "b", on)
    execute(f"DELETE FROM {MONTH_END} WHERE month_end = %(on_day)s", {"on_day": on})
    execute(
        f"""INSERT INTO {MONTH_END} ({_MONTH_END_COLUMNS})
            SELECT %(on_day)s, s.account_id, {bucket}, s.balance, s.currency, s.creditor_id, s.segment, s.collector_id
            FROM {sources.state} s WHERE s.oldest_open_due_on IS NOT NULL""",
        sources.params | bucket_params | {"on_day": on},
    )


def roll_write(on: datetime.date) -> None:
    """The roll matrix from the previous month end to `on` (both month ends' bucket rows must exist)."""
    earlier = previous_month_end(on)
    if not MonthEndBucket.objects.filter(month_end=earlier).exists():
        month_end_write(earlier, ledger_sources(earlier))
    execute(f"DELETE FROM {ROLL} WHERE month_end = %(on_day)s", {"on_day": on})
    execute(
        f"""INSERT INTO {ROLL} (month_end, currency, creditor_id, segment, collector_id, from_bucket, to_bucket,
                                accounts, balance)
            SELECT %(on_day)s, p.currency, p.creditor_id, p.segment, p.collector_id, p.bucket,
                   COALESCE(c.bucket, {PAID}), COUNT(*), ROUND(SUM(p.balance), 2)
            FROM {MONTH_END} p
            LEFT JOIN {MONTH_END} c ON c.account_id = p.account_id AND c.month_end = %(on_day)s
            WHERE p.month_end = %(earlier)s
            GROUP BY p.currency, p.creditor_id, p.segment, p.collector_id, p.bucket, COALESCE(c.bucket, {PAID})""",
        {"on_day": on, "earlier": earlier},
    )
    oldest_kept = on
    for _ in range(MONTH_ENDS_KEPT - 1):
        oldest_kept = previous_month_end(oldest_kept)
    MonthEndBucket.objects.filter(month_end__lt=oldest_kept).delete()


# --- Runs -------------------------------------------------------------------------------------


def _head() -> StateHead:
    StateHead.objects.get_or_create(pk=1)
    return StateHead.objects.select_for_update().get(pk=1)


def _day_write(day: datetime.date, sources: Sources) -> None:
    """A date's daily rows, and on a month end its accounts' buckets and the roll matrix, from `sources`."""
    ar, aging = state_stocks(day, sources)
    daily_write(on=day, ar=ar, aging=aging)
    if month_end(day) == day:
        month_end_write(day, sources)
        roll_write(day)


@transaction.atomic
def rollup_day(*, day: datetime.date, rebuild: bool = False, events: bool = True) -> KpiRun:
    """Roll up one date: incremental when the state can move forward to it, else from the ledger."""
    started_at = timezone.now()
    clock = time.monotonic()
    head = _head()
    recomputed = 0
    if rebuild or head.as_of is None:
        kind = RunKind.REBUILD
        recomputed = state_refresh(on=day)
    elif day >= head.as_of:
        kind = RunKind.INCREMENTAL
        recomputed = state_refresh(on=day, accounts_sql=_changed_table(head))
    else:
        kind = RunKind.LEDGER
    if kind == RunKind.LEDGER:
        _day_write(day, ledger_sources(day))
    else:
        head.as_of, head.run_started_at = day, started_at
        head.save()
        _day_write(day, STATE_TABLES)
    if events:
        events_write(start=day - datetime.timedelta(days=EVENT_SETTLE_DAYS), end=day)
    return KpiRun.objects.create(
        date=day,
        kind=kind,
        accounts_recomputed=recomputed,
        started_at=started_at,
        seconds=time.monotonic() - clock,
    )


def rollup_range(*, start: datetime.date, end: datetime.date, rebuild: bool = False) -> list[KpiRun]:
    """Roll up every date from start to end: earlier dates from the ledger, the last one through the state.

    Each date is its own transaction, so a long backfill can be interrupted and resumed.
    """
    runs = []
    day = start
    while day < end:
        runs.append(_rollup_past(day))
        day += datetime.timedelta(days=1)
    runs.append(rollup_day(day=end, rebuild=rebuild, events=False))
    events_write(start=start - datetime.timedelta(days=EVENT_SETTLE_DAYS), end=end)
    return runs


@transaction.atomic
def _rollup_past(day: datetime.date) -> KpiRun:
    started_at = timezone.now()
    clock = time.monotonic()
    _day_write(day, ledger_sources(day))
    return KpiRun.objects.create(date=day, kind=RunKind.LEDGER, started_at=started_at, seconds=time.monotonic() - clock)


def latest_rollup_date() -> datetime.date | None:
    return KpiDaily.objects.order_by("-date").values_list("date", flat=True).first()
