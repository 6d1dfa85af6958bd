"""Every form that posts carries the CSRF token, and a post without it is refused with a 403."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from tests.security.crawl import crawl

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", accounts=12, stdout=io.StringIO())


def post_forms(pages) -> dict[str, str]:
    """Form action (or the page itself) -> the page it was found on, for each form that posts."""
    found = {}
    for url, page in pages.items():
        for form in page.forms:
            if form.method == "post":
                assert form.has_token, f"a form posting to {form.action or url} on {url} has no CSRF token"
                found.setdefault(form.action or url.split("?")[0], url)
    return found


@pytest.mark.parametrize("username", ["collector1", "manager", "admin"])
def test_every_posting_form_carries_the_token_and_is_refused_without_it(demo, username):
    user = User.objects.get(username=username)
    browsing = Client()
    browsing.force_login(user)
    pages = crawl(browsing)
    forms = post_forms(pages)
    # The walk reached the pages of this role (the sign-out form is on every page).
    assert "/logout/" in forms
    assert len(pages) >= 5, sorted(pages)
    # htmx posts send the token in a header, from the page's hx-headers.
    assert all("X-CSRFToken" in browsing.get(url).content.decode() for url in list(pages)[:3])

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    for action, page in forms.items():
        response = strict.post(action, {})
        assert response.status_code == 403, f"POST {action} (from {page}) without a token: {response.status_code}"


def test_the_sign_in_form_carries_the_token_and_is_refused_without_it(db):
    page = Client().get("/login/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
