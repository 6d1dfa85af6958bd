"""`Idempotency-Key` for POSTs that must not happen twice (payments, logged contacts).

The first request with a key inserts its record *before* it acts, in the transaction that acts, and
stores its response there: a second request with the same key (even at the same moment, on
another process) blocks on the unique index until the first commits, then replays the stored
response. The same key with another body (or on another endpoint) is refused with 422.
"""

import hashlib
import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import ApiToken, IdempotencyRecord
from accounts.services import IdempotencyKeyTaken, idempotency_key_claim
from collections_app.errors import DomainError

from .errors import error_body

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[!-~]{1,255}$"
_KEY_RE = re.compile(KEY_PATTERN)
# Losing to a concurrent request and then finding its record is one retry; more means trouble.
_ATTEMPTS = 3

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A key of your choosing (a UUID, say), unique per action. Sent again with the same body, the "
        "first response is replayed (with `Idempotent-Replayed: true`) and nothing new is created; "
        "sent with another body, the request is refused with 422 `idempotency_key_reused`."
    ),
)


def _fingerprint(request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # a form's QueryDict
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method}\n{request.path}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.body_hash != fingerprint:
        return Response(
            error_body(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with another request: use a new key for a new action.",
            ),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(record.response_body, status=record.status_code, headers={REPLAY_HEADER: "true"})


def _answer(view, action) -> Response:
    """The action's response; a refusal (4xx) answered here, inside the transaction, so what the action
    wrote for it (a refused contact's record, by activity_log) commits with the answer."""
    try:
        return action()
    except (exceptions.APIException, DomainError, DjangoValidationError) as exc:
        return view.handle_exception(exc)


def run_idempotent(view, request, action) -> Response:
    """Run `action` (returning a Response) in one transaction, once per key; refusals (4xx) are stored
    and replayed too. Without a key it runs in a transaction all the same, so actions may lock rows as
    they read them (a payment's account, in the serializer)."""
    key = request.headers.get(HEADER)
    if key is None:
        with transaction.atomic():
            return _answer(view, action)
    if not _KEY_RE.match(key):
        raise exceptions.ValidationError(
            {HEADER: ["Use 1 to 255 printable ASCII characters without spaces, like a UUID."]},
            code="invalid_idempotency_key",
        )
    fingerprint = _fingerprint(request)  # parses the body first: a malformed one is a 400, not stored
    user = request.user
    token = request.auth if isinstance(request.auth, ApiToken) else None
    for _ in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                # The claim comes first: a new key (the usual case) costs one INSERT and no read.
                record = idempotency_key_claim(
                    user=user, key=key, method=request.method, path=request.path, body_hash=fingerprint, token=token
                )
                response = _answer(view, action)  # a refusal is an answer too: kept, so a retry gets it
                record.status_code = response.status_code
                record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
                record.save(update_fields=["status_code", "response_body"])
            return response
        except IdempotencyKeyTaken:
            # Taken, and its request has ended (the claim waited for it): replay its answer. Missing
            # means purged meanwhile: claim again.
            record = IdempotencyRecord.objects.filter(user_id=user.pk, key=key).first()
            if record is not None:
                return _replay(record, fingerprint)
    return Response(
        error_body("idempotency_key_in_progress", "A request with this Idempotency-Key is in progress: retry shortly."),
        status=status.HTTP_409_CONFLICT,
    )
