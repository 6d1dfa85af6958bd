"""Every route, every principal: each answer checked against the written access matrix.

The world is built once per module: two teams, each with a manager and a collector, an admin, and
one object of every kind in team A's scope. Each request runs in a savepoint that is rolled back,
so a POST that succeeds changes nothing for the requests after it.
"""

import datetime
import re
from decimal import Decimal
from http.cookies import Morsel
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.api.services import api_token_create
from accounts.models import Role
from accounts.services import team_create, user_create
from collections_app.models import (
    ContactPoint,
    DunningReminder,
    DunningRun,
    ImportJob,
    LedgerEntry,
)
from collections_app.services.activities import activity_log, dispute_open
from collections_app.services.assignments import account_assign
from collections_app.services.dunning import dunning_defaults_ensure
from collections_app.services.ledger import invoice_create, payment_post
from collections_app.services.plans import arrangement_create, promise_create
from compliance.services import hold_place
from tests.collections_app.factories import AccountFactory, CreditorFactory

from .access_matrix import ADMIN_GROUP, MATRIX, PRINCIPALS, ROUTES, markdown

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "ACCESS.md"
TODAY = timezone.localdate()

# Which of the world's objects fills a route's `pk` (or `policy_pk`): a new route with an id in its
# path is added here, and to the matrix.
OBJECT_OF = {
    "account_detail": "account",
    "arrangement_preview": "account",
    "account_action": "account",
    "debtor_privacy": "debtor",
    "debtor_export": "debtor",
    "debtor_erase": "debtor",
    "import_detail": "import_job",
    "import_progress": "import_job",
    "import_report": "import_job",
    "dunning:policy": "policy",
    "dunning:policy_delete": "policy",
    "dunning:stage_new": "policy",
    "dunning:stage": "stage",
    "dunning:stage_delete": "stage",
    "dunning:template": "template",
    "dunning:template_delete": "template",
    "dunning:run": "run",
    "desk:limits": "collector",
    "api-debtor-detail": "debtor",
    "api-contact-point-detail": "contact_point",
    "api-contact-point-opt-out": "contact_point",
    "api-creditor-detail": "creditor",
    "api-account-detail": "account",
    "api-invoice-detail": "invoice",
    "api-payment-detail": "payment",
    "api-payment-reverse": "payment",
    "api-promise-detail": "promise",
    "api-arrangement-detail": "arrangement",
    "api-arrangement-cancel": "arrangement",
    "api-activity-detail": "activity",
    "api-dispute-detail": "dispute",
    "api-dispute-resolve": "dispute",
    "api-assignment-detail": "assignment",
    "api-dunning-policy-detail": "policy",
    "api-dunning-reminder-detail": "reminder",
    "api-hold-detail": "hold",
    "api-hold-release": "hold",
    "api-token-detail": "token",
    "api-token-revoke": "token",
}
# Other path arguments: the one action opened on the account, the day of a letter batch.
OTHER_KWARGS = {"name": "call", "day": TODAY.isoformat()}
# Principals of team B, and what of team A's must never appear in what they are shown.
OUTSIDERS = ("other_collector", "other_manager")
TEAM_A_MARKERS = ("A-ACCESS", "Quintessa Marlowe", "5550100", "555-0100", "acc_collector_a")
# URLs of routes without a name.
UNNAMED_URL = {"api/<catch-all>": "/api/no-such-endpoint/", ADMIN_GROUP: "/admin/"}


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if path == ADMIN_GROUP:  # Django's admin checks its own access: one representative check
                yield ADMIN_GROUP, path, None
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern, path, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", path, pattern
        else:
            yield "api/<catch-all>" if path == "api/^" else path, path, pattern


def site_routes() -> dict:
    """Route key -> its URL pattern, for every route the resolver knows."""
    return {key: pattern for key, _path, pattern in _walk(get_resolver())}


