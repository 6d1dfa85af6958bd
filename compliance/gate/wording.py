"""How the gate speaks: the reason codes with their labels, and clock, delay and day phrases."""

import datetime

from ..models import HoldReason

# One label per refusal code, for pages that count refusals. No numbers: the policy sets them.
REASON_LABELS = {
    "outside_hours": "Outside calling hours",
    "no_common_hours": "No hour suits every possible zone",
    "weekly_cap": "Call limit for the period reached",
    "after_conversation": "Too soon after a conversation",
    "state_cap": "State limit reached",
    "cease": "Cease communication",
    "dispute_pending": "Dispute awaiting verification",
    "opt_out": "Opted out",
    "work_email": "Work email",
    "bankruptcy": "Bankruptcy",
    "deceased": "Deceased",
    "attorney": "Represented by an attorney",
    "no_consent": "No consent for texts or autodialing",
    "hold": "On hold",
    "no_address": "No number or address",
}
REASON_CODES = tuple(REASON_LABELS)

HOLD_CODES = {
    HoldReason.CEASE: "cease",
    HoldReason.DISPUTE: "dispute_pending",
    HoldReason.BANKRUPTCY: "bankruptcy",
    HoldReason.DECEASED: "deceased",
    HoldReason.ATTORNEY: "attorney",
    HoldReason.OPT_OUT: "opt_out",
    HoldReason.OTHER: "hold",
}


def clock(value: datetime.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def humanize_delta(delta: datetime.timedelta) -> str:
    minutes = max(1, -(-int(delta.total_seconds()) // 60))  # round up: "in 0 minutes" helps nobody
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or "1 minute"


def day_label(day: datetime.date, today: datetime.date) -> str:
    if day == today:
        return "today"
    if day == today + datetime.timedelta(days=1):
        return "tomorrow"
    return f"on {day:%A} {day.day} {day:%B}"


def hold_message(code: str, hold) -> str:
    since = f"{hold.starts_at:%Y-%m-%d}"
    messages = {
        "cease": f"The debtor asked us in writing on {since} to stop contacting them; only a final notice "
        "by letter may still go out.",
        "dispute_pending": f"The debt was disputed on {since}; collection is held until verification is sent.",
        "bankruptcy": f"Bankruptcy notice received on {since}: no collection contact (automatic stay).",
        "deceased": f"The debtor was reported deceased on {since}: no collection contact.",
        "attorney": f"The debtor is represented by an attorney since {since}: contact the attorney, not the debtor.",
        "opt_out": f"The debtor opted out of {hold.channel or 'contact'} on {since}.",
        "hold": f"The account is on hold since {since}" + (f": {hold.note}." if hold.note else "."),
    }
    message = messages[code]
    if hold.ends_at is not None:
        message += f" The hold ends {hold.ends_at:%Y-%m-%d %H:%M} UTC."
    return message
