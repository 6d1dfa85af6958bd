"""Bad input is a 4xx with a code, never a 500: huge numbers, bad dates, wrong types, NUL bytes..."""

import json

import pytest
from django.test import Client

from collections_app.models import LedgerEntry

pytestmark = pytest.mark.django_db

HUGE = 10**40


def _bad_bodies(p):
    account = p.mine.pk
    payment = {"account": account, "amount": "1.00", "received_on": "2025-02-01"}
    activity = {"account": account, "channel": "call", "outcome": "voicemail", "to": "+16175550100"}
    return [
        ("/api/payments/", {**payment, "amount": HUGE}),
        ("/api/payments/", {**payment, "amount": "1" * 400}),
        ("/api/payments/", {**payment, "amount": 1e308}),
        ("/api/payments/", {**payment, "amount": "Infinity"}),
        ("/api/payments/", {**payment, "amount": [1]}),
        ("/api/payments/", {**payment, "amount": {"a": 1}}),
        ("/api/payments/", {**payment, "amount": True}),
        ("/api/payments/", {**payment, "account": HUGE}),
        ("/api/payments/", {**payment, "account": -1}),
        ("/api/payments/", {**payment, "account": "1; DROP TABLE"}),
        ("/api/payments/", {**payment, "account": 1.5}),
        ("/api/payments/", {**payment, "invoice": HUGE}),
        ("/api/payments/", {**payment, "received_on": "0001-01-01"}),
        ("/api/payments/", {**payment, "received_on": "99999-01-01"}),
        ("/api/payments/", {**payment, "received_on": "2025-13-01"}),
        ("/api/payments/", {**payment, "received_on": 20250201}),
        ("/api/payments/", {**payment, "note": "nul\x00byte"}),
        ("/api/payments/", {**payment, "external_id": "x" * 5000}),
        ("/api/payments/", [payment]),
        ("/api/payments/", "a string"),
        ("/api/payments/", None),
        ("/api/activities/", {**activity, "at": "0001-01-01T00:00:00+14:00"}),
        ("/api/activities/", {**activity, "at": "9999-12-31T23:59:59-14:00"}),
        ("/api/activities/", {**activity, "at": "yesterday"}),
        ("/api/activities/", {**activity, "duration_seconds": HUGE}),
        ("/api/activities/", {**activity, "contact_point": HUGE}),
        ("/api/activities/", {**activity, "to": "\x00"}),
        ("/api/activities/", {**activity, "note": "\x00"}),
        (
            "/api/arrangements/preview/",
            {
                "account": account,
                "total_amount": "9" * 12,
                "count": HUGE,
                "frequency": "monthly",
                "start_on": "2199-12-31",
            },
        ),
        (
            "/api/arrangements/preview/",
            {"account": account, "total_amount": "100", "count": 60, "frequency": "monthly", "start_on": "2199-12-31"},
        ),
        (
            "/api/arrangements/",
            {
                "account": account,
                "total_amount": "100",
                "count": 3,
                "frequency": "monthly",
                "start_on": "2199-12-31",
                "missed_allowed": HUGE,
            },
        ),
        ("/api/promises/", {"account": account, "amount": "1", "due_on": "2199-12-31"}),
        ("/api/holds/", {"account": account, "reason": "other", "starts_at": "0001-01-01T00:00:00Z"}),
        ("/api/holds/", {"account": account, "reason": "other", "channel": "\x00"}),
        ("/api/contact-points/", {"debtor": p.mine.debtor_id, "kind": "phone", "value": "\x00"}),
        ("/api/contact-points/", {"debtor": p.mine.debtor_id, "kind": "phone", "value": "9" * 254}),
        ("/api/contact-points/", {"debtor": p.mine.debtor_id, "kind": "email", "value": "a@" + "b" * 250}),
        ("/api/debtors/", {"external_id": "\x00", "name": "x"}),
        ("/api/debtors/", {"external_id": "D-X", "name": "x", "country": "\u00e9\u00e9"}),
        ("/api/debtors/", {"external_id": "D-Y", "name": "x", "timezone": "../../etc/passwd"}),
        (
            "/api/accounts/",
            {
                "external_id": "A-X",
                "debtor": p.mine.debtor_id,
                "creditor": "\x00",
                "currency": "USD",
                "opened_on": "2024-01-01",
            },
        ),
        (
            "/api/accounts/",
            {
                "external_id": "A-Y",
                "debtor": p.mine.debtor_id,
                "creditor": "C",
                "currency": "usd",
                "opened_on": "2024-01-01",
            },
        ),
        ("/api/assignments/bulk/", {"accounts": [HUGE], "collectors": [1]}),
        ("/api/assignments/bulk/", {"filter": {"q": "\x00"}, "collectors": [p.users["collector"].pk]}),
        ("/api/assignments/bulk/", {"filter": {"creditor": str(HUGE)}, "collectors": [p.users["collector"].pk]}),
        ("/api/assignments/bulk/", {"filter": "all", "collectors": [1]}),
        ("/api/tokens/", {"name": "x", "owner": "\x00", "role": "collector"}),
        ("/api/tokens/", {"name": "x", "owner": "collector_a", "role": "collector", "rate_limit": "9999999999/s"}),
    ]


