"""Dunning selection: the accounts due for each stage of each policy tonight, one query per stage."""

from __future__ import annotations

import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from compliance.models import Hold

from ...models import (
    Account,
    Arrangement,
    Dispute,
    DunningChannel,
    DunningPolicy,
    DunningReminder,
    DunningRun,
    DunningStage,
    EntryKind,
    LedgerEntry,
    PlanStatus,
    Promise,
    PromiseStatus,
    ReminderState,
    TriggerKind,
)
from ...models.dunning import FINAL_STATES
from .common import (
    COLLECTABLE,
    PAUSES,
)


def policies_active() -> list[DunningPolicy]:
    return list(
        DunningPolicy.objects.filter(active=True)
        .prefetch_related("stages__template")
        .select_related("creditor")
        .order_by("priority", "name", "pk")
    )


def _stages(policy: DunningPolicy) -> list[DunningStage]:
    return [stage for stage in sorted(policy.stages.all(), key=lambda s: s.position) if stage.active]


def _criteria(policy: DunningPolicy) -> Q | None:
    """The accounts a policy's criteria pick, as column predicates; None when it picks every account."""
    condition = Q()
    if policy.creditor_id:
        condition &= Q(creditor_id=policy.creditor_id)
    if policy.segment:
        condition &= Q(segment=policy.segment)
    if policy.currency:
        condition &= Q(currency=policy.currency.upper())
    if policy.min_balance is not None:
        condition &= Q(balance__gte=policy.min_balance)
    if policy.max_balance is not None:
        condition &= Q(balance__lt=policy.max_balance)
    return condition or None


def policy_of_account(policy: DunningPolicy) -> Q:
    """Accounts whose policy is `policy`: they meet its criteria and those of no active policy before it.

    Plain column predicates rather than a CASE naming each account's policy: PostgreSQL estimates
    these, where it guesses a CASE compared to a constant at 0.5% and planned the stage queries for
    one account (nested loops over whole tables where there were thousands).
    """
    condition = _criteria(policy) or Q()
    for earlier in DunningPolicy.objects.filter(active=True).order_by("priority", "name", "pk"):
        if earlier.pk == policy.pk:
            break
        claimed = _criteria(earlier)
        if claimed is None:
            return Q(pk__in=[])
        condition &= ~claimed
    return condition


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))


def _hold_channels(channel: str) -> list[str]:
    return ["", channel] if channel != DunningChannel.TASK else [""]


def _pause_annotations(*, channel: str, at: datetime.datetime) -> dict:
    holds = Hold.objects.active(at).filter(channel__in=_hold_channels(channel))
    return {
        "_p_promise": Exists(Promise.objects.filter(account=OuterRef("pk"), status=PromiseStatus.PENDING)),
        "_p_arrangement": Exists(Arrangement.objects.filter(account=OuterRef("pk"), status=PlanStatus.ACTIVE)),
        "_p_dispute": Exists(Dispute.objects.filter(account=OuterRef("pk"), resolved_at__isnull=True)),
        # Two EXISTS rather than one with OR: each can use its own index.
        "_p_hold_account": Exists(holds.filter(account_id=OuterRef("pk"))),
        "_p_hold_debtor": Exists(holds.filter(debtor_id=OuterRef("debtor_id"))),
    }


def _paused_by(row, policy: DunningPolicy) -> str | None:
    """The pause or stop code that keeps this (annotated) account back, or None."""
    if getattr(row, "_stopped", False):
        return "stopped_payment"
    for name in policy.pauses():
        flag = (row._p_hold_account or row._p_hold_debtor) if name == "hold" else getattr(row, f"_p_{name}")
        if flag:
            return PAUSES[name][0]
    return None


def _paused_q(policy: DunningPolicy) -> Q:
    q = Q(pk__in=[])
    if policy.stop_on_payment:
        q |= Q(_stopped=True)
    for name in policy.pauses():
        q |= Q(_p_hold_account=True) | Q(_p_hold_debtor=True) if name == "hold" else Q(**{f"_p_{name}": True})
    return q


