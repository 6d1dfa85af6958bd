"""An index on the debtor's time zone, so the queue lists the zones in use by skipping through it.

Raw SQL rather than a model index: the debtor model belongs to another part of the code, and this index
only serves the queue's PostgreSQL statement (collections_app.queue._ZONES_SQL).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("collections_app", "0005_queue_strategy_default_by_service")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS queue_debtor_timezone ON collections_app_debtor (timezone)",
            "DROP INDEX IF EXISTS queue_debtor_timezone",
        )
    ]
