"""The work queue's reads: which accounts a collector works, in what order, and which one is next.

A selector module of its own (selectors.py holds the account reads). Ordering is one SQL expression
over the account row and two EXISTS on promises, so the database sorts a collector's thousands of
accounts by the team's strategy; the contact gate then judges only the few at the top, in a fixed
number of queries (`compliance.gate.contact_decisions`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from accounts.models import Role
from compliance.gate import Decision, contact_decisions, iter_contact_decisions
from compliance.gate.zones import US_ZONES, _in_window, _zone
from compliance.models import ContactPolicy, StateRule
from compliance.selectors import _local_midnight_utc, accounts_with_contactability, policy_current

from .models import Account, AccountStatus, Activity, Channel, Direction, Outcome, Promise, PromiseStatus
from .models.queue import QueueStrategy

# Statuses a collector works. Disputed and held accounts stay in view (the gate says why not now).
QUEUE_STATUSES = (AccountStatus.ACTIVE, AccountStatus.DISPUTED, AccountStatus.HELD)
# How many of the best-scored accounts "Next account" puts before the exact gate at once, and how
# many such rounds before it gives up (every number refused: no phone, opted out, a far zone).
NEXT_CANDIDATES = 25
NEXT_ROUNDS = 8
# How many of the best-scored rows the PostgreSQL ranking sorts before the gate's set rules judge them.
READY_WINDOW = 200
# Balance bands (upper bound exclusive) and their score: larger debts first, whatever the spread.
BALANCE_BANDS = ((100, 10), (250, 25), (500, 40), (1000, 55), (2500, 70), (5000, 80), (10000, 90))
BROKEN_PROMISE_DAYS = 30


def strategy_for(user) -> QueueStrategy:
    """The strategy of the user's team, else the default one, else the built-in defaults (unsaved)."""
    found = _raw(QueueStrategy, "team_id IS NULL OR team_id = %s", [user.team_id])
    strategies = {s.team_id: s for s in found}
    return strategies.get(user.team_id) or strategies.get(None) or QueueStrategy()


def _raw(model, where: str, params: list) -> list:
    """`model` rows by a plain statement: "next account" reads these on every call, and building the
    ORM's queryset cost more CPU than the read. Values come converted as the ORM's."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    statement = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {where}"  # noqa: S608 -- values are params
    return list(model.objects.raw(statement, params))


def local_day_start(now: datetime.datetime) -> datetime.datetime:
    """Midnight of the site's day containing `now`: collectors' days follow the office clock."""
    day = timezone.localtime(now).date()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))


def queue_accounts(*, user) -> QuerySet:
    """The accounts in a collector's queue: theirs, owing money, in a status a collector works."""
    return Account.objects.filter(assigned_to=user, status__in=QUEUE_STATUSES, balance__gt=0)


def _factors(today: datetime.date, now: datetime.datetime) -> dict:
    """Each factor of the strategy as a 0-100 SQL expression over the account row."""

    def days_ago(n: int) -> datetime.date:
        return today - datetime.timedelta(days=n)

    dpd = Case(
        When(oldest_open_due_on__isnull=True, then=Value(0)),
        When(oldest_open_due_on__gte=today, then=Value(0)),
        When(oldest_open_due_on__gte=days_ago(30), then=Value(20)),
        When(oldest_open_due_on__gte=days_ago(60), then=Value(40)),
        When(oldest_open_due_on__gte=days_ago(90), then=Value(60)),
        When(oldest_open_due_on__gte=days_ago(120), then=Value(80)),
        default=Value(100),
    )
    balance = Case(
        *(When(balance__lt=bound, then=Value(score)) for bound, score in BALANCE_BANDS),
        default=Value(100),
    )
    since = [(2, 0), (7, 25), (14, 50), (30, 75)]
    last_contact = Case(
        When(last_contact_at__isnull=True, then=Value(100)),
        *(When(last_contact_at__gt=now - datetime.timedelta(days=d), then=Value(score)) for d, score in since),
        default=Value(100),
    )
    promise_due = Exists(
        Promise.objects.filter(account_id=OuterRef("pk"), status=PromiseStatus.PENDING, due_on__lte=today)
    )
    broken = Exists(
        Promise.objects.filter(
            account_id=OuterRef("pk"), status=PromiseStatus.BROKEN, resolved_on__gte=days_ago(BROKEN_PROMISE_DAYS)
        )
    )
    return {
        "weight_days_past_due": dpd,
        "weight_balance": balance,
        "weight_promise_due": Case(When(promise_due, then=Value(100)), default=Value(0)),
        "weight_broken_promise": Case(When(broken, then=Value(100)), default=Value(0)),
        "weight_callback": Case(When(callback_at__lte=now, then=Value(100)), default=Value(0)),
        "weight_last_contact": last_contact,
        "weight_priority": Least(Greatest(F("priority_score"), Value(0)), Value(100)),
    }


