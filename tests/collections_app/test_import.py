"""The portfolio import (FORMATS.md): validation, idempotency, allocation and the import_portfolio command."""

import datetime
import io
import threading
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.models import Sum

from accounts.models import Role
from collections_app.importer import BundleError, import_bundle
from collections_app.models import (
    Account,
    AccountStatus,
    Address,
    Allocation,
    Assignment,
    ContactPoint,
    Creditor,
    Debtor,
    Invoice,
    LedgerEntry,
)
from collections_app.services.ledger import adjustment_post, invoice_create, latest_business_date, payment_post
from tests.conftest import require

from .bundles import BASE, EMPTY, HEADERS, with_row, write_bundle

pytestmark = pytest.mark.django_db


def reasons(report):
    return [(r.file, r.line, r.column, r.reason) for r in report.sorted_rejections()]


def assert_ledger_consistent():
    """What reconcile_ledger proves: every cache equals the ledger."""
    cents = Decimal("0.01")
    for account in Account.objects.all():
        total = account.entries.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert account.balance == Decimal(total).quantize(cents), account.external_id
        open_invoices = account.invoices.filter(open_amount__gt=0)
        open_sum = sum((i.open_amount for i in open_invoices), Decimal(0))
        assert account.unapplied_credit == open_sum - account.balance, account.external_id
        assert account.oldest_open_due_on == min((i.due_on for i in open_invoices), default=None)
    for invoice in Invoice.objects.all():
        allocated = invoice.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert invoice.open_amount == (invoice.amount - Decimal(allocated)).quantize(cents), invoice.pk


@pytest.fixture
def bundle(tmp_path, collector):
    return write_bundle(tmp_path / "bundle")


# --- a clean import --------------------------------------------------------------------------------


def test_clean_bundle_imports_everything(bundle, collector):
    report = import_bundle(bundle)

    assert report.rejections == []
    assert {name: c["created"] for name, c in report.counts.items()} == {
        "debtors.csv": 2,
        "accounts.csv": 2,
        "invoices.csv": 3,
        "payments.csv": 2,
        "adjustments.csv": 2,
    }
    ada = Debtor.objects.get(external_id="D1")
    assert (ada.timezone, ada.timezone_source, ada.region, ada.country) == ("America/New_York", "address", "MA", "US")
    assert set(ada.contact_points.values_list("kind", "value", "consent_autodial")) == {
        ("phone", "+16175550134", False),
        ("email", "Ada@example.com", False),
    }
    assert ada.addresses.get().line1 == "1 Main St"
    acme = Debtor.objects.get(external_id="D2")
    assert (acme.kind, acme.timezone, acme.timezone_source) == ("business", "America/Chicago", "given")
    a1 = Account.objects.get(external_id="A1")
    assert a1.creditor.name == "Northwind" and Creditor.objects.count() == 1
    assert a1.assigned_to == collector
    assert a1.assignments.get().reason == "import"
    # A1: 100 + 50 + fee 15 charged, 120 paid oldest due first: I1 paid, 20 on I2.
    assert a1.balance == Decimal("45.00")
    assert dict(a1.invoices.values_list("external_id", "open_amount")) == {
        "I1": Decimal("0.00"),
        "I2": Decimal("30.00"),
        "J1": Decimal("15.00"),
    }
    fee = a1.invoices.get(external_id="J1")
    assert (fee.description, fee.issued_on, fee.due_on) == (
        "Fee on invoice I2",
        datetime.date(2025, 3, 1),
        fee.issued_on,
    )
    assert a1.entries.get(kind="fee").amount == Decimal("15.00")
    payment = a1.entries.get(kind="payment")
    assert (payment.amount, payment.method, payment.posted_on) == (
        Decimal("-120.00"),
        "card",
        datetime.date(2025, 2, 10),
    )
    # Applied on the later of the payment's and the invoice's dates.
    assert sorted(payment.allocations.values_list("amount", "applied_on")) == [
        (Decimal("20.00"), datetime.date(2025, 2, 10)),
        (Decimal("100.00"), datetime.date(2025, 2, 10)),
    ]
    a2 = Account.objects.get(external_id="A2")
    assert a2.balance == Decimal("40.00") and a2.assigned_to is None
    assert a2.entries.get(kind="payment").invoice.external_id == "I1"
    assert a2.entries.get(kind="credit").amount == Decimal("-10.00")
    assert_ledger_consistent()


