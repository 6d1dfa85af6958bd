"""Routes of the collections API, added to the site's one API router (config/api/urls.py)."""

from . import views

ROUTES = [
    ("debtors", views.DebtorViewSet, "api-debtor"),
    ("contact-points", views.ContactPointViewSet, "api-contact-point"),
    ("creditors", views.CreditorViewSet, "api-creditor"),
    ("accounts", views.AccountViewSet, "api-account"),
    ("invoices", views.InvoiceViewSet, "api-invoice"),
    ("payments", views.PaymentViewSet, "api-payment"),
    ("promises", views.PromiseViewSet, "api-promise"),
    ("arrangements", views.ArrangementViewSet, "api-arrangement"),
    ("activities", views.ActivityViewSet, "api-activity"),
    ("disputes", views.DisputeViewSet, "api-dispute"),
    ("assignments", views.AssignmentViewSet, "api-assignment"),
    ("dunning-policies", views.DunningPolicyViewSet, "api-dunning-policy"),
    ("dunning-reminders", views.DunningReminderViewSet, "api-dunning-reminder"),
]
