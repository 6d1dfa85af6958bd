"""Idempotency-Key on payments and logged contacts: one action per key, even at the same moment."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotencyRecord
from collections_app.models import Activity, LedgerEntry
from tests.conftest import require

AT_10_NEW_YORK = "2025-02-04T15:00:00Z"
AT_6_NEW_YORK = "2025-02-04T11:00:00Z"


def _payment(account, amount="25.00"):
    return {"account": account.pk, "amount": amount, "received_on": str(timezone.localdate()), "method": "card"}


@pytest.mark.django_db
def test_the_same_key_and_body_post_one_payment_and_replay_the_first_answer(portfolio, as_role):
    client = as_role("collector")
    first = client.post("/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = client.post("/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert LedgerEntry.objects.filter(account=portfolio.mine, kind="payment").count() == 1
    assert client.get(f"/api/accounts/{portfolio.mine.pk}/").json()["balance"] == "975.00"


@pytest.mark.django_db
def test_the_same_key_with_another_body_or_endpoint_is_refused(portfolio, as_role):
    client = as_role("collector")
    client.post("/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    other = client.post(
        "/api/payments/", _payment(portfolio.mine, "30.00"), format="json", HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    elsewhere = client.post(
        "/api/activities/",
        {"account": portfolio.mine.pk, "channel": "inbound_call", "outcome": "right_party_contact"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-1",
    )
    assert elsewhere.status_code == 422
    assert LedgerEntry.objects.filter(account=portfolio.mine, kind="payment").count() == 1
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_keys_belong_to_their_user(portfolio, as_role, api):
    as_role("collector").post("/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="k")
    # Another user's same key is another action (and not a way to read the first one's answer).
    response = as_role("manager").post(
        "/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert LedgerEntry.objects.filter(account=portfolio.mine, kind="payment").count() == 2


@pytest.mark.django_db
def test_a_refusal_is_replayed_too_and_nothing_is_created(portfolio, as_role):
    client = as_role("collector")
    body = {**_payment(portfolio.mine), "received_on": "2100-01-01"}
    first = client.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-bad")
    assert first.status_code == 400 and first.json()["code"] == "future_date"
    again = client.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-bad")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9", "tab\there"])
def test_an_unusable_key_is_a_400(portfolio, as_role, key):
    client = as_role("collector")
    response = client.post(
        "/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1")
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


@pytest.mark.django_db
def test_a_malformed_body_with_a_key_is_a_400_and_not_stored(portfolio, as_role):
    client = as_role("collector")
    response = client.post(
        "/api/payments/", data="{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_logged_contact_is_logged_once_per_key(portfolio, as_role):
    client = as_role("collector")
    point = portfolio.mine.debtor.contact_points.first()
    body = {
        "account": portfolio.mine.pk,
        "channel": "call",
        "outcome": "voicemail",
        "to": point.value,
        "at": AT_10_NEW_YORK,
    }
    first = client.post("/api/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="dialer-77")
    second = client.post("/api/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="dialer-77")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert Activity.objects.filter(account=portfolio.mine).count() == 1


@pytest.mark.django_db
def test_a_refused_contact_is_recorded_once_and_its_refusal_replayed(portfolio, as_role):
    client = as_role("collector")
    point = portfolio.mine.debtor.contact_points.first()
    body = {
        "account": portfolio.mine.pk,
        "channel": "call",
        "outcome": "no_answer",
        "to": point.value,
        "at": AT_6_NEW_YORK,
    }
    first = client.post("/api/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="dialer-78")
    second = client.post("/api/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="dialer-78")
    assert first.status_code == second.status_code == 400
    assert first.json()["code"] == second.json()["code"] == "contact_refused"
    # The gate's refusal is on record (once), though the request failed.
    assert list(Activity.objects.values_list("outcome", flat=True)) == ["held"]


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_the_same_moment_with_one_key_post_one_payment(portfolio, token_for):
    require(connection.vendor == "postgresql", "PostgreSQL (row locks and a real unique index across connections)")
    _, key = token_for(portfolio.users["collector"])
    account = portfolio.mine
    workers = 4
    barrier = threading.Barrier(workers)
    answers, errors = [], []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/payments/", _payment(account), format="json", HTTP_IDEMPOTENCY_KEY="race-1")
            answers.append((response.status_code, response.json()))
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == workers
    assert {status for status, _ in answers} == {201}
    assert len({body["id"] for _, body in answers}) == 1
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 1
    assert IdempotencyRecord.objects.filter(key="race-1").count() == 1
    account.refresh_from_db()
    assert str(account.balance) == "975.00"
