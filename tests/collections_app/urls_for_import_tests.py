"""The site's routes plus the import pages, for testing them before the site's urls include them."""

from django.urls import include, path

from config.urls import urlpatterns as site

urlpatterns = [path("imports/", include("collections_app.urls_imports")), *site]
