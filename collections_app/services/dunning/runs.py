"""Dunning runs: the nightly run, the dry run ("what tonight's run will do") and a run's progress."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Count
from django.utils import timezone

from compliance.audit import audit_record
from config.celery import enqueue_on_commit

from ...models import (
    Account,
    DunningRun,
)
from ...models.dunning import FINAL_STATES
from ..heartbeats import silent_since
from .common import (
    JUDGE_BATCH,
    STALE_AFTER,
    planned_for_every_row,
    reason_label,
)
from .judging import TemplateChooser, judge
from .selection import (
    _paused_by,
    _plan,
    dunning_select,
)
from .sending import dunning_dispatch


def nightly_moment(day: datetime.date | None = None) -> datetime.datetime:
    """When the nightly run happens on `day` (default: its next occurrence), from the admins' schedule."""
    from django_celery_beat.models import PeriodicTask

    from config.schedules import DUNNING_NIGHTLY_TASK

    hour, minute, zone = 3, 0, timezone.get_current_timezone()
    task = PeriodicTask.objects.filter(task=DUNNING_NIGHTLY_TASK, crontab__isnull=False).select_related("crontab")
    task = task.first()
    if task is not None and task.crontab.hour.isdigit() and task.crontab.minute.isdigit():
        hour, minute = int(task.crontab.hour), int(task.crontab.minute)
        zone = task.crontab.timezone or zone
    now = timezone.now()
    if day is None:
        day = now.astimezone(zone).date()
        moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)
        return moment if moment > now else moment + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def dunning_preview(*, day: datetime.date, at: datetime.datetime, held_limit: int | None = None) -> dict:
    """What a run on `day`, asking the gate at `at`, would do: counts by policy, stage and channel,
    and every reminder the contact rules would hold back, with the reasons. Writes nothing."""
    rows, held, paused_by = [], [], Counter()
    held_by = Counter()
    chooser = TemplateChooser()
    taken: dict[int, set[int]] = defaultdict(set)  # policy -> accounts given a later stage tonight
    for policy, stage, candidates in _plan(day, at):
        row = {
            "policy": policy.name,
            "policy_id": policy.pk,
            "position": stage.position,
            "stage": stage.name,
            "trigger": stage.trigger_label,
            "channel": stage.get_channel_display(),
            "channel_code": stage.channel,
            "due": 0,
            "send": 0,
            "later": 0,
            "held": 0,
            "paused": 0,
        }
        chunk: list[Account] = []

        def flush(chunk=chunk, row=row, stage=stage, policy=policy):
            by_id = {account.pk: account for account in chunk}
            for account_id, verdict in judge(chunk, stage=stage, at=at, chooser=chooser).items():
                row[verdict.kind] += 1
                if verdict.kind != "held":
                    continue
                for code in verdict.codes:
                    held_by[code] += 1
                if held_limit is None or len(held) < held_limit:
                    account = by_id[account_id]
                    held.append(
                        {
                            "account_id": account.pk,
                            "account": account.external_id,
                            "debtor": account.debtor.name,
                            "policy": policy.name,
                            "stage": f"{stage.position}. {stage.name}",
                            "channel": stage.get_channel_display(),
                            "codes": verdict.codes,
                            "labels": [reason_label(code) for code in verdict.codes],
                            "message": verdict.message,
                        }
                    )
            chunk.clear()

        with planned_for_every_row():
            for account in candidates.select_related("debtor", "creditor").iterator(chunk_size=JUDGE_BATCH):
                if account.pk in taken[policy.pk]:
                    continue
                taken[policy.pk].add(account.pk)
                pause = _paused_by(account, policy)
                if pause:
                    row["paused"] += 1
                    paused_by[pause] += 1
                    continue
                row["due"] += 1
                chunk.append(account)
                if len(chunk) >= JUDGE_BATCH:
                    flush()
            if chunk:
                flush()
        rows.append(row)
    rows.sort(key=lambda r: (r["policy"], r["position"]))
    totals = {key: sum(r[key] for r in rows) for key in ("due", "send", "later", "held", "paused")}
    return {
        "day": day.isoformat(),
        "at": at.isoformat(),
        "rows": rows,
        "totals": totals,
        "held": held,
        "held_total": totals["held"],
        "held_by_reason": dict(held_by.most_common()),
        "paused_by_reason": dict(paused_by.most_common()),
        "paused": [{"code": c, "label": reason_label(c), "count": n} for c, n in paused_by.most_common()],
    }


def dunning_preview_start(*, day: datetime.date | None = None, user=None) -> DunningRun:
    """Work out in the background what the night's run will do; the page follows the stored result."""
    at = nightly_moment(day)
    day = day or at.astimezone(timezone.get_current_timezone()).date()
    run = DunningRun.objects.create(run_on=day, at=at, dry_run=True, started_by=user if user else None)
    from ...tasks import dunning_preview_build

    enqueue_on_commit(dunning_preview_build, run.pk)
    return run


