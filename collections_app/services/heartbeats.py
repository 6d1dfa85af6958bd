"""Telling work whose worker died from work that is merely long: both carry a heartbeat."""

import datetime

from django.db.models import Q, QuerySet


def silent_since(rows: QuerySet, cutoff: datetime.datetime) -> QuerySet:
    """The rows (with heartbeat_at and created_at) whose worker has shown no sign of life since
    `cutoff`: its last heartbeat is older, or it has none and was created before. Running work that
    is silent longer than any task may run has lost its worker (import jobs and dunning runs)."""
    return rows.filter(Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True, created_at__lte=cutoff))
