"""Dunning: stage windows, pauses, exactly once, quiet hours, payments in flight, failures, hostile input."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from collections_app.dunning.rendering import message_context, message_render, template_problems
from collections_app.dunning.sms import DeliveryError, LocmemSmsBackend
from collections_app.models import (
    Activity,
    Address,
    ContactPoint,
    DunningPolicy,
    DunningReminder,
    DunningRun,
    DunningStage,
    DunningTemplate,
    Outcome,
    PromiseStatus,
    ReminderState,
    TriggerKind,
)
from collections_app.services import dunning
from collections_app.services.activities import contact_point_opt_out, dispute_open, dispute_resolve
from collections_app.services.dunning import (
    dunning_defaults_ensure,
    dunning_dispatch,
    dunning_preview,
    dunning_run,
    dunning_select,
    letters_batch,
    reminders_send,
)
from collections_app.services.ledger import invoice_create, payment_post
from collections_app.services.plans import promise_create
from compliance.models import AuditEvent, HoldReason
from compliance.services import hold_place

from .factories import AccountFactory

TODAY = timezone.localdate()
UTC = datetime.UTC


def at_utc(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    """A moment on TODAY (+days) in UTC."""
    return datetime.datetime.combine(TODAY + datetime.timedelta(days=days), datetime.time(hour, minute), tzinfo=UTC)


def at_local(zone: str, hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    day = TODAY + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


# 11:00 in New York: within contact hours there (and in Chicago, Denver, Los Angeles it is 8:00-10:00).
IN_HOURS = at_local("America/New_York", 11)


@pytest.fixture(autouse=True)
def commits_at_once(monkeypatch):
    """The test's outer transaction never commits: run the on-commit hooks (the enqueued sends) at once."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.DUNNING_SMS_BACKEND = "collections_app.dunning.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


@pytest.fixture
def policy(db):
    """The shipped default: email 3 days before the oldest due date, text at 10 days, letter at 30."""
    return dunning_defaults_ensure()


def debt(
    days_past_due: int,
    *,
    name: str = "Dana Debtor",
    email: str | None = "dana@example.com",
    phone: str | None = None,
    consent: bool = False,
    address: bool = True,
    zone: str = "America/New_York",
    region: str = "MA",
    amount: str = "500.00",
    language: str = "en",
):
    """An account whose oldest open invoice fell due `days_past_due` days ago (negative: not yet)."""
    account = AccountFactory(debtor__name=name, debtor__timezone=zone, debtor__region=region, debtor__language=language)
    debtor = account.debtor
    if email:
        ContactPoint.objects.create(debtor=debtor, kind="email", value=email, usage="home", is_primary=True)
    if phone:
        ContactPoint.objects.create(
            debtor=debtor, kind="phone", value=phone, usage="mobile", consent_autodial=consent, is_primary=True
        )
    if address:
        Address.objects.create(debtor=debtor, line1="1 Main St", city="Boston", region=region, postal_code="02110")
    due = TODAY - datetime.timedelta(days=days_past_due)
    invoice_create(
        account=account,
        amount=Decimal(amount),
        issued_on=min(due, TODAY) - datetime.timedelta(days=30),
        due_on=due,
    )
    account.refresh_from_db()
    return account


def run_now(now=IN_HOURS, day=TODAY) -> DunningRun:
    return dunning_run(day=day, now=now)


def stages_chosen(account) -> list[int]:
    return sorted(DunningReminder.objects.filter(account=account).values_list("stage__position", flat=True))


# --- stage selection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "days_past_due, stage",
    [(-4, None), (-3, 1), (0, 1), (9, 1), (10, 2), (29, 2), (30, 3), (400, 3)],
)
def test_each_stage_has_a_window_of_days_past_due(policy, days_past_due, stage):
    account = debt(days_past_due, phone="+16175550100", consent=True)
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS)
    dunning_select(run=run, day=TODAY, at=IN_HOURS)
    assert stages_chosen(account) == ([stage] if stage else [])


def test_one_stage_per_night_and_each_stage_once_per_cycle(policy):
    account = debt(10, phone="+16175550100", consent=True)
    run_now()
    assert stages_chosen(account) == [2]
    # The next day the text is done; the letter waits for 30 days; nothing else is chosen.
    run_now(now=IN_HOURS + datetime.timedelta(days=1), day=TODAY + datetime.timedelta(days=1))
    assert stages_chosen(account) == [2]
    run_now(now=IN_HOURS + datetime.timedelta(days=20), day=TODAY + datetime.timedelta(days=20))
    assert stages_chosen(account) == [2, 3]


