"""OpenAPI generation: every operation documents its error responses with the one error body."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample

from .errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input or a business rule refused the action (see `code`).",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "Your role does not allow this action.",
    "404": "No such object, or not one you may see.",
    "429": "Too many requests for this token: wait `Retry-After` seconds.",
}


WRITE_ERROR_DESCRIPTIONS = {
    "409": "A change made at the same moment conflicts (or the same Idempotency-Key is in flight): retry.",
}
IDEMPOTENT_ERROR_DESCRIPTIONS = {
    "422": "This Idempotency-Key was used before with another request (`idempotency_key_reused`).",
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses (400, 401, 403, 404, 429; 409 for writes; 422 with an Idempotency-Key)
    to each operation that does not declare them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERROR_DESCRIPTIONS)
        if self.method == "POST":
            errors.update(WRITE_ERROR_DESCRIPTIONS)
        if getattr(self.view, "action", None) in getattr(self.view, "idempotent_actions", ()):
            errors.update(IDEMPOTENT_ERROR_DESCRIPTIONS)
        for code, description in errors.items():
            if code in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            response["description"] = description
            responses[code] = response
        return responses


def error_example(code: str, detail: str, field: str | None = None, status_code: str = "400") -> OpenApiExample:
    value = {"code": code, "detail": detail}
    if field:
        value["errors"] = {field: [{"message": detail, "code": code}]}
    return OpenApiExample(code, value=value, response_only=True, status_codes=[status_code])


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` or `Bearer <key>`; an admin creates tokens.",
        }
