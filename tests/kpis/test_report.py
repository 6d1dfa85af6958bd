"""kpi_report straight from the ledger, against figures worked out by hand (see conftest.py)."""

import csv
import datetime
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from collections_app.models import LedgerEntry
from collections_app.services.ledger import adjustment_post, entry_reverse, invoice_create
from kpis.report import kpi_report

from .conftest import OCT_END, OCT_START, day

pytestmark = pytest.mark.django_db


def report(**kwargs):
    return kpi_report(start=OCT_START, end=OCT_END, **kwargs)


def test_usd_portfolio_by_hand(portfolio):
    usd = report(currency="USD")[0]
    assert usd["currency"] == "USD"
    assert usd["days"] == 31
    # AR(30 Sep): 1200 + 2000 + 100; AR(31 Oct): 700 + 1500 - 50 (account 4's unapplied credit).
    assert (usd["beginning_ar"], usd["ending_ar"]) == ("3300.00", "2150.00")
    assert usd["credit_sales"] == "200.00"
    assert usd["payments"] == "850.00"  # 700 + 100 - 100 returned + 150
    assert usd["written_off"] == "500.00"
    assert usd["current_ar"] == "200.00"  # I3, due 4 Nov
    assert usd["dso"] == 333.25  # 2150 / 200 x 31
    assert usd["best_possible_dso"] == 31.0
    assert usd["add"] == 302.25
    assert usd["cei"] == 40.91  # (3300 + 200 - 2150) / (3300 + 200 - 200)
    assert usd["cei_crf"] == 40.91  # one month: equal to CEI
    assert usd["collection_rate"] == 24.29  # 850 / 3500
    # Oct 200 (31 d), Sep 600 (30 d), Aug 1000 (31 d) covered; then 350 / 2000 of July's 31 days.
    assert usd["dso_countback"] == 97.43
    assert usd["aging"] == {
        "current": {"amount": "200.00", "accounts": 1},
        "1-30": {"amount": "0.00", "accounts": 0},
        "31-60": {"amount": "500.00", "accounts": 1},
        "61-90": {"amount": "0.00", "accounts": 0},
        "91-120": {"amount": "1500.00", "accounts": 1},
        "121+": {"amount": "0.00", "accounts": 0},
    }
    assert usd["promise_kept_rate"] == 50.0  # account 1's kept, account 2's broken by the returned payment
    assert usd["right_party_contact_rate"] == pytest.approx(33.33)
    assert usd["dispute_resolution_days"] == 7.0


def test_roll_rates_between_the_last_two_month_ends(portfolio):
    roll = report(currency="USD")[0]["roll_rates"]
    assert roll["1-30"]["31-60"] == {"accounts": 1, "balance": "1200.00"}  # account 1
    assert roll["1-30"]["paid"] == {"accounts": 1, "balance": "100.00"}  # account 4
    assert roll["61-90"]["91-120"] == {"accounts": 1, "balance": "2000.00"}  # account 2
    assert sum(to["accounts"] for frm in roll.values() for to in frm.values()) == 3
    assert set(roll) == {"current", "1-30", "31-60", "61-90", "91-120", "121+"}
    assert set(roll["current"]) == {"current", "1-30", "31-60", "61-90", "91-120", "121+", "paid"}


def test_eur_is_never_added_to_usd(portfolio):
    rows = report()
    assert [row["currency"] for row in rows] == ["EUR", "USD"]
    eur = rows[0]
    assert (eur["beginning_ar"], eur["ending_ar"], eur["credit_sales"]) == ("0.00", "750.00", "800.00")
    assert eur["dso"] == 29.06 and eur["add"] == 0.0 and eur["cei"] == 100.0
    assert eur["collection_rate"] == 0.0
    assert eur["promise_kept_rate"] is None and eur["right_party_contact_rate"] is None


@pytest.mark.parametrize("by", ["collector", "team", "creditor", "segment", "currency"])
def test_groups_sum_to_the_portfolio(portfolio, by):
    whole = {row["currency"]: row for row in report()}
    groups = report(by=by)
    for currency, total in whole.items():
        rows = [row for row in groups if row["currency"] == currency]
        for name in ("beginning_ar", "ending_ar", "current_ar", "credit_sales", "payments", "written_off"):
            assert sum(D(row[name]) for row in rows) == D(total[name]), (by, currency, name)
        for bucket, figure in total["aging"].items():
            assert sum(D(row["aging"][bucket]["amount"]) for row in rows) == D(figure["amount"])
            assert sum(row["aging"][bucket]["accounts"] for row in rows) == figure["accounts"]


