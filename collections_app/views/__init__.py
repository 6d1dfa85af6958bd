"""HTML pages of the collections domain: account lists, the account page and its actions."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from ..filters import AccountFilter
from ..selectors import account_aging, account_for_user, account_list_for, account_timeline

PAGE_SIZE = 50


@login_required
def account_list(request):
    """Accounts the user may see, with search, filters, sorting and pagination."""
    filterset = AccountFilter(
        request.GET, queryset=account_list_for(user=request.user).order_by("oldest_open_due_on", "id")
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "collections_app/account_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


@login_required
def account_detail(request, pk: int):
    account = account_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    context = {
        "account": account,
        "debtor": account.debtor,
        "contact_points": list(account.debtor.contact_points.all()),
        "addresses": list(account.debtor.addresses.all()),
        "aging": account_aging(account=account, on=today),
        "open_invoices": list(account.invoices.filter(open_amount__gt=0).order_by("due_on", "issued_on", "id")[:50]),
        "entries": list(account.entries.select_related("invoice").order_by("-posted_on", "-id")[:50]),
        "timeline": account_timeline(account=account),
        "promise": account.promises.filter(status="pending").first(),
        "arrangement": account.arrangements.filter(status="active").prefetch_related("instalments").first(),
        "open_disputes": list(account.disputes.filter(resolved_at__isnull=True)),
        "today": today,
    }
    return render(request, "collections_app/account_detail.html", context)
