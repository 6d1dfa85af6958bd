"""Writes for API tokens: created and revoked by admins (pages, Django admin, API), each audited."""

import re

from django.db import transaction
from django.utils import timezone

from collections_app.errors import DomainError
from compliance.audit import audit_record

from ..authentication import key_generate, key_hash
from ..models import ROLE_RANK, ApiToken, Role, User

RATE_PATTERN = re.compile(r"^[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)$")


def rate_limit_validate(rate: str) -> str:
    """'600/min', '10000/day': what DRF's throttles read. Empty means the site default."""
    rate = (rate or "").strip()
    if rate and not RATE_PATTERN.match(rate):
        raise DomainError(
            "Write the rate limit as a number of requests per second, minute, hour or day, like 600/min.",
            code="invalid_rate_limit",
            field="rate_limit",
        )
    return rate


def _may_administer(user) -> bool:
    return bool(user and (user.is_superuser or user.role == Role.ADMIN))


@transaction.atomic
def api_token_create(*, name: str, owner: User, role: str, created_by, rate_limit: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns it with its key, which is shown this once and never stored."""
    if not _may_administer(created_by):
        raise DomainError("Only an admin creates API tokens.", code="permission_denied")
    name = (name or "").strip()
    if not name:
        raise DomainError("Name the system that will use the token.", code="required", field="name")
    if role not in Role.values:
        raise DomainError("The role must be collector, manager or admin.", code="invalid_role", field="role")
    if not owner.is_active:
        raise DomainError(f"{owner.username} is not an active user.", code="inactive_owner", field="owner")
    owner_role = Role.ADMIN if owner.is_superuser else owner.role
    if ROLE_RANK[role] > ROLE_RANK[owner_role]:
        raise DomainError(
            f"A token cannot have more access than its owner ({owner.username} is a {owner_role}).",
            code="role_above_owner",
            field="role",
        )
    key = key_generate()
    token = ApiToken(
        name=name[:100],
        key_hash=key_hash(key),
        prefix=key[:12],
        role=role,
        owner=owner,
        rate_limit=rate_limit_validate(rate_limit),
        created_by=created_by,
    )
    token.full_clean()
    token.save()
    audit_record(
        action="api_token.created",
        actor=created_by,
        obj=token,
        after={"name": token.name, "owner": owner.username, "role": role, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by) -> ApiToken:
    if not _may_administer(revoked_by):
        raise DomainError("Only an admin revokes API tokens.", code="permission_denied")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise DomainError("This token is already revoked.", code="token_revoked")
    token.revoked_at = timezone.now()
    token.revoked_by = revoked_by
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="api_token.revoked",
        actor=revoked_by,
        obj=token,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at, "name": token.name, "prefix": token.prefix},
    )
    return token
