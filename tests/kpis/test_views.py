"""The dashboards per role: who sees what, CSV exports, and a bounded number of queries."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from collections_app.models import Account
from compliance.models import AuditEvent
from kpis.services import rollup_day, rollup_range

from .conftest import OCT_END, day

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("kpis:overview")
COLLECTORS = reverse("kpis:collectors")


@pytest.fixture
def rolled(portfolio):
    rollup_range(start=day(7, 1), end=OCT_END)
    return portfolio


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_anonymous_is_sent_to_sign_in(client):
    for url in (OVERVIEW, COLLECTORS):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_no_rollup_yet_says_what_to_do(client_for, admin_user):
    response = client_for(admin_user).get(OVERVIEW)
    assert response.status_code == 200
    assert b"rollup_kpis" in response.content


@pytest.mark.parametrize("role", ["admin", "manager", "collector"])
def test_every_role_sees_the_overview_with_one_h1(rolled, client_for, admin_user, manager, role):
    user = {"admin": admin_user, "manager": manager, "collector": rolled["collector_a"]}[role]
    response = client_for(user).get(OVERVIEW, {"month": "2026-10", "currency": "USD"})
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1
    assert b"vendor/chartjs/chart.umd.min.js" in response.content
    assert b"Days" in response.content or b"days" in response.content


def test_admin_sees_the_whole_usd_portfolio(rolled, client_for, admin_user):
    response = client_for(admin_user).get(OVERVIEW, {"month": "2026-10", "currency": "USD"})
    current = response.context["current"]
    assert (current["ending_ar"], current["dso"], current["cei"]) == ("2150.00", 333.25, 40.91)
    assert "EUR" not in {g["currency"] for g in response.context["groups"]}  # one currency per page


def test_manager_sees_their_teams_and_unassigned_accounts_only(rolled, client_for, manager):
    # manager leads Team A: collector A's USD account (700) and the unassigned account (-50).
    response = client_for(manager).get(OVERVIEW, {"month": "2026-10", "currency": "USD", "by": "collector"})
    assert response.context["current"]["ending_ar"] == "650.00"
    assert {g["key"] for g in response.context["groups"]} == {"col_a", None}


def test_collector_sees_only_their_own_figures(rolled, client_for):
    response = client_for(rolled["collector_b"]).get(OVERVIEW, {"month": "2026-10", "currency": "USD"})
    assert response.context["current"]["ending_ar"] == "1500.00"  # account 2 only
    # Asking for another collector's figures gives nothing of theirs.
    other = rolled["collector_a"].pk
    response = client_for(rolled["collector_b"]).get(OVERVIEW, {"month": "2026-10", "collector": other})
    assert response.context["current"]["ending_ar"] == "1500.00"  # the collector filter is not theirs to use
    board = client_for(rolled["collector_b"]).get(COLLECTORS, {"month": "2026-10"})
    assert [r["collector"].username for r in board.context["rows"]] == ["col_b"]


def test_collector_cannot_see_anothers_eur_figures(rolled, client_for):
    response = client_for(rolled["collector_b"]).get(OVERVIEW, {"month": "2026-10", "currency": "EUR"})
    assert response.context["form"].currencies == ["USD"]
    assert response.context["selection"].currency == "USD"


def test_leaderboard_for_managers_lists_their_team(rolled, client_for, manager, admin_user):
    rows = client_for(manager).get(COLLECTORS, {"month": "2026-10"}).context["rows"]
    assert [r["collector"].username for r in rows] == ["col_a"]
    assert (rows[0]["calls"], rows[0]["rpc"], rows[0]["kept_rate"]) == (3, 1, 100.0)
    assert rows[0]["collected"] == [(pytest.approx(700), "USD")] or rows[0]["collected"][0][1] == "USD"
    everyone = client_for(admin_user).get(COLLECTORS, {"month": "2026-10"}).context["rows"]
    assert {r["collector"].username for r in everyone} == {"col_a", "col_b"}


@pytest.mark.parametrize("table", ["trend", "aging", "roll", "breakdown"])
def test_every_overview_table_exports_csv(rolled, client_for, admin_user, table):
    response = client_for(admin_user).get(OVERVIEW, {"month": "2026-10", "currency": "USD", "export": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert csv_rows(response)
    assert AuditEvent.objects.filter(action="data.exported").exists()


def test_leaderboard_exports_csv(rolled, client_for, admin_user):
    response = client_for(admin_user).get(COLLECTORS, {"month": "2026-10", "export": "csv"})
    rows = csv_rows(response)
    assert {row["collector"] for row in rows} == {"col_a", "col_b"}


def test_numbers_link_to_the_accounts_behind_them(rolled, client_for, admin_user):
    creditor = rolled["a1"].creditor_id
    response = client_for(admin_user).get(OVERVIEW, {"month": "2026-10", "currency": "USD", "creditor": creditor})
    body = response.content.decode()
    assert f"/accounts/?creditor={creditor}&amp;currency=USD&amp;holds=91-120" in body
    assert response.context["current"]["ending_ar"] == "2200.00"  # North: accounts 1 and 2
    assert b"listed as they stand today" in response.content  # October's figures, today's accounts


def _listed(client, link: str) -> int:
    return client.get(link).context["page"].paginator.count


@pytest.mark.parametrize("narrow", [{}, {"team": "team"}, {"creditor": "creditor"}])
def test_a_figure_of_today_opens_exactly_the_accounts_behind_it(portfolio, client_for, admin_user, team, narrow):
    today = timezone.localdate()
    rollup_day(day=today, rebuild=True)
    params = {"month": today.strftime("%Y-%m"), "currency": "USD"}
    params |= {k: team.pk if v == "team" else portfolio["a1"].creditor_id for k, v in narrow.items()}
    client = client_for(admin_user)
    response = client.get(OVERVIEW, params)
    assert response.context["links_are_today"] and b"listed as they stand today" not in response.content
    aging = response.context["aging"]
    assert sum(row["accounts"] for row in aging) > 0
    for row in aging:
        assert _listed(client, row["link"]) == row["accounts"], row
    # The cards open every USD account of the selection (an EUR account of the same cells is not listed).
    behind = Account.objects.filter(currency="USD")
    if "team" in narrow:
        behind = behind.filter(assigned_to__team=team)
    if "creditor" in narrow:
        behind = behind.filter(creditor_id=portfolio["a1"].creditor_id)
    assert _listed(client, response.context["accounts_link"]) == behind.count() > 0


def test_dashboard_queries_are_bounded(rolled, client_for, admin_user, django_assert_max_num_queries):
    client = client_for(admin_user)
    with django_assert_max_num_queries(40):
        client.get(OVERVIEW, {"month": "2026-10", "currency": "USD", "by": "collector"})
    with django_assert_max_num_queries(20):
        client.get(COLLECTORS, {"month": "2026-10"})


def test_dashboard_query_count_does_not_grow_with_accounts(rolled, client_for, admin_user, build_account, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as before:
        client.get(OVERVIEW, {"month": "2026-10", "currency": "USD"})
    extra = make_user(Role.COLLECTOR, username="col_c")
    for n in range(5):
        build_account(creditor=f"Extra {n}", segment=f"s{n}", collector=extra)
    rollup_range(start=OCT_END, end=OCT_END)
    with CaptureQueriesContext(connection) as after:
        client.get(OVERVIEW, {"month": "2026-10", "currency": "USD"})
    assert len(after) == len(before)
