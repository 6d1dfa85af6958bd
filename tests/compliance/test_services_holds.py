"""Releasing a hold: who may release which kind, held in the service for every caller."""

import pytest

from collections_app.errors import DomainError
from collections_app.services.activities import dispute_open, dispute_resolve
from compliance.models import AuditEvent, Hold, HoldReason
from compliance.services import hold_place, hold_release

from ..collections_app.workspace_data import make_debt

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(collector):
    return make_debt(collector, name="Hilda Holds")


def test_a_collector_may_not_release_a_legal_hold(account, collector):
    hold = hold_place(reason=HoldReason.BANKRUPTCY, debtor=account.debtor, user=collector)
    with pytest.raises(DomainError) as refused:
        hold_release(hold=hold, user=collector, note="Dismissed")
    assert refused.value.code == "hold_release_forbidden"
    assert refused.value.message == "A collector may not release a bankruptcy hold: ask a manager to release it."
    hold.refresh_from_db()
    assert hold.released_at is None and not AuditEvent.objects.filter(action="hold.released").exists()


def test_a_manager_releases_a_legal_hold_and_a_collector_an_ordinary_one(account, collector, manager):
    legal = hold_place(reason=HoldReason.ATTORNEY, debtor=account.debtor, user=collector)
    ordinary = hold_place(reason=HoldReason.OTHER, account=account, user=collector, note="Asked for a week")
    assert hold_release(hold=legal, user=manager).released_by == manager
    assert hold_release(hold=ordinary, user=collector).released_by == collector
    assert Hold.objects.filter(released_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="hold.released").count() == 2


def test_a_disputes_hold_ends_with_the_dispute_not_before(account, collector, manager):
    dispute = dispute_open(account=account, reason="Not my debt", user=collector)
    hold = Hold.objects.get(reason=HoldReason.DISPUTE)
    with pytest.raises(DomainError) as refused:
        hold_release(hold=hold, user=manager)
    assert refused.value.code == "hold_dispute_open"
    assert refused.value.message == "This hold lasts while the dispute is open: it ends when the dispute is resolved."
    dispute_resolve(dispute=dispute, outcome="verified", user=collector)
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == collector
