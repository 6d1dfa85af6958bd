"""How the workspace pages say what the gate and the queue decided: verdicts, local times, openings.

Pure functions over decisions and moments (no queries), so the queue, the account page and the
next-account messages say the same thing the same way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from compliance.gate import REASON_LABELS, humanize_delta

# Refusal codes grouped by what the collector can do about them.
WAIT_CODES = {"outside_hours", "no_common_hours"}
CAP_CODES = {"weekly_cap", "after_conversation", "state_cap"}
STOP_CODES = {"cease", "bankruptcy", "deceased", "attorney", "hold", "dispute_pending"}
NUMBER_CODES = {"opt_out", "no_address", "no_consent", "work_email"}


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def debtor_zone(debtor, zones=()) -> str:
    """The zone to state times in: the debtor's own, else the first one the gate considered."""
    for name in (debtor.timezone, *zones):
        if name and zone_of(name).key == name:
            return name
    return timezone.get_current_timezone_name()


def clock_in(moment: datetime.datetime, zone: str) -> str:
    return moment.astimezone(zone_of(zone)).strftime("%H:%M")


def opening(moment: datetime.datetime, zone: str, now: datetime.datetime) -> str:
    """'08:00 America/Chicago, in 42 minutes' (with the day when it is not today there)."""
    local = moment.astimezone(zone_of(zone))
    today_there = now.astimezone(zone_of(zone)).date()
    if local.date() == today_there:
        day = ""
    elif local.date() == today_there + datetime.timedelta(days=1):
        day = "tomorrow "
    else:
        day = f"{local:%a} {local.day} {local:%b} "
    return f"{day}{local:%H:%M} {zone}, in {humanize_delta(moment - now)}"


@dataclass(frozen=True)
class Verdict:
    """One line about one number or one account: a coloured label and the sentence behind it."""

    css: str  # ok / wait / never
    label: str
    detail: str = ""
    codes: tuple[str, ...] = ()


def decision_verdict(decision, *, zone: str, now: datetime.datetime, channel_word: str = "Callable") -> Verdict:
    if decision is None:
        return Verdict("never", "Unknown")
    if decision.allowed:
        return Verdict("ok", f"{channel_word} now", codes=())
    labels = ", ".join(dict.fromkeys(REASON_LABELS.get(r.code, r.code) for r in decision.reasons))
    if decision.next_allowed_at is not None:
        return Verdict(
            "wait",
            f"{channel_word} from {opening(decision.next_allowed_at, zone, now)}",
            decision.message,
            tuple(decision.codes),
        )
    return Verdict("never", f"Not {channel_word.lower()}: {labels.lower()}", decision.message, tuple(decision.codes))


def why_verdict(why, account, *, zone: str, now: datetime.datetime) -> Verdict:
    """Why a queue row is held back, and when it can be called."""
    if why.waiting_for == "callback":
        return Verdict("wait", f"Callback at {opening(why.until, zone, now)}", "The debtor asked to be called then.")
    if why.waiting_for == "promise":
        days = (why.until - timezone.localdate(now)).days
        when = "tomorrow" if days == 1 else f"in {days} days"
        return Verdict(
            "wait",
            f"Waiting for a payment due {why.until.day} {why.until:%b} ({when})",
            "A promise or instalment date is ahead; the account comes back after it.",
        )
    if why.decision is not None and not why.decision.allowed:
        return decision_verdict(why.decision, zone=zone, now=now)
    # The gate allows a number, yet the set-based rules hold the account (its status, say).
    return Verdict("wait", f"{account.get_status_display()}", "Not in the callable list in this status.")


def refusal_next_step(codes) -> str:
    """What to do after the gate refused a call, by what refused it."""
    codes = set(codes or ())
    if codes & STOP_CODES:
        return "Do not contact the debtor about this debt. Take the next account; a manager can review the hold."
    if codes & NUMBER_CODES:
        return "Choose another number if there is one, or take the next account."
    if codes & CAP_CODES:
        return "Take the next account. If the debtor calls you, log it as an inbound call."
    if codes & WAIT_CODES:
        return "Schedule a callback for then, or take the next account."
    return "Take the next account."


# What to do next after a service refused, by its error code.
NEXT_STEPS = {
    "daily_call_limit": "You can still record inbound calls, payments and notes. Ask your manager if the limit "
    "should be higher.",
    "promise_pending": "See it under Promise and arrangement; it is judged kept or broken after its date.",
    "arrangement_active": "Cancel the active arrangement first (Cancel arrangement), then set up the new one.",
    "promise_exceeds_balance": "Enter at most the balance, or set up an arrangement.",
    "arrangement_exceeds_balance": "Enter at most the balance.",
    "dispute_resolved": "Nothing to do: it was resolved already.",
    "hold_released": "Nothing to do: it was released already.",
    "duplicate_external_id": "Check the reference: that payment may be recorded already.",
}
