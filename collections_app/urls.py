from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    # The collector's workspace: in-page actions on an account, the queue and Next account.
    path("accounts/<int:pk>/act/arrangement/preview/", views.arrangement_preview, name="arrangement_preview"),
    path("accounts/<int:pk>/act/<slug:name>/", views.account_action, name="account_action"),
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("imports/", include("collections_app.urls_imports")),
    path("dunning/", include("collections_app.urls_dunning")),
    path("desk/", include("collections_app.urls_desk")),
]
