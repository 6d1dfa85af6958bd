"""Dunning sending: claim a batch under row locks, re-check, ask the gate, commit, then hand to the providers.

Every step works on the whole batch (CLAIM_BATCH reminders) in a fixed number of queries: the rows
are locked in one statement each, judged together and written with bulk inserts and updates.
"""

from __future__ import annotations

import contextlib
import datetime
import smtplib
from collections import Counter, defaultdict
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit import audit_event_new
from compliance.models import AuditEvent, Hold
from config.celery import enqueue_on_commit

from ...bulk import objects_save
from ...dunning.rendering import message_context, message_render
from ...dunning.sms import DeliveryError, sms_backend, sms_send_many
from ...models import (
    Account,
    Activity,
    Direction,
    DunningChannel,
    DunningReminder,
    EntryKind,
    LedgerEntry,
    Outcome,
    ReminderState,
)
from ..activities import _activity_new, activities_write_many, refusals_record_many
from .common import (
    CHUNK_SIZE,
    CLAIM_BATCH,
    COLLECTABLE,
    MAX_ATTEMPTS,
    PAUSES,
    STALE_AFTER,
    logger,
)
from .judging import TemplateChooser, Verdict, judge
from .selection import (
    _hold_channels,
    _pause_annotations,
)


def dunning_dispatch(*, now: datetime.datetime | None = None) -> int:
    """Sweep stale claims, then enqueue the pending reminders that are due, in chunks of ids. Idempotent."""
    from ...tasks import dunning_send_chunk

    moment = now or timezone.now()
    reminders_sweep_stale(now=moment)
    due = (
        DunningReminder.objects.filter(state=ReminderState.PENDING)
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=moment))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ranges, first, count, last = [], None, 0, None
    for pk in due.iterator(chunk_size=10_000):
        if first is None:
            first = pk
        last, count = pk, count + 1
        if count >= CHUNK_SIZE:
            ranges.append((first, last))
            first, count = None, 0
    if first is not None:
        ranges.append((first, last))
    at = now.isoformat() if now is not None else None
    for lo, hi in ranges:
        enqueue_on_commit(dunning_send_chunk, lo, hi, at)  # Redis down: the dispatcher resends them
    return len(ranges)


@dataclass
class Outgoing:
    """A claimed reminder on its way to the provider, with the rows read (and locked) at the claim."""

    reminder: DunningReminder
    account: Account
    point: object
    subject: str
    text: str
    html: str
    zones: tuple[str, ...]


def _note(reminder: DunningReminder) -> str:
    return f"Reminder: {reminder.policy.name}, stage {reminder.stage.position} ({reminder.stage.name})"


def _cancel_reason(reminder: DunningReminder, account: Account | None, holds, paid_after) -> tuple[str, str] | None:
    """Why a chosen reminder must not go any more, judged on the account as it is now (locked)."""
    policy, stage = reminder.policy, reminder.stage
    if not (policy.active and stage.active):
        return "policy_inactive", "The policy or the stage was switched off after the reminder was chosen."
    if account is not None and (account.oldest_open_due_on != reminder.cycle or account.balance <= 0):
        return "cycle_ended", "The invoice this reminder was about has been paid."
    if account is None or account.status not in COLLECTABLE:
        return "account_closed", f"The account is {account.get_status_display().lower() if account else 'gone'}."
    if account.balance < stage.min_balance:
        return "below_minimum", f"The balance is below the stage's minimum of {stage.min_balance}."
    if any(at >= reminder.created_at for at in paid_after.get(account.pk, ())):
        return "payment_received", "A payment was received after the reminder was chosen."
    for name in policy.pauses():
        if name == "hold":
            channels = _hold_channels(reminder.channel)
            active = any(
                (h.account_id == account.pk or h.debtor_id == account.debtor_id) and h.channel in channels
                for h in holds
            )
        else:
            active = getattr(account, f"_p_{name}")
        if active:
            return PAUSES[name][0], PAUSES[name][1] + " The reminder was cancelled."
    return None


