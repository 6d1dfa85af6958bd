"""The API's routes: one router gathering each app's ROUTES, the OpenAPI schema and its docs.

An app adds its endpoints by listing `ROUTES` (prefix, viewset, basename) in its `api/urls.py`
and naming that module here: dunning and KPIs join with one line each.
"""

from importlib import import_module

from csp.decorators import csp_update
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

API_ROUTE_MODULES = (
    "collections_app.api.urls",
    "compliance.api.urls",
    "accounts.api.urls",
    "kpis.api.urls",
)

router = SimpleRouter()
for module in API_ROUTE_MODULES:
    for prefix, viewset, basename in import_module(module).ROUTES:
        router.register(prefix, viewset, basename=basename)


@csrf_exempt  # like the API's views: a POST to an unknown path is a 404, not a CSRF page
def not_found(request, *args, **kwargs):
    """Any other path under /api/: the API's 404 body, not the site's HTML page."""
    return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI: its script is served as a file (split view), but its page carries a <style>
    # element and the UI sets style attributes, so this page alone allows inline styles.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include(router.urls)),
    re_path(r"^", not_found),
]
