"""Routes of the portfolio import pages; the site includes them under /imports/."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("", imports.import_list, name="import_list"),
    path("new/", imports.import_new, name="import_new"),
    path("<int:pk>/", imports.import_detail, name="import_detail"),
    path("<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("<int:pk>/rejections.csv", imports.import_report, name="import_report"),
]
