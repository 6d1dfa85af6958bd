"""Celery task of the accounts app: nightly forgetting of old idempotency keys."""

from celery import shared_task
from django.db import OperationalError


@shared_task(name="accounts.tasks.idempotency_purge", autoretry_for=(OperationalError,), max_retries=3)
def idempotency_purge() -> int:
    from .services import idempotency_records_purge

    return idempotency_records_purge()
