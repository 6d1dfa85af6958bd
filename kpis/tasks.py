"""Celery task of the KPIs: the nightly rollup, a thin idempotent wrapper over the rollup service."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(name="kpis.tasks.rollup_nightly", autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rollup_nightly(day: str | None = None) -> dict:
    """Roll up a date (default yesterday). Running it twice replaces the date's figures with equal ones."""
    from .services import rollup_day

    on = datetime.date.fromisoformat(day) if day else timezone.localdate() - datetime.timedelta(days=1)
    run = rollup_day(day=on)
    return {"date": run.date.isoformat(), "kind": run.kind, "accounts": run.accounts_recomputed, "seconds": run.seconds}
