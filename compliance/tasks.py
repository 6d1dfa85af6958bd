"""Celery task of compliance: the nightly audit retention purge, idempotent (a rerun finds nothing)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(name="compliance.tasks.audit_retention_nightly", autoretry_for=(OperationalError,), max_retries=3)
def audit_retention_nightly() -> int:
    from .services import audit_retention_purge

    return audit_retention_purge(dry_run=False)
