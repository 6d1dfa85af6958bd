"""Sign-in, sign-out, password change, each role's navigation and start page."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Role


def test_sign_in_page_renders_with_labels(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert "<h1>Sign in</h1>" in html


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_wrong_password_is_refused_in_plain_words(client, collector):
    response = client.post("/login/", {"username": "collector_a", "password": "nope"})
    assert response.status_code == 200
    assert "That username and password do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_and_out(client, collector):
    response = client.post("/login/", {"username": "collector_a", "password": "pw-collector_a"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(client, collector):
    client.force_login(collector)
    response = client.post(
        "/password/",
        {
            "old_password": "pw-collector_a",
            "new_password1": "a-much-Better-pass-42",
            "new_password2": "a-much-Better-pass-42",
        },
    )
    assert response.status_code == 302
    collector.refresh_from_db()
    assert collector.check_password("a-much-Better-pass-42")


def test_password_change_rejects_a_weak_password(client, collector):
    client.force_login(collector)
    response = client.post(
        "/password/", {"old_password": "pw-collector_a", "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    collector.refresh_from_db()
    assert collector.check_password("pw-collector_a")


@pytest.mark.parametrize(
    "fixture, visible, hidden",
    [
        ("collector", ["Home"], ["Users", "Django admin"]),
        ("manager", ["Home"], ["Users", "Django admin"]),
        ("admin_user", ["Home", "Users", "Teams", "Schedules", "Django admin"], []),
    ],
)
def test_each_role_sees_its_own_navigation(request, client, fixture, visible, hidden):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    nav = response.content.decode().split('<nav class="sidebar"')[1].split("</nav>")[0]
    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


@pytest.mark.parametrize("fixture", ["collector", "manager"])
def test_only_admins_reach_the_django_admin(request, client, fixture):
    client.force_login(request.getfixturevalue(fixture))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_reaches_the_django_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_each_role_is_in_its_group(collector, manager, admin_user):
    assert list(collector.groups.values_list("name", flat=True)) == ["Collector"]
    assert list(manager.groups.values_list("name", flat=True)) == ["Manager"]
    assert list(admin_user.groups.values_list("name", flat=True)) == ["Admin"]
    assert Group.objects.get(name="Admin").permissions.filter(codename="add_user").exists()
    assert not Group.objects.get(name="Collector").permissions.filter(codename="add_user").exists()


def test_changing_a_role_moves_the_user_between_groups(collector):
    collector.role = Role.MANAGER
    collector.save()
    assert list(collector.groups.values_list("name", flat=True)) == ["Manager"]
    assert collector.is_staff is False
    collector.role = Role.ADMIN
    collector.save()
    assert collector.is_staff is True


def test_manager_home_lists_their_teams(client, manager, collector):
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert "Team A" in html
    assert "1 member" in html
