"""Sign-in throttling (django-axes): repeated failures lock one username from one address, the
refusal is said in plain words, every attempt stays in the audit log, an admin can unlock, and API
tokens are not affected."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command

from accounts.api.services import api_token_create
from compliance.models import AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_until_locked(client, username, address="10.0.0.1"):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, username, "wrong-password", address).status_code == 200
    # The failure that reaches the limit is answered with the lockout already.
    assert sign_in(client, username, "wrong-password", address).status_code == 429


def test_the_right_password_is_refused_once_locked_out_with_a_plain_message(client, collector):
    fail_until_locked(client, collector.username)
    response = sign_in(client, collector.username, "pw-collector_a")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins for this username from this computer" in page
    assert "ask an administrator to unlock it" in page
    assert 'value="collector_a"' in page
    assert "_auth_user_id" not in client.session


def test_every_attempt_is_in_the_audit_log_including_those_refused_while_locked(client, collector):
    fail_until_locked(client, collector.username)
    sign_in(client, collector.username, "pw-collector_a")
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 1
    assert {e.after["username"] for e in failed} == {"collector_a"}
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_the_lock_is_per_username_and_address(client, collector, other_collector):
    fail_until_locked(client, collector.username, address="10.0.0.1")
    # The same person from another address, and another person from the same address, still sign in.
    assert sign_in(client, collector.username, "pw-collector_a", address="10.0.0.2").status_code == 302
    client.logout()
    assert sign_in(client, other_collector.username, "pw-collector_b", address="10.0.0.1").status_code == 302


def test_an_admin_unlocks_in_the_django_admin(client, collector, admin_user):
    fail_until_locked(client, collector.username)
    attempt = AccessAttempt.objects.get(username="collector_a")
    client.force_login(admin_user)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "collector_a" in listing.content.decode()
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, collector.username, "pw-collector_a").status_code == 302


def test_the_reset_command_unlocks(client, collector):
    fail_until_locked(client, collector.username)
    call_command("axes_reset_username", "collector_a")
    assert sign_in(client, collector.username, "pw-collector_a").status_code == 302


def test_a_success_before_the_limit_clears_the_count(client, collector):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, collector.username, "wrong-password")
    assert sign_in(client, collector.username, "pw-collector_a").status_code == 302
    client.logout()
    sign_in(client, collector.username, "wrong-password")
    assert sign_in(client, collector.username, "pw-collector_a").status_code == 302


def test_api_tokens_work_for_a_locked_out_user(client, collector, admin_user):
    fail_until_locked(client, collector.username)
    _, key = api_token_create(name="dialler", owner=collector, role=collector.role, created_by=admin_user)
    response = client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200


def test_behind_a_proxy_the_lock_follows_the_forwarded_client_not_a_forged_one(client, collector, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "172.16.0.1"
    for forged in range(settings.AXES_FAILURE_LIMIT):
        # The client makes up a new left-most address each time; the proxy appends the real one.
        client.post(
            "/login/",
            {"username": "collector_a", "password": "wrong-password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{forged}, 203.0.113.7",
        )
    refused = client.post(
        "/login/",
        {"username": "collector_a", "password": "pw-collector_a"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert refused.status_code == 429
    other = client.post(
        "/login/",
        {"username": "collector_a", "password": "pw-collector_a"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert other.status_code == 302