def test_the_acting_user_is_recorded_on_assignments(bundle, collector, admin_user):
    import_bundle(bundle, actor=admin_user)
    assert Account.objects.get(external_id="A1").assignments.get().assigned_by == admin_user


def test_a_phone_the_numbering_plan_says_is_a_mobile_is_imported_as_one(tmp_path):
    debtors = [
        "D1,person,Ada Lovelace,,07400 123456,,London,,,GB,,en",
        "D2,person,Bob Byron,,020 7946 0018,,London,,,GB,,en",
        "D3,person,Cy Young,,(617) 555-0134,,,,,US,,en",
    ]
    accounts = ["A1,D1,Northwind,GBP,2025-01-01,,,,", "A2,D2,Northwind,GBP,2025-01-01,,,,"]
    accounts.append("A3,D3,Northwind,USD,2025-01-01,,,,")
    rows = {**EMPTY, "debtors.csv": debtors, "accounts.csv": accounts}
    assert import_bundle(write_bundle(tmp_path / "b", rows)).rejections == []

    usage = dict(ContactPoint.objects.filter(kind="phone").values_list("debtor__external_id", "usage"))
    # A US number may be either: its numbering plan cannot tell.
    assert usage == {"D1": "mobile", "D2": "other", "D3": "other"}


def test_reimport_creates_nothing(bundle):
    import_bundle(bundle)
    tables = [Debtor, Account, Invoice, LedgerEntry, Allocation, ContactPoint, Address, Assignment]
    before = [model.objects.count() for model in tables]

    report = import_bundle(bundle)

    assert report.rejections == []
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values())
    assert report.counts["invoices.csv"]["unchanged"] == 3
    assert report.counts["adjustments.csv"]["unchanged"] == 2
    assert [model.objects.count() for model in tables] == before
    assert_ledger_consistent()


def test_dry_run_writes_nothing(bundle):
    report = import_bundle(bundle, dry_run=True)

    assert report.dry_run and report.rejections == []
    assert report.counts["payments.csv"]["created"] == 2
    for model in (Creditor, Debtor, Account, Invoice, LedgerEntry, Allocation, ContactPoint, Address, Assignment):
        assert not model.objects.exists(), model


def test_dry_run_reports_the_same_rejections_as_a_real_run(tmp_path, collector):
    folder = write_bundle(tmp_path / "b", with_row("payments.csv", 2, "P1,A1,2025-02-10,abc,card,"))
    dry = import_bundle(folder, dry_run=True)
    real = import_bundle(folder)
    assert reasons(dry) == reasons(real) and len(reasons(real)) == 1


def test_changed_descriptive_fields_are_updated(bundle, tmp_path, collector, make_user):
    import_bundle(bundle)
    other = make_user(Role.COLLECTOR, username="collector_z")
    changed = write_bundle(
        tmp_path / "changed",
        {
            **with_row(
                "debtors.csv", 2, "D1,person,Ada King,ada@example.com,+1 617 555 0199,2 High St,Austin,TX,73301,US,,en"
            ),
            **with_row("accounts.csv", 2, "A1,D1,Northwind,USD,2025-01-01,2025-02-01,card,subprime,collector_z"),
        },
    )

    report = import_bundle(changed)

    assert report.rejections == []
    assert (report.counts["debtors.csv"]["updated"], report.counts["debtors.csv"]["unchanged"]) == (1, 1)
    assert (report.counts["accounts.csv"]["updated"], report.counts["accounts.csv"]["unchanged"]) == (1, 1)
    ada = Debtor.objects.get(external_id="D1")
    assert (ada.name, ada.region, ada.timezone) == ("Ada King", "TX", "America/Chicago")
    assert ada.contact_points.filter(kind="phone").count() == 2  # the old number stays on file
    assert ada.addresses.get(is_primary=True).line1 == "2 High St"
    assert ada.addresses.filter(is_primary=False).get().line1 == "1 Main St"
    a1 = Account.objects.get(external_id="A1")
    assert (a1.segment, a1.assigned_to) == ("subprime", other)
    history = list(a1.assignments.order_by("started_at", "id").values_list("collector__username", "ended_at"))
    assert history[0][0] == "collector_a" and history[0][1] is not None
    assert history[1] == ("collector_z", None)
    assert report.counts["invoices.csv"]["unchanged"] == 3


