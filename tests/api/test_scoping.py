"""Everyone sees only their own, through every endpoint: lists, details (404 outside), and which
role may do what (403, decided before any object is looked up)."""

import datetime

import pytest
from django.utils import timezone

from collections_app.models import Activity, Arrangement, Dispute, LedgerEntry, Promise
from compliance.models import Hold

pytestmark = pytest.mark.django_db

VISIBLE = {
    "collector": {"mine"},
    "other_collector": {"theirs"},
    "manager": {"mine", "unassigned"},
    "other_manager": {"theirs", "unassigned"},
    "admin": {"mine", "theirs", "unassigned"},
}
# List endpoint -> how a row names its account(s).
ACCOUNT_OF = {
    "accounts": lambda row, p: {row["id"]},
    "invoices": lambda row, p: {row["account"]},
    "payments": lambda row, p: {row["account"]},
    "promises": lambda row, p: {row["account"]},
    "arrangements": lambda row, p: {row["account"]},
    "activities": lambda row, p: {row["account"]},
    "disputes": lambda row, p: {row["account"]},
    "assignments": lambda row, p: {row["account"]},
    "debtors": lambda row, p: {a.pk for a in p.accounts if a.debtor_id == row["id"]},
    "contact-points": lambda row, p: {a.pk for a in p.accounts if a.debtor_id == row["debtor"]},
    "holds": lambda row, p: (
        {row["account"]} if row["account"] else {a.pk for a in p.accounts if a.debtor_id == row["debtor"]}
    ),
}


@pytest.fixture
def world(busy):
    busy.accounts = [busy.mine, busy.theirs, busy.unassigned]
    return busy


def _ids(world, names):
    return {getattr(world, name).pk for name in names}


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("endpoint", list(ACCOUNT_OF))
def test_lists_show_only_the_users_accounts(world, api, role, endpoint):
    client = api(world.users[role])
    response = client.get(f"/api/{endpoint}/")
    assert response.status_code == 200
    rows = response.json()["results"]
    seen = set().union(*(ACCOUNT_OF[endpoint](row, world) for row in rows)) if rows else set()
    expected = _ids(world, VISIBLE[role])
    if endpoint in ("assignments", "arrangements"):
        expected -= {world.unassigned.pk}  # never assigned (no history); no arrangement
    assert seen == expected


def _objects(world):
    """One object of each kind per account name."""
    out = {}
    for name in ("mine", "theirs", "unassigned"):
        account = getattr(world, name)
        out[name] = {
            "accounts": account.pk,
            "debtors": account.debtor_id,
            "contact-points": account.debtor.contact_points.first().pk,
            "invoices": account.invoices.first().pk,
            "payments": LedgerEntry.objects.get(account=account, kind="payment").pk,
            "promises": Promise.objects.get(account=account).pk,
            "activities": Activity.objects.filter(account=account).first().pk,
            "disputes": Dispute.objects.get(account=account).pk,
            "holds": Hold.objects.get(account=account, reason="attorney").pk,
        }
        arrangement = Arrangement.objects.filter(account=account).first()
        if arrangement:
            out[name]["arrangements"] = arrangement.pk
    return out


@pytest.mark.parametrize("role", ["collector", "manager", "admin", "other_collector"])
def test_details_outside_the_scope_are_404(world, api, role):
    client = api(world.users[role])
    for name, objects in _objects(world).items():
        for endpoint, pk in objects.items():
            status = client.get(f"/api/{endpoint}/{pk}/").status_code
            assert status == (200 if name in VISIBLE[role] else 404), (role, endpoint, name)


