"""Sign-ins and failed sign-ins go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .audit import audit_record


def _client(request) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in, dispatch_uid="compliance_audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, obj=user, detail=f"from {_client(request)}".strip())


@receiver(user_login_failed, dispatch_uid="compliance_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Only the username: Django already masks the password, and we never want it stored.
    username = str((credentials or {}).get("username", ""))[:150]
    audit_record(action="auth.login_failed", after={"username": username}, detail=f"from {_client(request)}".strip())
