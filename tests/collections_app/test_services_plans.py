"""Promises to pay and payment arrangements: validation, schedules and status transitions."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.errors import DomainError
from collections_app.models import AccountStatus, Arrangement, Frequency, Instalment, PlanStatus, Promise, PromiseStatus
from collections_app.services.ledger import entry_reverse, invoice_create, payment_post
from collections_app.services.plans import (
    MAX_INSTALMENTS,
    arrangement_cancel,
    arrangement_create,
    arrangement_schedule,
    plans_evaluate,
    plans_evaluate_all,
    promise_create,
)

from .factories import AccountFactory

D = Decimal
T0 = datetime.date(2024, 3, 1)


def day(n):
    return T0 + datetime.timedelta(days=n)


class Clock:
    """The business date the services see as today (timezone.localdate)."""

    def __init__(self):
        self.today = T0

    def set(self, n):
        self.today = day(n)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: c.today)
    return c


@pytest.fixture
def account(db, clock):
    """An account owing 300.00 (one invoice issued 60 days before T0)."""
    account = AccountFactory()
    invoice_create(account=account, amount=D("300.00"), issued_on=day(-60), due_on=day(-30))
    account.refresh_from_db()
    return account


def pay(account, amount, on):
    return payment_post(account=account, amount=D(amount), received_on=day(on))


def status_of(obj):
    obj.refresh_from_db()
    return obj.status


# --- promises ---------------------------------------------------------------------------------


def test_promise_kept_by_payments_within_due_plus_grace(account, clock):
    promise = promise_create(account=account, amount=D("100.00"), due_on=day(10), today=T0)
    assert (promise.created_on, promise.status) == (T0, PromiseStatus.PENDING)
    assert promise.window_ends_on == day(10 + promise.grace_days)
    account.refresh_from_db()
    assert account.next_action_on == day(10)
    last_day = 10 + promise.grace_days
    clock.set(3)
    pay(account, "60.00", 3)
    assert status_of(promise) == PromiseStatus.PENDING
    clock.set(last_day)
    pay(account, "40.00", last_day)
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on) == (PromiseStatus.KEPT, day(last_day))


def test_promise_broken_after_the_window(account, clock):
    promise = promise_create(account=account, amount=D("100.00"), due_on=day(10), today=T0)
    last_day = 10 + promise.grace_days
    clock.set(5)
    pay(account, "50.00", 5)
    plans_evaluate(account=account, today=day(last_day))
    assert status_of(promise) == PromiseStatus.PENDING
    # A payment the day after the window closes is too late, and the evaluation breaks the promise.
    clock.set(last_day + 1)
    pay(account, "50.00", last_day + 1)
    promise.refresh_from_db()
    assert (promise.status, promise.resolved_on) == (PromiseStatus.BROKEN, day(last_day + 1))


def test_payments_before_the_promise_do_not_count(account, clock):
    promise = promise_create(account=account, amount=D("100.00"), due_on=day(5), today=T0)
    pay(account, "100.00", -1)  # received the day before the promise, posted late
    assert status_of(promise) == PromiseStatus.PENDING
    plans_evaluate(account=account, today=day(30))
    assert status_of(promise) == PromiseStatus.BROKEN


def test_reversed_payment_does_not_count(account, clock):
    promise = promise_create(account=account, amount=D("100.00"), due_on=day(5), today=T0)
    clock.set(1)
    bounced = pay(account, "60.00", 1)
    entry_reverse(entry=bounced, reason="cheque bounced")
    pay(account, "40.00", 1)
    assert status_of(promise) == PromiseStatus.PENDING
    plans_evaluate(account=account, today=day(30))
    assert status_of(promise) == PromiseStatus.BROKEN


def test_reversal_of_a_payment_before_the_promise_does_not_count_against_it(account, clock):
    clock.set(-5)
    old = pay(account, "50.00", -5)
    clock.set(0)
    promise = promise_create(account=account, amount=D("100.00"), due_on=day(5), today=T0)
    clock.set(1)
    entry_reverse(entry=old, reason="cheque bounced")  # raises the balance back to 300
    clock.set(2)
    pay(account, "100.00", 2)
    assert status_of(promise) == PromiseStatus.KEPT


def test_promise_validation(account, clock):
    cases = [
        (D("300.01"), day(5), "promise_exceeds_balance"),
        (D("0.00"), day(5), "invalid_amount"),
        (D("-5.00"), day(5), "invalid_amount"),
        (D("10.005"), day(5), "invalid_amount"),
        (D("10.00"), day(-1), "invalid_date"),
        (D("10.00"), day(91), "promise_too_far"),
    ]
    for amount, due_on, code in cases:
        with pytest.raises(DomainError) as exc:
            promise_create(account=account, amount=amount, due_on=due_on, today=T0)
        assert exc.value.code == code, (amount, due_on)
    assert not Promise.objects.exists()
    promise_create(account=account, amount=D("300.00"), due_on=day(90), today=T0)  # the limits themselves
    with pytest.raises(DomainError) as exc:
        promise_create(account=account, amount=D("10.00"), due_on=day(3), today=T0)
    assert exc.value.code == "promise_pending"
    assert Promise.objects.count() == 1


def test_promise_today_is_allowed_and_a_new_one_after_resolution(account, clock):
    first = promise_create(account=account, amount=D("10.00"), due_on=T0, today=T0)
    pay(account, "10.00", 0)
    assert status_of(first) == PromiseStatus.KEPT
    second = promise_create(account=account, amount=D("20.00"), due_on=day(7), today=T0)
    assert second.status == PromiseStatus.PENDING


def test_plans_evaluate_all_marks_kept_and_broken_promises(db, clock):
    accounts = []
    for _ in range(4):
        acc = AccountFactory()
        invoice_create(account=acc, amount=D("500.00"), issued_on=day(-60), due_on=day(-30))
        accounts.append(acc)
    kept_acc, broken_acc, open_acc, reversed_acc = accounts
    # Payments posted before the promises were recorded (e.g. a promise entered late).
    pay(kept_acc, "70.00", -4)
    pay(kept_acc, "30.00", -3)
    pay(broken_acc, "99.99", -3)  # after the window of its promise
    bounced = pay(reversed_acc, "100.00", -3)
    clock.set(-2)
    entry_reverse(entry=bounced, reason="returned")
    clock.set(0)
    kept = promise_create(account=kept_acc, amount=D("100.00"), due_on=day(-2), today=day(-5))
    broken = promise_create(account=broken_acc, amount=D("100.00"), due_on=day(-15), today=day(-20))
    pending = promise_create(account=open_acc, amount=D("100.00"), due_on=day(5), today=T0)
    unpaid = promise_create(account=reversed_acc, amount=D("100.00"), due_on=day(-4), today=day(-5))
    assert broken.window_ends_on < T0 and kept.window_ends_on >= day(-3)

    result = plans_evaluate_all(today=T0)

    assert unpaid.window_ends_on < T0  # due day -4 plus grace: closed, paid 100 and reversed 100
    assert (result["promises_kept"], result["promises_broken"]) == (1, 2)
    assert [status_of(p) for p in (kept, broken, pending)] == [
        PromiseStatus.KEPT,
        PromiseStatus.BROKEN,
        PromiseStatus.PENDING,
    ]
    assert status_of(unpaid) == PromiseStatus.BROKEN
    kept.refresh_from_db()
    assert kept.resolved_on == T0
    again = plans_evaluate_all(today=T0)
    assert (again["promises_kept"], again["promises_broken"]) == (0, 0)


# --- schedules --------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=100, max_value=5_000_000),
    count=st.integers(min_value=1, max_value=MAX_INSTALMENTS),
    frequency=st.sampled_from(Frequency.values),
    start=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)),
)
def test_schedule_sums_exactly_to_the_total(cents, count, frequency, start):
    cents = max(cents, count)  # at least a cent an instalment
    total = D(cents).scaleb(-2)
    schedule = arrangement_schedule(total=total, count=count, frequency=frequency, start_on=start, today=start)
    dates = [d for d, _ in schedule]
    amounts = [a for _, a in schedule]
    assert len(schedule) == count
    assert sum(amounts, D("0")) == total
    assert all(a > 0 and a.as_tuple().exponent == -2 for a in amounts)
    assert len(set(amounts[:-1])) <= 1  # equal instalments, the difference on the last
    assert abs(amounts[-1] - amounts[0]) <= D("0.01") * count
    assert dates[0] == start
    assert all(b > a for a, b in zip(dates, dates[1:], strict=False))
    if frequency == Frequency.WEEKLY:
        assert all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))
    elif frequency == Frequency.FORTNIGHTLY:
        assert all((b - a).days == 14 for a, b in zip(dates, dates[1:], strict=False))
    else:
        assert all(d.day == min(start.day, 28) or d.day >= 28 for d in dates)


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        ("100.00", 3, ["33.33", "33.33", "33.34"]),
        ("100.00", 6, ["16.67"] * 5 + ["16.65"]),
        ("0.05", 5, ["0.01"] * 5),
        ("1000.01", 2, ["500.01", "500.00"]),
    ],
)
def test_schedule_awkward_totals(total, count, expected):
    schedule = arrangement_schedule(total=D(total), count=count, frequency=Frequency.WEEKLY, start_on=T0, today=T0)
    assert [a for _, a in schedule] == [D(x) for x in expected]


@pytest.mark.parametrize(("total", "count"), [("10.00", 60), ("1.00", 60), ("0.10", 6)])
def test_schedule_small_feasible_totals(total, count):
    schedule = arrangement_schedule(total=D(total), count=count, frequency=Frequency.MONTHLY, start_on=T0, today=T0)
    amounts = [a for _, a in schedule]
    assert sum(amounts, D("0")) == D(total) and all(a > 0 for a in amounts)


def test_monthly_dates_across_month_ends():
    schedule = arrangement_schedule(
        total=D("500.00"),
        count=5,
        frequency=Frequency.MONTHLY,
        start_on=datetime.date(2024, 1, 31),
        today=datetime.date(2024, 1, 31),
    )
    assert [d for d, _ in schedule] == [
        datetime.date(2024, 1, 31),
        datetime.date(2024, 2, 29),
        datetime.date(2024, 3, 31),
        datetime.date(2024, 4, 30),
        datetime.date(2024, 5, 31),
    ]
    non_leap = arrangement_schedule(
        total=D("200.00"),
        count=2,
        frequency=Frequency.MONTHLY,
        start_on=datetime.date(2023, 1, 31),
        today=datetime.date(2023, 1, 31),
    )
    assert [d for d, _ in non_leap] == [datetime.date(2023, 1, 31), datetime.date(2023, 2, 28)]
    year_end = arrangement_schedule(
        total=D("200.00"), count=3, frequency=Frequency.FORTNIGHTLY, start_on=datetime.date(2024, 12, 25), today=T0
    )
    assert [d for d, _ in year_end] == [
        datetime.date(2024, 12, 25),
        datetime.date(2025, 1, 8),
        datetime.date(2025, 1, 22),
    ]


@pytest.mark.parametrize(
    ("total", "count", "frequency", "code"),
    [
        (D("100.00"), 0, "monthly", "invalid_count"),
        (D("100.00"), 61, "monthly", "invalid_count"),
        (D("100.00"), 2.0, "monthly", "invalid_count"),
        (D("0.00"), 2, "monthly", "invalid_amount"),
        (D("-1.00"), 2, "monthly", "invalid_amount"),
        (100, 2, "monthly", "invalid_amount"),
        (D("100.00"), 2, "daily", "invalid_frequency"),
        (D("0.01"), 2, "weekly", "invalid_amount"),
    ],
)
def test_schedule_validation(total, count, frequency, code):
    with pytest.raises(DomainError) as exc:
        arrangement_schedule(total=total, count=count, frequency=frequency, start_on=T0, today=T0)
    assert exc.value.code == code


def test_a_schedule_starting_in_the_past_is_refused_and_today_allowed():
    with pytest.raises(DomainError) as exc:
        arrangement_schedule(
            total=D("90.00"), count=3, frequency="weekly", start_on=T0 - datetime.timedelta(days=1), today=T0
        )
    assert exc.value.code == "invalid_date" and exc.value.field == "start_on"
    assert exc.value.message == "The first instalment cannot be in the past: choose today or a later day."
    schedule = arrangement_schedule(total=D("90.00"), count=3, frequency="weekly", start_on=T0, today=T0)
    assert schedule[0] == (T0, D("30.00"))


# --- arrangements -----------------------------------------------------------------------------


def weekly(account, total="300.00", count=3, missed_allowed=1, start=7):
    return arrangement_create(
        account=account,
        total_amount=D(total),
        count=count,
        frequency=Frequency.WEEKLY,
        start_on=day(start),
        missed_allowed=missed_allowed,
        today=T0,
    )


def instalment_statuses(arrangement):
    return list(arrangement.instalments.order_by("sequence").values_list("status", flat=True))


def test_arrangement_create_rows_and_account_status(account, clock):
    arrangement = weekly(account)
    assert (arrangement.status, arrangement.created_on, arrangement.missed_allowed) == (PlanStatus.ACTIVE, T0, 1)
    rows = list(arrangement.instalments.order_by("sequence").values_list("sequence", "due_on", "amount", "status"))
    assert rows == [
        (1, day(7), D("100.00"), "pending"),
        (2, day(14), D("100.00"), "pending"),
        (3, day(21), D("100.00"), "pending"),
    ]
    account.refresh_from_db()
    assert (account.status, account.next_action_on) == (AccountStatus.IN_ARRANGEMENT, day(7))


def test_arrangement_validation(account, clock):
    for kwargs, code in (
        ({"total": "300.01"}, "arrangement_exceeds_balance"),
        ({"start": -1}, "invalid_date"),
        ({"count": 61}, "invalid_count"),
    ):
        with pytest.raises(DomainError) as exc:
            weekly(account, **kwargs)
        assert exc.value.code == code
    assert not Arrangement.objects.exists()


def test_one_active_arrangement_per_account(account, clock):
    first = weekly(account)
    with pytest.raises(DomainError) as exc:
        weekly(account, total="100.00", count=1)
    assert exc.value.code == "arrangement_active"
    with pytest.raises(IntegrityError), transaction.atomic():
        Arrangement.objects.create(
            account=account, total_amount=D("1.00"), frequency="weekly", start_on=T0, created_on=T0
        )
    arrangement_cancel(arrangement=first, today=T0)
    second = weekly(account, total="100.00", count=1)
    assert second.status == PlanStatus.ACTIVE
    assert Arrangement.objects.filter(account=account, status=PlanStatus.ACTIVE).count() == 1


def test_arrangement_cancel(account, clock):
    arrangement = weekly(account)
    arrangement_cancel(arrangement=arrangement, today=day(2))
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.resolved_on) == (PlanStatus.CANCELLED, day(2))
    assert instalment_statuses(arrangement) == ["cancelled"] * 3
    assert status_of(account) == AccountStatus.ACTIVE
    with pytest.raises(DomainError) as exc:
        arrangement_cancel(arrangement=arrangement)
    assert exc.value.code == "arrangement_not_active"


def test_arrangement_kept_to_completed_and_account_paid(account, clock):
    arrangement = weekly(account)
    for n, due in enumerate((7, 14, 21), start=1):
        clock.set(due)
        pay(account, "100.00", due)
        expected = ["kept"] * n + ["pending"] * (3 - n)
        assert instalment_statuses(arrangement) == expected
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.resolved_on) == (PlanStatus.COMPLETED, day(21))
    account.refresh_from_db()
    assert (account.status, account.balance) == (AccountStatus.PAID, D("0.00"))


def test_completed_arrangement_for_part_of_the_balance_returns_account_to_active(account, clock):
    arrangement = weekly(account, total="200.00", count=2)
    clock.set(3)
    pay(account, "200.00", 3)  # paid early, all at once
    assert status_of(arrangement) == PlanStatus.COMPLETED
    assert instalment_statuses(arrangement) == ["kept", "kept"]
    account.refresh_from_db()
    assert (account.status, account.balance) == (AccountStatus.ACTIVE, D("100.00"))


def test_missed_instalment_tolerated_then_broken(account, clock):
    arrangement = weekly(account, missed_allowed=1)
    grace = arrangement.grace_days
    plans_evaluate(account=account, today=day(7 + grace))  # last day of the first window
    assert instalment_statuses(arrangement) == ["pending"] * 3
    plans_evaluate(account=account, today=day(7 + grace + 1))
    assert instalment_statuses(arrangement) == ["missed", "pending", "pending"]
    assert status_of(arrangement) == PlanStatus.ACTIVE
    assert status_of(account) == AccountStatus.IN_ARRANGEMENT
    plans_evaluate(account=account, today=day(14 + grace + 1))
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.resolved_on) == (PlanStatus.BROKEN, day(14 + grace + 1))
    assert instalment_statuses(arrangement) == ["missed", "missed", "cancelled"]
    assert status_of(account) == AccountStatus.ACTIVE


def test_partial_payment_does_not_keep_an_instalment(account, clock):
    arrangement = weekly(account, missed_allowed=0)
    clock.set(7)
    pay(account, "99.99", 7)
    assert instalment_statuses(arrangement) == ["pending"] * 3
    plans_evaluate(account=account, today=day(7 + arrangement.grace_days + 1))
    assert status_of(arrangement) == PlanStatus.BROKEN
    assert instalment_statuses(arrangement) == ["missed", "cancelled", "cancelled"]


def test_late_payment_within_grace_keeps(account, clock):
    arrangement = weekly(account, missed_allowed=0)
    clock.set(7 + arrangement.grace_days)
    pay(account, "100.00", 7 + arrangement.grace_days)
    assert instalment_statuses(arrangement) == ["kept", "pending", "pending"]
    assert status_of(arrangement) == PlanStatus.ACTIVE


def test_arrangement_with_a_tolerated_miss_completes_when_paid(account, clock):
    arrangement = weekly(account, missed_allowed=1)
    grace = arrangement.grace_days
    clock.set(7 + grace + 1)
    plans_evaluate(account=account, today=clock.today)
    assert instalment_statuses(arrangement) == ["missed", "pending", "pending"]
    clock.set(14)
    pay(account, "200.00", 14)
    clock.set(21)
    pay(account, "100.00", 21)
    assert instalment_statuses(arrangement) == ["missed", "kept", "kept"]
    plans_evaluate_all(today=day(60))
    assert status_of(arrangement) == PlanStatus.COMPLETED


def test_plans_evaluate_all_evaluates_arrangements_with_a_date_passed(account, clock):
    arrangement = weekly(account, missed_allowed=0)
    other = AccountFactory()
    invoice_create(account=other, amount=D("50.00"), issued_on=day(-10), due_on=day(-5))
    future = weekly(other, total="50.00", count=1, start=40)
    result = plans_evaluate_all(today=day(7 + arrangement.grace_days + 1))
    assert result["arrangements"] == 1
    assert status_of(arrangement) == PlanStatus.BROKEN
    assert status_of(future) == PlanStatus.ACTIVE
    assert Instalment.objects.filter(arrangement=future, status="pending").count() == 1


def test_plans_evaluate_all_keeps_a_promise_paid_exactly_in_parts(db, clock):
    account = AccountFactory()
    invoice_create(account=account, amount=D("5.00"), issued_on=day(-60), due_on=day(-30))
    pay(account, "0.06", -3)
    pay(account, "0.01", -2)
    promise = promise_create(account=account, amount=D("0.07"), due_on=day(-1), today=day(-4))
    result = plans_evaluate_all(today=day(10))  # after the window: kept or broken, nothing else
    assert (result["promises_kept"], result["promises_broken"]) == (1, 0)
    assert status_of(promise) == PromiseStatus.KEPT
