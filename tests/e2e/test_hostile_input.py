"""Markup typed through the browser (and stored through the API) is shown as text: no script runs,
no dialog opens, on the account page, the timeline, the lists and the dunning template editor."""

import pytest
from rest_framework.test import APIClient

from accounts.api.services import api_token_create
from accounts.models import Role
from tests.collections_app.workspace_data import make_debt
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def watch_dialogs(page) -> list[str]:
    dialogs = []

    def record(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return dialogs


def test_markup_typed_in_the_account_page_is_shown_as_text(collector, admin_user, page, live_server, sign_in):
    collector.set_password("pw-collector_a")
    collector.save()
    account = make_debt(collector, name=SCRIPT + IMG)
    _, key = api_token_create(name="crm", owner=admin_user, role=Role.ADMIN, created_by=admin_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    by_api = api.post("/api/disputes/", {"account": account.pk, "reason": IMG + " via the API"}, format="json")
    assert by_api.status_code == 201, by_api.content

    dialogs = watch_dialogs(page)
    sign_in("collector_a", "pw-collector_a")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")

    page.locator("#action-panel a[hx-get*='/act/dispute/']").first.click()
    page.get_by_label("What the debtor disputes").fill(SCRIPT + " disputed " + IMG)
    page.get_by_role("button", name="Open dispute").click()
    page.wait_for_load_state("networkidle")
    page.locator("#action-panel a[hx-get*='/act/hold/']").first.click()
    page.get_by_label("Reason").select_option("other")
    page.get_by_label("Note").fill(IMG + " held " + SCRIPT)
    page.get_by_role("button", name="Place hold").click()
    page.wait_for_load_state("networkidle")

    page.reload()
    page.wait_for_load_state("networkidle")
    body = page.locator("body").inner_text()
    assert SCRIPT + IMG in body  # the debtor's name, as typed
    assert SCRIPT + " disputed " + IMG in body
    assert IMG + " held " + SCRIPT in body
    assert IMG + " via the API" in body
    assert page.locator("img[src=x]").count() == 0
    screenshot(page, "hostile-account")

    for url in ("/accounts/", f"/accounts/?q={account.external_id}", "/queue/"):
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_markup_in_a_dunning_template_is_shown_as_text(admin_user, page, live_server, sign_in):
    admin_user.set_password("pw-admin_a")
    admin_user.save()
    dialogs = watch_dialogs(page)
    sign_in("admin_a", "pw-admin_a")
    page.goto(f"{live_server.url}/dunning/templates/new/")
    page.get_by_label("Name").fill(SCRIPT + IMG)
    page.get_by_label("Channel").select_option("email")
    page.get_by_label("Subject").fill(IMG)
    page.get_by_label("Body").fill(SCRIPT + " Dear {{ debtor_name }} {{ opt_out }}")
    page.get_by_role("button", name="Create template").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/dunning/templates/")
    assert SCRIPT + IMG in page.locator("body").inner_text()
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
