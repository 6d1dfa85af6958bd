"""KPI benchmark: the nightly rollup, a full rebuild and a one-month kpi_report, each beside its floor.

Runs on the database Django is configured for (meant for PostgreSQL with a generated portfolio):

    DATABASE_URL=postgres://... python -m bench.kpis [--date YYYY-MM-DD] [--changed 0.01]

Floors, measured in the same run (issue 9): one sequential scan aggregating the ledger table (for
the night and for kpi_report) and one hand-written INSERT ... SELECT that snapshots every account's
balance and oldest open due date (for the full rebuild). The night marks a share of the accounts
as changed (Account.changed_at) after a rebuild of the day before, then rolls up the date.
"""

import argparse
import datetime
import json
import os
import time


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def scan_floor() -> float:
    from django.db import connection

    from collections_app.models import LedgerEntry

    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        seconds, _ = _timed(lambda: cursor.execute(f"SELECT account_id, SUM(amount) FROM {table} GROUP BY account_id"))
        cursor.fetchall()
    return seconds


def snapshot_floor(day: datetime.date) -> float:
    """A hand-written INSERT ... SELECT of every account's balance and oldest open due date at `day`."""
    from django.db import connection, transaction

    from collections_app.models import Account, Allocation, Invoice, LedgerEntry

    sql = f"""
        CREATE TEMPORARY TABLE bench_snapshot AS
        SELECT a.id, b.balance, o.due FROM {Account._meta.db_table} a
        LEFT JOIN (SELECT account_id, SUM(amount) AS balance FROM {LedgerEntry._meta.db_table}
                   WHERE posted_on <= %(d)s GROUP BY account_id) b ON b.account_id = a.id
        LEFT JOIN (SELECT i.account_id, MIN(i.due_on) AS due FROM {Invoice._meta.db_table} i
                   LEFT JOIN (SELECT invoice_id, SUM(amount) AS s FROM {Allocation._meta.db_table}
                              WHERE applied_on <= %(d)s GROUP BY invoice_id) x ON x.invoice_id = i.id
                   WHERE i.issued_on <= %(d)s AND i.amount - COALESCE(x.s, 0) > 0 GROUP BY i.account_id) o
          ON o.account_id = a.id
    """  # noqa: S608 (table names only)
    with transaction.atomic(), connection.cursor() as cursor:
        seconds, _ = _timed(lambda: cursor.execute(sql, {"d": day}))
        cursor.execute("DROP TABLE bench_snapshot")
    return seconds


def measure(day: datetime.date | None = None, changed: float = 0.01) -> dict:
    """Each KPI figure beside its floor, in seconds, on the current database."""
    from django.db import connection
    from django.utils import timezone

    from collections_app.models import Account
    from kpis.models import StateHead
    from kpis.report import kpi_report
    from kpis.services import rollup_day

    day = day or timezone.localdate() - datetime.timedelta(days=1)
    accounts = Account.objects.count()
    results = {"accounts": accounts, "date": day.isoformat(), "vendor": connection.vendor}
    results["scan_floor"] = scan_floor()
    results["snapshot_floor"] = snapshot_floor(day)
    results["rebuild"], _ = _timed(lambda: rollup_day(day=day - datetime.timedelta(days=1), rebuild=True))
    # As on a real night: everything before the run's day ended, then a share of accounts changed.
    from kpis.selectors import day_cut

    before = day_cut(day - datetime.timedelta(days=1)) - datetime.timedelta(hours=1)
    # Only the accounts not already marked so: on a reused database an update of every account each run
    # left a million dead rows behind (the 1M account table was estimated at 5M rows after a few runs).
    Account.objects.filter(changed_at__gt=before).update(changed_at=before)
    StateHead.objects.update(run_started_at=before + datetime.timedelta(minutes=30))
    step = max(1, round(1 / changed)) if changed else 0
    if step:
        from django.db.models import F
        from django.db.models.functions import Mod

        Account.objects.annotate(slot=Mod(F("id"), step)).filter(slot=0).update(changed_at=timezone.now())
    results["night"], run = _timed(lambda: rollup_day(day=day))
    results["night_accounts"] = run.accounts_recomputed
    start = day.replace(day=1)
    results["kpi_report_month"], _ = _timed(lambda: kpi_report(start=start, end=day))
    results["night_vs_scan"] = results["night"] / results["scan_floor"]
    results["rebuild_vs_snapshot"] = results["rebuild"] / results["snapshot_floor"]
    results["report_vs_scan"] = results["kpi_report_month"] / results["scan_floor"]
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=datetime.date.fromisoformat)
    parser.add_argument("--changed", type=float, default=0.01, help="share of accounts changed for the night")
    args = parser.parse_args(argv)
    _setup()
    print(json.dumps(measure(args.date, args.changed), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
