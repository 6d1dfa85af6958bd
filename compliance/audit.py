"""Recording audit events: every service that changes something that matters calls audit_record."""

import json
from collections.abc import Iterable, Mapping

from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from .models import AuditEvent


def acting_user(user):
    """The user to record as the one who acted: only a signed-in user; a task or anonymous is None."""
    return user if getattr(user, "is_authenticated", False) else None


def snapshot(obj, fields: Iterable[str] | Mapping[str, str] | None = None) -> dict:
    """An object's fields as an audit before/after dict (foreign keys as ids).

    `fields`: field names, or a mapping of audit key to field name; None for every editable field.
    """
    if fields is None:
        return model_to_dict(obj)
    pairs = fields.items() if isinstance(fields, Mapping) else ((name, name) for name in fields)
    return {key: obj._meta.get_field(name).value_from_object(obj) for key, name in pairs}


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
    event = audit_event_new(
        action=action, actor=actor, obj=obj, account_id=account_id, before=before, after=after, detail=detail
    )
    event.save()
    return event


def audit_event_new(
    *,
    action: str,
    actor=None,
    obj=None,
    account_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """The unsaved event audit_record appends, for writers that insert many at once (bulk_create)."""
    if account_id is None and obj is not None:
        account_id = getattr(obj, "account_id", None) or (obj.pk if type(obj).__name__ == "Account" else None)
    return AuditEvent(
        actor=acting_user(actor),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        account_id=account_id,
        before=_jsonable(before),
        after=_jsonable(after),
        detail=detail,
    )
