"""Dunning sending: claim under a row lock, re-check, ask the gate, commit, then hand to the provider."""

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

from compliance.audit import audit_record
from compliance.models import AuditEvent, Hold

from ...dunning.rendering import message_context, message_render
from ...dunning.sms import DeliveryError, sms_backend
from ...models import (
    Account,
    Direction,
    DunningChannel,
    DunningReminder,
    EntryKind,
    LedgerEntry,
    Outcome,
    ReminderState,
)
from ..activities import _activity_new, _activity_write, _refusal_record
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
        transaction.on_commit(lambda lo=lo, hi=hi: dunning_send_chunk.delay(lo, hi, at))
    return len(ranges)


@dataclass
class Outgoing:
    reminder_id: int
    account_id: int
    channel: str
    to: str
    subject: str
    text: str
    html: str
    key: str
    point_id: int | None
    zones: tuple[str, ...]
    note: str
    # Read (and locked) at the claim; carried so that recording the outcome reads them no more.
    account: Account | None = None
    point: object = None


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


def _claim(lo: int, hi: int, now: datetime.datetime, chooser: TemplateChooser) -> tuple[list[Outgoing], Counter]:
    """Claim up to CLAIM_BATCH due reminders in [lo, hi]; decide each; commit before anything is sent."""
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
        account_ids = sorted({r.account_id for r in reminders})
        # The account rows are locked as payment_post and activity_log lock them: a payment cannot
        # land between this check and the claim being committed.
        accounts = {
            a.pk: a
            for a in Account.objects.select_for_update(of=("self",))
            .filter(pk__in=account_ids)
            .select_related("debtor", "creditor")
            .annotate(**{k: v for k, v in _pause_annotations(channel="", at=now).items() if "hold" not in k})
            .order_by("pk")
        }
        debtor_ids = {a.debtor_id for a in accounts.values()}
        holds = list(Hold.objects.active(now).filter(Q(account_id__in=account_ids) | Q(debtor_id__in=debtor_ids)))
        earliest = min(r.created_at for r in reminders)
        paid_after: dict[int, list[datetime.datetime]] = defaultdict(list)
        for account_id, created_at in LedgerEntry.objects.filter(
            account_id__in=account_ids, kind=EntryKind.PAYMENT, created_at__gte=earliest
        ).values_list("account_id", "created_at"):
            paid_after[account_id].append(created_at)

        live: dict[int, list[DunningReminder]] = defaultdict(list)  # by stage id
        for reminder in reminders:
            cancel = _cancel_reason(reminder, accounts.get(reminder.account_id), holds, paid_after)
            if cancel:
                reminder.state, reminder.done_at = ReminderState.CANCELLED, now
                reminder.reasons, reminder.note = [cancel[0]], cancel[1]
                audits.append(_audit(reminder, "dunning.cancelled", detail=cancel[1]))
                counts["cancelled"] += 1
            else:
                live[reminder.stage_id].append(reminder)

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
                    _skip(reminder, account, verdict, now)
                    counts["skipped"] += 1
                elif stage.channel == DunningChannel.TASK:
                    _task_queue(reminder, account, now)
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
                            reminder.pk,
                            account.pk,
                            stage.channel,
                            reminder.to,
                            message.subject,
                            message.text,
                            message.html,
                            reminder.idempotency_key,
                            getattr(verdict.point, "pk", None),
                            verdict.zones,
                            _note(reminder),
                            account,
                            verdict.point,
                        )
                    )
                    counts["claimed"] += 1
        # One UPDATE per row: bulk_update's CASE expressions cost more in Python than the round trips.
        for reminder in reminders:
            reminder.save(update_fields=CLAIM_FIELDS)
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


def _audit(reminder: DunningReminder, action: str, *, detail: str = "", until=None) -> AuditEvent:
    """An audit event built as compliance.audit.audit_record builds it, for a bulk insert."""
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
    return AuditEvent(
        action=action,
        object_type="DunningReminder",
        object_id=str(reminder.pk),
        account_id=reminder.account_id,
        after=after,
        detail=detail[:2000],
    )


