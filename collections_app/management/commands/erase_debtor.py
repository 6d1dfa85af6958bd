"""manage.py erase_debtor: erase one debtor's personal data where the law allows; the ledger is kept."""

from django.core.management.base import BaseCommand, CommandError

from collections_app.errors import DomainError
from collections_app.models import Debtor
from collections_app.services.privacy import debtor_erase


class Command(BaseCommand):
    help = "Pseudonymise one debtor (names, contacts, addresses, notes), keeping the ledger. Refused while data must be kept."

    def add_arguments(self, parser):
        parser.add_argument("debtor_id", type=int)
        parser.add_argument("--reason", required=True, help="Why, for the audit log (e.g. the request's reference).")

    def handle(self, *args, debtor_id, reason, **options):
        debtor = Debtor.objects.filter(pk=debtor_id).first()
        if debtor is None:
            raise CommandError(f"There is no debtor with id {debtor_id}.")
        try:
            counts = debtor_erase(debtor=debtor, reason=reason)
        except DomainError as exc:
            if exc.reasons:
                raise CommandError("The personal data cannot be erased:\n" + "\n".join(f"- {r}" for r in exc.reasons))
            raise CommandError(exc.message)
        summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Debtor {debtor_id} erased ({summary}); the ledger is unchanged."))
