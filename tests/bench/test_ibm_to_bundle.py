"""The IBM accounts-receivable sample converts to a complete, balanced bundle."""

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from bench.generate_portfolio import HEADERS
from bench.ibm_to_bundle import DEFAULT_SRC, convert, main

pytestmark = pytest.mark.skipif(not DEFAULT_SRC.exists(), reason=f"needs the IBM sample at {DEFAULT_SRC}")


def read(folder, name):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ibm")
    counts = convert(DEFAULT_SRC, folder)
    return folder, counts, {name: read(folder, name)[1] for name in HEADERS}


def test_counts(bundle):
    folder, counts, t = bundle
    assert counts == {"debtors": 100, "accounts": 100, "invoices": 2466, "payments": 2466, "adjustments": 0}
    for name in HEADERS:
        assert read(folder, name)[0] == HEADERS[name]
        assert len(t[name]) == counts[name]


def test_one_business_debtor_and_usd_account_per_customer(bundle):
    _, _, t = bundle
    assert {r["kind"] for r in t["debtors"]} == {"business"}
    debtors = {r["external_id"] for r in t["debtors"]}
    assert {r["debtor_external_id"] for r in t["accounts"]} == debtors
    assert {(r["creditor"], r["currency"]) for r in t["accounts"]} == {("IBM sample", "USD")}
    first = defaultdict(lambda: "9999-12-31")
    for r in t["invoices"]:
        first[r["account_external_id"]] = min(first[r["account_external_id"]], r["issued_on"])
    assert all(r["opened_on"] == first[r["external_id"]] for r in t["accounts"])


def test_every_invoice_is_paid_in_full_by_a_payment_naming_it(bundle):
    _, _, t = bundle
    invoices = {r["external_id"]: r for r in t["invoices"]}
    assert len(invoices) == 2466
    assert invoices["0000611365"]["issued_on"] == "2013-01-02"  # leading zeros kept, M/D/YYYY parsed
    assert invoices["0000611365"]["due_on"] == "2013-02-01"
    for r in t["payments"]:
        invoice = invoices[r["invoice_external_id"]]
        assert r["external_id"] == "PAY-" + r["invoice_external_id"]
        assert r["amount"] == invoice["amount"]
        assert r["account_external_id"] == invoice["account_external_id"]
        assert r["received_on"] >= invoice["issued_on"]
        assert invoice["due_on"] >= invoice["issued_on"]
    assert all(len(r["amount"].split(".")[1]) == 2 for r in t["invoices"])


def test_each_account_pays_exactly_what_it_was_invoiced(bundle):
    _, _, t = bundle
    invoiced = defaultdict(Decimal)
    paid = defaultdict(Decimal)
    for r in t["invoices"]:
        invoiced[r["account_external_id"]] += Decimal(r["amount"])
    for r in t["payments"]:
        paid[r["account_external_id"]] += Decimal(r["amount"])
    assert len(invoiced) == 100
    assert invoiced == paid


def test_command_line(tmp_path, capsys):
    assert main(["--src", str(DEFAULT_SRC), "--out", str(tmp_path)]) == 0
    assert "2,466" in capsys.readouterr().out
    assert (tmp_path / "payments.csv").exists()
