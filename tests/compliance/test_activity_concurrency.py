"""Two collectors logging a call at once on PostgreSQL: the account row lock lets only one take the last slot."""

import threading

import pytest
from django.db import connection, connections

from collections_app.errors import DomainError
from collections_app.models import Activity
from collections_app.services.activities import activity_log
from tests.conftest import require

from .conftest import local

DEN = "America/Denver"
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_calls_at_once_for_the_last_slot_under_the_cap(denver_account):
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    for day in range(2, 8):  # six attempts, one slot left under the 7-in-7 cap
        activity_log(
            account=denver_account,
            channel="call",
            outcome="no_answer",
            to="+13035550100",
            at=local(DEN, 2026, 3, day, 10, 0),
        )
    at = local(DEN, 2026, 3, 8, 10, 0)
    barrier = threading.Barrier(2)
    logged, refused, errors = [], [], []

    def collector():
        try:
            barrier.wait(timeout=30)
            logged.append(
                activity_log(account=denver_account, channel="call", outcome="no_answer", to="+13035550100", at=at)
            )
        except DomainError as exc:
            refused.append(exc.code)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=collector) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a collector hung"
    assert errors == []
    assert (len(logged), refused) == (1, ["contact_refused"])
    calls = Activity.objects.filter(account=denver_account, occurred_at=at)
    assert sorted(calls.values_list("outcome", flat=True)) == ["held", "no_answer"]
    assert Activity.objects.filter(account=denver_account, is_attempt=True).count() == 7
    assert calls.get(outcome="held").gate_reasons == ["weekly_cap"]
