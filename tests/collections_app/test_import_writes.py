"""How the import writes new accounts: once each, with the caches their money rows give."""

from decimal import Decimal

import pytest
from django.db import connection

from collections_app.importer import import_bundle
from collections_app.models import Account, AccountStatus, Assignment

from .bundles import BASE, EMPTY, write_bundle
from .test_import import assert_ledger_consistent

pytestmark = pytest.mark.django_db

WITHOUT_MONEY = {
    "accounts.csv": [*BASE["accounts.csv"], "A3,D2,Northwind,USD,2025-01-01,,,,collector_a"],
}


def _account_writes() -> tuple[int, int]:
    """Rows inserted and updated in the account table by the current transaction (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [Account._meta.db_table]
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL's own row statistics")
def test_a_new_account_is_inserted_with_its_caches_and_never_updated(tmp_path, collector):
    before = _account_writes()

    import_bundle(write_bundle(tmp_path / "bundle", WITHOUT_MONEY))

    inserted, updated = (now - then for now, then in zip(_account_writes(), before, strict=True))
    assert (inserted, updated) == (3, 0)
    assert_ledger_consistent()


def test_new_accounts_with_and_without_money_rows_get_their_caches_and_first_assignment(tmp_path, collector):
    report = import_bundle(write_bundle(tmp_path / "bundle", WITHOUT_MONEY))

    assert report.counts["accounts.csv"]["created"] == 3
    assert dict(Account.objects.values_list("external_id", "balance")) == {
        "A1": Decimal("45.00"),
        "A2": Decimal("40.00"),
        "A3": Decimal("0.00"),
    }
    a3 = Account.objects.get(external_id="A3")
    assert (a3.unapplied_credit, a3.oldest_open_due_on, a3.status) == (Decimal("0.00"), None, AccountStatus.ACTIVE)
    assert sorted(Assignment.objects.values_list("account__external_id", "collector__username")) == [
        ("A1", "collector_a"),
        ("A3", "collector_a"),
    ]
    assert_ledger_consistent()


def test_a_dry_run_writes_no_account(tmp_path, collector):
    report = import_bundle(write_bundle(tmp_path / "bundle", WITHOUT_MONEY), dry_run=True)

    assert report.counts["accounts.csv"]["created"] == 3
    assert not Account.objects.exists()


def test_reimporting_money_for_stored_accounts_updates_their_caches(tmp_path, collector):
    import_bundle(write_bundle(tmp_path / "bundle", WITHOUT_MONEY))

    import_bundle(write_bundle(tmp_path / "more", {**EMPTY, "invoices.csv": ["I9,A3,2025-04-01,2025-04-30,25.00,"]}))

    a3 = Account.objects.get(external_id="A3")
    assert (a3.balance, a3.oldest_open_due_on) == (Decimal("25.00"), a3.invoices.get().due_on)
    assert_ledger_consistent()
