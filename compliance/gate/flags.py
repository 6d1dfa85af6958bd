"""Flags: facts that do not block a contact but change what may be said (time-barred, zone, notice due)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ..dates import add_years
from ..models import AccountCompliance, StatuteOfLimitations
from .decision import TIMED_CHANNELS, Reason


def statute_of_limitations_on(account, profile: AccountCompliance | None = None) -> datetime.date | None:
    """The date the debt becomes time-barred: the profile's own date, or the state table's years."""
    region = (account.debtor.region or "").strip().upper()
    entry = StatuteOfLimitations.objects.filter(region=region).first() if region else None
    return _barred_on(account, profile, entry)


def _barred_on(account, profile: AccountCompliance | None, entry: StatuteOfLimitations | None):
    if profile is not None and profile.statute_of_limitations_on:
        return profile.statute_of_limitations_on
    start = account.oldest_open_due_on or account.placed_on or account.opened_on
    if entry is None or start is None:
        return None
    return add_years(start, entry.years)


def is_time_barred(account, *, on: datetime.date | None = None) -> bool:
    profile = AccountCompliance.objects.filter(account=account).first()
    sol = statute_of_limitations_on(account, profile)
    return sol is not None and sol <= (on or timezone.now().date())


def letter_template_kind(account, *, on: datetime.date | None = None) -> str:
    """ "time_barred" or "standard": time-barred debts get the letter that threatens no suit."""
    return "time_barred" if is_time_barred(account, on=on) else "standard"


def flags(ctx, at: datetime.datetime) -> list[Reason]:
    found = []
    profile = ctx.profile
    sol = _barred_on(ctx.account, profile, ctx.limitation)
    if sol is not None and sol <= at.date():
        found.append(
            Reason(
                "time_barred",
                f"This debt is time-barred since {sol:%Y-%m-%d}: do not threaten or imply a suit; letters use "
                "the time-barred template.",
            )
        )
    if len(ctx.zones) > 1 and ctx.channel in TIMED_CHANNELS:
        found.append(Reason("ambiguous_zone", f"Time zone uncertain: {', '.join(ctx.zones)}."))
    if (
        profile is not None
        and profile.first_communication_at
        and not profile.validation_notice_sent_on
        and at - profile.first_communication_at > datetime.timedelta(days=5)
    ):
        found.append(
            Reason(
                "validation_notice_due",
                "The validation notice was due within 5 days of the first communication and has not been sent.",
            )
        )
    return found
