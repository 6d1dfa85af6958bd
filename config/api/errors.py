"""One error body for every API failure: a machine-readable code, a sentence, and field messages.

    {"code": "invalid_amount", "detail": "The amount must be more than zero.",
     "errors": {"amount": [{"message": "The amount must be more than zero.", "code": "invalid_amount"}]}}

DomainError (a business rule refused) and validation errors are 400; unknown or out-of-scope
objects 404; a role without access 403; a database uniqueness race 409. Never a 500 for bad input.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from collections_app.errors import DomainError

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class FieldErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, permission_denied, or a rule's code.")
    detail = serializers.CharField(help_text="What went wrong, in words for people.")
    errors = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Messages per field (dotted paths for nested fields and list items).",
    )
    reasons = FieldErrorSerializer(
        many=True, required=False, help_text="When the contact gate refused: every rule that refused, with its code."
    )


def _flatten(details, prefix: str = "") -> dict[str, list[dict]]:
    """DRF's nested get_full_details() as {"field.sub.0": [{"message", "code"}]}."""
    flat: dict[str, list[dict]] = {}
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        flat.setdefault(prefix or NON_FIELD, []).append({"message": str(details["message"]), "code": details["code"]})
    elif isinstance(details, dict):
        for key, value in details.items():
            for path, items in _flatten(value, f"{prefix}.{key}" if prefix else str(key)).items():
                flat.setdefault(path, []).extend(items)
    elif isinstance(details, list):
        leaves = all(isinstance(item, dict) and set(item) == {"message", "code"} for item in details)
        for index, item in enumerate(details):
            path = prefix if leaves else (f"{prefix}.{index}" if prefix else str(index))
            for key, items in _flatten(item, path).items():
                flat.setdefault(key, []).extend(items)
    return flat


def error_body(code: str, detail: str, errors: dict | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def domain_error_response(exc: DomainError) -> Response:
    errors = {exc.field: [{"message": exc.message, "code": exc.code}]} if exc.field else None
    body = error_body(exc.code, exc.message, errors)
    if exc.reasons:
        body["reasons"] = exc.reasons
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _validation_response(exc: exceptions.ValidationError) -> Response:
    errors = _flatten(exc.get_full_details())
    first = next(iter(errors.values()), [{"message": "Invalid input.", "code": "invalid"}])[0]
    codes = {item["code"] for items in errors.values() for item in items}
    code = codes.pop() if len(codes) == 1 else "invalid"
    detail = first["message"] if len(errors) == 1 else "Some fields are invalid: see errors."
    return Response(error_body(code, detail, errors), status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        exc = exceptions.ValidationError(details)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)
    if isinstance(exc, IntegrityError):
        # A uniqueness race the services' own checks could not see (two requests at once).
        logger.warning("API conflict: %s", exc)
        return Response(
            error_body("conflict", "This conflicts with a change made at the same moment: try again."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(detail, "code", None) or exc.default_code
    response.data = error_body(str(code), str(detail or exc.default_detail))
    return response
