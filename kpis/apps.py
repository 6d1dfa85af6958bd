"""KPI formulas, snapshots, rollup and dashboards."""

from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
