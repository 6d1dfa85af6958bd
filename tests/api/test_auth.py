"""Token and session authentication, token roles, rate limits per token, token administration."""

import pytest
from rest_framework.test import APIClient

from accounts.api.services import api_token_create, api_token_revoke
from accounts.models import ApiToken, Role
from collections_app.errors import DomainError
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_without_credentials_the_api_answers_401_with_a_challenge(portfolio):
    response = APIClient().get("/api/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token nope", "Bearer nope", "Token", "Token a b", "Token \u00e9t\u00e9"])
def test_a_wrong_or_malformed_token_is_401(portfolio, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get("/api/accounts/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_and_bearer_both_work_and_last_use_is_recorded(portfolio, token_for):
    token, key = token_for(portfolio.users["collector"])
    assert token.last_used_at is None
    for scheme in ("Token", "Bearer"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
        response = client.get("/api/accounts/")
        assert response.status_code == 200
        assert [a["external_id"] for a in response.json()["results"]] == ["A-MINE"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_key_is_stored_only_as_a_hash(portfolio, token_for):
    token, key = token_for(portfolio.users["collector"])
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix)
    assert key.startswith(stored.prefix)
    assert len(stored.key_hash) == 64


def test_a_revoked_token_or_an_inactive_owner_is_refused(portfolio, token_for):
    collector = portfolio.users["collector"]
    token, key = token_for(collector)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/accounts/").status_code == 200
    api_token_revoke(token=token, revoked_by=portfolio.users["admin"])
    assert client.get("/api/accounts/").status_code == 401
    _, key2 = token_for(collector)
    collector.is_active = False
    collector.save()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key2}")
    assert client.get("/api/accounts/").status_code == 401


def test_session_authentication_works_for_the_browser(client, portfolio):
    client.force_login(portfolio.users["manager"])
    response = client.get("/api/accounts/")
    assert response.status_code == 200
    assert {a["external_id"] for a in response.json()["results"]} == {"A-MINE", "A-FREE"}


def test_session_posts_need_the_csrf_token(portfolio):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(portfolio.users["collector"])
    response = client.post(
        "/api/payments/",
        {"account": portfolio.mine.pk, "amount": "1.00", "received_on": "2025-02-01"},
        format="json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_token_acts_with_its_own_role_when_lower_than_its_owners(portfolio, api):
    # An admin's token with the collector role reaches only what a collector holding nothing would.
    admin = portfolio.users["admin"]
    as_collector = api(admin, Role.COLLECTOR)
    assert as_collector.get("/api/accounts/").json()["results"] == []
    assert as_collector.get(f"/api/accounts/{portfolio.mine.pk}/").status_code == 404
    assert as_collector.post("/api/creditors/", {"name": "X"}, format="json").status_code == 403
    as_manager = api(portfolio.users["manager"], Role.COLLECTOR)
    assert as_manager.get("/api/accounts/").json()["results"] == []


def test_a_token_never_exceeds_its_owners_role(portfolio):
    with pytest.raises(DomainError) as refused:
        api_token_create(
            name="x", owner=portfolio.users["collector"], role=Role.ADMIN, created_by=portfolio.users["admin"]
        )
    assert refused.value.code == "role_above_owner"
    with pytest.raises(DomainError) as refused:
        api_token_create(
            name="x", owner=portfolio.users["collector"], role=Role.COLLECTOR, created_by=portfolio.users["manager"]
        )
    assert refused.value.code == "permission_denied"


def test_a_token_demoted_with_its_owner_follows_the_owner(portfolio, api):
    manager = portfolio.users["manager"]
    client = api(manager)  # a manager's token
    assert len(client.get("/api/accounts/").json()["results"]) == 2
    manager.role = Role.COLLECTOR
    manager.save()
    assert client.get("/api/accounts/").json()["results"] == []


def test_rate_limits_are_per_token(portfolio, api):
    collector = portfolio.users["collector"]
    limited = api(collector, rate_limit="2/min")
    other = api(collector, rate_limit="2/min")
    assert [limited.get("/api/accounts/").status_code for _ in range(3)] == [200, 200, 429]
    response = limited.get("/api/accounts/")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert other.get("/api/accounts/").status_code == 200


def test_the_default_rate_applies_to_tokens_without_their_own(portfolio, api, monkeypatch):
    from config.api.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/min", "user": "1/min"})
    client = api(portfolio.users["collector"])
    assert [client.get("/api/accounts/").status_code for _ in range(2)] == [200, 429]


# --- token administration ------------------------------------------------------------------------


def test_admin_creates_a_token_through_the_api_and_sees_the_key_once(portfolio, as_role):
    admin = as_role("admin")
    response = admin.post(
        "/api/tokens/",
        {"name": "Payment portal", "owner": "collector_a", "role": "collector", "rate_limit": "600/min"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    key = body["key"]
    assert key.startswith(body["prefix"]) and body["active"] is True
    event = AuditEvent.objects.get(action="api_token.created", object_id=str(body["id"]))
    assert event.actor == portfolio.users["admin"]
    assert key not in str(event.after)
    listed = admin.get("/api/tokens/").json()["results"]
    assert all("key" not in row for row in listed)
    assert admin.get(f"/api/tokens/{body['id']}/").json()["prefix"] == body["prefix"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/accounts/").status_code == 200
    revoked = admin.post(f"/api/tokens/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(body["id"])).exists()
    assert client.get("/api/accounts/").status_code == 401
    again = admin.post(f"/api/tokens/{body['id']}/revoke/")
    assert again.status_code == 400 and again.json()["code"] == "token_revoked"


def test_token_creation_refusals_have_codes(portfolio, as_role):
    admin = as_role("admin")
    response = admin.post("/api/tokens/", {"name": "x", "owner": "collector_a", "role": "admin"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "role_above_owner"
    response = admin.post(
        "/api/tokens/", {"name": "x", "owner": "collector_a", "role": "collector", "rate_limit": "lots"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_rate_limit"
    response = admin.post("/api/tokens/", {"name": "x", "owner": "nobody", "role": "collector"}, format="json")
    assert response.status_code == 400 and "owner" in response.json()["errors"]


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_only_admins_administer_tokens(portfolio, as_role, token_for, role):
    token, _ = token_for(portfolio.users["collector"])
    client = as_role(role)
    assert client.get("/api/tokens/").status_code == 403
    assert client.get(f"/api/tokens/{token.pk}/").status_code == 403
    assert client.post("/api/tokens/", {"name": "x", "owner": "collector_a", "role": "collector"}).status_code == 403
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_django_admin_creates_a_token_shows_the_key_once_and_revokes(client, portfolio):
    admin = portfolio.users["admin"]
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/apitoken/add/",
        {"name": "Dialer", "owner": portfolio.users["collector"].pk, "role": "collector", "rate_limit": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Dialer")
    shown = [str(m) for m in response.context["messages"]]
    assert any(token.prefix in m and "shown this once" in m for m in shown)
    assert AuditEvent.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in page
    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin
    refused = client.post(
        "/admin/accounts/apitoken/add/",
        {"name": "Too high", "owner": portfolio.users["collector"].pk, "role": "admin"},
    )
    assert refused.status_code == 200
    assert not ApiToken.objects.filter(name="Too high").exists()
