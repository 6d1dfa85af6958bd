"""Portfolio import jobs started from the admin pages: queue one, run it, keep its report."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from compliance.exports import csv_lines
from config.celery import enqueue, enqueue_on_commit

from ..importer import BundleError, import_bundle
from ..models import ImportJob
from .heartbeats import silent_since

_FINISHED = (ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED)
# The page shows this many rejections; the downloadable report holds all of them.
REJECTIONS_SHOWN = 500
REPORT_HEADER = ["file", "line", "column", "reason"]
# A job queued this long has lost its message (a worker takes it well within this). A job handed
# out twice does no harm: a finished job is skipped, and an import is idempotent by external ids.
REQUEUE_AFTER = datetime.timedelta(minutes=10)
# A running job with no sign of its worker for this long has lost it (killed, out of memory): no
# attempt outlives CELERY_TASK_TIME_LIMIT, and each attempt and step renews heartbeat_at. Marking it
# failed, rather than waiting an hour for the broker to hand the message out again, tells the admin
# now; the late message then finds the job finished and skips it, so it never runs twice at once.
LOST_AFTER = datetime.timedelta(minutes=30)
LOST_MESSAGE = (
    "The worker running this import stopped before it finished (it was restarted or ran out of memory). "
    "An import is saved whole or not at all: upload the bundle again; rows already imported stay as they are."
)


def import_report_path(job_id: int) -> str:
    return f"imports/reports/import-{job_id}-rejections.csv"


@transaction.atomic
def import_job_start(*, upload, original_name: str, dry_run: bool, created_by) -> ImportJob:
    """Save an uploaded bundle as a queued job and hand it to the task queue once committed."""
    from ..tasks import import_run  # here, not at the top: the task module imports this one

    job = ImportJob.objects.create(
        upload=upload, original_name=original_name[:255], dry_run=dry_run, created_by=created_by
    )
    # With Redis down the job stays queued and import_jobs_requeue hands it out when it is back.
    enqueue_on_commit(import_run, job.id)
    return job


def import_jobs_requeue(*, older_than: datetime.timedelta = REQUEUE_AFTER) -> int:
    """Enqueue again the jobs still queued after `older_than`: their message never reached a worker
    (the broker was down, or lost it). Returns how many were handed out."""
    from ..tasks import import_run

    cutoff = timezone.now() - older_than
    stale = ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lte=cutoff).order_by("pk")
    return sum(enqueue(import_run, pk) for pk in stale.values_list("pk", flat=True))


def import_jobs_fail_lost(*, older_than: datetime.timedelta = LOST_AFTER) -> int:
    """Mark failed the jobs left running by a worker that died; returns how many."""
    cutoff = timezone.now() - older_than
    lost = silent_since(ImportJob.objects.filter(status=ImportJob.Status.RUNNING), cutoff)
    return lost.update(status=ImportJob.Status.FAILED, error=LOST_MESSAGE, finished_at=timezone.now())


class _ProgressWriter:
    """Records progress where the polling page sees it: outside the import's own transaction.

    On PostgreSQL a second connection commits each update at once; elsewhere (SQLite, where the
    embedded mode runs the task inside the request anyway) the import's connection is used.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = None

    def __call__(self, stage: str, percent: int) -> None:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            if self.side is None:
                self.side = connection.copy()
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET stage = %s, progress = %s, heartbeat_at = %s "  # noqa: S608
                    "WHERE id = %s",
                    [stage[:100], percent, timezone.now(), self.job_id],
                )
        else:
            ImportJob.objects.filter(pk=self.job_id).update(
                stage=stage[:100], progress=percent, heartbeat_at=timezone.now()
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _finish(job_id: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


def import_job_fail(job_id: int, error: str = "The import stopped on an unexpected error; nothing was saved.") -> None:
    _finish(job_id, status=ImportJob.Status.FAILED, error=error)


def import_job_run(job_id: int) -> str:
    """Run the import of an ImportJob and record its outcome; returns the job's status ("skipped"
    for a finished or missing job). An interrupted job runs again safely: an import is one
    transaction and idempotent by external ids.

    A transient database error (OperationalError) propagates with the job left running, for the
    caller to retry; any other unexpected error marks the job failed.
    """
    job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.status in _FINISHED:
        return "skipped"
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.RUNNING, stage="Starting", progress=0, heartbeat_at=timezone.now()
    )
    progress = _ProgressWriter(job_id)
    try:
        report = import_bundle(job.upload.path, dry_run=job.dry_run, progress=progress, actor=job.created_by)
    except BundleError as exc:
        import_job_fail(job_id, str(exc))
        return ImportJob.Status.FAILED
    except OperationalError:
        raise
    except Exception:
        import_job_fail(job_id)
        raise
    finally:
        progress.close()
    rejections = report.sorted_rejections()
    text = "".join(csv_lines(REPORT_HEADER, ([r.file, r.line, r.column, r.reason] for r in rejections)))
    path = import_report_path(job_id)
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(text.encode("utf-8")))
    status = ImportJob.Status.REJECTED if rejections else ImportJob.Status.DONE
    _finish(
        job_id,
        status=status,
        counts=report.counts,
        rejections=[[r.file, r.line, r.column, r.reason] for r in rejections[:REJECTIONS_SHOWN]],
        progress=100,
        stage="Dry run finished: nothing was written" if job.dry_run else "Finished",
    )
    return status
