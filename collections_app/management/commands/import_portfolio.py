"""manage.py import_portfolio PATH [--dry-run] [--user USERNAME]: import a portfolio bundle (FORMATS.md) from the shell."""

import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from collections_app.importer import BundleError, import_bundle
from collections_app.importer.bundle import FILE_NAMES
from collections_app.importer.report import OUTCOMES


class Command(BaseCommand):
    help = "Import a portfolio bundle (a folder or a .zip of CSV files). Exit 0: all rows taken; 1: some rejected."

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder holding debtors.csv, accounts.csv, ... or a .zip of one")
        parser.add_argument("--dry-run", action="store_true", help="validate and report without writing anything")
        parser.add_argument(
            "--user", metavar="USERNAME", help="who runs the import, named in its audit event (else nobody is)"
        )

    def handle(self, *args, path, dry_run, user=None, **options):
        started = time.monotonic()
        actor = _actor(user) if user else None

        def progress(stage: str, percent: int) -> None:
            self.stderr.write(f"[{time.monotonic() - started:7.1f}s] {percent:3d}% {stage}")

        try:
            report = import_bundle(path, dry_run=dry_run, progress=progress, actor=actor)
        except BundleError as exc:
            raise CommandError(str(exc), returncode=2)
        title = "Dry run: nothing was written." if dry_run else "Imported."
        self.stdout.write(title)
        self.stdout.write(f"{'file':<16}" + "".join(f"{outcome:>11}" for outcome in OUTCOMES))
        for name in FILE_NAMES:
            counts = report.counts[name]
            self.stdout.write(f"{name:<16}" + "".join(f"{counts[outcome]:>11,}" for outcome in OUTCOMES))
        rejections = report.sorted_rejections()
        if rejections:
            self.stdout.write(f"\n{report.rejected:,} rejected rows:")
            for rejection in rejections:
                self.stdout.write(str(rejection))
        self.stdout.flush()
        # BaseCommand has no exit status of its own besides errors: FORMATS.md promises 1 for rejections.
        if report.rejected:
            sys.exit(1)


def _actor(username: str):
    """The active user named on the command line; refused before anything is read or written."""
    User = get_user_model()
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"No active user is named {username!r}: nothing was imported.", returncode=2) from None