def dunning_preview_build(run_id: int) -> None:
    run = DunningRun.objects.get(pk=run_id)
    if run.status == DunningRun.Status.DONE:
        return
    DunningRun.objects.filter(pk=run.pk).update(status=DunningRun.Status.RUNNING, heartbeat_at=timezone.now())
    try:
        summary = dunning_preview(day=run.run_on, at=run.at, held_limit=500)
    except Exception as exc:
        DunningRun.objects.filter(pk=run.pk).update(
            status=DunningRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    DunningRun.objects.filter(pk=run.pk).update(
        status=DunningRun.Status.DONE, summary=summary, finished_at=timezone.now(), selected=summary["totals"]["due"]
    )


def dunning_run(*, day: datetime.date | None = None, user=None, now: datetime.datetime | None = None) -> DunningRun:
    """Select the reminders of `day` and hand them to the senders. Safe to repeat: nothing is sent twice.

    `now` pins the moment the gate is asked about (tests, benchmarks); by default each sender asks
    at the moment it sends.
    """
    pinned = now is not None
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    run = DunningRun.objects.create(
        run_on=day, at=now, status=DunningRun.Status.RUNNING, started_by=user, heartbeat_at=timezone.now()
    )
    audit_record(action="dunning.run_started", actor=user, obj=run, after={"run_on": day, "at": now})
    try:
        selected = dunning_select(run=run, day=day, at=now)
    except Exception as exc:
        DunningRun.objects.filter(pk=run.pk).update(
            status=DunningRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.selected = selected
    run.status = DunningRun.Status.DONE
    run.finished_at = timezone.now()
    run.summary = {"selection_seconds": round((run.finished_at - now).total_seconds(), 3) if not pinned else None}
    run.save(update_fields=["selected", "status", "finished_at", "summary"])
    audit_record(action="dunning.run_selected", actor=user, obj=run, after={"run_on": day, "selected": selected})
    dunning_dispatch(now=now if pinned else None)
    run.refresh_from_db()
    return run


def run_progress(run: DunningRun) -> dict:
    """The run's reminders by state, and how many have reached a final state."""
    counts = Counter(dict(run.reminders.order_by().values_list("state").annotate(n=Count("id"))))
    total = sum(counts.values())
    done = sum(counts[state] for state in FINAL_STATES)
    percent = round(100 * done / total) if total else 100
    return {"total": total, "done": done, "percent": percent, "by_state": dict(counts)}


LOST_PREVIEW_MESSAGE = (
    "The worker working this out stopped before it finished (it was restarted or ran out of memory). "
    "Nothing was sent: press “Work it out now” again."
)


def _lost_message(run: DunningRun, by_state: dict) -> str:
    """What a run whose worker died did and did not do, in words for its page."""
    done, stages = run.summary.get("stages_done", 0), run.summary.get("stages")
    if stages and done >= stages:
        reached = f"after choosing for all {stages} stages, before it could finish"
        missing = "Every stage had been chosen for: nothing is missing."
    else:
        reached = f"after {done} of {stages} stages" if stages else "before it finished its first stage"
        missing = (
            "Accounts due at the stages it did not reach were not chosen: press “Run now” on the Dunning page "
            "to choose them (the broker may also start the run again by itself within the hour)."
        )
    chosen = sum(by_state.values())
    sent, sending, waiting = (by_state.get(state, 0) for state in ("sent", "sending", "pending"))
    outcome = (
        f"It chose {chosen} reminder{'s' if chosen != 1 else ''}. When this was found: {sent} sent, "
        f"{sending} being sent, {waiting} waiting, {chosen - sent - sending - waiting} held back, cancelled or "
        "failed. Waiting ones are sent as usual; the list below shows where each stands now."
        if chosen
        else "It had chosen no reminder."
    )
    return (
        f"The worker choosing this run's reminders stopped {reached} (it was restarted or ran out of memory). "
        f"{outcome} {missing} Nothing already chosen is chosen or sent twice."
    )


def runs_fail_lost(*, older_than: datetime.timedelta = STALE_AFTER) -> int:
    """Mark failed the runs left running by a worker that died, saying how far each got, and send
    what they chose now rather than at the dispatcher's next turn. Returns how many runs.

    A run is "running" only while it chooses its reminders (sending is the chunks' and the
    dispatcher's work). No attempt outlives CELERY_TASK_TIME_LIMIT and each stage renews
    heartbeat_at, so a run silent for STALE_AFTER has lost its worker. The broker may still hand its
    message out again (within the hour): that starts a new run, which chooses only what this one had not.
    """
    cutoff = timezone.now() - older_than
    running = DunningRun.objects.filter(status=DunningRun.Status.RUNNING)
    lost, waiting = 0, 0
    for run in silent_since(running, cutoff).order_by("pk"):
        by_state = {} if run.dry_run else run_progress(run)["by_state"]
        fields = {"status": DunningRun.Status.FAILED, "finished_at": timezone.now()}
        if run.dry_run:
            fields["error"] = LOST_PREVIEW_MESSAGE
        else:
            fields.update(error=_lost_message(run, by_state), selected=sum(by_state.values()))
        # Asked again: a worker that showed a sign of life meanwhile keeps its run.
        if not silent_since(running.filter(pk=run.pk), cutoff).update(**fields):
            continue
        lost += 1
        if not run.dry_run:
            waiting += by_state.get("pending", 0)
            audit_record(action="dunning.run_lost", obj=run, after={"run_on": run.run_on, "by_state": by_state})
    if waiting:
        dunning_dispatch()
    return lost