def test_collector_groups_are_split_by_currency(portfolio):
    rows = report(by="collector")
    keys = sorted((row["collector"] or "", row["currency"]) for row in rows)
    assert keys == [("", "USD"), ("col_a", "EUR"), ("col_a", "USD"), ("col_b", "USD")]
    col_a_usd = next(r for r in rows if r["collector"] == "col_a" and r["currency"] == "USD")
    assert col_a_usd["right_party_contact_rate"] == pytest.approx(33.33)
    assert col_a_usd["promise_kept_rate"] == 100.0


def test_empty_portfolio_has_no_figures_but_no_errors(db):
    row = report()[0]
    assert row["ending_ar"] == "0.00"
    for name in ("dso", "dso_countback", "best_possible_dso", "add", "cei", "cei_crf", "collection_rate"):
        assert row[name] is None or name == "dso_countback"
    assert row["promise_kept_rate"] is None and row["dispute_resolution_days"] is None


def test_command_json_csv_and_table(portfolio):
    out = io.StringIO()
    call_command("kpi_report", "--start", "2026-10-01", "--end", "2026-10-31", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [row["currency"] for row in rows] == ["EUR", "USD"]
    assert list(rows[1])[:4] == ["start", "end", "currency", "days"]

    out = io.StringIO()
    call_command(
        "kpi_report",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-31",
        "--currency",
        "USD",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["ending_ar"] == "2150.00"  # one currency: one object

    out = io.StringIO()
    call_command(
        "kpi_report", "--start", "2026-10-01", "--end", "2026-10-31", "--by", "team", "--format", "csv", stdout=out
    )
    lines = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {line["team"] for line in lines} == {"Team A", "Team B", ""}
    assert "aging_91-120_amount" in lines[0]

    out = io.StringIO()
    call_command("kpi_report", "--start", "2026-10-01", "--end", "2026-10-31", stdout=out)
    assert "333.25" in out.getvalue()


@pytest.mark.parametrize("by", [None, "currency", "creditor", "segment", "collector", "team"])
def test_countback_reads_older_months_only_as_far_as_groups_walk(portfolio, by, monkeypatch):
    """Older months of credit sales are read a pass at a time, only while a group's countback reaches
    them (the USD portfolio walks back to July, four months); the figures equal reading all 24."""
    from kpis import selectors

    lazy = report(by=by)
    monkeypatch.setattr(selectors, "COUNTBACK_PASSES", (selectors.COUNTBACK_MONTHS,))
    assert lazy == report(by=by)


def test_countback_stops_reading_when_every_group_is_covered(portfolio, monkeypatch):
    from kpis import selectors

    passes = []
    real = selectors.ledger_monthly_sales
    monkeypatch.setattr(
        selectors, "ledger_monthly_sales", lambda first, last: passes.append(first) or real(first, last)
    )
    report(currency="EUR")  # rows are picked after grouping: USD still walks back to July
    assert passes == [datetime.date(2026, 5, 1)]  # one more pass (months 4-6), none to month 24


def test_a_failing_statement_under_planner_settings_raises_its_own_error(db):
    """The settings are restored only after success: a restore in the aborted transaction would hide the error."""
    from django.db import DataError, connection

    from kpis.selectors import HASHED, fetch, planner

    if connection.vendor != "postgresql":
        pytest.skip("needs a service: PostgreSQL (planner settings)")
    with pytest.raises(DataError, match="division by zero"), planner(HASHED):
        fetch("SELECT 1 / 0", {})
    assert fetch("SELECT current_setting('enable_sort')", {}) == [("on",)]


def test_a_reversal_nets_only_the_payments_or_write_offs_it_reverses_and_only_when_posted(build_account):
    """A write-off reversed in the period lowers its write-offs; one reversed after the period does not; a
    fee reversed changes neither payments nor write-offs (the reversals are read from their own index)."""
    account = build_account(creditor="North")
    invoice_create(account=account, amount=D("1000.00"), issued_on=day(9, 1), due_on=day(9, 30))
    in_error = adjustment_post(account=account, kind="write_off", amount=D("-300.00"), posted_on=day(10, 5))
    entry_reverse(entry=in_error, reason="written off in error", posted_on=day(10, 20))
    later = adjustment_post(account=account, kind="write_off", amount=D("-100.00"), posted_on=day(10, 25))
    entry_reverse(entry=later, reason="written off in error", posted_on=day(11, 3))
    fee = adjustment_post(account=account, kind="fee", amount=D("25.00"), posted_on=day(10, 6))
    entry_reverse(
        entry=LedgerEntry.objects.get(invoice=fee, kind="fee"), reason="raised in error", posted_on=day(10, 7)
    )

    usd = report()[0]
    assert usd["written_off"] == "100.00"  # 300 - 300 reversed in October + 100 reversed only in November
    assert usd["payments"] == "0.00"
    assert usd["ending_ar"] == "900.00"  # 1000 - 100 written off + 25 - 25
