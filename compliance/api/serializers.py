"""Serializers of the compliance API: the gate's question and answer, holds."""

from rest_framework import serializers

from collections_app.api.scope import accounts_for, debtors_visible_to
from collections_app.api.serializers import ScopedPrimaryKeyField
from collections_app.filters import MAX_ID
from collections_app.models import Account, Channel, Debtor
from config.api.fields import DateTimeField

from ..gate import PURPOSES
from ..models import Hold, HoldReason


class GateQuerySerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The account's id.")
    channel = serializers.ChoiceField(choices=Channel.choices, default="call")
    to = serializers.CharField(
        max_length=254, required=False, allow_blank=True, default="", help_text="The number (any format) or address."
    )
    contact_point = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="Or a contact point's id.",
    )
    at = DateTimeField(
        required=False, allow_null=True, default=None, help_text="The moment asked about; now if absent."
    )
    automated = serializers.BooleanField(default=False, help_text="Autodialed call or automated text (TCPA consent).")
    purpose = serializers.ChoiceField(choices=[(p, p) for p in PURPOSES], default="collection")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True, help_text="When this reason lifts by itself, if it does.")


class DecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    verdict = serializers.ChoiceField(
        choices=[("callable", "callable"), ("not_now", "not_now"), ("never", "never")],
        help_text="callable now; not_now (allowed at next_allowed_at); never by waiting alone.",
    )
    message = serializers.CharField(help_text="The reasons in words, for the person asking.")
    reasons = ReasonSerializer(many=True)
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    flags = ReasonSerializer(many=True, help_text="What may be said changes (time-barred, zone uncertain...).")
    zones = serializers.ListField(child=serializers.CharField(), help_text="The debtor's candidate time zones.")
    at = serializers.DateTimeField()


class HoldSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField(help_text="In force now.")

    class Meta:
        model = Hold
        fields = [
            "id",
            "account",
            "debtor",
            "reason",
            "channel",
            "note",
            "starts_at",
            "ends_at",
            "released_at",
            "placed_by",
            "released_by",
            "created_at",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, hold) -> bool:
        now = self.context.get("now")
        return hold.released_at is None and hold.starts_at <= now and (hold.ends_at is None or hold.ends_at > now)


class HoldCreateSerializer(serializers.Serializer):
    account = ScopedPrimaryKeyField(
        accounts_for, Account, required=False, allow_null=True, default=None, help_text="Hold one debt..."
    )
    debtor = ScopedPrimaryKeyField(
        debtors_visible_to,
        Debtor,
        required=False,
        allow_null=True,
        default=None,
        help_text="...or every debt of a debtor.",
    )
    reason = serializers.ChoiceField(choices=HoldReason.choices)
    channel = serializers.ChoiceField(
        choices=[("", "every channel"), *Channel.choices], required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    starts_at = DateTimeField(required=False, allow_null=True, default=None, help_text="Now if absent.")
    ends_at = DateTimeField(required=False, allow_null=True, default=None, help_text="Open-ended if absent.")

    def validate(self, attrs):
        if (attrs["account"] is None) == (attrs["debtor"] is None):
            raise serializers.ValidationError("Name either an account or a debtor.", code="account_or_debtor")
        return attrs


class HoldReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
