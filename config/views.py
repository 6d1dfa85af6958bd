"""Operational endpoints: the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def broker_reachable() -> bool | None:
    """True or False when a Redis broker is configured; None in the embedded (in-process) mode."""
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def healthz(request):
    """200 when the database answers; the broker's state is reported, not required."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # any database failure is an unhealthy answer, not a crash
        return JsonResponse({"database": "unreachable", "error": str(exc)[:200]}, status=503)
    broker = broker_reachable()
    return JsonResponse(
        {
            "database": database,
            "broker": "embedded" if broker is None else ("ok" if broker else "unreachable"),
        }
    )
