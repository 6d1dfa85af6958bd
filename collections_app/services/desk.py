"""The manager's desk writes: moving accounts between collectors by filter, within the manager's reach."""

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Role, User
from compliance.audit import audit_record

from ..errors import DomainError
from ..models import Account
from ..selectors import accounts_visible_to
from .assignments import accounts_assign_bulk, may_hold_accounts


def reassign_targets_check(*, user, collectors: list[User]) -> None:
    """Accounts go only to active collectors, and a manager's only to collectors of a team they lead."""
    if not (user.is_superuser or user.role in (Role.MANAGER, Role.ADMIN)):
        raise DomainError("Only managers and admins move accounts between collectors.", code="forbidden")
    if not collectors:
        raise DomainError("Choose at least one collector to give the accounts to.", code="no_collector", field="to")
    is_admin = user.is_superuser or user.role == Role.ADMIN
    led = None if is_admin else set(user.led_teams.values_list("pk", flat=True))
    for collector in collectors:
        if not may_hold_accounts(collector):
            raise DomainError(f"{collector.display_name} is not an active collector.", code="not_a_collector")
        if led is not None and collector.team_id not in led:
            raise DomainError(
                f"{collector.display_name} is not in a team you manage.", code="forbidden_collector", field="to"
            )


@transaction.atomic
def accounts_reassign(
    *, user, accounts: QuerySet[Account], collectors: list[User], expected: int | None = None, criteria: str = ""
) -> int:
    """Deal the accounts out round-robin to `collectors`, keeping the assignment history. Audited.

    Only accounts the user may see move (a manager: their teams' and unassigned ones), and those
    already held by one of the collectors stay where they are. With `expected` (the count the user
    was shown), nothing moves when the set has changed since: the user looks again first.
    """
    reassign_targets_check(user=user, collectors=collectors)
    scoped = accounts_visible_to(user).filter(pk__in=accounts.values("pk")).exclude(assigned_to__in=collectors)
    locked = Account.objects.select_for_update().filter(pk__in=scoped.values("pk"))
    count = locked.count()
    if expected is not None and count != expected:
        raise DomainError(
            f"The accounts matching the filter have changed since the preview: {count} would move now, "
            f"not {expected}. Check the new preview and confirm again.",
            code="preview_changed",
        )
    if count == 0:
        raise DomainError("No accounts match: nothing to move.", code="nothing_to_move")
    moved = accounts_assign_bulk(accounts=locked, collectors=collectors, assigned_by=user)
    audit_record(
        action="account.reassign_by_filter",
        actor=user,
        detail=criteria[:500],
        after={"accounts": moved, "to": [c.username for c in collectors], "filter": criteria},
    )
    return moved
