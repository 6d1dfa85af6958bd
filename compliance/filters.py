"""FilterSets of the compliance lists, shared by pages and the API."""

import django_filters
from django.utils import timezone

from collections_app.filters import IdFilter

from .models import Hold, HoldReason


class HoldFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    debtor = IdFilter(field_name="debtor_id")
    reason = django_filters.ChoiceFilter(choices=HoldReason.choices)
    active = django_filters.BooleanFilter(label="In force now", method="filter_active")

    class Meta:
        model = Hold
        fields = ["account", "debtor", "reason", "active"]

    def filter_active(self, queryset, name, value):
        active = Hold.objects.active(timezone.now()).values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)
