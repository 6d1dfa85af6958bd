from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("imports/", include("collections_app.urls_imports")),
    path("dunning/", include("collections_app.urls_dunning")),
]
