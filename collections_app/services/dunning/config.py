"""Dunning configuration: audited saves, stage order, previews, the letter batch and the default policy."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ...dunning.letters import Letter, letters_pdf
from ...dunning.rendering import message_context, message_render
from ...errors import DomainError
from ...models import (
    Account,
    DunningChannel,
    DunningPolicy,
    DunningReminder,
    DunningStage,
    DunningTemplate,
    ReminderState,
    TriggerKind,
)
from .judging import TemplateChooser, judge
from .selection import (
    _day_start,
)


def letters_batch(*, day: datetime.date) -> tuple[bytes, int]:
    """The PDF of every letter sent on `day` (site time zone), and how many letters it holds."""
    start = _day_start(day)
    reminders = (
        DunningReminder.objects.filter(
            channel=DunningChannel.LETTER,
            state=ReminderState.SENT,
            done_at__gte=start,
            done_at__lt=start + datetime.timedelta(days=1),
        )
        .select_related("account", "account__debtor")
        .order_by("pk")
    )
    letters = [
        Letter(
            recipient=r.account.debtor.name,
            address=tuple(r.to.split("\n")),
            date=day.strftime("%d %B %Y").lstrip("0"),
            reference=r.account.external_id,
            subject=r.subject,
            body=r.body,
        )
        for r in reminders
    ]
    return letters_pdf(letters), len(letters)


def stage_preview(*, stage: DunningStage, account: Account, at: datetime.datetime | None = None) -> dict:
    """The stage's message for a real account, and what the gate would say now. Sends and writes nothing."""
    at = at or timezone.now()
    account = Account.objects.select_related("debtor", "creditor").get(pk=account.pk)
    verdict = judge([account], stage=stage, at=at, chooser=TemplateChooser())[account.pk]
    template = verdict.template or stage.template
    if template is None:
        return {"verdict": verdict, "message": None, "template": None}
    to = verdict.to or getattr(verdict.point, "value", "") or ""
    context = message_context(account=account, channel=stage.channel, today=timezone.localdate(at), to=to)
    return {"verdict": verdict, "message": message_render(template, context), "template": template, "to": to}


def stage_order_problems(stages: Iterable[DunningStage]) -> list[str]:
    """A policy's stages must make sense in order: the first is timed from the due date, and stages
    timed from the due date come in increasing days."""
    problems, last_days = [], None
    for index, stage in enumerate(sorted(stages, key=lambda s: s.position)):
        if index == 0 and stage.trigger_kind == TriggerKind.AFTER_PREVIOUS:
            problems.append(f"Stage {stage.position} is the first: time it from the oldest due date.")
        if stage.trigger_kind == TriggerKind.DUE_OFFSET:
            if last_days is not None and stage.trigger_days <= last_days:
                problems.append(
                    f"Stage {stage.position} comes after a stage at {last_days} days: give it more days than that."
                )
            last_days = stage.trigger_days
        elif stage.trigger_days < 1:
            problems.append(f"Stage {stage.position}: wait at least one day after the previous stage.")
    return problems


def dunning_config_save(*, obj, user=None):
    """Save a policy, stage or template after validation, audited (as the contact rules are)."""
    from compliance.services import config_save

    if isinstance(obj, DunningStage):
        siblings = [s for s in obj.policy.stages.all() if s.pk != obj.pk] + [obj]
        problems = stage_order_problems(siblings)
        if problems:
            raise DomainError(" ".join(problems), code="invalid_stage_order")
    return config_save(obj=obj, user=user)


def dunning_config_delete(*, obj, user=None) -> None:
    from django.db.models import ProtectedError

    from compliance.services import config_delete

    try:
        config_delete(obj=obj, user=user)
    except ProtectedError:
        raise DomainError(
            f"{obj} is in use (by stages or by reminders already made): switch it off instead.", code="in_use"
        )


DEFAULT_TEMPLATES = [
    # (name, channel, time_barred, subject, body)
    (
        "Friendly reminder",
        DunningChannel.EMAIL,
        False,
        "Your payment to {{ creditor }} is due",
        "Dear {{ debtor_name }},\n\nThis is a friendly reminder that {{ balance }} on account {{ account_number }} "
        "is due on {{ oldest_due_date }}.\n\nYou can pay online at {{ payment_link }}. If you have already paid, "
        "thank you, and please ignore this message.\n\n{{ opt_out }}",
    ),
    (
        "Friendly reminder",
        DunningChannel.EMAIL,
        True,
        "About your account with {{ creditor }}",
        "Dear {{ debtor_name }},\n\nOur records show {{ balance }} on account {{ account_number }}. Because of "
        "the age of this debt, we will not sue you for it. You may pay at {{ payment_link }}.\n\n{{ opt_out }}",
    ),
    (
        "Payment reminder text",
        DunningChannel.SMS,
        False,
        "",
        "{{ creditor }}: {{ balance }} on account {{ account_number }} is past due. Pay at {{ payment_link }}. "
        "{{ opt_out }}",
    ),
    (
        "Payment reminder text",
        DunningChannel.SMS,
        True,
        "",
        "{{ creditor }}: {{ balance }} remains on account {{ account_number }}. We will not sue for this debt. "
        "Pay at {{ payment_link }}. {{ opt_out }}",
    ),
    (
        "Past-due letter",
        DunningChannel.LETTER,
        False,
        "Notice of past-due balance",
        "Dear {{ debtor_name }},\n\nOur records show that {{ balance }} on account {{ account_number }} with "
        "{{ creditor }} has been past due since {{ oldest_due_date }} ({{ days_past_due }} days).\n\nPlease pay "
        "at {{ payment_link }} or call us to agree a payment plan that suits you.\n\nSincerely,\n"
        "Collections Department",
    ),
    (
        "Past-due letter",
        DunningChannel.LETTER,
        True,
        "About your account",
        "Dear {{ debtor_name }},\n\nOur records show {{ balance }} on account {{ account_number }} with "
        "{{ creditor }}. The law limits how long you can be sued for a debt. Because of the age of this debt, "
        "we will not sue you for it.\n\nIf you wish to pay, you can do so at {{ payment_link }}.\n\nSincerely,\n"
        "Collections Department",
    ),
]


@transaction.atomic
def dunning_defaults_ensure(*, user=None) -> DunningPolicy | None:
    """A sensible starting point when no policy exists: an email 3 days before the oldest due date, a
    text 10 days after it and a letter at 30 days, with time-barred variants. Returns the policy made."""
    if DunningPolicy.objects.exists():
        return None
    templates = {}
    for name, channel, time_barred, subject, body in DEFAULT_TEMPLATES:
        template, _ = DunningTemplate.objects.get_or_create(
            name=name,
            language="en",
            time_barred=time_barred,
            defaults={"channel": channel, "subject": subject, "body": body},
        )
        if not time_barred:
            templates[channel] = template
    policy = dunning_config_save(obj=DunningPolicy(name="Standard reminders", priority=100), user=user)
    for position, (name, days, channel) in enumerate(
        [
            ("Friendly email before the due date", -3, DunningChannel.EMAIL),
            ("Text when 10 days late", 10, DunningChannel.SMS),
            ("Letter at 30 days", 30, DunningChannel.LETTER),
        ],
        start=1,
    ):
        dunning_config_save(
            obj=DunningStage(
                policy=policy,
                position=position,
                name=name,
                trigger_kind=TriggerKind.DUE_OFFSET,
                trigger_days=days,
                channel=channel,
                template=templates[channel],
            ),
            user=user,
        )
    return policy
