"""The manager's desk: a team's queues and progress today, broken promises, reassignment by filter,
collectors' limits (edited inline) and the queue strategy with a preview of its effect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.permissions import role_required
from accounts.services import collector_limits_set

from ..desk import (
    DeskRow,
    desk_collectors,
    desk_for,
    desk_teams,
    holder_filter,
    queue_sizes,
    reassign_preview,
    team_holders_q,
)
from ..errors import DomainError
from ..filters import AccountFilter
from ..forms_desk import LimitsForm, ReassignForm, StrategyForm
from ..models import QueueStrategy
from ..queue import progress_today, queue_accounts, queue_scored, strategy_for
from ..selectors import accounts_visible_to
from ..services.desk import accounts_reassign
from ..services.queue import queue_strategy_save

managers_only = role_required(Role.MANAGER, Role.ADMIN)
# Accounts compared when previewing a strategy: the new top 10 and where they stood before.
PREVIEW_TOP = 10
PREVIEW_DEPTH = 200
# Filters of the account list a reassignment reuses.
FILTER_FIELDS = ("q", "bucket", "creditor", "segment", "status", "team")


def _team(request, *, legacy: bool = True):
    """The team the page is about (?desk_team=<id>), among those the user may manage; the first by default.

    `desk_team`, not `team`: `team` is the account list's filter by the holder's team, which the
    reassignment page applies too. Links made before the rename (?team=) still open the desk and
    its strategy (`legacy`). Returns (team, teams); team is None when the user manages no team.
    """
    teams = list(desk_teams(user=request.user))
    wanted = _wanted_team(request, legacy=legacy)
    if wanted:
        for team in teams:
            if str(team.pk) == wanted:
                return team, teams
        raise Http404("No such team on your desk.")
    return (teams[0] if teams else None), teams


def _wanted_team(request, *, legacy: bool) -> str:
    wanted = request.GET.get("desk_team") or request.POST.get("desk_team") or ""
    if not wanted and legacy:
        wanted = request.GET.get("team") or ""
    return wanted


def _desk_url(team) -> str:
    return f"{reverse('desk:home')}?desk_team={team.pk}" if team else reverse("desk:home")


@managers_only
def desk(request):
    team, teams = _team(request)
    if team is None:
        return render(request, "collections_app/desk/desk.html", {"teams": teams, "team": None})
    now = timezone.now()
    desk_data = desk_for(user=request.user, teams=[team], now=now)
    # ?edit=<collector> opens a row's limits without JavaScript (htmx swaps the row in place).
    editing = next((r.collector for r in desk_data.rows if str(r.collector.pk) == request.GET.get("edit")), None)
    context = {
        "team": team,
        "teams": teams,
        "desk": desk_data,
        "now": now,
        "editing": editing.pk if editing else None,
        "form": _limits_form(editing) if editing else None,
    }
    return render(request, "collections_app/desk/desk.html", context)


def _limits_form(collector) -> LimitsForm:
    return LimitsForm(initial={"daily_call_limit": collector.daily_call_limit, "daily_target": collector.daily_target})


def _desk_collector(request, pk: int):
    """A collector on one of the user's desks (404 for anyone else's, so none is confirmed to exist)."""
    return get_object_or_404(desk_collectors(teams=desk_teams(user=request.user)), pk=pk)


def _row(collector) -> DeskRow:
    now = timezone.now()
    sizes = queue_sizes(collectors=[collector], now=now)[collector.pk]
    progress = progress_today(users=[collector], now=now)[collector.pk]
    return DeskRow(collector=collector, **sizes, **progress)


@managers_only
@require_http_methods(["GET", "POST"])
def limits(request, pk: int):
    """A collector's row: GET ?edit=1 gives the inline form; POST saves it through the audited service."""
    collector = _desk_collector(request, pk)
    if request.method == "GET":
        form = _limits_form(collector)
        template = "_row_edit.html" if request.GET.get("edit") else "_row.html"
        return render(request, f"collections_app/desk/{template}", {"row": _row(collector), "form": form})
    form = LimitsForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            collector = collector_limits_set(user=collector, by=request.user, **form.cleaned_data)
            saved = True
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if not request.htmx:
        if saved:
            messages.success(request, f"Limits of {collector.display_name} saved.")
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_desk_url(collector.team))
    template = "_row.html" if saved else "_row_edit.html"
    return render(request, f"collections_app/desk/{template}", {"row": _row(collector), "form": form, "saved": saved})


def _criteria(team, holder_label: str, filterset) -> str:
    """The filter in words, for the audit trail and the confirmation."""
    parts = [f"team {team.name}", f"held by {holder_label}"]
    data = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    for name in FILTER_FIELDS:
        value = data.get(name)
        if value not in (None, ""):
            parts.append(f"{filterset.form.fields[name].label or name}: {value}")
    return "; ".join(parts)