def stage_candidates(
    *, policy: DunningPolicy, stage: DunningStage, stages: list[DunningStage], day: datetime.date, at: datetime.datetime
):
    """Accounts due for `stage` on `day`, annotated with what would pause or stop them. One query."""
    accounts = Account.objects.filter(
        status__in=COLLECTABLE, oldest_open_due_on__isnull=False, balance__gt=0, balance__gte=stage.min_balance
    ).filter(policy_of_account(policy))
    index = stages.index(stage)
    if stage.trigger_kind == TriggerKind.DUE_OFFSET:
        accounts = accounts.filter(oldest_open_due_on__lte=day - datetime.timedelta(days=stage.trigger_days))
        later = next((s for s in stages[index + 1 :] if s.trigger_kind == TriggerKind.DUE_OFFSET), None)
        if later is not None:
            accounts = accounts.filter(oldest_open_due_on__gt=day - datetime.timedelta(days=later.trigger_days))
    else:
        if index == 0:
            return accounts.none()
        settled_before = _day_start(day - datetime.timedelta(days=stage.trigger_days - 1))
        accounts = accounts.filter(
            Exists(
                DunningReminder.objects.filter(
                    account=OuterRef("pk"),
                    cycle=OuterRef("oldest_open_due_on"),
                    stage=stages[index - 1],
                    state__in=FINAL_STATES,
                    done_at__lt=settled_before,
                )
            )
        )
    # This stage or a later one already chosen in this cycle: nothing to do.
    accounts = accounts.exclude(
        Exists(
            DunningReminder.objects.filter(
                account=OuterRef("pk"),
                cycle=OuterRef("oldest_open_due_on"),
                stage_id__in=[s.pk for s in policy.stages.all() if s.position >= stage.position],
            )
        )
    )
    accounts = accounts.annotate(**_pause_annotations(channel=stage.channel, at=at))
    if policy.stop_on_payment:
        first_sent = DunningReminder.objects.filter(
            account=OuterRef("pk"), cycle=OuterRef("oldest_open_due_on"), policy=policy, state=ReminderState.SENT
        ).order_by("planned_on")
        accounts = accounts.annotate(_cycle_began=Subquery(first_sent.values("planned_on")[:1])).annotate(
            _stopped=Exists(
                LedgerEntry.objects.filter(
                    account=OuterRef("pk"),
                    kind=EntryKind.PAYMENT,
                    reversed_by__isnull=True,
                    posted_on__gte=OuterRef("_cycle_began"),
                )
            )
        )
    return accounts.order_by()


def _plan(day: datetime.date, at: datetime.datetime):
    """(policy, stage, queryset) for every active stage, latest stage of each policy first."""
    for policy in policies_active():
        stages = _stages(policy)
        for stage in reversed(stages):
            yield policy, stage, stage_candidates(policy=policy, stage=stage, stages=stages, day=day, at=at)


def _insert_chosen(rows, *, run: DunningRun, stage: DunningStage, policy: DunningPolicy, day: datetime.date) -> None:
    """Insert the chosen (account, cycle) rows as pending reminders, in the database; existing keys stay.

    No row travels to Python and back: the choice goes into a temporary table, then into reminders.
    """
    try:
        select_sql, select_params = rows.query.sql_with_params()
    except EmptyResultSet:  # an earlier policy takes every account: nothing can be chosen here
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(timezone.now())
    columns = {
        "account_id": None,
        "cycle": None,
        "stage_id": stage.pk,
        "policy_id": policy.pk,
        "run_id": run.pk,
        "channel": stage.channel,
        "state": ReminderState.PENDING,
        "planned_on": ops.adapt_datefield_value(day),
        "attempts": 0,
        "to": "",
        "subject": "",
        "body": "",
        "reasons": "[]",
        "note": "",
        "provider_id": "",
        "created_at": stamp,
        "updated_at": stamp,
    }
    constants = {name: value for name, value in columns.items() if name not in ("account_id", "cycle")}
    table = ops.quote_name(DunningReminder._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(constants))
    # Chosen first, inserted second: a statement reading the table it fills walks its own new rows
    # whenever the planner picks a scan (it does on the first night, on an empty table's statistics),
    # once per account: 22 of 25 s at 100,000 accounts. WHERE true: without it SQLite would read
    # ON CONFLICT as a join constraint.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE dunning_chosen AS {select_sql}", select_params)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT chosen_account, chosen_cycle, {placeholders} "  # noqa: S608 - names from the model, values are parameters
            "FROM dunning_chosen WHERE true ON CONFLICT DO NOTHING",
            list(constants.values()),
        )
        cursor.execute("DROP TABLE dunning_chosen")


def dunning_select(*, run: DunningRun, day: datetime.date, at: datetime.datetime) -> int:
    """Insert the night's reminders (pending); existing keys are left alone. Returns rows now in the run.

    After each stage the run records a heartbeat and how many stages it has done: a run whose
    worker died is told from a long one by its silence (runs_fail_lost), and its page says how far it got.
    """
    plan = list(_plan(day, at))
    for done, (policy, stage, candidates) in enumerate(plan, start=1):
        rows = candidates.exclude(_paused_q(policy)).values(
            chosen_account=F("pk"), chosen_cycle=F("oldest_open_due_on")
        )
        _insert_chosen(rows, run=run, stage=stage, policy=policy, day=day)
        if connection.vendor == "postgresql":
            # Thousands of fresh rows: give the planner their statistics before the next stage's query
            # ("already chosen?") and the senders read them. Planned on an empty table's statistics,
            # the next stage scanned every fresh row once per account (minutes at 100,000 accounts).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {DunningReminder._meta.db_table}")
        DunningRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now(), summary={"stages_done": done, "stages": len(plan)}
        )
    return DunningReminder.objects.filter(run=run).count()