def _skip(reminder: DunningReminder, account: Account, verdict: Verdict, now: datetime.datetime) -> None:
    """Held back by the contact rules: recorded as a held contact (timeline, audit) and closed."""
    point = verdict.point
    activity = _activity_new(
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
    _refusal_record(activity=activity, user=None, decision=verdict.decision)
    reminder.state, reminder.done_at, reminder.activity = ReminderState.SKIPPED, now, activity
    reminder.reasons, reminder.note = verdict.codes, verdict.message


def _task_queue(reminder: DunningReminder, account: Account, now: datetime.datetime) -> None:
    """A collector-task stage: the account comes up in the work queue from the planned day."""
    if account.next_action_on is None or account.next_action_on > reminder.planned_on:
        Account.objects.filter(pk=account.pk).update(next_action_on=reminder.planned_on, changed_at=now)
    reminder.state, reminder.done_at = ReminderState.SENT, now
    reminder.note = "Queued for a collector."
    audit_record(
        action="dunning.task_queued",
        obj=reminder,
        account_id=account.pk,
        after={"stage": reminder.stage_id, "next_action_on": reminder.planned_on},
        detail=_note(reminder),
    )


class _Senders:
    """The providers for one chunk: one email connection kept open, one SMS backend."""

    def __init__(self):
        self._email = None
        self._sms = None

    def deliver(self, item: Outgoing, today: datetime.date) -> str:
        if item.channel == DunningChannel.EMAIL:
            if self._email is None:
                self._email = get_connection()
                self._email.open()
            domain = getattr(settings, "DUNNING_MESSAGE_ID_DOMAIN", None)
            message_id = make_msgid(idstring=item.key, domain=domain)
            message = EmailMultiAlternatives(
                subject=item.subject,
                body=item.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[item.to],
                connection=self._email,
                headers={"Message-ID": message_id, "X-Dunning-Key": item.key},
            )
            if item.html:
                message.attach_alternative(item.html, "text/html")
            if not message.send():
                raise DeliveryError("The email backend accepted no message.")
            return message_id
        if item.channel == DunningChannel.SMS:
            if self._sms is None:
                self._sms = sms_backend()
            return self._sms.send(to=item.to, body=item.text, key=item.key) or item.key
        if item.channel == DunningChannel.LETTER:
            # A letter is "sent" into the day's print batch (letters_batch), printed from the page.
            return f"letters-{today.isoformat()}"
        raise DeliveryError(f"No sender for channel {item.channel!r}.", permanent=True)

    def close(self):
        if self._email is not None:
            # Closing a connection that already failed must not hide the chunk's results.
            with contextlib.suppress(Exception):
                self._email.close()


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, DeliveryError):
        return exc.permanent
    return isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | ValueError)


def _finish_sent(item: Outgoing, provider_id: str, now: datetime.datetime) -> None:
    with transaction.atomic():
        reminder = (
            DunningReminder.objects.select_for_update()
            .select_related("policy", "stage")
            .filter(pk=item.reminder_id, state=ReminderState.SENDING)
            .first()
        )
        if reminder is None:
            return
        account = item.account or Account.objects.select_related("debtor").get(pk=item.account_id)
        activity = _activity_new(
            account=account,
            channel=item.channel,
            direction=Direction.OUTBOUND,
            contact_point=item.point if item.point is not None else _point(item.point_id),
            to=item.to.replace("\n", ", ")[:254],
            outcome=Outcome.SENT,
            note=item.note,
            at=now,
            user=None,
            automated=True,
            zones=item.zones,
        )
        _activity_write(activity, user=None)
        reminder.state, reminder.done_at = ReminderState.SENT, now
        reminder.provider_id, reminder.activity = (provider_id or "")[:200], activity
        reminder.save(update_fields=["state", "done_at", "provider_id", "activity", "updated_at"])


def _point(point_id):
    from ...models import ContactPoint

    return ContactPoint.objects.filter(pk=point_id).first() if point_id else None


