"""HTML pages of the collections domain: the account list, the account page and the work queue."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from ..filters import AccountFilter
from ..selectors import account_list_for
from .account_actions import account_action, account_detail, arrangement_preview
from .queue import queue, queue_next

__all__ = ["account_action", "account_detail", "account_list", "arrangement_preview", "queue", "queue_next"]

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
