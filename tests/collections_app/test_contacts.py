"""Phones (E.164 with their zones), emails, and how a debtor's time zone is derived."""

import pytest

from collections_app.contacts import (
    REGION_TIMEZONES,
    debtor_timezone,
    email_normalize,
    is_timezone,
    phone_normalize,
    timezone_for_region,
)
from collections_app.errors import DomainError
from collections_app.models import ContactPoint
from collections_app.services.parties import contact_point_add, debtor_create


@pytest.mark.parametrize(
    ("raw", "e164", "zone"),
    [
        ("(617) 253-1000", "+16172531000", "America/New_York"),  # Boston
        ("617.253.1000", "+16172531000", "America/New_York"),
        ("+1 617 253 1000", "+16172531000", "America/New_York"),
        ("303-866-2471", "+13038662471", "America/Denver"),  # Denver
        ("312 744 5000", "+13127445000", "America/Chicago"),  # Chicago
        ("1 (213) 473-3231", "+12134733231", "America/Los_Angeles"),  # Los Angeles
        ("602-262-6011", "+16022626011", "America/Phoenix"),  # Phoenix
    ],
)
def test_phone_normalize_to_e164_with_zone(raw, e164, zone):
    assert phone_normalize(raw)[:2] == (e164, [zone])


def test_phone_with_another_default_region():
    assert phone_normalize("020 7946 0018", "GB") == ("+442079460018", ["Europe/London"], False)


@pytest.mark.parametrize(
    ("raw", "region", "mobile"),
    [("07400 123456", "GB", True), ("020 7946 0018", "GB", False), ("(617) 253-1000", "US", None)],
)
def test_phone_tells_mobile_where_the_numbering_plan_does(raw, region, mobile):
    assert phone_normalize(raw, region).mobile is mobile


@pytest.mark.parametrize(
    "raw", ["", "   ", None, "555-1234", "12345", "not a phone", "(617) 253-100", "+1 999 555 0100"]
)
def test_invalid_phone_refused(raw):
    with pytest.raises(ValueError):
        phone_normalize(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane.Doe@Example.COM ", "Jane.Doe@example.com"),
        ("a+tag@sub.example.org", "a+tag@sub.example.org"),
    ],
)
def test_email_normalize(raw, expected):
    assert email_normalize(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "jane", "jane@", "@example.com", "jane@example", "a b@example.com", "a@b@c.com", "<a@b.com>"]
)
def test_invalid_email_refused(raw):
    with pytest.raises(ValueError):
        email_normalize(raw)


def test_timezone_for_region():
    assert timezone_for_region("US", "ma") == "America/New_York"
    assert timezone_for_region("us", "CO") == "America/Denver"
    assert timezone_for_region("", "AZ") == "America/Phoenix"  # the country defaults to the US
    assert timezone_for_region("CA", "BC") == "America/Vancouver"
    assert timezone_for_region("US", "ZZ") == ""
    assert timezone_for_region("FR", "75") == ""
    assert timezone_for_region("US", "") == ""


def test_every_region_zone_is_a_real_zone():
    assert all(is_timezone(zone) for regions in REGION_TIMEZONES.values() for zone in regions.values())
    assert not is_timezone("Mars/Olympus") and not is_timezone("")


@pytest.mark.parametrize(
    ("given", "country", "region", "phone_zones", "expected"),
    [
        ("Europe/Paris", "US", "MA", ["America/Denver"], ("Europe/Paris", "given")),
        ("", "US", "MA", ["America/Denver"], ("America/New_York", "address")),
        ("", "US", "", ["America/Denver"], ("America/Denver", "phone")),
        ("", "US", "ZZ", ["America/Denver"], ("America/Denver", "phone")),
        ("", "US", "", ["America/Denver", "America/Chicago"], ("", "")),
        ("", "US", "", [], ("", "")),
    ],
)
def test_debtor_timezone_order(given, country, region, phone_zones, expected):
    assert debtor_timezone(given=given, country=country, region=region, phone_zones=phone_zones) == expected


@pytest.mark.django_db
def test_debtor_zone_from_address_then_from_phone():
    by_address = debtor_create(external_id="D1", name=" Ann ", region="co")
    assert (by_address.timezone, by_address.timezone_source, by_address.region, by_address.name) == (
        "America/Denver",
        "address",
        "CO",
        "Ann",
    )
    contact_point_add(debtor=by_address, kind="phone", value="(617) 253-1000")
    by_address.refresh_from_db()
    assert by_address.timezone == "America/Denver"  # a phone never overrides the address

    unknown = debtor_create(external_id="D2", name="Bo")
    assert (unknown.timezone, unknown.timezone_source) == ("", "")
    point = contact_point_add(debtor=unknown, kind="phone", value="602-262-6011", usage="mobile")
    assert (point.value, point.timezone) == ("+16022626011", "America/Phoenix")
    unknown.refresh_from_db()
    assert (unknown.timezone, unknown.timezone_source) == ("America/Phoenix", "phone")

    given = debtor_create(external_id="D3", name="Cy", timezone_name="America/Chicago", region="MA")
    assert (given.timezone, given.timezone_source) == ("America/Chicago", "given")


@pytest.mark.django_db
def test_contact_point_refusals():
    debtor = debtor_create(external_id="D1", name="Ann", region="MA")
    with pytest.raises(DomainError) as exc:
        debtor_create(external_id="D9", name="X", timezone_name="Mars/Olympus")
    assert exc.value.code == "invalid_timezone"
    email = contact_point_add(debtor=debtor, kind="email", value=" Ann@Example.COM ")
    assert email.value == "Ann@example.com"
    for kind, value, code in (
        ("phone", "555-1234", "invalid_contact"),
        ("email", "ann@", "invalid_contact"),
        ("fax", "123", "invalid_kind"),
        ("email", "Ann@EXAMPLE.com", "duplicate_contact"),
    ):
        with pytest.raises(DomainError) as exc:
            contact_point_add(debtor=debtor, kind=kind, value=value)
        assert exc.value.code == code, (kind, value)
    with pytest.raises(DomainError) as exc:
        contact_point_add(debtor=debtor, kind="phone", value="617-253-1000", usage="pager")
    assert exc.value.code == "invalid_usage"
    assert ContactPoint.objects.filter(debtor=debtor).count() == 1
