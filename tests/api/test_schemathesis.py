"""Schemathesis against the live schema, in-process through the WSGI app, as each role.

Real rows exist (accounts of each scope, payments, a promise, an arrangement, a dispute, a hold),
and half of the generated ids are swapped for real ones so the services run, not only the 404s.
Checks: no 5xx, every status code and content type documented, every body matching its schema.
Bounded (a seed, a few examples per operation) so the run takes a few minutes at most.
"""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from collections_app.models import Activity, Assignment, Dispute
from collections_app.services.activities import activity_log, dispute_open
from collections_app.services.ledger import payment_post
from collections_app.services.plans import arrangement_create, promise_create
from compliance.models import Hold
from compliance.services import hold_place


def _schema(max_examples: int):
    config = schemathesis.Config.from_dict(
        {
            "seed": 20250203,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": max_examples, "mode": "all", "no-shrink": True},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)


# The admin reaches every service, so gets the most examples; the other roles mostly meet scoping.
admin_schema = _schema(6)
collector_schema = manager_schema = _schema(3)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Fields of a request body that name an object, and the kind of real row to put there.
BODY_REFERENCES = {"account": "account", "debtor": "debtor", "contact_point": "contact_point", "collector": "collector"}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes "old" connections at each request's start and end; here that would
    close the test's own transaction (PostgreSQL). Django's test client unhooks the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(portfolio, token_for):
    mine, theirs, free = portfolio.mine, portfolio.theirs, portfolio.unassigned
    today = timezone.localdate()
    payment = payment_post(account=mine, amount=Decimal("50.00"), received_on=today)
    promise_create(account=mine, amount=Decimal("100.00"), due_on=today + datetime.timedelta(days=7))
    arrangement = arrangement_create(
        account=theirs, total_amount=Decimal("600.00"), count=3, frequency="monthly", start_on=today
    )
    activity_log(account=mine, channel="inbound_call", outcome="right_party_contact", note="Called us back")
    dispute = dispute_open(account=free, reason="Not mine")
    hold = hold_place(reason="attorney", account=theirs, note="Represented")
    keys = {
        role: token_for(user, rate_limit="1000000/min")[1]
        for role, user in portfolio.users.items()
        if role in ("collector", "manager", "admin")
    }
    ids = {
        "accounts": [mine.pk, theirs.pk, free.pk],
        "debtors": [mine.debtor_id, theirs.debtor_id],
        "contact-points": list(mine.debtor.contact_points.values_list("pk", flat=True)),
        "payments": [payment.pk],
        "promises": list(mine.promises.values_list("pk", flat=True)),
        "arrangements": [arrangement.pk],
        "activities": list(Activity.objects.values_list("pk", flat=True)),
        "disputes": [dispute.pk] + list(Dispute.objects.values_list("pk", flat=True)),
        "holds": [hold.pk] + list(Hold.objects.values_list("pk", flat=True)),
        "assignments": list(Assignment.objects.values_list("pk", flat=True)),
        "invoices": list(mine.invoices.values_list("pk", flat=True)),
        "creditors": [mine.creditor_id],
        "tokens": [],
    }
    references = {
        "account": [mine.pk, free.pk, theirs.pk],
        "debtor": [mine.debtor_id],
        "contact_point": ids["contact-points"],
        "collector": [portfolio.users["collector"].pk],
    }
    return {"keys": keys, "ids": ids, "references": references}


def _use_real_rows(case, world):
    """Swap even generated ids for ids of real rows, so the call reaches the service."""
    resource = case.path.split("/")[2]
    value = case.path_parameters.get("id") if case.path_parameters else None
    real = world["ids"].get(resource)
    if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0 and real:
        case.path_parameters["id"] = real[value // 2 % len(real)]
    if isinstance(case.body, dict):
        for field, kind in BODY_REFERENCES.items():
            value = case.body.get(field)
            if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
                choices = world["references"][kind]
                case.body[field] = choices[value // 2 % len(choices)]


def _run(case, world, role):
    _use_real_rows(case, world)
    response = case.call(headers={"Authorization": f"Token {world['keys'][role]}"})
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
@collector_schema.parametrize()
def test_api_as_collector(case, world):
    _run(case, world, "collector")


@pytest.mark.django_db
@manager_schema.parametrize()
def test_api_as_manager(case, world):
    _run(case, world, "manager")


@pytest.mark.django_db
@admin_schema.parametrize()
def test_api_as_admin(case, world):
    _run(case, world, "admin")
