"""manage.py export_activities: every contact attempt in a period, for auditors and regulators."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from compliance.exports import activities_in_period, write_activities
from compliance.services import export_record


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.")


class Command(BaseCommand):
    help = "Export every contact attempt between two dates (inclusive, UTC) as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", help="File to write; standard output when left out.")

    def handle(self, *args, **options):
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("--end is before --start.")
        queryset = activities_in_period(start, end)
        if options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8") as out:
                rows = write_activities(out, queryset, options["format"])
        else:
            self.stdout.ending = ""  # the export writes its own line ends
            rows = write_activities(self.stdout, queryset, options["format"])
        export_record(
            what="export_activities",
            rows=rows,
            params={
                "start": start,
                "end": end,
                "format": options["format"],
                "output": options["output"] or "stdout",
            },
        )
        self.stderr.write(f"{rows} activities exported.")
