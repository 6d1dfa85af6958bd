"""A payment POST stays cheap (issue 10: payments per second), and its answer is the payment as read back."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import IdempotencyRecord
from collections_app.models import LedgerEntry
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db

# Token (1), transaction (2), key claim (1), account locked in scope (1), entry (1), open invoices (1),
# allocation (1), invoice (1), account caches (1), audit (1), the stored answer (1).
MAX_QUERIES = 12


def _payment(account, **extra):
    return {
        "account": account.pk,
        "amount": "12.34",
        "received_on": str(timezone.localdate()),
        "method": "card",
        **extra,
    }


@pytest.mark.parametrize("role", ["collector", "manager", "admin"])
def test_a_keyed_payment_costs_a_dozen_queries_at_most(portfolio, as_role, role, django_assert_max_num_queries):
    client = as_role(role)
    client.get("/api/creditors/")  # the token's last use is written once a minute: not in the count below
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.post(
            "/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
    assert response.status_code == 201


def test_the_answer_is_the_payment_as_stored(portfolio, as_role):
    client = as_role("manager")
    posted = client.post(
        "/api/payments/", _payment(portfolio.mine, note="portal", external_id="EXT-1"), format="json"
    ).json()
    assert posted == client.get(f"/api/payments/{posted['id']}/").json()
    entry = LedgerEntry.objects.get(pk=posted["id"])
    assert (entry.kind, str(-entry.amount), entry.external_id) == ("payment", "12.34", "EXT-1")
    assert AuditEvent.objects.filter(action="ledger.payment", object_id=str(entry.pk)).count() == 1


def test_a_reposted_external_id_answers_the_first_payment_with_its_reversal(portfolio, as_role):
    manager = as_role("manager")
    body = _payment(portfolio.mine, external_id="EXT-2")
    first = manager.post("/api/payments/", body, format="json").json()
    reversal = manager.post(f"/api/payments/{first['id']}/reverse/", {"reason": "Bounced"}, format="json").json()
    again = manager.post("/api/payments/", body, format="json")
    assert again.status_code == 201
    assert again.json() == {**first, "reversed_by": reversal["id"]}
    assert LedgerEntry.objects.filter(account=portfolio.mine, kind="payment").count() == 1


def test_an_account_out_of_scope_reads_as_missing_and_the_refusal_is_replayed(portfolio, as_role):
    client = as_role("collector")
    for _ in range(2):
        response = client.post(
            "/api/payments/", _payment(portfolio.theirs), format="json", HTTP_IDEMPOTENCY_KEY="out-of-scope"
        )
        assert response.status_code == 400
        assert response.json()["errors"]["account"][0]["code"] == "does_not_exist"
    assert response["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get(key="out-of-scope").status_code == 400
    assert not LedgerEntry.objects.filter(account=portfolio.theirs, kind="payment").exists()


def test_a_claim_takes_one_statement(portfolio, as_role):
    """No read before it and no savepoint around it (nor around the posting): INSERT … ON CONFLICT DO NOTHING."""
    client = as_role("admin")
    client.get("/api/creditors/")
    with CaptureQueriesContext(connection) as queries:
        client.post("/api/payments/", _payment(portfolio.mine), format="json", HTTP_IDEMPOTENCY_KEY="one-statement")
    sql = [q["sql"] for q in queries.captured_queries]
    # One savepoint: the request's transaction, nested in the test's.
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1
    assert [s for s in sql if "idempotencyrecord" in s.lower()][0].startswith(
        'INSERT INTO "accounts_idempotencyrecord"'
    )
