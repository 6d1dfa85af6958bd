"""URL routes of the whole site."""

from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "Collections administration"
admin.site.site_title = "Collections"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api.urls")),
    path("", include("accounts.urls")),
    path("compliance/", include("compliance.urls")),
    path("kpis/", include("kpis.urls")),
    path("", include("collections_app.urls")),
]
