"""My queue and Next account: the collector's list of callable accounts and the button that opens the best one.

Reads come from `collections_app.queue` (ordering, the gate's set rules, the exact gate for the
next account); this module only pages, filters, words and remembers what it served.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Role

from ..filters import AccountFilter
from ..queue import (
    next_account,
    progress_today,
    queue_accounts,
    queue_not_now,
    queue_pages,
    queue_ready_page,
    why_not_now,
)
from .wording import debtor_zone, opening, why_verdict

PAGE_SIZE = 50
# "Next account" does not serve an account again within this time unless asked to start over,
# so a collector who skips one without logging anything moves on instead of looping.
SERVED_MINUTES = 30
SERVED_KEY = "queue_served"
# Held-back accounts looked at to say when the next one opens.
OPENING_LOOKAHEAD = 200
FILTER_FIELDS = ("q", "bucket", "creditor", "segment", "status")


def _collector_only(user) -> None:
    if user.role != Role.COLLECTOR:
        raise PermissionDenied("My queue and Next account are for collectors: you have no accounts to call.")


def _served(session, now: datetime.datetime) -> dict[str, float]:
    """Ids served recently (as strings, JSON keys) with when, pruned to the last SERVED_MINUTES."""
    cutoff = now.timestamp() - SERVED_MINUTES * 60
    return {k: v for k, v in (session.get(SERVED_KEY) or {}).items() if isinstance(v, int | float) and v >= cutoff}


def next_opening(*, user, now: datetime.datetime, queryset=None) -> tuple[datetime.datetime, str] | None:
    """When the first held-back account becomes callable (a moment, and the zone to say it in)."""
    held = list(queue_not_now(user=user, now=now, queryset=queryset).select_related("debtor")[:OPENING_LOOKAHEAD])
    best = None
    answers = why_not_now(held, now=now) if held else {}
    for account in held:
        why = answers[account.pk]
        until = why.until
        if until is None:
            continue
        if not isinstance(until, datetime.datetime):
            until = timezone.make_aware(datetime.datetime.combine(until, datetime.time(0)))
        if until <= now:
            continue
        if best is None or until < best[0]:
            zones = why.decision.zones if why.decision is not None else ()
            best = (until, debtor_zone(account.debtor, zones))
    return best


def _filterset(request) -> AccountFilter:
    filterset = AccountFilter(request.GET, queryset=queue_accounts(user=request.user))
    bucket = filterset.form.fields["bucket"]
    bucket.widget.choices = [("", "Any aging"), *[c for c in bucket.choices if c[0]]]
    return filterset


def _narrowed(request, filterset: AccountFilter):
    """The filter's queryset when any of its filters is given, else None: the whole queue, ranked from the
    collector's own index (see queue._base_sql) instead of joined against an unfiltered copy of itself."""
    given = any(request.GET.get(name) for name in filterset.filters if name != "ordering")
    return filterset.qs if given else None


def _query(request) -> str:
    """The filters of this request as a query string, without the page numbers and the held-back switch."""
    query = request.GET.copy()
    for key in ("page", "held_page", "held"):
        query.pop(key, None)
    return query.urlencode()


def held_context(request, *, queryset, now: datetime.datetime) -> dict:
    """The held-back section: both lists' counts and one page of held-back accounts with why and until when.

    It judges every account of the queue, so the page asks for it only when the collector looks
    (htmx, when the section scrolls into view; without JavaScript, by a link).
    """
    ready, held = queue_pages(
        user=request.user, now=now, queryset=queryset, held_page=request.GET.get("held_page"), size=PAGE_SIZE
    )
    held_rows = list(held.object_list)
    answers = why_not_now(held_rows, now=now) if held_rows else {}
    rows = []
    for account in held_rows:
        why = answers[account.pk]
        zones = why.decision.zones if why.decision is not None else ()
        zone = debtor_zone(account.debtor, zones)
        rows.append({"account": account, "verdict": why_verdict(why, account, zone=zone, now=now)})
    return {"held_loaded": True, "ready_count": ready.paginator.count, "held": held, "held_rows": rows}


