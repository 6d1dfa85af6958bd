"""The database itself refuses UPDATE and DELETE on audit events.

PostgreSQL: a row trigger refuses both. TRUNCATE is a statement of its own and still works (test
flushes use it). The one exception is audit_retention_purge: it sets the transaction-local
setting compliance.retention_purge to 'on', and even then only rows older than three years go.
SQLite (the embedded demo): only UPDATE is refused, because Django's test flush deletes there.
"""

from django.db import migrations

TABLE = "compliance_auditevent"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION compliance_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('compliance.retention_purge', true) = 'on'
       AND OLD.at < now() - interval '3 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: the function body holds % signs that are not query placeholders.
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION compliance_refuse_audit_change();"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        )


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
        schema_editor.execute("DROP FUNCTION IF EXISTS compliance_refuse_audit_change();")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update;")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_contact_rules")]
    operations = [migrations.RunPython(create_guards, drop_guards)]