def test_changed_money_rows_are_refused(bundle, tmp_path):
    import_bundle(bundle)
    changed = write_bundle(
        tmp_path / "changed",
        {
            **with_row("invoices.csv", 2, "I1,A1,2025-01-01,2025-01-31,101.00,January"),
            **with_row("payments.csv", 3, "P2,A2,2025-03-02,30.00,ach,I1"),
            **with_row("adjustments.csv", 2, "J1,A1,2025-03-01,16.00,fee,I2"),
        },
    )
    entries = LedgerEntry.objects.count()

    report = import_bundle(changed)

    assert reasons(report) == [
        (
            "invoices.csv",
            2,
            "amount",
            "I1 was already imported with amount 100.00 issued on 2025-01-01 due on 2025-01-31; money is never changed",
        ),
        (
            "payments.csv",
            3,
            "amount",
            "P2 was already imported with amount 30.00 on 2025-03-01; money is never changed",
        ),
        (
            "adjustments.csv",
            2,
            "amount",
            "J1 was already imported with amount 15.00 on 2025-03-01; money is never changed",
        ),
    ]
    assert LedgerEntry.objects.count() == entries
    assert Invoice.objects.get(account__external_id="A1", external_id="I1").amount == Decimal("100.00")


def test_new_money_on_a_stored_account_absorbs_its_unapplied_credit(bundle, tmp_path):
    import_bundle(bundle)
    later = write_bundle(
        tmp_path / "later",
        {
            **EMPTY,
            "invoices.csv": ["I3,A1,2025-04-01,2025-04-30,20.00,"],
            "payments.csv": ["P9,A2,2025-04-01,100.00,check,"],
        },
    )
    report = import_bundle(later)
    assert report.rejections == []
    a2 = Account.objects.get(external_id="A2")
    assert (a2.balance, a2.unapplied_credit, a2.status) == (Decimal("-60.00"), Decimal("60.00"), AccountStatus.PAID)
    assert Account.objects.get(external_id="A1").balance == Decimal("65.00")
    assert_ledger_consistent()
    # The next invoice on A2 is paid from the credit already there, as invoice_create would do.
    import_bundle(write_bundle(tmp_path / "next", {**EMPTY, "invoices.csv": ["I4,A2,2025-05-01,2025-05-31,25.00,"]}))
    a2.refresh_from_db()
    assert (a2.balance, a2.unapplied_credit) == (Decimal("-35.00"), Decimal("35.00"))
    assert Invoice.objects.get(account=a2, external_id="I4").open_amount == Decimal("0.00")
    assert_ledger_consistent()


