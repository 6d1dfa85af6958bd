"""The contact gate, holds, consent and the append-only audit log."""

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from . import signals  # noqa: F401  (connects the sign-in audit receivers)
