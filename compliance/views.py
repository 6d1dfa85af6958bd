"""The compliance page for managers and admins, and one account's audit trail (HTML or CSV)."""

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import role_required

from . import selectors
from .exports import csv_lines
from .services import export_record

REASON_LABELS = {
    "outside_hours": "Outside calling hours",
    "no_common_hours": "No hour suits every possible zone",
    "weekly_cap": "7 calls in 7 days reached",
    "after_conversation": "Within 7 days of a conversation",
    "state_cap": "State limit reached",
    "cease": "Cease communication",
    "dispute_pending": "Dispute awaiting verification",
    "opt_out": "Opted out",
    "work_email": "Work email",
    "bankruptcy": "Bankruptcy",
    "deceased": "Deceased",
    "attorney": "Represented by an attorney",
    "no_consent": "No consent for texts or autodialing",
    "hold": "On hold",
    "no_address": "No number or address",
}

AUDIT_COLUMNS = ["at", "action", "actor", "object_type", "object_id", "detail", "before", "after"]


@role_required(Role.MANAGER, Role.ADMIN)
def overview(request):
    user = request.user
    refusals = [
        {"code": code, "label": REASON_LABELS.get(code, code), "count": count}
        for code, count in selectors.refusals_by_reason(user=user)
    ]
    holds = list(selectors.holds_active_for(user=user)[:200])
    endings = list(selectors.validation_periods_ending(user=user)[:200])
    return render(
        request,
        "compliance/overview.html",
        {
            "refusals": refusals,
            "refused_total": sum(r["count"] for r in refusals),
            "holds": holds,
            "endings": endings,
            "today": timezone.localdate(),
        },
    )


@role_required(Role.MANAGER, Role.ADMIN)
def account_audit(request):
    external_id = request.GET.get("account", "").strip()
    account = selectors.account_for_audit(user=request.user, external_id=external_id) if external_id else None
    if account is None:
        return render(
            request,
            "compliance/audit_trail.html",
            {"external_id": external_id, "account": None},
            status=404 if external_id else 200,
        )
    events = selectors.audit_trail(account=account)
    if request.GET.get("format") == "csv":
        export_record(
            user=request.user,
            what=f"audit trail of account {account.external_id}",
            rows=events.count(),
            account_id=account.pk,
        )
        rows = (
            [
                e.at.isoformat(),
                e.action,
                e.actor.username if e.actor else "",
                e.object_type,
                e.object_id,
                e.detail,
                e.before,
                e.after,
            ]
            for e in events.iterator(chunk_size=1000)
        )
        response = StreamingHttpResponse(csv_lines(AUDIT_COLUMNS, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{account.pk}.csv"'
        return response
    return render(
        request,
        "compliance/audit_trail.html",
        {
            "external_id": external_id,
            "account": account,
            "events": events[:1000],
        },
    )
