"""The compliance page per role, the audit trail export, and manage.py export_activities."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command

from collections_app.errors import DomainError
from collections_app.models import Activity
from collections_app.services.activities import activity_log
from compliance.exports import ACTIVITY_COLUMNS, neutralise
from compliance.models import AuditEvent
from compliance.services import hold_place

from .conftest import local

DEN = "America/Denver"


@pytest.fixture
def worked_account(denver_account, collector):
    denver_account.assigned_to = collector
    denver_account.save()
    activity_log(
        account=denver_account,
        channel="call",
        outcome="voicemail",
        user=collector,
        to="+13035550100",
        at=local(DEN, 2026, 6, 10, 12, 0),
    )
    with pytest.raises(DomainError):
        activity_log(
            account=denver_account,
            channel="call",
            outcome="no_answer",
            user=collector,
            to="+13035550100",
            at=local(DEN, 2026, 6, 10, 7, 0),
        )
    return denver_account


@pytest.mark.parametrize("url", ["/compliance/", "/compliance/audit/?account=A1"])
def test_collectors_are_forbidden(client_for, collector, url):
    assert client_for(collector).get(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/compliance/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_overview_for_managers_and_admins(client_for, request, worked_account, who):
    user = request.getfixturevalue(who)
    # Refusals "today": log one at the real current time, outside any plausible hours is not needed;
    # the page counts held activities of today, so create one now.
    Activity.objects.create(
        account=worked_account,
        debtor=worked_account.debtor,
        channel="call",
        outcome="held",
        occurred_at=datetime.datetime.now(datetime.UTC),
        is_attempt=False,
        gate_reasons=["weekly_cap"],
    )
    hold_place(reason="attorney", account=worked_account, note="Smith & Co")
    response = client_for(user).get("/compliance/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert '<label for="audit-account">Account external id</label>' in html
    assert "Call limit for the period reached" in html
    assert "Represented by an attorney" in html and "Smith &amp; Co" in html


def test_manager_sees_only_their_teams_accounts(client_for, manager, other_manager, worked_account):
    hold_place(reason="attorney", account=worked_account)
    response = client_for(other_manager).get("/compliance/")
    assert response.status_code == 200
    assert "Represented by an attorney" not in response.content.decode()
    assert client_for(other_manager).get(f"/compliance/audit/?account={worked_account.external_id}").status_code == 404
    # The positive control: the manager of the collector's team sees both.
    response = client_for(manager).get("/compliance/")
    assert response.status_code == 200 and "Represented by an attorney" in response.content.decode()
    assert client_for(manager).get(f"/compliance/audit/?account={worked_account.external_id}").status_code == 200


def _held_today(account, code):
    Activity.objects.create(
        account=account,
        debtor=account.debtor,
        channel="call",
        outcome="held",
        occurred_at=datetime.datetime.now(datetime.UTC),
        is_attempt=False,
        gate_reasons=[code],
    )


def test_manager_sees_unassigned_accounts_but_not_another_teams(
    client_for, manager, other_collector, denver_account, make_account
):
    # Unassigned work belongs to every manager (as on the account pages); another team's does not.
    assert denver_account.assigned_to is None
    hold_place(reason="attorney", account=denver_account, note="Unassigned counsel")
    _held_today(denver_account, "work_email")
    theirs = make_account(assigned_to=other_collector)
    hold_place(reason="bankruptcy", account=theirs, note="Other team's stay")
    _held_today(theirs, "no_consent")
    response = client_for(manager).get("/compliance/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unassigned counsel" in html and "Work email" in html
    assert "Other team&#x27;s stay" not in html and "Other team's stay" not in html
    assert "No consent for texts or autodialing" not in html
    assert client_for(manager).get(f"/compliance/audit/?account={denver_account.external_id}").status_code == 200
    assert client_for(manager).get(f"/compliance/audit/?account={theirs.external_id}").status_code == 404


@pytest.mark.parametrize("who", ["manager", "collector"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/compliance/contactpolicy/",
        "/admin/compliance/staterule/",
        "/admin/compliance/hold/",
        "/admin/compliance/accountcompliance/",
        "/admin/compliance/auditevent/",
    ],
)
def test_admin_pages_are_refused_to_managers_and_collectors(client_for, request, role_permissions, who, url):
    response = client_for(request.getfixturevalue(who)).get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_account_audit_trail_and_csv(client_for, request, worked_account, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    response = client.get(f"/compliance/audit/?account={worked_account.external_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "contact.logged" in html and "contact.refused" in html and "Calling hours in America/Denver" in html
    response = client.get(f"/compliance/audit/?account={worked_account.external_id}&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "action", "actor", "object_type", "object_id", "detail", "before", "after"]
    assert {"contact.logged", "contact.refused"} <= {row[1] for row in rows[1:]}
    logged = next(row for row in rows[1:] if row[1] == "contact.logged")
    # before/after are JSON with sorted keys, not Python reprs.
    after = json.loads(logged[7])
    assert list(after) == sorted(after) and after["outcome"] == "voicemail" and logged[6] == ""
    export = AuditEvent.objects.get(action="data.exported")
    assert export.actor == user and export.account_id == worked_account.pk


def test_unknown_account_is_a_plain_404(client_for, manager):
    response = client_for(manager).get("/compliance/audit/?account=nope")
    assert response.status_code == 404 and "No account nope" in response.content.decode()


def test_navigation_shows_compliance_to_managers_and_rules_to_admins(client_for, manager, admin_user, collector):
    assert "/compliance/" in client_for(manager).get("/").content.decode()
    admin_html = client_for(admin_user).get("/").content.decode()
    assert "Contact rules" in admin_html
    assert "/compliance/" not in client_for(collector).get("/").content.decode()


@pytest.fixture
def role_permissions(db):
    # accounts syncs role groups on its own post_migrate, which runs before compliance's
    # permissions exist in a fresh database; sync again so the admin role carries them.
    from accounts.services import role_groups_sync

    role_groups_sync()


def test_admin_pages_for_the_policy_tables(client_for, admin_user, role_permissions):
    client = client_for(admin_user)
    for url in [
        "/admin/compliance/contactpolicy/",
        "/admin/compliance/staterule/",
        "/admin/compliance/statuteoflimitations/",
        "/admin/compliance/hold/",
        "/admin/compliance/auditevent/",
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_policy_change_is_audited(client_for, admin_user, role_permissions):
    from compliance.selectors import policy_current

    client = client_for(admin_user)
    data = {
        "call_window_start": "08:30",
        "call_window_end": "20:00",
        "weekly_call_cap": 6,
        "cap_period_days": 7,
        "days_after_conversation": 7,
        "receipt_business_days": 5,
        "validation_period_days": 30,
        "promise_grace_days": 3,
    }
    response = client.post("/admin/compliance/contactpolicy/1/change/", data)
    assert response.status_code == 302
    assert policy_current().weekly_call_cap == 6
    assert AuditEvent.objects.filter(action="policy.changed", actor=admin_user).exists()
    data["weekly_call_cap"] = 9
    response = client.post("/admin/compliance/contactpolicy/1/change/", data)
    assert response.status_code == 200 and "At most 7 call attempts" in response.content.decode()


# --- export_activities --------------------------------------------------------------------------


def test_export_activities_csv_columns_and_neutralised_cells(worked_account, tmp_path):
    out = io.StringIO()
    call_command("export_activities", "--start", "2026-06-10", "--end", "2026-06-10", stdout=out, stderr=io.StringIO())
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ACTIVITY_COLUMNS
    by_outcome = {row[9]: dict(zip(ACTIVITY_COLUMNS, row, strict=True)) for row in rows[1:]}
    sent = by_outcome["voicemail"]
    assert sent["to"] == "'+13035550100"  # a leading + would be a formula in a spreadsheet
    assert sent["at"] == "2026-06-10T18:00:00Z"
    assert (sent["channel"], sent["direction"], sent["collector"], sent["automated"]) == (
        "call",
        "outbound",
        "collector_a",
        "false",
    )
    assert (sent["debtor_timezone"], sent["debtor_region"], sent["gate_reasons"]) == ("America/Denver", "CO", "")
    assert by_outcome["held"]["gate_reasons"] == "outside_hours"
    assert AuditEvent.objects.filter(action="data.exported", detail="export_activities").exists()


def test_export_activities_json_and_period(worked_account, tmp_path):
    target = tmp_path / "out.json"
    call_command(
        "export_activities",
        "--start",
        "2026-06-10",
        "--end",
        "2026-06-11",
        "--format",
        "json",
        "--output",
        str(target),
        stderr=io.StringIO(),
    )
    records = json.loads(target.read_text())
    assert len(records) == 2 and list(records[0]) == ACTIVITY_COLUMNS
    assert records[0]["to"] == "+13035550100" and records[0]["automated"] is False
    out = io.StringIO()
    call_command(
        "export_activities",
        "--start",
        "2026-06-11",
        "--end",
        "2026-06-12",
        "--format",
        "json",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert json.loads(out.getvalue()) == []


@pytest.mark.parametrize(
    ("value", "safe"), [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2", "'-2"), ("plain", "plain"), (None, "")]
)
def test_neutralise(value, safe):
    assert neutralise(value) == safe


def test_admin_validation_notice_goes_through_the_service(client_for, admin_user, role_permissions, denver_account):
    from compliance.models import AccountCompliance

    response = client_for(admin_user).post(
        "/admin/compliance/accountcompliance/add/",
        {
            "account": denver_account.pk,
            "first_communication_at_0": "",
            "first_communication_at_1": "",
            "validation_notice_sent_on": "2026-07-01",
            "statute_of_limitations_on": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = AccountCompliance.objects.get(account=denver_account)
    # Holiday-aware dates, as validation_notice_record derives them (Independence Day observed, a weekend).
    assert (profile.validation_notice_received_on, profile.validation_period_ends_on) == (
        datetime.date(2026, 7, 9),
        datetime.date(2026, 8, 8),
    )
    event = AuditEvent.objects.get(action="validation_notice.recorded")
    assert event.actor == admin_user and event.after["ends_on"] == "2026-08-08"
