"""The import's fast paths (bulk writes, short rows, the usual unique ids) give the same rows as the plain ones."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from collections_app.bulk import copy_value, rows_insert, rows_update
from collections_app.importer import import_bundle
from collections_app.importer.report import ImportReport, unique_rows
from collections_app.models import Account, AccountStatus, Assignment, AssignmentReason, Invoice

from .bundles import write_bundle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("values_max", [1000, 1], ids=["in-statement", "copied-or-chunked"])
def test_rows_update_writes_each_rows_own_values_and_leaves_others_alone(tmp_path, collector, monkeypatch, values_max):
    """Both ways of sending the rows (in the statement; by COPY on PostgreSQL, or one statement per row
    elsewhere, when there are more than VALUES_MAX) write the same values."""
    monkeypatch.setattr("collections_app.bulk.VALUES_MAX", values_max)
    import_bundle(write_bundle(tmp_path / "bundle"))
    a1, a2 = Account.objects.get(external_id="A1"), Account.objects.get(external_id="A2")
    untouched = Invoice.objects.get(account=a1, external_id="I2")
    now = timezone.now()

    with transaction.atomic():
        rows_update(
            Account,
            ["balance", "unapplied_credit", "oldest_open_due_on", "status", "changed_at"],
            [
                (a1.id, Decimal("12.34"), Decimal("0.00"), None, AccountStatus.PAID, copy_value(now)),
                (a2.id, Decimal("-5.00"), Decimal("5.00"), datetime.date(2025, 3, 1), AccountStatus.ACTIVE, now),
            ],
        )
        rows_update(Invoice, ["open_amount"], [(Invoice.objects.get(account=a2, external_id="I1").id, Decimal("7.5"))])

    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.balance, a1.unapplied_credit, a1.oldest_open_due_on, a1.status, a1.changed_at) == (
        Decimal("12.34"),
        Decimal("0.00"),
        None,
        AccountStatus.PAID,
        now,
    )
    assert (a2.balance, a2.unapplied_credit, a2.oldest_open_due_on, a2.status) == (
        Decimal("-5.00"),
        Decimal("5.00"),
        datetime.date(2025, 3, 1),
        AccountStatus.ACTIVE,
    )
    assert Invoice.objects.get(account=a2, external_id="I1").open_amount == Decimal("7.50")
    assert Invoice.objects.get(pk=untouched.pk).open_amount == untouched.open_amount


@pytest.mark.parametrize("values_max", [1000, 1], ids=["in-statement", "copied-or-chunked"])
def test_rows_update_stores_an_empty_string_as_null_in_a_nullable_column_either_way(
    tmp_path, collector, monkeypatch, values_max
):
    monkeypatch.setattr("collections_app.bulk.VALUES_MAX", values_max)
    import_bundle(write_bundle(tmp_path / "bundle"))
    first, second = (Invoice.objects.get(account__external_id="A1", external_id=ref) for ref in ("I1", "I2"))
    with transaction.atomic():
        rows_update(Invoice, ["external_id"], [(first.id, ""), (second.id, "K2")])
    assert Invoice.objects.get(pk=first.pk).external_id is None
    assert Invoice.objects.get(pk=second.pk).external_id == "K2"


def test_rows_insert_stores_a_preformatted_timestamp_as_the_moment_it_was(tmp_path, collector):
    import_bundle(write_bundle(tmp_path / "bundle"))
    account = Account.objects.get(external_id="A2")
    now = timezone.now()

    with transaction.atomic():
        (pk,) = rows_insert(
            Assignment,
            ["account_id", "collector_id", "started_at", "ended_at", "reason", "note", "assigned_by_id"],
            [(account.id, collector.id, copy_value(now), None, AssignmentReason.IMPORT, "", None)],
        )

    assert Assignment.objects.filter(pk=pk).values_list("account", "collector", "started_at", "ended_at").get() == (
        account.id,
        collector.id,
        now,
        None,
    )


def test_rows_shorter_than_the_header_read_their_missing_cells_as_empty(tmp_path, collector):
    bundle = write_bundle(
        tmp_path / "bundle",
        {"accounts.csv": ["A1,D1,Northwind,USD,2025-01-01", "A2,D2,Northwind,USD,2025-01-01,,loan"]},
    )

    report = import_bundle(bundle)

    assert report.counts["accounts.csv"]["created"] == 2
    assert sorted(Account.objects.values_list("external_id", "placed_on", "product", "segment", "assigned_to")) == [
        ("A1", None, "", "", None),
        ("A2", None, "loan", "", None),
    ]


def test_unique_rows_keeps_every_row_when_no_id_repeats_and_rejects_every_copy_when_one_does():
    report = ImportReport()
    rows = [(2, "P1"), (3, "P2"), (4, "P1")]

    assert unique_rows(rows[:2], "payments.csv", report, key=lambda r: r[1], line=lambda r: r[0]) == rows[:2]
    assert report.rejected == 0
    assert unique_rows(rows, "payments.csv", report, key=lambda r: r[1], line=lambda r: r[0]) == [(3, "P2")]
    assert [(r.line, r.reason) for r in report.sorted_rejections()] == [
        (2, "P1 appears more than once (lines 2, 4)"),
        (4, "P1 appears more than once (lines 2, 4)"),
    ]