def test_stored_credit_pays_each_new_invoice_as_invoice_create_does(bundle, tmp_path):
    import_bundle(bundle)
    import_bundle(write_bundle(tmp_path / "pay", {**EMPTY, "payments.csv": ["P9,A2,2025-04-01,100.00,check,"]}))
    imported = Account.objects.get(external_id="A2")
    assert imported.unapplied_credit == Decimal("60.00")
    one_by_one = Account.objects.create(
        external_id="S2",
        debtor=imported.debtor,
        creditor=imported.creditor,
        currency="USD",
        opened_on=imported.opened_on,
    )
    payment_post(account=one_by_one, amount=Decimal("60.00"), received_on=datetime.date(2025, 4, 1), external_id="P9")
    # I4 falls due after I5 but comes first: it takes the credit before I5 exists.
    new = ["I4,A2,2025-04-01,2025-05-31,25.00,", "I5,A2,2025-04-02,2025-04-30,50.00,"]

    report = import_bundle(write_bundle(tmp_path / "more", {**EMPTY, "invoices.csv": new}))

    assert report.rejections == []
    for row in new:
        ext, _, issued, due, amount, _ = row.split(",")
        invoice_create(
            account=one_by_one,
            amount=Decimal(amount),
            issued_on=datetime.date.fromisoformat(issued),
            due_on=datetime.date.fromisoformat(due),
            external_id=ext,
        )

    def state(account):
        account.refresh_from_db()
        invoices = dict(account.invoices.filter(external_id__in=["I4", "I5"]).values_list("external_id", "open_amount"))
        allocations = sorted(
            Allocation.objects.filter(invoice__account=account, invoice__external_id__in=["I4", "I5"]).values_list(
                "invoice__external_id", "amount", "applied_on"
            )
        )
        caches = (account.balance, account.unapplied_credit, account.oldest_open_due_on, account.status)
        return caches, invoices, allocations

    assert state(imported) == state(one_by_one)
    assert state(imported)[1] == {"I4": Decimal("0.00"), "I5": Decimal("15.00")}
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_payment_posted_during_an_import_is_not_overwritten(tmp_path, collector):
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    import_bundle(write_bundle(tmp_path / "b"))
    a2 = Account.objects.get(external_id="A2")

    def pay_meanwhile(stage, percent):
        # After the bundle was read, before its money rows are planned: another connection pays.
        if stage.startswith("Posting money rows"):
            worker = threading.Thread(target=pay_from_another_connection)
            worker.start()
            worker.join(timeout=30)

    def pay_from_another_connection():
        try:
            payment_post(account=a2, amount=Decimal("15.00"), received_on=datetime.date(2025, 4, 1))
        finally:
            connections.close_all()

    more = {**EMPTY, "payments.csv": ["P9,A2,2025-04-02,5.00,check,"]}
    report = import_bundle(write_bundle(tmp_path / "more", more), progress=pay_meanwhile)

    assert report.rejections == []
    a2.refresh_from_db()
    assert a2.entries.filter(kind="payment").count() == 3
    assert a2.balance == Decimal("20.00")  # 40 less the 15 paid meanwhile and the 5 imported
    assert_ledger_consistent()


# --- every rejection, with its file, line and column ------------------------------------------------

