from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("collectors/", views.collectors, name="collectors"),
]