def _filtering(request, now: datetime.datetime) -> tuple[AccountFilter, QuerySet | None, dict]:
    """The request's filters, the queryset they narrow the queue to (None: the whole queue), and what the
    page and its held-back section both show of them."""
    filterset = _filterset(request)
    shown = {
        "filtered_by": any(request.GET.get(name) for name in FILTER_FIELDS),
        "query": _query(request),
        "today": timezone.localdate(now),
    }
    return filterset, _narrowed(request, filterset), shown


def queue_context(request) -> dict:
    """The queue page's context: a page of the ready list, the day's figures and, when asked, the held-back list."""
    user, now = request.user, timezone.now()
    filterset, filtered, shown = _filtering(request, now)
    ready = queue_ready_page(user=user, now=now, queryset=filtered, number=request.GET.get("page"), size=PAGE_SIZE)
    progress = progress_today(users=[user], now=now)[user.pk]
    context = {
        **shown,
        "filter": filterset,
        "ready": ready,
        "ready_number": ready.number,
        "total": filterset.qs.count(),
        "progress": progress,
        "target": user.daily_target,
        "call_limit": user.daily_call_limit,
        "target_percent": min(100, round(100 * progress["worked"] / user.daily_target)) if user.daily_target else 0,
        "limit_reached": progress["calls"] >= user.daily_call_limit,
        "now": now,
        "served_count": len(_served(request.session, now)),
    }
    if request.GET.get("held"):  # asked for by the link that stands in for htmx without JavaScript
        context.update(held_context(request, queryset=filtered, now=now))
    return context


@login_required
def queue(request):
    """My queue: what can be called now, best first; the held-back list comes when asked (see held_context)."""
    _collector_only(request.user)
    if not (request.htmx and request.GET.get("held")):
        return render(request, "collections_app/queue.html", queue_context(request))
    now = timezone.now()
    _, filtered, shown = _filtering(request, now)
    context = {
        **held_context(request, queryset=filtered, now=now),
        **shown,
        "ready_number": request.GET.get("page") or 1,
    }
    return render(request, "collections_app/partials/queue_held.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def queue_next(request):
    """Open the best account the collector may call now, with the number to call picked out."""
    user, now = request.user, timezone.now()
    if user.role != Role.COLLECTOR:
        messages.info(request, "Next account hands out a collector's own accounts; yours are under Accounts.")
        return redirect("account_list")
    served = {} if request.POST.get("restart") or request.GET.get("restart") else _served(request.session, now)
    result = next_account(user=user, now=now, skip=tuple(int(k) for k in served))
    if result.account is not None:
        served[str(result.account.pk)] = now.timestamp()
        request.session[SERVED_KEY] = served
        url = reverse("account_detail", args=[result.account.pk])
        if result.contact_point is not None:
            url += f"?call={result.contact_point.pk}"
        return redirect(url)
    request.session[SERVED_KEY] = served
    if result.reason == "limit":
        messages.warning(
            request,
            f"You have made your {user.daily_call_limit} calls for today, the daily limit your manager set. "
            "Inbound calls, payments and notes still work.",
        )
    elif served:
        messages.info(
            request,
            f"You have been offered every account callable now in the last {SERVED_MINUTES} minutes. "
            "Use “Start again from the top” to go through them once more.",
        )
        return redirect(f"{reverse('queue')}?offer_restart=1")
    else:
        found = next_opening(user=user, now=now)
        if found is None:
            messages.info(request, "Nothing in your queue can be called now or soon. Ask your manager for accounts.")
        else:
            moment, zone = found
            messages.info(
                request, f"Nothing is callable right now. The next account opens at {opening(moment, zone, now)}."
            )
    return redirect("queue")