# A2 in yen, for the cases about currencies without decimals.
JPY = with_row("accounts.csv", 3, "A2,D2,Northwind,JPY,2025-01-01,,,,")
CASES = [
    ("debtors.csv", 2, "D1,person,,,,,,,,,,", "name", "a name is required"),
    ("debtors.csv", 2, ",person,Ada,,,,,,,,,", "external_id", "an external id is required"),
    ("debtors.csv", 2, "D1,robot,Ada,,,,,,,,,", "kind", "'robot' is not a kind of debtor; use person or business"),
    ("debtors.csv", 2, "D1,person,Ada,,,,,,,XX,,", "country", "'XX' is not an ISO 3166 alpha-2 country code (like US)"),
    ("debtors.csv", 2, "D1,person,Ada,,,,,,,,Mars/Base,", "timezone", "'Mars/Base' is not an IANA time zone"),
    ("debtors.csv", 2, "D1,person,Ada,ada-at-home,,,,,,,,", "email", "'ada-at-home' is not an email address"),
    ("debtors.csv", 2, "D1,person,Ada,,555-01,,,,,,,", "phone", "'555-01' is not a valid phone number"),
    ("debtors.csv", 2, "D1,person,Ada,,,,,,,,,,extra", "*", "the row has 13 cells but the header has 12"),
    ("accounts.csv", 2, "A1,D1,Northwind,usd,2025-01-01,,,,", "currency", "'usd' is not an ISO 4217 currency code"),
    ("accounts.csv", 2, "A1,D1,Northwind,USD,2025-02-30,,,,", "opened_on", "'2025-02-30' is not a real calendar date"),
    ("accounts.csv", 2, "A1,D1,Northwind,USD,01/02/2025,,,,", "opened_on", "not a date; write it as YYYY-MM-DD"),
    ("accounts.csv", 2, "A1,D1,Northwind,USD,2999-01-01,,,,", "opened_on", "2999-01-01 is in the future"),
    ("accounts.csv", 2, "A1,D1,,USD,2025-01-01,,,,", "creditor", "the creditor's name is required"),
    ("accounts.csv", 2, "A1,D1,Northwind,USD,2025-01-01,,,,nobody", "collector", "no user named nobody"),
    (
        "accounts.csv",
        2,
        "A1,D1,Northwind,USD,2025-01-01,,,,manager_a",
        "collector",
        "manager_a is not an active collector",
    ),
    (
        "accounts.csv",
        2,
        "A1,D9,Northwind,USD,2025-01-01,,,,",
        "debtor_external_id",
        "debtor D9 is neither in debtors.csv",
    ),
    ("invoices.csv", 2, "I1,A1,2025-01-01,2025-01-31,1,000.00,", "*", "the row has 7 cells"),
    ("invoices.csv", 2, 'I1,A1,2025-01-01,2025-01-31,"1,000.00",', "amount", "write it with a dot and no thousands"),
    ("invoices.csv", 2, "I1,A1,2025-01-01,2025-01-31,10.001,", "amount", "'10.001' has more than two decimal places"),
    ("invoices.csv", 2, "I1,A1,2025-01-01,2025-01-31,0.00,", "amount", "an invoice amount must be more than zero"),
    ("invoices.csv", 2, "I1,A1,2025-01-31,2025-01-01,10.00,", "due_on", "due on 2025-01-01 is before the issue date"),
    ("invoices.csv", 2, "I1,A9,2025-01-01,2025-01-31,10.00,", "account_external_id", "account A9 is neither in"),
    ("invoices.csv", 2, "I1,A1,,2025-01-31,10.00,", "issued_on", "a date is required (YYYY-MM-DD)"),
    (
        "invoices.csv",
        3,
        "I1,A1,2025-02-01,2025-02-28,50.00,",
        "external_id",
        "I1 appears more than once for this account (lines 2, 3)",
    ),
    ("payments.csv", 2, "P1,A1,2025-02-10,-5.00,card,", "amount", "a payment amount must be more than zero"),
    ("payments.csv", 2, "P1,A1,2025-02-10,5.00,bitcoin,", "method", "'bitcoin' is not a method; use card, ach, check"),
    ("payments.csv", 2, "P1,A1,2025-02-10,5.00,card,I9", "invoice_external_id", "invoice I9 is neither in this bundle"),
    ("payments.csv", 2, "P1,A1,2025-02-10,abc,card,", "amount", "'abc' is not an amount"),
    (
        "adjustments.csv",
        3,
        "J2,A2,2025-03-05,10.00,credit,",
        "amount",
        "a credit lowers the balance: give a negative amount",
    ),
    ("adjustments.csv", 2, "J1,A1,2025-03-01,-15.00,fee,", "amount", "fee raises the balance: give a positive amount"),
    ("adjustments.csv", 2, "J1,A1,2025-03-01,15.00,bonus,", "kind", "'bonus' is not a kind of adjustment"),
    (
        "adjustments.csv",
        3,
        "J2,A2,2025-03-05,-500.00,write_off,",
        "amount",
        "the write-off of 500.00 is more than the balance",
    ),
    ("adjustments.csv", 2, "I2,A1,2025-03-01,15.00,fee,", "external_id", "I2 is already used by invoice line 3"),
    (
        "invoices.csv",
        2,
        "I1,A1,2025-01-01,2025-01-31,1000000000000.00,",
        "amount",
        "'1000000000000.00' is too large for an amount",
    ),
    ("payments.csv", 2, "P1,A1,2025-02-10,1e2,card,", "amount", "'1e2' is not an amount"),
    ("payments.csv", 2, "P1,A1,2999-01-01,120.00,card,", "received_on", "2999-01-01 is in the future"),
    ("adjustments.csv", 2, "J1,A1,2999-01-01,15.00,fee,I2", "posted_on", "2999-01-01 is in the future"),
    ("payments.csv", 3, "P2,A2,2025-03-01,30.50,ach,I1", "amount", "30.50 has decimals, but JPY has none", JPY),
    ("adjustments.csv", 3, "J2,A2,2025-03-05,-10.50,credit,", "amount", "-10.50 has decimals, but JPY has none", JPY),
]
CASES = [case if len(case) == 6 else (*case, {}) for case in CASES]


@pytest.mark.parametrize(
    ("file", "line", "text", "column", "reason", "extra"),
    CASES,
    ids=[f"{c[0]}-{c[3]}-{n}" for n, c in enumerate(CASES)],
)
def test_bad_cells_are_rejected_with_file_line_column_and_reason(
    tmp_path, collector, manager, file, line, text, column, reason, extra
):
    report = import_bundle(write_bundle(tmp_path / "b", {**extra, **with_row(file, line, text)}))

    mine = [r for r in report.rejections if r.file == file and r.line == line]
    assert [r.column for r in mine] == [column], reasons(report)
    assert reason in mine[0].reason
    assert report.counts[file]["rejected"] >= 1


