"""`manage.py simulate_floor --days N [--start YYYY-MM-DD] [--seed S]`: a collection floor, day by day."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collections_app.simulation import FloorSimulation


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--start must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Drive the real services day by day from the start date (default: today - N days): each collector "
        "takes the next account until their daily limit, calls with plausible outcomes, payments arrive, "
        "and the nightly jobs run. Uses the users and accounts already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="How many days to simulate.")
        parser.add_argument("--start", type=_date, help="First day (YYYY-MM-DD); default today minus --days.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed on the same data repeats.")

    def handle(self, *args, days: int, start: datetime.date | None, seed: int, verbosity: int, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        start = start or timezone.localdate() - datetime.timedelta(days=days)
        log = self.stdout.write if verbosity > 1 else None
        try:
            simulation = FloorSimulation(start=start, days=days, seed=seed, log=log)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not simulation.collectors:
            self.stderr.write("No active collector: only payments and the nightly jobs run.")
        summary = simulation.run()
        for line in summary.lines():
            self.stdout.write(line)
