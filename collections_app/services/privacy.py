"""A debtor's personal data: export everything we hold (right of access) and erase it where the law allows.

Erasure pseudonymises the person and keeps the ledger and the account structure, so balances,
KPIs and reconcile_ledger are the same before and after. See docs/PRIVACY.md.
"""

import datetime
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from compliance.audit import audit_record
from compliance.models import AccountCompliance, Hold, HoldReason
from compliance.services import export_record

from ..errors import DomainError
from ..models import (
    Account,
    Activity,
    Address,
    ContactPoint,
    Debtor,
    Dispute,
    DunningReminder,
    Invoice,
    LedgerEntry,
    Promise,
)

EXPORT_FORMAT = "collections.personal-data.v1"
# Staff on the rows are our employees' data, not the debtor's: left out of the export.
STAFF_FIELDS = {"created_by", "placed_by", "released_by", "opened_by", "user", "assigned_to", "assigned_by"}
# What erasure leaves in place, in words for the confirmation page and the docs.
KEPT = [
    "Accounts (reference, creditor, currency, dates, status, balance) and their assignment history.",
    "Invoices, ledger entries (payments, reversals, adjustments, with their notes) and allocations: the ledger "
    "cannot be edited, and KPIs and reconciliation depend on it.",
    "Promises, arrangements and instalments (amounts, dates, status), disputes and holds (dates and outcomes), "
    "contact activities (channel, outcome, time) and dunning reminders (stage, state, dates): the figures "
    "and the compliance record, without the personal details.",
    "The audit log: it is append-only; its events keep what they recorded at the time until the audit "
    "retention purge removes them.",
]
ERASED = [
    "The debtor's name (becomes “Erased debtor #id”), reference, region, time zone and language.",
    "Every phone number and email address, with its consent and opt-out record.",
    "Every postal address.",
    "Free text written about the person: notes on contacts, dispute reasons and resolution notes, hold notes, "
    "promise notes.",
    "The number or address each contact and reminder went to, and the reminders' subjects and bodies.",
]


def pseudonym(debtor: Debtor) -> str:
    return f"Erased debtor #{debtor.pk}"


def debtor_is_erased(debtor: Debtor) -> bool:
    return debtor.name == pseudonym(debtor)


def _row(obj, exclude=()) -> dict:
    """An object's stored fields (foreign keys as ids), without staff references."""
    skip = STAFF_FIELDS | set(exclude)
    return {
        field.attname if field.is_relation else field.name: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if field.name not in skip
    }


def _jsonable(document: dict) -> dict:
    return json.loads(json.dumps(document, cls=DjangoJSONEncoder))


def _holds_of(debtor: Debtor, account_ids: list[int]):
    return Hold.objects.filter(Q(debtor=debtor) | Q(account_id__in=account_ids))


def debtor_export(*, debtor: Debtor, by=None) -> dict:
    """Everything we hold about one debtor as a JSON-ready document; the export is audited."""
    accounts = list(
        Account.objects.filter(debtor=debtor)
        .select_related("creditor")
        .prefetch_related("arrangements__instalments")
        .order_by("id")
    )
    ids = [account.pk for account in accounts]

    def by_account(queryset):
        grouped: dict[int, list[dict]] = {pk: [] for pk in ids}
        for obj in queryset:
            grouped[obj.account_id].append(_row(obj, exclude=["account"]))
        return grouped

    invoices = by_account(Invoice.objects.filter(account_id__in=ids).order_by("due_on", "id"))
    entries = by_account(LedgerEntry.objects.filter(account_id__in=ids).order_by("posted_on", "id"))
    promises = by_account(Promise.objects.filter(account_id__in=ids).order_by("created_on", "id"))
    disputes = by_account(Dispute.objects.filter(account_id__in=ids).order_by("opened_at", "id"))
    activities = by_account(Activity.objects.filter(account_id__in=ids).order_by("occurred_at", "id"))
    reminders = by_account(DunningReminder.objects.filter(account_id__in=ids).order_by("planned_on", "id"))
    profiles = {
        p.account_id: _row(p, exclude=["account"]) for p in AccountCompliance.objects.filter(account_id__in=ids)
    }
    holds = list(_holds_of(debtor, ids).order_by("starts_at", "id"))
    points = list(ContactPoint.objects.filter(debtor=debtor).order_by("id"))

    document = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "debtor": _row(debtor),
        "contact_points": [_row(p, exclude=["debtor"]) for p in points],
        "consents_and_opt_outs": [
            {
                "contact": p.value,
                "consent_autodial": p.consent_autodial,
                "consent_recorded_at": p.consent_recorded_at,
                "opted_out": p.opted_out,
                "opted_out_at": p.opted_out_at,
            }
            for p in points
        ],
        "addresses": [_row(a, exclude=["debtor"]) for a in Address.objects.filter(debtor=debtor).order_by("id")],
        "holds_on_debtor": [_row(h, exclude=["debtor"]) for h in holds if h.account_id is None],
        "accounts": [
            {
                **_row(account, exclude=["debtor"]),
                "creditor": account.creditor.name,
                "compliance": profiles.get(account.pk),
                "invoices": invoices[account.pk],
                "ledger_entries": entries[account.pk],
                "promises": promises[account.pk],
                "arrangements": [
                    {
                        **_row(arrangement, exclude=["account"]),
                        "instalments": [_row(i, exclude=["arrangement"]) for i in arrangement.instalments.all()],
                    }
                    for arrangement in sorted(account.arrangements.all(), key=lambda a: a.pk)
                ],
                "disputes": disputes[account.pk],
                "holds": [_row(h, exclude=["account", "debtor"]) for h in holds if h.account_id == account.pk],
                "activities": activities[account.pk],
                "dunning_reminders": reminders[account.pk],
            }
            for account in accounts
        ],
    }
    document = _jsonable(document)
    export_record(
        user=by,
        what=f"personal data of debtor {debtor.pk}",
        rows=1 + len(points) + len(accounts),
        params={"debtor_id": debtor.pk, "accounts": ids},
    )
    return document