@managers_only
@require_http_methods(["GET", "POST"])
def reassign(request):
    """Choose accounts by filter and collectors to give them to; preview how many move; confirm."""
    team, teams = _team(request, legacy=False)
    if team is None:
        return redirect("desk:home")
    data = request.POST if request.method == "POST" else request.GET
    holders = list(desk_collectors(teams=[team]))
    targets = desk_collectors(teams=teams)
    submitted = request.method == "POST" or "preview" in request.GET
    form = ReassignForm(data if submitted else None, holders=holders, targets=targets)
    base = accounts_visible_to(request.user).filter(team_holders_q([team]))
    filterset = AccountFilter(data, queryset=base.order_by("id"))
    bucket = filterset.form.fields["bucket"]
    bucket.choices = [("", "Any aging"), *[c for c in bucket.choices if c[0]]]
    context = {"team": team, "teams": teams, "form": form, "filter": filterset, "preview": None}
    if not submitted or not form.is_valid() or not filterset.is_valid():
        return render(request, "collections_app/desk/reassign.html", context)
    holder = form.cleaned_data["holder"]
    matching = holder_filter(filterset.qs, holder)
    chosen = list(form.cleaned_data["to"])
    holder_label = dict(form.fields["holder"].choices)[holder]
    if request.method == "POST":
        try:
            moved = accounts_reassign(
                user=request.user,
                accounts=matching,
                collectors=chosen,
                expected=form.cleaned_data["expected"],
                criteria=_criteria(team, holder_label, filterset),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            names = ", ".join(c.display_name for c in chosen)
            messages.success(request, f"{moved} account{'s' if moved != 1 else ''} moved to {names}.")
            return redirect(_desk_url(team))
    preview = reassign_preview(matching=matching, targets=chosen)
    query = {k: v for k, v in data.items() if k in (*FILTER_FIELDS, "holder", "desk_team") and v}
    context.update(
        preview=preview,
        chosen=chosen,
        holder_label=holder_label,
        criteria=_criteria(team, holder_label, filterset),
        hidden=list(query.items()) + [("to", str(c.pk)) for c in chosen],
        list_url=_list_url(data, holder),
    )
    return render(request, "collections_app/desk/reassign.html", context)


def _list_url(data, holder: str) -> str:
    """The account list showing the accounts matched (for one holder: the list has no team filter)."""
    if not holder:
        return ""
    params = {k: v for k, v in data.items() if k in FILTER_FIELDS and v}
    params.update({"unassigned": "true"} if holder == "none" else {"collector": holder})
    return f"{reverse('account_list')}?{urlencode(params)}"


def _strategy_of(team) -> QueueStrategy:
    """The strategy a team works under now: its own, else the default, else the built-in weights."""
    own = QueueStrategy.objects.filter(team=team).first() if team is not None else None
    return own or QueueStrategy.objects.filter(team__isnull=True).first() or QueueStrategy()


def _strategy_preview(collector, weights: dict[str, int], now) -> list[dict]:
    """The collector's top accounts under the new weights, each with its place under the current ones."""
    current = list(
        queue_scored(queue_accounts(user=collector), strategy=strategy_for(collector), now=now).values_list(
            "pk", flat=True
        )[:PREVIEW_DEPTH]
    )
    place = {pk: i + 1 for i, pk in enumerate(current)}
    proposed = QueueStrategy(**weights)
    top = list(
        queue_scored(queue_accounts(user=collector), strategy=proposed, now=now).select_related("debtor")[:PREVIEW_TOP]
    )
    rows = []
    for rank, account in enumerate(top, start=1):
        before = place.get(account.pk)
        change = (before - rank) if before else None
        rows.append({"rank": rank, "account": account, "before": before, "change": change, "down": -(change or 0)})
    return rows


@managers_only
@require_http_methods(["GET", "POST"])
def strategy(request):
    """The team's queue weights, with the effect on a collector's queue shown before saving."""
    is_default = request.user.is_admin_role and _wanted_team(request, legacy=True) == "default"
    if is_default:  # an admin editing the strategy of teams without one of their own
        team, teams = None, list(desk_teams(user=request.user))
    else:
        team, teams = _team(request)
        if team is None:
            return redirect("desk:home")
    collectors = desk_collectors(teams=[team] if team else teams)
    current = _strategy_of(team)
    if request.method == "POST":
        form = StrategyForm(request.POST, collectors=collectors)
        if form.is_valid() and request.POST.get("action") == "save":
            try:
                queue_strategy_save(team=team, weights=form.weights(), user=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Queue strategy of {team.name if team else 'every other team'} saved.")
                return redirect(f"{reverse('desk:strategy')}?desk_team={team.pk if team else 'default'}")
    else:
        form = StrategyForm(initial={**current.weights(), "collector": collectors.first()}, collectors=collectors)
    # The effect is shown from the start (under the weights in force), then for the weights typed.
    preview, collector, weights = None, collectors.first(), current.weights()
    if form.is_bound:
        collector = form.cleaned_data.get("collector") if form.is_valid() else None
        weights = form.weights() if form.is_valid() else None
    if collector is not None and weights is not None:
        preview = _strategy_preview(collector, weights, timezone.now())
    context = {
        "team": team,
        "teams": teams,
        "form": form,
        "current": current,
        "inherits": team is not None and current.team_id != team.pk,
        "preview": preview,
        "preview_collector": collector,
        "is_default": is_default,
    }
    template = "_strategy_preview.html" if request.htmx and request.POST.get("action") == "preview" else "strategy.html"
    return render(request, f"collections_app/desk/{template}", context)
