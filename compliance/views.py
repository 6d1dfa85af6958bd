"""The compliance page for managers and admins, and one account's audit trail (HTML or CSV)."""

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import role_required

from . import selectors
from .exports import AUDIT_COLUMNS, audit_trail_rows, csv_lines
from .gate import REASON_LABELS
from .services import export_record


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
        rows = audit_trail_rows(events.iterator(chunk_size=1000))
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
