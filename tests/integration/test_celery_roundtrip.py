"""One real round trip through Redis and a worker process."""

import pytest

from config.celery import ping

pytestmark = pytest.mark.integration


def test_a_task_travels_through_redis_to_a_worker_and_back(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