def _finish_failed(item: Outgoing, exc: Exception, now: datetime.datetime) -> bool:
    """Retry later with backoff, or (permanent, or out of attempts) fail visibly. True when retried."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        reminder = (
            DunningReminder.objects.select_for_update()
            .select_related("policy", "stage")
            .filter(pk=item.reminder_id, state=ReminderState.SENDING)
            .first()
        )
        if reminder is None:
            return False
        if not _permanent(exc) and reminder.attempts < MAX_ATTEMPTS:
            delay = datetime.timedelta(seconds=60 * 2 ** (reminder.attempts - 1))
            reminder.state, reminder.send_after, reminder.note = ReminderState.PENDING, now + delay, error
            reminder.save(update_fields=["state", "send_after", "note", "updated_at"])
            audit_record(
                action="dunning.retry",
                obj=reminder,
                account_id=reminder.account_id,
                after={"attempts": reminder.attempts, "retry_at": reminder.send_after},
                detail=error,
            )
            return True
        _fail(
            reminder,
            code="send_failed",
            message=f"Sending failed after {reminder.attempts} attempt(s): {error}",
            now=now,
            point_id=item.point_id,
        )
        return False


def _fail(reminder: DunningReminder, *, code: str, message: str, now: datetime.datetime, point_id=None) -> None:
    account = Account.objects.select_related("debtor").get(pk=reminder.account_id)
    activity = _activity_new(
        account=account,
        channel=reminder.channel,
        direction=Direction.OUTBOUND,
        contact_point=_point(point_id),
        to=reminder.to.replace("\n", ", ")[:254],
        outcome=Outcome.FAILED,
        note=f"{_note(reminder)} failed: {message}"[:5000],
        at=now,
        user=None,
        automated=True,
    )
    activity.save()
    reminder.state, reminder.done_at, reminder.activity = ReminderState.FAILED, now, activity
    reminder.reasons, reminder.note = [code], message[:5000]
    reminder.save(update_fields=["state", "done_at", "activity", "reasons", "note", "updated_at"])
    audit_record(
        action="dunning.failed",
        obj=reminder,
        account_id=reminder.account_id,
        after={"reasons": [code], "attempts": reminder.attempts, "channel": reminder.channel},
        detail=message,
    )


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
            results = []
            for item in outgoing:
                try:
                    results.append((item, senders.deliver(item, moment.date()), None))
                except Exception as exc:
                    logger.warning("dunning reminder %s not sent: %s", item.reminder_id, exc)
                    results.append((item, "", exc))
            totals.update(_finish(results, now or timezone.now()))
    finally:
        senders.close()
    return dict(totals)


def _finish(results, now: datetime.datetime) -> Counter:
    """Record a claimed batch's outcomes in one commit (the batch was in doubt together anyway);
    each reminder in its own savepoint, so one bad row cannot undo the others."""
    counts: Counter = Counter()
    with transaction.atomic():
        for item, provider_id, exc in results:
            try:
                if exc is None:
                    _finish_sent(item, provider_id, now)
                    counts["sent"] += 1
                elif _finish_failed(item, exc, now):
                    counts["retrying"] += 1
                else:
                    counts["failed"] += 1
            except Exception:
                # Left "sending": the sweep reports it as outcome unknown; never sent twice.
                logger.exception("dunning reminder %s: outcome not recorded", item.reminder_id)
                counts["unrecorded"] += 1
    return counts


def reminders_sweep_stale(*, now: datetime.datetime | None = None) -> int:
    """Claims older than STALE_AFTER belong to a worker that died: fail them (outcome unknown), never resend."""
    now = now or timezone.now()
    stale_ids = list(
        DunningReminder.objects.filter(state=ReminderState.SENDING, claimed_at__lt=now - STALE_AFTER).values_list(
            "pk", flat=True
        )
    )
    swept = 0
    for pk in stale_ids:
        with transaction.atomic():
            reminder = (
                DunningReminder.objects.select_for_update(skip_locked=True)
                .select_related("policy", "stage")
                .filter(pk=pk, state=ReminderState.SENDING)
                .first()
            )
            if reminder is None:
                continue
            _fail(
                reminder,
                code="outcome_unknown",
                message=(
                    "The worker stopped after claiming this reminder, so whether the provider received it is "
                    f"unknown. It is not sent again automatically: check the provider's log for {reminder.idempotency_key}."
                ),
                now=now,
            )
            swept += 1
    return swept
