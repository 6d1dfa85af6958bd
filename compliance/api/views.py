"""The compliance API: ask the contact gate, list, place and release holds."""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from collections_app.api.scope import accounts_for
from collections_app.models import Account, ContactPoint
from config.api.permissions import MANAGERS, is_admin
from config.api.schema import ApiAutoSchema, error_example
from config.api.views import ApiViewSet

from .. import services
from ..filters import HoldFilter
from ..gate import contact_decision
from ..models import Hold
from . import serializers as s


class SingleAnswerSchema(ApiAutoSchema):
    def _is_list_view(self, serializer=None):
        return False


@extend_schema_view(
    list=extend_schema(
        summary="May I contact this debtor now?",
        description="The contact gate's answer for one account, channel, number or address and moment, with "
        "every reason when not, and when waiting alone makes it allowed. It only reads: nothing is logged.",
        parameters=[s.GateQuerySerializer],
        responses={200: s.DecisionSerializer},
        examples=[
            OpenApiExample(
                "Too early in Denver",
                value={
                    "allowed": False,
                    "verdict": "not_now",
                    "message": "Calling hours in America/Denver start at 8:00 — in 42 minutes.",
                    "reasons": [
                        {
                            "code": "outside_hours",
                            "message": "Calling hours in America/Denver start at 8:00 — in 42 minutes.",
                            "until": "2025-02-03T15:00:00Z",
                        }
                    ],
                    "next_allowed_at": "2025-02-03T15:00:00Z",
                    "flags": [],
                    "zones": ["America/Denver"],
                    "at": "2025-02-03T14:18:00Z",
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
)
class GateViewSet(ApiViewSet):
    """GET /api/gate/: one question, one answer (routed as a list, but it answers a single object)."""

    schema = SingleAnswerSchema()
    queryset = Account.objects.all()
    pagination_class = None
    filter_backends = []

    def scoped_queryset(self, user):
        return accounts_for(user)

    def list(self, request):
        query = self.parse(s.GateQuerySerializer, data=request.query_params)
        account = get_object_or_404(self.get_queryset().select_related("debtor"), pk=query["account"])
        point = None
        if query["contact_point"] is not None:
            point = get_object_or_404(ContactPoint, pk=query["contact_point"], debtor_id=account.debtor_id)
        decision = contact_decision(
            account=account,
            channel=query["channel"],
            to=query["to"] or None,
            contact_point=point,
            at=query["at"],
            automated=query["automated"],
            purpose=query["purpose"],
        )
        answer = {
            "allowed": decision.allowed,
            "verdict": decision.verdict,
            "message": decision.message,
            "reasons": [vars(reason) for reason in decision.reasons],
            "next_allowed_at": decision.next_allowed_at,
            "flags": [vars(flag) for flag in decision.flags],
            "zones": list(decision.zones),
            "at": decision.at,
        }
        return Response(s.DecisionSerializer(answer).data)


@extend_schema_view(
    list=extend_schema(summary="List holds", description="Holds on the accounts you may see, or on their debtors."),
    retrieve=extend_schema(summary="One hold"),
    create=extend_schema(
        summary="Place a hold",
        description="Stops collection contact with one debt, or every debt of a debtor, optionally on one channel "
        "(a cease request, an attorney, a bankruptcy notice). Any role may stop contact; only managers and "
        "admins lift it.",
        request=s.HoldCreateSerializer,
        responses={201: s.HoldSerializer},
        examples=[
            OpenApiExample(
                "Represented by an attorney",
                value={"debtor": 1, "reason": "attorney", "note": "Letter from Smith & Co."},
                request_only=True,
            ),
            error_example("invalid_hold", "A hold must end after it starts."),
        ],
    ),
    release=extend_schema(
        summary="Release a hold (manager, admin)",
        request=s.HoldReleaseSerializer,
        responses={200: s.HoldSerializer},
        examples=[error_example("hold_released", "This hold was already released.")],
    ),
)
class HoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Hold.objects.all()
    serializer_class = s.HoldSerializer
    filterset_class = HoldFilter
    action_roles = {"release": MANAGERS}

    def scoped_queryset(self, user):
        if is_admin(user):
            return Hold.objects.all()
        visible = accounts_for(user)
        return Hold.objects.filter(
            Q(account__in=visible) | Q(Exists(visible.filter(debtor_id=OuterRef("debtor_id"))), debtor__isnull=False)
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def create(self, request):
        data = self.parse(s.HoldCreateSerializer)
        hold = services.hold_place(user=request.user, **data)
        return self.respond(hold, status_code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        hold = self.get_object()
        data = self.parse(s.HoldReleaseSerializer)
        hold = services.hold_release(hold=hold, user=request.user, note=data["note"])
        return self.respond(hold)