def test_duplicate_external_ids_reject_every_copy(tmp_path, collector):
    report = import_bundle(write_bundle(tmp_path / "b", with_row("debtors.csv", 3, "D1,business,Acme Ltd,,,,,,,,,")))

    assert ("debtors.csv", 2, "external_id", "D1 appears more than once (lines 2, 3)") in reasons(report)
    assert ("debtors.csv", 3, "external_id", "D1 appears more than once (lines 2, 3)") in reasons(report)
    assert not Debtor.objects.filter(external_id="D1").exists()


def test_rows_referencing_rejected_rows_are_rejected_too(tmp_path, collector):
    folder = write_bundle(
        tmp_path / "b",
        {
            **with_row("debtors.csv", 2, "D1,person,,,,,,,,,,"),
            **with_row("invoices.csv", 4, "I1,A2,2025-01-01,2025-01-31,0,"),
        },
    )
    report = import_bundle(folder)

    assert reasons(report) == [
        ("debtors.csv", 2, "name", "a name is required"),
        ("accounts.csv", 2, "debtor_external_id", "references rejected debtor D1"),
        ("invoices.csv", 2, "account_external_id", "references rejected account A1"),
        ("invoices.csv", 3, "account_external_id", "references rejected account A1"),
        ("invoices.csv", 4, "amount", "an invoice amount must be more than zero, not 0"),
        ("payments.csv", 2, "account_external_id", "references rejected account A1"),
        ("payments.csv", 3, "invoice_external_id", "references rejected invoice I1"),
        ("adjustments.csv", 2, "account_external_id", "references rejected account A1"),
    ]
    # Nothing else is lost: D2, A2 and its credit are in.
    assert list(Account.objects.values_list("external_id", flat=True)) == ["A2"]
    assert Account.objects.get().entries.get().kind == "credit"
    assert_ledger_consistent()


def test_references_resolve_against_rows_already_imported(bundle, tmp_path):
    import_bundle(bundle)
    report = import_bundle(
        write_bundle(
            tmp_path / "more",
            {
                **EMPTY,
                "accounts.csv": ["A3,D1,Northwind,USD,2025-01-01,,,,"],
                "payments.csv": ["P7,A1,2025-04-01,5.00,cash,I2", "P7,A3,2025-04-01,1.00,cash,I1"],
            },
        )
    )
    assert reasons(report) == [
        (
            "payments.csv",
            3,
            "invoice_external_id",
            "invoice I1 is neither in this bundle nor already imported on account A3",
        )
    ]
    assert LedgerEntry.objects.get(external_id="P7").invoice.external_id == "I2"


def test_an_account_cannot_move_to_another_debtor_or_currency(bundle, tmp_path):
    import_bundle(bundle)
    report = import_bundle(
        write_bundle(tmp_path / "b2", with_row("accounts.csv", 2, "A1,D2,Northwind,EUR,2025-01-01,,,,"))
    )
    assert [(r.line, r.column) for r in report.rejections if r.file == "accounts.csv"] == [
        (2, "debtor_external_id"),
        (2, "currency"),
    ]
    assert "already imported with currency USD" in report.rejections[1].reason


def test_zero_decimal_currency_refuses_cents(tmp_path, collector):
    folder = write_bundle(
        tmp_path / "b",
        {
            **with_row("accounts.csv", 3, "A2,D2,Northwind,JPY,2025-01-01,,,,"),
            **with_row("invoices.csv", 4, "I1,A2,2025-01-01,2025-01-31,80.50,"),
        },
    )
    report = import_bundle(folder)
    assert ("invoices.csv", 4, "amount", "80.50 has decimals, but JPY has none") in reasons(report)


def test_formula_looking_cells_are_plain_text(tmp_path, collector):
    folder = write_bundle(
        tmp_path / "b", with_row("debtors.csv", 3, 'D2,business,"=HYPERLINK(""http://x"",""y"")",,,,,,,,,')
    )
    report = import_bundle(folder)
    assert report.rejections == []
    assert Debtor.objects.get(external_id="D2").name == '=HYPERLINK("http://x","y")'


