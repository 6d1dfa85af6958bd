"""The import benchmark's schema floor: what writing the stored rows into this schema costs by itself."""

import pytest
from django.db import connection

from bench.imports import SCHEMA_MODELS, schema_floor
from collections_app.importer import import_bundle
from collections_app.models import Account, Allocation, LedgerEntry
from tests.collections_app.bundles import write_bundle
from tests.conftest import require


@pytest.mark.django_db
def test_schema_floor_writes_every_stored_row_again_and_leaves_nothing_behind(tmp_path, collector):
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    import_bundle(write_bundle(tmp_path / "b"))
    counts = (Account.objects.count(), LedgerEntry.objects.count(), Allocation.objects.count())
    assert all(counts)

    written = []
    with connection.execute_wrapper(lambda execute, sql, *rest: written.append(sql) or execute(sql, *rest)):
        seconds = schema_floor()

    assert seconds > 0
    assert sum(sql.startswith("INSERT INTO") for sql in written) == len(SCHEMA_MODELS)
    assert any("FOREIGN KEY" in sql for sql in written)  # the copies check their references like the tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\\_%%'")
        assert cursor.fetchone()[0] == 0  # rolled back
    assert (Account.objects.count(), LedgerEntry.objects.count(), Allocation.objects.count()) == counts
