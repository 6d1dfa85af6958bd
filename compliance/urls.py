from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("audit/", views.account_audit, name="account_audit"),
]