def test_the_matrix_lists_every_route_and_only_those():
    routes = site_routes()
    unlisted = sorted(set(routes) - set(ROUTES))
    gone = sorted(set(ROUTES) - set(routes))
    assert not unlisted, f"routes missing from tests/security/access_matrix.py: {unlisted}"
    assert not gone, f"the matrix lists routes that no longer exist: {gone}"


def shown(path: str) -> str:
    """A resolver's pattern as the matrix writes it: `/api/debtors/<pk>/`, `/accounts/<pk>/act/<name>/`."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", path)
    path = re.sub(r"<\w+:(\w+)>", r"<\1>", path)
    return "/" + path.replace("^", "").replace("$", "")


def test_the_matrix_shows_each_routes_path():
    wrong = {
        key: shown(path)
        for key, path, _pattern in _walk(get_resolver())
        if key in ROUTES and key not in UNNAMED_URL and ROUTES[key] != shown(path)
    }
    assert not wrong, f"paths in the matrix differ from the resolver's: {wrong}"


def test_the_matrix_lists_every_method_an_api_route_serves():
    missing = []
    for key, pattern in site_routes().items():
        actions = getattr(getattr(pattern, "callback", None), "actions", None) or {}
        listed = {method.split()[0] for (route, method) in MATRIX if route == key}
        # DRF adds HEAD (GET's twin) to a viewset's actions on its first request: not a route of its own.
        missing += [f"{key} {m.upper()}" for m in actions if m != "head" and m.upper() not in listed]
    assert not missing, f"methods served but not in the matrix: {missing}"


def test_the_written_matrix_is_generated_from_the_data():
    assert DOC.read_text() == markdown(), "docs/ACCESS.md is stale: python -m tests.security.access_matrix"


# --------------------------------------------------------------------------------------------------
# The world


# A cheap hasher: the users sign in with force_login; passwords are tested elsewhere.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def _user(username, role, team=None):
    return user_create(username=username, password=f"Access-matrix-{username}-7q", role=role, team=team)


def build_world() -> dict:
    manager, other_manager = _user("acc_manager_a", Role.MANAGER), _user("acc_manager_b", Role.MANAGER)
    team, other_team = (
        team_create(name="Team A", managers=[manager]),
        team_create(name="Team B", managers=[other_manager]),
    )
    collector = _user("acc_collector_a", Role.COLLECTOR, team)
    other_collector = _user("acc_collector_b", Role.COLLECTOR, other_team)
    admin = _user("acc_admin", Role.ADMIN)

    account = AccountFactory(
        creditor=CreditorFactory(name="Acme Lending"), external_id="A-ACCESS", debtor__name="Quintessa Marlowe"
    )
    contact_point = ContactPoint.objects.create(
        debtor=account.debtor, kind="phone", value="+16175550100", usage="mobile", is_primary=True
    )
    invoice = invoice_create(
        account=account,
        amount=Decimal("900.00"),
        issued_on=TODAY - datetime.timedelta(days=90),
        due_on=TODAY - datetime.timedelta(days=60),
        external_id="INV-ACCESS",
    )
    account_assign(account=account, collector=collector, assigned_by=admin)
    payment_post(account=account, amount=Decimal("10.00"), received_on=TODAY, external_id="P-ACCESS")
    promise = promise_create(account=account, amount=Decimal("50.00"), due_on=TODAY + datetime.timedelta(days=5))
    arrangement = arrangement_create(
        account=account, total_amount=Decimal("300.00"), count=3, frequency="monthly", start_on=TODAY
    )
    activity = activity_log(account=account, channel="inbound_call", outcome="right_party_contact", user=collector)
    dispute = dispute_open(account=account, reason="Disputes the fee", user=collector)
    hold = hold_place(reason="other", account=account, user=manager, note="Asked for a week")
    policy = dunning_defaults_ensure(user=admin)
    stage = policy.stages.order_by("position").first()
    run = DunningRun.objects.create(run_on=TODAY, at=timezone.now(), started_by=admin)
    reminder = DunningReminder.objects.create(
        account=account, stage=stage, policy=policy, cycle=invoice.due_on, run=run, channel=stage.channel,
        planned_on=TODAY, send_after=timezone.now(),
    )  # fmt: skip
    token, _key = api_token_create(name="Portal", owner=collector, role=Role.COLLECTOR, created_by=admin)
    import_job = ImportJob.objects.create(upload="imports/none.zip", original_name="portfolio.zip", created_by=admin)
    account.refresh_from_db()
    return {
        "users": {
            "collector": collector,
            "other_collector": other_collector,
            "manager": manager,
            "other_manager": other_manager,
            "admin": admin,
        },
        "account": account,
        "debtor": account.debtor,
        "creditor": account.creditor,
        "contact_point": contact_point,
        "invoice": invoice,
        "payment": LedgerEntry.objects.get(account=account, kind="payment"),
        "promise": promise,
        "arrangement": arrangement,
        "activity": activity,
        "dispute": dispute,
        "assignment": account.assignments.get(),
        "hold": hold,
        "policy": policy,
        "stage": stage,
        "template": stage.template,
        "run": run,
        "reminder": reminder,
        "token": token,
        "import_job": import_job,
        "collector": collector,
        "team": team,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def url_of(key: str, pattern, world: dict) -> str:
    if key in UNNAMED_URL:
        return UNNAMED_URL[key]
    kwargs = {}
    for name in pattern.pattern.regex.groupindex:
        if name in OTHER_KWARGS:
            kwargs[name] = OTHER_KWARGS[name]
        else:
            assert key in OBJECT_OF, f"{key}: say in OBJECT_OF which object fills <{name}>"
            kwargs[name] = world[OBJECT_OF[key]].pk
    return reverse(key, kwargs=kwargs)


def answer(response) -> str:
    """The status in the matrix's words: a redirect to a sign-in page is `login`."""
    if response.status_code == 302:
        try:
            target = resolve(urlsplit(response["Location"]).path)
        except Resolver404:
            return "302"
        if target.url_name == "login":
            return "login"
    return str(response.status_code)


