"""Celery tasks of the collections domain: thin, idempotent wrappers that take ids and call the services."""

import csv
import io

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.utils import timezone

from compliance.exports import neutralise

from .importer import BundleError, import_bundle
from .models import ImportJob

_FINISHED = (ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED)
# The page shows this many rejections; the downloadable report holds all of them.
REJECTIONS_SHOWN = 500


def import_report_path(job_id: int) -> str:
    return f"imports/reports/import-{job_id}-rejections.csv"


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
                    f"UPDATE {ImportJob._meta.db_table} SET stage = %s, progress = %s WHERE id = %s",  # noqa: S608
                    [stage[:100], percent, self.job_id],
                )
        else:
            ImportJob.objects.filter(pk=self.job_id).update(stage=stage[:100], progress=percent)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


@shared_task(name="collections_app.import_run")
def import_run(job_id: int) -> str:
    """Run the import of an ImportJob. A finished job is left alone; an interrupted one runs again,
    which is safe because an import is one transaction and idempotent by external ids."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in _FINISHED:
        return "skipped"
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, stage="Starting", progress=0)
    progress = _ProgressWriter(job_id)
    try:
        report = import_bundle(job.upload.path, dry_run=job.dry_run, progress=progress, actor=job.created_by)
    except BundleError as exc:
        _finish(job_id, status=ImportJob.Status.FAILED, error=str(exc))
        return "failed"
    except Exception:
        _finish(
            job_id,
            status=ImportJob.Status.FAILED,
            error="The import stopped on an unexpected error; nothing was saved.",
        )
        raise
    finally:
        progress.close()
    rejections = report.sorted_rejections()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "line", "column", "reason"])
    writer.writerows([r.file, r.line, neutralise(r.column), neutralise(r.reason)] for r in rejections)
    path = import_report_path(job_id)
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(buffer.getvalue().encode("utf-8")))
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


def _finish(job_id: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


@shared_task(
    name="collections_app.tasks.plans_nightly", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def plans_nightly(day: str | None = None) -> dict:
    """Judge promises and arrangement instalments kept or broken (re-running a day changes nothing)."""
    import datetime

    from .services.plans import plans_evaluate_all

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return plans_evaluate_all(today=today)