def queue_scored(queryset: QuerySet, *, strategy: QueueStrategy, now: datetime.datetime | None = None) -> QuerySet:
    """Annotate `queue_score` (the weighted sum of the factors) and order best first."""
    now = now or timezone.now()
    factors = _factors(timezone.localtime(now).date(), now)
    weights = strategy.weights()
    terms = [factors[name] * Value(weights[name]) for name in factors if weights[name]]
    score = sum(terms[1:], terms[0]) if terms else Value(0)
    return queryset.annotate(queue_score=score).order_by("-queue_score", "-balance", "id")


def _waiting(today: datetime.date, now: datetime.datetime) -> Q:
    """Accounts not to call yet: a promise or plan date ahead, or a callback set for later."""
    return Q(next_action_on__gt=today) | Q(callback_at__gt=now)


def queue_ready(*, user, now: datetime.datetime | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """The collector's accounts that are due to be worked and that the gate's set rules allow now, best first."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    base = queue_accounts(user=user) if queryset is None else queryset
    base = base.exclude(_waiting(today, now)).filter(status=AccountStatus.ACTIVE)
    ready = accounts_with_contactability(base, at=now).filter(gate_blocked=False, gate_in_hours=True)
    return queue_scored(ready, strategy=strategy_for(user), now=now)


def queue_not_now(*, user, now: datetime.datetime | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """The collector's accounts that cannot be worked now (gate, hours, a date ahead), best first."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    base = queue_accounts(user=user) if queryset is None else queryset
    annotated = accounts_with_contactability(base, at=now)
    not_now = annotated.filter(
        _waiting(today, now) | ~Q(status=AccountStatus.ACTIVE) | Q(gate_blocked=True) | Q(gate_in_hours=False)
    )
    return queue_scored(not_now, strategy=strategy_for(user), now=now)


@dataclass(frozen=True)
class WhyNotNow:
    """What keeps an account out of the ready list, and when it may be called."""

    decision: Decision | None
    waiting_for: str  # "promise" / "callback" / "" when the gate alone holds it back
    until: datetime.datetime | datetime.date | None


def why_not_now(accounts: list[Account], *, now: datetime.datetime | None = None) -> dict[int, WhyNotNow]:
    """For a page of accounts held back: the gate's exact decision and the date or time they open."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    decisions = contact_decisions(accounts, channel=Channel.CALL, at=now)
    answers = {}
    for account in accounts:
        decision, _ = decisions[account.pk]
        if account.callback_at and account.callback_at > now:
            answers[account.pk] = WhyNotNow(decision, "callback", account.callback_at)
        elif account.next_action_on and account.next_action_on > today:
            answers[account.pk] = WhyNotNow(decision, "promise", account.next_action_on)
        else:
            until = decision.next_allowed_at if not decision.allowed else None
            answers[account.pk] = WhyNotNow(decision, "", until)
    return answers


def calls_today(*, user, now: datetime.datetime | None = None) -> int:
    """Outbound call attempts this user made today (refusals by the gate are not calls).

    A plain count: "next account" asks on every call.
    """
    now = now or timezone.now()
    moment = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM collections_app_activity WHERE user_id = %s AND channel = %s AND direction = %s"
            " AND occurred_at >= %s AND occurred_at <= %s AND outcome <> %s",
            [
                user.pk,
                Channel.CALL.value,
                Direction.OUTBOUND.value,
                moment(local_day_start(now)),
                moment(now),
                Outcome.HELD.value,
            ],
        )
        return cursor.fetchone()[0]


def progress_today(*, users, now: datetime.datetime | None = None) -> dict[int, dict]:
    """Per user: calls made, accounts worked and right-party contacts today, in one query."""
    now = now or timezone.now()
    rows = (
        Activity.objects.filter(user__in=users, occurred_at__gte=local_day_start(now), occurred_at__lte=now)
        .exclude(outcome=Outcome.HELD)
        .values("user")
        .annotate(
            calls=Count("id", filter=Q(channel=Channel.CALL, direction=Direction.OUTBOUND)),
            worked=Count("account", distinct=True),
            conversations=Count("id", filter=Q(is_conversation=True)),
        )
    )
    empty = {"calls": 0, "worked": 0, "conversations": 0}
    found = {row["user"]: row for row in rows}
    return {user.pk: {k: found.get(user.pk, empty)[k] for k in empty} for user in users}


@dataclass(frozen=True)
class _Known:
    """What a ranking reads once: the policy in force, the active state rules, the team's weights.

    "Next account" shares them between its rounds and hands the first two to the exact gate.
    """

    policy: ContactPolicy
    rules: list[StateRule]
    weights: dict[str, int]


@dataclass(frozen=True)
class NextAccount:
    account: Account | None
    contact_point: object = None
    reason: str = ""  # why there is none: "limit" (daily call limit), "empty", "not_collector"


def next_account(
    *, user, now: datetime.datetime | None = None, skip: tuple[int, ...] = (), queryset: QuerySet | None = None
) -> NextAccount:
    """The best account the collector may call now, with the number to call, or why there is none.

    The set-based filter removes what the gate refuses for the account as a whole; the exact gate
    then judges the top candidates on each of their numbers (time zones of the number, opt-outs,
    state limits per kind of number) and the first one it allows wins.
    """
    now = now or timezone.now()
    if user.role != Role.COLLECTOR:
        return NextAccount(None, reason="not_collector")
    if calls_today(user=user, now=now) >= user.daily_call_limit:
        return NextAccount(None, reason="limit")
    # Read once for every round: the ranking's set rules and the exact gate judge by the same rows.
    known = _known(user)
    for offset in range(0, NEXT_CANDIDATES * NEXT_ROUNDS, NEXT_CANDIDATES):
        candidates = _ready_candidates(
            user=user, now=now, queryset=queryset, skip=skip, offset=offset, limit=NEXT_CANDIDATES, known=known
        )
        if not candidates:
            break
        answers = iter_contact_decisions(
            candidates, channel=Channel.CALL, at=now, policy=known.policy, state_rules=known.rules
        )
        for account, decision, point in answers:
            if decision.allowed:
                return NextAccount(account, point)
    return NextAccount(None, reason="empty")


# ruff: noqa: S608 -- the fast path's SQL is fixed text and numbers; every value is a parameter.
# --- PostgreSQL fast path -----------------------------------------------------------------------
# The ORM spends ~0.1 s building and compiling the scored, gate-annotated queryset on every call.
# On PostgreSQL the same ranking is one hand-written statement with the weights, dates and zone
# cutoffs as parameters, and, for "next account", the gate's set rules are evaluated in score order
# only until enough candidates pass. It must answer exactly as `queue_ready`/`queue_not_now` do
# (tests/collections_app/test_queue_sql.py holds them side by side); SQLite keeps the ORM path.

_SCORE_SQL = {
    "weight_days_past_due": (
        "CASE WHEN a.oldest_open_due_on IS NULL OR a.oldest_open_due_on >= %(today)s THEN 0"
        " WHEN a.oldest_open_due_on >= %(d30)s THEN 20 WHEN a.oldest_open_due_on >= %(d60)s THEN 40"
        " WHEN a.oldest_open_due_on >= %(d90)s THEN 60 WHEN a.oldest_open_due_on >= %(d120)s THEN 80 ELSE 100 END"
    ),
    "weight_balance": "CASE "
    + " ".join(f"WHEN a.balance < {bound} THEN {score}" for bound, score in BALANCE_BANDS)
    + " ELSE 100 END",
    # Uncorrelated IN, not EXISTS: PostgreSQL hashes the few promises due (or lately broken) once
    # instead of probing the promise table for each of the thousands of accounts it scores.
    "weight_promise_due": (
        "CASE WHEN a.id IN (SELECT p.account_id FROM collections_app_promise p"
        " WHERE p.status = 'pending' AND p.due_on <= %(today)s) THEN 100 ELSE 0 END"
    ),
    "weight_broken_promise": (
        "CASE WHEN a.id IN (SELECT p.account_id FROM collections_app_promise p"
        " WHERE p.status = 'broken' AND p.resolved_on >= %(broken_since)s) THEN 100 ELSE 0 END"
    ),
    "weight_callback": "CASE WHEN a.callback_at <= %(now)s THEN 100 ELSE 0 END",
    "weight_last_contact": (
        "CASE WHEN a.last_contact_at IS NULL THEN 100 WHEN a.last_contact_at > %(c2)s THEN 0"
        " WHEN a.last_contact_at > %(c7)s THEN 25 WHEN a.last_contact_at > %(c14)s THEN 50"
        " WHEN a.last_contact_at > %(c30)s THEN 75 ELSE 100 END"
    ),
    "weight_priority": "LEAST(GREATEST(a.priority_score, 0), 100)",
}
# A state's limits, judged once per row: both kinds of number counted in one pass over the account's
# attempts, where writing each count out twice made four joined subqueries to plan and run.
_STATE_CAPPED_SQL = (
    "(SELECT ({personal} OR {other}) AND ({personal} OR NOT {has_personal}) AND ({other} OR NOT {has_other})"
    " FROM collections_app_activity ac LEFT JOIN collections_app_contactpoint cp ON cp.id = ac.contact_point_id"
    " WHERE ac.account_id = q.id AND ac.channel IN ('call', 'sms') AND ac.direction = 'outbound' AND ac.is_attempt"
    " AND ac.occurred_at <= %(now)s AND ac.occurred_at >= {since})"
)
_PERSONAL = "cp.usage IN ('home', 'mobile')"
# A scalar subquery, not EXISTS: the planner would hash EXISTS over every number of every debtor.
_PHONE_SQL = (
    "((SELECT 1 FROM collections_app_contactpoint cp WHERE cp.debtor_id = q.debtor_id AND cp.kind = 'phone'"
    " AND {usage} LIMIT 1) IS NOT NULL)"
)


class _Sql:
    """A statement's named parameters, added as the text is written."""

    def __init__(self, **params):
        self.params = params

    def add(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def zone_case(self, zones: list[str], *, at: datetime.datetime, days: int, tz: str) -> str:
        """`_cutoff_by_zone` as text: the start of the debtor's local day `days - 1` days ago."""
        fallback = min(_local_midnight_utc(at, ZoneInfo(z), days - 1) for z in (*US_ZONES, "UTC"))
        whens = " ".join(
            f"WHEN {self.add(name)} THEN {self.add(_local_midnight_utc(at, zone, days - 1))}"
            for name in zones
            if name and (zone := _zone(name)) is not None
        )
        return f"(CASE {tz} {whens} ELSE {self.add(fallback)} END)" if whens else self.add(fallback)


def _base_sql(sql: _Sql, *, user, queryset: QuerySet | None) -> str | None:
    """The accounts to rank: the collector's queue, or a narrower queryset of it (None when empty).

    A narrower queryset is added to the queue's own conditions, not put in their place, so that the
    collector's index still finds the rows instead of a scan of every account hashed against the filter.
    """
    statuses = ", ".join(sql.add(s) for s in QUEUE_STATUSES)
    queue = f"a.assigned_to_id = {sql.add(user.pk)} AND a.status IN ({statuses}) AND a.balance > 0"
    if queryset is None:
        return queue
    try:
        inner, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    with connection.cursor() as cursor:
        literal = cursor.mogrify(inner, params).decode()
    return f"{queue} AND a.id IN ({literal.replace('%', '%%')})"


def _ready_sql(sql: _Sql, zones: list[str], known: _Known, *, now: datetime.datetime, tz: str, region: str) -> str:
    """`queue_ready`'s conditions over a ranked row `q` (its debtor's zone and region given as SQL): active, not
    waiting, and the gate's set rules for a call."""
    policy, rules = known.policy, known.rules
    start, end = policy.call_window_start, policy.call_window_end
    open_zones = [name for name in zones if name and (z := _zone(name)) is not None and _in_window(now, z, start, end)]
    unknown_open = all(_in_window(now, ZoneInfo(z), start, end) for z in US_ZONES)
    if not open_zones and not unknown_open:
        return NONE_READY
    cap_since = sql.zone_case(zones, at=now, days=policy.cap_period_days, tz=tz)
    quiet_since = sql.zone_case(zones, at=now, days=policy.days_after_conversation, tz=tz)
    cap_whens = " ".join(
        f"WHEN {sql.add(rule.region)} THEN {sql.add(min(policy.weekly_call_cap, rule.weekly_call_cap))}"
        for rule in rules
        if rule.weekly_call_cap is not None
    )
    cap = f"(CASE {region} {cap_whens} ELSE %(weekly_cap)s END)" if cap_whens else "%(weekly_cap)s"
    sql.params["weekly_cap"] = policy.weekly_call_cap
    state_capped = []
    for rule in rules:
        if rule.personal_cap is None and rule.other_cap is None:
            continue
        reached, starts = {}, []
        for kind, limit, days, usage in (
            ("personal", rule.personal_cap, rule.personal_cap_days, _PERSONAL),
            ("other", rule.other_cap, rule.other_cap_days, f"(cp.id IS NULL OR NOT {_PERSONAL})"),
        ):
            if limit is None:
                reached[kind] = "FALSE"
                continue
            since = sql.zone_case(zones, at=now, days=days, tz=tz)
            starts.append(since)
            reached[kind] = f"(count(*) FILTER (WHERE {usage} AND ac.occurred_at >= {since}) >= {sql.add(limit)})"
        limited = _STATE_CAPPED_SQL.format(
            **reached,
            has_personal=_PHONE_SQL.format(usage=_PERSONAL),
            has_other=_PHONE_SQL.format(usage=f"NOT {_PERSONAL}"),
            since=starts[0] if len(starts) == 1 else f"LEAST({', '.join(starts)})",
        )
        state_capped.append(f"({region} = {sql.add(rule.region)} AND {limited})")
    capped = " OR ".join(state_capped) or "FALSE"
    return f"""COALESCE(q.status = 'active'
        AND NOT COALESCE(q.next_action_on > %(today)s OR q.callback_at > %(now)s, FALSE)
        AND ({tz} = ANY({sql.add(open_zones)}) OR ({tz} = '' AND {sql.add(unknown_open)}))
        AND NOT EXISTS (SELECT 1 FROM compliance_hold h WHERE h.account_id = q.id AND {_HOLD_ACTIVE})
        AND NOT EXISTS (SELECT 1 FROM compliance_hold h WHERE h.debtor_id = q.debtor_id AND {_HOLD_ACTIVE})
        AND NOT EXISTS (SELECT 1 FROM collections_app_dispute ds WHERE ds.account_id = q.id
            AND ds.resolved_at IS NULL AND ds.within_validation_period)
        AND NOT EXISTS (SELECT 1 FROM collections_app_activity ac WHERE ac.account_id = q.id AND ac.is_conversation
            AND ac.channel IN ('call', 'inbound_call') AND ac.occurred_at >= {quiet_since} AND ac.occurred_at <= %(now)s)
        AND (SELECT count(*) FROM collections_app_activity ac WHERE ac.account_id = q.id AND ac.channel = 'call'
            AND ac.direction = 'outbound' AND ac.is_attempt AND ac.occurred_at >= {cap_since}
            AND ac.occurred_at <= %(now)s) < {cap}
        AND NOT ({capped}), FALSE)"""


# The ready condition when calling hours are closed in every zone debtors hold: no row can pass.
NONE_READY = "FALSE"
_HOLD_ACTIVE = (
    "h.released_at IS NULL AND h.starts_at <= %(now)s AND (h.ends_at IS NULL OR h.ends_at > %(now)s)"
    " AND h.channel IN ('', 'call')"
)


def _known(user) -> _Known:
    rules = _raw(StateRule, "active = %s ORDER BY region", [True])
    return _Known(policy_current(), rules, strategy_for(user).weights())


# Every zone debtors hold, by skipping through the zone index (0006_queue_speed) one distinct value at
# a time: a few index probes instead of joining the collector's accounts to their debtors. A zone no
# queued debtor holds only adds a WHEN that never matches.
_ZONES_SQL = """WITH RECURSIVE z(tz) AS (
    SELECT min(timezone) FROM collections_app_debtor
    UNION ALL
    SELECT (SELECT min(d.timezone) FROM collections_app_debtor d WHERE d.timezone > z.tz) FROM z WHERE z.tz IS NOT NULL
) SELECT tz FROM z WHERE tz IS NOT NULL"""


def _ranked_sql(
    *,
    user,
    now: datetime.datetime,
    queryset: QuerySet | None,
    known: _Known,
    skip=(),
    active_only: bool = False,
    tz: str,
    region: str,
) -> tuple[_Sql, str, str] | None:
    """The statement's parameters, the scored rows and the ready condition over a row of them (`q`)."""
    today = timezone.localtime(now).date()
    sql = _Sql(
        now=now,
        today=today,
        **{f"d{n}": today - datetime.timedelta(days=n) for n in (30, 60, 90, 120)},
        **{f"c{n}": now - datetime.timedelta(days=n) for n in (2, 7, 14, 30)},
        broken_since=today - datetime.timedelta(days=BROKEN_PROMISE_DAYS),
    )
    base = _base_sql(sql, user=user, queryset=queryset)
    if base is None:
        return None
    if skip:
        base += f" AND a.id <> ALL({sql.add(list(skip))})"
    if active_only:  # only active accounts can be ready: no need to score the others
        base += " AND a.status = 'active'"
    terms = [f"({_SCORE_SQL[name]}) * {sql.add(weight)}" for name, weight in known.weights.items() if weight]
    score = " + ".join(terms) or "0"
    zones = [row[0] for row in _fetch(_ZONES_SQL, {})]
    rows = f"""SELECT a.id, a.balance, a.debtor_id, a.status, a.next_action_on, a.callback_at, {score} AS score
        FROM collections_app_account a WHERE {base}"""
    return sql, rows, _ready_sql(sql, zones, known, now=now, tz=tz, region=region)


def _fetch(statement: str, params: dict) -> list[tuple]:
    """Rows of a ranking statement (JIT is off for our connections: see DATABASES in settings)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _accounts(ids_scores: list[tuple[int, int]], *related: str) -> list[Account]:
    """The accounts of ranked ids, in rank order, with `queue_score` set as the ORM path annotates it."""
    found = Account.objects.select_related(*related).in_bulk([pk for pk, _ in ids_scores])
    accounts = []
    for pk, score in ids_scores:
        account = found[pk]
        account.queue_score = score
        accounts.append(account)
    return accounts


def _ready_candidates_sql(
    *, user, now, queryset, skip, offset: int, limit: int, known: _Known | None = None, related=("debtor",)
) -> list[Account]:
    """Ready accounts `offset`..`offset + limit`, best first: the gate's set rules run in score order and stop early."""
    # The debtor is read row by row down the sorted list, only for the rows the gate's rules look at.
    ranked = _ranked_sql(
        user=user,
        now=now,
        queryset=queryset,
        known=known or _known(user),
        skip=skip,
        active_only=True,
        tz="(SELECT d.timezone FROM collections_app_debtor d WHERE d.id = q.debtor_id)",
        region="(SELECT UPPER(d.region) FROM collections_app_debtor d WHERE d.id = q.debtor_id)",
    )
    if ranked is None:
        return []
    sql, rows, ready = ranked
    if ready == NONE_READY:
        return []
    # Sorted first (a LIMIT or OFFSET keeps PostgreSQL from flattening the subquery), then the gate's rules
    # run down the sorted rows until `offset + limit` pass: the outer ORDER BY reuses the inner sort. In
    # calling hours most of the best-scored rows pass, so only the best READY_WINDOW are sorted at first
    # (a bounded sort, cheaper than ordering thousands of rows); all of them only when too few of those pass.
    window = max(READY_WINDOW, 4 * (offset + limit))
    for sorted_rows in (f"LIMIT {int(window)}", "OFFSET 0"):
        statement = f"""SELECT q.id, q.score, q.balance FROM (
            {rows} ORDER BY score DESC, a.balance DESC, a.id {sorted_rows}) q
            WHERE {ready} ORDER BY q.score DESC, q.balance DESC, q.id LIMIT {int(limit)} OFFSET {int(offset)}"""
        found = _ranked_accounts(statement, sql.params, related)
        if len(found) == limit:
            break
    return found


def _ranked_accounts(statement: str, params: dict, related: tuple[str, ...]) -> list[Account]:
    """The accounts of a ranking statement's rows (id, score, balance), in rank order, with `queue_score` set and
    `related` loaded, read by the same statement: one round trip less than `_accounts` for "next account"."""
    models = [(Account, "acc", None)]
    models += [(field.related_model, f"rel{i}", field) for i, field in enumerate(map(Account._meta.get_field, related))]
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"{alias}.{quote(field.column)}" for model, alias, _ in models for field in model._meta.concrete_fields
    )
    joins = " ".join(
        f"JOIN {quote(model._meta.db_table)} {alias} ON {alias}.id = acc.{quote(field.column)}"
        for model, alias, field in models[1:]
    )
    rows = _fetch(
        f"""SELECT r.score, {columns} FROM ({statement}) r JOIN collections_app_account acc ON acc.id = r.id {joins}
        ORDER BY r.score DESC, r.balance DESC, r.id""",
        params,
    )
    accounts = []
    for score, *values in rows:
        loaded = []
        for model, _, field in models:
            names = [f.attname for f in model._meta.concrete_fields]
            loaded.append((model.from_db(connection.alias, names, values[: len(names)]), field))
            values = values[len(names) :]
        account = loaded[0][0]
        for obj, field in loaded[1:]:
            field.set_cached_value(account, obj)
        account.queue_score = score
        accounts.append(account)
    return accounts


# A page number below 1 means the last page, as Paginator.get_page has it; the statement clamps it.
_LAST = 2**62


def _first_row(number, size: int) -> int:
    try:
        n = int(number)
    except (TypeError, ValueError):
        return 0
    return (n - 1) * size if n >= 1 else _LAST


class _OnePage:
    """One fetched page of a ranked list of `total` rows: what Paginator needs to number and show it."""

    def __init__(self, rows: list[Account], total: int):
        self.rows, self.total = rows, total

    def count(self) -> int:
        return self.total

    def __getitem__(self, _):
        return self.rows


def _queue_pages_sql(*, user, now, queryset, ready_page, held_page, size: int) -> tuple[Page, Page]:
    ranked = _ranked_sql(user=user, now=now, queryset=queryset, known=_known(user), tz="q.tz", region="q.region")
    found = []
    if ranked is not None:
        sql, rows, ready = ranked
        sql.params.update(size=size, ready_from=_first_row(ready_page, size), held_from=_first_row(held_page, size))
        statement = f"""SELECT s.id, s.score, s.ready, s.n_ready, s.n_held, s.rn FROM (
            SELECT w.*, CASE WHEN w.ready THEN LEAST(%(ready_from)s, (GREATEST(w.n_ready - 1, 0) / %(size)s) * %(size)s)
                ELSE LEAST(%(held_from)s, (GREATEST(w.n_held - 1, 0) / %(size)s) * %(size)s) END AS start
            FROM (
                SELECT r.id, r.score, r.ready, count(*) FILTER (WHERE r.ready) OVER () AS n_ready,
                    count(*) FILTER (WHERE NOT r.ready) OVER () AS n_held,
                    row_number() OVER (PARTITION BY r.ready ORDER BY r.score DESC, r.balance DESC, r.id) AS rn
                FROM (SELECT q.id, q.score, q.balance, {ready} AS ready FROM (
                    SELECT s.*, d.timezone AS tz, UPPER(d.region) AS region
                    FROM ({rows}) s JOIN collections_app_debtor d ON d.id = s.debtor_id
                ) q OFFSET 0) r
            ) w
        ) s WHERE s.rn > s.start AND s.rn <= s.start + %(size)s ORDER BY s.ready DESC, s.rn"""
        found = _fetch(statement, sql.params)
    counts = (found[0][3], found[0][4]) if found else (0, 0)
    accounts = {account.pk: account for account in _accounts([row[:2] for row in found], "debtor", "creditor")}
    pages = []
    for is_ready, total in zip((True, False), counts, strict=True):
        part = [row for row in found if row[2] is is_ready]
        number = (part[0][5] - 1) // size + 1 if part else 1
        pages.append(Paginator(_OnePage([accounts[row[0]] for row in part], total), size).page(number))
    return pages[0], pages[1]


def queue_pages(
    *, user, now: datetime.datetime, queryset: QuerySet | None = None, ready_page=1, held_page=1, size: int = 50
) -> tuple[Page, Page]:
    """One page of the ready list and one of the held-back list, each with its count, debtor and creditor loaded.

    Page numbers follow `Paginator.get_page` (not a number: the first; out of range: the last).
    """
    if connection.vendor == "postgresql":
        return _queue_pages_sql(
            user=user, now=now, queryset=queryset, ready_page=ready_page, held_page=held_page, size=size
        )
    ready = queue_ready(user=user, now=now, queryset=queryset).select_related("debtor", "creditor")
    held = queue_not_now(user=user, now=now, queryset=queryset).select_related("debtor", "creditor")
    return Paginator(ready, size).get_page(ready_page), Paginator(held, size).get_page(held_page)


def _ready_candidates(*, user, now, queryset, skip, offset: int, limit: int, known: _Known) -> list[Account]:
    """The ready accounts at `offset`, best first, with their debtor: what the exact gate judges next."""
    if connection.vendor == "postgresql":
        return _ready_candidates_sql(
            user=user, now=now, queryset=queryset, skip=skip, offset=offset, limit=limit, known=known
        )
    ready = queue_ready(user=user, now=now, queryset=queryset).exclude(pk__in=skip).select_related("debtor")
    return list(ready[offset : offset + limit])


class ReadyPage:
    """A page of the ready list found without counting the whole list: its rows, and whether more follow."""

    def __init__(self, rows: list[Account], number: int, size: int, has_next: bool):
        self.rows, self.number, self.size, self.has_next = rows, number, size, has_next
        self.has_previous = number > 1
        self.has_other_pages = self.has_next or self.has_previous
        self.start_index = (number - 1) * size + 1
        self.previous_page_number, self.next_page_number = number - 1, number + 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def queue_ready_page(
    *, user, now: datetime.datetime, queryset: QuerySet | None = None, number=1, size: int = 50
) -> ReadyPage:
    """One page of the ready list, best first, with debtor and creditor: the gate's set rules judge rows in
    score order only until the page (and one row more) is found, so the first page costs no count.

    Page numbers that are not a whole number from 1 give the first page; beyond the end, an empty page.
    """
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * size
    if connection.vendor == "postgresql":
        rows = _ready_candidates_sql(
            user=user,
            now=now,
            queryset=queryset,
            skip=(),
            offset=offset,
            limit=size + 1,
            related=("debtor", "creditor"),
        )
    else:
        ready = queue_ready(user=user, now=now, queryset=queryset).select_related("debtor", "creditor")
        rows = list(ready[offset : offset + size + 1])
    return ReadyPage(rows[:size], number, size, len(rows) > size)
