"""The contact gate: the one place that decides whether a contact with a debtor is allowed, and why not.

Everything that reaches a debtor (the queue, a logged call, a dunning reminder, a text or email)
asks `contact_decision`. It only reads; recording what happened is the caller's job
(`collections_app.services.activities.activity_log`). The set-based companion for whole querysets
lives in `compliance.selectors` (`accounts_with_contactability`, `accounts_contactable`).

Modules: `decision` (Reason, Decision, channels), `zones` (time zones and calling hours), `caps`
(call and state limits), `rules` (what is read, holds, the address), `flags`, `wording`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils import timezone

from .decision import CHANNELS, PERSONAL_USAGES, PHONE_CHANNELS, PURPOSES, Decision, Reason
from .flags import flags, is_time_barred, letter_template_kind, statute_of_limitations_on
from .rules import Reads, evaluate, load
from .wording import REASON_CODES, REASON_LABELS, humanize_delta
from .zones import US_ZONES, UTC, candidate_zones, next_common_window, phone_zones

__all__ = [
    "CHANNELS",
    "PERSONAL_USAGES",
    "PURPOSES",
    "REASON_CODES",
    "REASON_LABELS",
    "US_ZONES",
    "Decision",
    "Reason",
    "candidate_zones",
    "contact_decision",
    "contact_decisions",
    "iter_contact_decisions",
    "humanize_delta",
    "is_time_barred",
    "letter_template_kind",
    "next_common_window",
    "phone_zones",
    "statute_of_limitations_on",
]


def _checked(channel: str, purpose: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}, not {channel!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")


def contact_decision(
    *,
    account,
    channel: str,
    to: str | None = None,
    contact_point=None,
    at: datetime.datetime | None = None,
    automated: bool = False,
    purpose: str = "collection",
) -> Decision:
    """May we contact this account's debtor on `channel` at `to` (or `contact_point`) at `at`?

    Reads a handful of rows, whatever the history. The decision carries every reason (not just
    the first), the next moment when waiting alone makes the contact allowed, or None when it
    does not (a hold, an opt-out, missing consent).
    """
    _checked(channel, purpose)
    at = (at or timezone.now()).astimezone(UTC)
    ctx = load(
        account=account,
        channel=channel,
        to=to or "",
        contact_point=contact_point,
        at=at,
        automated=automated,
        purpose=purpose,
    )
    return _decide(ctx, at)


def contact_decisions(
    accounts,
    *,
    channel: str,
    at: datetime.datetime | None = None,
    automated: bool = False,
    purpose: str = "collection",
    policy=None,
    state_rules=None,
) -> dict[int, tuple[Decision, object]]:
    """The gate's answer for each account on its best number or address, in a fixed number of queries.

    For each account: (decision, contact point). The point is the first of the debtor's numbers
    (primary first) that may be used now, else the one that opens soonest; the decision is exactly
    what `contact_decision` gives for that point. Accounts need `debtor` loaded. A caller that has
    just read the policy in force and the active state rules (the queue) passes them, to spare the reads.
    """
    answers = iter_contact_decisions(
        accounts,
        channel=channel,
        at=at,
        automated=automated,
        purpose=purpose,
        policy=policy,
        state_rules=state_rules,
    )
    return {account.pk: (decision, point) for account, decision, point in answers}


def iter_contact_decisions(
    accounts,
    *,
    channel: str,
    at: datetime.datetime | None = None,
    automated: bool = False,
    purpose: str = "collection",
    policy=None,
    state_rules=None,
) -> Iterator[tuple[object, Decision, object]]:
    """`contact_decisions` as (account, decision, point), in the order given, judged as they are asked for.

    The rows are read for the whole batch before the first answer; the rules then run only for the
    accounts the caller goes on to ask about ("next account" stops at the first it may call).
    """
    _checked(channel, purpose)
    at = (at or timezone.now()).astimezone(UTC)
    accounts = list(accounts)
    reads = Reads.fetch(accounts, channel=channel, at=at, policy=policy, state_rules=state_rules)
    return (
        (account, *_best(reads, account, channel=channel, at=at, automated=automated, purpose=purpose))
        for account in accounts
    )


def _best(reads: Reads, account, *, channel, at, automated, purpose) -> tuple[Decision, object]:
    """The first number (primary first) allowed now, else the one that opens soonest, with its decision."""
    kind = "phone" if channel in PHONE_CHANNELS else "email" if channel == "email" else None
    points = [p for p in reads.points.get(account.debtor_id, []) if kind is None or p.kind == kind]
    points.sort(key=lambda p: not p.is_primary)
    best = None
    for point in points or [None]:
        ctx = reads.context(
            account=account, channel=channel, to="", contact_point=point, automated=automated, purpose=purpose
        )
        decision = _decide(ctx, at)
        if decision.allowed:
            return decision, point
        if best is None or _sooner(decision, best[0]):
            best = (decision, point)
    return best


def _sooner(a: Decision, b: Decision) -> bool:
    if a.next_allowed_at is None:
        return False
    return b.next_allowed_at is None or a.next_allowed_at < b.next_allowed_at


def _decide(ctx, at: datetime.datetime) -> Decision:
    reasons = evaluate(ctx, at)
    found_flags = tuple(flags(ctx, at))
    if not reasons:
        return Decision(True, (), at, found_flags, tuple(ctx.zones), at)
    next_at = None
    if all(reason.until is not None for reason in reasons):
        # Waiting for one rule can land in another (a cap lifts at midnight, hours open at 8:00):
        # step to the latest lift until nothing refuses.
        probe = at
        for _ in range(12):
            pending = evaluate(ctx, probe)
            if not pending:
                next_at = probe
                break
            if any(reason.until is None for reason in pending):
                break
            probe = max(reason.until for reason in pending)
    return Decision(False, tuple(reasons), next_at, found_flags, tuple(ctx.zones), at)
