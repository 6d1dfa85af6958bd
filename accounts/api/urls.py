"""Routes of the accounts API, added to the site's one API router (config/api/urls.py)."""

from . import views

ROUTES = [
    ("tokens", views.ApiTokenViewSet, "api-token"),
]