def debtor_export_json(*, debtor: Debtor, by=None) -> str:
    return json.dumps(debtor_export(debtor=debtor, by=by), indent=2, ensure_ascii=False) + "\n"


def _last_activity(account_ids: list[int]) -> datetime.date | None:
    """The latest ledger posting or contact on these accounts (business dates)."""
    posted = LedgerEntry.objects.filter(account_id__in=account_ids).aggregate(m=Max("posted_on"))["m"]
    contacted = Activity.objects.filter(account_id__in=account_ids).aggregate(m=Max("occurred_at"))["m"]
    dates = [d for d in (posted, contacted.date() if contacted else None) if d is not None]
    return max(dates) if dates else None


def erasure_blockers(*, debtor: Debtor, today: datetime.date | None = None) -> list[str]:
    """Why this debtor's personal data must be kept, in plain words; empty when erasure is allowed."""
    today = today or timezone.localdate()
    if debtor_is_erased(debtor):
        return ["This debtor's personal data has already been erased."]
    accounts = list(Account.objects.filter(debtor=debtor).order_by("id"))
    ids = [account.pk for account in accounts]
    reasons = []
    for account in accounts:
        if account.balance != 0:
            reasons.append(
                f"Account {account.external_id} still has a balance of {account.balance} {account.currency}: "
                "the debt and the person who owes it must be kept while it is open."
            )
        if account.unapplied_credit != 0:
            reasons.append(
                f"Account {account.external_id} holds {account.unapplied_credit} {account.currency} of unapplied "
                "credit: it is owed back to the debtor, so we must know who they are."
            )
    disputed = set()
    for dispute in Dispute.objects.filter(account_id__in=ids, resolved_at__isnull=True).select_related("account"):
        disputed.add(dispute.account_id)
        reasons.append(
            f"Account {dispute.account.external_id} has a dispute open since {dispute.opened_at:%d %b %Y}: "
            "resolve it first."
        )
    holds = _holds_of(debtor, ids).active(timezone.now()).select_related("account")
    # A dispute's own hold ends with the dispute, which is named above already.
    for hold in holds.exclude(reason=HoldReason.DISPUTE, account_id__in=disputed):
        where = f"account {hold.account.external_id}" if hold.account_id else "the debtor"
        reasons.append(
            f"A hold ({hold.get_reason_display().lower()}) is in force on {where} since {hold.starts_at:%d %b %Y}: "
            "the records behind it must be kept while it lasts."
        )
    last = _last_activity(ids)
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    if last is not None and (today - last).days < days:
        keep_until = last + datetime.timedelta(days=days)
        reasons.append(
            f"The last payment, charge or contact was on {last:%d %b %Y}; records are kept {days} days after "
            f"the last activity, so erasure is possible from {keep_until:%d %b %Y}."
        )
    return reasons


@transaction.atomic
def debtor_erase(*, debtor: Debtor, by=None, reason: str, today: datetime.date | None = None) -> dict:
    """Pseudonymise a debtor whose data no law requires us to keep; the ledger stays as it is.

    Returns how many rows of each kind were erased or blanked.
    """
    if not (reason or "").strip():
        raise DomainError(
            "Say why the personal data is erased (for example, the debtor's request).",
            code="reason_required",
            field="reason",
        )
    debtor = Debtor.objects.select_for_update().get(pk=debtor.pk)
    ids = list(Account.objects.select_for_update().filter(debtor=debtor).order_by("id").values_list("pk", flat=True))
    blockers = erasure_blockers(debtor=debtor, today=today)
    if blockers:
        raise DomainError(
            "The personal data cannot be erased: " + " ".join(blockers), code="erasure_refused", reasons=blockers
        )
    counts = {
        "contact_points": ContactPoint.objects.filter(debtor=debtor).delete()[0],
        "addresses": Address.objects.filter(debtor=debtor).delete()[0],
        "activities": Activity.objects.filter(Q(debtor=debtor) | Q(account_id__in=ids)).update(
            note="", to="", debtor_timezone="", debtor_region=""
        ),
        "disputes": Dispute.objects.filter(account_id__in=ids).update(reason="", resolution_note=""),
        "holds": _holds_of(debtor, ids).update(note=""),
        "promises": Promise.objects.filter(account_id__in=ids).update(note=""),
        "reminders": DunningReminder.objects.filter(account_id__in=ids).update(to="", subject="", body=""),
    }
    Debtor.objects.filter(pk=debtor.pk).update(
        name=pseudonym(debtor),
        external_id=f"erased-{debtor.pk}",
        region="",
        timezone="",
        timezone_source="",
        language="",
        updated_at=timezone.now(),
    )
    # Arrangements and instalments hold no free text; the ledger (invoices, entries, allocations) is kept whole.
    for account_id in ids or [None]:
        audit_record(
            action="debtor.erased",
            actor=by,
            obj=debtor,
            account_id=account_id,
            after={"debtor_id": debtor.pk, "erased": counts},
            detail=reason.strip(),
        )
    return counts
