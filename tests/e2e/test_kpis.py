"""A manager opens the KPI dashboard, sees the charts drawn, and drills from a figure to the accounts."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create, payment_post
from kpis.services import rollup_range
from tests.collections_app.factories import AccountFactory
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_reads_the_dashboard_and_drills_into_accounts(make_user, team, sign_in, live_server):
    manager = team.managers.get()
    manager.set_password("pw-manager")
    manager.save()
    collector = make_user(Role.COLLECTOR, team=team, username="e2e_kpi_col")
    for n in range(3):
        account = AccountFactory(external_id=f"KPI-{n}", segment="prime")
        account_assign(account=account, collector=collector)
        invoice_create(
            account=account,
            amount=Decimal("500.00"),
            issued_on=datetime.date(2026, 8, 1),
            due_on=datetime.date(2026, 8, 31),
        )
        payment_post(account=account, amount=Decimal("100.00") * (n + 1), received_on=datetime.date(2026, 10, 10))
    rollup_range(start=datetime.date(2026, 9, 25), end=datetime.date(2026, 10, 31))

    page = sign_in(manager.username, "pw-manager")
    page.get_by_role("link", name="Dashboards").click()
    page.get_by_label("Period", exact=True).select_option("2026-10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Portfolio dashboard"
    assert "900.00 USD" in page.locator(".kpi-card").first.inner_text()  # 3 x 500 - 600
    # Chart.js drew on both canvases (a drawn canvas has a non-empty data URL).
    page.wait_for_function("document.getElementById('trend-chart').toDataURL().length > 5000")
    page.wait_for_function("document.getElementById('aging-chart').toDataURL().length > 5000")
    screenshot(page, "kpi-dashboard")

    page.get_by_role("link", name="Collector leaderboard").click()
    assert page.locator("h1").inner_text() == "Collector leaderboard"
    assert "600.00 USD" in page.locator("table.data").inner_text()
    screenshot(page, "kpi-leaderboard")

    page.go_back()
    page.locator("#aging-title").scroll_into_view_if_needed()
    page.locator("table.data a", has_text="3").first.click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{live_server.url}/accounts/")
    assert "KPI-0" in page.content()
