"""Calling hours at their boundaries, in several zones, across DST changes and with ambiguous zones."""

import datetime

import pytest

from collections_app.models import ContactPoint
from compliance.gate import contact_decision, next_common_window

from .conftest import UTC, local

ZONES = ["America/New_York", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu", "America/Phoenix"]


@pytest.fixture
def zoned_account(make_account):
    def build(zone, **extra):
        return make_account(
            timezone=zone,
            phones=[{"value": "+12125550100", "usage": "home", "timezone": zone, "is_primary": True}],
            **extra,
        )

    return build


def call(account, at, **kwargs):
    point = account.debtor.contact_points.filter(kind="phone").first()
    return contact_decision(account=account, channel="call", contact_point=point, at=at, **kwargs)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False)],
)
def test_calling_window_boundaries(zoned_account, zone, hour, minute, allowed):
    account = zoned_account(zone)
    decision = call(account, local(zone, 2026, 6, 10, hour, minute))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.codes == ["outside_hours"]
        assert decision.verdict == "not_now"
        opens = decision.next_allowed_at.astimezone(local(zone, 2026, 1, 1).tzinfo)
        assert (opens.hour, opens.minute) == (8, 0)
        assert opens.date() == (datetime.date(2026, 6, 10) if hour < 8 else datetime.date(2026, 6, 11))


def test_refusal_reads_like_a_sentence(zoned_account):
    account = zoned_account("America/Denver")
    decision = call(account, local("America/Denver", 2026, 6, 10, 7, 18))
    assert decision.message == "Calling hours in America/Denver start at 8:00 — in 42 minutes."
    decision = call(account, local("America/Denver", 2026, 6, 10, 21, 30))
    assert decision.message == (
        "Calling hours in America/Denver ended at 21:00 (it is 21:30 there); they start again at 8:00 "
        "tomorrow — in 10 hours 30 minutes."
    )


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        # 2026-03-08: New York springs forward at 2:00, so 8:00 is 12:00 UTC (it was 13:00 the day before).
        (datetime.datetime(2026, 3, 8, 11, 59, tzinfo=UTC), False),
        (datetime.datetime(2026, 3, 8, 12, 0, tzinfo=UTC), True),
        (datetime.datetime(2026, 3, 9, 0, 59, tzinfo=UTC), True),  # 20:59 EDT
        (datetime.datetime(2026, 3, 9, 1, 0, tzinfo=UTC), False),  # 21:00 EDT
        (datetime.datetime(2026, 3, 7, 12, 30, tzinfo=UTC), False),  # 7:30 EST the day before
        # 2026-11-01: back to EST, so 8:00 is 13:00 UTC and 21:00 is 02:00 UTC.
        (datetime.datetime(2026, 11, 1, 12, 59, tzinfo=UTC), False),
        (datetime.datetime(2026, 11, 1, 13, 0, tzinfo=UTC), True),
        (datetime.datetime(2026, 11, 2, 1, 59, tzinfo=UTC), True),
        (datetime.datetime(2026, 11, 2, 2, 0, tzinfo=UTC), False),
    ],
)
def test_dst_change_days_in_new_york(zoned_account, utc, allowed):
    account = zoned_account("America/New_York")
    assert call(account, utc).allowed is allowed


def test_next_allowed_moment_crosses_the_spring_forward(zoned_account):
    account = zoned_account("America/New_York")
    decision = call(account, local("America/New_York", 2026, 3, 7, 21, 30))  # 02:30 UTC on the 8th
    assert decision.next_allowed_at == datetime.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert "in 9 hours 30 minutes" in decision.message  # 10.5 hours on the wall clock, 9.5 real


def test_next_allowed_moment_crosses_the_fall_back(zoned_account):
    account = zoned_account("America/New_York")
    decision = call(account, local("America/New_York", 2026, 10, 31, 22, 0))
    assert decision.next_allowed_at == datetime.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_phone_zone_and_address_zone_disagree_every_zone_must_suit(make_account):
    # Address says New York, the 303 number says Denver.
    account = make_account(timezone="America/New_York", phones=[{"value": "+13035550100", "usage": "mobile"}])
    point = account.debtor.contact_points.get()
    at_830_ny = local("America/New_York", 2026, 6, 10, 8, 30)  # 6:30 in Denver
    decision = contact_decision(account=account, channel="call", contact_point=point, at=at_830_ny)
    assert not decision.allowed
    assert decision.zones == ("America/New_York", "America/Denver")
    assert "Calling hours in America/Denver start at 8:00 — in 1 hour 30 minutes." in decision.message
    assert "the time must suit every one" in decision.message
    assert decision.next_allowed_at == local("America/Denver", 2026, 6, 10, 8, 0)
    evening = local("America/Denver", 2026, 6, 10, 19, 30)  # 21:30 in New York
    decision = contact_decision(account=account, channel="call", contact_point=point, at=evening)
    assert not decision.allowed and "America/New_York ended at 21:00" in decision.message
    noon = local("America/Denver", 2026, 6, 10, 12, 0)
    decision = contact_decision(account=account, channel="call", contact_point=point, at=noon)
    assert decision.allowed
    assert [f.code for f in decision.flags] == ["ambiguous_zone"]


