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
from .common import (
    JUDGE_BATCH,
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
    DunningRun.objects.filter(pk=run.pk).update(status=DunningRun.Status.RUNNING)
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
    run = DunningRun.objects.create(run_on=day, at=now, status=DunningRun.Status.RUNNING, started_by=user)
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
