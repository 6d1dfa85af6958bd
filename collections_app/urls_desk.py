"""Routes of the manager's desk; the site includes them under /desk/ (namespace "desk")."""

from django.urls import path

from .views import desk

app_name = "desk"

urlpatterns = [
    path("", desk.desk, name="home"),
    path("collectors/<int:pk>/limits/", desk.limits, name="limits"),
    path("reassign/", desk.reassign, name="reassign"),
    path("strategy/", desk.strategy, name="strategy"),
]
