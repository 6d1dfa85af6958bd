"""HTML pages of the collections domain: the account list and the account page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from ..filters import AccountFilter
from ..selectors import account_for_user, account_list_for, account_page

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
    context = account_page(account=account, on=timezone.localdate())
    return render(request, "collections_app/account_detail.html", context)
