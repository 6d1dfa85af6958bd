"""An admin configures a three-stage dunning policy in the browser, previews a stage on a real account,
and reads what tonight's run will do."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.models import Address, ContactPoint, DunningPolicy, DunningReminder, DunningTemplate
from collections_app.services.ledger import invoice_create
from tests.collections_app.factories import AccountFactory
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def test_admin_configures_a_three_stage_policy(make_user, sign_in):
    make_user("admin", username="e2e_admin")
    DunningTemplate.objects.create(
        name="Reminder email",
        channel="email",
        subject="About {{ account_number }}",
        body="Hi {{ debtor_name }}. {{ opt_out }}",
    )
    DunningTemplate.objects.create(name="Reminder text", channel="sms", body="{{ balance }} due. {{ opt_out }}")
    DunningTemplate.objects.create(
        name="Reminder letter", channel="letter", body="Dear {{ debtor_name }}, {{ balance }}."
    )
    account = AccountFactory(external_id="ACC-DUN-9", debtor__name="Rosa <b>Delgado</b>")
    ContactPoint.objects.create(debtor=account.debtor, kind="email", value="rosa@example.com", is_primary=True)
    Address.objects.create(debtor=account.debtor, line1="9 Elm St", city="Boston", region="MA", postal_code="02110")
    invoice_create(
        account=account,
        amount=Decimal("640.00"),
        issued_on=TODAY - datetime.timedelta(days=70),
        due_on=TODAY - datetime.timedelta(days=40),
    )

    page = sign_in("e2e_admin", "pw-e2e_admin")
    page.get_by_role("link", name="Dunning").click()
    assert page.locator("h1").inner_text() == "Dunning"
    page.get_by_role("link", name="New policy").click()
    page.get_by_label("Name").fill("Consumer reminders")
    page.get_by_label("Priority").fill("10")
    page.get_by_role("button", name="Create policy").click()
    assert page.locator("h1").inner_text() == "Consumer reminders"

    stages = [
        ("Email before the due date", "-3", "email", "Reminder email (email, en)"),
        ("Text at 10 days", "10", "sms", "Reminder text (text message, en)"),
        ("Letter at 30 days", "30", "letter", "Reminder letter (letter, en)"),
    ]
    for name, days, channel, template in stages:
        page.get_by_role("link", name="Add stage").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Timed from").select_option("due_offset")
        page.get_by_label("Days", exact=True).fill(days)
        page.get_by_label("Channel").select_option(channel)
        page.get_by_label("Template").select_option(label=template)
        page.get_by_role("button", name="Add stage").click()
        assert page.get_by_text(f"{name}", exact=True).is_visible()
    steps = page.locator(".dunning-steps li")
    assert steps.count() == 3
    assert "30 days after the oldest due date" in steps.nth(2).inner_text()
    screenshot(page, "dunning-policy")
    policy = DunningPolicy.objects.get(name="Consumer reminders")
    assert [s.trigger_days for s in policy.stages.order_by("position")] == [-3, 10, 30]

    # Preview the letter stage on a real account: the debtor's markup is shown as text.
    steps.nth(2).get_by_role("link").click()
    page.get_by_label("Account reference").fill("ACC-DUN-9")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".dunning-preview")
    assert "Dear Rosa <b>Delgado</b>, 640.00 USD." in preview.inner_text()
    screenshot(page, "dunning-stage-preview")

    # What tonight's run will do: one letter due for this account, nothing written.
    page.get_by_role("link", name="Dunning").first.click()
    page.get_by_role("link", name="What tonight's run will do").click()
    page.get_by_role("button", name="Work it out now").click()
    page.wait_for_selector("text=By policy, stage and channel")
    row = page.locator("table.data tbody tr", has_text="Letter at 30 days")
    assert row.locator("td.num").first.inner_text() == "1"
    screenshot(page, "dunning-tonight")
    assert not DunningReminder.objects.exists()
