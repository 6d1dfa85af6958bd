"""What the gate answers: the channels it knows, a Reason, and the Decision that carries them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

CHANNELS = frozenset({"call", "sms", "email", "letter", "visit", "inbound_call"})
PURPOSES = ("collection", "final_notice", "verification")
# Channels that carry a time-of-day rule: letters are mailed, inbound calls are the debtor's choice.
TIMED_CHANNELS = frozenset({"call", "sms", "email", "visit"})
PHONE_CHANNELS = frozenset({"call", "sms"})
WRITTEN_CHANNELS = frozenset({"letter", "email"})
ELECTRONIC_CHANNELS = frozenset({"sms", "email"})
PERSONAL_USAGES = frozenset({"home", "mobile"})


@dataclass(frozen=True)
class Reason:
    """Why a contact is refused (or, as a flag, what the user must know). `until`: when it lifts."""

    code: str
    message: str
    until: datetime.datetime | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = ()
    next_allowed_at: datetime.datetime | None = None
    flags: tuple[Reason, ...] = ()
    zones: tuple[str, ...] = ()
    at: datetime.datetime | None = None

    @property
    def verdict(self) -> str:
        """callable (now), not_now (later, at next_allowed_at) or never (not by waiting alone)."""
        if self.allowed:
            return "callable"
        return "not_now" if self.next_allowed_at is not None else "never"

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def message(self) -> str:
        if self.allowed:
            return "Allowed."
        return " ".join(reason.message for reason in self.reasons)
