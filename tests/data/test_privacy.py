"""Personal data: the export holds every kind of row; erasure is refused while data must be kept, and
when allowed removes the person but leaves the ledger, reconciliation and KPIs exactly as they were."""

import datetime
import io
import json
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from collections_app.errors import DomainError
from collections_app.models import (
    Activity,
    Address,
    Allocation,
    ContactPoint,
    Debtor,
    Dispute,
    DunningReminder,
    Invoice,
    LedgerEntry,
    Promise,
)
from collections_app.services.activities import dispute_open, hold_place
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create, payment_post
from collections_app.services.parties import contact_point_add, debtor_create
from collections_app.services.placements import account_place
from collections_app.services.privacy import debtor_erase, debtor_export
from compliance.models import AuditEvent, Hold
from kpis.report import kpi_report

from .portfolio import EMAIL, NAME, NOTES, PHONE, STREET, at, closed_file

pytestmark = pytest.mark.django_db
YEAR_2019 = {"start": datetime.date(2019, 1, 1), "end": datetime.date(2019, 12, 31)}


@pytest.fixture
def account(admin_user):
    return closed_file(by=admin_user)


def ledger_figures() -> dict:
    """Counts and sums of every ledger table, per account."""
    return {
        "entries": list(LedgerEntry.objects.values("account_id", "kind").annotate(n=Count("id"), s=Sum("amount"))),
        "allocations": list(Allocation.objects.values("invoice_id").annotate(n=Count("id"), s=Sum("amount"))),
        "invoices": list(
            Invoice.objects.values("account_id").annotate(n=Count("id"), s=Sum("amount"), o=Sum("open_amount"))
        ),
    }


def personal_snapshot(debtor) -> dict:
    return {
        "debtor": Debtor.objects.values().get(pk=debtor.pk),
        "points": list(ContactPoint.objects.filter(debtor=debtor).values("value", "opted_out")),
        "addresses": list(Address.objects.filter(debtor=debtor).values("line1")),
        "notes": list(Activity.objects.filter(debtor=debtor).values_list("note", "to")),
        "disputes": list(Dispute.objects.filter(account__debtor=debtor).values_list("reason", "resolution_note")),
        "holds": list(Hold.objects.filter(debtor=debtor).values_list("note", flat=True)),
        "reminders": list(DunningReminder.objects.filter(account__debtor=debtor).values_list("to", "body")),
        "erased_events": AuditEvent.objects.filter(action="debtor.erased").count(),
    }


def rows_containing(needle: str) -> list[str]:
    """Every model field, outside the append-only audit log, that still holds `needle`."""
    found = []
    for model in apps.get_models():
        if model is AuditEvent or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists()
            ):
                found.append(f"{model.__name__}.{field.name}")
    return found


# Export


def test_export_holds_every_kind_of_row_and_is_audited(account, admin_user):
    document = debtor_export(debtor=account.debtor, by=admin_user)
    assert document["debtor"]["name"] == NAME and document["debtor"]["external_id"] == "P-1"
    assert {p["value"] for p in document["contact_points"]} == {PHONE, EMAIL.replace("@", "+1@")}
    consents = {c["contact"]: c for c in document["consents_and_opt_outs"]}
    assert consents[PHONE]["consent_autodial"] is True and consents[PHONE]["opted_out"] is False
    assert consents[EMAIL.replace("@", "+1@")]["opted_out"] is True
    assert document["addresses"][0]["line1"] == STREET
    assert document["holds_on_debtor"][0]["note"] == NOTES[3]
    [acc] = document["accounts"]
    assert acc["external_id"] == "PA-1" and acc["creditor"] == "First Bank" and acc["balance"] == "0.00"
    assert [(i["external_id"], i["amount"]) for i in acc["invoices"]] == [("INV-1", "500.00")]
    assert [(e["kind"], e["amount"]) for e in acc["ledger_entries"]] == [
        ("charge", "500.00"),
        ("payment", "-200.00"),
        ("payment", "-100.00"),
        ("reversal", "100.00"),
        ("payment", "-300.00"),
    ]
    assert acc["promises"][0]["note"] == NOTES[4] and acc["promises"][0]["amount"] == "300.00"
    assert [i["amount"] for i in acc["arrangements"][0]["instalments"]] == ["150.00", "150.00"]
    assert acc["disputes"][0]["reason"] == NOTES[1] and acc["disputes"][0]["resolution_note"] == NOTES[2]
    assert [a["note"] for a in acc["activities"]] == [NOTES[0]]
    assert acc["dunning_reminders"][0]["body"].startswith(NOTES[5])
    assert acc["compliance"]["first_communication_at"].startswith("2019-04-12")
    # Our staff are not the debtor's data.
    assert "created_by_id" not in acc["ledger_entries"][0] and "assigned_to_id" not in acc
    json.dumps(document)  # plain JSON all the way down
    event = AuditEvent.objects.get(action="data.exported")
    assert event.actor == admin_user and event.after["debtor_id"] == account.debtor_id