def _locked_accounts(account_ids, now: datetime.datetime) -> dict[int, Account]:
    """The accounts, locked in id order (as payment_post and activity_log lock them, one at a time),
    with what pauses them: a payment cannot land between the re-check and the commit."""
    return {
        a.pk: a
        for a in Account.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(account_ids))
        .select_related("debtor", "creditor")
        .annotate(**{k: v for k, v in _pause_annotations(channel="", at=now).items() if "hold" not in k})
        .order_by("pk")
    }


def _claim(lo: int, hi: int, now: datetime.datetime, chooser: TemplateChooser) -> tuple[list[Outgoing], Counter]:
    """Claim up to CLAIM_BATCH due reminders in [lo, hi], decide them all, commit before anything is sent.

    A fixed number of queries per batch, whatever its size: the claim, the account locks, holds,
    payments, the gate's reads per stage, then one insert or update per kind of row written.
    """
    counts: Counter = Counter()
    outgoing: list[Outgoing] = []
    audits: list[AuditEvent] = []
    with transaction.atomic():
        reminders = list(
            DunningReminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__gte=lo, pk__lte=hi, state=ReminderState.PENDING)
            .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
            .select_related("stage", "stage__template", "policy")
            .order_by("pk")[:CLAIM_BATCH]
        )
        if not reminders:
            return [], counts
        account_ids = {r.account_id for r in reminders}
        accounts = _locked_accounts(account_ids, now)
        debtor_ids = {a.debtor_id for a in accounts.values()}
        holds = list(Hold.objects.active(now).filter(Q(account_id__in=account_ids) | Q(debtor_id__in=debtor_ids)))
        earliest = min(r.created_at for r in reminders)
        paid_after: dict[int, list[datetime.datetime]] = defaultdict(list)
        for account_id, created_at in LedgerEntry.objects.filter(
            account_id__in=account_ids, kind=EntryKind.PAYMENT, created_at__gte=earliest
        ).values_list("account_id", "created_at"):
            paid_after[account_id].append(created_at)

        live: dict[int, list[DunningReminder]] = defaultdict(list)  # by stage id
        stamp = timezone.now()
        for reminder in reminders:
            reminder.updated_at = stamp
            cancel = _cancel_reason(reminder, accounts.get(reminder.account_id), holds, paid_after)
            if cancel:
                reminder.state, reminder.done_at = ReminderState.CANCELLED, now
                reminder.reasons, reminder.note = [cancel[0]], cancel[1]
                audits.append(_audit(reminder, "dunning.cancelled", detail=cancel[1]))
                counts["cancelled"] += 1
            else:
                live[reminder.stage_id].append(reminder)

        held: list[tuple[DunningReminder, Activity, Verdict]] = []
        queued: list[DunningReminder] = []
        for group in live.values():
            stage = group[0].stage
            verdicts = judge([accounts[r.account_id] for r in group], stage=stage, at=now, chooser=chooser)
            for reminder in group:
                account = accounts[reminder.account_id]
                verdict = verdicts[account.pk]
                if verdict.kind == "later":
                    reminder.send_after = verdict.next_at
                    reminder.reasons, reminder.note = verdict.codes, verdict.message
                    audits.append(
                        _audit(reminder, "dunning.rescheduled", detail=verdict.message, until=verdict.next_at)
                    )
                    counts["rescheduled"] += 1
                elif verdict.kind == "held":
                    held.append((reminder, _held_activity(reminder, account, verdict, now), verdict))
                    counts["skipped"] += 1
                elif stage.channel == DunningChannel.TASK:
                    queued.append(reminder)
                    counts["sent"] += 1
                else:
                    context = message_context(account=account, channel=stage.channel, today=now.date(), to=verdict.to)
                    message = message_render(verdict.template, context)
                    reminder.state, reminder.claimed_at = ReminderState.SENDING, now
                    reminder.attempts += 1
                    reminder.to, reminder.subject, reminder.body = verdict.to[:254], message.subject, message.text
                    reminder.reasons, reminder.note = [], ""
                    outgoing.append(
                        Outgoing(
                            reminder, account, verdict.point, message.subject, message.text, message.html, verdict.zones
                        )
                    )
                    counts["claimed"] += 1
        if held:
            refusals_record_many([(activity, verdict.decision) for _, activity, verdict in held], user=None)
            for reminder, activity, verdict in held:
                reminder.state, reminder.done_at, reminder.activity = ReminderState.SKIPPED, now, activity
                reminder.reasons, reminder.note = verdict.codes, verdict.message
        if queued:
            audits += _tasks_queue(queued, accounts, now)
        objects_save(reminders, CLAIM_FIELDS)
        AuditEvent.objects.bulk_create(audits)
    return outgoing, counts