def test_a_stage_after_the_previous_one_waits_its_days(db):
    template = DunningTemplate.objects.create(name="L", channel="letter", body="Dear {{ debtor_name }}")
    policy = DunningPolicy.objects.create(name="Two letters")
    DunningStage.objects.create(
        policy=policy, position=1, name="First", trigger_days=0, channel="letter", template=template
    )
    DunningStage.objects.create(
        policy=policy,
        position=2,
        name="Second",
        trigger_kind=TriggerKind.AFTER_PREVIOUS,
        trigger_days=5,
        channel="letter",
        template=template,
    )
    account = debt(0)
    run_now()
    assert stages_chosen(account) == [1]
    for offset, expected in [(4, [1]), (5, [1, 2])]:
        later = IN_HOURS + datetime.timedelta(days=offset)
        run_now(now=later, day=TODAY + datetime.timedelta(days=offset))
        assert stages_chosen(account) == expected, offset


def test_policies_by_criteria_first_match_by_priority(policy, db):
    big = DunningPolicy.objects.create(name="Big balances", priority=10, min_balance=Decimal("1000"))
    template = DunningTemplate.objects.get(name="Past-due letter", time_barred=False)
    DunningStage.objects.create(
        policy=big, position=1, name="Big letter", trigger_days=0, channel="letter", template=template
    )
    small, large = debt(30, amount="500.00"), debt(30, amount="5000.00")
    run_now()
    assert DunningReminder.objects.get(account=small).policy == policy
    assert DunningReminder.objects.get(account=large).policy == big


def test_an_earlier_policy_without_criteria_takes_every_account(policy, db):
    everyone = DunningPolicy.objects.create(name="Everyone", priority=1)
    template = DunningTemplate.objects.get(name="Past-due letter", time_barred=False)
    DunningStage.objects.create(
        policy=everyone, position=1, name="Letter to all", trigger_days=0, channel="letter", template=template
    )
    small, large = debt(30, amount="500.00"), debt(30, amount="5000.00")
    run_now()
    assert {r.policy for r in DunningReminder.objects.filter(account__in=[small, large])} == {everyone}
    assert DunningReminder.objects.count() == 2


def test_stage_minimum_balance(policy):
    DunningStage.objects.filter(policy=policy, position=3).update(min_balance=Decimal("600"))
    below, above = debt(30, amount="599.99"), debt(30, amount="600.00")
    run_now()
    assert stages_chosen(below) == [] and stages_chosen(above) == [3]


# --- exactly once -----------------------------------------------------------------------------------


def test_a_repeated_run_sends_nothing_twice(policy):
    accounts = [debt(-3, email=f"d{i}@example.com") for i in range(3)] + [debt(30) for _ in range(2)]
    first = run_now()
    assert first.selected == 5
    assert len(mail.outbox) == 3
    assert DunningReminder.objects.filter(state=ReminderState.SENT).count() == 5
    second = run_now()
    again = run_now(now=IN_HOURS + datetime.timedelta(minutes=5))
    assert second.selected == again.selected == 0
    assert len(mail.outbox) == 3
    assert Activity.objects.filter(automated=True, outcome=Outcome.SENT).count() == 5
    # Sending a range again (a retried task) finds nothing to claim.
    ids = DunningReminder.objects.values_list("pk", flat=True)
    assert reminders_send(lo=min(ids), hi=max(ids), now=IN_HOURS) == {}
    assert len(mail.outbox) == 3
    for account in accounts:
        assert DunningReminder.objects.filter(account=account).count() == 1


def test_a_claimed_reminder_is_never_sent_again_and_a_dead_claim_ends_visible(policy):
    account = debt(-3)
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS)
    dunning_select(run=run, day=TODAY, at=IN_HOURS)
    reminder = DunningReminder.objects.get(account=account)
    # A worker claimed it and died (after or before the provider had it: nobody knows).
    DunningReminder.objects.filter(pk=reminder.pk).update(
        state=ReminderState.SENDING, claimed_at=IN_HOURS, attempts=1, to="dana@example.com"
    )
    assert reminders_send(lo=reminder.pk, hi=reminder.pk, now=IN_HOURS) == {}
    dunning_dispatch(now=IN_HOURS + datetime.timedelta(minutes=10))  # not stale yet
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENDING
    dunning_dispatch(now=IN_HOURS + dunning.STALE_AFTER + datetime.timedelta(minutes=1))
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.FAILED and reminder.reasons == ["outcome_unknown"]
    assert reminder.activity.outcome == Outcome.FAILED and reminder.activity.automated
    assert AuditEvent.objects.filter(action="dunning.failed", object_id=str(reminder.pk)).exists()
    assert mail.outbox == []