def test_a_missing_object_and_anothers_object_read_the_same(world, api):
    client = api(world.users["collector"])
    theirs = client.get(f"/api/accounts/{world.theirs.pk}/")
    missing = client.get("/api/accounts/999999/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    # In a body too: another's account is "does not exist", like a missing one.
    body = {"amount": "5.00", "received_on": "2025-02-01"}
    theirs = client.post("/api/payments/", {**body, "account": world.theirs.pk}, format="json")
    missing = client.post("/api/payments/", {**body, "account": 999999}, format="json")
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json()["errors"]["account"][0]["code"] == "does_not_exist"
    assert theirs.json()["errors"]["account"][0]["message"].replace(str(world.theirs.pk), "N") == missing.json()[
        "errors"
    ]["account"][0]["message"].replace("999999", "N")


# --- who may do what -----------------------------------------------------------------------------


def _writes(world):
    """(label, method, path, body, roles allowed) on objects every role can see (team A's, or unassigned)."""
    today = timezone.localdate()
    mine = world.mine
    objects = _objects(world)["mine"]
    collector = world.users["collector"]
    return [
        ("debtor create", "/api/debtors/", {"external_id": "D-NEW", "name": "New"}, {"admin"}),
        ("creditor create", "/api/creditors/", {"name": "Beta Bank"}, {"admin"}),
        (
            "account place",
            "/api/accounts/",
            {
                "external_id": "A-NEW",
                "debtor": mine.debtor_id,
                "creditor": "Acme Lending",
                "currency": "USD",
                "opened_on": "2024-01-01",
            },
            {"admin"},
        ),
        (
            "invoice create",
            "/api/invoices/",
            {"account": mine.pk, "amount": "10.00", "issued_on": "2025-02-01", "due_on": "2025-03-01"},
            {"admin"},
        ),
        (
            "payment post",
            "/api/payments/",
            {"account": mine.pk, "amount": "1.00", "received_on": str(today)},
            {"collector", "manager", "admin"},
        ),
        (
            "payment reverse",
            f"/api/payments/{objects['payments']}/reverse/",
            {"reason": "Bounced"},
            {"manager", "admin"},
        ),
        (
            "contact point add",
            "/api/contact-points/",
            {"debtor": mine.debtor_id, "kind": "email", "value": "x@example.com"},
            {"collector", "manager", "admin"},
        ),
        ("opt-out", f"/api/contact-points/{objects['contact-points']}/opt-out/", {}, {"collector", "manager", "admin"}),
        (
            "arrangement preview",
            "/api/arrangements/preview/",
            {"account": mine.pk, "total_amount": "90.00", "count": 3, "frequency": "weekly", "start_on": str(today)},
            {"collector", "manager", "admin"},
        ),
        (
            "arrangement cancel",
            f"/api/arrangements/{objects['arrangements']}/cancel/",
            {},
            {"collector", "manager", "admin"},
        ),
        (
            "dispute open",
            "/api/disputes/",
            {"account": mine.pk, "reason": "Wrong amount"},
            {"collector", "manager", "admin"},
        ),
        (
            "dispute resolve",
            f"/api/disputes/{objects['disputes']}/resolve/",
            {"outcome": "verified"},
            {"manager", "admin"},
        ),
        ("hold place", "/api/holds/", {"account": mine.pk, "reason": "attorney"}, {"collector", "manager", "admin"}),
        ("hold release", f"/api/holds/{objects['holds']}/release/", {}, {"manager", "admin"}),
        ("assign", "/api/assignments/", {"account": mine.pk, "collector": collector.pk}, {"manager", "admin"}),
        (
            "bulk assign",
            "/api/assignments/bulk/",
            {"accounts": [mine.pk], "collectors": [collector.pk]},
            {"manager", "admin"},
        ),
        ("tokens", "/api/tokens/", {"name": "x", "owner": "collector_a", "role": "collector"}, {"admin"}),
    ]


@pytest.mark.parametrize("role", ["collector", "manager", "admin"])
def test_each_write_is_open_to_its_roles_only(world, api, role):
    client = api(world.users[role])
    for label, path, body, allowed in _writes(world):
        response = client.post(path, body, format="json")
        if role in allowed:
            assert response.status_code in (200, 201), (label, response.json())
        else:
            assert response.status_code == 403, (label, response.status_code)
            assert response.json()["code"] == "permission_denied"


def test_a_refused_role_learns_nothing_about_the_object(world, api):
    client = api(world.users["collector"])
    theirs = LedgerEntry.objects.get(account=world.theirs, kind="payment")
    existing = client.post(f"/api/payments/{theirs.pk}/reverse/", {"reason": "x"}, format="json")
    missing = client.post("/api/payments/999999/reverse/", {"reason": "x"}, format="json")
    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()


def test_a_manager_acts_only_within_their_teams(world, api):
    manager = api(world.users["manager"])
    theirs_payment = LedgerEntry.objects.get(account=world.theirs, kind="payment")
    assert (
        manager.post(f"/api/payments/{theirs_payment.pk}/reverse/", {"reason": "x"}, format="json").status_code == 404
    )
    theirs_hold = Hold.objects.get(account=world.theirs, reason="attorney")
    assert manager.post(f"/api/holds/{theirs_hold.pk}/release/", {}, format="json").status_code == 404
    # Another team's collector is not one this manager may give accounts to.
    response = manager.post(
        "/api/assignments/",
        {"account": world.mine.pk, "collector": world.users["other_collector"].pk},
        format="json",
    )
    assert response.status_code == 400 and response.json()["errors"]["collector"][0]["code"] == "does_not_exist"
    # Bulk by filter reaches only the manager's accounts.
    response = manager.post(
        "/api/assignments/bulk/",
        {"filter": {}, "collectors": [world.users["collector"].pk]},
        format="json",
    )
    assert response.status_code == 200 and response.json() == {"moved": 2}
    world.theirs.refresh_from_db()
    assert world.theirs.assigned_to == world.users["other_collector"]


def test_a_collector_cannot_reach_another_collectors_account_by_any_write(world, api):
    client = api(world.users["collector"])
    theirs = world.theirs
    today = timezone.localdate()
    for path, body in [
        ("/api/payments/", {"account": theirs.pk, "amount": "1.00", "received_on": str(today)}),
        ("/api/promises/", {"account": theirs.pk, "amount": "1.00", "due_on": str(today + datetime.timedelta(days=3))}),
        ("/api/activities/", {"account": theirs.pk, "channel": "inbound_call", "outcome": "right_party_contact"}),
        ("/api/disputes/", {"account": theirs.pk, "reason": "x"}),
        ("/api/holds/", {"account": theirs.pk, "reason": "attorney"}),
        ("/api/holds/", {"debtor": theirs.debtor_id, "reason": "attorney"}),
        ("/api/contact-points/", {"debtor": theirs.debtor_id, "kind": "email", "value": "y@example.com"}),
    ]:
        response = client.post(path, body, format="json")
        assert response.status_code == 400, path
        assert set(response.json()["errors"]) <= {"account", "debtor"}
    arrangement = Arrangement.objects.get(account=theirs)
    assert client.post(f"/api/arrangements/{arrangement.pk}/cancel/").status_code == 404
    point = theirs.debtor.contact_points.first()
    assert client.post(f"/api/contact-points/{point.pk}/opt-out/", {}, format="json").status_code == 404
    assert client.get(f"/api/gate/?account={theirs.pk}&channel=call").status_code == 404


def test_a_manager_credits_their_teams_accounts_and_no_other(world, api):
    """A manager's scope is lockable (no DISTINCT; on PostgreSQL FOR UPDATE refuses one), lists each
    account once for a team led by two managers, and refuses another team's account."""
    world.users["collector"].team.managers.add(world.users["other_manager"])
    manager = api(world.users["manager"])
    listed = [row["id"] for row in manager.get("/api/accounts/", {"page_size": 100}).json()["results"]]
    assert sorted(listed) == sorted(_ids(world, VISIBLE["manager"]))
    before = LedgerEntry.objects.filter(account=world.theirs).count()
    payment = {"account": world.theirs.pk, "amount": "40.00", "received_on": timezone.localdate().isoformat()}
    response = manager.post("/api/payments/", payment, format="json")
    assert response.status_code == 400 and response.json()["errors"]["account"][0]["code"] == "does_not_exist"
    assert LedgerEntry.objects.filter(account=world.theirs).count() == before
    own = manager.post("/api/payments/", {**payment, "account": world.mine.pk}, format="json")
    assert own.status_code == 201, own.json()
