"""OpenItemState keyed by (account, due date) instead of a serial id and an account index.

Django does not change a primary key into a composite one, so the table is made anew; it holds
derived figures only, and the state head is reset so that the next rollup rebuilds the state.
"""

from django.db import migrations, models


def state_head_reset(apps, schema_editor):
    """With no head, the next rollup is a rebuild, which replaces the account state too."""
    apps.get_model("kpis", "StateHead").objects.update(as_of=None, run_started_at=None)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_rollup_tables")]

    operations = [
        migrations.DeleteModel(name="OpenItemState"),
        migrations.CreateModel(
            name="OpenItemState",
            fields=[
                ("pk", models.CompositePrimaryKey("account_id", "due_on", blank=True, editable=False, primary_key=True, serialize=False)),
                ("account_id", models.BigIntegerField()),
                ("due_on", models.DateField()),
                ("amount", models.DecimalField(decimal_places=2, max_digits=16)),
            ],
        ),
        migrations.RunPython(state_head_reset, migrations.RunPython.noop),
    ]