# --- the bundle itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("inside", ["", "portfolio/"])
def test_a_zip_of_the_bundle_imports(tmp_path, collector, inside):
    folder = write_bundle(tmp_path / "b")
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"{inside}{path.name}")
        zf.writestr("__MACOSX/._debtors.csv", b"\x00\x01")
    report = import_bundle(archive)
    assert report.rejections == [] and report.counts["payments.csv"]["created"] == 2


def _not_utf8(folder):
    write_bundle(folder)
    (folder / "debtors.csv").write_bytes(
        (HEADERS["debtors.csv"] + "\nD1,person,Ada,,,,,,,,,\nD2,person,Zoë,,,,,,,,,\n").encode("latin-1")
    )
    return folder


def _text_file(folder):
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    return folder / "notes.txt"


def _broken_zip(folder):
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"PK not really")
    return folder / "broken.zip"


UNUSABLE = {
    "missing": (lambda folder: folder / "nowhere", "no such file or folder"),
    "not-a-bundle": (_text_file, "not a bundle"),
    "broken-zip": (_broken_zip, "not a readable zip"),
    "no-accounts": (lambda folder: write_bundle(folder, skip={"accounts.csv"}), "the bundle has no accounts.csv"),
    "missing-column": (
        lambda folder: write_bundle(
            folder, headers={"invoices.csv": "external_id,account_external_id,issued_on,amount"}
        ),
        "invoices.csv: line 1: missing required column due_on",
    ),
    "not-utf8": (_not_utf8, "debtors.csv: line 3 is not UTF-8"),
}


