"""`manage.py purge_audit [--dry-run]`: remove audit events past their retention (also run nightly)."""

from django.core.management.base import BaseCommand

from compliance.services import RETENTION_YEARS, audit_retention_purge


class Command(BaseCommand):
    help = (
        f"Delete audit events older than {RETENTION_YEARS} years whose account has had no activity for "
        f"{RETENTION_YEARS} years. The nightly job does the same; run it by hand after erasures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    def handle(self, *args, dry_run=False, **options):
        count = audit_retention_purge(dry_run=dry_run)
        verb = "would be removed" if dry_run else "removed"
        self.stdout.write(f"{count} audit event(s) {verb}.")
