"""A person signs in with a real browser and lands on their start page."""

import pytest

from accounts.models import Role
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "role, heading",
    [(Role.COLLECTOR, "Good to see you"), (Role.MANAGER, "Manager's desk"), (Role.ADMIN, "Administration")],
)
def test_each_role_signs_in_and_reaches_its_home(make_user, sign_in, role, heading):
    user = make_user(role, username=f"e2e_{role}", first_name="Pat")
    page = sign_in(user.username, f"pw-{user.username}")
    assert page.locator("h1").first.inner_text().startswith(heading)
    screenshot(page, f"home-{role}")


def test_a_wrong_password_is_explained(make_user, sign_in):
    make_user(Role.COLLECTOR, username="e2e_wrong")
    page = sign_in("e2e_wrong", "not-the-password", refused=True)
    assert page.get_by_role("alert").inner_text().startswith("That username and password do not match")
    screenshot(page, "login-refused")