# --- pauses ------------------------------------------------------------------------------------------


def test_a_pending_promise_pauses_and_a_broken_one_resumes(policy):
    account = debt(30)
    promise = promise_create(account=account, amount=Decimal("100"), due_on=TODAY + datetime.timedelta(days=3))
    run_now()
    assert stages_chosen(account) == []
    summary = dunning_preview(day=TODAY, at=IN_HOURS)
    assert summary["paused_by_reason"] == {"paused_promise": 1}
    promise.status = PromiseStatus.BROKEN
    promise.save(update_fields=["status"])
    run_now()
    assert stages_chosen(account) == [3]


def test_an_open_dispute_pauses_until_it_is_resolved(policy):
    account = debt(30)
    dispute = dispute_open(account=account, reason="Not my debt")
    run_now()
    assert stages_chosen(account) == []
    dispute_resolve(dispute=dispute, outcome="verified")
    run_now()
    assert stages_chosen(account) == [3]


def test_a_hold_with_an_end_date_pauses_until_it_ends(policy):
    account = debt(30)
    hold_place(
        reason=HoldReason.OTHER,
        account=account,
        starts_at=IN_HOURS - datetime.timedelta(days=1),
        ends_at=IN_HOURS + datetime.timedelta(days=2),
        note="Hardship review",
    )
    run_now()
    assert stages_chosen(account) == []
    run_now(now=IN_HOURS + datetime.timedelta(days=3), day=TODAY + datetime.timedelta(days=3))
    assert stages_chosen(account) == [3]


def test_without_the_pause_the_gate_holds_it_back_and_says_why(policy):
    DunningPolicy.objects.filter(pk=policy.pk).update(pause_on_hold=False)
    account = debt(-3)
    hold_place(reason=HoldReason.CEASE, account=account, starts_at=IN_HOURS - datetime.timedelta(days=1))
    run_now()
    reminder = DunningReminder.objects.get(account=account)
    assert reminder.state == ReminderState.SKIPPED and reminder.reasons == ["cease"]
    activity = reminder.activity
    assert activity.outcome == Outcome.HELD and activity.gate_reasons == ["cease"] and activity.automated
    assert AuditEvent.objects.filter(action="contact.refused", account_id=account.pk).exists()
    assert mail.outbox == []


def test_stop_on_payment_after_the_first_reminder(policy):
    account = debt(-3)
    run_now()
    payment_post(account=account, amount=Decimal("50.00"), received_on=TODAY)
    later = TODAY + datetime.timedelta(days=13)  # 10 days past due: the text stage
    run_now(now=IN_HOURS + datetime.timedelta(days=13), day=later)
    assert stages_chosen(account) == [1]
    assert dunning_preview(day=later, at=IN_HOURS)["paused_by_reason"] == {"stopped_payment": 1}


# --- the contact rules at send time -----------------------------------------------------------------


def test_quiet_hours_across_time_zones_reschedule_to_each_debtors_morning(policy):
    now = at_local("America/New_York", 8, 30)  # 5:30 in Los Angeles
    debt(-3, email="east@example.com", zone="America/New_York", region="NY")
    west = debt(-3, email="west@example.com", zone="America/Los_Angeles", region="CA")
    run_now(now=now)
    assert [m.to for m in mail.outbox] == [["east@example.com"]]
    reminder = DunningReminder.objects.get(account=west)
    opens = at_local("America/Los_Angeles", 8)
    assert reminder.state == ReminderState.PENDING and reminder.send_after == opens
    assert reminder.reasons == ["outside_hours"]
    assert AuditEvent.objects.filter(action="dunning.rescheduled", object_id=str(reminder.pk)).exists()
    dunning_dispatch(now=opens - datetime.timedelta(minutes=1))
    assert len(mail.outbox) == 1
    dunning_dispatch(now=opens)
    assert [m.to for m in mail.outbox] == [["east@example.com"], ["west@example.com"]]
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT


def test_a_payment_between_selection_and_sending_cancels_the_reminder(policy):
    partly, fully = debt(-3, email="p@example.com"), debt(-3, email="f@example.com")
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS)
    dunning_select(run=run, day=TODAY, at=IN_HOURS)
    payment_post(account=partly, amount=Decimal("10.00"), received_on=TODAY)
    payment_post(account=fully, amount=Decimal("500.00"), received_on=TODAY)
    dunning_dispatch(now=IN_HOURS)
    assert mail.outbox == []
    assert DunningReminder.objects.get(account=partly).reasons == ["payment_received"]
    assert DunningReminder.objects.get(account=fully).reasons == ["cycle_ended"]
    assert set(DunningReminder.objects.values_list("state", flat=True)) == {ReminderState.CANCELLED}
    assert AuditEvent.objects.filter(action="dunning.cancelled").count() == 2