def test_export_command_writes_json(account, tmp_path):
    out = io.StringIO()
    call_command("export_debtor", str(account.debtor_id), stdout=out)
    assert json.loads(out.getvalue())["debtor"]["name"] == NAME
    path = tmp_path / "export.json"
    call_command("export_debtor", str(account.debtor_id), "--output", str(path), stderr=io.StringIO())
    assert json.loads(path.read_text())["accounts"][0]["external_id"] == "PA-1"
    assert AuditEvent.objects.filter(action="data.exported", actor=None).count() == 2
    with pytest.raises(CommandError, match="no debtor with id 999999"):
        call_command("export_debtor", "999999")


# Erasure refused


def _open_balance(account):
    invoice_create(
        account=account, amount=D("50.00"), issued_on=datetime.date(2019, 7, 1), due_on=datetime.date(2019, 8, 1)
    )


def _open_dispute(account):
    dispute_open(account=account, reason="Wrong amount", at=at(7, 1))


def _bankruptcy(account):
    hold_place(reason="bankruptcy", debtor=account.debtor, starts_at=at(7, 1), note="Chapter 7 case 19-1234")


def _recent_payment(account):
    today = timezone.localdate()
    invoice_create(account=account, amount=D("10.00"), issued_on=today - datetime.timedelta(days=40), due_on=today)
    payment_post(account=account, amount=D("10.00"), received_on=today - datetime.timedelta(days=10))


@pytest.mark.parametrize(
    ("make_blocker", "message"),
    [
        (_open_balance, "Account PA-1 still has a balance of 50.00 USD"),
        (_open_dispute, "Account PA-1 has a dispute open since 01 Jul 2019: resolve it first."),
        (_bankruptcy, "A hold (bankruptcy) is in force on the debtor since 01 Jul 2019"),
        (_recent_payment, "records are kept 2190 days after the last activity, so erasure is possible from"),
    ],
)
def test_erasure_refused_while_data_must_be_kept(account, admin_user, make_blocker, message):
    make_blocker(account)
    before = personal_snapshot(account.debtor)
    with pytest.raises(DomainError) as refused:
        debtor_erase(debtor=account.debtor, by=admin_user, reason="Debtor asked")
    assert refused.value.code == "erasure_refused"
    assert message in refused.value.message
    assert len(refused.value.reasons) == 1
    assert personal_snapshot(account.debtor) == before


