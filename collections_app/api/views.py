"""Viewsets of the collections API. Each write parses its input, calls the service the pages call,
and answers with the resource; refusals are the services' DomainErrors (400 with their code)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from collections_app.filters import (
    AccountFilter,
    ActivityFilter,
    ArrangementFilter,
    AssignmentFilter,
    ContactPointFilter,
    CreditorFilter,
    DebtorFilter,
    DisputeFilter,
    DunningReminderFilter,
    IdFilter,
    InvoiceFilter,
    PaymentFilter,
    PromiseFilter,
)
from collections_app.models import (
    Account,
    Activity,
    Arrangement,
    Assignment,
    ContactPoint,
    Creditor,
    Debtor,
    Dispute,
    DunningPolicy,
    DunningReminder,
    EntryKind,
    Invoice,
    LedgerEntry,
    Promise,
)
from collections_app.services import activities as activity_services
from collections_app.services import assignments as assignment_services
from collections_app.services import ledger, parties, plans
from collections_app.services.placements import account_place
from config.api.idempotency import IDEMPOTENCY_PARAMETER
from config.api.permissions import ADMINS, MANAGERS, is_admin
from config.api.schema import error_example
from config.api.views import ApiViewSet

from . import serializers as s
from .scope import accounts_for, contact_points_visible_to, creditors_visible_to, debtors_visible_to

Read = (mixins.ListModelMixin, mixins.RetrieveModelMixin)


def _in_visible_accounts(queryset, user):
    """Rows of `queryset` on the user's accounts (an admin's: all, with no subquery)."""
    return queryset if is_admin(user) else queryset.filter(account__in=accounts_for(user))


class AccountApiFilter(AccountFilter):
    """The account list's FilterSet, less `ordering`: API pages run in id order, which keeps cursors
    stable; and `creditor` by id without telling whether that creditor exists."""

    creditor = IdFilter(field_name="creditor_id")


AccountApiFilter.base_filters.pop("ordering")


# --- parties -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List debtors", description="Debtors of the accounts you may see, newest first."),
    retrieve=extend_schema(summary="One debtor, with its numbers and addresses"),
    create=extend_schema(
        summary="Create a debtor (admin)",
        description="The time zone is derived from region and country when not given.",
        request=s.DebtorCreateSerializer,
        responses={201: s.DebtorSerializer},
        examples=[
            OpenApiExample(
                "A person in Massachusetts",
                value={"external_id": "D-1001", "name": "Dana Whitfield", "region": "MA", "country": "US"},
                request_only=True,
            ),
            error_example("invalid_timezone", "'Mars/Base' is not an IANA time zone.", "timezone"),
        ],
    ),
)
class DebtorViewSet(*Read, ApiViewSet):
    queryset = Debtor.objects.all()
    serializer_class = s.DebtorSerializer
    filterset_class = DebtorFilter
    action_roles = {"create": ADMINS}

    def scoped_queryset(self, user):
        return debtors_visible_to(user).prefetch_related("contact_points")

    def create(self, request):
        data = self.parse(s.DebtorCreateSerializer)
        debtor = parties.debtor_create(
            external_id=data["external_id"],
            name=data["name"],
            kind=data["kind"],
            timezone_name=data["timezone"],
            region=data["region"],
            country=data["country"],
            language=data["language"],
            created_by=request.user,
        )
        return self.respond(self.scoped_queryset(request.user).get(pk=debtor.pk), status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List contact points", description="Numbers and addresses of the debtors you may see."),
    retrieve=extend_schema(summary="One contact point"),
    create=extend_schema(
        summary="Add a number or an email address to a debtor",
        description="Phones are stored in E.164 with their time zones; emails lower-case.",
        request=s.ContactPointCreateSerializer,
        responses={201: s.ContactPointSerializer},
        examples=[
            OpenApiExample(
                "A mobile the debtor gave on a call",
                value={"debtor": 1, "kind": "phone", "value": "(617) 555-0142", "usage": "mobile", "source": "debtor"},
                request_only=True,
            ),
            error_example("duplicate_contact", "+16175550142 is already on file for this debtor.", "value"),
        ],
    ),
    opt_out=extend_schema(
        summary="Record an opt-out",
        description="The debtor asked us to stop texts or emails at this number or address (12 CFR 1006.6(e)).",
        request=s.NoteSerializer,
        responses={200: s.ContactPointSerializer},
    ),
)
class ContactPointViewSet(*Read, ApiViewSet):
    queryset = ContactPoint.objects.all()
    serializer_class = s.ContactPointSerializer
    filterset_class = ContactPointFilter

    def scoped_queryset(self, user):
        return contact_points_visible_to(user)

    def create(self, request):
        data = self.parse(s.ContactPointCreateSerializer)
        point = parties.contact_point_add(created_by=request.user, **data)
        return self.respond(point, status_code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="opt-out")
    def opt_out(self, request, pk=None):
        point = self.get_object()
        data = self.parse(s.NoteSerializer)
        point = activity_services.contact_point_opt_out(contact_point=point, user=request.user, note=data["note"])
        return self.respond(point)


@extend_schema_view(
    list=extend_schema(summary="List creditors", description="Creditors of the accounts you may see."),
    retrieve=extend_schema(summary="One creditor"),
    create=extend_schema(
        summary="Create a creditor (admin)",
        description="Returns the existing creditor when one of that name exists.",
        request=s.CreditorCreateSerializer,
        responses={201: s.CreditorSerializer},
        examples=[OpenApiExample("A client", value={"name": "Acme Lending"}, request_only=True)],
    ),
)
class CreditorViewSet(*Read, ApiViewSet):
    queryset = Creditor.objects.all()
    serializer_class = s.CreditorSerializer
    filterset_class = CreditorFilter
    action_roles = {"create": ADMINS}

    def scoped_queryset(self, user):
        return creditors_visible_to(user)

    def create(self, request):
        data = self.parse(s.CreditorCreateSerializer)
        return self.respond(parties.creditor_get_or_create(name=data["name"]), status_code=status.HTTP_201_CREATED)


# --- accounts and money --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List accounts",
        description="A collector's own accounts, a manager's teams' (and unassigned ones), an admin's all. "
        "Same filters as the account list page; pages by cursor, newest first.",
    ),
    retrieve=extend_schema(summary="One account"),
    create=extend_schema(
        summary="Place an account (admin)",
        description="A new receivable of a debtor for a creditor, as a line of accounts.csv. Its balance starts at "
        "zero: post its invoices next.",
        request=s.AccountCreateSerializer,
        responses={201: s.AccountSerializer},
        examples=[
            OpenApiExample(
                "A credit card placed with us",
                value={
                    "external_id": "ACC-20931",
                    "debtor": 1,
                    "creditor": "Acme Lending",
                    "currency": "USD",
                    "opened_on": "2024-03-01",
                    "placed_on": "2025-01-15",
                    "product": "card",
                    "segment": "retail",
                    "collector": 4,
                },
                request_only=True,
            ),
            error_example(
                "duplicate_external_id", "An account with external id ACC-20931 already exists.", "external_id"
            ),
        ],
    ),
)
class AccountViewSet(*Read, ApiViewSet):
    queryset = Account.objects.all()
    serializer_class = s.AccountSerializer
    filterset_class = AccountApiFilter
    action_roles = {"create": ADMINS}

    def scoped_queryset(self, user):
        return accounts_for(user).select_related("debtor", "creditor", "assigned_to")

    def create(self, request):
        data = self.parse(s.AccountCreateSerializer)
        creditor = parties.creditor_get_or_create(name=data.pop("creditor"))
        account = account_place(creditor=creditor, created_by=request.user, **data)
        return self.respond(self.get_queryset().get(pk=account.pk), status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List invoices", description="Invoices of the accounts you may see."),
    retrieve=extend_schema(summary="One invoice"),
    create=extend_schema(
        summary="Raise an invoice (admin)",
        description="Posts its charge to the ledger; stored credit on the account is applied to it at once. "
        "The same external id with the same figures returns the first invoice.",
        request=s.InvoiceCreateSerializer,
        responses={201: s.InvoiceSerializer},
        examples=[
            OpenApiExample(
                "An unpaid statement",
                value={
                    "account": 1,
                    "amount": "1250.00",
                    "issued_on": "2025-01-01",
                    "due_on": "2025-01-31",
                    "external_id": "INV-778",
                },
                request_only=True,
            ),
            error_example("invalid_date", "The due date cannot be before the issue date.", "due_on"),
        ],
    ),
)
class InvoiceViewSet(*Read, ApiViewSet):
    queryset = Invoice.objects.all()
    serializer_class = s.InvoiceSerializer
    filterset_class = InvoiceFilter
    action_roles = {"create": ADMINS}

    def scoped_queryset(self, user):
        return _in_visible_accounts(Invoice.objects.all(), user)

    def create(self, request):
        data = self.parse(s.InvoiceCreateSerializer)
        invoice = ledger.invoice_create(
            account=data["account"],
            amount=data["amount"],
            issued_on=data["issued_on"],
            due_on=data["due_on"],
            external_id=data["external_id"] or None,
            description=data["description"],
            created_by=request.user,
        )
        return self.respond(invoice, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List payments", description="Payments received on the accounts you may see."),
    retrieve=extend_schema(summary="One payment"),
    create=extend_schema(
        summary="Post a payment",
        description="Allocated to the named invoice, then oldest due first; promises and arrangements are judged "
        "at once. Send an `Idempotency-Key` so a retry never posts twice; your own `external_id` also "
        "makes a repost return the first payment.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=s.PaymentCreateSerializer,
        responses={201: s.PaymentSerializer},
        examples=[
            OpenApiExample(
                "A card payment from the portal",
                value={
                    "account": 1,
                    "amount": "125.50",
                    "received_on": "2025-02-03",
                    "method": "card",
                    "external_id": "PORTAL-99812",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Posted",
                value={
                    "id": 311,
                    "account": 1,
                    "amount": "125.50",
                    "received_on": "2025-02-03",
                    "method": "card",
                    "external_id": "PORTAL-99812",
                    "invoice": None,
                    "note": "",
                    "reversed_by": None,
                    "created_at": "2025-02-03T14:02:11.120Z",
                },
                response_only=True,
                status_codes=["201"],
            ),
            error_example("future_date", "The date cannot be in the future.", "posted_on"),
            error_example(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with another request: use a new key for a new action.",
                status_code="422",
            ),
        ],
    ),
    reverse=extend_schema(
        summary="Reverse a payment (manager, admin)",
        description="A returned payment or a bounced cheque: posts a reversing entry that reopens exactly the "
        "invoices the payment had paid.",
        request=s.ReverseSerializer,
        responses={201: s.EntrySerializer},
        examples=[
            OpenApiExample("A bounced cheque", value={"reason": "Cheque returned unpaid (NSF)"}, request_only=True),
            error_example("already_reversed", "This entry has already been reversed."),
        ],
    ),
)
class PaymentViewSet(*Read, ApiViewSet):
    queryset = LedgerEntry.objects.all()
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilter
    action_roles = {"reverse": MANAGERS}
    idempotent_actions = ("create",)

    def scoped_queryset(self, user):
        payments = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).select_related("reversed_by")
        return _in_visible_accounts(payments, user)

    def create(self, request):
        return self.idempotent(self._post)

    def _post(self):
        data = self.parse(s.PaymentCreateSerializer)  # locks the account (run_idempotent's transaction)
        entry = ledger.payment_post(
            account=data["account"],
            amount=data["amount"],
            received_on=data["received_on"],
            method=data["method"],
            external_id=data["external_id"] or None,
            invoice=data["invoice"],
            note=data["note"],
            created_by=self.request.user,
            locked=True,
        )
        # Answered from the entry itself: a payment on an account in scope, its reversal already read.
        return self.respond(entry, status_code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        data = self.parse(s.ReverseSerializer)
        reversal = ledger.entry_reverse(
            entry=payment, reason=data["reason"], posted_on=data["posted_on"], created_by=request.user
        )
        return self.respond(reversal, s.EntrySerializer, status.HTTP_201_CREATED)


# --- plans ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List promises to pay"),
    retrieve=extend_schema(summary="One promise"),
    create=extend_schema(
        summary="Record a promise to pay",
        description="At most one pending promise per account, within 90 days and the balance.",
        request=s.PromiseCreateSerializer,
        responses={201: s.PromiseSerializer},
        examples=[
            OpenApiExample(
                "Promised on a call",
                value={"account": 1, "amount": "200.00", "due_on": "2025-02-14"},
                request_only=True,
            ),
            error_example(
                "promise_pending", "This account already has a pending promise: record the outcome of that one first."
            ),
        ],
    ),
)
class PromiseViewSet(*Read, ApiViewSet):
    queryset = Promise.objects.all()
    serializer_class = s.PromiseSerializer
    filterset_class = PromiseFilter

    def scoped_queryset(self, user):
        return _in_visible_accounts(Promise.objects.all(), user)

    def create(self, request):
        data = self.parse(s.PromiseCreateSerializer)
        promise = plans.promise_create(created_by=request.user, **data)
        return self.respond(promise, status_code=status.HTTP_201_CREATED)


_ARRANGEMENT_EXAMPLE = {
    "account": 1,
    "total_amount": "900.00",
    "count": 6,
    "frequency": "monthly",
    "start_on": "2025-03-01",
}


@extend_schema_view(
    list=extend_schema(summary="List payment arrangements"),
    retrieve=extend_schema(summary="One arrangement, with its instalments"),
    create=extend_schema(
        summary="Set up a payment arrangement",
        description="Equal instalments (the rounding difference on the last), at most one active per account.",
        request=s.ArrangementCreateSerializer,
        responses={201: s.ArrangementSerializer},
        examples=[
            OpenApiExample("Six monthly instalments", value=_ARRANGEMENT_EXAMPLE, request_only=True),
            error_example("arrangement_active", "This account already has an active arrangement: cancel it first."),
        ],
    ),
    preview=extend_schema(
        summary="Preview an arrangement's schedule",
        description="The instalments an arrangement with these terms would have; nothing is saved.",
        request=s.SchedulePreviewSerializer,
        responses={200: s.SchedulePreviewResultSerializer},
        examples=[
            OpenApiExample("Six monthly instalments", value=_ARRANGEMENT_EXAMPLE, request_only=True),
            OpenApiExample(
                "The schedule",
                value={
                    "currency": "USD",
                    "total_amount": "100.00",
                    "instalments": [
                        {"sequence": 1, "due_on": "2025-03-01", "amount": "33.33"},
                        {"sequence": 2, "due_on": "2025-04-01", "amount": "33.33"},
                        {"sequence": 3, "due_on": "2025-05-01", "amount": "33.34"},
                    ],
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    ),
    cancel=extend_schema(
        summary="Cancel an active arrangement", request=None, responses={200: s.ArrangementSerializer}
    ),
)
class ArrangementViewSet(*Read, ApiViewSet):
    queryset = Arrangement.objects.all()
    serializer_class = s.ArrangementSerializer
    filterset_class = ArrangementFilter

    def scoped_queryset(self, user):
        return _in_visible_accounts(Arrangement.objects.prefetch_related("instalments"), user)

    def create(self, request):
        data = self.parse(s.ArrangementCreateSerializer)
        arrangement = plans.arrangement_create(created_by=request.user, **data)
        return self.respond(self.get_queryset().get(pk=arrangement.pk), status_code=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"])
    def preview(self, request):
        data = self.parse(s.SchedulePreviewSerializer)
        currency = data["account"].currency
        schedule = plans.arrangement_schedule(
            total=data["total_amount"],
            count=data["count"],
            frequency=data["frequency"],
            start_on=data["start_on"],
            currency=currency,
        )
        result = {
            "currency": currency,
            "total_amount": data["total_amount"],
            "instalments": [
                {"sequence": i, "due_on": due_on, "amount": amount} for i, (due_on, amount) in enumerate(schedule, 1)
            ],
        }
        return self.respond(result, s.SchedulePreviewResultSerializer)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        arrangement = self.get_object()
        plans.arrangement_cancel(arrangement=arrangement, cancelled_by=request.user)
        return self.respond(self.get_queryset().get(pk=arrangement.pk))


# --- contacts and disputes -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List activities", description="The contact log of the accounts you may see."),
    retrieve=extend_schema(summary="One activity"),
    create=extend_schema(
        summary="Log a contact and its outcome",
        description="An outbound contact must pass the contact gate (calling hours, call caps, holds, opt-outs, "
        "consent). A refused contact is recorded as held, with the gate's reasons, and answered 400 "
        "`contact_refused` with the reasons in words. Send an `Idempotency-Key` so a dialer's retry "
        "never logs twice.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=s.ActivityCreateSerializer,
        responses={201: s.ActivitySerializer},
        examples=[
            OpenApiExample(
                "A dialer reports a voicemail",
                value={
                    "account": 1,
                    "channel": "call",
                    "outcome": "voicemail",
                    "to": "+16175550142",
                    "automated": True,
                    "at": "2025-02-03T15:04:05Z",
                },
                request_only=True,
            ),
            error_example("contact_refused", "Calling hours in America/Denver start at 8:00 — in 42 minutes."),
        ],
    ),
)
class ActivityViewSet(*Read, ApiViewSet):
    queryset = Activity.objects.all()
    serializer_class = s.ActivitySerializer
    filterset_class = ActivityFilter
    idempotent_actions = ("create",)

    def scoped_queryset(self, user):
        return _in_visible_accounts(Activity.objects.select_related("user"), user)

    def create(self, request):
        return self.idempotent(self._log)

    def _log(self):
        data = self.parse(s.ActivityCreateSerializer)
        activity = activity_services.activity_log(
            account=data["account"],
            channel=data["channel"],
            outcome=data["outcome"],
            user=self.request.user,
            to=data["to"],
            contact_point=data["contact_point"],
            note=data["note"],
            duration_seconds=data["duration_seconds"],
            at=data["at"] or timezone.now(),
            direction=data["direction"],
            automated=data["automated"],
            purpose=data["purpose"],
        )
        return self.respond(activity, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List disputes"),
    retrieve=extend_schema(summary="One dispute"),
    create=extend_schema(
        summary="Open a dispute",
        description="Inside the validation period it holds collection on the debt until verification is sent.",
        request=s.DisputeCreateSerializer,
        responses={201: s.DisputeSerializer},
        examples=[
            OpenApiExample(
                "Disputed in writing",
                value={"account": 1, "reason": "Says the balance was paid in 2023", "in_writing": True},
                request_only=True,
            )
        ],
    ),
    resolve=extend_schema(
        summary="Resolve a dispute (manager, admin)",
        description="Verification sent, corrected or withdrawn: the dispute's hold is released and collection resumes.",
        request=s.DisputeResolveSerializer,
        responses={200: s.DisputeSerializer},
        examples=[
            OpenApiExample("Verified", value={"outcome": "verified", "note": "Statement sent"}, request_only=True),
            error_example("dispute_resolved", "This dispute is already resolved."),
        ],
    ),
)
class DisputeViewSet(*Read, ApiViewSet):
    queryset = Dispute.objects.all()
    serializer_class = s.DisputeSerializer
    filterset_class = DisputeFilter
    action_roles = {"resolve": MANAGERS}

    def scoped_queryset(self, user):
        return _in_visible_accounts(Dispute.objects.all(), user)

    def create(self, request):
        data = self.parse(s.DisputeCreateSerializer)
        dispute = activity_services.dispute_open(user=request.user, **data)
        return self.respond(dispute, status_code=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        dispute = self.get_object()
        data = self.parse(s.DisputeResolveSerializer)
        dispute = activity_services.dispute_resolve(
            dispute=dispute, outcome=data["outcome"], note=data["note"], user=request.user
        )
        return self.respond(dispute)


# --- assignments ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Assignment history", description="Who held each account you may see, from when to when."
    ),
    retrieve=extend_schema(summary="One assignment"),
    create=extend_schema(
        summary="Assign an account (manager, admin)",
        description="Gives the account to a collector (a manager: one of their teams'), or unassigns it with "
        "`collector: null`. Answers with the account.",
        request=s.AssignSerializer,
        responses={200: s.AccountSerializer},
        examples=[
            OpenApiExample(
                "To a collector", value={"account": 1, "collector": 4, "note": "Spanish speaker"}, request_only=True
            ),
            error_example("not_a_collector", "mgr is not an active collector.", "collector"),
        ],
    ),
    bulk=extend_schema(
        summary="Assign many accounts (manager, admin)",
        description="Spreads the accounts (by ids, or every account a filter matches) over the collectors in turn.",
        request=s.BulkAssignSerializer,
        responses={200: s.BulkAssignResultSerializer},
        examples=[
            OpenApiExample(
                "Every 91-120 account of a creditor",
                value={"filter": {"bucket": "91-120", "creditor": "2"}, "collectors": [4, 5]},
                request_only=True,
            ),
            OpenApiExample("By ids", value={"accounts": [1, 2, 3], "collectors": [4]}, request_only=True),
        ],
    ),
)
class AssignmentViewSet(*Read, ApiViewSet):
    queryset = Assignment.objects.all()
    serializer_class = s.AssignmentSerializer
    filterset_class = AssignmentFilter
    action_roles = {"create": MANAGERS, "bulk": MANAGERS}

    def scoped_queryset(self, user):
        return _in_visible_accounts(Assignment.objects.select_related("collector", "assigned_by"), user)

    def create(self, request):
        data = self.parse(s.AssignSerializer)
        account = assignment_services.account_assign(
            account=data["account"], collector=data["collector"], note=data["note"], assigned_by=request.user
        )
        account = Account.objects.select_related("debtor", "creditor", "assigned_to").get(pk=account.pk)
        return self.respond(account, s.AccountSerializer)

    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = self.parse(s.BulkAssignSerializer)
        accounts = accounts_for(request.user)
        if "accounts" in data:
            accounts = accounts.filter(pk__in=data["accounts"])
        else:
            filterset = AccountApiFilter(data["filter"], queryset=accounts)
            if not filterset.is_valid():
                raise ValidationError({"filter": filterset.errors})
            accounts = filterset.qs
        # The service locks and orders the ids itself; a plain id set keeps its statement simple.
        ids = Account.objects.filter(pk__in=accounts.values("pk"))
        moved = assignment_services.accounts_assign_bulk(
            accounts=ids, collectors=data["collectors"], assigned_by=request.user
        )
        return self.respond({"moved": moved}, s.BulkAssignResultSerializer)


# --- dunning (read) ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List dunning policies", description="Policies with their stages (managers and admins)."
    ),
    retrieve=extend_schema(summary="One dunning policy"),
)
class DunningPolicyViewSet(*Read, ApiViewSet):
    queryset = DunningPolicy.objects.all()
    serializer_class = s.DunningPolicySerializer
    default_roles = MANAGERS

    def scoped_queryset(self, user):
        return DunningPolicy.objects.prefetch_related("stages")


@extend_schema_view(
    list=extend_schema(
        summary="List dunning reminders",
        description="Reminders on the caller's accounts: planned, sent, held back by the contact rules (with the "
        "reasons), cancelled or failed.",
    ),
    retrieve=extend_schema(summary="One dunning reminder"),
)
class DunningReminderViewSet(*Read, ApiViewSet):
    queryset = DunningReminder.objects.all()
    serializer_class = s.DunningReminderSerializer
    filterset_class = DunningReminderFilter

    def scoped_queryset(self, user):
        return _in_visible_accounts(DunningReminder.objects.all(), user)
