"""Dunning's shared names: which accounts may be reminded, batch sizes, reason codes in words."""

from __future__ import annotations

import datetime
import logging
from contextlib import contextmanager

from django.db import connection, transaction

from compliance.gate import REASON_LABELS as GATE_REASON_LABELS

from ...models import (
    AccountStatus,
)

logger = logging.getLogger(__name__)

# Accounts that may still be reminded. Paid, settled, closed, written off and recalled ones may not.
COLLECTABLE = (AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT, AccountStatus.DISPUTED, AccountStatus.HELD)
CLAIM_BATCH = 100  # reminders claimed per transaction: at most this many are in doubt if a worker dies
CHUNK_SIZE = 500  # reminder ids per Celery task
JUDGE_BATCH = 1000
MAX_ATTEMPTS = 5
STALE_AFTER = datetime.timedelta(minutes=30)  # > CELERY_TASK_TIME_LIMIT: a live worker is never swept
PAUSES = {
    "promise": ("paused_promise", "A promise to pay is pending."),
    "arrangement": ("paused_arrangement", "A payment arrangement is active."),
    "dispute": ("paused_dispute", "A dispute is open."),
    "hold": ("paused_hold", "A hold is in force."),
}
REASON_LABELS = {
    "paused_promise": "Paused: promise pending",
    "paused_arrangement": "Paused: arrangement active",
    "paused_dispute": "Paused: dispute open",
    "paused_hold": "Paused: hold in force",
    "stopped_payment": "Stopped: payment received",
    "payment_received": "Cancelled: payment after selection",
    "cycle_ended": "Cancelled: oldest invoice paid",
    "below_minimum": "Cancelled: balance below the stage minimum",
    "account_closed": "Cancelled: account no longer collectable",
    "policy_inactive": "Cancelled: policy or stage switched off",
    "no_postal_address": "No postal address",
    "no_template": "No template for the stage",
    "time_barred_template_missing": "No time-barred template",
    "outcome_unknown": "Worker stopped mid-send: outcome unknown",
}


def reason_label(code: str) -> str:
    """A reason code in words: the gate's own labels, then dunning's."""
    return GATE_REASON_LABELS.get(code) or REASON_LABELS.get(code) or code.replace("_", " ").capitalize()


@contextmanager
def planned_for_every_row():
    """A transaction whose server-side cursors are planned for reading every row.

    PostgreSQL plans a cursor for its first 10% of rows (cursor_tuple_fraction). The preview reads
    each stage's candidates through one; planned for a fast start, the stage query ran its "already
    chosen?" anti-join as a nested loop over the whole reminder table (minutes at 100,000 accounts
    instead of seconds). We read every row, so say so.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield
