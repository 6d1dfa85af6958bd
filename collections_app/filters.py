"""One FilterSet per listed model, shared by the HTML lists and the API."""

import re

import django_filters
from django.db.models import Q
from django.utils import timezone

from .aging import BUCKETS, due_date_range
from .models import Account, AccountStatus, Creditor


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

    def filter_bucket(self, queryset, name, value):
        if value == "paid":
            return queryset.filter(balance__lte=0)
        lookups = due_date_range(value, timezone.localdate())
        return queryset.filter(balance__gt=0, **{f"oldest_open_due_on__{k}": v for k, v in lookups.items()})
