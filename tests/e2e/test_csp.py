"""The Content Security Policy holds in a real browser: every page each role reaches (found by
following links), the account page's htmx actions, the Chart.js dashboards and the API docs load
without one violation, and what used inline styles or handlers still works."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from collections_app.management.commands.seed_demo import DEMO_PASSWORD
from collections_app.models import Account
from tests.e2e.conftest import screenshot
from tests.security.crawl import crawl

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def demo(db):
    call_command("seed_demo", accounts=15, stdout=io.StringIO())
    call_command("rollup_kpis", stdout=io.StringIO())


def pages_of(username: str, extra=()) -> list[str]:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return [*crawl(client, limit=40), *extra]


def watch(page) -> list[str]:
    problems = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


def visit_all(page, live_server, urls) -> list[str]:
    found = []
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        found += [f"{url}: {v}" for v in page.evaluate("window.__csp")]
    return found


@pytest.mark.parametrize(
    ("username", "extra"),
    [("collector1", ()), ("manager", ("/kpis/?by=creditor",)), ("admin", ("/api/docs/", "/admin/"))],
)
def test_no_page_of_any_role_violates_the_policy(demo, page, live_server, sign_in, username, extra):
    urls = pages_of(username, extra)
    problems = watch(page)
    sign_in(username, DEMO_PASSWORD)
    violations = visit_all(page, live_server, urls)
    assert not violations and not problems, violations + problems
    assert len(urls) >= 8, urls


def test_htmx_actions_charts_and_meters_work_under_the_policy(demo, page, live_server, sign_in):
    problems = watch(page)
    sign_in("collector1", DEMO_PASSWORD)
    account = Account.objects.filter(assigned_to__username="collector1").first()
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    # An in-page action loads over htmx; htmx injects no <style> (the CSP would refuse it).
    with page.expect_response(lambda response: "/act/" in response.url):
        page.locator("#action-panel a[hx-get]").first.click()
    page.locator("#action-panel form").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert page.evaluate("window.__csp") == []

    page.context.clear_cookies()
    sign_in("manager", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/kpis/")
    page.wait_for_function("document.getElementById('trend-chart').toDataURL().length > 5000")
    page.goto(f"{live_server.url}/desk/")
    # Meter bars take their width from data-percent through the CSSOM.
    widths = page.eval_on_selector_all(".meter [data-percent]", "els => els.map(e => e.style.width)")
    assert widths and all(w.endswith("%") for w in widths), widths
    screenshot(page, "csp-desk")
    assert page.evaluate("window.__csp") == [] and not problems, problems
