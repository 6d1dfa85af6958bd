"""The base of every API viewset: role checks, scoped querysets, parse-call-respond helpers."""

from rest_framework import status, viewsets
from rest_framework.response import Response

from .idempotency import run_idempotent
from .parsers import StrictJSONParser
from .permissions import RolePermission


class ApiViewSet(viewsets.GenericViewSet):
    """Subclasses define `scoped_queryset(user)`, and `action_roles` for actions not open to every role.

    Lists and details read only `scoped_queryset`, so an object outside the user's scope is a 404,
    exactly like one that does not exist.
    """

    permission_classes = [RolePermission]
    # Ids are integers; anything else in their place is a 404 from the API's catch-all route.
    lookup_value_regex = "[0-9]+"
    # JSON only: one body format to document, validate and fuzz.
    parser_classes = [StrictJSONParser]
    action_roles: dict = {}
    # Actions whose POST honours an Idempotency-Key header.
    idempotent_actions: tuple[str, ...] = ()

    def scoped_queryset(self, user):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.queryset.none() if self.queryset is not None else None
        return self.scoped_queryset(self.request.user)

    def parse(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, obj, serializer_class=None, status_code=status.HTTP_200_OK) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        return Response(serializer_class(obj, context=self.get_serializer_context()).data, status=status_code)

    def idempotent(self, action) -> Response:
        return run_idempotent(self, self.request, action)
