"""manage.py export_debtor: everything we hold about one debtor, as JSON (a right-of-access request)."""

from django.core.management.base import BaseCommand, CommandError

from collections_app.models import Debtor
from collections_app.services.privacy import debtor_export_json


class Command(BaseCommand):
    help = "Export one debtor's personal data (debtor, contacts, accounts, ledger, contacts log, holds) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("debtor_id", type=int, help="The debtor's id (the number in /debtors/<id>/privacy/).")
        parser.add_argument("--output", help="File to write; standard output when left out.")

    def handle(self, *args, debtor_id, output=None, **options):
        debtor = Debtor.objects.filter(pk=debtor_id).first()
        if debtor is None:
            raise CommandError(f"There is no debtor with id {debtor_id}.")
        text = debtor_export_json(debtor=debtor)
        if output:
            with open(output, "w", encoding="utf-8") as out:
                out.write(text)
            self.stderr.write(f"Personal data of debtor {debtor_id} written to {output}.")
        else:
            self.stdout.ending = ""
            self.stdout.write(text)
