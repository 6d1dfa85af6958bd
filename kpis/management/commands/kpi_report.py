"""manage.py kpi_report --start --end [--by ...] [--format json/csv/table]: KPIs straight from the ledger."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from kpis.inputs import DIMENSIONS
from kpis.report import as_csv, as_json, as_table, kpi_report


def iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date: write it as YYYY-MM-DD.")


class Command(BaseCommand):
    help = (
        "Print the KPIs of KPIS.md for a period, computed from the ledger (no rollup needed). Amounts of "
        "different currencies are never added: a portfolio in several currencies gives one object per currency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first day of the period, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day of the period, YYYY-MM-DD")
        parser.add_argument("--by", choices=DIMENSIONS, help="one row per group (and currency)")
        parser.add_argument("--format", choices=["json", "csv", "table"], default="table")
        parser.add_argument("--currency", help="only this ISO 4217 currency")

    def handle(self, *args, start, end, by, format, currency, **options):
        start, end = iso_date(start), iso_date(end)
        if end < start:
            raise CommandError("--end is before --start.")
        rows = kpi_report(start=start, end=end, by=by, currency=currency)
        render = {"json": as_json, "csv": as_csv, "table": as_table}[format]
        self.stdout.write(render(rows, by), ending="" if format != "json" else "\n")
