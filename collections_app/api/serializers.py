"""Serializers of the collections API: read shapes of each resource, and the inputs of each action.

Inputs only parse and check types and ranges; every business rule is the service's (DomainError).
Related objects are looked up in the requesting user's scope, so an id outside it reads exactly
like an id that does not exist.
"""

from rest_framework import serializers

from accounts.models import User
from collections_app.models import (
    Account,
    Activity,
    Arrangement,
    Assignment,
    Channel,
    ContactKind,
    ContactPoint,
    ContactUsage,
    Creditor,
    Debtor,
    DebtorKind,
    Direction,
    Dispute,
    DisputeOutcome,
    DunningPolicy,
    DunningReminder,
    DunningStage,
    Frequency,
    Instalment,
    Invoice,
    LedgerEntry,
    Outcome,
    PaymentMethod,
    Promise,
)
from collections_app.services import ledger
from collections_app.services.plans import MAX_INSTALMENTS
from compliance.gate import PURPOSES
from config.api.fields import DateField, DateTimeField, MoneyField

from .scope import accounts_for, collectors_assignable_by, debtors_visible_to

Serializer = serializers.Serializer


class IdField(serializers.PrimaryKeyRelatedField):
    """An object by its integer id: 1.5, true or "1e0" are not ids (the ORM would take them for 1)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or (isinstance(data, str) and not data.isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ScopedPrimaryKeyField(IdField):
    """An id looked up among the rows the requesting user may see (`scope(user)`)."""

    def __init__(self, scope, model, **kwargs):
        self.scope = scope
        # The model's empty queryset tells the schema the id's type; lookups go through get_queryset.
        kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.queryset.none()
        return self.scope(request.user)


def account_field(scope=accounts_for, **kwargs):
    kwargs.setdefault("help_text", "The account's id.")
    return ScopedPrimaryKeyField(scope, Account, **kwargs)


def accounts_to_credit(user):
    """The user's accounts, the one named locked as a credit needs it (ledger.accounts_for_credit): the
    scope check and the posting's lock in one query, inside the request's transaction."""
    return ledger.accounts_for_credit(accounts_for(user))


# --- read shapes -------------------------------------------------------------------------------


class ContactPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "debtor",
            "kind",
            "value",
            "usage",
            "source",
            "consent_autodial",
            "consent_recorded_at",
            "opted_out",
            "opted_out_at",
            "debtor_used",
            "timezone",
            "is_primary",
            "created_at",
        ]
        read_only_fields = fields


class DebtorSerializer(serializers.ModelSerializer):
    contact_points = ContactPointSerializer(many=True, read_only=True)

    class Meta:
        model = Debtor
        fields = [
            "id",
            "external_id",
            "kind",
            "name",
            "language",
            "timezone",
            "timezone_source",
            "region",
            "country",
            "contact_points",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DebtorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Debtor
        fields = ["id", "external_id", "name", "timezone", "region"]
        read_only_fields = fields


class CreditorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Creditor
        fields = ["id", "name", "created_at"]
        read_only_fields = ["id", "created_at"]


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class AccountSerializer(serializers.ModelSerializer):
    debtor = DebtorSummarySerializer(read_only=True)
    creditor = CreditorSerializer(read_only=True)
    assigned_to = UserSummarySerializer(read_only=True, allow_null=True)
    days_past_due = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "debtor",
            "creditor",
            "currency",
            "opened_on",
            "placed_on",
            "product",
            "segment",
            "status",
            "balance",
            "unapplied_credit",
            "oldest_open_due_on",
            "days_past_due",
            "assigned_to",
            "next_action_on",
            "last_contact_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_days_past_due(self, account) -> int:
        return account.days_past_due()


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = ["id", "account", "external_id", "issued_on", "due_on", "amount", "open_amount", "description"]
        read_only_fields = fields


class EntrySerializer(serializers.ModelSerializer):
    """A ledger entry as posted: signed (a payment is negative, its reversal positive)."""

    class Meta:
        model = LedgerEntry
        fields = ["id", "account", "kind", "amount", "posted_on", "invoice", "reverses", "note", "created_at"]
        read_only_fields = fields


class ReceivedAmountField(serializers.DecimalField):
    """A payment entry's amount is negative on the ledger; the API shows the money received."""

    def to_representation(self, value):
        return super().to_representation(-value)


