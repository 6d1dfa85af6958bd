"""Dunning pages: admins only (every role tried), audited configuration, previews, tonight, letters."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from collections_app.models import (
    Address,
    ContactPoint,
    DunningPolicy,
    DunningReminder,
    DunningRun,
    DunningStage,
    DunningTemplate,
    ReminderState,
)
from collections_app.services.dunning import dunning_defaults_ensure
from collections_app.services.ledger import invoice_create
from compliance.models import AuditEvent

from .factories import AccountFactory
from .test_dunning import commits_at_once  # noqa: F401 (autouse: on-commit hooks run at once)

TODAY = timezone.localdate()


@pytest.fixture
def policy(db):
    return dunning_defaults_ensure()


@pytest.fixture
def account(db):
    account = AccountFactory(debtor__name='<img src=x onerror=alert(1)> "Mallory"', external_id="A-DUN-1")
    ContactPoint.objects.create(debtor=account.debtor, kind="email", value="m@example.com", is_primary=True)
    Address.objects.create(debtor=account.debtor, line1="1 Main St", city="Boston", region="MA", postal_code="02110")
    invoice_create(
        account=account,
        amount=Decimal("250.00"),
        issued_on=TODAY - datetime.timedelta(days=60),
        due_on=TODAY - datetime.timedelta(days=35),
    )
    return account


def urls(policy):
    stage = policy.stages.order_by("position").first()
    template = DunningTemplate.objects.first()
    run = DunningRun.objects.create(run_on=TODAY, at=timezone.now())
    return [
        ("get", reverse("dunning:home")),
        ("get", reverse("dunning:tonight")),
        ("post", reverse("dunning:tonight")),
        ("get", reverse("dunning:policy_new")),
        ("get", reverse("dunning:policy", args=[policy.pk])),
        ("post", reverse("dunning:policy_delete", args=[policy.pk])),
        ("get", reverse("dunning:stage_new", args=[policy.pk])),
        ("get", reverse("dunning:stage", args=[stage.pk])),
        ("post", reverse("dunning:stage_delete", args=[stage.pk])),
        ("get", reverse("dunning:templates")),
        ("get", reverse("dunning:template_new")),
        ("get", reverse("dunning:template", args=[template.pk])),
        ("post", reverse("dunning:template_delete", args=[template.pk])),
        ("post", reverse("dunning:run_start")),
        ("get", reverse("dunning:run", args=[run.pk])),
        ("get", reverse("dunning:letters", args=[TODAY.isoformat()])),
    ]


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.MANAGER])
def test_every_page_is_forbidden_to_collectors_and_managers(policy, make_user, client_for, role):
    client = client_for(make_user(role))
    for method, url in urls(policy):
        assert getattr(client, method)(url).status_code == 403, url
    assert DunningPolicy.objects.filter(pk=policy.pk).exists()


def test_every_page_sends_the_signed_out_to_sign_in(policy, client):
    for method, url in urls(policy):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_every_read_page_opens_for_an_admin(policy, account, admin_user, client_for):
    client = client_for(admin_user)
    for method, url in urls(policy):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_the_navigation_shows_dunning_to_admins_only(policy, admin_user, collector, client_for):
    assert reverse("dunning:home") in client_for(admin_user).get(reverse("home")).content.decode()
    assert reverse("dunning:home") not in client_for(collector).get(reverse("home")).content.decode()


def test_an_admin_builds_a_policy_and_every_change_is_audited(db, admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(
        reverse("dunning:template_new"),
        {"name": "Nudge", "channel": "email", "language": "en", "subject": "Hi", "body": "Pay {{ opt_out }}"},
    )
    template = DunningTemplate.objects.get(name="Nudge")
    assert response.status_code == 302
    response = client.post(
        reverse("dunning:policy_new"),
        {"name": "Retail", "active": "on", "priority": "5", "currency": "usd", "stop_on_payment": "on"},
    )
    policy = DunningPolicy.objects.get(name="Retail")
    assert response["Location"] == reverse("dunning:policy", args=[policy.pk]) and policy.currency == "USD"
    stage = {"position": "1", "name": "Early", "trigger_kind": "due_offset", "trigger_days": "-3", "channel": "email"}
    response = client.post(
        reverse("dunning:stage_new", args=[policy.pk]),
        {**stage, "template": template.pk, "min_balance": "0", "active": "on"},
    )
    assert response.status_code == 302
    assert policy.stages.get().trigger_days == -3
    actions = list(AuditEvent.objects.filter(action="policy.changed").values_list("object_type", flat=True))
    assert actions == ["DunningTemplate", "DunningPolicy", "DunningStage"] or sorted(actions) == sorted(
        ["DunningTemplate", "DunningPolicy", "DunningStage"]
    )
    assert all(e.actor_id == admin_user.pk for e in AuditEvent.objects.filter(action="policy.changed"))


def test_stage_forms_refuse_what_would_not_make_sense(policy, admin_user, client_for):
    client = client_for(admin_user)
    letter = DunningTemplate.objects.get(name="Past-due letter", time_barred=False)
    base = {"name": "X", "trigger_kind": "due_offset", "channel": "email", "min_balance": "0", "active": "on"}
    cases = [
        ({"position": "4", "trigger_days": "20", "template": ""}, "Choose the message"),
        ({"position": "4", "trigger_days": "60", "template": letter.pk}, "That template is for letters"),
        ({"position": "2", "trigger_days": "60", "template": letter.pk, "channel": "letter"}, "already"),
        ({"position": "4", "trigger_days": "20", "template": letter.pk, "channel": "letter"}, "give it more days"),
        (
            {
                "position": "0",
                "trigger_kind": "after_previous",
                "trigger_days": "5",
                "channel": "letter",
                "template": letter.pk,
            },
            "time it from the oldest due date",
        ),
    ]
    for data, message in cases:
        response = client.post(reverse("dunning:stage_new", args=[policy.pk]), {**base, **data})
        assert response.status_code == 200 and message in response.content.decode(), message
    assert policy.stages.count() == 3


def test_template_forms_refuse_tags_unknown_placeholders_and_a_missing_opt_out(db, admin_user, client_for):
    response = client_for(admin_user).post(
        reverse("dunning:template_new"),
        {"name": "Bad", "channel": "sms", "language": "en", "body": "{% load x %}{{ debtor.__class__ }}"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tags such as" in page and "Unknown placeholder" in page and "opt-out" in page
    assert not DunningTemplate.objects.filter(name="Bad").exists()


def test_the_stage_preview_renders_a_real_account_with_hostile_input_escaped(policy, account, admin_user, client_for):
    stage = policy.stages.get(position=3)  # the letter at 30 days
    response = client_for(admin_user).get(reverse("dunning:stage", args=[stage.pk]), {"account": "A-DUN-1"})
    page = response.content.decode()
    assert "Would be sent now" in page or "Held back" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "250.00 USD" in page
    email_stage = DunningStage.objects.get(policy=policy, position=1)
    page = (
        client_for(admin_user)
        .get(reverse("dunning:stage", args=[email_stage.pk]), {"account": "A-DUN-1"})
        .content.decode()
    )
    # The email's HTML sits in a sandboxed frame's srcdoc, escaped once more as an attribute.
    assert "sandbox srcdoc=" in page and "<img src=x" not in page
    assert not DunningReminder.objects.exists()
    missing = client_for(admin_user).get(reverse("dunning:stage", args=[stage.pk]), {"account": "NOPE"})
    assert "No account has that reference" in missing.content.decode()


def test_tonight_works_it_out_and_lists_what_is_held_back(policy, account, admin_user, client_for):
    bare = AccountFactory(external_id="A-NO-ADDRESS")
    invoice_create(
        account=bare,
        amount=Decimal("90.00"),
        issued_on=TODAY - datetime.timedelta(days=70),
        due_on=TODAY - datetime.timedelta(days=40),
    )
    client = client_for(admin_user)
    assert "Not worked out yet" in client.get(reverse("dunning:tonight")).content.decode()
    response = client.post(reverse("dunning:tonight"))
    assert response.status_code == 302
    preview = DunningRun.objects.get(dry_run=True)
    assert preview.status == DunningRun.Status.DONE
    page = client.get(reverse("dunning:tonight")).content.decode()
    assert "A-NO-ADDRESS" in page and "No postal address" in page
    assert preview.summary["totals"]["due"] == 2
    assert not DunningReminder.objects.exists()


def test_run_now_sends_and_the_run_page_shows_progress_and_letters_download(policy, account, admin_user, client_for):
    client = client_for(admin_user)
    client.post(reverse("dunning:run_start"))
    run = DunningRun.objects.get(dry_run=False)
    reminder = DunningReminder.objects.get()
    assert reminder.state == ReminderState.SENT and reminder.channel == "letter"
    page = client.get(reverse("dunning:run", args=[run.pk])).content.decode()
    assert "100%" in page and "A-DUN-1" in page
    day = timezone.localdate(reminder.done_at).isoformat()
    response = client.get(reverse("dunning:letters", args=[day]))
    assert response["Content-Type"] == "application/pdf" and response["X-Letter-Count"] == "1"
    assert client.get(reverse("dunning:letters", args=["not-a-date"])).status_code == 404


def test_a_policy_with_reminders_cannot_be_deleted_only_switched_off(policy, account, admin_user, client_for):
    client = client_for(admin_user)
    client.post(reverse("dunning:run_start"))
    response = client.post(reverse("dunning:policy_delete", args=[policy.pk]), follow=True)
    assert "switch it off instead" in response.content.decode()
    assert DunningPolicy.objects.filter(pk=policy.pk).exists()


def test_a_stage_with_reminders_cannot_be_deleted_and_its_reminders_stay(policy, account, admin_user, client_for):
    # The reminder's stage has no database constraint (selection speed): Django's PROTECT must hold alone.
    client = client_for(admin_user)
    client.post(reverse("dunning:run_start"))
    reminder = DunningReminder.objects.get()
    response = client.post(reverse("dunning:stage_delete", args=[reminder.stage_id]), follow=True)
    assert "switch it off instead" in response.content.decode()
    assert DunningReminder.objects.filter(pk=reminder.pk, stage_id=reminder.stage_id).exists()
    assert DunningStage.objects.filter(pk=reminder.stage_id).exists()


def test_the_home_page_costs_a_fixed_number_of_queries(
    policy, account, admin_user, client_for, django_assert_max_num_queries
):
    client = client_for(admin_user)
    client.post(reverse("dunning:run_start"))
    for n in range(4):
        DunningPolicy.objects.create(name=f"Extra {n}")
    with django_assert_max_num_queries(20):
        assert client.get(reverse("dunning:home")).status_code == 200
