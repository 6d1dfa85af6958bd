"""API token authentication: `Authorization: Token <key>` or `Authorization: Bearer <key>`."""

import copy
import datetime
import hashlib
import secrets

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ROLE_RANK, ApiToken, Role

KEY_PREFIX = "cms_"
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def key_generate() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def effective_role(owner, token_role: str) -> str:
    """The lower of the token's role and its owner's (a superuser owner counts as an admin)."""
    owner_role = Role.ADMIN if owner.is_superuser else owner.role
    return min((token_role, owner_role), key=lambda role: ROLE_RANK.get(role, -1))


def acting_user(owner, token_role: str):
    """The owner as the API sees them through this token: never above the token's role.

    A copy in memory with the lowered role, so every selector's scoping (accounts_visible_to and
    the like) applies the token's role; the copy is never saved.
    """
    role = effective_role(owner, token_role)
    if role == owner.role and not (owner.is_superuser and role != Role.ADMIN):
        return owner
    user = copy.copy(owner)
    user.role = role
    user.is_superuser = owner.is_superuser and role == Role.ADMIN
    return user


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <key>'.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = (
            ApiToken.objects.select_related("owner")
            .filter(key_hash=key_hash(key), revoked_at__isnull=True, owner__is_active=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return acting_user(token.owner, token.role), token

    def authenticate_header(self, request):
        # Makes unauthenticated requests 401 (with this challenge), not 403.
        return 'Token realm="api"'