def test_retention_period_is_a_setting(account, admin_user, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 10 * 365
    with pytest.raises(DomainError, match="erasure is possible from 29 May 2029"):
        debtor_erase(debtor=account.debtor, by=admin_user, reason="Debtor asked")


def test_erasure_needs_a_reason(account, admin_user):
    with pytest.raises(DomainError, match="Say why"):
        debtor_erase(debtor=account.debtor, by=admin_user, reason="  ")


# Erasure allowed


def test_erasure_removes_the_person_and_keeps_ledger_and_kpis(account, admin_user, capsys):
    other = debtor_create(external_id="P-2", name="Other Person")
    contact_point_add(debtor=other, kind="phone", value=PHONE)
    figures, kpis = ledger_figures(), kpi_report(**YEAR_2019)
    audit_before = list(AuditEvent.objects.order_by("id").values())
    assert sorted(rows_containing(NAME)) == ["Debtor.name", "DunningReminder.body"]

    counts = debtor_erase(debtor=account.debtor, by=admin_user, reason="Erasure request, ticket 77")

    debtor = Debtor.objects.get(pk=account.debtor_id)
    assert (debtor.name, debtor.external_id) == (f"Erased debtor #{debtor.pk}", f"erased-{debtor.pk}")
    assert (debtor.region, debtor.timezone, debtor.language) == ("", "", "")
    assert counts["contact_points"] == 2 and counts["addresses"] == 1 and counts["reminders"] == 1
    assert not ContactPoint.objects.filter(debtor=debtor).exists()
    assert not Address.objects.filter(debtor=debtor).exists()
    for needle in [NAME, STREET, EMAIL.replace("@", "+1@"), *NOTES]:
        assert rows_containing(needle) == [], needle
    # The other debtor, with the same phone number, is untouched.
    assert ContactPoint.objects.filter(debtor=other, value=PHONE).exists()
    assert Debtor.objects.get(pk=other.pk).name == "Other Person"
    # The rows remain, without their personal text.
    assert Activity.objects.filter(debtor=debtor, outcome="right_party_contact", note="", to="").count() == 1
    assert Dispute.objects.filter(account=account, outcome="verified", reason="").count() == 1
    assert Promise.objects.filter(account=account, amount=D("300.00"), note="").count() == 1

    assert ledger_figures() == figures
    assert kpi_report(**YEAR_2019) == kpis
    call_command("reconcile_ledger")
    assert "every cache equals the ledger" in capsys.readouterr().out
    # Old audit events untouched; one new event says who erased, when and why.
    assert list(AuditEvent.objects.filter(id__lte=audit_before[-1]["id"]).order_by("id").values()) == audit_before
    event = AuditEvent.objects.get(action="debtor.erased")
    assert (event.actor, event.account_id, event.detail) == (admin_user, account.pk, "Erasure request, ticket 77")

    with pytest.raises(DomainError, match="already been erased"):
        debtor_erase(debtor=debtor, by=admin_user, reason="again")


def test_erase_command(account):
    _open_balance(account)
    with pytest.raises(CommandError, match="- Account PA-1 still has a balance of 50.00 USD"):
        call_command("erase_debtor", str(account.debtor_id), "--reason", "Request 12")
    assert Debtor.objects.get(pk=account.debtor_id).name == NAME
    other = closed_file(n=2)
    out = io.StringIO()
    call_command("erase_debtor", str(other.debtor_id), "--reason", "Request 13", stdout=out)
    assert f"Debtor {other.debtor_id} erased (2 contact points, 1 addresses" in out.getvalue()
    assert Debtor.objects.get(pk=other.debtor_id).name == f"Erased debtor #{other.debtor_id}"


# Pages


def test_admin_exports_and_erases_through_the_pages(account, admin_user, client_for):
    client = client_for(admin_user)
    debtor_id = account.debtor_id
    page = client.get(reverse("account_detail", args=[account.pk]))
    assert reverse("debtor_privacy", args=[debtor_id]) in page.content.decode()

    page = client.get(reverse("debtor_privacy", args=[debtor_id]))
    assert page.status_code == 200 and "Personal data of Maria Lopez" in page.content.decode()

    download = client.post(reverse("debtor_export", args=[debtor_id]))
    assert download.status_code == 200 and download["Content-Type"] == "application/json"
    assert download["Content-Disposition"].startswith(f'attachment; filename="debtor-{debtor_id}-personal-data-')
    assert json.loads(download.content)["debtor"]["name"] == NAME
    assert AuditEvent.objects.filter(action="data.exported", actor=admin_user).count() == 1

    confirm = client.get(reverse("debtor_erase", args=[debtor_id])).content.decode()
    assert "Erased, for good" in confirm and "Kept" in confirm and "Every postal address." in confirm

    missing = client.post(reverse("debtor_erase", args=[debtor_id]), {"reason": ""})
    assert missing.status_code == 422 and "Say why" in missing.content.decode()
    assert Debtor.objects.get(pk=debtor_id).name == NAME

    done = client.post(reverse("debtor_erase", args=[debtor_id]), {"reason": "Request 14"}, follow=True)
    assert done.redirect_chain == [(reverse("debtor_privacy", args=[debtor_id]), 302)]
    assert f"Personal data of debtor {debtor_id} erased" in done.content.decode()
    assert Debtor.objects.get(pk=debtor_id).name == f"Erased debtor #{debtor_id}"


def test_admin_sees_why_erasure_is_refused(account, admin_user, client_for):
    _open_dispute(account)
    client = client_for(admin_user)
    page = client.get(reverse("debtor_privacy", args=[account.debtor_id])).content.decode()
    assert "cannot be erased yet" in page and "has a dispute open since 01 Jul 2019" in page
    refused = client.post(reverse("debtor_erase", args=[account.debtor_id]), {"reason": "Request"})
    assert refused.status_code == 422 and "resolve it first" in refused.content.decode()
    assert Debtor.objects.get(pk=account.debtor_id).name == NAME


@pytest.mark.parametrize("who", ["collector", "other_collector", "manager", "other_manager"])
def test_other_roles_are_refused(account, who, request, client_for):
    user = request.getfixturevalue(who)
    if who == "collector":
        account_assign(account=account, collector=user)
    client = client_for(user)
    urls = [reverse(name, args=[account.debtor_id]) for name in ("debtor_privacy", "debtor_export", "debtor_erase")]
    assert [client.get(url).status_code for url in urls] == [403, 405, 403]
    assert [client.post(url, {"reason": "x"}).status_code for url in urls] == [405, 403, 403]
    assert not AuditEvent.objects.filter(action__in=["data.exported", "debtor.erased"]).exists()
    assert Debtor.objects.get(pk=account.debtor_id).name == NAME
    if who == "collector":
        page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
        assert page.count(NAME) and reverse("debtor_privacy", args=[account.debtor_id]) not in page


def test_anonymous_is_sent_to_sign_in(account, client):
    response = client.get(reverse("debtor_privacy", args=[account.debtor_id]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_export_costs_the_same_queries_for_more_accounts(account, admin_user, django_assert_max_num_queries):
    with django_assert_max_num_queries(16) as one:
        debtor_export(debtor=account.debtor, by=admin_user)
    for n in (2, 3):
        extra = account_place(
            external_id=f"PA-1-{n}",
            debtor=account.debtor,
            creditor=account.creditor,
            currency="USD",
            opened_on=datetime.date(2019, 1, 1),
        )
        invoice_create(account=extra, amount=D("10.00"), issued_on=extra.opened_on, due_on=extra.opened_on)
    with django_assert_max_num_queries(len(one.captured_queries)):
        document = debtor_export(debtor=account.debtor, by=admin_user)
    assert [a["external_id"] for a in document["accounts"]] == ["PA-1", "PA-1-2", "PA-1-3"]
