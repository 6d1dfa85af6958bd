"""Idempotency-Key answers are forgotten after a week by the nightly job, not before."""

import datetime

from django.utils import timezone

from accounts.models import IdempotencyRecord
from accounts.services import IDEMPOTENCY_KEEP_DAYS
from accounts.tasks import idempotency_purge


def _record(user, key, age_days):
    record = IdempotencyRecord.objects.create(user=user, key=key, method="POST", path="/api/payments/", body_hash="0")
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - datetime.timedelta(days=age_days))


def test_week_old_keys_are_forgotten_and_newer_ones_kept(collector):
    _record(collector, "old", IDEMPOTENCY_KEEP_DAYS + 1)
    _record(collector, "recent", IDEMPOTENCY_KEEP_DAYS - 1)
    assert idempotency_purge.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
