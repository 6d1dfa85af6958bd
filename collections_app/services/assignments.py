"""Who works which account: single and bulk reassignment, always keeping the history."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from compliance.audit import audit_record

from ..errors import DomainError
from ..models import Account, Assignment, AssignmentReason

# Ids per `__in` lookup, so no statement grows unbounded.
_IDS_PER_QUERY = 5000


def may_hold_accounts(user: User) -> bool:
    """Only an active collector is given accounts to work."""
    return user.role == Role.COLLECTOR and user.is_active


def _check_collector(collector: User | None) -> None:
    if collector is not None and not may_hold_accounts(collector):
        raise DomainError(
            f"{collector.username} is not an active collector.", code="not_a_collector", field="collector"
        )


@transaction.atomic
def account_assign(
    *, account: Account, collector: User | None, reason: str = AssignmentReason.MANUAL, assigned_by=None, note: str = ""
) -> Account:
    """Give an account to a collector (None: unassign). The previous holder's row is closed."""
    _check_collector(collector)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.assigned_to_id == (collector.pk if collector else None):
        return account
    now = timezone.now()
    before = account.assigned_to_id
    Assignment.objects.filter(account=account, ended_at__isnull=True).update(ended_at=now)
    if collector is not None:
        Assignment.objects.create(
            account=account, collector=collector, started_at=now, reason=reason, note=note, assigned_by=assigned_by
        )
    account.assigned_to = collector
    account.save(update_fields=["assigned_to", "changed_at"])
    audit_record(
        action="account.assign",
        actor=assigned_by,
        obj=account,
        before={"collector": before},
        after={"collector": collector.pk if collector else None},
        detail=reason,
    )
    return account


@transaction.atomic
def accounts_assign_bulk(
    *, accounts, collectors: list[User], assigned_by=None, reason: str = AssignmentReason.BULK
) -> int:
    """Spread a queryset of accounts round-robin over collectors, in a few set-based statements."""
    if not collectors:
        raise DomainError("Choose at least one collector.", code="no_collector", field="collectors")
    for collector in collectors:
        _check_collector(collector)
    ids = list(accounts.select_for_update().order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    moves = [(account_id, collectors[index % len(collectors)].pk) for index, account_id in enumerate(ids)]
    moved = assignments_replace(moves=moves, reason=reason, assigned_by=assigned_by)
    audit_record(
        action="account.assign_bulk",
        actor=assigned_by,
        detail=f"{moved} accounts",
        after={"collectors": [c.username for c in collectors], "accounts": moved},
    )
    return moved


def _batches(ids: list[int]):
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start : start + _IDS_PER_QUERY]


@transaction.atomic
def assignments_replace(*, moves: list[tuple[int, int | None]], reason: str, assigned_by=None, now=None) -> int:
    """Give each account of `moves` (account id, collector id or None) to its collector, keeping the
    history: the account's open assignment row is closed and a new one opened. Set-based: a few
    statements per collector, whatever the number of accounts.

    The caller has checked the collectors (may_hold_accounts) and locked the accounts it reads.
    """
    if not moves:
        return 0
    now = now or timezone.now()
    by_collector: dict[int | None, list[int]] = defaultdict(list)
    for account_id, collector_id in moves:
        by_collector[collector_id].append(account_id)
    for batch in _batches([account_id for account_id, _ in moves]):
        Assignment.objects.filter(account_id__in=batch, ended_at__isnull=True).update(ended_at=now)
    for collector_id, account_ids in by_collector.items():
        for batch in _batches(account_ids):
            Account.objects.filter(id__in=batch).update(assigned_to_id=collector_id, changed_at=now)
    Assignment.objects.bulk_create(
        (
            Assignment(
                account_id=account_id, collector_id=collector_id, started_at=now, reason=reason, assigned_by=assigned_by
            )
            for account_id, collector_id in moves
            if collector_id is not None
        ),
        batch_size=1000,
    )
    return len(moves)
