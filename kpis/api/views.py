"""KPI figures over the API: the same groups, periods and fields as `kpi_report`, scoped like the dashboards."""

import datetime

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from accounts.models import Role, User
from config.api.fields import DateField
from config.api.permissions import RolePermission

from ..inputs import DIMENSIONS
from ..report import report_rows
from ..selectors import ledger_inputs

# A report over more than this is a BI extract, not a question: refuse it in plain words.
MAX_PERIOD_DAYS = 3 * 366


class KpiQuerySerializer(serializers.Serializer):
    start = DateField(help_text="First day of the period (YYYY-MM-DD).")
    end = DateField(help_text="Last day of the period, included.")
    by = serializers.ChoiceField(choices=DIMENSIONS, required=False, help_text="Split by this group.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="Only this ISO 4217 currency.")

    def validate(self, data):
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": "The end must not be before the start."}, code="invalid_period")
        if (data["end"] - data["start"]).days >= MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"end": f"A period is at most {MAX_PERIOD_DAYS} days."}, code="invalid_period"
            )
        if data["end"] > datetime.date.today() + datetime.timedelta(days=1):
            raise serializers.ValidationError({"end": "The end cannot be in the future."}, code="future_date")
        return data


def collectors_in_scope(user) -> set | None:
    """Collector ids whose figures the user may read (None: all); unassigned accounts count as None."""
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER:
        return set(User.objects.filter(team__managers=user).values_list("id", flat=True)) | {None}
    return {user.pk}


EXAMPLE = {
    "start": "2026-10-01",
    "end": "2026-10-31",
    "currency": "USD",
    "days": 31,
    "beginning_ar": "120000.00",
    "ending_ar": "118500.00",
    "dso": 61.2,
    "cei": 48.5,
    "aging": {"current": {"amount": "40000.00", "accounts": 310}},
}


class KpiViewSet(viewsets.ViewSet):
    """Read-only: the figures are computed from the ledger for the caller's own scope."""

    permission_classes = [RolePermission]

    @extend_schema(
        summary="KPI figures for a period",
        description="The KPIs of KPIS.md for the period, straight from the ledger, as `kpi_report --format json` "
        "prints them: one object per (group, currency), amounts as strings, rates rounded to two decimals or "
        "null. A collector reads their own figures, a manager their teams', an admin the whole portfolio.",
        parameters=[KpiQuerySerializer],
        responses={
            200: OpenApiResponse(
                {"type": "object", "additionalProperties": True},  # a list action: served as an array of these
                description="One KPI object per (group, currency).",
            )
        },
        examples=[OpenApiExample("One month", value=EXAMPLE, response_only=True)],
    )
    def list(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        allowed = collectors_in_scope(request.user)
        keep = None if allowed is None else (lambda cell: cell[3] in allowed)
        cells = ledger_inputs(data["start"], data["end"], by=data.get("by"), keep=keep)
        rows = report_rows(cells, data["start"], data["end"], by=data.get("by"), currency=data.get("currency"))
        return Response(rows)