CLAIM_FIELDS = [
    "state",
    "done_at",
    "send_after",
    "reasons",
    "note",
    "claimed_at",
    "attempts",
    "to",
    "subject",
    "body",
    "activity",
    "updated_at",
]
FINISH_FIELDS = ["state", "done_at", "send_after", "reasons", "note", "provider_id", "activity", "updated_at"]


def _audit(reminder: DunningReminder, action: str, *, detail: str = "", until=None) -> AuditEvent:
    """A reminder's change of state as an unsaved audit event, for a bulk insert."""
    after = {
        "stage": reminder.stage_id,
        "policy": reminder.policy_id,
        "cycle": reminder.cycle.isoformat(),
        "channel": reminder.channel,
        "state": reminder.state,
        "reasons": list(reminder.reasons),
    }
    if until is not None:
        after["until"] = until.isoformat()
    return audit_event_new(
        action=action, obj=reminder, account_id=reminder.account_id, after=after, detail=detail[:2000]
    )


def _held_activity(reminder: DunningReminder, account: Account, verdict: Verdict, now: datetime.datetime) -> Activity:
    """Held back by the contact rules: a held contact on the timeline, saved with the batch's others."""
    point = verdict.point
    return _activity_new(
        account=account,
        channel=reminder.channel,
        direction=Direction.OUTBOUND,
        contact_point=point,
        to=(verdict.to or getattr(point, "value", "") or "")[:254],
        outcome=Outcome.HELD,
        note=f"{_note(reminder)} held back: {verdict.message}"[:5000],
        at=now,
        user=None,
        automated=True,
        zones=verdict.zones,
        gate_reasons=verdict.codes,
    )


def _tasks_queue(reminders: list[DunningReminder], accounts: dict[int, Account], now) -> list[AuditEvent]:
    """Collector-task stages: each account comes up in the work queue from its planned day."""
    by_day: dict[datetime.date, list[int]] = defaultdict(list)
    for reminder in reminders:
        by_day[reminder.planned_on].append(reminder.account_id)
    for day, account_ids in by_day.items():
        Account.objects.filter(pk__in=account_ids).filter(
            Q(next_action_on__isnull=True) | Q(next_action_on__gt=day)
        ).update(next_action_on=day, changed_at=now)
    audits = []
    for reminder in reminders:
        reminder.state, reminder.done_at = ReminderState.SENT, now
        reminder.note = "Queued for a collector."
        audits.append(
            audit_event_new(
                action="dunning.task_queued",
                obj=reminder,
                account_id=reminder.account_id,
                after={"stage": reminder.stage_id, "next_action_on": reminder.planned_on},
                detail=_note(reminder),
            )
        )
    return audits


