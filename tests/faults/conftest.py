"""Faults: Redis away, PostgreSQL connections cut, workers killed, people racing each other."""

import pytest
from django.db import connection

from tests.conftest import require
from tests.integration.conftest import celery_worker_process  # noqa: F401 (shared with the fault tests)

# A port where nothing listens: the broker (and cache) as a page sees them when Redis is down.
REDIS_DOWN = "redis://127.0.0.1:6390/0"


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")


def point_celery_at(url: str) -> None:
    """Re-point the Celery app's broker, dropping its pooled connections to the old one."""
    from config.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Redis unreachable for broker, cache and health check; tasks really published (not eager)."""
    from config import health
    from config.celery import app

    require(bool(settings.REDIS_URL), "Redis configured at REDIS_URL (the embedded mode has no broker to lose)")
    real = app.conf.broker_url
    settings.REDIS_URL = REDIS_DOWN
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_DOWN}}
    monkeypatch.setattr(health, "_last", {"at": float("-inf"), "reachable": None})
    app.conf.task_always_eager = False
    point_celery_at(REDIS_DOWN)
    yield real
    point_celery_at(real)


def terminate_other_backends() -> int:
    """PostgreSQL "restarted" for everyone but the test runner: every other backend of this database
    (the workers' connections) is cut, as a restart cuts them. Restarting the cluster itself would
    also kill the runner's own connection (and its test database setup); this is the honest
    equivalent from the workers' side."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def ledger_reconciles() -> str:
    """reconcile_ledger's verdict (it exits 1 on any cache that differs from the ledger)."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    return out.getvalue()
