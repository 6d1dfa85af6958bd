"""Dunning benchmark: selection time, sends per second, and duplicates (there must be none).

Runs on the database Django is configured for (meant for PostgreSQL with a generated portfolio)::

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python -m bench.dunning \
        [--date YYYY-MM-DD] [--at ISO-MOMENT] [--in-process] [--workers N] [--fresh] [--explain] [--limit N] [--json]

The default policy (dunning_defaults_ensure) is created when none exists. The run is pinned to
`--at` (default: the date at 16:00 UTC, within contact hours in every US zone) so that emails and
texts go out rather than wait for the morning.

Selection: `dunning_select` (one query per stage, batched inserts), timed. Sending: with REDIS_URL
and a worker answering, the chunks go through Redis to the workers (start them with
EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend and
DUNNING_SMS_BACKEND=collections_app.dunning.sms.FileSmsBackend so no message leaves the machine);
otherwise (or with --in-process) the chunks are sent in this process with the dummy email backend
and a null SMS backend. With REDIS_URL and --workers N the benchmark starts N single-process workers
itself (dummy email, file SMS) and, before sending, measures the floor: the rate at which they turn
round no-op tasks (config.ping) on the same broker. Sending is timed from dispatch to the last
reminder settled. Duplicates: reminders sharing (account, stage, cycle), reminders with more
than one contact-log row, and SMS keys written twice (file backend).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_TASKS = 2000


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


class NullSms:
    """Accepts every text: the benchmark measures our side, not a provider's."""

    def send(self, *, to, body, key):
        return key


def _workers_available() -> bool:
    from django.conf import settings

    if not settings.REDIS_URL:
        return False
    from config.celery import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:
        return False


def workers_start(count: int, sms_file: str) -> list[subprocess.Popen]:
    """`count` single-process Celery workers on this database and broker, sending nowhere."""
    from config.celery import app

    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DUNNING_SMS_BACKEND="collections_app.dunning.sms.FileSmsBackend",
        DUNNING_SMS_FILE=sms_file,
    )
    app.control.purge()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"bench{i}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for i in range(count)
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(app.control.ping(timeout=0.5)) < count:
        pass
    return processes


def workers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def noop_floor(tasks: int = FLOOR_TASKS) -> dict:
    """The broker's floor: no-op tasks sent and their results collected, per second, by the running workers."""
    from celery.result import ResultSet

    from config.celery import ping

    seconds = time.perf_counter()
    ResultSet([ping.delay() for _ in range(tasks)]).join_native(timeout=600)  # results fetched in bulk
    elapsed = time.perf_counter() - seconds
    return {"tasks": tasks, "seconds": round(elapsed, 3), "per_second": round(tasks / elapsed, 1)}


