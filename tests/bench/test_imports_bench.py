"""The import benchmark's schema floor: what writing the stored rows into this schema costs by itself."""

import pytest
from django.db import connection, transaction

from bench.imports import schema_copies, schema_floor, schema_tables
from collections_app.importer import import_bundle
from tests.collections_app.bundles import write_bundle
from tests.conftest import require


def _shape(cursor, table: str) -> tuple:
    """A table's indexes (unique or not) and constraints by type, and the tables its keys point at."""
    cursor.execute(
        "SELECT count(*) FILTER (WHERE indisunique), count(*) FILTER (WHERE NOT indisunique)"
        " FROM pg_index WHERE indrelid = %s::regclass",
        [table],
    )
    indexes = cursor.fetchone()
    cursor.execute(
        "SELECT contype, count(*) FROM pg_constraint WHERE conrelid = %s::regclass GROUP BY contype ORDER BY contype",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT confrelid::regclass::text, condeferred FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1",
        [table],
    )
    return indexes, constraints, cursor.fetchall()


@pytest.mark.django_db
def test_the_copies_have_the_tables_indexes_checks_and_deferred_keys_among_themselves():
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    tables = list(schema_tables())
    with transaction.atomic(), connection.cursor() as cursor:
        schema_copies(cursor, tables)
        for table in tables:
            indexes, constraints, keys = _shape(cursor, table)
            copied = [(f"bench_{parent}" if parent in tables else parent, deferred) for parent, deferred in keys]
            assert _shape(cursor, f"bench_{table}") == (indexes, constraints, sorted(copied)), table
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_schema_floor_writes_every_stored_row_again_and_leaves_nothing_behind(tmp_path, collector):
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")
    import_bundle(write_bundle(tmp_path / "b"))
    stored = {table: model.objects.count() for table, model in schema_tables().items()}
    inserted = {}

    def count_inserts(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("INSERT INTO"):
            inserted[sql.split('"')[1].removeprefix("bench_")] = context["cursor"].rowcount
        return result

    with connection.execute_wrapper(count_inserts):
        schema_floor()

    assert inserted == stored and stored["collections_app_ledgerentry"] > 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'bench\\_%%'")
        assert cursor.fetchone()[0] == 0  # rolled back
