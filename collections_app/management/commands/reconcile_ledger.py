"""Prove that every cached balance equals the ledger; optionally re-derive the caches."""

from django.core.management.base import BaseCommand

from collections_app.models import Account
from collections_app.selectors import accounts_out_of_balance, invoices_out_of_balance
from collections_app.services.ledger import accounts_refresh_caches


class Command(BaseCommand):
    help = "Compare every account's and invoice's cached figures with the ledger. Exit 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Re-derive the differing caches from the ledger.")

    def handle(self, *args, fix=False, **options):
        invoices = list(invoices_out_of_balance()[:1000])
        accounts = list(accounts_out_of_balance()[:1000])
        total = Account.objects.count()
        for invoice in invoices:
            self.stdout.write(
                f"invoice {invoice.pk} ({invoice.external_id or '-'}) of account {invoice.account.external_id}: "
                f"cached open {invoice.open_amount}, ledger says {invoice.derived_open}"
            )
        for account in accounts:
            self.stdout.write(
                f"account {account.external_id}: cached balance {account.balance}, ledger says "
                f"{account.derived_balance}; cached unapplied {account.unapplied_credit}, ledger says "
                f"{account.derived_open - account.derived_balance}; oldest open due {account.oldest_open_due_on}, "
                f"ledger says {account.derived_oldest}"
            )
        if not invoices and not accounts:
            self.stdout.write(self.style.SUCCESS(f"{total} accounts checked: every cache equals the ledger."))
            return
        if fix:
            ids = {i.account_id for i in invoices} | {a.pk for a in accounts}
            accounts_refresh_caches(ids)
            self.stdout.write(f"Re-derived the caches of {len(ids)} accounts from the ledger.")
        self.stderr.write(f"{len(accounts)} accounts and {len(invoices)} invoices differ from the ledger.")
        raise SystemExit(1)
