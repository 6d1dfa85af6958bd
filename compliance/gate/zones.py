"""Time zones and calling hours: where the debtor may be, and whether the hour suits every such zone."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from ..models import ContactPolicy, StateRule
from .decision import PHONE_CHANNELS, TIMED_CHANNELS, Reason
from .wording import clock, day_label, humanize_delta

UTC = datetime.UTC

# When nothing tells us where a US debtor is, every one of these must be within hours.
US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
# A number mapped to more zones than this is not geographic (toll-free, VoIP): it says nothing.
MAX_GEOGRAPHIC_ZONES = 3
# How far ahead the gate looks for a moment that suits every candidate zone.
SEARCH_DAYS = 9


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _split_zones(value: str) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip() and _zone(name)]


def phone_zones(number: str) -> list[str]:
    """IANA zones of a phone number by its prefix; empty when the number is not geographic."""
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return []
    zones = [z for z in phone_timezones.time_zones_for_number(parsed) if z != "Etc/Unknown" and _zone(z)]
    return zones if len(zones) <= MAX_GEOGRAPHIC_ZONES else []


def _contact_point_zones(point) -> list[str]:
    if point is None or point.kind != "phone":
        return []
    return _split_zones(point.timezone) or phone_zones(point.value)


def _country_zones(country: str) -> list[str]:
    if not country or country.upper() == "US":
        return list(US_ZONES)
    example = phonenumbers.example_number(country.upper())
    return phone_timezones.time_zones_for_number(example) if example else []


def candidate_zones(debtor, *, channel: str, contact_point=None, to: str = "", phones: Iterable = ()) -> list[str]:
    """Every zone the debtor may be in for this contact: the address-derived zone and the number's.

    When they disagree both count (12 CFR 1006.6(b)(1)(i) asks that the time suit each). For an
    email or a visit with no known zone, the zones of the debtor's numbers stand in; with nothing
    known at all, every zone of the debtor's country.
    """
    zones: list[str] = _split_zones(debtor.timezone)
    if channel in PHONE_CHANNELS:
        zones += _contact_point_zones(contact_point) if contact_point is not None else phone_zones(to or "")
    elif not zones:
        for point in phones:
            zones += _contact_point_zones(point)
    if not zones:
        zones = _country_zones(debtor.country)
    return list(dict.fromkeys(zones)) or ["UTC"]


def _window_bounds(day: datetime.date, zone: ZoneInfo, start: datetime.time, end: datetime.time):
    return (
        datetime.datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
        datetime.datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
    )


def _in_window(at: datetime.datetime, zone: ZoneInfo, start: datetime.time, end: datetime.time) -> bool:
    local = at.astimezone(zone).time()
    return start <= local < end


def next_common_window(
    zones: Iterable[str], *, at: datetime.datetime, start: datetime.time, end: datetime.time
) -> datetime.datetime | None:
    """The first moment at or after `at` that is within [start, end) in every zone; None if none soon."""
    infos = [z for z in (_zone(name) for name in zones) if z is not None]
    if all(_in_window(at, z, start, end) for z in infos):
        return at
    # A common window, if one exists, opens when the last of the zones opens: try every opening.
    candidates = []
    for zone in infos:
        first_day = at.astimezone(zone).date()
        for offset in range(SEARCH_DAYS):
            opening, _ = _window_bounds(first_day + datetime.timedelta(days=offset), zone, start, end)
            if opening > at:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if all(_in_window(candidate, z, start, end) for z in infos):
            return candidate
    return None


def effective_window(policy: ContactPolicy, rule: StateRule | None) -> tuple[datetime.time, datetime.time]:
    """The calling window: the policy's, narrowed by the debtor's state rule."""
    start, end = policy.call_window_start, policy.call_window_end
    if rule is not None:
        start = max(start, rule.call_window_start or start)
        end = min(end, rule.call_window_end or end)
    return start, end


def rule_hours(ctx, at: datetime.datetime) -> list[Reason]:
    """Refuse outside the window in any candidate zone, saying when every zone is open again."""
    if ctx.channel not in TIMED_CHANNELS:
        return []
    start, end = ctx.window
    if all(_in_window(at, _zone(z), start, end) for z in ctx.zones):
        return []
    word = "Calling hours" if ctx.channel == "call" else "Contact hours"
    several = len(ctx.zones) > 1
    also = (
        f" The debtor may be in {', '.join(ctx.zones[:-1])} or {ctx.zones[-1]}: the time must suit every one."
        if several
        else ""
    )
    nxt = next_common_window(ctx.zones, at=at, start=start, end=end)
    if nxt is None:
        return [
            Reason(
                "no_common_hours",
                f"No time of day is within {clock(start)}–{clock(end)} in every zone this debtor may be in "
                f"({', '.join(ctx.zones)}); confirm the debtor's time zone.",
            )
        ]
    # Describe a zone that is closed now; the moment given is when every zone is open.
    infos = [_zone(z) for z in ctx.zones]
    closed = [z for z in infos if not _in_window(at, z, start, end)]
    binding = next((z for z in infos if nxt.astimezone(z).time() == start), closed[0])
    described = binding if binding in closed else closed[0]
    local = at.astimezone(described)
    wait = humanize_delta(nxt - at)
    opens = nxt.astimezone(binding)
    day = day_label(opens.date(), at.astimezone(binding).date())
    if binding is described:
        later = f"they start again at {clock(opens.time())} {day}"
    else:
        later = f"the next time that suits every zone is {clock(opens.time())} {day} in {binding.key}"
    if local.time() >= end:
        message = f"{word} in {described.key} ended at {clock(end)} (it is {clock(local.time())} there); {later}"
    elif binding is described and opens.date() == local.date():
        message = f"{word} in {described.key} start at {clock(start)}"
    else:
        message = f"{word} in {described.key} start at {clock(start)}; {later}"
    message += f" — in {wait}."
    return [Reason("outside_hours", message + also, nxt)]
