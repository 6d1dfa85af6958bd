"""Recording audit events: every service that changes something that matters calls audit_record."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditEvent


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def audit_record(
    *,
    action: str,
    actor=None,
    obj=None,
    account_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one audit event. `obj` names the object acted on; `account_id` links it to an account."""
    if account_id is None and obj is not None:
        account_id = getattr(obj, "account_id", None) or (obj.pk if type(obj).__name__ == "Account" else None)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        account_id=account_id,
        before=_jsonable(before),
        after=_jsonable(after),
        detail=detail,
    )
