"""The batched gate (`contact_decisions`, `iter_contact_decisions`) answers exactly as `contact_decision` does
for the point it picks, over holds, disputes, caps, state limits, zones, opt-outs, consent and flags."""

import datetime

import pytest

from collections_app.models import Account, Dispute
from compliance.gate import contact_decision, contact_decisions, iter_contact_decisions
from compliance.models import AccountCompliance, StateRule, StatuteOfLimitations
from compliance.services import hold_place

from .conftest import attempt, local

DEN = "America/Denver"
NY = "America/New_York"
DAY = local(DEN, 2026, 3, 2, 10, 0)
# Inside hours everywhere in the continental US, before hours in Denver, after them in New York, and later.
MOMENTS = [
    local(DEN, 2026, 3, 3, 12, 0),
    local(DEN, 2026, 3, 3, 6, 30),
    local(NY, 2026, 3, 3, 21, 30),
    local(DEN, 2026, 3, 12, 12, 0),
]
CHANNELS = ["call", "sms", "email", "letter", "inbound_call"]


@pytest.fixture
def portfolio(make_account):
    """Accounts each refused (or not) by a different rule, some with several numbers."""
    StateRule.objects.get_or_create(
        region="MA",
        defaults={"name": "Massachusetts", "personal_cap": 2, "other_cap": 2, "other_cap_days": 30},
    )
    StatuteOfLimitations.objects.get_or_create(region="CO", defaults={"years": 1})
    built = [
        make_account(phones=[{"value": "+13035550100", "is_primary": True}]),
        make_account(phones=[]),
        make_account(
            timezone="",
            phones=[{"value": "+12125550100", "usage": "work"}, {"value": "+13105550100", "is_primary": True}],
            emails=[{"value": "w@example.com", "usage": "work", "source": "employer"}],
        ),
        make_account(
            phones=[{"value": "+13035550101", "opted_out": True, "consent_autodial": True}],
            emails=[{"value": "o@example.com", "opted_out": True}],
        ),
        make_account(timezone="Pacific/Honolulu", region="HI", phones=[{"value": "+18085550100"}]),
        make_account(timezone="Mars/Base", country="", phones=[{"value": "+18005550100"}]),
    ]
    held = make_account(phones=[{"value": "+13035550102"}])
    hold_place(reason="attorney", account=held, starts_at=DAY)
    debtor_held = make_account(phones=[{"value": "+13035550103"}])
    hold_place(reason="cease", debtor=debtor_held.debtor, starts_at=DAY)
    later = make_account(phones=[{"value": "+13035550104"}])
    hold_place(reason="other", account=later, starts_at=DAY + datetime.timedelta(days=2), channel="call")
    hold_place(reason="other", account=later, starts_at=DAY, ends_at=DAY + datetime.timedelta(days=1))
    disputed = make_account(phones=[{"value": "+13035550105"}])
    Dispute.objects.create(account=disputed, reason="x", opened_at=DAY, within_validation_period=True)
    capped = make_account(phones=[{"value": "+13035550106"}])
    for minute in range(7):
        attempt(capped, DAY + datetime.timedelta(minutes=minute), to="+13035550106")
    talked = make_account(phones=[{"value": "+13035550107"}])
    attempt(talked, DAY, to="+13035550107", conversation=True)
    for usage in ("mobile", "work"):
        ma = make_account(
            timezone=NY,
            region="ma",
            phones=[{"value": "+16175550101", "usage": "mobile"}, {"value": "+16175550102", "usage": "work"}],
        )
        for hour in (10, 11):
            attempt(ma, local(NY, 2026, 3, 2, hour, 0), to="+16175550101" if usage == "mobile" else "+16175550102")
        attempt(ma, local(NY, 2026, 3, 2, 12, 0), to="+16175550199", channel="sms")
        built.append(ma)
    profiled = make_account(phones=[{"value": "+13035550108"}], oldest_open_due_on=datetime.date(2020, 1, 1))
    AccountCompliance.objects.create(account=profiled, first_communication_at=DAY - datetime.timedelta(days=9))
    built += [held, debtor_held, later, disputed, capped, talked, profiled]
    return [Account.objects.select_related("debtor").get(pk=a.pk) for a in built]


@pytest.mark.parametrize("at", MOMENTS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_the_batch_answers_as_the_single_gate_for_the_point_it_picks(portfolio, at, channel):
    answers = contact_decisions(portfolio, channel=channel, at=at)
    assert list(answers) == [a.pk for a in portfolio]
    for account in portfolio:
        decision, point = answers[account.pk]
        assert decision == contact_decision(account=account, channel=channel, contact_point=point, at=at)
        kind = {"call": "phone", "sms": "phone", "email": "email"}.get(channel)
        points = sorted(
            (p for p in account.debtor.contact_points.order_by("id") if kind is None or p.kind == kind),
            key=lambda p: not p.is_primary,
        )
        singles = [(contact_decision(account=account, channel=channel, contact_point=p, at=at), p) for p in points]
        allowed = [p for d, p in singles if d.allowed]
        if allowed:
            assert decision.allowed and point == allowed[0]
        elif not points:
            assert point is None
        else:
            assert not decision.allowed and point in points


@pytest.mark.parametrize("at", MOMENTS)
def test_judged_one_at_a_time_the_answers_are_the_batchs(portfolio, at, django_assert_max_num_queries):
    batch = contact_decisions(portfolio, channel="call", at=at)
    with django_assert_max_num_queries(8):  # the reads, before the first answer; none after
        answers = iter_contact_decisions(portfolio, channel="call", at=at)
    with django_assert_max_num_queries(0):
        one_by_one = {account.pk: (decision, point) for account, decision, point in answers}
    assert one_by_one == batch


def test_an_empty_batch_reads_nothing_it_does_not_need(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert contact_decisions([], channel="call", at=MOMENTS[0]) == {}
