"""A collection floor simulated day by day through the real services, for demos, training and proof
that the contact rules hold at volume (`manage.py simulate_floor`).

Each simulated working day, every active collector takes "next account" from the real queue, hour
by hour through the site's day, until their daily call limit or until the queue has nothing the
gate allows; the contact gate alone decides whether a moment is inside the debtor's calling hours
and under the caps. Calls end with plausible outcomes recorded through the same services the
account page uses (promises, arrangements, payments, disputes, opt-outs, cease requests,
callbacks). Payments arrive for some promises and instalments, dated the day they arrive. Each
morning the nightly jobs run for that date: promises and arrangements are judged, and the dunning
run sends what it would have sent.

Moments only move forward and never pass the present. Accounts with contacts already logged after
the first simulated day are left alone near those contacts: the gate judges a call against the
calls before it, so a call slipped in before a later logged one could break a cap it never saw.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Min, Q
from django.utils import timezone

from accounts.models import Role, User
from compliance.models import StateRule
from compliance.selectors import policy_current

from .errors import DomainError
from .models import (
    Account,
    AccountStatus,
    Activity,
    Channel,
    ContactKind,
    ContactPoint,
    Dispute,
    DisputeOutcome,
    Frequency,
    Outcome,
    PaymentMethod,
    Promise,
    PromiseStatus,
)
from .queue import QUEUE_STATUSES, next_account, queue_accounts, queue_ready
from .services.activities import (
    activity_log,
    cease_communication_record,
    contact_point_opt_out,
    dispute_open,
    dispute_resolve,
)
from .services.ledger import payment_post
from .services.plans import arrangement_create, plans_evaluate_all, promise_create
from .services.queue import callback_schedule

# How a call goes. The first table is who picks up; the second what a right-party conversation ends with.
CALL_RESULTS = (
    (Outcome.NO_ANSWER, 36),
    (Outcome.VOICEMAIL, 22),
    (Outcome.BUSY, 5),
    (Outcome.DISCONNECTED, 2),
    (Outcome.WRONG_PARTY, 4),
    ("conversation", 31),
)
CONVERSATIONS = (
    ("promise", 34),
    ("pay_now", 8),
    ("arrangement", 6),
    ("refused", 15),
    ("callback", 10),
    ("dispute", 6),
    ("opt_out", 4),
    ("cease", 2),
    ("deceased", 1),
    ("talked", 14),
)
PROMISE_KEPT = 0.62  # share of promises paid (in full, around the promised date)
INSTALMENT_PAID = 0.85
CALL_MINUTES = 5  # one call every five minutes while a collector has someone to call
MANUAL_DIAL = 0.03  # a collector now and then dials an account straight from the list: the gate may refuse
WORKDAYS = (0, 1, 2, 3, 4)  # the floor works Monday to Friday; payments and nightly jobs every day
METHODS = (PaymentMethod.CARD, PaymentMethod.ACH, PaymentMethod.PORTAL, PaymentMethod.CHECK)
CENT = Decimal("0.01")


def _weighted(rng: random.Random, table) -> str:
    choices, weights = zip(*table, strict=True)
    return rng.choices(choices, weights=weights)[0]


@dataclass
class FloorSummary:
    start: datetime.date
    days: int
    seed: int
    collectors: int = 0
    calls: int = 0
    conversations: int = 0
    outcomes: Counter = field(default_factory=Counter)
    promises: int = 0
    promises_paid: int = 0
    arrangements: int = 0
    instalments_paid: int = 0
    payments: int = 0
    paid: dict = field(default_factory=lambda: defaultdict(Decimal))
    disputes: int = 0
    disputes_resolved: int = 0
    opt_outs: int = 0
    cease: int = 0
    callbacks: int = 0
    manual_dials: int = 0
    refusals: Counter = field(default_factory=Counter)  # by the gate's reason code, this run
    declined: Counter = field(default_factory=Counter)  # a service said no (pending promise, ...): by code
    at_limit: int = 0  # collector-days that ended at the daily call limit
    left_alone: int = 0  # accounts kept out near contacts logged later than the simulated days
    promises_kept: int = 0  # judged by the nightly run
    promises_broken: int = 0
    dunning_runs: int = 0
    dunning_selected: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        end = self.start + datetime.timedelta(days=self.days - 1)
        money = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(self.paid.items())) or "0.00"
        outcomes = ", ".join(f"{Outcome(k).label.lower()} {n}" for k, n in self.outcomes.most_common())
        refusals = ", ".join(f"{code} {n}" for code, n in self.refusals.most_common()) or "none"
        declined = ", ".join(f"{code} {n}" for code, n in self.declined.most_common())
        lines = [
            f"Simulated {self.days} day{'s' if self.days != 1 else ''} ({self.start} to {end}), seed {self.seed}, "
            f"{self.collectors} collectors, in {self.seconds:.1f}s",
            f"  calls             {self.calls:,} ({self.manual_dials:,} dialled by hand)",
            f"  conversations     {self.conversations:,}",
            f"  outcomes          {outcomes or 'none'}",
            f"  promises          {self.promises:,} made, {self.promises_paid:,} paid; "
            f"nightly: {self.promises_kept:,} kept, {self.promises_broken:,} broken",
            f"  arrangements      {self.arrangements:,} set up, {self.instalments_paid:,} instalments paid",
            f"  payments          {self.payments:,} posted: {money}",
            f"  disputes          {self.disputes:,} opened, {self.disputes_resolved:,} resolved",
            f"  opt-outs          {self.opt_outs:,}",
            f"  cease requests    {self.cease:,}",
            f"  callbacks         {self.callbacks:,}",
            f"  refusals by reason {refusals}",
            f"  daily limit hit   {self.at_limit:,} collector-days",
            f"  dunning           {self.dunning_runs:,} nightly runs, {self.dunning_selected:,} reminders selected",
        ]
        if declined:
            lines.append(f"  declined          {declined}")
        if self.left_alone:
            lines.append(f"  left alone        {self.left_alone:,} accounts with contacts logged after the start")
        return lines


def _dunning():
    """The dunning engine's run, when this deployment has it (None otherwise)."""
    try:
        from .services import dunning
    except ImportError:
        return None
    if not all(hasattr(dunning, name) for name in ("dunning_run", "dunning_dispatch", "nightly_moment")):
        return None
    return dunning


