"""Import benchmark: `import_portfolio` of a bundle beside its floor, a plain COPY of the same files.

    DATABASE_URL=postgres://... python -m bench.imports BUNDLE_DIR

The floor copies each CSV file into a plain table of text columns (no constraints, no index, no
parsing): what PostgreSQL itself needs to take the rows in. The import then loads the same bundle
through the real path (validation, allocation, caches, assignments), and reports the peak RSS.

    python -m bench.imports --schema-floor   # after an import (bench.run: after its VACUUM ANALYZE)

A second floor tells how much of the import is the schema's own cost: the rows the import stored,
written again into empty tables with the same columns, indexes, checks and foreign keys, inside a
transaction that is rolled back. No parsing, no validation, no Python: the reference cost of any
import into this schema (by INSERT ... SELECT, not COPY; and unlike the COPY floor's temporary
tables, these write WAL as the real ones do). It locks the stored tables against writes while it
runs: for benchmark databases only.
"""

import argparse
import csv
import json
import os
import re
import resource
import time
from pathlib import Path

FILES = ("debtors", "accounts", "invoices", "payments", "adjustments")


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def copy_floor(bundle: Path) -> dict:
    """Seconds to COPY every file of the bundle into plain text tables, and the rows copied."""
    from django.db import connection, transaction

    rows = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for name in FILES:
            path = bundle / f"{name}.csv"
            if not path.exists():
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle))
                columns = ", ".join(f'"{column}" text' for column in header)
                cursor.execute(f"CREATE TEMPORARY TABLE bench_copy_{name} ({columns}) ON COMMIT DROP")
                handle.seek(0)
                cursor.copy_expert(f"COPY bench_copy_{name} FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
                rows += cursor.rowcount
    return {"copy_floor": time.perf_counter() - started, "rows": rows}


# The models whose tables an import writes.
SCHEMA_MODELS = (
    "Creditor",
    "Debtor",
    "ContactPoint",
    "Address",
    "Account",
    "Assignment",
    "Invoice",
    "LedgerEntry",
    "Allocation",
)


def schema_tables() -> dict[str, str]:
    """Table name -> model, for the tables an import writes."""
    from django.apps import apps

    return {model._meta.db_table: model for model in (apps.get_model("collections_app", n) for n in SCHEMA_MODELS)}


def schema_copies(cursor, tables: list[str]) -> None:
    """Empty copies `bench_<table>` of the tables: same columns, indexes and checks, and the same
    deferred foreign keys, pointing at the copies where the parent is one of `tables`."""
    parents = "|".join(re.escape(table) for table in tables)
    for table in tables:
        cursor.execute(f'CREATE TABLE "bench_{table}" (LIKE "{table}" INCLUDING ALL)')
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for (definition,) in cursor.fetchall():
            definition = re.sub(rf"REFERENCES ({parents})\(", r"REFERENCES bench_\1(", definition)
            cursor.execute(f'ALTER TABLE "bench_{table}" ADD {definition}')


def schema_floor() -> float:
    """Seconds to write every stored row of the import's tables into empty copies of them and check
    their foreign keys as a commit would; rolled back afterwards."""
    from django.db import connection, transaction

    tables = list(schema_tables())
    with connection.cursor() as cursor, transaction.atomic():
        schema_copies(cursor, tables)
        started = time.perf_counter()
        for table in tables:
            cursor.execute(f'INSERT INTO "bench_{table}" SELECT * FROM "{table}"')
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred key checks run now
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def import_bundle(bundle: Path) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("import_portfolio", str(bundle), verbosity=0)
    return time.perf_counter() - started


def measure(bundle: Path) -> dict:
    results = copy_floor(bundle)
    results["import"] = import_bundle(bundle)
    results["import_vs_copy"] = results["import"] / results["copy_floor"]
    # Peak resident memory of this process (Linux reports KiB): it must not grow with the portfolio.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    # CPU seconds of this process (setup, floor and import): on a loaded machine a steadier
    # measure of the Python side than the wall clock; the database's own work is not in it.
    results["python_cpu"] = round(usage.ru_utime + usage.ru_stime, 1)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, nargs="?")
    parser.add_argument("--schema-floor", action="store_true", help="only the schema floor, on the imported rows")
    args = parser.parse_args(argv)
    if not args.schema_floor and args.bundle is None:
        parser.error("give the bundle to import, or --schema-floor")
    _setup()
    print(json.dumps({"schema_floor": schema_floor()} if args.schema_floor else measure(args.bundle), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
