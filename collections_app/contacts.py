"""Phone numbers, email addresses and time zones: normalising what importers and users type."""

import re
import zoneinfo
from typing import NamedTuple

import phonenumbers
from phonenumbers import timezone as phone_timezone

# The zone most of a US state or Canadian province lives in. Split states (e.g. TX, FL, IN)
# take their majority zone; the phone number's zone is then a second candidate for the gate.
REGION_TIMEZONES = {
    "US": {
        "AL": "America/Chicago",
        "AK": "America/Anchorage",
        "AZ": "America/Phoenix",
        "AR": "America/Chicago",
        "CA": "America/Los_Angeles",
        "CO": "America/Denver",
        "CT": "America/New_York",
        "DE": "America/New_York",
        "DC": "America/New_York",
        "FL": "America/New_York",
        "GA": "America/New_York",
        "HI": "Pacific/Honolulu",
        "ID": "America/Boise",
        "IL": "America/Chicago",
        "IN": "America/Indiana/Indianapolis",
        "IA": "America/Chicago",
        "KS": "America/Chicago",
        "KY": "America/New_York",
        "LA": "America/Chicago",
        "ME": "America/New_York",
        "MD": "America/New_York",
        "MA": "America/New_York",
        "MI": "America/Detroit",
        "MN": "America/Chicago",
        "MS": "America/Chicago",
        "MO": "America/Chicago",
        "MT": "America/Denver",
        "NE": "America/Chicago",
        "NV": "America/Los_Angeles",
        "NH": "America/New_York",
        "NJ": "America/New_York",
        "NM": "America/Denver",
        "NY": "America/New_York",
        "NC": "America/New_York",
        "ND": "America/Chicago",
        "OH": "America/New_York",
        "OK": "America/Chicago",
        "OR": "America/Los_Angeles",
        "PA": "America/New_York",
        "RI": "America/New_York",
        "SC": "America/New_York",
        "SD": "America/Chicago",
        "TN": "America/Chicago",
        "TX": "America/Chicago",
        "UT": "America/Denver",
        "VT": "America/New_York",
        "VA": "America/New_York",
        "WA": "America/Los_Angeles",
        "WV": "America/New_York",
        "WI": "America/Chicago",
        "WY": "America/Denver",
        "PR": "America/Puerto_Rico",
        "GU": "Pacific/Guam",
        "VI": "America/St_Thomas",
    },
    "CA": {
        "AB": "America/Edmonton",
        "BC": "America/Vancouver",
        "MB": "America/Winnipeg",
        "NB": "America/Moncton",
        "NL": "America/St_Johns",
        "NS": "America/Halifax",
        "NT": "America/Yellowknife",
        "NU": "America/Iqaluit",
        "ON": "America/Toronto",
        "PE": "America/Halifax",
        "QC": "America/Montreal",
        "SK": "America/Regina",
        "YT": "America/Whitehorse",
    },
}
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")
_VALID_ZONES = zoneinfo.available_timezones()


def is_timezone(name: str) -> bool:
    return name in _VALID_ZONES


def timezone_for_region(country: str, region: str) -> str:
    """The IANA zone of an address's state or province, or '' when unknown."""
    return REGION_TIMEZONES.get((country or "US").upper(), {}).get((region or "").upper(), "")


_MOBILE_BY_TYPE = {phonenumbers.PhoneNumberType.MOBILE: True, phonenumbers.PhoneNumberType.FIXED_LINE: False}


class Phone(NamedTuple):
    e164: str
    zones: list[str]  # candidate IANA zones of its numbering area
    mobile: bool | None  # True/False where the numbering plan tells; None where it cannot (most US numbers)


def phone_normalize(raw: str, default_region: str = "US") -> Phone:
    """The number in E.164 with what its numbering plan tells; raise ValueError with a plain reason.

    Parsed once for all three: parsing again to tell a mobile cost the import 11 of 47 µs per phone.
    """
    text = (raw or "").strip()
    if not text:
        raise ValueError("the phone number is empty")
    try:
        number = phonenumbers.parse(text, default_region or "US")
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{text}' is not a phone number")
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{text}' is not a valid phone number")
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z in _VALID_ZONES]
    mobile = _MOBILE_BY_TYPE.get(phonenumbers.number_type(number))
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), zones, mobile)


def email_normalize(raw: str) -> str:
    text = (raw or "").strip()
    if not EMAIL_PATTERN.match(text):
        raise ValueError(f"'{text}' is not an email address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def debtor_timezone(*, given: str, country: str, region: str, phone_zones: list[str]) -> tuple[str, str]:
    """(zone, source): the zone given, else the address's, else the phone's when it has only one."""
    if given:
        return given, "given"
    by_address = timezone_for_region(country, region)
    if by_address:
        return by_address, "address"
    if len(phone_zones) == 1:
        return phone_zones[0], "phone"
    return "", ""