def test_texts_need_consent_and_an_opted_out_address_is_not_used(policy):
    no_consent = debt(10, phone="+16175550101", consent=False)
    consent = debt(10, phone="+16175550102", consent=True)
    opted = debt(-3, email="out@example.com")
    contact_point_opt_out(contact_point=ContactPoint.objects.get(value="out@example.com"))
    run_now()
    assert DunningReminder.objects.get(account=no_consent).reasons == ["no_consent"]
    assert DunningReminder.objects.get(account=opted).reasons == ["opt_out"]
    assert DunningReminder.objects.get(account=consent).state == ReminderState.SENT
    assert [t["to"] for t in LocmemSmsBackend.outbox] == ["+16175550102"]
    assert "Reply STOP" in LocmemSmsBackend.outbox[0]["body"]
    assert mail.outbox == []


def test_letters_need_an_address_and_go_into_a_printable_batch(policy):
    with_address, without = debt(30, name="Lena Letter"), debt(30, address=False)
    run_now()
    assert DunningReminder.objects.get(account=without).reasons == ["no_postal_address"]
    letter = DunningReminder.objects.get(account=with_address)
    assert letter.state == ReminderState.SENT and "1 Main St" in letter.to
    pdf, count = letters_batch(day=timezone.localdate(letter.done_at))
    assert count == 1 and pdf.startswith(b"%PDF")


def test_time_barred_debts_get_the_time_barred_template(policy):
    account = debt(365 * 7)  # Massachusetts: six years
    run_now()
    reminder = DunningReminder.objects.get(account=account)
    assert reminder.state == ReminderState.SENT
    assert "will not sue" in reminder.body
    DunningTemplate.objects.filter(time_barred=True).delete()
    other = debt(365 * 7)
    run_now()
    assert DunningReminder.objects.get(account=other).reasons == ["time_barred_template_missing"]


def test_the_debtors_language_picks_the_template_variant(policy):
    base = DunningTemplate.objects.get(name="Friendly reminder", time_barred=False)
    DunningTemplate.objects.create(
        name=base.name,
        channel="email",
        language="es",
        subject="Recordatorio",
        body="Hola {{ debtor_name }}. {{ opt_out }}",
    )
    debt(-3, language="es", name="Lucía")
    run_now()
    assert mail.outbox[0].subject == "Recordatorio"
    assert "Hola Lucía" in mail.outbox[0].body and "responda STOP" in mail.outbox[0].body


# --- failures ----------------------------------------------------------------------------------------


class FlakySms:
    calls = 0

    def send(self, *, to, body, key):
        FlakySms.calls += 1
        raise DeliveryError("provider timeout")


class RefusingSms:
    def send(self, *, to, body, key):
        raise DeliveryError("invalid number", permanent=True)


def test_failures_retry_with_backoff_then_end_visible(policy, settings):
    settings.DUNNING_SMS_BACKEND = f"{__name__}.FlakySms"
    FlakySms.calls = 0
    account = debt(10, phone="+16175550103", consent=True)
    run_now()
    reminder = DunningReminder.objects.get(account=account)
    moment = IN_HOURS
    for attempt in range(1, dunning.MAX_ATTEMPTS):
        assert reminder.state == ReminderState.PENDING and reminder.attempts == attempt
        assert reminder.send_after == moment + datetime.timedelta(seconds=60 * 2 ** (attempt - 1))
        dunning_dispatch(now=reminder.send_after - datetime.timedelta(seconds=1))  # not yet
        reminder.refresh_from_db()
        assert reminder.attempts == attempt
        moment = reminder.send_after
        dunning_dispatch(now=moment)
        reminder.refresh_from_db()
    assert reminder.state == ReminderState.FAILED and FlakySms.calls == dunning.MAX_ATTEMPTS
    assert reminder.activity.outcome == Outcome.FAILED and "provider timeout" in reminder.activity.note
    assert AuditEvent.objects.filter(action="dunning.retry").count() == dunning.MAX_ATTEMPTS - 1
    assert AuditEvent.objects.filter(action="dunning.failed", account_id=account.pk).exists()


def test_a_permanent_failure_is_not_retried(policy, settings):
    settings.DUNNING_SMS_BACKEND = f"{__name__}.RefusingSms"
    account = debt(10, phone="+16175550104", consent=True)
    run_now()
    reminder = DunningReminder.objects.get(account=account)
    assert reminder.state == ReminderState.FAILED and reminder.attempts == 1


