"""Dunning through Redis and real worker processes: a repeated run and a worker killed mid-run send
nothing twice. Texts go to a file backend that can be slowed down, so the kill lands mid-send."""

import datetime
import json
import os
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from collections_app.dunning.sms import FileSmsBackend
from collections_app.models import ContactPoint, DunningReminder, ReminderState
from collections_app.services import dunning
from collections_app.services.dunning import dunning_defaults_ensure, dunning_run
from collections_app.services.ledger import invoice_create
from tests.collections_app.factories import AccountFactory
from tests.conftest import require
from tests.integration.conftest import start_worker, wait_until, worker_tree

pytestmark = pytest.mark.integration

TODAY = timezone.localdate()
# 11:00 in Boston: every debtor here may be texted.
NOW = datetime.datetime.combine(TODAY, datetime.time(11), tzinfo=ZoneInfo("America/New_York")).astimezone(datetime.UTC)


class SlowFileSms(FileSmsBackend):
    """The file backend, writing a batch one text at a time, DUNNING_TEST_SMS_DELAY seconds each."""

    def send_many(self, messages):
        keys = []
        for message in messages:
            time.sleep(float(os.environ.get("DUNNING_TEST_SMS_DELAY", "0")))
            keys += super().send_many([message])
        return keys


@pytest.fixture
def sms_file(tmp_path, monkeypatch, settings):
    path = tmp_path / "sms.jsonl"
    monkeypatch.setenv("DUNNING_SMS_BACKEND", f"{__name__}.SlowFileSms")
    monkeypatch.setenv("DUNNING_SMS_FILE", str(path))
    monkeypatch.setenv("DUNNING_TEST_SMS_DELAY", "0.15")
    settings.DUNNING_SMS_BACKEND = f"{__name__}.SlowFileSms"
    settings.DUNNING_SMS_FILE = str(path)
    return path


def keys_sent(path: Path) -> Counter:
    if not path.exists():
        return Counter()
    return Counter(json.loads(line)["key"] for line in path.read_text().splitlines() if line.strip())


def debts(n: int) -> None:
    dunning_defaults_ensure()
    for i in range(n):
        account = AccountFactory()
        ContactPoint.objects.create(
            debtor=account.debtor,
            kind="phone",
            value=f"+1617555{i:04d}",
            usage="mobile",
            consent_autodial=True,
            is_primary=True,
        )
        invoice_create(
            account=account,
            amount=Decimal("120.00"),
            issued_on=TODAY - datetime.timedelta(days=40),
            due_on=TODAY - datetime.timedelta(days=12),  # the text stage (10 days late)
        )


def unsettled() -> int:
    return DunningReminder.objects.filter(state__in=[ReminderState.PENDING]).count()


@pytest.fixture
def postgres(transactional_db):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL): the worker shares the test database")


def test_a_repeated_run_through_real_workers_sends_each_text_once(postgres, sms_file, celery_worker_process):
    debts(12)
    first = dunning_run(now=NOW)
    assert first.selected == 12
    wait_until(lambda: unsettled() == 0 and len(keys_sent(sms_file)) == 12, what="the first run's texts")
    for _ in range(2):
        assert dunning_run(now=NOW).selected == 0
    time.sleep(2)  # any duplicate would have had time to arrive
    sent = keys_sent(sms_file)
    assert len(sent) == 12 and set(sent.values()) == {1}
    assert DunningReminder.objects.filter(state=ReminderState.SENT).count() == 12


def test_a_worker_killed_mid_run_sends_nothing_twice(postgres, sms_file, celery_worker_process, monkeypatch):
    monkeypatch.setattr(dunning.sending, "CHUNK_SIZE", 8)  # several chunks, shared by the pool's two processes
    debts(40)
    dunning_run(now=NOW)
    wait_until(lambda: sum(keys_sent(sms_file).values()) >= 6, what="some texts to go out")
    for pid in worker_tree(celery_worker_process.pid):
        os.kill(pid, signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    in_flight = DunningReminder.objects.filter(state=ReminderState.SENDING).count()

    second = start_worker("dunning-second")
    try:
        # The rerun chooses nothing new and hands the waiting reminders to the new worker.
        assert dunning_run(now=NOW).selected == 0
        # Settled: nothing waits, and the only claims left are the dead worker's.
        wait_until(
            lambda: (
                unsettled() == 0 and DunningReminder.objects.filter(state=ReminderState.SENDING).count() == in_flight
            ),
            what="the rerun to settle the rest",
        )
        # Later, the dispatcher finds the claims the dead worker left: failed, outcome unknown.
        dunning.dunning_dispatch(now=NOW + dunning.STALE_AFTER + datetime.timedelta(minutes=1))
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=15)
        except subprocess.TimeoutExpired:
            second.kill()
    time.sleep(1)
    sent = keys_sent(sms_file)
    assert max(sent.values()) == 1, [key for key, n in sent.items() if n > 1]
    states = Counter(DunningReminder.objects.values_list("state", flat=True))
    assert states[ReminderState.SENT] + states[ReminderState.FAILED] == 40, states
    assert states[ReminderState.FAILED] == in_flight
    for reminder in DunningReminder.objects.filter(state=ReminderState.SENT):
        assert sent[reminder.idempotency_key] == 1
    for reminder in DunningReminder.objects.filter(state=ReminderState.FAILED):
        assert reminder.reasons == ["outcome_unknown"] and sent[reminder.idempotency_key] <= 1
