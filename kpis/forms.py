"""The dashboards' filter form: period (a month), currency, team, creditor, segment, collector, breakdown."""

import datetime

from django import forms

from accounts.models import Role, Team, User
from collections_app.models import Creditor

from .dashboard import currencies_in_scope, months_back, scope_for
from .inputs import month_start
from .models import KpiDaily

BREAKDOWNS = [("team", "Team"), ("collector", "Collector"), ("creditor", "Creditor"), ("segment", "Segment")]


class DashboardFilterForm(forms.Form):
    month = forms.ChoiceField(label="Period", required=False)
    currency = forms.ChoiceField(label="Currency", required=False)
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    creditor = forms.TypedChoiceField(label="Creditor", required=False, coerce=int, empty_value=None)
    segment = forms.ChoiceField(label="Segment", required=False)
    collector = forms.TypedChoiceField(label="Collector", required=False, coerce=int, empty_value=None)
    by = forms.ChoiceField(label="Break down by", required=False, choices=BREAKDOWNS)

    def __init__(self, data, *, user, latest: datetime.date | None):
        super().__init__(data)
        self.user = user
        self.latest = latest
        months = months_back(latest, 24) if latest else []
        self.fields["month"].choices = [(m.strftime("%Y-%m"), m.strftime("%B %Y")) for m in reversed(months)]
        self.currencies = currencies_in_scope(user, latest)
        self.fields["currency"].choices = [(c, c) for c in self.currencies]
        scope = scope_for(user)
        cells = KpiDaily.objects.filter(scope, date=latest) if latest else KpiDaily.objects.none()
        self.fields["creditor"].choices = [("", "All creditors")] + list(
            Creditor.objects.filter(id__in=cells.values("creditor_id")).order_by("name").values_list("id", "name")
        )
        segments = sorted(set(cells.values_list("segment", flat=True).distinct()))
        self.fields["segment"].choices = [("", "All segments")] + [(s or "(none)", s or "(none)") for s in segments]
        if user.is_superuser or user.role == Role.ADMIN:
            teams = Team.objects.all()
            collectors = User.objects.filter(role=Role.COLLECTOR)
        elif user.role == Role.MANAGER:
            teams = Team.objects.filter(managers=user)
            collectors = User.objects.filter(role=Role.COLLECTOR, team__managers=user)
        else:
            teams, collectors = Team.objects.none(), User.objects.none()
        self.fields["team"].choices = [("", "All teams")] + list(teams.order_by("name").values_list("id", "name"))
        self.fields["collector"].choices = [("", "All collectors")] + [
            (u.pk, u.display_name) for u in collectors.order_by("username")
        ]
        if user.role == Role.COLLECTOR and not user.is_superuser:
            for name in ("team", "collector"):
                del self.fields[name]
        # Accounts without a segment are chosen as "(none)", kept apart from "all segments" (empty).
        self.segment_none = data.get("segment") == "(none)"

    def selected(self) -> dict:
        """The cleaned choices, with defaults: the latest month, the currency with the largest AR."""
        data = self.cleaned_data if self.is_valid() else {}
        month = data.get("month")
        chosen = datetime.date.fromisoformat(month + "-01") if month else (self.latest or datetime.date.today())
        segment = data.get("segment") or None
        if self.segment_none:
            segment = ""
        return {
            "month": month_start(chosen),
            "currency": data.get("currency") or (self.currencies[0] if self.currencies else None),
            "team": data.get("team"),
            "creditor": data.get("creditor"),
            "segment": segment,
            "collector": data.get("collector"),
            "by": data.get("by") or ("creditor" if self.user.role == Role.COLLECTOR else "team"),
        }