def test_bad_bodies_are_answered_with_codes_never_500(portfolio, as_role):
    client = as_role("admin")
    for path, body in _bad_bodies(portfolio):
        response = client.post(path, body, format="json")
        assert response.status_code < 500, (path, body, response.status_code)
        if path == "/api/payments/":
            assert response.status_code == 400, (body, response.json())
        if response.status_code >= 400:
            data = response.json()
            assert data["code"] and data["detail"], (path, body, data)
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[" * 100000 + b"]" * 100000, b'{"amount": NaN}', b"\xff\xfe", b'{"a": "\\ud800"}', b"", b"null"],
)
def test_unparseable_bodies_are_400(portfolio, as_role, raw):
    response = as_role("collector").post("/api/payments/", data=raw, content_type="application/json")
    assert response.status_code == 400, raw[:20]


def test_a_lone_surrogate_in_an_otherwise_good_body_is_a_parse_error(portfolio, as_role):
    raw = b'{"account": %d, "amount": "1.00", "received_on": "2025-02-01", "note": "\\ud800"}' % portfolio.mine.pk
    response = as_role("collector").post("/api/payments/", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_other_media_types_are_415(portfolio, as_role):
    response = as_role("collector").post(
        "/api/payments/", data="account=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/accounts/{HUGE}/",
        "/api/accounts/-1/",
        "/api/accounts/1.5/",
        "/api/accounts/%00/",
        "/api/accounts/abc/",
        "/api/nothing-here/",
        f"/api/payments/{HUGE}/reverse/",
    ],
)
def test_strange_paths_are_json_404s(portfolio, as_role, path):
    client = as_role("admin")
    response = client.get(path) if "reverse" not in path else client.post(path, {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        f"accounts/?creditor={HUGE}",
        "accounts/?creditor=abc",
        "accounts/?q=%00",
        "accounts/?bucket=%00",
        "accounts/?page_size=-1",
        f"accounts/?page_size={HUGE}",
        "accounts/?cursor=%00",
        f"invoices/?account={HUGE}",
        "invoices/?due_after=0000-00-00",
        "invoices/?due_after=99999-01-01",
        "activities/?occurred_after=0001-01-01T00:00:00%2B14:00",
        "activities/?occurred_before=9999-12-31T23:59:59-14:00",
        "activities/?occurred_after=nope",
        "payments/?reversed=maybe",
        "holds/?active=%00",
        f"gate/?account={HUGE}",
        "gate/?account=1&at=0001-01-01T00:00:00Z",
        "gate/?account=1&at=9999-12-31T23:59:59Z",
        "gate/?account=1&to=%00",
        f"gate/?account=1&contact_point={HUGE}",
        "debtors/?q=%00",
    ],
)
def test_strange_queries_are_never_500(portfolio, as_role, query):
    response = as_role("admin").get(f"/api/{query}")
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    if response.status_code != 200:
        assert response.json()["code"]


def test_validation_errors_name_each_field(portfolio, as_role):
    response = as_role("collector").post("/api/payments/", {"amount": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"  # more than one kind of problem
    assert set(body["errors"]) == {"account", "amount", "received_on"}
    assert body["errors"]["received_on"] == [{"message": "This field is required.", "code": "required"}]
    assert body["errors"]["amount"][0]["code"] == "invalid"


def test_errors_do_not_leak_internals_when_debug_is_off(portfolio, as_role, settings):
    settings.DEBUG = False
    response = as_role("admin").post("/api/payments/", {"amount": 10**40}, format="json")
    assert "Traceback" not in response.content.decode()
    assert json.loads(response.content)["code"]


def test_unsupported_methods_are_405_with_the_error_body(portfolio, as_role):
    response = as_role("admin").delete(f"/api/accounts/{portfolio.mine.pk}/")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_the_session_client_without_login_is_401_not_a_redirect(portfolio):
    response = Client().get("/api/accounts/")
    assert response.status_code == 401