def duplicates(since=None) -> dict:
    """Every way a reminder could have gone twice, counted; all must be zero."""
    from django.conf import settings
    from django.db.models import Count

    from collections_app.models import Activity, DunningReminder

    keys = (
        DunningReminder.objects.values("account_id", "stage_id", "cycle")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    # A sent reminder has exactly one contact-log row; automated "sent" rows without a reminder
    # (since the start of this run) would be sends the reminders do not account for.
    activities = Activity.objects.filter(automated=True, outcome="sent", channel__in=["email", "sms", "letter"])
    if since is not None:
        activities = activities.filter(created_at__gte=since)
    unaccounted = activities.filter(reminder__isnull=True).count()
    sms_keys = 0
    path = getattr(settings, "DUNNING_SMS_FILE", "")
    if path and os.path.exists(path) and "FileSmsBackend" in settings.DUNNING_SMS_BACKEND:
        seen: dict[str, int] = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key = json.loads(line)["key"]
                seen[key] = seen.get(key, 0) + 1
        sms_keys = sum(1 for n in seen.values() if n > 1)
    return {"same_key": keys, "sends_without_reminder": unaccounted, "sms_keys_twice": sms_keys}


def explain_largest_stage(day: datetime.date, at: datetime.datetime) -> str:
    """EXPLAIN ANALYZE of the heaviest stage query (PostgreSQL only)."""
    from django.db import connection

    from collections_app.services.dunning.selection import _paused_q, _plan

    if connection.vendor != "postgresql":
        return "EXPLAIN ANALYZE needs PostgreSQL."
    plans = []
    for policy, _stage, candidates in _plan(day, at):
        query = candidates.exclude(_paused_q(policy)).values_list("pk", "oldest_open_due_on")
        plans.append(query.explain(analyze=True))
    return max(plans, key=len) if plans else ""


def measure(
    day: datetime.date | None = None,
    at: datetime.datetime | None = None,
    *,
    in_process: bool = False,
    fresh: bool = False,
    explain: bool = False,
    limit: int | None = None,
    workers: int = 0,
    timeout: float = 3600,
) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Q
    from django.utils import timezone

    from collections_app.models import Account, DunningReminder, DunningRun, ReminderState
    from collections_app.services import dunning

    day = day or timezone.localdate()
    at = at or datetime.datetime.combine(day, datetime.time(16), tzinfo=datetime.UTC)
    dunning.dunning_defaults_ensure()
    if fresh:
        DunningReminder.objects.all().delete()
        if connection.vendor == "postgresql":
            # As new: statistics of the deleted rows would mislead the planner of the first stage.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {DunningReminder._meta.db_table}")
    started_at = timezone.now()
    report: dict = {"date": day.isoformat(), "at": at.isoformat(), "accounts": Account.objects.count()}

    run = DunningRun.objects.create(run_on=day, at=at, status=DunningRun.Status.RUNNING)
    seconds = time.perf_counter()
    selected = dunning.dunning_select(run=run, day=day, at=at)
    report["selection_seconds"] = round(time.perf_counter() - seconds, 3)
    report["selected"] = selected
    DunningRun.objects.filter(pk=run.pk).update(status=DunningRun.Status.DONE, selected=selected)
    if explain:
        report["largest_stage_plan"] = explain_largest_stage(day, at)

    started: list[subprocess.Popen] = []
    if workers and settings.REDIS_URL and not in_process:
        sms_file = f"/tmp/bench_dunning_sms_{os.getpid()}.jsonl"
        settings.DUNNING_SMS_BACKEND = "collections_app.dunning.sms.FileSmsBackend"
        settings.DUNNING_SMS_FILE = sms_file
        started = workers_start(workers, sms_file)
        report["workers"] = workers
        report["noop_floor"] = noop_floor()
    through_workers = not in_process and _workers_available()
    report["mode"] = "workers" if through_workers else "in-process"
    pending = Q(state=ReminderState.PENDING) & (Q(send_after__isnull=True) | Q(send_after__lte=at))
    ids = list(DunningReminder.objects.filter(pending, run=run).order_by("pk").values_list("pk", flat=True))
    if limit:
        ids = ids[:limit]
    chunks = [ids[i : i + dunning.CHUNK_SIZE] for i in range(0, len(ids), dunning.CHUNK_SIZE)]
    report["sent_sample"] = len(ids)
    report["chunks"] = len(chunks)
    # The sample as an id range of the run: polled every half second, so no list of 100,000 ids.
    sample = DunningReminder.objects.filter(run=run, pk__gte=ids[0] if ids else 0, pk__lte=ids[-1] if ids else 0)
    seconds = time.perf_counter()
    if through_workers:
        from collections_app.tasks import dunning_send_chunk

        if limit:
            for chunk in chunks:
                dunning_send_chunk.delay(chunk[0], chunk[-1], at.isoformat())
        else:
            dunning.dunning_dispatch(now=at)  # the nightly path: sweep, then chunks of ids
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not sample.filter(pending | Q(state=ReminderState.SENDING)).exists():
                break
            time.sleep(0.5)
    else:
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        settings.DUNNING_SMS_BACKEND = f"{__name__}.NullSms"
        for chunk in chunks:
            dunning.reminders_send(lo=chunk[0], hi=chunk[-1], now=at)
    elapsed = time.perf_counter() - seconds
    workers_stop(started)
    states = dict(sample.order_by().values_list("state").annotate(n=Count("id")))
    sent = states.get(ReminderState.SENT, 0)
    report["send_seconds"] = round(elapsed, 3)
    report["states"] = states
    report["sends_per_second"] = round(sent / elapsed, 1) if elapsed else None
    report["settled_per_second"] = round(sum(states.values()) / elapsed, 1) if elapsed else None
    if "noop_floor" in report and report["sends_per_second"]:
        report["sends_vs_noop_floor"] = round(report["sends_per_second"] / report["noop_floor"]["per_second"], 3)
    report["duplicates"] = duplicates(since=started_at)
    report["ok"] = not any(report["duplicates"].values())
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--at", type=datetime.datetime.fromisoformat, default=None, help="moment the gate is asked")
    parser.add_argument("--in-process", action="store_true", help="send in this process even if workers answer")
    parser.add_argument("--workers", type=int, default=0, help="start N worker processes (needs REDIS_URL)")
    parser.add_argument("--fresh", action="store_true", help="delete every reminder first (benchmark databases only)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the heaviest stage query")
    parser.add_argument("--limit", type=int, default=None, help="send only the first N reminders chosen (a sample)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    _setup()
    report = measure(
        args.date,
        args.at,
        in_process=args.in_process,
        fresh=args.fresh,
        explain=args.explain,
        limit=args.limit,
        workers=args.workers,
    )
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        plan = report.pop("largest_stage_plan", "")
        for key, value in report.items():
            print(f"{key:>20}: {value}")
        if plan:
            print("\nHeaviest stage query:\n" + plan)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
