"""Celery tasks of the collections domain: thin, idempotent wrappers that take ids and call the services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from .services.imports import import_job_fail, import_job_run

# A transient database error (a lost connection, a deadlock victim) is retried after 10 s, 20 s,
# 40 s; the job is marked failed only when the last attempt fails too.
IMPORT_RETRIES = 3


def _connection_errors() -> tuple:
    """A lost connection as Django reports it, and as the driver does: the importer's COPY and
    named cursors talk to the driver directly (seen when PostgreSQL cuts a worker mid-import). The
    retry gets a fresh connection: Django checks a pooled one's health before reusing it."""
    driver = connection.Database
    return (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError)


@shared_task(bind=True, name="collections_app.import_run", max_retries=IMPORT_RETRIES)
def import_run(self, job_id: int) -> str:
    """Run the import of an ImportJob (import_job_run), retrying on transient database errors."""
    try:
        return import_job_run(job_id)
    except _connection_errors() as exc:
        if self.request.retries >= self.max_retries:
            import_job_fail(job_id)
            raise
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries)


@shared_task(name="collections_app.tasks.requeue_stale")
def requeue_stale() -> int:
    """Every few minutes: hand out again the import jobs whose message never reached a worker (the
    broker was down when they were started), and mark failed the import jobs and dunning runs whose
    worker died while running them (a dead run's chosen reminders are sent as usual; reminders need
    no sweep of their own: the dispatcher resends them). Returns how many jobs were handed out."""
    from .services.dunning import runs_fail_lost
    from .services.imports import import_jobs_fail_lost, import_jobs_requeue

    import_jobs_fail_lost()
    runs_fail_lost()
    return import_jobs_requeue()


@shared_task(
    name="collections_app.tasks.plans_nightly", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def plans_nightly(day: str | None = None) -> dict:
    """Judge promises and arrangement instalments kept or broken (re-running a day changes nothing)."""
    import datetime

    from .services.plans import plans_evaluate_all

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return plans_evaluate_all(today=today)


# --- dunning --------------------------------------------------------------------------------------
# Every task here is safe to run twice: reminders are keyed (account, stage, cycle) and claimed
# under a row lock before anything is sent (see services.dunning).


@shared_task(
    name="collections_app.tasks.dunning_nightly", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def dunning_nightly(day: str | None = None) -> dict:
    """The nightly run: select the day's reminders and enqueue their sending in chunks."""
    import datetime

    from .services.dunning import dunning_run

    run = dunning_run(day=datetime.date.fromisoformat(day) if day else None)
    return {"run": run.pk, "selected": run.selected}


@shared_task(
    name="collections_app.tasks.dunning_dispatch",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def dunning_dispatch_due() -> int:
    """Every few minutes: send what has become due (rescheduled to the debtor's hours, retries)."""
    from .services.dunning import dunning_dispatch

    return dunning_dispatch()


@shared_task(
    name="collections_app.tasks.dunning_send_chunk",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def dunning_send_chunk(lo: int, hi: int, at: str | None = None) -> dict:
    """Send the due reminders with ids in [lo, hi]; `at` pins the moment (tests, benchmarks)."""
    import datetime

    from .services.dunning import reminders_send

    return reminders_send(lo=lo, hi=hi, now=datetime.datetime.fromisoformat(at) if at else None)


@shared_task(name="collections_app.tasks.dunning_preview_build", autoretry_for=(OperationalError,), max_retries=3)
def dunning_preview_build(run_id: int) -> None:
    """Work out what a run will do (the 'tonight' page) and store it on the dry-run row."""
    from .services.dunning import dunning_preview_build as build

    build(run_id)