def test_contact_point_may_list_several_zones(make_account):
    account = make_account(
        timezone="", phones=[{"value": "+16055550100", "timezone": "America/Chicago,America/Denver"}]
    )
    point = account.debtor.contact_points.get()
    assert not contact_decision(
        account=account, channel="call", contact_point=point, at=local("America/Chicago", 2026, 6, 10, 8, 30)
    ).allowed
    assert contact_decision(
        account=account, channel="call", contact_point=point, at=local("America/Chicago", 2026, 6, 10, 9, 0)
    ).allowed


def test_unknown_zone_means_every_us_zone(make_account):
    # A toll-free number says nothing about where the debtor is; no address zone either.
    account = make_account(timezone="", phones=[{"value": "+18005550100", "usage": "other"}])
    point = account.debtor.contact_points.get()
    decision = contact_decision(
        account=account, channel="call", contact_point=point, at=local("America/New_York", 2026, 6, 10, 10, 0)
    )
    assert not decision.allowed and "Pacific/Honolulu" in decision.message
    # 14:00 in Honolulu is 20:00 in New York: inside every US window.
    assert contact_decision(
        account=account, channel="call", contact_point=point, at=local("Pacific/Honolulu", 2026, 6, 10, 14, 0)
    ).allowed


def test_phone_number_prefix_gives_the_zone_when_none_is_stored(make_account):
    account = make_account(timezone="", phones=[{"value": "+13035550100"}])
    decision = contact_decision(
        account=account, channel="call", to="+13035550100", at=local("America/Denver", 2026, 6, 10, 8, 0)
    )
    assert decision.allowed and decision.zones == ("America/Denver",)


def test_email_and_text_follow_hours_but_letters_do_not(denver_account):
    early = local("America/Denver", 2026, 6, 10, 7, 0)
    email = contact_decision(account=denver_account, channel="email", to="dee@example.com", at=early)
    assert email.codes == ["outside_hours"] and email.message.startswith("Contact hours in America/Denver")
    assert contact_decision(account=denver_account, channel="letter", at=early).allowed


def test_inbound_calls_are_always_allowed(denver_account):
    assert contact_decision(
        account=denver_account, channel="inbound_call", at=local("America/Denver", 2026, 6, 10, 3, 0)
    ).allowed


def test_no_common_window_is_never(make_account):
    # Windows 8 hours apart three ways round the clock never overlap all at once.
    account = make_account(
        timezone="UTC",
        phones=[
            {"value": "+13035550100", "timezone": "Asia/Shanghai,Pacific/Pitcairn"},
        ],
    )
    point = ContactPoint.objects.get(debtor=account.debtor)
    decision = contact_decision(account=account, channel="call", contact_point=point, at=datetime.datetime.now(UTC))
    assert decision.codes == ["no_common_hours"] and decision.verdict == "never"


def test_two_zones_that_overlap_have_common_hours(make_account):
    # A Denver address and a New York number: 10:00 in New York is 8:00 in Denver, both open.
    account = make_account(
        timezone="America/Denver", phones=[{"value": "+12125550100", "timezone": "America/New_York"}]
    )
    point = ContactPoint.objects.get(debtor=account.debtor)
    decision = contact_decision(
        account=account, channel="call", contact_point=point, at=local("America/Denver", 2026, 6, 10, 8, 0)
    )
    assert decision.allowed and decision.zones == ("America/Denver", "America/New_York")
    assert "ambiguous_zone" in [flag.code for flag in decision.flags]
    early = contact_decision(
        account=account, channel="call", contact_point=point, at=local("America/Denver", 2026, 6, 10, 7, 0)
    )
    assert early.codes == ["outside_hours"] and early.verdict == "not_now"


def test_next_common_window():
    at = local("America/New_York", 2026, 6, 10, 6, 0)
    assert next_common_window(
        ["America/New_York", "America/Los_Angeles"], at=at, start=datetime.time(8), end=datetime.time(21)
    ) == local("America/Los_Angeles", 2026, 6, 10, 8, 0)
