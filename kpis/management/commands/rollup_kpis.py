"""manage.py rollup_kpis [--date] [--from] [--rebuild]: the nightly KPI rollup, for a date or a range."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kpis.services import rollup_day, rollup_range

from .kpi_report import iso_date


class Command(BaseCommand):
    help = (
        "Build the daily KPI figures for a date (default yesterday) or a range (--from to --date). "
        "Re-running a date replaces its figures. --rebuild recomputes every account's state instead of "
        "only the accounts changed since the last run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the date, or the last date of the range, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--from", dest="start", help="first date of a range, YYYY-MM-DD")
        parser.add_argument("--rebuild", action="store_true", help="recompute every account, not only the changed ones")

    def handle(self, *args, date, start, rebuild, **options):
        end = iso_date(date) if date else timezone.localdate() - datetime.timedelta(days=1)
        if start:
            start = iso_date(start)
            if start > end:
                raise CommandError("--from is after --date.")
            runs = rollup_range(start=start, end=end, rebuild=rebuild)
        else:
            runs = [rollup_day(day=end, rebuild=rebuild)]
        for run in runs:
            self.stdout.write(
                f"{run.date}  {run.get_kind_display():<26} {run.accounts_recomputed:>9,} accounts  {run.seconds:7.2f} s"
            )
