"""One FilterSet per listed model, shared by the HTML lists and the API."""

import datetime
import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField

from .aging import BUCKETS, due_date_range
from .models import (
    Account,
    AccountStatus,
    Activity,
    Arrangement,
    Assignment,
    AssignmentReason,
    Channel,
    ContactKind,
    ContactPoint,
    Creditor,
    Debtor,
    DebtorKind,
    Direction,
    Dispute,
    DisputeOutcome,
    DunningChannel,
    DunningReminder,
    Frequency,
    Invoice,
    LedgerEntry,
    Outcome,
    PaymentMethod,
    PlanStatus,
    Promise,
    PromiseStatus,
    ReminderState,
)


def account_search(queryset, text: str):
    """Search by debtor name, phone (any formatting), account or external id."""
    text = (text or "").strip()
    if not text:
        return queryset
    condition = Q(external_id__iexact=text) | Q(debtor__external_id__iexact=text) | Q(debtor__name__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7:
        condition |= Q(debtor__contact_points__value__endswith=digits[-10:])
    if "@" in text:
        condition |= Q(debtor__contact_points__value__iexact=text)
    if text.isdigit() and len(text) < 18:  # our own account number (the id in its URL)
        condition |= Q(pk=int(text))
    return queryset.filter(condition).distinct()


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    bucket = django_filters.ChoiceFilter(
        label="Aging",
        choices=[(b, b if b != "current" else "Current") for b in BUCKETS] + [("paid", "Paid")],
        method="filter_bucket",
    )
    creditor = django_filters.ModelChoiceFilter(queryset=Creditor.objects.all(), empty_label="All creditors")
    segment = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices, empty_label="Any status")
    # Who holds it (the desk's numbers link here): an id, not a ModelChoiceFilter, which would tell
    # apart users that exist from those that do not.
    collector = django_filters.NumberFilter(
        field_name="assigned_to_id", label="Collector", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    unassigned = django_filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull", label="Unassigned")
    # The KPI dashboards' filters, so that a figure links to exactly the accounts behind it.
    team = django_filters.NumberFilter(
        field_name="assigned_to__team_id", label="Team", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    currency = django_filters.CharFilter(method="filter_currency", max_length=3)
    # Aging counts an account in every bucket it holds an open invoice in (KPIS.md), where `bucket`
    # is the account's own bucket (its oldest open invoice): both as of today.
    holds = django_filters.ChoiceFilter(
        label="Holds an invoice aged",
        choices=[(b, b if b != "current" else "Current") for b in BUCKETS],
        method="filter_holds",
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("balance", "balance"),
            ("oldest_open_due_on", "oldest_due"),
            ("debtor__name", "debtor"),
            ("external_id", "account"),
            ("last_contact_at", "last_contact"),
        ),
    )

    class Meta:
        model = Account
        fields = ["q", "bucket", "creditor", "segment", "status"]

    def filter_q(self, queryset, name, value):
        return account_search(queryset, value)

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper())

    def filter_holds(self, queryset, name, value):
        today = timezone.localdate()
        lookups = {f"due_on__{k}": v for k, v in due_date_range(value, today).items()}
        invoices = Invoice.objects.filter(open_amount__gt=0, issued_on__lte=today, **lookups)
        return queryset.filter(pk__in=invoices.values("account_id"))

    def filter_bucket(self, queryset, name, value):
        if value == "paid":
            return queryset.filter(balance__lte=0)
        lookups = due_date_range(value, timezone.localdate())
        return queryset.filter(balance__gt=0, **{f"oldest_open_due_on__{k}": v for k, v in lookups.items()})


# --- Filters of the other listed resources (the API's lists, and the pages' as they come) ---------

# What the columns and the domain's date arithmetic hold: ids of a bigint, moments between these years.
MAX_ID = 2**63 - 1
_MIN_MOMENT = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
_MAX_MOMENT = datetime.datetime(2199, 12, 31, tzinfo=datetime.UTC)


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _MomentField(IsoDateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and not _MIN_MOMENT <= moment <= _MAX_MOMENT:
            raise forms.ValidationError("Enter a moment between 1900 and 2199.", code="out_of_range")
        return moment


class IdFilter(django_filters.NumberFilter):
    """An object's id. Not a ModelChoiceFilter: that would tell apart ids that exist from those that do not."""

    field_class = _IdField


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = _MomentField


class DebtorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    external_id = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=DebtorKind.choices)
    region = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Debtor
        fields = ["q", "external_id", "kind", "region"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id__iexact=value))


class ContactPointFilter(django_filters.FilterSet):
    debtor = IdFilter(field_name="debtor_id")
    kind = django_filters.ChoiceFilter(choices=ContactKind.choices)
    opted_out = django_filters.BooleanFilter()

    class Meta:
        model = ContactPoint
        fields = ["debtor", "kind", "opted_out"]


class CreditorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Creditor
        fields = ["name"]


class InvoiceFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    external_id = django_filters.CharFilter()
    open = django_filters.BooleanFilter(label="Open", method="filter_open")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["account", "external_id", "open", "due_after", "due_before"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(open_amount__gt=0) if value else queryset.filter(open_amount=0)


class PaymentFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    external_id = django_filters.CharFilter()
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)
    received_after = django_filters.DateFilter(field_name="posted_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="posted_on", lookup_expr="lte")
    reversed = django_filters.BooleanFilter(field_name="reversed_by", lookup_expr="isnull", exclude=True)

    class Meta:
        model = LedgerEntry
        fields = ["account", "external_id", "method", "received_after", "received_before", "reversed"]


class PromiseFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    status = django_filters.ChoiceFilter(choices=PromiseStatus.choices)
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Promise
        fields = ["account", "status", "due_after", "due_before"]


class ArrangementFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)

    class Meta:
        model = Arrangement
        fields = ["account", "status", "frequency"]


class ActivityFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    occurred_after = MomentFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = MomentFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["account", "channel", "direction", "outcome", "occurred_after", "occurred_before"]


class DisputeFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    open = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", label="Open")
    outcome = django_filters.ChoiceFilter(choices=DisputeOutcome.choices)

    class Meta:
        model = Dispute
        fields = ["account", "open", "outcome"]


class AssignmentFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    collector = IdFilter(field_name="collector_id")
    reason = django_filters.ChoiceFilter(choices=AssignmentReason.choices)
    current = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull", label="Current")

    class Meta:
        model = Assignment
        fields = ["account", "collector", "reason", "current"]


class DunningReminderFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    policy = IdFilter(field_name="policy_id")
    state = django_filters.ChoiceFilter(choices=ReminderState.choices)
    channel = django_filters.ChoiceFilter(choices=DunningChannel.choices)
    planned_after = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_before = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte")

    class Meta:
        model = DunningReminder
        fields = ["account", "policy", "state", "channel", "planned_after", "planned_before"]
