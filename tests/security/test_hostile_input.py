"""Hostile input: markup in every rendered text field comes out escaped, uploads that are too big or
not UTF-8 text are refused with nothing stored, formulas are inert in every CSV export, and
nonsense dates and amounts are refused in plain words (never a 500)."""

import csv
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.api.services import api_token_create
from collections_app.models import Account, Debtor, DunningTemplate, ImportJob, LedgerEntry
from tests.collections_app.bundles import BASE, HEADERS
from tests.collections_app.workspace_data import make_debt

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = SCRIPT + IMG
RAW_MARKERS = ("<script>alert(1)", "<img src=x")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1:A2)"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_escaped(response, *, expect_text=True):
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    for marker in RAW_MARKERS:
        assert marker not in page, f"unescaped {marker!r} in {response.request['PATH_INFO']}"
    if expect_text:
        assert ESCAPED in page, response.request["PATH_INFO"]


def token_client(user, admin_user) -> APIClient:
    _, key = api_token_create(name=f"{user.username} test", owner=user, role=user.role, created_by=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def hostile_account(collector, admin_user, client):
    """An account whose every free-text field was typed by an attacker, through forms and the API."""
    api = token_client(admin_user, admin_user)
    debtor = api.post("/api/debtors/", {"external_id": "EVIL-D", "name": HOSTILE, "country": "US"}, format="json")
    assert debtor.status_code == 201, debtor.json()
    created = api.post(
        "/api/accounts/",
        {
            "external_id": "EVIL-A",
            "debtor": debtor.json()["id"],
            "creditor": HOSTILE,
            "currency": "USD",
            "opened_on": "2024-03-01",
            "segment": HOSTILE[:50],
            "collector": collector.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    account = make_debt(collector, name="Plain Debtor")
    # Give the API-made account a debt too, by moving this one's debtor and creditor onto it.
    Account.objects.filter(pk=account.pk).update(
        debtor=Debtor.objects.get(external_id="EVIL-D"), creditor=Account.objects.get(external_id="EVIL-A").creditor
    )
    client.force_login(collector)
    for name, data in (
        ("call", {"direction": "inbound", "outcome": "right_party_contact", "note": HOSTILE}),
        ("dispute", {"reason": HOSTILE}),
        ("hold", {"reason": "other", "note": HOSTILE}),
    ):
        response = client.post(f"/accounts/{account.pk}/act/{name}/", data, **HTMX)
        assert response.status_code == 200, (name, response.content.decode()[:500])
        assert_escaped(response, expect_text=False)
    hold = token_client(collector, admin_user).post(
        "/api/holds/", {"account": account.pk, "reason": "other", "note": HOSTILE}, format="json"
    )
    assert hold.status_code in (201, 403), hold.content
    client.logout()
    return account


def test_the_collectors_pages_escape_every_field(hostile_account, collector, client):
    client.force_login(collector)
    assert_escaped(client.get(f"/accounts/{hostile_account.pk}/"))
    assert_escaped(client.get("/accounts/"))
    assert_escaped(client.get("/accounts/", {"q": HOSTILE}), expect_text=False)
    assert_escaped(client.get("/queue/"), expect_text=False)
    for name in ("call", "dispute_resolve", "hold_release", "promise"):
        assert_escaped(client.get(f"/accounts/{hostile_account.pk}/act/{name}/", **HTMX), expect_text=False)


def test_the_managers_and_admins_pages_escape_every_field(hostile_account, manager, admin_user, client):
    client.force_login(manager)
    assert_escaped(client.get("/desk/"), expect_text=False)
    assert_escaped(client.get("/kpis/", {"by": "creditor"}), expect_text=False)
    assert_escaped(client.get("/compliance/audit/", {"account": hostile_account.external_id}))
    unknown = client.get("/compliance/audit/", {"account": HOSTILE})
    assert unknown.status_code == 404 and ESCAPED in unknown.content.decode()
    assert_escaped(client.get("/compliance/"), expect_text=False)
    client.force_login(admin_user)
    assert_escaped(client.get(f"/accounts/{hostile_account.pk}/"))
    assert_escaped(client.get(f"/debtors/{hostile_account.debtor_id}/privacy/"), expect_text=False)


def test_dunning_template_text_is_escaped_in_the_editor_and_the_preview(admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/dunning/templates/new/",
        {
            "name": HOSTILE,
            "channel": "email",
            "language": "en",
            "subject": HOSTILE,
            "body": HOSTILE + " {{ debtor_name }} {{ opt_out }}",
        },
    )
    assert response.status_code == 302, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]*)', response.content.decode())
    template = DunningTemplate.objects.get(name=HOSTILE)
    assert_escaped(client.get("/dunning/templates/"))
    assert_escaped(client.get(f"/dunning/templates/{template.pk}/"))
    assert_escaped(client.get("/dunning/"), expect_text=False)


def upload(client, files: dict[str, bytes]):
    uploads = [SimpleUploadedFile(name, data, content_type="text/csv") for name, data in files.items()]
    return client.post("/imports/new/", {"files": uploads})


def bundle_bytes(debtor_row: str | None = None) -> dict[str, bytes]:
    debtors = [debtor_row or BASE["debtors.csv"][0], BASE["debtors.csv"][1]]
    return {
        "debtors.csv": "\n".join([HEADERS["debtors.csv"], *debtors]).encode() + b"\n",
        "accounts.csv": "\n".join([HEADERS["accounts.csv"], *BASE["accounts.csv"]]).encode() + b"\n",
    }


def test_an_imported_name_with_markup_is_escaped_everywhere(
    admin_user, collector, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    row = 'D1,person,"<script>alert(1)</script>""><img src=x onerror=alert(1)>",,,,,,,US,,en'
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, bundle_bytes(row))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, (job.status, job.rejections)
    assert Debtor.objects.get(external_id="D1").name == HOSTILE
    assert_escaped(client.get("/accounts/"))
    assert_escaped(client.get(f"/imports/{job.pk}/"), expect_text=False)
    assert_escaped(client.get("/imports/"), expect_text=False)


BROKEN = {
    "latin-1 bytes": ("debtors.csv", HEADERS["debtors.csv"].encode() + b"\nD1,person,Jos\xe9 Mu\xf1oz,,,,,,,US,,\n"),
    "UTF-16": ("debtors.csv", (HEADERS["debtors.csv"] + "\nD1,person,Ana,,,,,,,US,,\n").encode("utf-16")),
    "a NUL byte": ("debtors.csv", HEADERS["debtors.csv"].encode() + b"\nD1,person,Ana\x00,,,,,,,US,,\n"),
    "a binary file": ("accounts.csv", bytes(range(256)) * 8),
    "binary without NUL": ("accounts.csv", bytes(range(1, 256)) * 8),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_csv_files_that_are_not_utf8_text_are_refused_and_nothing_is_stored(kind, admin_user, client):
    client.force_login(admin_user)
    name, data = BROKEN[kind]
    files = {**bundle_bytes(), name: data}
    response = upload(client, files)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{name}: line " in page and "Nothing was imported." in page
    assert ("not UTF-8 text" in page) if kind in ("latin-1 bytes", "binary without NUL") else ("NUL byte" in page)
    assert not ImportJob.objects.exists() and not Debtor.objects.exists()


def test_a_broken_file_inside_a_zip_is_refused_too(admin_user, client):
    client.force_login(admin_user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in {**bundle_bytes(), "debtors.csv": BROKEN["latin-1 bytes"][1]}.items():
            archive.writestr(f"bundle/{name}", data)
    response = client.post("/imports/new/", {"files": SimpleUploadedFile("bundle.zip", buffer.getvalue())})
    assert "debtors.csv: line 2 is not UTF-8 text" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_upload_over_the_limit_is_refused_with_the_limit_named(admin_user, client, monkeypatch):
    monkeypatch.setattr("collections_app.views.imports.MAX_UPLOAD_BYTES", 1024)
    client.force_login(admin_user)
    response = upload(client, {**bundle_bytes(), "invoices.csv": b"x" * 4096})
    page = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 1.0\xa0KB" in page and "manage.py import_portfolio" in page
    assert not ImportJob.objects.exists()


def test_an_oversized_form_body_is_refused_not_crashed(collector, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(collector)
    account = make_debt(collector)
    response = client.post(f"/accounts/{account.pk}/act/dispute/", {"reason": "x" * 20_000})
    assert response.status_code == 400
    assert not account.disputes.exists()


# --- CSV exports: one guard for all ----------------------------------------------------------------


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_inert(cells: list[str], *expected: str):
    """No cell a spreadsheet would run; the expected formulas are there, prefixed with a quote."""
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    for formula in expected:
        assert "'" + formula in cells, f"{formula!r} missing from the export"


@pytest.fixture
def formula_account(collector, admin_user, client):
    """An account whose creditor, segment and notes are spreadsheet formulas."""
    account = make_debt(collector, name=FORMULAS[0])
    account.creditor.name = FORMULAS[2]
    account.creditor.save()
    Account.objects.filter(pk=account.pk).update(segment=FORMULAS[3])
    client.force_login(collector)
    for formula in FORMULAS:
        client.post(f"/accounts/{account.pk}/act/dispute/", {"reason": formula}, **HTMX)
    client.post(
        f"/accounts/{account.pk}/act/call/", {"direction": "inbound", "outcome": "wrong_party", "note": FORMULAS[1]}
    )
    client.logout()
    account.refresh_from_db()
    return account


def test_the_audit_trail_export_neutralises_formulas(formula_account, manager, client):
    client.force_login(manager)
    response = client.get("/compliance/audit/", {"account": formula_account.external_id, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert FORMULAS[1] in text  # the hostile note reached the export (inside a cell of JSON)
    assert_inert(csv_cells(text))


def test_the_kpi_downloads_neutralise_formulas(formula_account, manager, client):
    call_command("rollup_kpis", stdout=io.StringIO())
    client.force_login(manager)
    for by, formula in (("creditor", FORMULAS[2]), ("segment", FORMULAS[3])):
        response = client.get("/kpis/", {"by": by, "export": "groups"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert_inert(csv_cells(response.content.decode()), formula)
    for export in ("trend", "aging", "roll"):
        assert_inert(csv_cells(client.get("/kpis/", {"export": export}).content.decode()))


def test_kpi_report_csv_neutralises_formulas(formula_account):
    out = io.StringIO()
    call_command("kpi_report", start="2020-01-01", end="2030-12-31", by="creditor", format="csv", stdout=out)
    assert_inert(csv_cells(out.getvalue()), FORMULAS[2])


def test_the_activity_export_neutralises_formulas(formula_account, tmp_path):
    out = io.StringIO()
    call_command("export_activities", start="2020-01-01", end="2030-12-31", format="csv", stdout=out)
    assert_inert(csv_cells(out.getvalue()))


def test_the_import_rejection_report_neutralises_formulas(admin_user, client, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, bundle_bytes(f"D1,person,Ann,,,,,,,{FORMULAS[1]},,"))
    job = ImportJob.objects.get()
    response = client.get(f"/imports/{job.pk}/rejections.csv")
    assert response.status_code == 200, job.status
    text = b"".join(response.streaming_content).decode()
    assert FORMULAS[1] in text  # the bad country is quoted in the reason
    assert_inert(csv_cells(text))


# --- Dates and amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("promise", {"amount": "12,34,5.6.7", "due_on": "2026-13-45"}, "amount"),
        ("promise", {"amount": "50.00", "due_on": "31/02/2026"}, "date"),
        ("payment", {"amount": "-5", "received_on": "2026-02-30", "method": "card"}, ""),
        ("payment", {"amount": "1e400", "received_on": "yesterday", "method": "card"}, ""),
        ("arrangement", {"total_amount": "NaN", "count": "3", "frequency": "monthly", "start_on": "0000-00-00"}, ""),
        ("callback", {"at": "9999-99-99T99:99"}, ""),
        ("cease", {"scope": "account", "in_writing": "on", "received_on": "not a date"}, ""),
    ],
)
def test_nonsense_dates_and_amounts_in_forms_are_refused_in_words(collector, client, action, data, message):
    client.force_login(collector)
    account = make_debt(collector)
    response = client.post(f"/accounts/{account.pk}/act/{action}/", data, **HTMX)
    assert response.status_code == 422, response.status_code
    page = response.content.decode()
    assert 'class="field-error' in page or "form-error" in page or "errorlist" in page
    assert not LedgerEntry.objects.filter(account=account).exclude(kind="charge").exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/promises/", {"amount": "lots", "due_on": "2026-02-30"}),
        ("/api/payments/", {"amount": "NaN", "received_on": "2026-01-01"}),
        ("/api/payments/", {"amount": "1e999", "received_on": "not-a-date"}),
        ("/api/payments/", {"amount": ["1"], "received_on": {"d": 1}}),
        ("/api/accounts/", {"external_id": "X", "currency": "USD", "opened_on": "2026-99-01"}),
    ],
)
def test_nonsense_dates_and_amounts_in_the_api_are_a_400_with_a_code(collector, admin_user, path, body):
    account = make_debt(collector)
    api = token_client(admin_user, admin_user)
    response = api.post(path, {"account": account.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"]
