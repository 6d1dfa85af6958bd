"""Celery tasks of the collections domain: thin, idempotent wrappers that take ids and call the services."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services.imports import import_job_fail, import_job_run

# A transient database error (a lost connection, a deadlock victim) is retried after 10 s, 20 s,
# 40 s; the job is marked failed only when the last attempt fails too.
IMPORT_RETRIES = 3


@shared_task(bind=True, name="collections_app.import_run", max_retries=IMPORT_RETRIES)
def import_run(self, job_id: int) -> str:
    """Run the import of an ImportJob (import_job_run), retrying on transient database errors."""
    try:
        return import_job_run(job_id)
    except OperationalError as exc:
        if self.request.retries >= self.max_retries:
            import_job_fail(job_id)
            raise
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries)


@shared_task(
    name="collections_app.tasks.plans_nightly", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def plans_nightly(day: str | None = None) -> dict:
    """Judge promises and arrangement instalments kept or broken (re-running a day changes nothing)."""
    import datetime

    from .services.plans import plans_evaluate_all

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return plans_evaluate_all(today=today)
