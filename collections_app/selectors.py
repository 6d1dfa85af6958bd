"""Reads of the collections domain: scoped querysets and report queries."""

import datetime

from django.db.models import DecimalField, F, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from accounts.models import Role
from compliance.models import Hold

from .models import Account, Allocation, Invoice, LedgerEntry, PlanStatus, PromiseStatus
from .models.ledger import CREDIT_KINDS
from .money import ZERO

_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def accounts_visible_to(user):
    """Everyone sees only their own: a collector their accounts, a manager their teams', an admin all."""
    accounts = Account.objects.all()
    if not user.is_authenticated:
        return accounts.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return accounts
    if user.role == Role.MANAGER:
        # The teams as a subquery, not a join through the managers: one row per account without
        # DISTINCT, so the scope can be locked (FOR UPDATE) and sorted like any other.
        return accounts.filter(Q(assigned_to__team__in=user.led_teams.values("pk")) | Q(assigned_to__isnull=True))
    return accounts.filter(assigned_to=user)


def invoice_open_derived():
    """An invoice's open amount as the ledger has it: amount less everything allocated to it."""
    allocated = (
        Allocation.objects.filter(invoice=OuterRef("pk")).values("invoice").annotate(s=Sum("amount")).values("s")
    )
    # Rounded in SQL: SQLite sums decimals as floats.
    return Round(F("amount") - Coalesce(Subquery(allocated, output_field=_AMOUNT), Value(ZERO)), 2)


def account_caches_derived() -> dict:
    """Annotations giving an account's cached figures as the ledger has them.

    derived_balance: the sum of its entries; derived_open: the sum of its invoices' cached open
    amounts (so unapplied credit = derived_open - derived_balance); derived_oldest: the oldest due
    date among its open invoices.
    """
    entry_sum = (
        LedgerEntry.objects.filter(account=OuterRef("pk")).values("account").annotate(s=Sum("amount")).values("s")
    )
    open_invoices = Invoice.objects.filter(account=OuterRef("pk"), open_amount__gt=0).values("account")
    return {
        "derived_balance": Round(Coalesce(Subquery(entry_sum, output_field=_AMOUNT), Value(ZERO)), 2),
        "derived_open": Round(
            Coalesce(
                Subquery(open_invoices.annotate(s=Sum("open_amount")).values("s"), output_field=_AMOUNT), Value(ZERO)
            ),
            2,
        ),
        "derived_oldest": Subquery(open_invoices.annotate(m=Min("due_on")).values("m")),
    }


def invoices_out_of_balance():
    """Invoices whose cached open amount differs from amount less their allocations."""
    return (
        Invoice.objects.annotate(derived_open=invoice_open_derived())
        .exclude(open_amount=F("derived_open"))
        .select_related("account")
    )


def accounts_out_of_balance():
    """Accounts whose cached balance, unapplied credit or oldest open due date differ from the ledger."""
    return Account.objects.annotate(**account_caches_derived()).filter(
        ~Q(balance=F("derived_balance"))
        | ~Q(unapplied_credit=F("derived_open") - F("derived_balance"))
        | Q(oldest_open_due_on__isnull=True, derived_oldest__isnull=False)
        | Q(oldest_open_due_on__isnull=False, derived_oldest__isnull=True)
        | Q(oldest_open_due_on__isnull=False, derived_oldest__isnull=False) & ~Q(oldest_open_due_on=F("derived_oldest"))
    )


def account_for_user(*, user, pk: int) -> Account:
    """One account the user may see (404 otherwise, so another's account is never confirmed to exist)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        accounts_visible_to(user).select_related("debtor", "creditor", "assigned_to", "assigned_to__team"), pk=pk
    )


def account_list_for(*, user):
    return accounts_visible_to(user).select_related("debtor", "creditor", "assigned_to")


def account_aging(*, account: Account, on) -> list[dict]:
    """Open amount and invoice count per bucket of the account's open invoices at `on`."""
    from .aging import BUCKETS, bucket_for_days

    rows = {name: {"bucket": name, "amount": ZERO, "invoices": 0} for name in BUCKETS}
    for due_on, open_amount in account.invoices.filter(open_amount__gt=0).values_list("due_on", "open_amount"):
        row = rows[bucket_for_days(max(0, (on - due_on).days))]
        row["amount"] += open_amount
        row["invoices"] += 1
    return list(rows.values())


