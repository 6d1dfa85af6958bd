"""Import jobs left running by a worker that died: the sweep marks them failed, in words, on the page."""

import datetime
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Account, ImportJob
from collections_app.services.imports import LOST_MESSAGE, import_job_run
from collections_app.tasks import requeue_stale

from .bundles import BASE, HEADERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def job(status, *, heartbeat_minutes_ago=None, created_minutes_ago=0):
    now = timezone.now()
    made = ImportJob.objects.create(upload=ContentFile(b"", name="x.csv"), original_name="x.csv", status=status)
    ImportJob.objects.filter(pk=made.pk).update(
        created_at=now - datetime.timedelta(minutes=created_minutes_ago),
        heartbeat_at=None if heartbeat_minutes_ago is None else now - datetime.timedelta(minutes=heartbeat_minutes_ago),
    )
    return made


def test_the_sweep_fails_a_job_whose_worker_went_silent_and_the_page_says_so(client, admin_user):
    lost = job(ImportJob.Status.RUNNING, heartbeat_minutes_ago=31, created_minutes_ago=40)
    # Running before heartbeats were recorded: judged by its age.
    old = job(ImportJob.Status.RUNNING, created_minutes_ago=45)
    alive = job(ImportJob.Status.RUNNING, heartbeat_minutes_ago=5, created_minutes_ago=40)
    done = job(ImportJob.Status.DONE, heartbeat_minutes_ago=50, created_minutes_ago=60)
    assert requeue_stale.apply().get() == 0
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "failed", old.pk: "failed", alive.pk: "running", done.pk: "done"}
    lost.refresh_from_db()
    assert lost.error == LOST_MESSAGE and lost.finished_at is not None
    client.force_login(admin_user)
    html = client.get(reverse("import_detail", args=[lost.pk])).content.decode()
    assert "The worker running this import stopped before it finished" in html
    # The broker's late redelivery of the same message finds the job finished and does nothing.
    assert import_job_run(lost.pk) == "skipped"


def test_a_run_records_its_heartbeat(collector):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, lines in BASE.items():
            archive.writestr(name, "\n".join([HEADERS[name], *lines]) + "\n")
    started = ImportJob.objects.create(upload=ContentFile(buffer.getvalue(), name="b.zip"), original_name="b.zip")
    before = timezone.now()
    assert import_job_run(started.pk) == "done"
    started.refresh_from_db()
    assert started.heartbeat_at >= before and Account.objects.exists()