@pytest.mark.parametrize(("make", "message"), UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_bundles_say_which_file_and_where(tmp_path, collector, make, message):
    with pytest.raises(BundleError, match=message):
        import_bundle(make(tmp_path / "b"))
    assert not Debtor.objects.exists()


def test_money_may_be_dated_up_to_the_latest_business_date(tmp_path, collector):
    latest = latest_business_date().isoformat()
    report = import_bundle(write_bundle(tmp_path / "b", with_row("payments.csv", 2, f"P1,A1,{latest},120.00,card,")))
    assert report.rejections == []
    assert LedgerEntry.objects.get(external_id="P1").posted_on.isoformat() == latest


def test_optional_files_may_be_absent_and_a_bom_is_ignored(tmp_path, collector):
    folder = write_bundle(tmp_path / "b", skip={"invoices.csv", "payments.csv", "adjustments.csv"})
    (folder / "debtors.csv").write_bytes(b"\xef\xbb\xbf" + (folder / "debtors.csv").read_bytes())
    report = import_bundle(folder)
    assert report.rejections == [] and Account.objects.count() == 2


# --- equal to the single-row services ---------------------------------------------------------------

MONEY = {
    "invoices.csv": [
        "I3,A1,2025-03-01,2025-03-31,70.00,",
        "I1,A1,2025-01-01,2025-01-31,100.00,",
        "I2,A1,2025-01-15,2025-01-31,40.00,",
        "I4,A1,2025-04-01,2025-06-30,25.00,",
    ],
    "payments.csv": [
        "P3,A1,2025-04-10,90.00,check,I4",
        "P1,A1,2025-02-15,60.00,card,",
        "P2,A1,2025-02-15,30.00,ach,I3",
        "P4,A1,2025-05-01,200.00,portal,",
    ],
    "adjustments.csv": [
        "J1,A1,2025-02-15,-5.00,credit,",
        "J2,A1,2025-03-10,12.50,interest,",
        "J3,A1,2025-02-20,9.00,fee,I1",
        "J4,A1,2025-04-20,-20.00,write_off,I3",
    ],
}


def test_the_import_posts_what_the_single_row_services_post(tmp_path, collector):
    report = import_bundle(write_bundle(tmp_path / "b", {**MONEY, "accounts.csv": [BASE["accounts.csv"][0]]}))
    assert report.rejections == []
    imported = Account.objects.get(external_id="A1")
    one_by_one = Account.objects.create(
        external_id="S1",
        debtor=imported.debtor,
        creditor=imported.creditor,
        currency="USD",
        opened_on=imported.opened_on,
    )
    d = datetime.date.fromisoformat
    refs = {}
    # The documented order: invoices, then fees and interest, then credits oldest first
    # (payments before adjustments on the same day, then file order).
    for row in MONEY["invoices.csv"]:
        ext, _, issued, due, amount, _ = row.split(",")
        refs[ext] = invoice_create(
            account=one_by_one, amount=Decimal(amount), issued_on=d(issued), due_on=d(due), external_id=ext
        )
    for row in MONEY["adjustments.csv"]:
        ext, _, on, amount, kind, named = row.split(",")
        if kind in ("fee", "interest"):
            refs[ext] = adjustment_post(
                account=one_by_one,
                kind=kind,
                amount=Decimal(amount),
                posted_on=d(on),
                external_id=ext,
                invoice=refs.get(named),
            )
    credits = [(d(r.split(",")[2]), 0, n, r) for n, r in enumerate(MONEY["payments.csv"])]
    credits += [
        (d(r.split(",")[2]), 1, n, r)
        for n, r in enumerate(MONEY["adjustments.csv"])
        if "fee" not in r and "interest" not in r
    ]
    for _, source, _, row in sorted(credits):
        if source == 0:
            ext, _, on, amount, method, named = row.split(",")
            payment_post(
                account=one_by_one,
                amount=Decimal(amount),
                received_on=d(on),
                method=method,
                external_id=ext,
                invoice=refs.get(named),
            )
        else:
            ext, _, on, amount, kind, named = row.split(",")
            adjustment_post(
                account=one_by_one,
                kind=kind,
                amount=Decimal(amount),
                posted_on=d(on),
                external_id=ext,
                invoice=refs.get(named),
            )

    imported.refresh_from_db()
    one_by_one.refresh_from_db()

    def state(account):
        allocations = sorted(
            Allocation.objects.filter(invoice__account=account).values_list(
                "entry__external_id", "invoice__external_id", "amount", "applied_on"
            )
        )
        invoices = dict(account.invoices.values_list("external_id", "open_amount"))
        return (
            account.balance,
            account.unapplied_credit,
            account.oldest_open_due_on,
            account.status,
            invoices,
            allocations,
        )

    assert state(imported) == state(one_by_one)
    assert imported.balance == Decimal("-148.50")  # overpaid: 256.50 charged, 380 paid, 5 + 20 credited
    assert_ledger_consistent()


def test_a_write_off_to_zero_marks_the_account_written_off(tmp_path, collector):
    rows = {**EMPTY, "debtors.csv": BASE["debtors.csv"], "accounts.csv": [BASE["accounts.csv"][0]]}
    rows["invoices.csv"] = ["I1,A1,2025-01-01,2025-01-31,100.00,"]
    rows["adjustments.csv"] = ["W1,A1,2025-06-01,-100.00,write_off,"]
    import_bundle(write_bundle(tmp_path / "b", rows))
    account = Account.objects.get()
    assert (account.balance, account.status) == (Decimal("0.00"), AccountStatus.WRITTEN_OFF)


# --- the command ------------------------------------------------------------------------------------


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_portfolio", *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_command_prints_counts_and_progress_and_exits_0(bundle):
    code, out, err = run_command(bundle)
    assert code == 0
    assert "Imported." in out
    assert "invoices.csv              3          0          0          0" in out
    assert "Reading debtors.csv" in err and "100% Done" in err


def test_command_lists_rejections_and_exits_1(tmp_path, collector):
    code, out, _ = run_command(
        write_bundle(tmp_path / "b", with_row("payments.csv", 2, "P1,A1,2025-02-10,5.00,bitcoin,"))
    )
    assert code == 1
    assert "1 rejected rows:" in out
    assert "payments.csv:2: method: 'bitcoin' is not a method; use card, ach, check, cash, portal, other" in out


def test_command_dry_run_says_so_and_writes_nothing(bundle):
    code, out, _ = run_command(bundle, "--dry-run")
    assert code == 0 and out.startswith("Dry run: nothing was written.")
    assert not Account.objects.exists()


def test_command_exits_2_for_an_unusable_bundle(tmp_path):
    with pytest.raises(CommandError, match="the bundle has no debtors.csv") as caught:
        call_command("import_portfolio", str(write_bundle(tmp_path / "b", skip={"debtors.csv"})))
    assert caught.value.returncode == 2