# --- rendering ---------------------------------------------------------------------------------------


HOSTILE = '<script>alert("x")</script> {{ balance }} {% debug %}'


def test_hostile_names_are_escaped_in_emails_and_never_interpreted(policy):
    account = debt(-3, name=HOSTILE)
    run_now()
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # One pass: the name's own braces are printed, not filled; the text part is plain text.
    assert "{{ balance }} {% debug %}" in message.body
    assert "500.00 USD" in message.body
    reminder = DunningReminder.objects.get(account=account)
    assert reminder.activity.outcome == Outcome.SENT


def test_subjects_carry_no_line_breaks():
    template = DunningTemplate(channel="email", subject="Hi {{ debtor_name }}", body="x {{ opt_out }}")
    context = {"debtor_name": "Eve\r\nBcc: all@example.com", "opt_out": ""}
    assert message_render(template, context).subject == "Hi Eve Bcc: all@example.com"


@pytest.mark.parametrize(
    "body, problem",
    [
        ("Hello {{ debtor.name }} {{ opt_out }}", "Unknown placeholder"),
        ("{% load static %}{{ opt_out }}", "Tags such as"),
        ("{{ settings.SECRET_KEY }} {{ opt_out }}", "Unknown placeholder"),
        ("Hello {{ debtor_name {{ opt_out }}", "Unknown placeholder"),
        ("Hello {{ debtor_name }}", "opt-out"),
    ],
)
def test_templates_refuse_anything_but_the_placeholders(body, problem):
    assert any(problem in p for p in template_problems(body, channel="email"))


def test_a_template_that_slips_through_prints_tags_as_text(policy):
    account = debt(-3)
    template = DunningTemplate(
        channel="email", subject="s", body="{{ debtor.__class__ }} {% now 'Y' %} {{ debtor_name }}"
    )
    message = message_render(template, message_context(account=account, channel="email", today=TODAY))
    assert message.text.startswith("{{ debtor.__class__ }} {% now 'Y' %} Dana Debtor")
    assert "{% now &#x27;Y&#x27; %}" in message.html


def test_the_opt_out_line_is_added_to_electronic_messages_that_lack_it(policy):
    account = debt(-3)
    template = DunningTemplate(channel="sms", body="Pay {{ balance }}")
    message = message_render(template, message_context(account=account, channel="sms", today=TODAY))
    assert message.text.endswith("Reply STOP to stop texts.")


# --- the dry run and the command -----------------------------------------------------------------------


def test_the_dry_run_counts_by_stage_explains_held_reminders_and_writes_nothing(policy, capsys):
    debt(-3)
    debt(-3, email=None, name="Nomail Person")
    debt(30)
    debt(30, address=False)
    summary = dunning_preview(day=TODAY, at=IN_HOURS)
    rows = {row["position"]: row for row in summary["rows"]}
    assert (rows[1]["due"], rows[1]["send"], rows[1]["held"]) == (2, 1, 1)
    assert (rows[3]["due"], rows[3]["send"], rows[3]["held"]) == (2, 1, 1)
    assert summary["held_by_reason"] == {"no_address": 1, "no_postal_address": 1}
    call_command("run_dunning", "--dry-run", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "Nomail Person" in out and "no_address" in out and "Held back by the contact rules: 2" in out
    assert DunningReminder.objects.count() == 0 and DunningRun.objects.count() == 0 and mail.outbox == []


def test_the_command_runs_and_a_rerun_chooses_nothing(policy, capsys):
    debt(30)
    call_command("run_dunning", "--date", TODAY.isoformat())
    call_command("run_dunning", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "1 new reminder(s) chosen" in out and "0 new reminder(s) chosen" in out
    assert DunningReminder.objects.get().state == ReminderState.SENT


def test_selection_costs_the_same_queries_for_many_accounts(policy, django_assert_max_num_queries):
    for _ in range(3):
        debt(30)
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS)
    # A fixed number per stage: the policy order, the choice into a temporary table and from there
    # into reminders (in a savepoint), (PostgreSQL) fresh statistics for the next, the run's heartbeat.
    with django_assert_max_num_queries(31) as few:
        dunning_select(run=run, day=TODAY, at=IN_HOURS)
    for _ in range(12):
        debt(30)
    DunningReminder.objects.all().delete()
    with django_assert_max_num_queries(len(few.captured_queries)):
        dunning_select(run=run, day=TODAY, at=IN_HOURS)
    assert DunningReminder.objects.count() == 15