class FloorSimulation:
    """Drives the floor from `start` for `days` days. Deterministic for a seed and a database state."""

    def __init__(self, *, start: datetime.date, days: int, seed: int = 1, dunning: bool = True, log=None):
        if days < 1:
            raise ValueError("Simulate at least one day.")
        self.start, self.days, self.seed = start, days, seed
        self.rng = random.Random(seed)
        self.zone = timezone.get_current_timezone()
        self.real_now = timezone.now()
        self.today = timezone.localdate(self.real_now)
        if start + datetime.timedelta(days=days - 1) >= self.today:
            raise ValueError(
                f"The simulated days must end by yesterday ({self.today - datetime.timedelta(days=1)}): "
                "the floor cannot work days that have not happened."
            )
        self.summary = FloorSummary(start=start, days=days, seed=seed)
        self.dunning = _dunning() if dunning else None
        self.log = log or (lambda line: None)
        self.payments_due: dict[datetime.date, list[tuple]] = defaultdict(list)
        self.resolutions: dict[datetime.date, list[int]] = defaultdict(list)
        self.collectors = list(User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("username"))
        self.summary.collectors = len(self.collectors)
        self._later_contacts = self._contacts_after(self._moment(start, 0))

    # --- time -----------------------------------------------------------------------------------

    def _moment(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)

    def _contacts_after(self, moment: datetime.datetime) -> dict[int, datetime.datetime]:
        """The first contact already logged at or after `moment`, per account."""
        rows = (
            Activity.objects.filter(occurred_at__gte=moment)
            .exclude(outcome=Outcome.HELD)
            .order_by()
            .values("account")
            .annotate(first=Min("occurred_at"))
        )
        return {row["account"]: row["first"] for row in rows}

    def _guard_days(self) -> int:
        """The longest window any contact rule looks back over: a call this close before a logged one could matter."""
        policy = policy_current()
        days = [policy.cap_period_days, policy.days_after_conversation]
        for rule in StateRule.objects.filter(active=True):
            days += [rule.personal_cap_days or 0, rule.other_cap_days or 0]
        return max(days) + 1

    def _left_alone(self, day: datetime.date) -> set[int]:
        """Accounts not to touch on `day`: a contact is already logged within the rules' window after it."""
        horizon = self._moment(day + datetime.timedelta(days=1), 0) + datetime.timedelta(days=self.guard_days)
        return {account_id for account_id, first in self._later_contacts.items() if first < horizon}

    # --- the run --------------------------------------------------------------------------------

    def run(self) -> FloorSummary:
        started = time.monotonic()
        run_began = timezone.now()
        self.guard_days = self._guard_days()
        alone: set[int] = set()
        for offset in range(self.days):
            day = self.start + datetime.timedelta(days=offset)
            self.morning(day)
            self.payments_arrive(day)
            guarded = self._left_alone(day)
            alone |= guarded
            if day.weekday() in WORKDAYS and self.collectors:
                self.floor_day(day, guarded)
            elif self.dunning is not None:
                for hour in range(24):
                    self._dispatch(self._moment(day, hour))
            self.log(f"{day}: {self.summary.calls:,} calls so far")
        self.summary.left_alone = len(alone)
        held = Activity.objects.filter(outcome=Outcome.HELD, created_at__gte=run_began).values_list(
            "gate_reasons", flat=True
        )
        for codes in held:
            for code in codes or ["unknown"]:
                self.summary.refusals[code] += 1
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def morning(self, day: datetime.date) -> None:
        """The nightly jobs of the night before `day`, dated `day` as the real schedule dates them."""
        result = plans_evaluate_all(today=day)
        self.summary.promises_kept += result["promises_kept"]
        self.summary.promises_broken += result["promises_broken"]
        for dispute_id in self.resolutions.pop(day, []):
            self.dispute_settle(dispute_id, self._moment(day, 10))
        if self.dunning is not None:
            moment = self.dunning.nightly_moment(day)
            if moment <= self.real_now:
                run = self.dunning.dunning_run(day=day, now=moment)
                self.summary.dunning_runs += 1
                self.summary.dunning_selected += run.selected or 0

    def _dispatch(self, moment: datetime.datetime) -> None:
        """Reminders held overnight for the debtor's hours go out as those hours come."""
        if self.dunning is not None and moment <= self.real_now:
            self.dunning.dunning_dispatch(now=moment)

    def floor_day(self, day: datetime.date, guarded: set[int]) -> None:
        """Every hour of the site's day; in each, each collector calls every few minutes while the queue
        holds someone the gate lets them call. One call per account a day: floors do not redial the
        same debtor within the day, lawful or not."""
        called: set[int] = set()
        done: set[int] = set()
        refused: dict[int, tuple[int, set[int]]] = {}  # collector -> (hour, ready ids) when "next" found none
        slots = 60 // CALL_MINUTES
        for hour in range(24):
            hour_start = self._moment(day, hour)
            if hour_start > self.real_now:
                return
            self._dispatch(hour_start)
            # Who the queue's set-based rules leave each collector this hour (one query): nobody asks
            # "next" in an hour with nothing for them, which is most of the night.
            ready = self._ready_ids(hour_start, called | guarded)
            budget = {}
            for collector in self.collectors:
                ids = ready.get(collector.pk, set())
                last = refused.get(collector.pk)
                # The exact gate refused all of these an hour ago (a number's own zone, say): ask again
                # when new accounts are ready, or every third hour.
                if last and ids <= last[1] and hour - last[0] < 3:
                    continue
                budget[collector.pk] = len(ids)
            for slot in range(slots):
                for collector in self.collectors:
                    if collector.pk in done or budget.get(collector.pk, 0) <= 0:
                        continue
                    moment = hour_start + datetime.timedelta(
                        minutes=slot * CALL_MINUTES, seconds=self.rng.randint(0, CALL_MINUTES * 60 - 1)
                    )
                    if moment > self.real_now:
                        return
                    skip = tuple(called | guarded)
                    if self.rng.random() < MANUAL_DIAL and self.manual_dial(collector, moment, skip, called):
                        continue
                    pick = next_account(user=collector, now=moment, skip=skip)
                    if pick.account is None:
                        if pick.reason == "limit":
                            done.add(collector.pk)
                            self.summary.at_limit += 1
                        else:
                            refused[collector.pk] = (hour, ready.get(collector.pk, set()) - called)
                        budget[collector.pk] = 0
                        continue
                    budget[collector.pk] -= 1
                    called.add(pick.account.pk)
                    self.call(collector, pick.account, pick.contact_point, moment)

    def _ready_ids(self, moment: datetime.datetime, skip: set[int]) -> dict[int, set[int]]:
        base = Account.objects.filter(
            assigned_to__in=self.collectors, status__in=QUEUE_STATUSES, balance__gt=0
        ).exclude(pk__in=skip)
        ready = queue_ready(user=self.collectors[0], now=moment, queryset=base)
        found: dict[int, set[int]] = defaultdict(set)
        for collector_id, account_id in ready.order_by().values_list("assigned_to", "pk"):
            found[collector_id].add(account_id)
        return found

    # --- a call ---------------------------------------------------------------------------------

    def manual_dial(self, collector: User, moment, skip: tuple, called: set[int]) -> bool:
        """A collector dials one of their accounts from the list, not from "next": the gate decides."""
        candidates = list(
            queue_accounts(user=collector).exclude(pk__in=skip).order_by("id").values_list("pk", flat=True)[:200]
        )
        if not candidates:
            return False
        account = Account.objects.select_related("debtor").get(pk=self.rng.choice(candidates))
        point = (
            ContactPoint.objects.filter(debtor_id=account.debtor_id, kind=ContactKind.PHONE)
            .order_by("-is_primary", "id")
            .first()
        )
        if point is None:
            return False
        called.add(account.pk)
        self.summary.manual_dials += 1
        self.call(collector, account, point, moment)
        return True

    def call(self, collector: User, account: Account, point, moment: datetime.datetime) -> None:
        rng = self.rng
        result = _weighted(rng, CALL_RESULTS)
        if result == "conversation":
            self.conversation(collector, account, point, moment)
            return
        note = {
            Outcome.NO_ANSWER: "No answer.",
            Outcome.VOICEMAIL: "Left a voicemail with the limited-content message.",
            Outcome.BUSY: "Line busy.",
            Outcome.DISCONNECTED: "Number not in service.",
            Outcome.WRONG_PARTY: "Someone else answered; nothing disclosed.",
        }[result]
        self._log(collector, account, point, moment, result, note, seconds=rng.randint(10, 70))

    def _log(self, collector, account, point, moment, outcome, note, seconds=None) -> bool:
        """Log the call through the gate; a refusal is recorded by the service and counted here."""
        try:
            activity_log(
                account=account,
                channel=Channel.CALL,
                outcome=outcome,
                user=collector,
                contact_point=point,
                note=note,
                duration_seconds=seconds,
                at=moment,
            )
        except DomainError as exc:
            if exc.code != "contact_refused":
                self.summary.declined[exc.code] += 1
            return False
        self.summary.calls += 1
        self.summary.outcomes[outcome] += 1
        if outcome in (
            Outcome.RIGHT_PARTY,
            Outcome.PROMISE,
            Outcome.REFUSED,
            Outcome.DISPUTE,
            Outcome.CALLBACK,
            Outcome.DECEASED,
            Outcome.BANKRUPT,
        ):
            self.summary.conversations += 1
        return True

    def conversation(self, collector: User, account: Account, point, moment: datetime.datetime) -> None:
        rng = self.rng
        day = timezone.localtime(moment, self.zone).date()
        account.refresh_from_db(fields=["balance", "status", "currency", "next_action_on"])
        kind = _weighted(rng, CONVERSATIONS)
        pending = Promise.objects.filter(account=account, status=PromiseStatus.PENDING).exists()
        if kind in ("promise", "arrangement") and pending:
            kind = "talked"
        if kind == "arrangement" and not self._arrangement_fits(day):
            kind = "promise"
        seconds = rng.randint(120, 900)
        if kind == "promise":
            self.promise(collector, account, point, moment, day, seconds)
        elif kind == "pay_now":
            if self._log(collector, account, point, moment, Outcome.RIGHT_PARTY, "Paid by card on the call.", seconds):
                self.pay(
                    account, self._part_of(account.balance), day, PaymentMethod.CARD, "Card payment taken on a call"
                )
        elif kind == "arrangement":
            self.arrangement(collector, account, point, moment, day, seconds)
        elif kind == "refused":
            self._log(collector, account, point, moment, Outcome.REFUSED, "Debtor refused to pay.", seconds)
        elif kind == "callback":
            if self._log(collector, account, point, moment, Outcome.CALLBACK, "Asked to be called back.", seconds):
                later = moment + datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(-3, 3))
                try:
                    callback_schedule(account=account, at=later, user=collector, now=moment)
                    self.summary.callbacks += 1
                except DomainError as exc:
                    self.summary.declined[exc.code] += 1
        elif kind == "dispute":
            if self._log(collector, account, point, moment, Outcome.DISPUTE, "Debtor disputes the debt.", seconds):
                reason = rng.choice(("Not my debt.", "Amount is wrong.", "Already paid to the creditor."))
                dispute = dispute_open(account=account, reason=reason, user=collector, at=moment)
                self.summary.disputes += 1
                settle_on = day + datetime.timedelta(days=rng.randint(5, 15))
                self.resolutions[settle_on].append(dispute.pk)
        elif kind == "opt_out":
            if self._log(
                collector, account, point, moment, Outcome.RIGHT_PARTY, "Asked for no more texts or emails.", seconds
            ):
                electronic = (
                    ContactPoint.objects.filter(debtor_id=account.debtor_id, opted_out=False)
                    .filter(Q(kind=ContactKind.EMAIL) | Q(kind=ContactKind.PHONE, usage="mobile"))
                    .order_by("id")
                    .first()
                )
                if electronic is not None:
                    contact_point_opt_out(contact_point=electronic, user=collector, at=moment, note="Asked on a call")
                    self.summary.opt_outs += 1
        elif kind == "cease":
            if self._log(
                collector, account, point, moment, Outcome.REFUSED, "Asked us to stop contacting them.", seconds
            ):
                cease_communication_record(
                    account=account, user=collector, received_at=moment, in_writing=False, note="Asked on a call"
                )
                self.summary.cease += 1
        elif kind == "deceased":
            self._log(collector, account, point, moment, Outcome.DECEASED, "Relative reports the debtor died.", seconds)
        else:
            self._log(collector, account, point, moment, Outcome.RIGHT_PARTY, "Spoke with the debtor.", seconds)

    def _part_of(self, balance: Decimal) -> Decimal:
        """An amount a debtor offers: the whole balance, or a part of it."""
        if balance <= Decimal("50"):
            return balance
        share = self.rng.choice((Decimal("1"), Decimal("0.5"), Decimal("0.25"), Decimal("0.1")))
        return max(Decimal("10.00"), (balance * share).quantize(CENT, rounding=ROUND_DOWN)).min(balance)

    def promise(self, collector, account, point, moment, day, seconds) -> None:
        if account.balance <= 0:
            self._log(collector, account, point, moment, Outcome.RIGHT_PARTY, "Spoke with the debtor.", seconds)
            return
        amount = self._part_of(account.balance)
        due_on = day + datetime.timedelta(days=self.rng.randint(1, 14))
        note = f"Promised {amount} {account.currency} by {due_on:%d %b}."
        if not self._log(collector, account, point, moment, Outcome.PROMISE, note, seconds):
            return
        try:
            promise = promise_create(account=account, amount=amount, due_on=due_on, created_by=collector, today=day)
        except DomainError as exc:
            self.summary.declined[exc.code] += 1
            return
        self.summary.promises += 1
        if self.rng.random() < PROMISE_KEPT:
            paid_on = due_on + datetime.timedelta(days=self.rng.randint(-3, promise.grace_days))
            self.payments_due[max(paid_on, day)].append(("promise", account.pk, amount))

    def _arrangement_fits(self, day: datetime.date) -> bool:
        """A monthly plan whose second instalment falls after the present.

        Payments are judged against the real date when posted (ledger.credit_post evaluates plans
        with today's date), so a back-dated plan with several instalments already due would be
        judged broken at its first payment. Until payment_post takes the business date to judge
        by, the simulation only sets up plans that this cannot affect.
        """
        return day + datetime.timedelta(days=38) > self.today

    def arrangement(self, collector, account, point, moment, day, seconds) -> None:
        count = self.rng.choice((3, 4, 6))
        start_on = day + datetime.timedelta(days=self.rng.randint(1, 7))
        note = f"Agreed {count} monthly payments from {start_on:%d %b}."
        if not self._log(collector, account, point, moment, Outcome.PROMISE, note, seconds):
            return
        try:
            plan = arrangement_create(
                account=account,
                total_amount=account.balance,
                count=count,
                frequency=Frequency.MONTHLY,
                start_on=start_on,
                created_by=collector,
                today=day,
            )
        except DomainError as exc:
            self.summary.declined[exc.code] += 1
            return
        self.summary.arrangements += 1
        for instalment in plan.instalments.order_by("sequence"):
            if instalment.due_on >= self.today or self.rng.random() >= INSTALMENT_PAID:
                continue
            self.payments_due[instalment.due_on].append(("instalment", account.pk, instalment.amount))

    def pay(self, account: Account, amount: Decimal, day: datetime.date, method: str, note: str) -> bool:
        account.refresh_from_db(fields=["balance"])
        amount = min(amount, account.balance)
        if amount <= 0:
            return False
        try:
            payment_post(account=account, amount=amount, received_on=day, method=method, note=note)
        except DomainError as exc:
            self.summary.declined[exc.code] += 1
            return False
        self.summary.payments += 1
        self.summary.paid[account.currency] += amount
        return True

    def payments_arrive(self, day: datetime.date) -> None:
        for what, account_id, amount in self.payments_due.pop(day, []):
            account = Account.objects.get(pk=account_id)
            if account.status not in (*QUEUE_STATUSES, AccountStatus.IN_ARRANGEMENT):
                continue
            method = self.rng.choice(METHODS)
            if self.pay(account, amount, day, method, f"Payment for the {what}"):
                if what == "promise":
                    self.summary.promises_paid += 1
                else:
                    self.summary.instalments_paid += 1

    def dispute_settle(self, dispute_id: int, moment: datetime.datetime) -> None:
        dispute = Dispute.objects.get(pk=dispute_id)
        if dispute.resolved_at is not None:
            return
        outcome = _weighted(
            self.rng, ((DisputeOutcome.VERIFIED, 75), (DisputeOutcome.CORRECTED, 10), (DisputeOutcome.WITHDRAWN, 15))
        )
        try:
            dispute_resolve(dispute=dispute, outcome=outcome, note="Verification sent.", at=moment)
        except DomainError as exc:
            self.summary.declined[exc.code] += 1
            return
        self.summary.disputes_resolved += 1
