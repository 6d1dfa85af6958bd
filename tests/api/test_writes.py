"""Each write through the API does what the page's service does, and says why when it refuses."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.models import Account, Activity, Arrangement, Assignment, Debtor, LedgerEntry, Promise
from compliance.models import AuditEvent, Hold

pytestmark = pytest.mark.django_db

AT_10_NEW_YORK = "2025-02-04T15:00:00Z"  # a Tuesday, 10:00 in Boston
AT_6_NEW_YORK = "2025-02-04T11:00:00Z"


def today(days=0):
    return str(timezone.localdate() + datetime.timedelta(days=days))


def test_an_integration_places_a_debtor_an_account_and_its_invoice(portfolio, as_role):
    admin = as_role("admin")
    debtor = admin.post(
        "/api/debtors/",
        {"external_id": "D-9", "name": "Dana Whitfield", "region": "CO", "country": "US"},
        format="json",
    )
    assert debtor.status_code == 201, debtor.json()
    assert debtor.json()["timezone"] == "America/Denver"
    account = admin.post(
        "/api/accounts/",
        {
            "external_id": "ACC-9",
            "debtor": debtor.json()["id"],
            "creditor": "New Bank",
            "currency": "USD",
            "opened_on": "2024-03-01",
            "placed_on": "2025-01-15",
            "segment": "retail",
            "collector": portfolio.users["collector"].pk,
        },
        format="json",
    )
    assert account.status_code == 201, account.json()
    body = account.json()
    assert body["creditor"]["name"] == "New Bank" and body["assigned_to"]["username"] == "collector_a"
    assert body["balance"] == "0.00"
    invoice = admin.post(
        "/api/invoices/",
        {
            "account": body["id"],
            "amount": "1250.00",
            "issued_on": "2025-01-01",
            "due_on": "2025-01-31",
            "external_id": "I-1",
        },
        format="json",
    )
    assert invoice.status_code == 201, invoice.json()
    assert admin.get(f"/api/accounts/{body['id']}/").json()["balance"] == "1250.00"
    assert AuditEvent.objects.filter(action="account.placed", account_id=body["id"]).exists()
    assert Assignment.objects.filter(account_id=body["id"], collector=portfolio.users["collector"]).exists()
    # The collector now sees it.
    assert as_role("collector").get(f"/api/accounts/{body['id']}/").status_code == 200


def test_placement_refusals_carry_codes(portfolio, as_role):
    admin = as_role("admin")
    base = {
        "debtor": portfolio.mine.debtor_id,
        "creditor": "Acme Lending",
        "currency": "USD",
        "opened_on": "2024-01-01",
    }
    dup = admin.post("/api/accounts/", {**base, "external_id": "A-MINE"}, format="json")
    assert dup.status_code == 400 and dup.json()["code"] == "duplicate_external_id"
    assert dup.json()["errors"]["external_id"][0]["code"] == "duplicate_external_id"
    bad = admin.post("/api/accounts/", {**base, "external_id": "X", "currency": "XXY"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_currency"
    dates = admin.post("/api/accounts/", {**base, "external_id": "Y", "placed_on": "2023-01-01"}, format="json")
    assert dates.json()["code"] == "invalid_date"
    manager_collector = admin.post(
        "/api/accounts/", {**base, "external_id": "Z", "collector": portfolio.users["manager"].pk}, format="json"
    )
    assert manager_collector.status_code == 400  # not a collector: not among those one may assign to
    assert not Account.objects.filter(external_id__in=["X", "Y", "Z"]).exists()
    debtor = admin.post("/api/debtors/", {"external_id": "D-1", "name": "x", "timezone": "Mars/Base"}, format="json")
    assert debtor.json()["code"] == "invalid_timezone"
    existing = Debtor.objects.first().external_id
    again = admin.post("/api/debtors/", {"external_id": existing, "name": "x"}, format="json")
    assert again.status_code == 400 and "external_id" in again.json()["errors"]


def test_a_payment_is_posted_allocated_and_judges_the_promise(portfolio, as_role):
    collector = as_role("collector")
    account = portfolio.mine
    promise = collector.post(
        "/api/promises/", {"account": account.pk, "amount": "100.00", "due_on": today(5)}, format="json"
    )
    assert promise.status_code == 201, promise.json()
    response = collector.post(
        "/api/payments/",
        {
            "account": account.pk,
            "amount": "100.00",
            "received_on": today(),
            "method": "card",
            "external_id": "PORTAL-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    payment = response.json()
    assert payment["amount"] == "100.00" and payment["method"] == "card" and payment["reversed_by"] is None
    assert collector.get(f"/api/accounts/{account.pk}/").json()["balance"] == "900.00"
    assert collector.get(f"/api/promises/{promise.json()['id']}/").json()["status"] == "kept"
    # Posting the same external id again returns the first payment.
    again = collector.post(
        "/api/payments/",
        {
            "account": account.pk,
            "amount": "100.00",
            "received_on": today(),
            "method": "card",
            "external_id": "PORTAL-1",
        },
        format="json",
    )
    assert again.json()["id"] == payment["id"]
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"amount": "0.00"}, "min_value", "amount"),
        ({"amount": "-5"}, "min_value", "amount"),
        ({"amount": "1.234"}, "max_decimal_places", "amount"),
        ({"amount": "NaN"}, "invalid", "amount"),
        ({"amount": "99999999999999999999"}, "max_digits", "amount"),
        ({"received_on": "2100-01-01"}, "future_date", "posted_on"),
        ({"received_on": "9999-12-31"}, "out_of_range", "received_on"),
        ({"received_on": "2025-02-30"}, "invalid", "received_on"),
        ({"method": "bitcoin"}, "invalid_choice", "method"),
        ({"external_id": "P-1", "amount": "2.00"}, "duplicate_external_id", "external_id"),
    ],
)
def test_payment_refusals_say_which_field_and_why(portfolio, as_role, body, code, field):
    client = as_role("collector")
    base = {"account": portfolio.mine.pk, "amount": "1.00", "received_on": today(), "external_id": "P-1"}
    client.post("/api/payments/", base, format="json")
    response = client.post("/api/payments/", {**base, **body}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert response.json()["errors"][field][0]["code"] == code


def test_a_payment_names_an_invoice_of_its_account_only(portfolio, as_role):
    admin = as_role("admin")
    other_invoice = portfolio.theirs.invoices.first()
    response = admin.post(
        "/api/payments/",
        {"account": portfolio.mine.pk, "amount": "5.00", "received_on": today(), "invoice": other_invoice.pk},
        format="json",
    )
    assert response.status_code == 400 and response.json()["errors"]["invoice"][0]["code"] == "does_not_exist"


def test_a_manager_reverses_a_payment_once(portfolio, as_role):
    payment = (
        as_role("collector")
        .post(
            "/api/payments/", {"account": portfolio.mine.pk, "amount": "40.00", "received_on": today()}, format="json"
        )
        .json()
    )
    manager = as_role("manager")
    response = manager.post(f"/api/payments/{payment['id']}/reverse/", {"reason": "Cheque bounced"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "reversal" and response.json()["amount"] == "40.00"
    assert manager.get(f"/api/payments/{payment['id']}/").json()["reversed_by"] == response.json()["id"]
    assert manager.get(f"/api/accounts/{portfolio.mine.pk}/").json()["balance"] == "1000.00"
    again = manager.post(f"/api/payments/{payment['id']}/reverse/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_reversed"
    blank = manager.post(f"/api/payments/{payment['id']}/reverse/", {"reason": ""}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"]["reason"][0]["code"] == "blank"
    reversed_only = manager.get("/api/payments/?reversed=true").json()["results"]
    assert [p["id"] for p in reversed_only] == [payment["id"]]


def test_promise_refusals(portfolio, as_role):
    client = as_role("collector")
    base = {"account": portfolio.mine.pk, "amount": "10.00", "due_on": today(3)}
    assert client.post("/api/promises/", base, format="json").status_code == 201
    for body, code in [
        (base, "promise_pending"),
        ({**base, "due_on": today(-1)}, "invalid_date"),
        ({**base, "due_on": today(200)}, "promise_too_far"),
        ({**base, "amount": "5000.00"}, "promise_exceeds_balance"),
    ]:
        response = client.post("/api/promises/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == code, (body, response.json())
    assert Promise.objects.filter(account=portfolio.mine).count() == 1


def test_arrangement_preview_create_and_cancel(portfolio, as_role):
    client = as_role("collector")
    terms = {
        "account": portfolio.mine.pk,
        "total_amount": "100.00",
        "count": 3,
        "frequency": "monthly",
        "start_on": today(1),
    }
    preview = client.post("/api/arrangements/preview/", terms, format="json")
    assert preview.status_code == 200, preview.json()
    lines = preview.json()["instalments"]
    assert [line["amount"] for line in lines] == ["33.33", "33.33", "33.34"]
    assert [line["sequence"] for line in lines] == [1, 2, 3]
    assert not Arrangement.objects.exists()
    created = client.post("/api/arrangements/", terms, format="json")
    assert created.status_code == 201, created.json()
    assert [i["amount"] for i in created.json()["instalments"]] == ["33.33", "33.33", "33.34"]
    assert client.get(f"/api/accounts/{portfolio.mine.pk}/").json()["status"] == "in_arrangement"
    again = client.post("/api/arrangements/", terms, format="json")
    assert again.json()["code"] == "arrangement_active"
    too_much = client.post("/api/arrangements/", {**terms, "total_amount": "5000.00"}, format="json")
    assert too_much.json()["code"] == "arrangement_exceeds_balance"
    past = client.post("/api/arrangements/", {**terms, "start_on": today(-3)}, format="json")
    assert past.json()["code"] == "invalid_date"
    cancelled = client.post(f"/api/arrangements/{created.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/arrangements/{created.json()['id']}/cancel/").json()["code"] == "arrangement_not_active"
    for body, code in [
        ({**terms, "count": 61}, "max_value"),
        ({**terms, "total_amount": "0.02"}, "invalid_amount"),
        ({**terms, "start_on": "2199-12-31", "count": 60}, None),
    ]:
        response = client.post("/api/arrangements/preview/", body, format="json")
        if code is None:
            assert response.status_code == 200
        else:
            assert response.status_code == 400 and response.json()["code"] == code, (body, response.json())


def test_a_contact_the_gate_allows_is_logged(portfolio, as_role):
    client = as_role("collector")
    point = portfolio.mine.debtor.contact_points.first()
    response = client.post(
        "/api/activities/",
        {
            "account": portfolio.mine.pk,
            "channel": "call",
            "outcome": "voicemail",
            "to": point.value,
            "at": AT_10_NEW_YORK,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact_point"] == point.pk and body["is_attempt"] is True and body["gate_reasons"] == []
    assert body["user"]["username"] == "collector_a"


def test_a_contact_the_gate_refuses_is_recorded_as_held_and_answered_400(portfolio, as_role):
    client = as_role("collector")
    point = portfolio.mine.debtor.contact_points.first()
    response = client.post(
        "/api/activities/",
        {
            "account": portfolio.mine.pk,
            "channel": "call",
            "outcome": "no_answer",
            "to": point.value,
            "at": AT_6_NEW_YORK,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "contact_refused"
    assert "8:00" in response.json()["detail"]
    assert [r["code"] for r in response.json()["reasons"]] == ["outside_hours"]
    held = Activity.objects.get(account=portfolio.mine, outcome="held")
    assert "outside_hours" in held.gate_reasons
    assert AuditEvent.objects.filter(action="contact.refused", account_id=portfolio.mine.pk).exists()


def test_the_gate_query_answers_without_logging(portfolio, as_role):
    client = as_role("collector")
    point = portfolio.mine.debtor.contact_points.first()
    base = f"/api/gate/?account={portfolio.mine.pk}&channel=call&to={point.value.replace('+', '%2B')}"
    early = client.get(base + f"&at={AT_6_NEW_YORK}")
    assert early.status_code == 200, early.json()
    assert early.json()["allowed"] is False and early.json()["verdict"] == "not_now"
    assert early.json()["reasons"][0]["code"] == "outside_hours"
    assert early.json()["next_allowed_at"] == "2025-02-04T13:00:00Z"
    fine = client.get(base + f"&at={AT_10_NEW_YORK}")
    assert fine.json()["allowed"] is True and fine.json()["verdict"] == "callable"
    by_point = client.get(
        f"/api/gate/?account={portfolio.mine.pk}&channel=sms&contact_point={point.pk}&at={AT_10_NEW_YORK}"
    )
    assert by_point.json()["allowed"] is False and "no_consent" in [r["code"] for r in by_point.json()["reasons"]]
    assert not Activity.objects.exists()
    assert client.get("/api/gate/?channel=call").status_code == 400
    assert client.get(f"/api/gate/?account={portfolio.mine.pk}&channel=fax").status_code == 400
    other_point = portfolio.theirs.debtor.contact_points.first()
    assert client.get(f"/api/gate/?account={portfolio.mine.pk}&contact_point={other_point.pk}").status_code == 404


def test_a_hold_stops_contact_until_a_manager_releases_it(portfolio, as_role):
    collector, manager = as_role("collector"), as_role("manager")
    point = portfolio.mine.debtor.contact_points.first()
    hold = collector.post(
        "/api/holds/", {"debtor": portfolio.mine.debtor_id, "reason": "attorney", "note": "Smith & Co."}, format="json"
    )
    assert hold.status_code == 201, hold.json()
    assert hold.json()["active"] is True and hold.json()["debtor"] == portfolio.mine.debtor_id
    # Tomorrow 10:00 in Boston: only the hold (placed now) can refuse.
    at = f"{today(1)}T15:00:00Z"
    gate = collector.get(f"/api/gate/?account={portfolio.mine.pk}&to={point.value.replace('+', '%2B')}&at={at}")
    assert gate.json()["verdict"] == "never" and gate.json()["reasons"][0]["code"] == "attorney"
    assert collector.get("/api/holds/?active=true").json()["results"][0]["id"] == hold.json()["id"]
    assert collector.post(f"/api/holds/{hold.json()['id']}/release/", {}, format="json").status_code == 403
    released = manager.post(f"/api/holds/{hold.json()['id']}/release/", {"note": "Attorney withdrew"}, format="json")
    assert released.status_code == 200 and released.json()["active"] is False
    again = manager.post(f"/api/holds/{hold.json()['id']}/release/", {}, format="json")
    assert again.json()["code"] == "hold_released"
    both = collector.post(
        "/api/holds/",
        {"account": portfolio.mine.pk, "debtor": portfolio.mine.debtor_id, "reason": "cease"},
        format="json",
    )
    assert both.status_code == 400 and both.json()["code"] == "account_or_debtor"
    backwards = collector.post(
        "/api/holds/",
        {
            "account": portfolio.mine.pk,
            "reason": "other",
            "starts_at": "2025-02-02T00:00:00Z",
            "ends_at": "2025-02-01T00:00:00Z",
        },
        format="json",
    )
    assert backwards.json()["code"] == "invalid_hold"
    assert Hold.objects.count() == 1


def test_a_dispute_is_opened_by_a_collector_and_resolved_by_a_manager(portfolio, as_role):
    collector, manager = as_role("collector"), as_role("manager")
    dispute = collector.post("/api/disputes/", {"account": portfolio.mine.pk, "reason": "Paid in 2023"}, format="json")
    assert dispute.status_code == 201
    assert dispute.json()["within_validation_period"] is True and dispute.json()["outcome"] == ""
    assert collector.get(f"/api/accounts/{portfolio.mine.pk}/").json()["status"] == "disputed"
    resolved = manager.post(f"/api/disputes/{dispute.json()['id']}/resolve/", {"outcome": "verified"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["outcome"] == "verified"
    assert collector.get(f"/api/accounts/{portfolio.mine.pk}/").json()["status"] == "active"
    assert (
        manager.post(f"/api/disputes/{dispute.json()['id']}/resolve/", {"outcome": "verified"}, format="json").json()[
            "code"
        ]
        == "dispute_resolved"
    )
    blank = collector.post("/api/disputes/", {"account": portfolio.mine.pk, "reason": "   "}, format="json")
    assert blank.status_code == 400


def test_contact_points_are_added_and_opted_out(portfolio, as_role):
    client = as_role("collector")
    added = client.post(
        "/api/contact-points/",
        {"debtor": portfolio.mine.debtor_id, "kind": "phone", "value": "(303) 555-0199", "usage": "mobile"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert added.json()["value"] == "+13035550199" and added.json()["timezone"] == "America/Denver"
    dup = client.post(
        "/api/contact-points/",
        {"debtor": portfolio.mine.debtor_id, "kind": "phone", "value": "303-555-0199"},
        format="json",
    )
    assert dup.json()["code"] == "duplicate_contact"
    bad = client.post(
        "/api/contact-points/", {"debtor": portfolio.mine.debtor_id, "kind": "email", "value": "nope"}, format="json"
    )
    assert bad.json()["code"] == "invalid_contact"
    opted = client.post(f"/api/contact-points/{added.json()['id']}/opt-out/", {"note": "Texted STOP"}, format="json")
    assert opted.status_code == 200 and opted.json()["opted_out"] is True
    assert (
        client.get(f"/api/contact-points/?debtor={portfolio.mine.debtor_id}&opted_out=true").json()["results"][0]["id"]
        == added.json()["id"]
    )


def test_assignment_single_and_bulk(portfolio, as_role, make_user, team):
    manager = as_role("manager")
    second = make_user("collector", team=team, username="collector_c")
    response = manager.post(
        "/api/assignments/",
        {"account": portfolio.unassigned.pk, "collector": second.pk, "note": "Spanish"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assigned_to"]["username"] == "collector_c"
    history = manager.get(f"/api/assignments/?account={portfolio.unassigned.pk}&current=true").json()["results"]
    assert [h["collector"]["username"] for h in history] == ["collector_c"]
    unassign = manager.post("/api/assignments/", {"account": portfolio.unassigned.pk, "collector": None}, format="json")
    assert unassign.status_code == 200 and unassign.json()["assigned_to"] is None
    bulk = manager.post(
        "/api/assignments/bulk/",
        {"accounts": [portfolio.mine.pk, portfolio.unassigned.pk, portfolio.theirs.pk], "collectors": [second.pk]},
        format="json",
    )
    assert bulk.status_code == 200 and bulk.json() == {"moved": 2}  # theirs is out of the manager's sight
    assert Account.objects.get(pk=portfolio.theirs.pk).assigned_to == portfolio.users["other_collector"]
    neither = manager.post("/api/assignments/bulk/", {"collectors": [second.pk]}, format="json")
    assert neither.status_code == 400 and neither.json()["code"] == "accounts_or_filter"
    bad_filter = manager.post(
        "/api/assignments/bulk/", {"filter": {"status": "nope"}, "collectors": [second.pk]}, format="json"
    )
    assert bad_filter.status_code == 400 and "filter.status" in bad_filter.json()["errors"]
    admin = as_role("admin")
    by_filter = admin.post(
        "/api/assignments/bulk/", {"filter": {"q": "A-THEIRS"}, "collectors": [second.pk]}, format="json"
    )
    assert by_filter.json() == {"moved": 1}


def test_account_list_filters_are_the_pages(portfolio, as_role):
    admin = as_role("admin")
    assert [a["external_id"] for a in admin.get("/api/accounts/?q=A-THEIRS").json()["results"]] == ["A-THEIRS"]
    assert len(admin.get("/api/accounts/?bucket=121%2B").json()["results"]) == 3
    assert admin.get("/api/accounts/?bucket=current").json()["results"] == []
    assert len(admin.get(f"/api/accounts/?creditor={portfolio.mine.creditor_id}").json()["results"]) == 3
    assert admin.get("/api/accounts/?creditor=999999").json()["results"] == []
    assert admin.get("/api/accounts/?status=bogus").status_code == 400


def test_cursor_pagination_walks_every_row_once(portfolio, as_role):
    from tests.api.conftest import make_account

    for n in range(7):
        make_account(external_id=f"PAGE-{n}", balance=Decimal("0"))
    client = as_role("admin")
    seen, url = [], "/api/accounts/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == Account.objects.count() == 10
    assert seen == sorted(seen, reverse=True)
    assert client.get("/api/accounts/?cursor=garbage").status_code == 404
