from django.urls import include, path

from . import views
from .views import privacy

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    # The collector's workspace: in-page actions on an account, the queue and Next account.
    path("accounts/<int:pk>/act/arrangement/preview/", views.arrangement_preview, name="arrangement_preview"),
    path("accounts/<int:pk>/act/<slug:name>/", views.account_action, name="account_action"),
    # An admin's personal-data actions for one debtor (export, erasure).
    path("debtors/<int:pk>/privacy/", privacy.debtor_privacy, name="debtor_privacy"),
    path("debtors/<int:pk>/privacy/export/", privacy.debtor_export, name="debtor_export"),
    path("debtors/<int:pk>/privacy/erase/", privacy.debtor_erase, name="debtor_erase"),
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("imports/", include("collections_app.urls_imports")),
    path("dunning/", include("collections_app.urls_dunning")),
    path("desk/", include("collections_app.urls_desk")),
]
