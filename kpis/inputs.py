"""The inputs of the KPI formulas for one group and currency, and how cells add up into groups.

A cell is the finest group: (currency, creditor id, segment, collector id). Every dimension of
KPIS.md (currency, collector, team, creditor, segment) is a sum of cells, and a cell has one
currency, so summing cells into (group, currency) never adds two currencies together.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from collections_app.aging import BUCKETS

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
BUCKET_NAMES = (*BUCKETS, "paid")
PAID = len(BUCKETS)  # 6, as stored in MonthEndBucket and KpiRollRate

Cell = tuple[str, int, str, int | None]  # currency, creditor id, segment, collector id


def dec(value) -> Decimal:
    """A sum from the database as an exact two-place Decimal (SQLite hands sums back as floats)."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):  # PostgreSQL's numeric: no detour through text
        return value.quantize(CENT)
    return Decimal(str(value)).quantize(CENT)


@dataclass
class Inputs:
    beginning_ar: Decimal = ZERO
    ending_ar: Decimal = ZERO
    current_ar: Decimal = ZERO
    credit_sales: Decimal = ZERO
    payments: Decimal = ZERO
    written_off: Decimal = ZERO
    aging_amount: list = field(default_factory=lambda: [ZERO] * len(BUCKETS))
    aging_accounts: list = field(default_factory=lambda: [0] * len(BUCKETS))
    calls: int = 0
    right_party: int = 0
    promises_made: int = 0
    promises_due: int = 0
    promises_kept: int = 0
    disputes_resolved: int = 0
    dispute_days: Counter = field(default_factory=Counter)
    # first day of a month -> credit sales of that month (the newest month only up to the end date)
    monthly_sales: dict = field(default_factory=dict)
    # (from bucket, to bucket) -> [accounts, balance at the earlier month end]
    roll: dict = field(default_factory=dict)

    def add(self, other: "Inputs") -> "Inputs":
        for name in (
            "beginning_ar",
            "ending_ar",
            "current_ar",
            "credit_sales",
            "payments",
            "written_off",
            "calls",
            "right_party",
            "promises_made",
            "promises_due",
            "promises_kept",
            "disputes_resolved",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.aging_amount = [a + b for a, b in zip(self.aging_amount, other.aging_amount, strict=True)]
        self.aging_accounts = [a + b for a, b in zip(self.aging_accounts, other.aging_accounts, strict=True)]
        self.dispute_days.update(other.dispute_days)
        for month, sales in other.monthly_sales.items():
            self.monthly_sales[month] = self.monthly_sales.get(month, ZERO) + sales
        for key, (accounts, balance) in other.roll.items():
            current = self.roll.setdefault(key, [0, ZERO])
            current[0] += accounts
            current[1] += balance
        return self


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def previous_month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=1) - datetime.timedelta(days=1)


def last_month_end_on_or_before(day: datetime.date) -> datetime.date:
    return day if month_end(day) == day else previous_month_end(day)


DIMENSIONS = ("currency", "collector", "team", "creditor", "segment")


@dataclass(frozen=True)
class Names:
    """Display keys of the groups: usernames, team names, creditor names (one query each)."""

    collectors: dict  # id -> (username, team id)
    teams: dict  # id -> name
    creditors: dict  # id -> name

    @classmethod
    def load(cls) -> "Names":
        from accounts.models import Team, User
        from collections_app.models import Creditor

        return cls(
            collectors={
                u["id"]: (u["username"], u["team_id"]) for u in User.objects.values("id", "username", "team_id")
            },
            teams=dict(Team.objects.values_list("id", "name")),
            creditors=dict(Creditor.objects.values_list("id", "name")),
        )

    def key(self, cell: Cell, by: str | None):
        """The group key of a cell for the dimension `by` (None: the whole portfolio)."""
        currency, creditor_id, segment, collector_id = cell
        if by is None or by == "currency":
            return None
        if by == "creditor":
            return self.creditors.get(creditor_id, str(creditor_id))
        if by == "segment":
            return segment or ""
        username, team_id = self.collectors.get(collector_id, (None, None))
        if by == "collector":
            return username
        if by == "team":
            return self.teams.get(team_id)
        raise ValueError(f"unknown dimension {by!r}")


def group_cells(cells: dict[Cell, Inputs], by: str | None, names: Names | None = None) -> dict[tuple, Inputs]:
    """Sum cells into (group key, currency): amounts of different currencies are never added."""
    names = names or (Names.load() if by not in (None, "currency") else Names({}, {}, {}))
    groups: dict[tuple, Inputs] = {}
    for cell, inputs in cells.items():
        key = (names.key(cell, by), cell[0])
        groups.setdefault(key, Inputs()).add(inputs)
    return groups
