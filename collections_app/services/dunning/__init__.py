"""Dunning: choosing a night's reminders with set-based queries, and sending each one exactly once.

The run (dunning_run) selects, per policy and stage, every account whose trigger has come and
inserts one DunningReminder per (account, stage, cycle): the unique key makes a repeated or
crashed run insert nothing twice. Sending (reminders_send, in chunked Celery tasks that many
workers share) claims rows in small batches under `SELECT ... FOR UPDATE SKIP LOCKED`, re-reads the
account under its row lock (a payment, promise, dispute or hold since selection cancels), asks the
contact gate for the batch (outside hours: rescheduled to the debtor's next allowed moment; an
opt-out, a hold, no consent: skipped with the reasons recorded), marks the allowed ones
"sending" and commits, and only then hands each message to its provider.

Crash between the provider's send and the commit that marks the reminder sent: the row stays
"sending". It is never claimed again; after STALE_AFTER (longer than any task may run) the
dispatcher marks it failed with reason "outcome_unknown", on the timeline and in the audit log,
for a person to check the provider's log by the reminder's key. We choose at most once: a
duplicate demand for money is the harm the issue names, and a missing reminder is visible and
recoverable. Providers that deduplicate get the key (email Message-ID, SMS `key`).

Stage windows: a stage timed from the oldest due date is due while the days past due are at least
its days and below the next such stage's, so an account that enters late receives the stage that
fits its age, not the whole sequence at once; a stage timed from the previous one is due that many
days after the previous stage's reminder was settled. One stage per account per night, the latest.
"""

from .common import (
    CHUNK_SIZE,
    CLAIM_BATCH,
    COLLECTABLE,
    JUDGE_BATCH,
    MAX_ATTEMPTS,
    PAUSES,
    REASON_LABELS,
    STALE_AFTER,
    reason_label,
)
from .config import (
    DEFAULT_TEMPLATES,
    dunning_config_delete,
    dunning_config_save,
    dunning_defaults_ensure,
    letters_batch,
    stage_order_problems,
    stage_preview,
)
from .judging import TemplateChooser, Verdict, judge
from .runs import (
    LOST_PREVIEW_MESSAGE,
    dunning_preview,
    dunning_preview_build,
    dunning_preview_start,
    dunning_run,
    nightly_moment,
    run_progress,
    runs_fail_lost,
)
from .selection import dunning_select, policies_active, policy_of_account, stage_candidates
from .sending import Outgoing, dunning_dispatch, reminders_send, reminders_sweep_stale

__all__ = [
    "CHUNK_SIZE",
    "CLAIM_BATCH",
    "COLLECTABLE",
    "DEFAULT_TEMPLATES",
    "JUDGE_BATCH",
    "LOST_PREVIEW_MESSAGE",
    "MAX_ATTEMPTS",
    "Outgoing",
    "PAUSES",
    "REASON_LABELS",
    "STALE_AFTER",
    "TemplateChooser",
    "Verdict",
    "dunning_config_delete",
    "dunning_config_save",
    "dunning_defaults_ensure",
    "dunning_dispatch",
    "dunning_preview",
    "dunning_preview_build",
    "dunning_preview_start",
    "dunning_run",
    "dunning_select",
    "judge",
    "letters_batch",
    "nightly_moment",
    "policies_active",
    "policy_of_account",
    "reason_label",
    "reminders_send",
    "reminders_sweep_stale",
    "run_progress",
    "runs_fail_lost",
    "stage_candidates",
    "stage_order_problems",
    "stage_preview",
]
