"""The set-based companion agrees with the gate, in a fixed number of queries; no allowed sequence breaks a cap."""

import contextlib
import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collections_app.errors import DomainError
from collections_app.models import Account, Activity, Dispute
from collections_app.services.activities import activity_log
from compliance.gate import contact_decision
from compliance.models import StateRule
from compliance.selectors import accounts_contactable, accounts_with_contactability
from compliance.services import hold_place

from .conftest import attempt, local

DEN = "America/Denver"
NY = "America/New_York"


@pytest.fixture
def portfolio(make_account):
    StateRule.objects.get_or_create(
        region="MA",
        defaults={
            "name": "Massachusetts",
            "personal_cap": 2,
            "personal_cap_days": 7,
            "other_cap": 2,
            "other_cap_days": 30,
        },
    )
    day = local(DEN, 2026, 3, 2, 10, 0)
    accounts = {}
    accounts["clean"] = make_account(phones=[{"value": "+13035550100"}])
    accounts["held"] = make_account(phones=[{"value": "+13035550101"}])
    hold_place(reason="bankruptcy", debtor=accounts["held"].debtor, starts_at=day)
    accounts["disputed"] = make_account(phones=[{"value": "+13035550102"}])
    Dispute.objects.create(account=accounts["disputed"], reason="x", opened_at=day, within_validation_period=True)
    accounts["capped"] = make_account(phones=[{"value": "+13035550103"}])
    for minute in range(7):
        attempt(accounts["capped"], day + datetime.timedelta(minutes=minute), to="+13035550103")
    accounts["talked"] = make_account(phones=[{"value": "+13035550104"}])
    attempt(accounts["talked"], day, to="+13035550104", conversation=True)
    accounts["ma_capped"] = make_account(
        timezone=NY, region="MA", phones=[{"value": "+16175550100", "usage": "mobile"}]
    )
    for hour in (10, 11):
        attempt(accounts["ma_capped"], local(NY, 2026, 3, 2, hour, 0), to="+16175550100")
    accounts["ma_open"] = make_account(
        timezone=NY,
        region="MA",
        phones=[{"value": "+16175550101", "usage": "mobile"}, {"value": "+16175550102", "usage": "work"}],
    )
    for hour in (10, 11):
        attempt(accounts["ma_open"], local(NY, 2026, 3, 2, hour, 0), to="+16175550101")
    return accounts


BLOCKED = {"held", "disputed", "capped", "talked", "ma_capped"}


def test_set_based_annotations_match_the_gate(portfolio, django_assert_max_num_queries):
    at = local(DEN, 2026, 3, 5, 12, 0)
    ids = {account.pk: name for name, account in portfolio.items()}
    with django_assert_max_num_queries(4):
        rows = list(accounts_with_contactability(Account.objects.filter(pk__in=ids), at=at))
    blocked = {ids[row.pk] for row in rows if row.gate_blocked}
    assert blocked == BLOCKED
    row = {ids[r.pk]: r for r in rows}
    assert row["held"].gate_hold_reason == "bankruptcy"
    assert row["capped"].gate_call_attempts == 7 and row["capped"].gate_call_cap == 7
    assert row["talked"].gate_recent_conversation and row["ma_capped"].gate_state_capped
    assert all(r.gate_in_hours for r in rows)
    # The exact gate agrees on every account, for the debtor's first number.
    for name, account in portfolio.items():
        point = account.debtor.contact_points.first()
        decision = contact_decision(account=account, channel="call", contact_point=point, at=at)
        if name == "ma_open":
            assert not decision.allowed  # the mobile is capped; the work number is still open
            work = account.debtor.contact_points.get(usage="work")
            assert contact_decision(account=account, channel="call", contact_point=work, at=at).allowed
        else:
            assert decision.allowed is (name not in BLOCKED), name


def test_set_based_windows_slide_like_the_gate(portfolio):
    ids = {account.pk: name for name, account in portfolio.items()}
    day8 = local(DEN, 2026, 3, 9, 8, 0)
    open_names = {ids[a.pk] for a in accounts_contactable(Account.objects.filter(pk__in=ids), at=day8)}
    assert open_names == {"clean", "capped", "talked", "ma_capped", "ma_open"}
    day7 = local(DEN, 2026, 3, 8, 20, 0)
    queryset = Account.objects.filter(pk__in=ids)
    open_names = {ids[a.pk] for a in accounts_contactable(queryset, at=day7, in_hours=False)}
    assert open_names == {"clean", "ma_open"}  # ma_open still has its work number


def test_set_based_hours_filter(portfolio):
    ids = {account.pk: name for name, account in portfolio.items()}
    # 07:30 in Denver is 09:30 in New York: only the Massachusetts debtors are within hours.
    at = local(DEN, 2026, 3, 20, 7, 30)
    names = {ids[a.pk] for a in accounts_contactable(Account.objects.filter(pk__in=ids), at=at)}
    assert names == {"ma_open", "ma_capped"}


def test_set_based_works_without_state_rules(portfolio):
    StateRule.objects.all().delete()
    ids = {account.pk: name for name, account in portfolio.items()}
    at = local(DEN, 2026, 3, 5, 12, 0)
    rows = accounts_with_contactability(Account.objects.filter(pk__in=ids), at=at)
    assert {ids[r.pk] for r in rows if r.gate_blocked} == BLOCKED - {"ma_capped"}


# --- property: whatever is tried, what the gate let through never breaks a cap -----------------

OUTCOMES = [
    "no_answer",
    "voicemail",
    "busy",
    "right_party_contact",
    "promise_to_pay",
    "disconnected",
    "callback_requested",
]


def _days_window_max(moments, zone, days):
    local_days = sorted(m.astimezone(zone).date() for m in moments)
    worst = 0
    for first in local_days:
        last = first + datetime.timedelta(days=days - 1)
        worst = max(worst, sum(1 for d in local_days if first <= d <= last))
    return worst


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gaps=st.lists(st.integers(min_value=1, max_value=36 * 60), min_size=5, max_size=40),
    outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=40, max_size=40),
    massachusetts=st.booleans(),
)
def test_no_allowed_sequence_exceeds_the_caps(make_account, gaps, outcomes, massachusetts):
    StateRule.objects.get_or_create(
        region="MA",
        defaults={
            "name": "Massachusetts",
            "personal_cap": 2,
            "personal_cap_days": 7,
            "other_cap": 2,
            "other_cap_days": 30,
        },
    )
    zone = NY if massachusetts else DEN
    number = "+16175550100" if massachusetts else "+13035550100"
    account = make_account(
        timezone=zone, region="MA" if massachusetts else "CO", phones=[{"value": number, "usage": "mobile"}]
    )
    at = local(zone, 2026, 2, 27, 6, 0)
    for gap, outcome in zip(gaps, outcomes, strict=False):
        at += datetime.timedelta(minutes=gap)
        with contextlib.suppress(DomainError):  # refused tries are what the property is about
            activity_log(account=account, channel="call", outcome=outcome, to=number, at=at)
    logged = list(Activity.objects.filter(account=account).exclude(outcome="held"))
    attempts = [a.occurred_at for a in logged if a.is_attempt]
    tz = ZoneInfo(zone)
    assert _days_window_max(attempts, tz, 7) <= (2 if massachusetts else 7)
    for a in logged:
        local_time = a.occurred_at.astimezone(tz).time()
        assert datetime.time(8) <= local_time < datetime.time(21)
    # Nothing after a conversation within its 7 days (the conversation's own day is day one).
    conversations = [a.occurred_at.astimezone(tz).date() for a in logged if a.is_conversation]
    for a in logged:
        day = a.occurred_at.astimezone(tz).date()
        assert not any(
            c <= day <= c + datetime.timedelta(days=6) and a.occurred_at > conv
            for c, conv in zip(conversations, [x.occurred_at for x in logged if x.is_conversation], strict=True)
        )
