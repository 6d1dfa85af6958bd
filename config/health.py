"""Whether background work can run, cached briefly in each process: the admins' banner asks often."""

import time

from django.conf import settings

from accounts.models import Role

from .views import broker_reachable

# Pages ask on every request; Redis is pinged at most once per this many seconds per process.
CHECK_EVERY = 30.0
_last = {"at": float("-inf"), "reachable": None}


def broker_reachable_cached() -> bool | None:
    """broker_reachable() (None in the embedded mode), remembered for CHECK_EVERY seconds."""
    if not settings.REDIS_URL:
        return None
    now = time.monotonic()
    if now - _last["at"] >= CHECK_EVERY:
        _last["reachable"], _last["at"] = broker_reachable(), now
    return _last["reachable"]


def service_banner(request) -> dict:
    """Tells admins and managers that background work is paused; collectors' pages are not affected."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER)):
        return {}
    return {"background_paused": broker_reachable_cached() is False}
