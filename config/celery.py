"""The one Celery app; configured from Django settings (CELERY_* names)."""

import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("collections")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@app.task(name="config.ping")
def ping():
    """A no-op round trip, used by health checks, tests and the broker benchmark."""
    return "pong"


def enqueue(task, *args) -> bool:
    """Hand a task to the broker; False (and a warning) when the broker is unreachable, never an error.

    Work started from a page is recorded in the database before it is enqueued, so a lost message
    is not lost work: the periodic sweep (collections_app.tasks.requeue_stale) or the dunning
    dispatcher sends it again once Redis is back. Results are not stored (the rows hold the outcome),
    which also keeps the publish away from the result backend and its long reconnect loop.
    """
    try:
        task.apply_async(args, ignore_result=True)
    except BrokerError as exc:  # kombu's wrapper for every connection failure
        logger.warning("Broker unreachable, %s%r left for the sweep: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Enqueue once the current transaction commits, so a worker never looks for a row not saved yet."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args))
