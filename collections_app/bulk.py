"""Writing many rows in few statements: inserts by COPY on PostgreSQL (ids taken from the sequence first),
bulk_create elsewhere; updates by id in one UPDATE ... FROM a set of rows (on SQLite, 3.33 or later).
Shared by the importer, the KPI rollup and dunning."""

import csv
import io
from collections.abc import Sequence

from django.db import connection

BATCH = 5000  # rows per statement; also the most values in one `__in` lookup


def chunks(items: Sequence, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def copy_csv(rows) -> io.StringIO:
    """Rows of values as a buffer for `COPY ... (FORMAT csv)`, written by the csv module's C code.

    Strings are always quoted, so an empty string stays one; None is written as "" too, which
    `FORCE_NULL` turns back into NULL for the columns where the caller allows NULL.
    """
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    return buffer


def copy_value(value):
    """A value as COPY takes it, for one that repeats on every row: the csv module formats an aware
    datetime once per cell, which costs more than the rest of the row; a string is written as is."""
    if connection.vendor == "postgresql" and hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def ids_reserve(model, count: int) -> list[int]:
    """`count` ids taken from the table's own sequence (PostgreSQL): the caller knows every id before
    writing the rows, and stays safe against concurrent inserts by anyone else."""
    ids: list[int] = []
    with connection.cursor() as cursor:
        # Found once: inside the id query below, pg_get_serial_sequence would search the catalogue
        # again for every row (about 7x the cost of nextval itself).
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        (sequence,) = cursor.fetchone()
        for start in range(0, count, 50_000):
            size = min(50_000, count - start)
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, size])
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _copy_insert(model, fields: list[str], ids: list[int], rows: list[tuple]) -> None:
    table = model._meta.db_table
    columns = ["id"] + [model._meta.get_field(name).column for name in fields]
    quoted = ", ".join(f'"{column}"' for column in columns)
    # An empty string in a nullable column is stored as NULL: this app never keeps both in one column.
    nullable = [f'"{model._meta.get_field(name).column}"' for name in fields if model._meta.get_field(name).null]
    options = "FORMAT csv" + (f", FORCE_NULL ({', '.join(nullable)})" if nullable else "")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 50_000):
            batch = zip(ids[start : start + 50_000], rows[start : start + 50_000], strict=True)
            buffer = copy_csv((row_id, *row) for row_id, row in batch)
            cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN WITH ({options})', buffer)


def rows_insert(model, fields: list[str], rows: list[tuple], ids: list[int] | None = None) -> list[int]:
    """Insert rows (tuples of values for `fields`, every non-default column) and return their ids in
    order. `ids`, from ids_reserve, are the ids to give them (PostgreSQL only)."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        if ids is None:
            ids = ids_reserve(model, len(rows))
        _copy_insert(model, fields, ids, rows)
        return ids
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=BATCH // 5)
    return [obj.pk for obj in objects]


_CASTS = {
    "DecimalField": "numeric",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "CharField": "text",
    "IntegerField": "integer",
    "ForeignKey": "bigint",
}
# Up to this many rows an update sends its values in the statement (VALUES); more, on PostgreSQL, go by
# COPY into a temporary table: a statement of thousands of rows costs more to build than to run.
VALUES_MAX = 1000


def rows_update(model, fields: list[str], rows: list[tuple]) -> None:
    """Update many rows by id: `rows` are tuples (id, *values of `fields`, as the model's attributes hold
    them). One UPDATE ... FROM per VALUES_MAX rows, or on PostgreSQL one from a COPYed temporary table."""
    if not rows:
        return
    model_fields = [model._meta.get_field(name) for name in fields]
    copyable = all(field.get_internal_type() in _CASTS for field in model_fields)
    if connection.vendor == "postgresql" and len(rows) > VALUES_MAX and copyable:
        _copy_update(model, model_fields, rows)
        return
    for batch in chunks(rows, VALUES_MAX):
        _values_update(model, model_fields, batch)


def _values_update(model, model_fields: list, rows: list[tuple]) -> None:
    """UPDATE ... FROM (VALUES ...): values go through the fields' own preparation (JSON, dates), so the
    rows read back exactly as save() would have written them; Django's bulk_update builds a CASE per field
    and row instead, which cost far more in Python than the database spent on the update."""
    meta = model._meta
    postgres = connection.vendor == "postgresql"
    cells = ", ".join(
        "%s" + (f"::{field.db_type(connection)}" if postgres else "") for field in [meta.pk, *model_fields]
    )
    params = []
    for row_id, *values in rows:
        params.append(row_id)
        params.extend(
            # An empty string in a nullable column is stored as NULL, as COPY's FORCE_NULL stores it.
            field.get_db_prep_save(None if value == "" and field.null else value, connection)
            for field, value in zip(model_fields, values, strict=True)
        )
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(field.column) for field in [meta.pk, *model_fields])
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in model_fields)
    values = ", ".join([f"({cells})"] * len(rows))
    pk = quote(meta.pk.column)
    sql = f"WITH v ({names}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{pk}"  # noqa: S608 - names come from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _copy_update(model, model_fields: list, rows: list[tuple]) -> None:
    table = model._meta.db_table
    columns = [f'"{field.column}"' for field in model_fields]
    casts = [_CASTS[field.get_internal_type()] for field in model_fields]
    typed = ", ".join(f"{column} {cast}" for column, cast in zip(columns, casts, strict=True))
    nullable = [column for column, field in zip(columns, model_fields, strict=True) if field.null]
    options = "FORMAT csv" + (f", FORCE_NULL ({', '.join(nullable)})" if nullable else "")
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    with connection.cursor() as cursor:
        # Callers write inside a transaction: an error rolls the table back with everything else.
        cursor.execute("DROP TABLE IF EXISTS bulk_update")
        cursor.execute(f"CREATE TEMPORARY TABLE bulk_update (id bigint, {typed})")
        cursor.copy_expert(f"COPY bulk_update FROM STDIN WITH ({options})", copy_csv(rows))
        pk = model._meta.pk.column
        cursor.execute(f'UPDATE "{table}" AS t SET {assignments} FROM bulk_update AS v WHERE t."{pk}" = v.id')  # noqa: S608 - names come from the model
        cursor.execute("DROP TABLE bulk_update")


def objects_save(objects: list, fields: list[str]) -> None:
    """Save `fields` of many instances of one model (rows_update with the instances' values)."""
    if not objects:
        return
    attnames = [objects[0]._meta.get_field(name).attname for name in fields]
    rows_update(type(objects[0]), fields, [(obj.pk, *(getattr(obj, name) for name in attnames)) for obj in objects])
