"""Dunning runs left running by a worker that died: the periodic sweep marks them failed, saying what
was chosen, sent and not reached; what they chose is sent once, through the usual path."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Activity, DunningReminder, DunningRun, Outcome, ReminderState
from collections_app.services import dunning
from collections_app.services.dunning import (
    LOST_PREVIEW_MESSAGE,
    STALE_AFTER,
    dunning_preview_build,
    dunning_run,
    nightly_moment,
    reminders_send,
)
from collections_app.tasks import requeue_stale
from compliance.models import AuditEvent

from .test_dunning import (
    IN_HOURS,
    TODAY,
    commits_at_once,  # noqa: F401 (autouse: on-commit hooks run at once)
    debt,
)


@pytest.fixture
def policy(db):
    """Letter at 30 days past due, text at 10, email 3 days before: chosen in that order."""
    return dunning.dunning_defaults_ensure()


class WorkerKilled(BaseException):
    """Ends a run the way SIGKILL does: no `except Exception` handler runs, the run stays "running"."""


def killed_after_first_stage(monkeypatch) -> DunningRun:
    """A run whose worker died once it had chosen the first stage's reminders (of three)."""
    real, calls = dunning.selection._insert_chosen, []

    def insert_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise WorkerKilled
        return real(*args, **kwargs)

    monkeypatch.setattr(dunning.selection, "_insert_chosen", insert_then_die)
    with pytest.raises(WorkerKilled):
        dunning_run(day=TODAY, now=IN_HOURS)
    monkeypatch.setattr(dunning.selection, "_insert_chosen", real)
    return DunningRun.objects.get(dry_run=False)


def silent_for(run: DunningRun, minutes: int) -> None:
    DunningRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=minutes))


def sent_contacts() -> int:
    return Activity.objects.filter(automated=True, outcome=Outcome.SENT).count()


def test_a_silent_run_is_failed_in_words_its_choice_sent_once_and_a_live_one_left_alone(
    policy, monkeypatch, admin_user, client
):
    letters = [debt(30) for _ in range(3)]
    emails = [debt(-3, email=f"e{i}@example.com") for i in range(2)]
    lost = killed_after_first_stage(monkeypatch)
    assert lost.status == DunningRun.Status.RUNNING and lost.summary == {"stages_done": 1, "stages": 3}
    chosen = list(DunningReminder.objects.filter(run=lost).order_by("pk"))
    assert [r.account_id for r in chosen] == [a.pk for a in letters]
    # Before the worker died, one letter went out; another was claimed and its outcome is unknown.
    reminders_send(lo=chosen[0].pk, hi=chosen[0].pk, now=IN_HOURS)
    DunningReminder.objects.filter(pk=chosen[1].pk).update(
        state=ReminderState.SENDING, claimed_at=timezone.now() - STALE_AFTER - datetime.timedelta(minutes=1)
    )
    silent_for(lost, 31)
    alive = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS, status=DunningRun.Status.RUNNING)
    silent_for(alive, 5)
    # Started before heartbeats were recorded: judged by its age.
    old = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS, status=DunningRun.Status.RUNNING)
    DunningRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=45))
    finished = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS, status=DunningRun.Status.DONE)
    silent_for(finished, 90)

    assert requeue_stale.apply().get() == 0  # no import job handed out
    statuses = dict(DunningRun.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "failed", alive.pk: "running", old.pk: "failed", finished.pk: "done"}
    lost.refresh_from_db()
    assert lost.selected == 3 and lost.finished_at is not None
    assert "stopped after 1 of 3 stages" in lost.error
    assert "It chose 3 reminders. When this was found: 1 sent, 1 being sent, 1 waiting, 0 held back" in lost.error
    assert "press “Run now”" in lost.error
    assert AuditEvent.objects.filter(action="dunning.run_lost", object_id=str(lost.pk)).exists()
    old.refresh_from_db()
    assert "before it finished its first stage" in old.error and "It had chosen no reminder." in old.error

    # The waiting letter went through the usual path; the claimed one is never sent again.
    states = dict(DunningReminder.objects.filter(run=lost).values_list("pk", "state"))
    assert states == {chosen[0].pk: "sent", chosen[1].pk: "failed", chosen[2].pk: "sent"}
    assert DunningReminder.objects.get(pk=chosen[1].pk).reasons == ["outcome_unknown"]
    assert sent_contacts() == 2

    # The broker's late redelivery (or "Run now") chooses only what the dead run had not reached.
    again = dunning_run(day=TODAY, now=IN_HOURS)
    assert again.selected == 2 and {r.account_id for r in again.reminders.all()} == {a.pk for a in emails}
    assert len(mail.outbox) == 2 and sent_contacts() == 4
    assert requeue_stale.apply().get() == 0
    dunning.dunning_dispatch(now=IN_HOURS + datetime.timedelta(hours=1))
    assert len(mail.outbox) == 2 and sent_contacts() == 4
    for account in letters + emails:
        assert DunningReminder.objects.filter(account=account).count() == 1
        assert Activity.objects.filter(account=account, automated=True, outcome=Outcome.SENT).count() <= 1

    client.force_login(admin_user)
    page = client.get(reverse("dunning:run", args=[lost.pk])).content.decode()
    assert "This run failed." in page and "stopped after 1 of 3 stages" in page
    assert "Run now" in page
    home = client.get(reverse("dunning:home")).content.decode()
    assert 'verdict-never">Failed</span>' in home


def test_a_run_that_died_after_its_last_stage_says_nothing_is_missing(policy):
    debt(30)
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS, status=DunningRun.Status.RUNNING)
    dunning.dunning_select(run=run, day=TODAY, at=IN_HOURS)
    silent_for(run, 40)
    assert dunning.runs_fail_lost() == 1
    run.refresh_from_db()
    assert "after choosing for all 3 stages" in run.error and "nothing is missing" in run.error
    assert run.selected == 1
    assert DunningReminder.objects.get().state == ReminderState.SENT


def test_a_run_and_a_preview_record_their_heartbeat(policy):
    debt(30)
    before = timezone.now()
    run = dunning_run(day=TODAY, now=IN_HOURS)
    assert run.heartbeat_at >= before and run.status == DunningRun.Status.DONE
    preview = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS, dry_run=True)
    dunning_preview_build(preview.pk)
    preview.refresh_from_db()
    assert preview.heartbeat_at >= before and preview.status == DunningRun.Status.DONE


def test_a_silent_preview_is_failed_and_the_tonight_page_says_so(policy, admin_user, client):
    moment = nightly_moment()
    day = moment.astimezone(timezone.get_current_timezone()).date()
    preview = DunningRun.objects.create(run_on=day, at=moment, dry_run=True, status=DunningRun.Status.RUNNING)
    silent_for(preview, 31)
    requeue_stale.apply().get()
    preview.refresh_from_db()
    assert preview.status == DunningRun.Status.FAILED and preview.error == LOST_PREVIEW_MESSAGE
    assert not DunningReminder.objects.exists()
    client.force_login(admin_user)
    page = client.get(reverse("dunning:tonight")).content.decode()
    assert "The worker working this out stopped before it finished" in page