class _Senders:
    """The providers for one chunk: one email connection kept open, one SMS backend."""

    def __init__(self):
        self._email = None
        self._sms = None

    def deliver(self, items: list[Outgoing], today: datetime.date) -> list[tuple[Outgoing, str, Exception | None]]:
        """Hand a claimed batch to the providers: for each, (item, provider id, None) or (item, "", error)."""
        results = []
        texts = [item for item in items if item.reminder.channel == DunningChannel.SMS]
        if texts:
            if self._sms is None:
                self._sms = sms_backend()
            messages = [{"to": i.reminder.to, "body": i.text, "key": i.reminder.idempotency_key} for i in texts]
            for item, answer in zip(texts, sms_send_many(self._sms, messages), strict=True):
                results.append((item, "", answer) if isinstance(answer, Exception) else (item, answer, None))
        for item in items:
            channel = item.reminder.channel
            if channel == DunningChannel.SMS:
                continue
            try:
                if channel == DunningChannel.EMAIL:
                    provider_id = self._email_send(item)
                elif channel == DunningChannel.LETTER:
                    # A letter is "sent" into the day's print batch (letters_batch), printed from the page.
                    provider_id = f"letters-{today.isoformat()}"
                else:
                    raise DeliveryError(f"No sender for channel {channel!r}.", permanent=True)
                results.append((item, provider_id, None))
            except Exception as exc:
                results.append((item, "", exc))
        for item, _, exc in results:
            if exc is not None:
                logger.warning("dunning reminder %s not sent: %s", item.reminder.pk, exc)
        return results

    def _email_send(self, item: Outgoing) -> str:
        """One message on the chunk's open connection: each message's own outcome is known."""
        if self._email is None:
            self._email = get_connection()
            self._email.open()
        key = item.reminder.idempotency_key
        message_id = make_msgid(idstring=key, domain=getattr(settings, "DUNNING_MESSAGE_ID_DOMAIN", None))
        message = EmailMultiAlternatives(
            subject=item.subject,
            body=item.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[item.reminder.to],
            connection=self._email,
            headers={"Message-ID": message_id, "X-Dunning-Key": key},
        )
        if item.html:
            message.attach_alternative(item.html, "text/html")
        if not message.send():
            raise DeliveryError("The email backend accepted no message.")
        return message_id

    def close(self):
        if self._email is not None:
            # Closing a connection that already failed must not hide the chunk's results.
            with contextlib.suppress(Exception):
                self._email.close()


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, DeliveryError):
        return exc.permanent
    return isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | ValueError)


def reminders_send(*, lo: int, hi: int, now: datetime.datetime | None = None) -> dict:
    """Send every due reminder with an id in [lo, hi]. Safe to run twice or in parallel on one range."""
    totals: Counter = Counter()
    chooser, senders = TemplateChooser(), _Senders()
    try:
        while True:
            moment = now or timezone.now()
            outgoing, counts = _claim(lo, hi, moment, chooser)
            totals.update(counts)
            if not counts:
                break
            if outgoing:
                totals.update(_finish(senders.deliver(outgoing, moment.date()), now or timezone.now()))
    finally:
        senders.close()
    return dict(totals)


def _finish(results, now: datetime.datetime) -> Counter:
    """Record a sent batch's outcomes in one commit; should that fail, each in its own, so that one bad
    row cannot leave the others in doubt. A row that cannot be recorded stays "sending" (the sweep
    reports it as outcome unknown): it is never sent twice."""
    try:
        with transaction.atomic():
            return _record(results, now)
    except Exception:
        logger.exception("dunning batch of %s: outcomes not recorded together, now one by one", len(results))
    counts: Counter = Counter()
    for result in results:
        try:
            with transaction.atomic():
                counts.update(_record([result], now))
        except Exception:
            logger.exception("dunning reminder %s: outcome not recorded", result[0].reminder.pk)
            counts["unrecorded"] += 1
    return counts


