"""The account page's in-page actions: every action URL per role, what each one records, how
refusals and nonsense are explained, and that nothing changes when an action is refused."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from collections_app.models import Activity, Arrangement, ContactPoint, Dispute, LedgerEntry, PlanStatus, Promise
from collections_app.services.activities import dispute_open
from collections_app.services.plans import arrangement_create, promise_create
from collections_app.views.account_actions import ACTIONS
from compliance.models import AuditEvent, Hold, HoldReason
from compliance.services import hold_place

from .workspace_data import closed_zone, make_debt

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = timezone.localdate


def url(account, name):
    return f"/accounts/{account.pk}/act/{name}/"


def days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def account(collector):
    return make_debt(collector, balance="900.00", name="Alma Actions")


@pytest.fixture
def signed_in(client, collector):
    client.force_login(collector)
    return client


def payload(name: str, account, user) -> dict:
    """A valid form for each action, with whatever it acts on created first."""
    phone = account.debtor.contact_points.get(kind="phone")
    zone = ZoneInfo(account.debtor.timezone)
    if name == "dispute_resolve":
        dispute = dispute_open(account=account, reason="Not mine", user=user)
        return {"dispute": dispute.pk, "outcome": "withdrawn", "note": "Found the receipt"}
    if name == "hold_release":
        hold = hold_place(reason=HoldReason.OTHER, account=account, user=user, note="Checking the address")
        return {"hold": hold.pk, "note": "Address checked"}
    if name == "arrangement_cancel":
        arrangement_create(
            account=account,
            total_amount=Decimal("300.00"),
            count=3,
            frequency="monthly",
            start_on=TODAY() + datetime.timedelta(days=7),
        )
        return {}
    later = (timezone.now() + datetime.timedelta(hours=3)).astimezone(zone)
    return {
        "call": {"direction": "outbound", "contact_point": phone.pk, "outcome": "no_answer", "note": "Rang out"},
        "promise": {"amount": "50.00", "due_on": days(3)},
        "arrangement": {"total_amount": "300.00", "count": "3", "frequency": "monthly", "start_on": days(7)},
        "payment": {"amount": "25.00", "received_on": days(0), "method": "card"},
        "dispute": {"reason": "Says it was paid"},
        "hold": {"reason": "other", "note": "Fraud check"},
        "callback": {"at": later.strftime("%Y-%m-%dT%H:%M")},
        "cease": {"scope": "account", "in_writing": "on", "received_on": days(0)},
        "opt_out": {"target": f"point:{phone.pk}"},
    }[name]


# --- Every action URL, every role ----------------------------------------------------------------

ROLES_ALLOWED = ["collector", "manager", "admin_user"]
ROLES_FORBIDDEN = ["other_collector", "other_manager"]


@pytest.mark.parametrize("name", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES_ALLOWED)
def test_each_action_is_allowed_to_the_roles_that_see_the_account(request, client, account, name, role):
    user = request.getfixturevalue(role)
    data = payload(name, account, user)
    client.force_login(user)
    assert client.get(url(account, name), **HTMX).status_code == 200
    before = AuditEvent.objects.count()
    response = client.post(url(account, name), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/accounts/{account.pk}/"
    assert AuditEvent.objects.count() > before  # the service ran (every one leaves an audit event)


@pytest.mark.parametrize("name", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES_FORBIDDEN)
def test_each_action_is_a_404_to_anyone_else_and_changes_nothing(request, client, account, collector, name, role):
    data = payload(name, account, collector)
    client.force_login(request.getfixturevalue(role))
    before = AuditEvent.objects.count()
    assert client.get(url(account, name), **HTMX).status_code == 404
    assert client.post(url(account, name), data).status_code == 404
    assert client.post(url(account, name), data, **HTMX).status_code == 404
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_sends_the_anonymous_to_sign_in(client, account, collector, name):
    response = client.post(url(account, name), payload(name, account, collector))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_preview_is_scoped_too(client, account, other_collector, collector):
    client.force_login(other_collector)
    assert client.get(f"/accounts/{account.pk}/act/arrangement/preview/").status_code == 404
    client.force_login(collector)
    assert client.get(f"/accounts/{account.pk}/act/arrangement/preview/").status_code == 200


def test_unknown_action_is_a_404(signed_in, account):
    assert signed_in.post(url(account, "delete_everything"), {}).status_code == 404
    assert signed_in.get(url(account, "delete_everything"), **HTMX).status_code == 404


# --- The call and its outcomes --------------------------------------------------------------------


def test_a_call_with_a_promise_updates_the_timeline_without_a_reload(signed_in, account):
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"),
        {
            "direction": "outbound",
            "contact_point": phone.pk,
            "outcome": "promise_to_pay",
            "note": "Will pay Friday",
            "promise_amount": "120.50",
            "promise_due_on": days(4),
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="workspace">') or 'id="workspace"' in html[:400]
    assert "<html" not in html  # a fragment, not a page
    assert "Call logged: promise to pay on +12125550100; promise of 120.50 USD by" in html
    timeline = html.split('id="timeline"')[1]
    assert "Promise to pay</strong> 120.50 USD" in timeline and "Will pay Friday" in timeline
    activity = Activity.objects.get(account=account)
    assert activity.outcome == "promise_to_pay" and activity.contact_point == phone and activity.is_conversation
    assert Promise.objects.get(account=account).amount == Decimal("120.50")


def test_without_javascript_a_call_posts_and_redirects_with_a_message(signed_in, account):
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"),
        {"direction": "outbound", "contact_point": phone.pk, "outcome": "voicemail"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/accounts/{account.pk}/", 302)]
    assert "Call logged: voicemail left on +12125550100." in response.content.decode()


def test_a_call_outside_calling_hours_is_refused_with_why_and_what_next(signed_in, collector):
    zone = closed_zone()
    night = make_debt(collector, zone=zone)
    phone = night.debtor.contact_points.get()
    response = signed_in.post(
        url(night, "call"),
        {
            "direction": "outbound",
            "contact_point": phone.pk,
            "outcome": "promise_to_pay",
            "promise_amount": "50",
            "promise_due_on": days(2),
        },
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The contact rules refuse this call now." in html
    assert f"Calling hours in {zone}" in html
    assert "Next: Schedule a callback for then, or take the next account." in html
    refused = Activity.objects.get(account=night)
    assert refused.outcome == "held" and "outside_hours" in refused.gate_reasons
    assert "Refused by the contact rules" in html.split('id="timeline"')[1]
    assert not Promise.objects.filter(account=night).exists()
    # The number's verdict says the same, in the debtor's time.
    assert f"Callable from 08:00 {zone}" in html or f"Callable from tomorrow 08:00 {zone}" in html


def test_an_inbound_call_needs_no_number_and_passes_the_gate(signed_in, collector):
    night = make_debt(collector, zone=closed_zone())
    response = signed_in.post(
        url(night, "call"), {"direction": "inbound", "outcome": "right_party_contact", "note": "Called us"}
    )
    assert response.status_code == 302
    assert Activity.objects.get(account=night).channel == "inbound_call"


def test_an_outbound_call_needs_a_number(signed_in, account):
    response = signed_in.post(url(account, "call"), {"direction": "outbound", "outcome": "no_answer"}, **HTMX)
    assert response.status_code == 422
    assert "Choose the number you called." in response.content.decode()
    assert not Activity.objects.exists()


def test_a_number_of_another_debtor_is_refused(signed_in, account, collector):
    other = make_debt(collector)
    foreign = other.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"), {"direction": "outbound", "contact_point": foreign.pk, "outcome": "no_answer"}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Activity.objects.exists()


def test_a_promise_refused_after_the_call_keeps_the_call_and_reopens_the_promise(signed_in, account, collector):
    promise_create(account=account, amount=Decimal("40.00"), due_on=TODAY() + datetime.timedelta(days=2))
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"),
        {
            "direction": "outbound",
            "contact_point": phone.pk,
            "outcome": "promise_to_pay",
            "promise_amount": "60",
            "promise_due_on": days(5),
        },
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Call logged: promise to pay" in html
    assert "Not recorded: This account already has a pending promise" in html
    assert f'action="/accounts/{account.pk}/act/promise/"' in html
    assert 'value="60.00"' in html  # what was typed comes back
    assert Activity.objects.filter(account=account).count() == 1
    assert Promise.objects.filter(account=account).count() == 1


def test_the_daily_call_limit_is_explained(signed_in, account, collector):
    collector.daily_call_limit = 0
    collector.save()
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"), {"direction": "outbound", "contact_point": phone.pk, "outcome": "no_answer"}, **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "You have made your 0 calls for today" in html
    assert "Next: You can still record inbound calls" in html
    assert not Activity.objects.exists()


@pytest.mark.parametrize("outcome, reason", [("deceased", HoldReason.DECEASED), ("bankrupt", HoldReason.BANKRUPTCY)])
def test_deceased_and_bankrupt_outcomes_hold_every_debt(signed_in, account, outcome, reason):
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"), {"direction": "outbound", "contact_point": phone.pk, "outcome": outcome}, follow=True
    )
    assert "every debt of this debtor is now on hold" in response.content.decode()
    hold = Hold.objects.get()
    assert hold.reason == reason and hold.debtor_id == account.debtor_id and hold.account_id is None


def test_a_callback_with_the_call_is_read_in_the_debtors_zone(signed_in, account):
    phone = account.debtor.contact_points.get()
    zone = ZoneInfo(account.debtor.timezone)
    wall = (timezone.now() + datetime.timedelta(hours=5)).astimezone(zone).replace(second=0, microsecond=0)
    signed_in.post(
        url(account, "call"),
        {
            "direction": "outbound",
            "contact_point": phone.pk,
            "outcome": "callback_requested",
            "callback_at": wall.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    account.refresh_from_db()
    assert account.callback_at == wall


# --- Nonsense is refused in words, and nothing changes ---------------------------------------------


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abc", "Enter an amount in figures, like 120.50."),
        ("-5", "Enter an amount more than zero."),
        ("1e9999", "Enter an amount in figures, like 120.50."),
        ("NaN", "Enter an amount in figures, like 120.50."),
        ("Infinity", "Enter an amount in figures, like 120.50."),
        ("0", "Enter an amount more than zero."),
        ("0.001", "Use at most two decimal places."),
        ("12,34", "Enter an amount in figures, like 120.50."),
        ("1000000000000", "That amount is too large."),
        ("9" * 400, "That amount is too large."),
        ("", "This field is required."),
    ],
)
def test_promise_amounts_that_are_not_amounts(signed_in, account, typed, message):
    response = signed_in.post(url(account, "promise"), {"amount": typed, "due_on": days(3)}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Promise.objects.exists()


def test_amounts_are_read_the_way_people_type_them(signed_in, account):
    signed_in.post(url(account, "promise"), {"amount": "$ 1,234.5", "due_on": days(3)})
    assert not Promise.objects.exists()  # more than the balance of 900: refused by the service
    signed_in.post(url(account, "promise"), {"amount": "$ 123.5", "due_on": days(3)})
    assert Promise.objects.get().amount == Decimal("123.50")


@pytest.mark.parametrize(
    "due_on, message",
    [
        (days(-1), "The promise date cannot be in the past."),
        (days(120), "A promise more than 90 days away is an arrangement"),
        ("31/02/2026", "Enter a date like 2026-11-23."),
        ("9999-01-01", "Enter a date between 2000 and 2100."),
        ("yesterday", "Enter a date like 2026-11-23."),
    ],
)
def test_promise_dates_that_make_no_sense(signed_in, account, due_on, message):
    response = signed_in.post(url(account, "promise"), {"amount": "50", "due_on": due_on}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Promise.objects.exists()


def test_a_promise_over_the_balance_says_what_to_do(signed_in, account):
    response = signed_in.post(url(account, "promise"), {"amount": "5000", "due_on": days(3)}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "is more than the balance" in html and "Next: Enter at most the balance, or set up an arrangement." in html


def test_a_payment_is_recorded_and_the_balance_follows(signed_in, account):
    response = signed_in.post(
        url(account, "payment"),
        {"amount": "100.00", "received_on": days(0), "method": "card", "reference": "CARD-1", "note": "By phone"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Payment of 100.00 USD received" in html
    assert "800.00 USD" in html.split('id="balance-h"')[1][:300]
    account.refresh_from_db()
    assert account.balance == Decimal("800.00")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"amount": "abc", "received_on": days(0)}, "Enter an amount in figures"),
        ({"amount": "-5", "received_on": days(0)}, "Enter an amount more than zero."),
        ({"amount": "10", "received_on": days(5)}, "The date cannot be in the future."),
        ({"amount": "10", "received_on": days(0), "method": "bitcoin"}, "Select a valid choice"),
    ],
)
def test_payments_that_make_no_sense_leave_the_ledger_alone(signed_in, account, data, message):
    entries = LedgerEntry.objects.count()
    response = signed_in.post(url(account, "payment"), {"method": "card", **data}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert LedgerEntry.objects.count() == entries
    account.refresh_from_db()
    assert account.balance == Decimal("900.00")


# --- Arrangements -------------------------------------------------------------------------------------


def test_the_arrangement_schedule_is_previewed_live(signed_in, account):
    response = signed_in.get(
        f"/accounts/{account.pk}/act/arrangement/preview/",
        {"total_amount": "100.00", "count": "3", "frequency": "monthly", "start_on": days(7)},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("33.33 USD") == 2 and "33.34 USD" in html and "100.00 USD" in html
    nonsense = signed_in.get(
        f"/accounts/{account.pk}/act/arrangement/preview/", {"total_amount": "abc", "count": "x"}, **HTMX
    )
    assert "Fill in the total, the number of instalments and the first date" in nonsense.content.decode()
    over = signed_in.get(
        f"/accounts/{account.pk}/act/arrangement/preview/",
        {"total_amount": "5000", "count": "2", "frequency": "weekly", "start_on": days(1)},
    )
    assert "That is more than the balance" in over.content.decode()


def test_an_arrangement_starting_in_the_past_is_neither_previewed_nor_made(signed_in, account):
    terms = {"total_amount": "90.00", "count": "3", "frequency": "weekly", "start_on": days(-1)}
    refused = "The first instalment cannot be in the past: choose today or a later day."
    preview = signed_in.get(f"/accounts/{account.pk}/act/arrangement/preview/", terms, **HTMX).content.decode()
    assert refused in preview and "30.00 USD" not in preview
    response = signed_in.post(url(account, "arrangement"), terms, follow=True)
    assert refused in response.content.decode()
    assert not Arrangement.objects.exists()
    today = signed_in.get(
        f"/accounts/{account.pk}/act/arrangement/preview/", {**terms, "start_on": days(0)}, **HTMX
    ).content.decode()
    assert refused not in today and today.count("30.00 USD") == 3


def test_arrangement_form_opens_with_a_preview_of_the_whole_balance(signed_in, account):
    html = signed_in.get(f"/accounts/{account.pk}/?action=arrangement").content.decode()
    assert 'id="arrangement-preview"' in html and "300.00 USD" in html  # 900 in three


def test_arrangement_create_then_a_second_is_refused_then_cancel(signed_in, account):
    data = {"total_amount": "600", "count": "6", "frequency": "fortnightly", "start_on": days(3)}
    assert signed_in.post(url(account, "arrangement"), data).status_code == 302
    assert Arrangement.objects.get().instalments.count() == 6
    response = signed_in.post(url(account, "arrangement"), data, **HTMX)
    assert response.status_code == 422
    assert "already has an active arrangement" in response.content.decode()
    assert "Next: Cancel the active arrangement first" in response.content.decode()
    assert signed_in.post(url(account, "arrangement_cancel"), {}).status_code == 302
    assert Arrangement.objects.get().status == PlanStatus.CANCELLED
    response = signed_in.post(url(account, "arrangement_cancel"), {}, follow=True)
    assert "There is no active arrangement to cancel." in response.content.decode()


@pytest.mark.parametrize("count", ["0", "61", "2.5", "abc"])
def test_arrangement_counts_out_of_range(signed_in, account, count):
    response = signed_in.post(
        url(account, "arrangement"),
        {"total_amount": "300", "count": count, "frequency": "monthly", "start_on": days(3)},
        **HTMX,
    )
    assert response.status_code == 422
    assert not Arrangement.objects.exists()


# --- Disputes, holds, cease, opt-out, callbacks -------------------------------------------------------


def test_dispute_open_and_resolve(signed_in, account):
    response = signed_in.post(url(account, "dispute"), {"reason": "Paid in March", "in_writing": "on"}, **HTMX)
    assert "Dispute opened" in response.content.decode()
    dispute = Dispute.objects.get()
    html = signed_in.get(f"/accounts/{account.pk}/").content.decode()
    assert "Dispute open" in html and "Resolve a dispute" in html
    response = signed_in.post(url(account, "dispute_resolve"), {"dispute": dispute.pk, "outcome": "verified"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.outcome == "verified"


def test_an_empty_dispute_is_refused(signed_in, account):
    response = signed_in.post(url(account, "dispute"), {"reason": "   "}, **HTMX)
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert not Dispute.objects.exists()


def test_bankruptcy_hold_is_debtor_wide_and_only_a_manager_releases_it(client, account, collector, manager):
    client.force_login(collector)
    client.post(url(account, "hold"), {"reason": "bankruptcy", "note": "Chapter 7 notice"})
    hold = Hold.objects.get()
    assert hold.debtor_id == account.debtor_id and hold.reason == HoldReason.BANKRUPTCY
    html = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "A manager releases legal holds." in html and "Release a hold" not in html
    response = client.post(url(account, "hold_release"), {"hold": hold.pk, "note": "Dismissed"}, follow=True)
    assert "No hold here that you may release" in response.content.decode()
    hold.refresh_from_db()
    assert hold.released_at is None
    client.force_login(manager)
    assert client.post(url(account, "hold_release"), {"hold": hold.pk, "note": "Case dismissed"}).status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_a_collector_releases_an_ordinary_hold_but_not_a_disputes(signed_in, account, collector):
    dispute_open(account=account, reason="Not my debt", user=collector)
    ordinary = hold_place(reason=HoldReason.OTHER, account=account, user=collector, note="Asked for a week")
    response = signed_in.post(url(account, "hold_release"), {"hold": ordinary.pk, "note": "Called back"}, follow=True)
    assert "Hold released: other." in response.content.decode()
    disputed = Hold.objects.get(reason=HoldReason.DISPUTE)
    response = signed_in.post(url(account, "hold_release"), {"hold": disputed.pk}, follow=True)
    assert "No hold here that you may release" in response.content.decode()
    assert Hold.objects.filter(released_at__isnull=True).get() == disputed


def test_a_hold_for_another_reason_needs_a_note_and_a_future_end(signed_in, account):
    response = signed_in.post(url(account, "hold"), {"reason": "other", "ends_on": days(0)}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Say why the account is held." in html and "The hold must end after today." in html
    assert not Hold.objects.exists()


def test_cease_then_a_call_is_refused_with_the_reason(signed_in, account):
    signed_in.post(url(account, "cease"), {"scope": "account", "in_writing": "on", "received_on": days(0)})
    assert Hold.objects.get().reason == HoldReason.CEASE
    phone = account.debtor.contact_points.get()
    response = signed_in.post(
        url(account, "call"), {"direction": "outbound", "contact_point": phone.pk, "outcome": "no_answer"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "asked us in writing" in html and "Next: Do not contact the debtor about this debt." in html


def test_cease_cannot_be_received_in_the_future(signed_in, account):
    response = signed_in.post(url(account, "cease"), {"scope": "account", "received_on": days(3)}, **HTMX)
    assert response.status_code == 422 and "cannot be received in the future" in response.content.decode()
    assert not Hold.objects.exists()


def test_opt_out_of_a_number_and_of_a_whole_channel(signed_in, account):
    phone = account.debtor.contact_points.get()
    response = signed_in.post(url(account, "opt_out"), {"target": f"point:{phone.pk}"}, **HTMX)
    assert "Opt-out recorded: no more texts to +12125550100." in response.content.decode()
    phone.refresh_from_db()
    assert phone.opted_out
    signed_in.post(url(account, "opt_out"), {"target": "channel:call", "note": "Do not call me"})
    hold = Hold.objects.get()
    assert hold.reason == HoldReason.OPT_OUT and hold.channel == "call" and hold.debtor_id == account.debtor_id


def test_callback_is_stated_and_stored_in_the_debtors_zone(signed_in, account):
    zone = ZoneInfo(account.debtor.timezone)
    wall = (timezone.now() + datetime.timedelta(hours=2)).astimezone(zone).replace(second=0, microsecond=0)
    form = signed_in.get(url(account, "callback"), **HTMX).content.decode()
    assert f"Time in {account.debtor.timezone}, the debtor&#x27;s time zone." in form
    response = signed_in.post(url(account, "callback"), {"at": wall.strftime("%Y-%m-%dT%H:%M")}, **HTMX)
    assert f"Callback set for {wall:%H:%M} {account.debtor.timezone}, in " in response.content.decode()
    account.refresh_from_db()
    assert account.callback_at == wall
    past = (timezone.now() - datetime.timedelta(hours=2)).astimezone(zone)
    response = signed_in.post(url(account, "callback"), {"at": past.strftime("%Y-%m-%dT%H:%M")}, **HTMX)
    assert response.status_code == 422 and "A callback must be in the future." in response.content.decode()
    assert signed_in.post(url(account, "callback"), {"at": ""}).status_code == 302
    account.refresh_from_db()
    assert account.callback_at is None


# --- The panel itself -------------------------------------------------------------------------------


def test_an_action_form_opens_in_place_or_as_a_page(signed_in, account):
    panel = signed_in.get(url(account, "promise"), **HTMX)
    assert panel.status_code == 200
    html = panel.content.decode()
    assert 'id="action-panel"' in html and "<html" not in html
    assert f'action="/accounts/{account.pk}/act/promise/"' in html
    response = signed_in.get(url(account, "promise"))
    assert response.status_code == 302 and response["Location"].endswith("?action=promise#action-panel")
    page = signed_in.get(f"/accounts/{account.pk}/?action=promise").content.decode()
    assert "Record promise" in page
    closed = signed_in.get(url(account, "none"), **HTMX).content.decode()
    assert '<form method="post"' not in closed


def test_the_account_page_lists_its_shortcuts_and_each_numbers_verdict(signed_in, account):
    ContactPoint.objects.create(
        debtor=account.debtor, kind="email", value="alma@example.com", usage="home", source="debtor"
    )
    html = signed_in.get(f"/accounts/{account.pk}/").content.decode()
    for key, label in [("l", "Log call"), ("p", "Promise"), ("a", "Arrangement"), ("n", "Next account")]:
        assert f"<dt><kbd>{key}</kbd></dt><dd>{label}</dd>" in html
    assert 'Callable now</span> <span class="small muted">' in html
    assert f"in {account.debtor.timezone}" in html
    assert "Email allowed now" in html


def test_account_page_with_history_costs_a_bounded_number_of_queries(client, collector, django_assert_max_num_queries):
    account = make_debt(collector, balance="5000.00")
    ContactPoint.objects.create(debtor=account.debtor, kind="email", value="h@example.com", usage="home")
    from collections_app.services.ledger import payment_post

    for n in range(40):
        Activity.objects.create(
            account=account,
            debtor=account.debtor,
            channel="call",
            outcome="no_answer",
            occurred_at=timezone.now() - datetime.timedelta(days=n + 1),
            user=collector,
            to="+12125550100",
            automated=n % 5 == 0,
        )
    for _ in range(20):
        payment_post(account=account, amount=Decimal("10.00"), received_on=TODAY())
    dispute_open(account=account, reason="Not mine", user=collector)
    hold_place(reason=HoldReason.OTHER, account=account, user=collector, note="Check")
    client.force_login(collector)
    with django_assert_max_num_queries(40):
        response = client.get(f"/accounts/{account.pk}/")
    assert response.status_code == 200


def test_opening_an_action_form_reads_only_what_the_form_needs(signed_in, account, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert signed_in.get(url(account, "promise"), **HTMX).status_code == 200
    with django_assert_max_num_queries(18):  # the call form shows the gate's verdict on each number
        html = signed_in.get(url(account, "call"), **HTMX).content.decode()
    assert "+12125550100" in html and "Callable now" in html
