"""Routes of the compliance API, added to the site's one API router (config/api/urls.py)."""

from . import views

ROUTES = [
    ("gate", views.GateViewSet, "api-gate"),
    ("holds", views.HoldViewSet, "api-hold"),
]
