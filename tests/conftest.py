"""Shared fixtures: users of each role, teams, and service checks that skip (or fail in CI)."""

import os

import pytest

from accounts.models import Role
from accounts.services import team_create, user_create


def require(available: bool, what: str) -> None:
    """Skip when a service or browser is missing; in CI (REQUIRE_ALL_SERVICES=1) fail instead."""
    if available:
        return
    reason = f"needs a service: {what}" if "browser" not in what else f"needs a browser: {what}"
    if os.environ.get("REQUIRE_ALL_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_ALL_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def celery_eager():
    """Unit tests run tasks in-process; integration tests switch this off to use a real worker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def factory(role=Role.COLLECTOR, team=None, **extra):
        counter["n"] += 1
        username = extra.pop("username", f"{role}{counter['n']}")
        return user_create(username=username, password="pw-" + username, role=role, team=team, **extra)

    return factory


@pytest.fixture
def team(db, make_user):
    manager = make_user(Role.MANAGER, username="manager_a")
    return team_create(name="Team A", managers=[manager])


@pytest.fixture
def other_team(db, make_user):
    manager = make_user(Role.MANAGER, username="manager_b")
    return team_create(name="Team B", managers=[manager])


@pytest.fixture
def collector(team, make_user):
    return make_user(Role.COLLECTOR, team=team, username="collector_a", first_name="Cora", last_name="Reyes")


@pytest.fixture
def other_collector(other_team, make_user):
    return make_user(Role.COLLECTOR, team=other_team, username="collector_b")


@pytest.fixture
def manager(team):
    return team.managers.get()


@pytest.fixture
def other_manager(other_team):
    return other_team.managers.get()


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin_a")


@pytest.fixture
def client_for(client):
    """A Django test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
