"""KPI snapshot tables: the nightly rollup's per-account state, daily group figures and month ends.

Storage grows with groups and days, not with accounts and days:

- AccountState / OpenItemState: one row per account (and per open due date of an account) as of
  the state head date, updated incrementally; days past due follow from the due dates and the date
  alone, so an account whose ledger did not change keeps its rows.
- KpiDaily: per day and per cell (currency, creditor, segment, collector) the stock figures (AR,
  current AR, aging) and the day's flows (credit sales, payments, write-offs).
- KpiDailyEvents: per day and cell the contact, promise and dispute counts (sparse).
- MonthEndBucket: each open account's bucket and balance at a month end (the last few months only,
  to roll forward); KpiRollRate: the aggregated roll matrix per month end and cell, kept for ever.
"""

from django.conf import settings
from django.db import models

# Bucket codes stored in the tables: the index in collections_app.aging.BUCKETS, and PAID after them.
PAID_CODE = 6


class StateHead(models.Model):
    """The date the per-account state stands at, and when the run that put it there started."""

    as_of = models.DateField(null=True, blank=True)
    run_started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class AccountState(models.Model):
    """An account as of the state head: its group keys, AR (balance) and oldest open due date."""

    account = models.OneToOneField(
        "collections_app.Account", primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    currency = models.CharField(max_length=3)
    creditor_id = models.BigIntegerField()
    segment = models.CharField(max_length=100, blank=True)
    collector_id = models.BigIntegerField(null=True, blank=True)
    balance = models.DecimalField(max_digits=16, decimal_places=2)
    oldest_open_due_on = models.DateField(null=True, blank=True)


class OpenItemState(models.Model):
    """An account's open invoice amount per due date, as of the state head (only amounts > 0).

    Keyed by (account, due date): the one index serves the night's delete by account and the aging's
    walk in due-date order, and a rebuild writes a million accounts' items through it alone.
    """

    pk = models.CompositePrimaryKey("account_id", "due_on")
    account_id = models.BigIntegerField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)


class Cell(models.Model):
    """The finest group: every dimension of KPIS.md is a sum of cells (team via the collector)."""

    currency = models.CharField(max_length=3)
    creditor = models.ForeignKey(
        "collections_app.Creditor", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    segment = models.CharField(max_length=100, blank=True)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        abstract = True


_MONEY = {"max_digits": 16, "decimal_places": 2, "default": 0}


class KpiDaily(Cell):
    """Stock figures at the end of `date` and the flows of that day, for one cell."""

    date = models.DateField()
    ar = models.DecimalField(**_MONEY)
    current_ar = models.DecimalField(**_MONEY)
    age_current = models.DecimalField(**_MONEY)
    age_1_30 = models.DecimalField(**_MONEY)
    age_31_60 = models.DecimalField(**_MONEY)
    age_61_90 = models.DecimalField(**_MONEY)
    age_91_120 = models.DecimalField(**_MONEY)
    age_121 = models.DecimalField(**_MONEY)
    acc_current = models.IntegerField(default=0)
    acc_1_30 = models.IntegerField(default=0)
    acc_31_60 = models.IntegerField(default=0)
    acc_61_90 = models.IntegerField(default=0)
    acc_91_120 = models.IntegerField(default=0)
    acc_121 = models.IntegerField(default=0)
    credit_sales = models.DecimalField(**_MONEY)
    payments = models.DecimalField(**_MONEY)
    written_off = models.DecimalField(**_MONEY)

    class Meta:
        indexes = [models.Index(fields=["date", "currency"]), models.Index(fields=["collector", "date"])]


class KpiDailyEvents(Cell):
    """Contacts, promises and disputes of one day and cell (the collector is who logged or took them)."""

    date = models.DateField()
    calls = models.IntegerField(default=0)
    right_party = models.IntegerField(default=0)
    promises_made = models.IntegerField(default=0)
    promises_due = models.IntegerField(default=0)
    promises_kept = models.IntegerField(default=0)
    disputes_resolved = models.IntegerField(default=0)
    # Days from opening to resolution -> number of disputes, so medians over any period can be taken.
    dispute_days = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["date", "currency"]), models.Index(fields=["collector", "date"])]


class MonthEndBucket(Cell):
    """An open account's bucket (0-5, see PAID_CODE) and balance at a month end."""

    month_end = models.DateField()
    account_id = models.BigIntegerField()
    bucket = models.SmallIntegerField()
    balance = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["month_end", "account_id"])]


class KpiRollRate(Cell):
    """Accounts (count and balance at the earlier month end) moving from one bucket to another.

    month_end is the later month end m; the cell and the balance are those at m-1.
    """

    month_end = models.DateField()
    from_bucket = models.SmallIntegerField()
    to_bucket = models.SmallIntegerField()
    accounts = models.IntegerField(default=0)
    balance = models.DecimalField(**_MONEY)

    class Meta:
        indexes = [models.Index(fields=["month_end", "currency"])]


class RunKind(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental"
    REBUILD = "rebuild", "Full rebuild"
    LEDGER = "ledger", "Past date from the ledger"


class KpiRun(models.Model):
    """One date rolled up: how, how many accounts were recomputed, and how long it took."""

    date = models.DateField()
    kind = models.CharField(max_length=12, choices=RunKind.choices)
    accounts_recomputed = models.IntegerField(default=0)
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
