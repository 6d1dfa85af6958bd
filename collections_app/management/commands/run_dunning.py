"""run_dunning [--date YYYY-MM-DD] [--dry-run]: the nightly dunning run from the command line."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collections_app.services.dunning import REASON_LABELS, dunning_preview, dunning_run, nightly_moment, run_progress


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}")


class Command(BaseCommand):
    help = (
        "Run every active dunning policy for a date (default today). With --dry-run, print what would be "
        "sent and what the contact rules would hold back, and why; nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, default=None, help="Business date, YYYY-MM-DD (default: today).")
        parser.add_argument("--dry-run", action="store_true", help="Print what the run would do; change nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        today = timezone.localdate()
        day = date or today
        if dry_run:
            # Today: the rules as they stand now. Another day: as they will stand at that night's run.
            at = timezone.now() if day == today else nightly_moment(day)
            self.print_preview(dunning_preview(day=day, at=at))
            return
        run = dunning_run(day=day)
        progress = run_progress(run)
        self.stdout.write(
            f"Dunning run {run.pk} for {day}: {run.selected} new reminder(s) chosen; "
            f"{progress['done']} of {progress['total']} settled so far."
        )
        for state, count in sorted(progress["by_state"].items()):
            self.stdout.write(f"  {state:<10} {count}")
        if progress["done"] < progress["total"]:
            self.stdout.write(
                "The rest are queued for the workers, or wait for each debtor's contact hours; "
                f"follow them on the run's page (/dunning/runs/{run.pk}/)."
            )

    def print_preview(self, summary: dict) -> None:
        write = self.stdout.write
        write(f"Dunning dry run for {summary['day']}; contact rules judged at {summary['at']}.")
        write("Nothing was written.\n")
        header = f"{'Policy':<24} {'Stage':<40} {'Channel':<14} {'Due':>6} {'Send':>6} {'Later':>6} {'Held':>6} {'Paused':>7}"
        write(header)
        write("-" * len(header))
        for row in summary["rows"]:
            stage = f"{row['position']}. {row['stage']}"[:40]
            write(
                f"{row['policy'][:24]:<24} {stage:<40} {row['channel'][:14]:<14} {row['due']:>6} {row['send']:>6} "
                f"{row['later']:>6} {row['held']:>6} {row['paused']:>7}"
            )
        totals = summary["totals"]
        write("-" * len(header))
        write(
            f"{'Total':<80} {totals['due']:>6} {totals['send']:>6} {totals['later']:>6} {totals['held']:>6} "
            f"{totals['paused']:>7}"
        )
        write(
            "\nDue: chosen for a reminder. Send: allowed at that moment. Later: outside the debtor's contact hours, "
            "sent at their next allowed moment. Held: held back by the contact rules (below). Paused: a promise, "
            "arrangement, dispute, hold or payment keeps the account back; it resumes by itself."
        )
        if summary["paused_by_reason"]:
            write("\nPaused or stopped:")
            for code, count in summary["paused_by_reason"].items():
                write(f"  {REASON_LABELS.get(code, code):<40} {count}")
        write(f"\nHeld back by the contact rules: {summary['held_total']}")
        for item in summary["held"]:
            write(
                f"  {item['account']:<14} {item['debtor'][:28]:<28} {item['policy']} / {item['stage']} "
                f"({item['channel']}): {', '.join(item['codes'])} - {item['message']}"
            )
