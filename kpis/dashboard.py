"""What the dashboards show, read from the rollup tables in a fixed number of queries.

Scoping: a collector sees the cells of their own figures, a manager those of their teams' members
(and of unassigned accounts), an admin everything. Filters narrow the cells further; one currency
is shown at a time, so no figure on a page adds two currencies.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from accounts.models import Role, User
from collections_app.models import Activity, Channel

from . import formulas as f
from .figures import figures, roll_forward
from .inputs import BUCKET_NAMES, BUCKETS, Inputs, Names, dec, group_cells, month_end, month_start
from .models import KpiDaily, KpiDailyEvents
from .selectors import day_cut, rollup_inputs

TREND_MONTHS = 12
_AGING_FIELDS = ("age_current", "age_1_30", "age_31_60", "age_61_90", "age_91_120", "age_121")


def scope_for(user) -> Q:
    """The cells a user may see, as a filter on the collector of the cell."""
    if user.is_superuser or user.role == Role.ADMIN:
        return Q()
    if user.role == Role.MANAGER:
        members = User.objects.filter(team__managers=user).values("id")
        return Q(collector_id__in=members) | Q(collector_id__isnull=True)
    return Q(collector_id=user.pk)


@dataclass
class Selection:
    """The cells chosen on a page: the user's scope narrowed by the filters, in one currency."""

    user: User
    team: int | None = None
    creditor: int | None = None
    segment: str | None = None
    collector: int | None = None
    currency: str | None = None

    def cells(self) -> Q:
        q = scope_for(self.user)
        if self.team:
            q &= Q(collector_id__in=User.objects.filter(team_id=self.team).values("id"))
        if self.creditor:
            q &= Q(creditor_id=self.creditor)
        if self.segment is not None and self.segment != "":
            q &= Q(segment=self.segment)
        if self.collector:
            q &= Q(collector_id=self.collector)
        if self.currency:
            q &= Q(currency=self.currency)
        return q

    def accounts_link(self, **extra) -> str:
        """The account list filtered to the accounts behind a figure."""
        params = {
            "creditor": self.creditor,
            "segment": self.segment,
            "collector": self.collector,
            "team": self.team,
            "currency": self.currency,
            **extra,
        }
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return "/accounts/" + (f"?{query}" if query else "")


def currencies_in_scope(user, latest: datetime.date | None) -> list[str]:
    """The currencies the user's cells hold, largest AR first (the default is the first)."""
    if latest is None:
        return []
    rows = (
        KpiDaily.objects.filter(scope_for(user), date=latest)
        .values("currency")
        .annotate(ar=Sum("ar"))
        .order_by("-ar", "currency")
    )
    return [row["currency"] for row in rows]


def month_period(month: datetime.date, latest: datetime.date) -> tuple[datetime.date, datetime.date]:
    return month_start(month), min(month_end(month), latest)


def months_back(month: datetime.date, count: int) -> list[datetime.date]:
    firsts = [month_start(month)]
    for _ in range(count - 1):
        firsts.insert(0, month_start(firsts[0] - datetime.timedelta(days=1)))
    return firsts


def period_figures(selection: Selection, start: datetime.date, end: datetime.date) -> tuple[dict, Inputs]:
    groups = group_cells(rollup_inputs(start, end, selection.cells()), None)
    inputs = groups.get((None, selection.currency), Inputs())
    return figures(inputs, start, end, selection.currency), inputs


def trend(selection: Selection, month: datetime.date, latest: datetime.date) -> list[dict]:
    """Per month of the last twelve: DSO, best possible DSO, ADD, CEI and aging at the month's end (4 queries)."""
    firsts = months_back(month, TREND_MONTHS)
    periods = [month_period(first, latest) for first in firsts]
    cells = selection.cells()
    stock_days = {end for _, end in periods} | {first - datetime.timedelta(days=1) for first in firsts}
    stocks = {
        row["date"]: row
        for row in KpiDaily.objects.filter(cells, date__in=stock_days)
        .values("date")
        .annotate(ar_=Sum("ar"), cur=Sum("current_ar"), **{name: Sum(name) for name in _AGING_FIELDS})
        .order_by()
    }
    flows = {
        month_start(row["month"]): row
        for row in KpiDaily.objects.filter(cells, date__gte=firsts[0], date__lte=periods[-1][1])
        .values(month=TruncMonth("date"))
        .annotate(sales=Sum("credit_sales"), paid=Sum("payments"), wo=Sum("written_off"))
        .order_by()
    }
    events = {
        month_start(row["month"]): row
        for row in KpiDailyEvents.objects.filter(cells, date__gte=firsts[0], date__lte=periods[-1][1])
        .values(month=TruncMonth("date"))
        .annotate(calls=Sum("calls"), rpc=Sum("right_party"), due=Sum("promises_due"), kept=Sum("promises_kept"))
        .order_by()
    }
    rows = []
    for first, (start, end) in zip(firsts, periods, strict=True):
        stock, before = stocks.get(end, {}), stocks.get(first - datetime.timedelta(days=1), {})
        flow, event = flows.get(first, {}), events.get(first, {})
        inputs = Inputs(
            beginning_ar=dec(before.get("ar_")),
            ending_ar=dec(stock.get("ar_")),
            current_ar=dec(stock.get("cur")),
            credit_sales=dec(flow.get("sales")),
            payments=dec(flow.get("paid")),
            written_off=dec(flow.get("wo")),
            calls=event.get("calls") or 0,
            right_party=event.get("rpc") or 0,
            promises_due=event.get("due") or 0,
            promises_kept=event.get("kept") or 0,
        )
        inputs.aging_amount = [dec(stock.get(name)) for name in _AGING_FIELDS]
        row = figures(inputs, start, end, selection.currency)
        row["month"] = first
        row["has_data"] = bool(stock)
        rows.append(row)
    return rows


