"""Contact caps: the federal 7-in-7 call limit, the quiet days after a conversation, and state limits."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .decision import PERSONAL_USAGES, PHONE_CHANNELS, Reason
from .wording import day_label
from .zones import UTC, _zone


def bucket(point) -> str:
    """Which state cap a number falls under: the debtor's home or mobile, or any other number."""
    return "personal" if point is not None and point.usage in PERSONAL_USAGES else "other"


def _local_midnight(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=zone).astimezone(UTC)


def _count_in_days(moments: Iterable[datetime.datetime], zone: ZoneInfo, first: datetime.date, last: datetime.date):
    return sum(1 for moment in moments if first <= moment.astimezone(zone).date() <= last)


@dataclass(frozen=True)
class Cap:
    """At most `limit` of `moments` in any `days` consecutive calendar days; `message(count, when)`."""

    code: str
    moments: list[datetime.datetime]
    limit: int
    days: int
    message: Callable[[int, str], str]


def cap_reason(cap: Cap, *, at: datetime.datetime, zones) -> Reason | None:
    """The refusal when `cap` is reached at `at`, judged in every zone; None when it is not.

    Days are the debtor's calendar days (Regulation F counts days, not hours); when the zone is
    uncertain every candidate counts and the latest reopening wins.
    """
    moments = [m for m in cap.moments if m <= at]
    days = cap.days
    worst: tuple[datetime.datetime, ZoneInfo, int] | None = None
    for zone in map(_zone, zones):
        today = at.astimezone(zone).date()
        count = _count_in_days(moments, zone, today - datetime.timedelta(days=days - 1), today)
        if count < cap.limit:
            continue
        reopen_day = today
        while _count_in_days(moments, zone, reopen_day - datetime.timedelta(days=days - 1), reopen_day) >= cap.limit:
            reopen_day += datetime.timedelta(days=1)
        reopens = _local_midnight(reopen_day, zone)
        if worst is None or reopens > worst[0]:
            worst = (reopens, zone, count)
    if worst is None:
        return None
    reopens, zone, count = worst
    return Reason(
        cap.code, cap.message(count, day_label(reopens.astimezone(zone).date(), at.astimezone(zone).date())), reopens
    )


def _state_caps(ctx) -> list[Cap]:
    rule = ctx.rule
    if rule is None or ctx.channel not in PHONE_CHANNELS:
        return []
    kind = bucket(ctx.contact_point)
    limit, days = (
        (rule.personal_cap, rule.personal_cap_days) if kind == "personal" else (rule.other_cap, rule.other_cap_days)
    )
    if limit is None:
        return []
    numbers = "home and mobile numbers" if kind == "personal" else "numbers other than home or mobile"
    return [
        Cap(
            "state_cap",
            [moment for moment, _, b in ctx.attempts if b == kind],
            limit,
            days,
            lambda n, when: (
                f"{rule.name} allows {limit} calls or texts to {numbers} in each {days} days for a debt; "
                f"{n} made already. The next call or text may be made {when}."
            ),
        )
    ]


def _federal_caps(ctx) -> list[Cap]:
    if ctx.channel != "call" or ctx.purpose != "collection":
        return []
    policy = ctx.policy
    return [
        Cap(
            "weekly_cap",
            [moment for moment, channel, _ in ctx.attempts if channel == "call"],
            ctx.call_cap,
            policy.cap_period_days,
            lambda n, when: (
                f"{n} call attempts on this debt in the last {policy.cap_period_days} days: the limit is "
                f"{ctx.call_cap}. The next call may be made {when}."
            ),
        ),
        # The conversation's own day is day one of the quiet period (12 CFR 1006.14(b)(2)(i)(B)).
        Cap(
            "after_conversation",
            ctx.conversations,
            1,
            policy.days_after_conversation,
            lambda n, when: (
                f"We spoke with the debtor about this debt in the last {policy.days_after_conversation} days: "
                f"the next call may be made {when}."
            ),
        ),
    ]


def rule_caps(ctx, at: datetime.datetime) -> list[Reason]:
    """Every cap reached at `at`: state limits first, then the federal ones."""
    reasons = (cap_reason(cap, at=at, zones=ctx.zones) for cap in _state_caps(ctx) + _federal_caps(ctx))
    return [reason for reason in reasons if reason is not None]
