"""Redis down: pages keep answering quickly, started work waits in the database, admins see why,
and the sweep hands the waiting work out once Redis is back."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Activity, ImportJob, LedgerEntry
from collections_app.services.dunning import dunning_defaults_ensure
from collections_app.tasks import requeue_stale
from tests.collections_app.test_import_views import zip_upload
from tests.collections_app.workspace_data import make_debt

from .conftest import point_celery_at

HTMX = {"HTTP_HX_REQUEST": "true"}
BANNER = "Background work is paused"
# A request may try the broker once and retry once; it must still answer well within this.
WITHIN = 2.0


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    """Uploads where this process and a worker process both find them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


@pytest.fixture
def timed(client, django_capture_on_commit_callbacks):
    """Send a request, run what it enqueues after commit (as a real commit would), and time it all."""

    def send(method, url, data=None, **extra):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(url, data or {}, **extra)
        took = time.monotonic() - started
        assert took < WITHIN, f"{method.upper()} {url} took {took:.2f} s with Redis down"
        return response

    return send


@pytest.mark.django_db
def test_a_collectors_pages_and_actions_work_without_redis(redis_down, client, collector, timed):
    account = make_debt(collector, balance="300.00", name="Nell Nobroker")
    phone = account.debtor.contact_points.get(kind="phone")
    client.force_login(collector)
    assert timed("get", reverse("queue")).status_code == 200
    page = timed("get", reverse("account_detail", args=[account.pk]))
    assert page.status_code == 200 and "Nell Nobroker" in page.content.decode()
    call = {"direction": "outbound", "contact_point": phone.pk, "outcome": "no_answer", "note": "Rang out"}
    assert timed("post", f"/accounts/{account.pk}/act/call/", call, **HTMX).status_code == 200
    paid = {"amount": "40.00", "received_on": timezone.localdate().isoformat(), "method": "card"}
    response = timed("post", f"/accounts/{account.pk}/act/payment/", paid, **HTMX)
    assert "Payment of 40.00 USD received" in response.content.decode()
    assert Activity.objects.filter(account=account, outcome="no_answer").count() == 1
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 1
    assert BANNER not in page.content.decode()  # collectors cannot do anything about it


@pytest.mark.django_db
def test_the_api_answers_without_redis_unthrottled(redis_down, client, collector, timed):
    make_debt(collector, name="Ana Api")
    client.force_login(collector)
    response = timed("get", "/api/accounts/")
    assert response.status_code == 200 and "Ana Api" in response.content.decode()


@pytest.mark.django_db
def test_an_admin_starts_work_without_redis_and_is_told_it_waits(redis_down, shared_media, client, admin_user, timed):
    dunning_defaults_ensure()
    client.force_login(admin_user)
    response = timed("post", reverse("import_new"), {"files": [zip_upload()]})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.QUEUED
    detail = timed("get", reverse("import_detail", args=[job.pk])).content.decode()
    assert BANNER in detail

    home = timed("get", reverse("dunning:home"))
    assert home.status_code == 200 and BANNER in home.content.decode()
    assert timed("post", reverse("dunning:tonight")).status_code == 302  # the preview row waits, queued
    assert timed("get", reverse("dunning:tonight")).status_code == 200
    started = timed("post", reverse("dunning:run_start"), follow=True).content.decode()
    assert "The run could not start: Redis is unreachable" in started


@pytest.mark.django_db
def test_managers_see_the_banner_collectors_do_not(redis_down, client, manager, collector):
    client.force_login(manager)
    assert BANNER in client.get(reverse("home"), follow=True).content.decode()
    client.force_login(collector)
    assert BANNER not in client.get(reverse("queue")).content.decode()


@pytest.mark.django_db
def test_the_health_check_is_cached_so_pages_do_not_ping_redis_each_time(redis_down, client, admin_user, monkeypatch):
    from config import health

    pings = []
    monkeypatch.setattr(health, "broker_reachable", lambda: pings.append(1) or False)
    client.force_login(admin_user)
    for _ in range(3):
        assert BANNER in client.get(reverse("dunning:home")).content.decode()
    assert len(pings) == 1


@pytest.mark.django_db
def test_no_banner_when_redis_answers_or_in_the_embedded_mode(settings, client, admin_user, monkeypatch):
    from config import health

    client.force_login(admin_user)
    for redis_url in (settings.REDIS_URL, ""):
        settings.REDIS_URL = redis_url
        monkeypatch.setattr(health, "_last", {"at": float("-inf"), "reachable": None})
        assert BANNER not in client.get(reverse("dunning:home")).content.decode()


def test_an_import_started_without_redis_runs_once_redis_is_back(
    postgres, shared_media, celery_worker_process, redis_down, client, admin_user, collector
):
    client.force_login(admin_user)
    assert client.post(reverse("import_new"), {"files": [zip_upload()]}).status_code == 302
    job = ImportJob.objects.get()
    time.sleep(1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # recorded, waiting

    point_celery_at(redis_down)  # Redis is back (the fixture yields the real broker's address)
    assert requeue_stale.apply().get() == 0  # only jobs waiting longer than a worker ever takes
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    assert requeue_stale.apply().get() == 1  # as beat runs it every few minutes
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            break
        time.sleep(0.3)
    assert job.status == ImportJob.Status.DONE, (job.status, job.error)
    assert job.counts["accounts.csv"]["created"] == 2
