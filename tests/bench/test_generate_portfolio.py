"""The portfolio generator: exact FORMATS.md columns, row invariants, realism and determinism."""

import csv
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bench.generate_portfolio import HEADERS, STATES, main, write_bundle

AS_OF = date(2025, 6, 30)
FORMATS_COLUMNS = {
    "debtors": "external_id, kind, name, email, phone, address_line1, city, region, postal_code, country, "
    "timezone, language",
    "accounts": "external_id, debtor_external_id, creditor, currency, opened_on, placed_on, product, segment, "
    "collector",
    "invoices": "external_id, account_external_id, issued_on, due_on, amount, description",
    "payments": "external_id, account_external_id, received_on, amount, method, invoice_external_id",
    "adjustments": "external_id, account_external_id, posted_on, amount, kind, invoice_external_id",
}
AMOUNT = re.compile(r"^-?\d+\.\d\d$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "121+", "paid")


def read(folder, name):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    counts = write_bundle(folder, accounts=3000, seed=7, as_of=AS_OF, collectors=["ann", "bo", "cy"])
    tables = {name: read(folder, name)[1] for name in HEADERS}
    return folder, counts, tables


def test_writes_all_five_files_with_the_exact_formats_columns(bundle):
    folder, counts, tables = bundle
    for name, columns in FORMATS_COLUMNS.items():
        header, rows = read(folder, name)
        assert header == columns.split(", "), name
        assert counts[name] == len(rows)
    assert counts["accounts"] == 3000
    # About ten invoices and payments per account on average, a few adjustments.
    assert 8 <= (counts["invoices"] + counts["payments"]) / counts["accounts"] <= 14
    assert 0 < counts["adjustments"] < counts["accounts"]


def test_external_ids_unique_and_every_reference_resolves(bundle):
    _, _, t = bundle
    ids = {name: [r["external_id"] for r in rows] for name, rows in t.items()}
    for name, values in ids.items():
        assert len(values) == len(set(values)), f"duplicate external_id in {name}"
    debtors, accounts, invoices = set(ids["debtors"]), set(ids["accounts"]), set(ids["invoices"])
    assert {r["debtor_external_id"] for r in t["accounts"]} == debtors  # no orphan debtor either
    invoice_account = {r["external_id"]: r["account_external_id"] for r in t["invoices"]}
    for name in ("invoices", "payments", "adjustments"):
        for r in t[name]:
            assert r["account_external_id"] in accounts
    for name in ("payments", "adjustments"):
        for r in t[name]:
            if r["invoice_external_id"]:
                assert r["invoice_external_id"] in invoices
                assert invoice_account[r["invoice_external_id"]] == r["account_external_id"]


def test_dates_and_amounts(bundle):
    _, _, t = bundle
    as_of = AS_OF.isoformat()
    opened = {}
    for r in t["accounts"]:
        assert DATE.match(r["opened_on"]) and r["opened_on"] <= as_of
        assert r["placed_on"] == "" or r["opened_on"] <= r["placed_on"] <= as_of
        opened[r["external_id"]] = r["opened_on"]
    for r in t["invoices"]:
        assert DATE.match(r["issued_on"]) and DATE.match(r["due_on"])
        assert opened[r["account_external_id"]] <= r["issued_on"] <= as_of
        assert r["due_on"] >= r["issued_on"]
        assert AMOUNT.match(r["amount"]) and Decimal(r["amount"]) > 0
    for r in t["payments"]:
        assert DATE.match(r["received_on"]) and r["received_on"] <= as_of
        assert AMOUNT.match(r["amount"]) and Decimal(r["amount"]) > 0
        assert r["method"] in {"", "card", "ach", "check", "cash", "portal"}
    for r in t["adjustments"]:
        assert DATE.match(r["posted_on"]) and r["posted_on"] <= as_of
        assert AMOUNT.match(r["amount"])
        amount = Decimal(r["amount"])
        if r["kind"] in ("credit", "write_off"):
            assert amount < 0, r
        else:
            assert r["kind"] in ("fee", "interest") and amount > 0, r


def test_payments_never_run_far_ahead_of_what_is_owed(bundle):
    """At every date, money in (payments, credits, write-offs) stays within $5 of charges so far."""
    _, _, t = bundle
    events = defaultdict(list)
    for r in t["invoices"]:
        events[r["account_external_id"]].append((r["issued_on"], 0, Decimal(r["amount"])))
    for r in t["adjustments"]:
        events[r["account_external_id"]].append(
            (r["posted_on"], 0 if r["kind"] in ("fee", "interest") else 1, Decimal(r["amount"]))
        )
    for r in t["payments"]:
        events[r["account_external_id"]].append((r["received_on"], 1, -Decimal(r["amount"])))
    for account, rows in events.items():
        balance = Decimal(0)
        for _day, _order, amount in sorted(rows):  # charges of a day count before that day's money
            balance += amount
            assert balance >= Decimal("-5.00"), account


def account_buckets(t):
    """Each account's aging bucket at AS_OF, allocating per KPIS.md (named first, else oldest due)."""
    invoices = defaultdict(list)
    for r in t["invoices"]:
        invoices[r["account_external_id"]].append([r["due_on"], r["issued_on"], r["external_id"], Decimal(r["amount"])])
    money = defaultdict(list)
    for r in t["payments"]:
        money[r["account_external_id"]].append((r["received_on"], Decimal(r["amount"]), r["invoice_external_id"]))
    for r in t["adjustments"]:
        if r["kind"] in ("credit", "write_off"):
            money[r["account_external_id"]].append((r["posted_on"], -Decimal(r["amount"]), r["invoice_external_id"]))
    buckets = {}
    for account, open_ in invoices.items():
        open_.sort()
        by_id = {inv[2]: inv for inv in open_}
        for _day, amount, named in sorted(money[account]):
            targets = [by_id[named]] if named else open_
            for inv in targets:
                applied = min(amount, inv[3])
                inv[3] -= applied
                amount -= applied
        oldest = next((inv for inv in open_ if inv[3] > 0), None)
        if oldest is None:
            buckets[account] = "paid"
            continue
        late = (AS_OF - date.fromisoformat(oldest[0])).days
        buckets[account] = next(
            name for name, limit in zip(BUCKETS, (0, 30, 60, 90, 120, 10**9), strict=False) if late <= limit
        )
    return buckets


def test_every_aging_bucket_is_populated(bundle):
    _, _, t = bundle
    counts = Counter(account_buckets(t).values())
    for name in BUCKETS:
        assert counts[name] >= 30, counts  # each bucket at least 1% of the 3,000 accounts


def test_named_payments_fit_their_invoice(bundle):
    """Customers pay in order, so a payment naming an invoice never finds it already closed."""
    _, _, t = bundle
    amount = {r["external_id"]: Decimal(r["amount"]) for r in t["invoices"]}
    named = defaultdict(Decimal)
    for r in t["payments"]:
        if r["invoice_external_id"]:
            named[r["invoice_external_id"]] += Decimal(r["amount"])
    assert named, "some payments should name their invoice"
    assert all(total <= amount[iid] for iid, total in named.items())
    unnamed = sum(1 for r in t["payments"] if not r["invoice_external_id"])
    assert unnamed > len(t["payments"]) / 2  # most are allocated oldest first


def test_realistic_parties(bundle):
    _, _, t = bundle
    debtors = t["debtors"]
    kinds = Counter(r["kind"] for r in debtors)
    assert 0.78 <= kinds["person"] / len(debtors) <= 0.92
    zones = {code: zone for code, zone, *_ in STATES}
    codes = {code: set(area) for code, _, _, area, _ in STATES}
    assert len({r["region"] for r in debtors}) >= 10
    assert len({zones[r["region"]] for r in debtors}) >= 5
    no_zone = 0
    phone_elsewhere = 0
    for r in debtors:
        assert r["country"] == "US"
        if r["timezone"]:
            ZoneInfo(r["timezone"])
            assert r["timezone"] == zones[r["region"]]
        else:
            no_zone += 1
        if r["phone"]:
            assert re.fullmatch(r"\+1[2-9]\d{2}[2-9]\d{6}", r["phone"]), r["phone"]
            phone_elsewhere += r["phone"][2:5] not in codes[r["region"]]
        assert r["email"] == "" or re.fullmatch(r"[^@\s]+@[a-z0-9.]+\.[a-z]+", r["email"])
    assert 0.1 * len(debtors) < no_zone < 0.35 * len(debtors)
    assert 0 < phone_elsewhere < 0.15 * len(debtors)
    assert sum(1 for r in debtors if r["email"]) > 0.7 * len(debtors)


def test_phone_numbers_are_valid_and_map_to_a_zone(bundle):
    """libphonenumber (what the importer uses to derive zones) accepts every number and knows its zone."""
    phonenumbers = pytest.importorskip("phonenumbers")
    from phonenumbers import timezone as phone_tz

    _, _, t = bundle
    phones = [r["phone"] for r in t["debtors"] if r["phone"]]
    assert phones
    for phone in phones:
        parsed = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phone_tz.time_zones_for_number(parsed)[0] != "Etc/Unknown", phone


def test_accounts_mix_creditors_currencies_products_and_collectors(bundle):
    _, _, t = bundle
    accounts = t["accounts"]
    assert len({r["creditor"] for r in accounts}) == 6
    currencies = Counter(r["currency"] for r in accounts)
    assert currencies["USD"] > 0.9 * len(accounts) and currencies["CAD"] and currencies["EUR"]
    assert {r["product"] for r in accounts} == {"credit card", "utility", "medical", "auto loan", "telecom"}
    assert {r["segment"] for r in accounts} == {"prime", "subprime", "commercial"}
    assert [r["collector"] for r in accounts[:4]] == ["ann", "bo", "cy", "ann"]
    kinds = {r["external_id"]: r["kind"] for r in t["debtors"]}
    assert all((r["segment"] == "commercial") == (kinds[r["debtor_external_id"]] == "business") for r in accounts)
    methods = Counter(r["method"] for r in t["payments"])
    assert {"card", "ach", "check", "cash", "portal"} <= set(methods)


def test_deterministic_for_a_seed(tmp_path):
    def files(folder):
        return {name: (folder / f"{name}.csv").read_bytes() for name in HEADERS}

    write_bundle(tmp_path / "a", accounts=300, seed=11, as_of=AS_OF)
    write_bundle(tmp_path / "b", accounts=300, seed=11, as_of=AS_OF)
    write_bundle(tmp_path / "c", accounts=300, seed=12, as_of=AS_OF)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a")["invoices"] != files(tmp_path / "c")["invoices"]


def test_no_collectors_leaves_the_column_empty(tmp_path):
    write_bundle(tmp_path, accounts=50, seed=1, as_of=AS_OF, creditors=2)
    _, accounts = read(tmp_path, "accounts")
    assert {r["collector"] for r in accounts} == {""}
    assert {r["creditor"] for r in accounts} == {"Northwind Utilities", "Summit Bank"}


def test_command_line(tmp_path, capsys):
    assert (
        main(
            [
                "--accounts",
                "20",
                "--out",
                str(tmp_path),
                "--seed",
                "5",
                "--as-of",
                "2024-12-31",
                "--creditors",
                "3",
                "--collectors",
                "x,y",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "accounts" in printed and "rows in" in printed
    _, accounts = read(tmp_path, "accounts")
    assert len(accounts) == 20 and {r["collector"] for r in accounts} == {"x", "y"}
    _, payments = read(tmp_path, "payments")
    assert max(r["received_on"] for r in payments) <= "2024-12-31"


def test_no_future_due_caps_due_dates_at_as_of(tmp_path):
    write_bundle(tmp_path, accounts=300, seed=2, as_of=AS_OF, future_due=False)
    _, invoices = read(tmp_path, "invoices")
    assert max(r["due_on"] for r in invoices) == AS_OF.isoformat()
    assert all(r["issued_on"] <= r["due_on"] for r in invoices)


def test_by_default_the_latest_invoices_are_not_yet_due(bundle):
    """Realism: a live account's newest invoice is still current; due dates run at most 30 days ahead."""
    _, _, t = bundle
    due = [r["due_on"] for r in t["invoices"]]
    assert max(due) > AS_OF.isoformat()
    assert max(due) <= "2025-07-30"
