"""Passwords people choose (the password change page, the Django admin) pass Django's validators
with at least 12 characters; users created by code (fixtures, seed_demo) are not held to it."""

import io

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_password_change_page_refuses_a_short_password(client_for, collector):
    client = client_for(collector)
    response = client.post(
        "/password/",
        {"old_password": "pw-collector_a", "new_password1": "Short-pw1!", "new_password2": "Short-pw1!"},
    )
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.content.decode()
    collector.refresh_from_db()
    assert collector.check_password("pw-collector_a")


def test_the_password_change_page_refuses_a_common_password(client_for, collector):
    client = client_for(collector)
    response = client.post(
        "/password/",
        {"old_password": "pw-collector_a", "new_password1": "password1234", "new_password2": "password1234"},
    )
    assert "This password is too common." in response.content.decode()


def test_the_password_change_page_accepts_a_long_password(client_for, collector):
    client = client_for(collector)
    response = client.post(
        "/password/",
        {"old_password": "pw-collector_a", "new_password1": "amber-kettle-91", "new_password2": "amber-kettle-91"},
    )
    assert response.status_code == 302
    collector.refresh_from_db()
    assert collector.check_password("amber-kettle-91")


def test_the_admin_refuses_a_short_password_for_a_new_user(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newbie",
            "password1": "tiny-pw",
            "password2": "tiny-pw",
            "usable_password": "true",
            "role": "collector",
        },
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_the_admin_refuses_a_short_password_when_resetting_one(client_for, admin_user, collector):
    client = client_for(admin_user)
    response = client.post(
        f"/admin/accounts/user/{collector.pk}/password/",
        {"password1": "tiny-pw", "password2": "tiny-pw"},
    )
    assert "at least 12 characters" in response.content.decode()
    collector.refresh_from_db()
    assert collector.check_password("pw-collector_a")


def test_seed_demo_logins_still_sign_in(client):
    from django.core.management import call_command

    from collections_app.management.commands.seed_demo import DEMO_PASSWORD

    call_command("seed_demo", accounts=0, stdout=io.StringIO())
    response = client.post("/login/", {"username": "collector1", "password": DEMO_PASSWORD})
    assert response.status_code == 302