def _business_moment(created_at, day):
    """When to place a dated row on the timeline: when it was written, unless it was dated another
    day (an imported payment, a promise backdated), then midday of that day, flagged `dated`."""
    if timezone.localtime(created_at).date() == day:
        return created_at, False
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))), True


def account_timeline(*, account: Account, limit: int = 100) -> list[dict]:
    """Calls, reminders, payments, promises, disputes, holds and assignments, newest first."""
    events = []
    for activity in account.activities.select_related("user")[:limit]:
        events.append({"at": activity.occurred_at, "kind": "activity", "obj": activity})
    for entry in (
        account.entries.exclude(kind="charge").select_related("created_by").order_by("-posted_on", "-id")[:limit]
    ):
        at, dated = _business_moment(entry.created_at, entry.posted_on)
        events.append({"at": at, "dated": dated, "kind": "entry", "obj": entry})
    for promise in account.promises.select_related("created_by")[:limit]:
        at, dated = _business_moment(promise.created_at, promise.created_on)
        events.append({"at": at, "dated": dated, "kind": "promise", "obj": promise})
    for arrangement in account.arrangements.all()[:limit]:
        events.append({"at": arrangement.created_at, "kind": "arrangement", "obj": arrangement})
    for dispute in account.disputes.all()[:limit]:
        events.append({"at": dispute.opened_at, "kind": "dispute", "obj": dispute})
    for assignment in account.assignments.select_related("collector", "assigned_by")[:limit]:
        events.append({"at": assignment.started_at, "kind": "assignment", "obj": assignment})
    for hold in account_holds(account=account)[:limit]:
        events.append({"at": hold.starts_at, "kind": "hold", "obj": hold})
        if hold.released_at:
            events.append({"at": hold.released_at, "kind": "hold_released", "obj": hold})
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def account_holds(*, account: Account):
    """Holds on the account and on its debtor (all their debts), newest first, placed or released."""
    return Hold.objects.filter(Q(account=account) | Q(debtor_id=account.debtor_id)).select_related(
        "placed_by", "released_by"
    )


def contact_point_decisions(*, account: Account, points, at) -> dict:
    """The gate's verdict on each of the debtor's numbers (a call) and addresses (an email) at `at`.

    One decision per contact point (a fixed handful of queries each): a debtor has a few numbers,
    and the count does not grow with the account's history."""
    from compliance.gate import contact_decision  # here: compliance.selectors imports this module

    return {
        point.pk: contact_decision(
            account=account, channel="call" if point.kind == "phone" else "email", contact_point=point, at=at
        )
        for point in points
    }


def account_page(*, account: Account, on, at=None) -> dict:
    """Everything the account page shows, in a bounded number of queries."""
    at = at or timezone.now()
    points = list(account.debtor.contact_points.all())
    holds = list(account_holds(account=account)[:50])
    return {
        "account": account,
        "debtor": account.debtor,
        "contact_points": points,
        "verdicts": contact_point_decisions(account=account, points=points, at=at),
        "holds_active": [
            h for h in holds if h.released_at is None and h.starts_at <= at and (h.ends_at is None or h.ends_at > at)
        ],
        "assignments": list(account.assignments.select_related("collector", "assigned_by")[:20]),
        "addresses": list(account.debtor.addresses.all()),
        "aging": account_aging(account=account, on=on),
        "open_invoices": list(account.invoices.filter(open_amount__gt=0).order_by("due_on", "issued_on", "id")[:50]),
        "entries": list(account.entries.select_related("invoice").order_by("-posted_on", "-id")[:50]),
        "timeline": account_timeline(account=account),
        "promise": account.promises.filter(status=PromiseStatus.PENDING).first(),
        "arrangement": account.arrangements.filter(status=PlanStatus.ACTIVE).prefetch_related("instalments").first(),
        "open_disputes": list(account.disputes.filter(resolved_at__isnull=True)),
        "today": on,
    }


def credit_remainders(entries):
    """The credits among `entries` (payments, credits, write-offs; not reversed) with money still
    unapplied, as `remainder`, oldest first: what a new invoice absorbs."""
    return (
        entries.filter(kind__in=CREDIT_KINDS, reversed_by__isnull=True)
        .annotate(applied=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=_AMOUNT))
        .annotate(remainder=Round(-F("amount") - F("applied"), 2))  # SQLite sums decimals as floats
        .filter(remainder__gt=0)
        .order_by("posted_on", "id")
    )