def breakdown(selection: Selection, by: str, start, end, previous: tuple) -> list[dict]:
    """The period's figures per group of `by`, with the previous month's DSO and CEI beside them."""
    names = Names.load()
    now = group_cells(rollup_inputs(start, end, selection.cells()), by, names)
    before = group_cells(rollup_inputs(previous[0], previous[1], selection.cells()), by, names)
    keys_of = _group_ids(by, names)
    rows = []
    for (key, currency), inputs in sorted(now.items(), key=lambda item: str(item[0][0] or "")):
        row = figures(inputs, start, end, currency)
        earlier = figures(before.get((key, currency), Inputs()), previous[0], previous[1], currency)
        row.update(
            key=key,
            label=key if key not in (None, "") else ("(unassigned)" if by in ("collector", "team") else "(none)"),
            dso_before=earlier["dso"],
            cei_before=earlier["cei"],
            dso_change=None if row["dso"] is None or earlier["dso"] is None else round(row["dso"] - earlier["dso"], 2),
            filter_param=keys_of.get(key),
        )
        rows.append(row)
    return rows


def _group_ids(by: str, names: Names) -> dict:
    """Group key -> the filter value that selects it (an id for collectors, teams and creditors)."""
    if by == "collector":
        return {username: ("collector", pk) for pk, (username, _) in names.collectors.items()}
    if by == "team":
        return {name: ("team", pk) for pk, name in names.teams.items()}
    if by == "creditor":
        return {name: ("creditor", pk) for pk, name in names.creditors.items()}
    return {}


def roll_matrix(inputs: Inputs) -> list[dict]:
    """Rows of the heat map: per bucket at the earlier month end, the share moving to each bucket."""
    rates = roll_forward(inputs)
    rows = []
    for index, name in enumerate(BUCKETS):
        total = sum(inputs.roll.get((index, to), [0, 0])[0] for to in range(len(BUCKET_NAMES)))
        cells = []
        for to, to_name in enumerate(BUCKET_NAMES):
            accounts, balance = inputs.roll.get((index, to), [0, Decimal(0)])
            share = f.rate(accounts, total)
            cells.append(
                {
                    "to": to_name,
                    "accounts": accounts,
                    "balance": balance,
                    "share": f.round2(share),
                    "worse": to_name != "paid" and to > index,
                    "same": to == index,
                }
            )
        rows.append({"bucket": name, "accounts": total, "cells": cells, "roll_forward": rates[name]})
    return rows


def leaderboard(selection: Selection, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per collector: contacts, promises, kept rate and money collected (per currency), against target."""
    cells = selection.cells()
    # Counts may be added across currencies; money is listed per currency.
    by_collector: dict[int | None, dict] = {}
    events = (
        KpiDailyEvents.objects.filter(cells, date__gte=start, date__lte=end)
        .values("collector_id")
        .annotate(
            calls=Sum("calls"),
            rpc=Sum("right_party"),
            made=Sum("promises_made"),
            due=Sum("promises_due"),
            kept=Sum("promises_kept"),
        )
        .order_by()
    )
    for row in events:
        by_collector.setdefault(row["collector_id"], _blank()).update(
            calls=row["calls"], rpc=row["rpc"], made=row["made"], due=row["due"], kept=row["kept"]
        )
    collected = (
        KpiDaily.objects.filter(cells, date__gte=start, date__lte=end)
        .values("collector_id", "currency")
        .annotate(paid=Sum("payments"))
        .order_by("currency")
    )
    for row in collected:
        if row["paid"]:
            by_collector.setdefault(row["collector_id"], _blank())["collected"].append(
                (dec(row["paid"]), row["currency"])
            )
    worked = (
        Activity.objects.filter(
            channel=Channel.CALL,
            user_id__in=[pk for pk in by_collector if pk is not None],
            occurred_at__gte=day_cut(start - datetime.timedelta(days=1)),
            occurred_at__lt=day_cut(end),
        )
        .values("user_id")
        .annotate(accounts=Count("account_id", distinct=True))
        .order_by()
    )
    for row in worked:
        by_collector[row["user_id"]]["worked"] = row["accounts"]
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in=[pk for pk in by_collector if pk is not None]).select_related("team")
    }
    days = _working_days(start, end)
    rows = []
    for pk, figures_ in by_collector.items():
        person = people.get(pk)
        if person is None or person.role != Role.COLLECTOR:
            continue
        target = person.daily_target * days
        rows.append(
            {
                "collector": person,
                "team": person.team.name if person.team else "",
                **figures_,
                "rpc_rate": f.round2(f.rate(figures_["rpc"], figures_["calls"])),
                "kept_rate": f.round2(f.rate(figures_["kept"], figures_["due"])),
                "target": target,
                "target_share": f.round2(f.rate(figures_["worked"], target)),
                "working_days": days,
            }
        )
    rows.sort(key=lambda r: (-(r["target_share"] or 0), r["collector"].username))
    return rows


def _blank() -> dict:
    return {"calls": 0, "rpc": 0, "made": 0, "due": 0, "kept": 0, "collected": [], "worked": 0}


def _working_days(start: datetime.date, end: datetime.date) -> int:
    """Monday to Friday from start to end (the target is per working day)."""
    days = 0
    current = start
    while current <= end:
        days += current.weekday() < 5
        current += datetime.timedelta(days=1)
    return days


def sparkline(values: list, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a small trend line (None values are skipped)."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in points)
