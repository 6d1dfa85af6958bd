"""Ship the contact policy row, the Massachusetts rule and a starting statute-of-limitations table.

Admins edit all three afterwards; the limitation years are for written consumer contracts and must
be checked by counsel before anyone relies on them.
"""

from django.db import migrations

MASSACHUSETTS = {
    "region": "MA",
    "name": "Massachusetts",
    "personal_cap": 2,
    "personal_cap_days": 7,
    "other_cap": 2,
    "other_cap_days": 30,
    "citation": "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)",
}

# Years, written consumer contracts (starting values; admins keep them current).
LIMITATION_YEARS = {
    "CA": 4, "FL": 5, "GA": 6, "IL": 10, "MA": 6, "MI": 6, "NC": 3, "NJ": 6, "NY": 3, "OH": 6,
    "PA": 4, "TX": 4,
}


def ship(apps, schema_editor):
    ContactPolicy = apps.get_model("compliance", "ContactPolicy")
    StateRule = apps.get_model("compliance", "StateRule")
    Statute = apps.get_model("compliance", "StatuteOfLimitations")
    ContactPolicy.objects.get_or_create(pk=1)
    StateRule.objects.get_or_create(region="MA", defaults=MASSACHUSETTS)
    for region, years in LIMITATION_YEARS.items():
        Statute.objects.get_or_create(
            region=region, defaults={"years": years, "note": "Written contract; starting value, verify."}
        )


def unship(apps, schema_editor):
    apps.get_model("compliance", "StateRule").objects.filter(region="MA").delete()
    apps.get_model("compliance", "StatuteOfLimitations").objects.filter(region__in=LIMITATION_YEARS).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_audit_log_append_only")]
    operations = [migrations.RunPython(ship, unship)]
