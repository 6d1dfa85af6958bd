"""The collector's day in a real browser: next account, a call with a promise, a refusal, shortcuts.

The gate reads the real clock here, so each debtor's zone is chosen for the hour the test runs at:
mid-day there for a callable debtor, the middle of the night for a refused one.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from collections_app.models import Activity, Promise
from tests.collections_app.workspace_data import closed_zone, make_debt, open_zone
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def in_days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def collector(make_user):
    return make_user(Role.COLLECTOR, username="e2e_ws", first_name="Cora")


def test_collector_takes_the_next_account_logs_a_promise_and_sees_it_on_the_timeline(collector, sign_in):
    make_debt(collector, zone=open_zone(), name="Small Fry", balance="60.00", days_late=3)
    best = make_debt(collector, zone=open_zone(), name="Rosa Delgado", balance="980.00", days_late=140)

    page = sign_in("e2e_ws", "pw-e2e_ws")
    expect(page.locator("h1")).to_have_text("Good to see you, Cora")
    expect(page.get_by_role("link", name="Rosa Delgado")).to_be_visible()
    screenshot(page, "workspace-queue")

    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/accounts/{best.pk}/\?call=\d+"))
    expect(page.locator("h1")).to_have_text("Rosa Delgado")
    expect(page.get_by_text("Call this number")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.keyboard.press("l")
    outcome = page.get_by_label("Outcome")
    expect(outcome).to_be_focused()
    outcome.select_option("promise_to_pay")
    amount = page.get_by_label("Promised amount")
    expect(amount).to_be_visible()  # shown only for a promise
    amount.fill("abc")
    page.get_by_label("Note").fill("Will pay on Friday from her wages")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Enter an amount in figures, like 120.50.")).to_be_visible()
    expect(page.get_by_text("Enter the date the debtor promised to pay by.")).to_be_visible()
    assert not Activity.objects.exists()
    screenshot(page, "workspace-form-error")

    page.get_by_label("Promised amount").fill("120")
    page.get_by_label("Promised by").fill(in_days(4))
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_role("status")).to_contain_text("Call logged: promise to pay on +12125550100")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Promise to pay 120.00 USD")
    expect(timeline).to_contain_text("Will pay on Friday from her wages")
    expect(page.locator("aside")).to_contain_text("Promise of 120.00 USD")
    assert page.evaluate("window.__sameDocument === true")
    assert Promise.objects.get(account=best).amount == 120
    screenshot(page, "workspace-after-promise")


def test_a_call_refused_by_the_gate_says_why_and_what_to_do(collector, sign_in, live_server):
    zone = closed_zone()
    night = make_debt(collector, zone=zone, name="Nina Night")
    page = sign_in("e2e_ws", "pw-e2e_ws")
    held = page.locator("#held-h").locator("xpath=ancestor::section")
    expect(held).to_contain_text("Nina Night")
    expect(held).to_contain_text(f"08:00 {zone}")

    page.goto(f"{live_server.url}/accounts/{night.pk}/")
    expect(page.locator(".contact-point")).to_contain_text(f"08:00 {zone}")
    page.get_by_label("Outcome").select_option("no_answer")
    page.get_by_role("button", name="Log call").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The contact rules refuse this call now.")
    expect(alert).to_contain_text(f"Calling hours in {zone}")
    expect(alert).to_contain_text("Next: Schedule a callback for then, or take the next account.")
    expect(page.locator("#timeline")).to_contain_text("Refused by the contact rules")
    assert Activity.objects.get(account=night).outcome == "held"
    screenshot(page, "workspace-refused")

    # Next account has nothing to offer now, and says when the next one opens.
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/queue/$"))
    expect(page.get_by_role("status")).to_contain_text(f"The next account opens at 08:00 {zone}")


def test_shortcuts_are_listed_and_the_arrangement_is_previewed_live(collector, sign_in, live_server):
    account = make_debt(collector, zone=open_zone(), name="Arlo Plan", balance="1000.00")
    page = sign_in("e2e_ws", "pw-e2e_ws")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Next account")
    expect(dialog).to_contain_text("Log call")
    expect(dialog).to_contain_text("Arrangement")
    page.keyboard.press("Escape")

    page.keyboard.press("a")
    expect(page.get_by_role("heading", name="Arrangement", exact=True)).to_be_visible()
    expect(page.get_by_label("Total")).to_be_focused()  # where the panel puts the cursor once settled
    expect(page.locator("#arrangement-preview")).to_contain_text("Schedule: 3 instalments")
    page.get_by_label("Instalments").fill("4")
    expect(page.locator("#arrangement-preview")).to_contain_text("Schedule: 4 instalments")
    expect(page.locator("#arrangement-preview")).to_contain_text("250.00 USD")
    screenshot(page, "workspace-arrangement")
    page.get_by_role("button", name="Set up arrangement").click()
    expect(page.get_by_role("status")).to_contain_text("Arrangement of 1,000.00 USD in 4 instalments set up")


def test_without_javascript_a_call_still_posts_and_comes_back(collector, browser, live_server):
    account = make_debt(collector, zone=open_zone(), name="Nora Noscript")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("e2e_ws")
    page.get_by_label("Password").fill("pw-e2e_ws")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.get_by_label("Outcome").select_option("voicemail")
    page.get_by_role("button", name="Log call").click()
    expect(page.locator(".messages")).to_contain_text("Call logged: voicemail left")
    expect(page.locator("#timeline")).to_contain_text("Voicemail left")
    context.close()
