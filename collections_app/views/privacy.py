"""Admin pages for one debtor's personal data: download everything we hold, and erase it where allowed."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required

from ..errors import DomainError
from ..models import Debtor
from ..services.privacy import ERASED, KEPT, debtor_export_json, erasure_blockers
from ..services.privacy import debtor_erase as erase


def _page(request, debtor: Debtor, template: str, status: int = 200, **extra):
    return render(
        request,
        f"collections_app/privacy/{template}",
        {
            "debtor": debtor,
            "accounts": debtor.accounts.select_related("creditor").order_by("id"),
            "blockers": erasure_blockers(debtor=debtor),
            "erased": ERASED,
            "kept": KEPT,
            **extra,
        },
        status=status,
    )


@require_GET
@role_required(Role.ADMIN)
def debtor_privacy(request, pk: int):
    return _page(request, get_object_or_404(Debtor, pk=pk), "debtor.html")


@require_POST
@role_required(Role.ADMIN)
def debtor_export(request, pk: int):
    """POST, not a link: each download is an audited disclosure of personal data."""
    debtor = get_object_or_404(Debtor, pk=pk)
    response = HttpResponse(debtor_export_json(debtor=debtor, by=request.user), content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="debtor-{debtor.pk}-personal-data-{stamp}.json"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def debtor_erase(request, pk: int):
    """GET: what would be erased and kept, and the reason to give; POST: erase."""
    debtor = get_object_or_404(Debtor, pk=pk)
    if request.method == "GET":
        return _page(request, debtor, "erase.html")
    reason = request.POST.get("reason", "").strip()
    try:
        erase(debtor=debtor, by=request.user, reason=reason)
    except DomainError as exc:
        return _page(request, debtor, "erase.html", status=422, error=exc.message, reason=reason)
    messages.success(request, f"Personal data of debtor {debtor.pk} erased. The ledger and the accounts are kept.")
    return redirect("debtor_privacy", pk=debtor.pk)
