"""The import pages: admin only, upload to report end to end with the task run eagerly."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from collections_app import tasks
from collections_app.models import Account, ImportJob
from collections_app.tasks import import_run
from collections_app.views import imports
from compliance.exports import neutralise

from .bundles import BASE, HEADERS, with_row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_upload(name, rows=None):
    lines = (rows or BASE)[name]
    return SimpleUploadedFile(name, ("\n".join([HEADERS[name], *lines]) + "\n").encode(), content_type="text/csv")


def zip_upload(rows=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, lines in {**BASE, **(rows or {})}.items():
            archive.writestr(name, "\n".join([HEADERS[name], *lines]) + "\n")
    return SimpleUploadedFile("portfolio.zip", buffer.getvalue(), content_type="application/zip")


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Post to the upload page and run what it hands to the task queue, as the embedded mode does."""

    def send(data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("import_new"), data)

    return send


@pytest.fixture
def finished_job(client, post, admin_user, collector):
    client.force_login(admin_user)
    post({"files": [zip_upload(with_row("payments.csv", 2, "P1,A1,2025-02-10,=1+2,card,"))]})
    return ImportJob.objects.get()


@pytest.mark.parametrize("name", ["import_list", "import_new", "import_detail", "import_progress", "import_report"])
def test_only_admins_reach_the_import_pages(client, make_user, finished_job, name):
    args = [finished_job.pk] if name not in ("import_list", "import_new") else []
    url = reverse(name, args=args)
    for role in ("collector", "manager"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 403, role
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(finished_job.created_by)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_only_admins_may_start_an_import(client, make_user, role):
    client.force_login(make_user(role))
    response = client.post(reverse("import_new"), {"files": [zip_upload()]})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_uploading_a_zip_imports_it_and_reports_rejections(client, finished_job):
    assert finished_job.status == ImportJob.Status.REJECTED
    assert finished_job.counts["accounts.csv"]["created"] == 2
    assert finished_job.counts["payments.csv"]["rejected"] == 1
    assert Account.objects.count() == 2

    page = client.get(reverse("import_detail", args=[finished_job.pk])).content.decode()
    assert page.count("<h1") == 1
    assert "Done with rejected rows" in page and "hx-trigger" not in page
    assert "&#x27;=1+2&#x27; is not an amount" in page

    report = client.get(reverse("import_report", args=[finished_job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0] == ["file", "line", "column", "reason"]
    assert rows[1][:3] == ["payments.csv", "2", "amount"]
    assert report["Content-Disposition"].startswith("attachment")


def test_uploading_csv_files_and_a_dry_run(client, post, admin_user, collector):
    client.force_login(admin_user)
    files = [csv_upload("debtors.csv"), csv_upload("accounts.csv")]
    response = post({"files": files, "dry_run": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    assert (job.status, job.dry_run, job.original_name) == (ImportJob.Status.DONE, True, "debtors.csv, accounts.csv")
    assert job.counts["debtors.csv"]["created"] == 2
    assert not Account.objects.exists()
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "No row was rejected." in page and "Dry run finished" in page


def test_an_unusable_bundle_fails_with_its_reason(client, post, admin_user):
    client.force_login(admin_user)
    post({"files": [csv_upload("debtors.csv")]})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "the bundle has no accounts.csv" in job.error
    assert "the bundle has no accounts.csv" in client.get(reverse("import_detail", args=[job.pk])).content.decode()


def test_uploads_are_checked_before_a_job_starts(client, admin_user, monkeypatch):
    client.force_login(admin_user)
    response = client.post(reverse("import_new"), {"files": [SimpleUploadedFile("clients.xlsx", b"x")]})
    assert "clients.xlsx: choose one .zip, or CSV files named debtors.csv" in response.content.decode()
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 10)
    response = client.post(reverse("import_new"), {"files": [zip_upload()]})
    assert "the limit is 10\xa0bytes" in response.content.decode()
    assert not ImportJob.objects.exists()
    page = client.get(reverse("import_new")).content.decode()
    assert page.count("<h1") == 1 and '<label for="id_files">' in page and '<label for="id_dry_run">' in page


def test_a_running_job_is_polled_until_it_finishes(client, admin_user):
    client.force_login(admin_user)
    job = ImportJob.objects.create(
        upload=zip_upload(),
        original_name="portfolio.zip",
        status=ImportJob.Status.RUNNING,
        progress=40,
        stage="Reading",
    )
    fragment = client.get(reverse("import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'value="40"' in fragment
    assert client.get(reverse("import_report", args=[job.pk])).status_code == 404


def test_the_task_is_idempotent(client, finished_job):
    assert import_run(finished_job.pk) == "skipped"
    assert import_run(999_999) == "skipped"
    assert Account.objects.count() == 2


def queued_job(admin_user):
    return ImportJob.objects.create(upload=zip_upload(), original_name="portfolio.zip", created_by=admin_user)


@pytest.fixture
def worker(monkeypatch):
    """Run the task as a worker would: a retry runs again (at once, eagerly), errors stay in the result."""
    monkeypatch.setitem(import_run.app.conf, "task_eager_propagates", False)
    return lambda job_id: import_run.apply(args=[job_id])


def test_a_transient_database_error_is_retried(admin_user, collector, monkeypatch, worker):
    job = queued_job(admin_user)
    real = tasks.import_job_run
    calls = []

    def flaky(job_id):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(job_id)

    monkeypatch.setattr(tasks, "import_job_run", flaky)
    assert worker(job.pk).get() == ImportJob.Status.DONE
    job.refresh_from_db()
    assert len(calls) == 2
    assert job.status == ImportJob.Status.DONE and Account.objects.count() == 2


def test_a_job_fails_only_when_the_last_attempt_fails(admin_user, monkeypatch, worker):
    job = queued_job(admin_user)
    attempts = []

    def broken(job_id):
        attempts.append(ImportJob.objects.get(pk=job_id).status)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(tasks, "import_job_run", broken)
    result = worker(job.pk)
    assert isinstance(result.result, OperationalError)
    job.refresh_from_db()
    assert attempts == [ImportJob.Status.QUEUED] * (tasks.IMPORT_RETRIES + 1)
    assert job.status == ImportJob.Status.FAILED and "nothing was saved" in job.error


def test_the_rejection_report_neutralises_every_cell(admin_user, collector, settings):
    job = queued_job(admin_user)
    job.upload = zip_upload(with_row("payments.csv", 2, "P1,A1,2025-02-10,5.00,card,"))
    job.save()
    bad = with_row("payments.csv", 2, "P1,A1,2025-02-10,5.00,card,")
    bad["payments.csv"][0] = "=P1,A1,2025-02-10,5.00,card,"
    bad["payments.csv"].append("=P1,A1,2025-02-11,5.00,card,")
    job.upload = zip_upload(bad)
    job.save()
    assert import_run(job.pk) == ImportJob.Status.REJECTED
    with open(settings.MEDIA_ROOT / "imports/reports" / f"import-{job.pk}-rejections.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "line", "column", "reason"]
    assert rows[1][:3] == ["payments.csv", "2", "external_id"] and rows[1][3].startswith("'=P1 appears")


def test_report_cells_cannot_run_as_formulas():
    assert [neutralise(v) for v in ("=SUM(A1)", "+1", "-2", "@x", "plain")] == [
        "'=SUM(A1)",
        "'+1",
        "'-2",
        "'@x",
        "plain",
    ]
