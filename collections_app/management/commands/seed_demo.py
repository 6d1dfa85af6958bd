"""A realistic demo: teams, users of every role, and a portfolio imported through the real import path."""

import datetime
import random
import tempfile
from decimal import Decimal

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.services import team_create, user_create
from collections_app.errors import DomainError
from collections_app.models import Account, AccountStatus, ContactKind, Outcome, PromiseStatus
from collections_app.services.activities import activity_log
from collections_app.services.dunning import dunning_defaults_ensure
from collections_app.services.plans import arrangement_create, plans_evaluate_all, promise_create

DEMO_PASSWORD = "demo"
TEAMS = {
    "East": ("manager", ["collector1", "collector2", "collector3"]),
    "West": ("manager2", ["collector4", "collector5", "collector6"]),
}
FIRST_NAMES = ["Avery", "Blake", "Casey", "Devon", "Emerson", "Finley", "Harper", "Jordan"]


class Command(BaseCommand):
    help = "Create demo users of every role and a realistic portfolio (reuses what exists)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=400, help="Accounts in the demo portfolio.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, accounts: int, seed: int, **options):
        if accounts < 0:
            raise SystemExit("--accounts must be zero or more")
        users = self.ensure_users()
        # A three-stage reminder policy, so the dunning pages and tonight's run have something to show.
        dunning_defaults_ensure()
        if Account.objects.exists():
            self.stdout.write("Portfolio already present: reusing it.")
        elif accounts:
            self.import_portfolio(accounts, seed, [u for u in users if u.role == Role.COLLECTOR])
            self.add_history(seed)
        self.print_logins(users)

    def ensure_users(self) -> list[User]:
        users = []
        admin = User.objects.filter(username="admin").first() or user_create(
            username="admin", password=DEMO_PASSWORD, role=Role.ADMIN, first_name="Alex", last_name="Admin"
        )
        users.append(admin)
        names = iter(FIRST_NAMES)
        for team_name, (manager_name, collector_names) in TEAMS.items():
            manager = User.objects.filter(username=manager_name).first() or user_create(
                username=manager_name,
                password=DEMO_PASSWORD,
                role=Role.MANAGER,
                first_name=next(names),
                last_name="Manager",
            )
            team = Team.objects.filter(name=team_name).first() or team_create(name=team_name, managers=[manager])
            users.append(manager)
            for username in collector_names:
                users.append(
                    User.objects.filter(username=username).first()
                    or user_create(
                        username=username,
                        password=DEMO_PASSWORD,
                        role=Role.COLLECTOR,
                        team=team,
                        first_name=next(names, username.capitalize()),
                        last_name="Collector",
                    )
                )
        return users

    def import_portfolio(self, accounts: int, seed: int, collectors: list[User]) -> None:
        from bench.generate_portfolio import write_bundle

        with tempfile.TemporaryDirectory() as folder:
            counts = write_bundle(
                folder,
                accounts=accounts,
                seed=seed,
                collectors=[c.username for c in collectors],
                as_of=timezone.localdate(),
            )
            self.stdout.write(f"Generated a bundle: {counts}")
            try:
                call_command("import_portfolio", folder, stdout=self.stdout, stderr=self.stderr)
            except SystemExit as exit_:
                if exit_.code not in (0, None):
                    self.stderr.write("Some generated rows were rejected; the rest was imported.")

    def add_history(self, seed: int) -> None:
        """Promises kept and broken, arrangements, and calls, made through the services."""
        rng = random.Random(seed)
        today = timezone.localdate()
        open_accounts = list(
            Account.objects.filter(
                balance__gt=10, status=AccountStatus.ACTIVE, assigned_to__isnull=False
            ).select_related("assigned_to")[:300]
        )
        rng.shuffle(open_accounts)
        promises = arrangements = calls = 0
        for account in open_accounts[:60]:
            made_on = today - datetime.timedelta(days=rng.randint(0, 20))
            amount = min(account.balance, Decimal(rng.randint(25, 300)))
            try:
                promise_create(
                    account=account,
                    amount=amount,
                    due_on=made_on + datetime.timedelta(days=rng.randint(3, 14)),
                    created_by=account.assigned_to,
                    today=made_on,
                )
                promises += 1
            except DomainError:
                continue
        for account in open_accounts[60:90]:
            account.refresh_from_db()
            try:
                arrangement_create(
                    account=account,
                    total_amount=account.balance,
                    count=rng.choice([3, 6, 12]),
                    frequency=rng.choice(["weekly", "fortnightly", "monthly"]),
                    start_on=today + datetime.timedelta(days=rng.randint(1, 10)),
                    created_by=account.assigned_to,
                    today=today,
                )
                arrangements += 1
            except DomainError:
                continue
        calls = self.add_calls(rng, open_accounts[:200])
        plans_evaluate_all(today=today)
        self.stdout.write(
            f"History: {promises} promises, {arrangements} arrangements, {calls} calls logged; "
            f"{Account.objects.filter(promises__status=PromiseStatus.BROKEN).count()} broken promises."
        )

    def add_calls(self, rng: random.Random, accounts: list[Account]) -> int:
        outcomes = [
            Outcome.NO_ANSWER,
            Outcome.VOICEMAIL,
            Outcome.RIGHT_PARTY,
            Outcome.BUSY,
            Outcome.WRONG_PARTY,
            Outcome.CALLBACK,
            Outcome.REFUSED,
        ]
        logged = 0
        now = timezone.now()
        for account in accounts:
            phone = account.debtor.contact_points.filter(kind=ContactKind.PHONE, opted_out=False).first()
            if phone is None:
                continue
            # Mid-afternoon UTC on recent days: inside calling hours in every US zone. Oldest first,
            # since the gate judges each call against the history before it, as on the day.
            moments = sorted(
                (now - datetime.timedelta(days=rng.randint(1, 25))).replace(hour=19, minute=rng.randint(0, 59))
                for _ in range(rng.randint(1, 3))
            )
            for at in moments:
                try:
                    with transaction.atomic():
                        activity_log(
                            account=account,
                            channel="call",
                            outcome=rng.choice(outcomes),
                            user=account.assigned_to,
                            contact_point=phone,
                            to=phone.value,
                            at=at,
                            note="Demo call",
                        )
                    logged += 1
                except DomainError:
                    continue
        return logged

    def print_logins(self, users: list[User]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for each: {DEMO_PASSWORD})")
        for user in users:
            self.stdout.write(f"  {user.username:<12} {user.get_role_display():<10} {user.team or ''}")
