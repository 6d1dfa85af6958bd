"""The KPI dashboards: portfolio overview and collector leaderboard, each table also as CSV."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from compliance.exports import csv_lines
from compliance.services import export_record

from .dashboard import Selection, breakdown, leaderboard, month_period, period_figures, roll_matrix, sparkline, trend
from .forms import DashboardFilterForm
from .inputs import BUCKETS, previous_month_end
from .services import latest_rollup_date

CARDS = [
    # (field, label, unit, lower is better)
    ("ending_ar", "Accounts receivable", "money", True),
    ("dso", "DSO", "days", True),
    ("best_possible_dso", "Best possible DSO", "days", True),
    ("add", "Average days delinquent", "days", True),
    ("cei", "CEI", "%", False),
    ("collection_rate", "Collection rate", "%", False),
    ("promise_kept_rate", "Promises kept", "%", False),
    ("right_party_contact_rate", "Right-party contacts", "%", False),
    ("payments", "Collected", "money", False),
    ("written_off", "Written off", "money", True),
]


def _selection(request) -> tuple[DashboardFilterForm, dict, Selection]:
    latest = latest_rollup_date()
    form = DashboardFilterForm(request.GET, user=request.user, latest=latest)
    chosen = form.selected()
    selection = Selection(
        user=request.user,
        team=chosen["team"],
        creditor=chosen["creditor"],
        segment=chosen["segment"],
        collector=chosen["collector"],
        currency=chosen["currency"],
    )
    return form, chosen, selection


def _csv(request, name: str, header: list[str], rows: list[list]) -> HttpResponse:
    export_record(user=request.user, what=f"KPI table {name}", rows=len(rows), params=dict(request.GET.items()))
    response = HttpResponse("".join(csv_lines(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kpis-{name}.csv"'
    return response


def _change(now, before, lower_is_better: bool) -> dict | None:
    if now is None or before is None:
        return None
    now, before = float(now), float(before)
    delta = round(now - before, 2)
    better = (delta < 0) if lower_is_better else (delta > 0)
    return {"delta": delta, "direction": "flat" if delta == 0 else ("better" if better else "worse")}


@login_required
def overview(request):
    """Cards with the period's figures and the change against last month, trends, aging, roll rates, breakdown."""
    form, chosen, selection = _selection(request)
    latest = form.latest
    context = {"form": form, "latest": latest, "selection": selection, "chosen": chosen}
    if latest is None or selection.currency is None:
        return render(request, "kpis/overview.html", context)
    start, end = month_period(chosen["month"], latest)
    previous_end = previous_month_end(start)
    previous = month_period(previous_end, latest)
    current, inputs = period_figures(selection, start, end)
    before, _ = period_figures(selection, *previous)
    months = trend(selection, chosen["month"], latest)
    by = chosen["by"]
    groups = breakdown(selection, by, start, end, previous)
    matrix = roll_matrix(inputs)
    export = request.GET.get("export")
    if export:
        return _overview_csv(request, export, months, current, groups, matrix, by)
    cards = []
    for field, label, unit, lower_is_better in CARDS:
        series = [row[field] if row["has_data"] else None for row in months]
        series = [None if v is None else float(v) for v in series]
        cards.append(
            {
                "field": field,
                "label": label,
                "unit": unit,
                "value": current[field],
                "before": before[field],
                "change": _change(current[field], before[field], lower_is_better),
                "spark": sparkline(series),
            }
        )
    chart = {
        "labels": [row["month"].strftime("%b %Y") for row in months],
        "dso": [row["dso"] for row in months],
        "best": [row["best_possible_dso"] for row in months],
        "add": [row["add"] for row in months],
        "cei": [row["cei"] for row in months],
        "aging": {bucket: [float(row["aging"][bucket]["amount"]) for row in months] for bucket in BUCKETS},
        "currency": selection.currency,
    }
    context.update(
        start=start,
        end=end,
        previous=previous,
        current=current,
        cards=cards,
        months=months,
        chart=chart,
        aging=[{"bucket": b, **current["aging"][b], "link": selection.accounts_link(holds=b)} for b in BUCKETS],
        # The account list shows accounts as they stand now: say so when the figures are older.
        links_are_today=end >= timezone.localdate(),
        groups=groups,
        by=by,
        by_label=dict(form.fields["by"].choices)[by],
        matrix=matrix,
        roll_month=previous_month_end(end + datetime.timedelta(days=1)) if end.day != 1 else end,
        accounts_link=selection.accounts_link(),
        query=_query_without(request, "export"),
    )
    return render(request, "kpis/overview.html", context)


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _overview_csv(request, export, months, current, groups, matrix, by):
    if export == "trend":
        header = ["month", "currency", "beginning_ar", "ending_ar", "current_ar", "credit_sales", "payments", "dso",
                  "best_possible_dso", "add", "cei", "collection_rate"]  # fmt: skip
        rows = [[r["month"].strftime("%Y-%m")] + [r[h] for h in header[1:]] for r in months]
    elif export == "aging":
        header = ["bucket", "currency", "amount", "accounts"]
        rows = [
            [b, current["currency"], current["aging"][b]["amount"], current["aging"][b]["accounts"]] for b in BUCKETS
        ]
    elif export == "roll":
        header = ["from_bucket", "to_bucket", "accounts", "balance", "share_of_accounts"]
        rows = [[r["bucket"], c["to"], c["accounts"], c["balance"], c["share"]] for r in matrix for c in r["cells"]]
    else:
        header = [by, "currency", "ending_ar", "credit_sales", "payments", "dso", "dso_last_month", "best_possible_dso",
                  "add", "cei", "cei_last_month", "collection_rate", "promise_kept_rate", "right_party_contact_rate"]  # fmt: skip
        rows = [
            [
                g["label"],
                g["currency"],
                g["ending_ar"],
                g["credit_sales"],
                g["payments"],
                g["dso"],
                g["dso_before"],
                g["best_possible_dso"],
                g["add"],
                g["cei"],
                g["cei_before"],
                g["collection_rate"],
                g["promise_kept_rate"],
                g["right_party_contact_rate"],
            ]  # fmt: skip
            for g in groups
        ]
        export = f"by-{by}"
    return _csv(request, export, header, rows)


@login_required
def collectors(request):
    """The collector leaderboard of the period (a collector sees their own line only)."""
    form, chosen, selection = _selection(request)
    latest = form.latest
    context = {"form": form, "latest": latest, "chosen": chosen}
    if latest is None:
        return render(request, "kpis/collectors.html", context)
    start, end = month_period(chosen["month"], latest)
    selection.currency = None  # counts add up across currencies; money is listed per currency
    rows = leaderboard(selection, start, end)
    if request.GET.get("export"):
        header = ["collector", "team", "calls", "right_party_contacts", "right_party_rate", "promises_made",
                  "promises_due", "promises_kept", "kept_rate", "collected", "accounts_worked", "target",
                  "target_share"]  # fmt: skip
        lines = [
            [
                r["collector"].username,
                r["team"],
                r["calls"],
                r["rpc"],
                r["rpc_rate"],
                r["made"],
                r["due"],
                r["kept"],
                r["kept_rate"],
                "; ".join(f"{a} {c}" for a, c in r["collected"]),
                r["worked"],
                r["target"],
                r["target_share"],
            ]  # fmt: skip
            for r in rows
        ]
        return _csv(request, "collectors", header, lines)
    context.update(start=start, end=end, rows=rows, query=_query_without(request, "export"))
    return render(request, "kpis/collectors.html", context)
