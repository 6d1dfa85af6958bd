"""Assignments: who holds an account, with a history row per holding."""

import pytest

from accounts.models import Role
from collections_app.errors import DomainError
from collections_app.models import Account, Assignment, AssignmentReason
from collections_app.services.assignments import (
    account_assign,
    accounts_assign_bulk,
    assignments_replace,
    may_hold_accounts,
)
from compliance.models import AuditEvent

from .factories import AccountFactory

pytestmark = pytest.mark.django_db


def open_rows(account):
    return list(Assignment.objects.filter(account=account, ended_at__isnull=True))


def test_assign_opens_a_history_row(collector, admin_user):
    account = AccountFactory()
    account_assign(account=account, collector=collector, assigned_by=admin_user, note="new placement")
    account.refresh_from_db()
    assert account.assigned_to == collector
    (row,) = Assignment.objects.filter(account=account)
    assert (row.collector, row.ended_at, row.reason, row.assigned_by, row.note) == (
        collector,
        None,
        AssignmentReason.MANUAL,
        admin_user,
        "new placement",
    )
    assert AuditEvent.objects.filter(action="account.assign", object_id=str(account.pk)).count() == 1


def test_reassign_closes_the_previous_row(collector, other_collector):
    account = AccountFactory()
    account_assign(account=account, collector=collector)
    account_assign(account=account, collector=other_collector, reason=AssignmentReason.RULE)
    rows = list(Assignment.objects.filter(account=account).order_by("id"))
    assert [(r.collector, r.ended_at is None) for r in rows] == [(collector, False), (other_collector, True)]
    assert rows[0].ended_at == rows[1].started_at
    assert rows[1].reason == AssignmentReason.RULE
    account.refresh_from_db()
    assert account.assigned_to == other_collector


def test_assigning_the_same_collector_again_changes_nothing(collector):
    account = AccountFactory()
    account_assign(account=account, collector=collector)
    account_assign(account=account, collector=collector)
    assert Assignment.objects.filter(account=account).count() == 1


def test_unassign_closes_without_opening(collector):
    account = AccountFactory()
    account_assign(account=account, collector=collector)
    account_assign(account=account, collector=None)
    account.refresh_from_db()
    assert account.assigned_to is None
    assert open_rows(account) == []
    assert Assignment.objects.filter(account=account).count() == 1


def test_non_collector_refused(manager, admin_user, make_user, collector):
    account = AccountFactory()
    account_assign(account=account, collector=collector)
    inactive = make_user(Role.COLLECTOR, username="gone")
    inactive.is_active = False
    inactive.save()
    for user in (manager, admin_user, inactive):
        with pytest.raises(DomainError) as exc:
            account_assign(account=account, collector=user)
        assert exc.value.code == "not_a_collector"
        with pytest.raises(DomainError) as exc:
            accounts_assign_bulk(accounts=Account.objects.all(), collectors=[collector, user])
        assert exc.value.code == "not_a_collector"
    account.refresh_from_db()
    assert account.assigned_to == collector
    assert Assignment.objects.filter(account=account).count() == 1


def test_bulk_round_robin(collector, other_collector, make_user, admin_user):
    third = make_user(Role.COLLECTOR, username="collector_c")
    accounts = [AccountFactory() for _ in range(10)]
    account_assign(account=accounts[0], collector=third)
    moved = accounts_assign_bulk(
        accounts=Account.objects.filter(pk__in=[a.pk for a in accounts]),
        collectors=[collector, other_collector, third],
        assigned_by=admin_user,
    )
    assert moved == 10
    ordered = sorted(accounts, key=lambda a: a.pk)
    holders = list(
        Account.objects.filter(pk__in=[a.pk for a in ordered]).order_by("pk").values_list("assigned_to", flat=True)
    )
    assert holders == [[collector.pk, other_collector.pk, third.pk][i % 3] for i in range(10)]
    counts = {c.pk: Account.objects.filter(assigned_to=c).count() for c in (collector, other_collector, third)}
    assert counts == {collector.pk: 4, other_collector.pk: 3, third.pk: 3}
    # One open row per account, for its new holder; the earlier holding is closed.
    for account in ordered:
        (row,) = open_rows(account)
        assert row.collector_id == Account.objects.get(pk=account.pk).assigned_to_id
        assert row.reason == AssignmentReason.BULK and row.assigned_by == admin_user
    assert Assignment.objects.filter(account=accounts[0]).count() == 2
    assert Assignment.objects.filter(ended_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="account.assign_bulk").count() == 1


def test_bulk_with_nothing_to_move(collector):
    assert accounts_assign_bulk(accounts=Account.objects.none(), collectors=[collector]) == 0
    with pytest.raises(DomainError) as exc:
        accounts_assign_bulk(accounts=Account.objects.all(), collectors=[])
    assert exc.value.code == "no_collector"


def test_assignments_replace_moves_accounts_and_keeps_the_history(collector, other_collector, admin_user):
    first, second, third = AccountFactory(), AccountFactory(), AccountFactory()
    account_assign(account=first, collector=collector)
    account_assign(account=third, collector=collector)

    moved = assignments_replace(
        moves=[(first.pk, other_collector.pk), (second.pk, collector.pk), (third.pk, None)],
        reason=AssignmentReason.IMPORT,
        assigned_by=admin_user,
    )

    assert moved == 3
    holders = dict(Account.objects.values_list("pk", "assigned_to"))
    assert holders == {first.pk: other_collector.pk, second.pk: collector.pk, third.pk: None}
    (row,) = open_rows(first)
    assert (row.collector, row.reason, row.assigned_by) == (other_collector, AssignmentReason.IMPORT, admin_user)
    assert Assignment.objects.filter(account=first, ended_at__isnull=False).get().collector == collector
    assert open_rows(third) == []
    assert open_rows(second)[0].assigned_by == admin_user


def test_only_active_collectors_may_hold_accounts(collector, manager, make_user):
    assert may_hold_accounts(collector)
    assert not may_hold_accounts(manager)
    former = make_user(Role.COLLECTOR)
    former.is_active = False
    assert not may_hold_accounts(former)
