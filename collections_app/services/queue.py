"""Writes of the work queue: the team's ordering strategy and callbacks the debtor asked for."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from compliance.audit import audit_record, snapshot

from ..errors import DomainError
from ..models import Account, QueueStrategy
from ..models.queue import WEIGHT_FIELDS

# A callback further ahead than this is a typo, not a plan.
CALLBACK_HORIZON_DAYS = 90


@transaction.atomic
def queue_strategy_save(*, team, weights: dict[str, int], user) -> QueueStrategy:
    """Set a team's queue weights (team None: the default). Managers only for their own teams."""
    if user.role not in (Role.MANAGER, Role.ADMIN) and not user.is_superuser:
        raise DomainError("Only managers and admins set queue strategies.", code="forbidden")
    if team is None and user.role != Role.ADMIN and not user.is_superuser:
        raise DomainError("Only an admin sets the default strategy.", code="forbidden")
    if team is not None and user.role == Role.MANAGER and not team.managers.filter(pk=user.pk).exists():
        raise DomainError("You can only set the strategy of a team you manage.", code="forbidden")
    strategy = QueueStrategy.objects.select_for_update().filter(team=team).first() or QueueStrategy(team=team)
    fields = [name for name, _, _ in WEIGHT_FIELDS]
    before = snapshot(strategy, fields) if strategy.pk else None
    for name in fields:
        if name in weights:
            setattr(strategy, name, weights[name])
    strategy.updated_by = user
    strategy.full_clean()
    strategy.save()
    audit_record(
        action="queue_strategy.save",
        actor=user,
        obj=strategy,
        before=before,
        after=snapshot(strategy, fields),
        detail=str(strategy),
    )
    return strategy


@transaction.atomic
def callback_schedule(
    *, account: Account, at: datetime.datetime | None, user, now: datetime.datetime | None = None
) -> Account:
    """Set (or with None, clear) when to call the debtor back; the queue raises the account then."""
    now = now or timezone.now()
    if at is not None:
        if timezone.is_naive(at):
            raise DomainError("Give the callback time with its time zone.", code="invalid_callback", field="at")
        if at <= now:
            raise DomainError("A callback must be in the future.", code="invalid_callback", field="at")
        if at > now + datetime.timedelta(days=CALLBACK_HORIZON_DAYS):
            raise DomainError(
                f"A callback must be within {CALLBACK_HORIZON_DAYS} days.", code="invalid_callback", field="at"
            )
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = account.callback_at
    account.callback_at = at
    account.save(update_fields=["callback_at", "changed_at"])
    audit_record(
        action="account.callback",
        actor=user,
        obj=account,
        account_id=account.pk,
        before={"callback_at": before},
        after={"callback_at": at},
    )
    return account