class PaymentSerializer(serializers.ModelSerializer):
    amount = ReceivedAmountField(max_digits=14, decimal_places=2, read_only=True, help_text="The money received.")
    received_on = serializers.DateField(source="posted_on", read_only=True)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, allow_blank=True, read_only=True, help_text="Empty when not known."
    )
    reversed_by = serializers.SerializerMethodField(help_text="The reversing entry's id, if reversed.")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "account",
            "amount",
            "received_on",
            "method",
            "external_id",
            "invoice",
            "note",
            "reversed_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_reversed_by(self, entry) -> int | None:
        reversal = getattr(entry, "reversed_by", None)
        return reversal.pk if reversal is not None else None


class PromiseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Promise
        fields = [
            "id",
            "account",
            "amount",
            "due_on",
            "created_on",
            "grace_days",
            "window_ends_on",
            "status",
            "resolved_on",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["sequence", "due_on", "amount", "status"]
        read_only_fields = fields


class ArrangementSerializer(serializers.ModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Arrangement
        fields = [
            "id",
            "account",
            "total_amount",
            "frequency",
            "start_on",
            "created_on",
            "grace_days",
            "missed_allowed",
            "status",
            "resolved_on",
            "instalments",
            "created_at",
        ]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "account",
            "debtor",
            "channel",
            "direction",
            "contact_point",
            "to",
            "outcome",
            "note",
            "duration_seconds",
            "occurred_at",
            "user",
            "automated",
            "is_attempt",
            "is_conversation",
            "gate_reasons",
            "created_at",
        ]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(
        choices=DisputeOutcome.choices, allow_blank=True, read_only=True, help_text="Empty while open."
    )

    class Meta:
        model = Dispute
        fields = [
            "id",
            "account",
            "reason",
            "opened_at",
            "in_writing",
            "within_validation_period",
            "resolved_at",
            "outcome",
            "resolution_note",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    collector = UserSummarySerializer(read_only=True, allow_null=True)
    assigned_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = ["id", "account", "collector", "started_at", "ended_at", "reason", "note", "assigned_by"]
        read_only_fields = fields


# --- inputs --------------------------------------------------------------------------------------


class DebtorCreateSerializer(Serializer):
    external_id = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=DebtorKind.choices, default=DebtorKind.PERSON)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="US")
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, default="en")


class ContactPointCreateSerializer(Serializer):
    debtor = ScopedPrimaryKeyField(debtors_visible_to, Debtor, help_text="The debtor's id.")
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    value = serializers.CharField(max_length=254, help_text="A phone number (any format) or an email address.")
    usage = serializers.ChoiceField(choices=ContactUsage.choices, default=ContactUsage.OTHER)
    source = serializers.CharField(max_length=32, required=False, allow_blank=True, default="creditor")
    consent_autodial = serializers.BooleanField(default=False)
    is_primary = serializers.BooleanField(default=False)


