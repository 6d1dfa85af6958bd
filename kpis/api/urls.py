"""Routes of the KPI API, added to the site's one API router (config/api/urls.py)."""

from . import views

ROUTES = [("kpis", views.KpiViewSet, "api-kpi")]
