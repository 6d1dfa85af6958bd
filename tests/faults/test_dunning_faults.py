"""A dunning run through a real worker while PostgreSQL cuts the worker's connections: the rerun
completes and no text goes out twice (reminders are keyed account + stage + cycle and claimed
before they are sent). The worker killed mid-run is tests/integration/test_dunning.py."""

import datetime
from collections import Counter

import pytest

from collections_app.models import DunningReminder, ReminderState
from collections_app.services import dunning
from collections_app.services.dunning import dunning_run
from tests.integration.conftest import wait_until
from tests.integration.test_dunning import NOW, debts, keys_sent, sms_file  # noqa: F401 (a fixture)

from .conftest import ledger_reconciles, terminate_other_backends

pytestmark = pytest.mark.integration
REMINDERS = 40


def pending() -> int:
    return DunningReminder.objects.filter(state=ReminderState.PENDING).count()


def test_postgres_connections_cut_mid_run_then_the_rerun_sends_nothing_twice(
    postgres,
    sms_file,  # noqa: F811 (the fixture imported above)
    celery_worker_process,
):
    debts(REMINDERS)
    assert dunning_run(now=NOW).selected == REMINDERS
    wait_until(lambda: sum(keys_sent(sms_file).values()) >= 6, what="some texts to go out")
    assert sum(keys_sent(sms_file).values()) < REMINDERS, "the run ended before the cut: add debts"
    assert terminate_other_backends() >= 1

    # The sending task fails on its next query and is retried; the rerun picks nothing new.
    wait_until(lambda: pending() == 0, timeout=180, what="the retried task to send the rest")
    assert dunning_run(now=NOW).selected == 0
    # A text whose outcome the cut connection never recorded stays claimed; later the dispatcher
    # marks it failed (outcome unknown) rather than send it again.
    dunning.dunning_dispatch(now=NOW + dunning.STALE_AFTER + datetime.timedelta(minutes=1))

    sent = keys_sent(sms_file)
    assert max(sent.values()) == 1, [key for key, n in sent.items() if n > 1]
    states = Counter(DunningReminder.objects.values_list("state", flat=True))
    assert states[ReminderState.SENT] + states[ReminderState.FAILED] == REMINDERS, states
    for reminder in DunningReminder.objects.filter(state=ReminderState.SENT):
        assert sent[reminder.idempotency_key] == 1
    assert "every cache equals the ledger" in ledger_reconciles()
