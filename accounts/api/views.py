"""API tokens for admins: list, create (the key is shown once), revoke."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from config.api.permissions import ADMINS
from config.api.views import ApiViewSet

from ..models import ApiToken
from . import serializers as s
from .services import api_token_create, api_token_revoke


@extend_schema_view(
    list=extend_schema(summary="List API tokens (admin)"),
    retrieve=extend_schema(summary="One API token (admin)"),
    create=extend_schema(
        summary="Create an API token (admin)",
        description="The answer carries the key, once. Send it as `Authorization: Token <key>`.",
        request=s.ApiTokenCreateSerializer,
        responses={201: s.ApiTokenCreatedSerializer},
        examples=[
            OpenApiExample(
                "The payment portal",
                value={"name": "Payment portal", "owner": "portal", "role": "collector", "rate_limit": "600/min"},
                request_only=True,
            )
        ],
    ),
    revoke=extend_schema(summary="Revoke an API token (admin)", request=None, responses={200: s.ApiTokenSerializer}),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ApiToken.objects.all()
    serializer_class = s.ApiTokenSerializer
    default_roles = ADMINS

    def scoped_queryset(self, user):
        return ApiToken.objects.select_related("owner", "created_by")

    def create(self, request):
        data = self.parse(s.ApiTokenCreateSerializer)
        token, key = api_token_create(created_by=request.user, **data)
        token.key = key
        return self.respond(token, s.ApiTokenCreatedSerializer, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = api_token_revoke(token=self.get_object(), revoked_by=request.user)
        return self.respond(token)