class NoteSerializer(Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CreditorCreateSerializer(Serializer):
    name = serializers.CharField(max_length=200)


class AccountCreateSerializer(Serializer):
    external_id = serializers.CharField(max_length=100)
    debtor = ScopedPrimaryKeyField(debtors_visible_to, Debtor, help_text="The debtor's id (create it first).")
    creditor = serializers.CharField(max_length=200, help_text="The creditor's name; created if new.")
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217, like USD.")
    opened_on = DateField()
    placed_on = DateField(required=False, allow_null=True, default=None)
    product = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    segment = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    collector = ScopedPrimaryKeyField(
        collectors_assignable_by,
        User,
        required=False,
        allow_null=True,
        default=None,
        help_text="A collector's user id.",
    )


class InvoiceCreateSerializer(Serializer):
    account = account_field()
    amount = MoneyField()
    issued_on = DateField()
    due_on = DateField()
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PaymentCreateSerializer(Serializer):
    account = account_field(accounts_to_credit)
    amount = MoneyField(help_text='The money received, positive, like "125.50".')
    received_on = DateField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.OTHER)
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your payment's id: posting it again returns the first payment.",
    )
    invoice = IdField(
        queryset=Invoice.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="An invoice of the same account to pay first.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        invoice = attrs.get("invoice")
        if invoice is not None and invoice.account_id != attrs["account"].pk:
            # Said like a missing invoice: another account's invoice is not the caller's to learn about.
            raise serializers.ValidationError({"invoice": ["No such invoice on this account."]}, code="does_not_exist")
        return attrs


class ReverseSerializer(Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why: a returned payment, a bounced cheque...")
    posted_on = DateField(required=False, allow_null=True, default=None, help_text="Defaults to today.")


class PromiseCreateSerializer(Serializer):
    account = account_field()
    amount = MoneyField()
    due_on = DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SchedulePreviewSerializer(Serializer):
    account = account_field(help_text="The account (its currency decides the rounding).")
    total_amount = MoneyField()
    count = serializers.IntegerField(min_value=1, max_value=MAX_INSTALMENTS)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    start_on = DateField()


class ArrangementCreateSerializer(SchedulePreviewSerializer):
    account = account_field()
    missed_allowed = serializers.IntegerField(min_value=0, max_value=12, default=1)


class ScheduleLineSerializer(Serializer):
    sequence = serializers.IntegerField()
    due_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class SchedulePreviewResultSerializer(Serializer):
    currency = serializers.CharField()
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    instalments = ScheduleLineSerializer(many=True)


# "held" is the gate's to record, never a caller's.
LOGGABLE_OUTCOMES = [choice for choice in Outcome.choices if choice[0] != Outcome.HELD]


class ActivityCreateSerializer(Serializer):
    account = account_field()
    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=LOGGABLE_OUTCOMES)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTBOUND)
    to = serializers.CharField(
        max_length=254, required=False, allow_blank=True, default="", help_text="The number or address used."
    )
    contact_point = IdField(queryset=ContactPoint.objects.all(), required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    duration_seconds = serializers.IntegerField(
        min_value=0, max_value=86400, required=False, allow_null=True, default=None
    )
    at = DateTimeField(required=False, allow_null=True, default=None, help_text="When it happened; defaults to now.")
    automated = serializers.BooleanField(default=False, help_text="Placed by a dialer or sent by a system.")
    purpose = serializers.ChoiceField(choices=[(p, p) for p in PURPOSES], default="collection")

    def validate(self, attrs):
        point = attrs.get("contact_point")
        if point is not None and point.debtor_id != attrs["account"].debtor_id:
            raise serializers.ValidationError(
                {"contact_point": ["No such number or address for this account's debtor."]}, code="does_not_exist"
            )
        return attrs


class DisputeCreateSerializer(Serializer):
    account = account_field()
    reason = serializers.CharField(max_length=5000)
    in_writing = serializers.BooleanField(default=False)


class DisputeResolveSerializer(Serializer):
    outcome = serializers.ChoiceField(choices=DisputeOutcome.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class AssignSerializer(Serializer):
    account = account_field()
    collector = ScopedPrimaryKeyField(
        collectors_assignable_by, User, allow_null=True, help_text="A collector's user id; null to unassign."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BulkAssignSerializer(Serializer):
    accounts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=10000,
        help_text="Account ids; or give `filter` instead.",
    )
    filter = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        help_text="The account list's filters (q, bucket, creditor, segment, status): every account they match.",
    )
    collectors = serializers.ListField(
        child=ScopedPrimaryKeyField(collectors_assignable_by, User),
        min_length=1,
        max_length=500,
        help_text="Collectors' user ids; the accounts are spread over them in turn.",
    )

    def validate(self, attrs):
        if ("accounts" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError("Give either `accounts` (ids) or `filter`.", code="accounts_or_filter")
        return attrs


class BulkAssignResultSerializer(Serializer):
    moved = serializers.IntegerField()


class DunningStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningStage
        fields = [
            "id",
            "position",
            "name",
            "trigger_kind",
            "trigger_days",
            "channel",
            "template",
            "min_balance",
            "active",
        ]


class DunningPolicySerializer(serializers.ModelSerializer):
    stages = DunningStageSerializer(many=True, read_only=True)

    class Meta:
        model = DunningPolicy
        fields = [
            "id",
            "name",
            "active",
            "priority",
            "creditor",
            "segment",
            "currency",
            "min_balance",
            "max_balance",
            "stop_on_payment",
            "pause_on_promise",
            "pause_on_arrangement",
            "pause_on_dispute",
            "pause_on_hold",
            "stages",
        ]


class DunningReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningReminder
        fields = [
            "id",
            "account",
            "policy",
            "stage",
            "cycle",
            "channel",
            "state",
            "planned_on",
            "send_after",
            "attempts",
            "done_at",
            "to",
            "reasons",
        ]
