"""An import through a real worker, cut short twice: PostgreSQL connections terminated mid-run, and
the worker SIGKILLed mid-run. Each time the rerun completes and every row is there exactly once."""

import csv
import io
import os
import signal
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse

from bench.generate_portfolio import write_bundle
from collections_app.models import Account, ImportJob, LedgerEntry
from collections_app.tasks import import_run
from config.celery import enqueue
from tests.integration.conftest import start_worker, wait_until, worker_tree

from .conftest import ledger_reconciles, terminate_other_backends

pytestmark = pytest.mark.integration
# Enough rows that the worker is still busy when the fault strikes (a few seconds on a small machine).
ACCOUNTS = 1500
FINISHED = (ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED)


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


@pytest.fixture
def bundle(tmp_path) -> Path:
    folder = tmp_path / "bundle"
    write_bundle(folder, accounts=ACCOUNTS, future_due=False)
    return folder


def rows(folder: Path, name: str) -> int:
    with (folder / name).open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def upload(folder: Path) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.glob("*.csv")):
            archive.write(path, path.name)
    return SimpleUploadedFile("portfolio.zip", buffer.getvalue(), content_type="application/zip")


def start_import(client, admin_user, folder: Path) -> ImportJob:
    client.force_login(admin_user)
    assert client.post(reverse("import_new"), {"files": [upload(folder)]}).status_code == 302
    return ImportJob.objects.latest("pk")


def mid_run(job: ImportJob) -> bool:
    job.refresh_from_db()
    assert job.status not in FINISHED, "the import finished before the fault: raise ACCOUNTS"
    return job.status == ImportJob.Status.RUNNING and job.progress >= 5


def settled(job: ImportJob) -> bool:
    job.refresh_from_db()
    return job.status in FINISHED


def assert_imported_exactly_once(folder: Path) -> None:
    assert Account.objects.count() == rows(folder, "accounts.csv")
    assert LedgerEntry.objects.filter(kind="payment").count() == rows(folder, "payments.csv")
    doubled = (
        LedgerEntry.objects.exclude(external_id=None)
        .values("account", "kind", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists(), list(doubled[:5])
    assert "every cache equals the ledger" in ledger_reconciles()


def test_postgres_connections_cut_mid_import_then_the_import_completes(
    postgres, shared_media, bundle, celery_worker_process, client, admin_user
):
    job = start_import(client, admin_user, bundle)
    wait_until(lambda: mid_run(job), timeout=120, what="the import to be under way")
    assert terminate_other_backends() >= 1
    # The task retries a lost connection (10 s later); should it give up, an admin starts it again.
    wait_until(lambda: settled(job), timeout=240, what="the import to settle after the cut")
    if job.status == ImportJob.Status.FAILED:
        job = start_import(client, admin_user, bundle)
        wait_until(lambda: settled(job), timeout=240, what="the rerun")
    assert job.status == ImportJob.Status.DONE, (job.status, job.error)
    assert_imported_exactly_once(bundle)


def test_a_worker_killed_mid_import_then_the_rerun_completes(
    postgres, shared_media, bundle, celery_worker_process, client, admin_user
):
    job = start_import(client, admin_user, bundle)
    wait_until(lambda: mid_run(job), timeout=120, what="the import to be under way")
    for pid in worker_tree(celery_worker_process.pid):
        os.kill(pid, signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    second = start_worker("import-second")
    try:
        # Redis hands an unacknowledged task out again after its visibility timeout (an hour); the
        # test does not wait for it and sends the task again, as that redelivery would.
        assert enqueue(import_run, job.pk)
        wait_until(lambda: settled(job), timeout=240, what="the rerun on the second worker")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    assert job.status == ImportJob.Status.DONE, (job.status, job.error)
    assert_imported_exactly_once(bundle)