def ask(client: Client, request: str, url: str, world: dict):
    """One request in a savepoint rolled back afterwards: nothing it changes outlives it.

    `request` is a method, optionally followed by a query (`GET ?team=$team`) or a body (a form's
    fields, or JSON for the API), with `$name` standing for the id of the world's object `name`.
    """
    method, _, extra = request.partition(" ")
    values = {name: getattr(obj, "pk", None) for name, obj in world.items()} | {"today": TODAY.isoformat()}
    extra = Template(extra).substitute(values)
    if extra.startswith("?"):
        url, extra = url + extra, ""
    api = url.startswith("/api/")
    with transaction.atomic():
        response = client.generic(
            method,
            url,
            data=extra or ("{}" if api else ""),
            content_type="application/json" if api else "application/x-www-form-urlencoded",
        )
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_each_route_answers_as_the_matrix_says(world, principal):
    cache.clear()  # rate-limit counters of earlier runs
    client = Client(raise_request_exception=False)
    user = world["users"].get(principal)
    routes = site_routes()
    mismatches = []
    for (key, method), expected in MATRIX.items():
        if key not in routes:
            continue  # reported by test_the_matrix_lists_every_route_and_only_those
        if user is not None and not client.cookies.get(settings.SESSION_COOKIE_NAME, Morsel()).value:
            client.force_login(user)  # at the start, and again after a POST to logout ended the session
        want = expected[PRINCIPALS.index(principal)]
        response = ask(client, method, url_of(key, routes[key], world), world)
        got = answer(response)
        if got != want:
            mismatches.append(f"{key:28} {method:40.40} {principal:16} {want:9} {got}")
        elif got == "200" and principal in OUTSIDERS:
            body = response.getvalue().decode(errors="replace")
            mismatches += [
                f"{key:28} {method:40.40} {principal:16} {want:9} 200 showing team A's {marker!r}"
                for marker in TEAM_A_MARKERS
                if marker in body
            ]
    assert not mismatches, "answers that differ from the access matrix:\n" + "\n".join(
        [f"{'route':28} {'request':40} {'principal':16} {'expected':9} got", *mismatches]
    )
