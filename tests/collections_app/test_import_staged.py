"""The PostgreSQL import (money rows staged in a temporary table) posts exactly what the generic one does."""

import pytest
from django.db import connection, transaction

from accounts.models import Role
from collections_app.importer import import_bundle
from collections_app.models import Account, Allocation, Assignment, ContactPoint, Debtor, Invoice, LedgerEntry
from tests.conftest import require

from .bundles import BASE, EMPTY, with_row, write_bundle
from .test_import import CASES, JPY, MONEY, assert_ledger_consistent

pytestmark = pytest.mark.django_db


def _snapshot(reports) -> dict:
    """Everything an import leaves behind, keyed by external ids (ids and timestamps differ by run)."""
    return {
        "reports": [
            (r.dry_run, r.counts, [(x.file, x.line, x.column, x.reason) for x in r.sorted_rejections()])
            for r in reports
        ],
        "debtors": sorted(
            Debtor.objects.values_list("external_id", "kind", "name", "timezone", "timezone_source", "region")
        ),
        "contacts": sorted(ContactPoint.objects.values_list("debtor__external_id", "kind", "value", "usage")),
        "accounts": sorted(
            Account.objects.values_list(
                "external_id",
                "balance",
                "unapplied_credit",
                "oldest_open_due_on",
                "status",
                "assigned_to__username",
                "segment",
            )
        ),
        "assignments": sorted(
            (a, c or "", ended is None, reason)
            for a, c, ended, reason in Assignment.objects.values_list(
                "account__external_id", "collector__username", "ended_at", "reason"
            )
        ),
        "invoices": sorted(
            Invoice.objects.values_list(
                "account__external_id", "external_id", "amount", "open_amount", "issued_on", "due_on", "description"
            )
        ),
        "entries": sorted(
            (a, k, e or "", amount, on, i or "", m)
            for a, k, e, amount, on, i, m in LedgerEntry.objects.values_list(
                "account__external_id", "kind", "external_id", "amount", "posted_on", "invoice__external_id", "method"
            )
        ),
        "allocations": sorted(
            Allocation.objects.values_list(
                "entry__account__external_id",
                "entry__external_id",
                "invoice__external_id",
                "amount",
                "applied_on",
            )
        ),
    }


class _Undo(Exception):
    """Raised to roll the first run back, so the second starts from the same empty database."""


def _both_paths(folders: list, dry_run_first: bool = False) -> tuple[dict, dict]:
    results = {}
    for staged in (False, True):
        try:
            with transaction.atomic():
                reports = [
                    import_bundle(folder, staged=staged, dry_run=dry_run_first and n == 0)
                    for n, folder in enumerate(folders)
                ]
                assert_ledger_consistent()
                results[staged] = _snapshot(reports)
                raise _Undo
        except _Undo:
            pass
    return results[False], results[True]


def _scenarios(tmp_path) -> dict[str, list]:
    def bundle(name, rows=None):
        return write_bundle(tmp_path / name, rows)

    base = bundle("base")
    return {
        "clean": [base],
        "reimport": [base, base],
        "changed descriptive fields": [
            base,
            bundle(
                "descriptive",
                {
                    **with_row(
                        "debtors.csv",
                        2,
                        "D1,person,Ada King,ada@example.com,+1 617 555 0199,2 High St,Austin,TX,73301,US,,en",
                    ),
                    **with_row(
                        "accounts.csv", 2, "A1,D1,Northwind,USD,2025-01-01,2025-02-01,card,subprime,collector_z"
                    ),
                },
            ),
        ],
        "changed money": [
            base,
            bundle(
                "money-changed",
                {
                    **with_row("invoices.csv", 2, "I1,A1,2025-01-01,2025-01-31,101.00,January"),
                    **with_row("payments.csv", 3, "P2,A2,2025-03-02,30.00,ach,I1"),
                    **with_row("adjustments.csv", 2, "J1,A1,2025-03-01,16.00,fee,I2"),
                },
            ),
        ],
        "stored credit absorbed": [
            base,
            bundle("pay", {**EMPTY, "payments.csv": ["P9,A2,2025-04-01,100.00,check,"]}),
            bundle(
                "more",
                {**EMPTY, "invoices.csv": ["I4,A2,2025-04-01,2025-05-31,25.00,", "I5,A2,2025-04-02,2025-04-30,50.00,"]},
            ),
        ],
        "references to stored rows": [
            base,
            bundle(
                "refs",
                {
                    **EMPTY,
                    "accounts.csv": ["A3,D1,Northwind,USD,2025-01-01,,,,"],
                    "payments.csv": ["P7,A1,2025-04-01,5.00,cash,I2", "P7,A3,2025-04-01,1.00,cash,I1"],
                    "invoices.csv": ["I8,A9,2025-01-01,2025-01-31,10.00,"],
                },
            ),
        ],
        "rejected references": [
            bundle(
                "rejected",
                {
                    **with_row("debtors.csv", 2, "D1,person,,,,,,,,,,"),
                    **with_row("invoices.csv", 4, "I1,A2,2025-01-01,2025-01-31,0,"),
                },
            )
        ],
        "single-row services order": [bundle("money", {**MONEY, "accounts.csv": [BASE["accounts.csv"][0]]})],
        "dry run, then real": [base, base],
        **{
            f"case {n}: {case[0]} {case[3]}": [bundle(f"case{n}", {**case[5], **with_row(case[0], case[1], case[2])})]
            for n, case in enumerate(CASES)
        },
        "yen": [bundle("yen", JPY)],
    }


def test_staged_and_generic_imports_leave_the_same_rows_and_reports(tmp_path, collector, manager, make_user):
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    make_user(Role.COLLECTOR, username="collector_z")
    for name, folders in _scenarios(tmp_path).items():
        generic, staged = _both_paths(folders, dry_run_first=name.startswith("dry run"))
        assert staged == generic, name
        assert any(generic[key] for key in ("accounts", "reports")), name
