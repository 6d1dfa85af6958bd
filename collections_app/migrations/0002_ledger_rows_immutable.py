"""The database itself refuses UPDATE and DELETE on ledger entries and allocations.

On SQLite (the embedded demo) only UPDATE is refused by a trigger: Django's test flush empties
tables with DELETE there. The model and queryset guards refuse deletes on every database.
"""

from django.db import migrations

TABLES = ["collections_app_ledgerentry", "collections_app_allocation"]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION collections_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: post a reversal instead (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION collections_refuse_ledger_change();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE",):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable: post a reversal instead'); END;"
                )


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
        elif vendor == "sqlite":
            for op in ("update",):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS collections_refuse_ledger_change();")


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0001_initial")]
    operations = [migrations.RunPython(create_guards, drop_guards)]
