"""Who works which account: single and bulk reassignment, always keeping the history."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from compliance.audit import audit_record

from ..errors import DomainError
from ..models import Account, Assignment, AssignmentReason


def _check_collector(collector: User | None) -> None:
    if collector is not None and (collector.role != Role.COLLECTOR or not collector.is_active):
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
    now = timezone.now()
    Assignment.objects.filter(account_id__in=ids, ended_at__isnull=True).update(ended_at=now)
    moved = 0
    for index, collector in enumerate(collectors):
        share = ids[index :: len(collectors)]
        Account.objects.filter(id__in=share).update(assigned_to=collector, changed_at=now)
        Assignment.objects.bulk_create(
            Assignment(
                account_id=account_id, collector=collector, started_at=now, reason=reason, assigned_by=assigned_by
            )
            for account_id in share
        )
        moved += len(share)
    audit_record(
        action="account.assign_bulk",
        actor=assigned_by,
        detail=f"{moved} accounts",
        after={"collectors": [c.username for c in collectors], "accounts": moved},
    )
    return moved