def _record(results, now: datetime.datetime) -> Counter:
    """Sent: a contact on the timeline (activities_write_many). Failed: retry with backoff, or (permanent,
    or out of attempts) fail visibly. A row no longer "sending" (swept meanwhile) is left alone."""
    counts: Counter = Counter()
    items = {item.reminder.pk: item for item, _, _ in results}
    mine = set(
        DunningReminder.objects.select_for_update()
        .filter(pk__in=sorted(items), state=ReminderState.SENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Writing activities updates the accounts: lock them first in id order, as the claim does.
    list(
        Account.objects.select_for_update()
        .filter(pk__in=sorted({items[pk].account.pk for pk in mine}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent, failed, audits = [], [], []
    stamp = timezone.now()
    for item, provider_id, exc in results:
        reminder = item.reminder
        if reminder.pk not in mine:
            continue
        reminder.updated_at = stamp
        if exc is None:
            reminder.state, reminder.done_at = ReminderState.SENT, now
            reminder.provider_id = (provider_id or "")[:200]
            sent.append(item)
            counts["sent"] += 1
            continue
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if not _permanent(exc) and reminder.attempts < MAX_ATTEMPTS:
            delay = datetime.timedelta(seconds=60 * 2 ** (reminder.attempts - 1))
            reminder.state, reminder.send_after, reminder.note = ReminderState.PENDING, now + delay, error
            audits.append(
                audit_event_new(
                    action="dunning.retry",
                    obj=reminder,
                    account_id=reminder.account_id,
                    after={"attempts": reminder.attempts, "retry_at": reminder.send_after},
                    detail=error,
                )
            )
            counts["retrying"] += 1
        else:
            message = f"Sending failed after {reminder.attempts} attempt(s): {error}"
            failed.append((reminder, item.account, "send_failed", message, item.point))
            counts["failed"] += 1
    activities = [
        _activity_new(
            account=item.account,
            channel=item.reminder.channel,
            direction=Direction.OUTBOUND,
            contact_point=item.point,
            to=item.reminder.to.replace("\n", ", ")[:254],
            outcome=Outcome.SENT,
            note=_note(item.reminder),
            at=now,
            user=None,
            automated=True,
            zones=item.zones,
        )
        for item in sent
    ]
    if activities:
        activities_write_many(activities, user=None)
    for item, activity in zip(sent, activities, strict=True):
        item.reminder.activity = activity
    audits += _fail_many(failed, now)
    objects_save([items[pk].reminder for pk in sorted(mine)], FINISH_FIELDS)
    AuditEvent.objects.bulk_create(audits)
    return counts


def _fail_many(failures, now: datetime.datetime) -> list[AuditEvent]:
    """Close reminders as failed, each with a failed contact on the timeline; returns their audit events.

    `failures`: (reminder, account with its debtor, reason code, message, contact point or None)."""
    activities = Activity.objects.bulk_create(
        _activity_new(
            account=account,
            channel=reminder.channel,
            direction=Direction.OUTBOUND,
            contact_point=point,
            to=reminder.to.replace("\n", ", ")[:254],
            outcome=Outcome.FAILED,
            note=f"{_note(reminder)} failed: {message}"[:5000],
            at=now,
            user=None,
            automated=True,
        )
        for reminder, account, _, message, point in failures
    )
    audits = []
    for (reminder, _, code, message, _), activity in zip(failures, activities, strict=True):
        reminder.state, reminder.done_at, reminder.activity = ReminderState.FAILED, now, activity
        reminder.reasons, reminder.note, reminder.updated_at = [code], message[:5000], timezone.now()
        audits.append(
            audit_event_new(
                action="dunning.failed",
                obj=reminder,
                account_id=reminder.account_id,
                after={"reasons": [code], "attempts": reminder.attempts, "channel": reminder.channel},
                detail=message,
            )
        )
    return audits


def reminders_sweep_stale(*, now: datetime.datetime | None = None) -> int:
    """Claims older than STALE_AFTER belong to a worker that died: fail them (outcome unknown), never resend."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            DunningReminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=ReminderState.SENDING, claimed_at__lt=now - STALE_AFTER)
            .select_related("policy", "stage", "account__debtor")
            .order_by("pk")
        )
        failures = [
            (
                reminder,
                reminder.account,
                "outcome_unknown",
                "The worker stopped after claiming this reminder, so whether the provider received it is "
                f"unknown. It is not sent again automatically: check the provider's log for {reminder.idempotency_key}.",
                None,
            )
            for reminder in stale
        ]
        audits = _fail_many(failures, now)
        objects_save(stale, FINISH_FIELDS)
        AuditEvent.objects.bulk_create(audits)
    return len(stale)
