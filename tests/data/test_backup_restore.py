"""scripts/backup.sh and scripts/restore.sh against real PostgreSQL: a restored copy holds the same rows and
money as the original, migrations are complete and the ledger reconciles; a non-empty target is refused."""

import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal as D
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models

from collections_app.models import LedgerEntry
from collections_app.services.ledger import invoice_create, payment_post

from ..conftest import require
from .portfolio import closed_file

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def postgres_and_tools():
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    require(bool(shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")), "pg_dump/pg_restore")


def url_of(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_dbs():
    """Names for fresh databases, dropped afterwards however the test ends."""
    names = []

    def new() -> str:
        names.append(f"{connection.settings_dict['NAME']}_r{uuid.uuid4().hex[:8]}")
        return names[-1]

    yield new
    admin = psycopg2.connect(url_of("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def run(script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHON": sys.executable, **(env or {})}
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args], capture_output=True, text=True, env=environment, timeout=300
    )


def backup(tmp_path) -> Path:
    """A dump of the test database: its rows are committed (transactional tests), as pg_dump reads them
    through a connection of its own."""
    done = run("backup.sh", str(tmp_path), env={"DATABASE_URL": url_of(connection.settings_dict["NAME"])})
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


def figures(url: str) -> dict:
    """Per table: the row count and the sum of every money (decimal) column."""
    result = {}
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            money = [f.column for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)]
            sums = "".join(f', coalesce(sum("{column}"), 0)' for column in money)
            cursor.execute(f'SELECT count(*){sums} FROM "{table}"')
            result[table] = cursor.fetchone()
    db.close()
    return result


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_tools")
def test_backup_restores_into_a_fresh_database_that_reconciles(tmp_path, scratch_dbs, admin_user):
    for n in (1, 2, 3):
        closed_file(n=n, by=admin_user)
    open_account = closed_file(n=4)
    invoice = invoice_create(
        account=open_account, amount=D("1234.56"), issued_on=open_account.opened_on, due_on=open_account.opened_on
    )
    payment_post(account=open_account, amount=D("234.56"), received_on=open_account.opened_on, invoice=invoice)

    dump = backup(tmp_path)
    assert dump.name.startswith(f"collections-{connection.settings_dict['NAME']}-") and dump.suffix == ".dump"
    assert dump.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only

    target = url_of(scratch_dbs())
    restored = run("restore.sh", str(dump), target)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "every cache equals the ledger" in restored.stdout
    assert "ledger reconciles" in restored.stderr

    original, copy = figures(url_of(connection.settings_dict["NAME"])), figures(target)
    assert copy == original
    assert original["collections_app_ledgerentry"][0] == LedgerEntry.objects.count() == 22
    assert original["collections_app_account"][1] == D("1000.00")  # the open account's balance
    assert original["compliance_auditevent"][0] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_tools")
def test_restore_refuses_a_non_empty_database_and_a_broken_ledger(tmp_path, scratch_dbs):
    account = closed_file()
    dump = backup(tmp_path)
    target = url_of(scratch_dbs())
    assert run("restore.sh", str(dump), target).returncode == 0
    # Break the copy's cached balance behind the ledger's back: the restore check must catch it.
    with psycopg2.connect(target) as db, db.cursor() as cursor:
        cursor.execute("UPDATE collections_app_account SET balance = 99 WHERE id = %s", [account.pk])
    db.close()

    refused = run("restore.sh", str(dump), target)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert figures(target)["collections_app_account"][1] == D("99.00")  # left as it was

    forced = run("restore.sh", str(dump), target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert figures(target)["collections_app_account"][1] == D("0.00")

    # A dump of a database whose ledger does not reconcile fails the restore check.
    broken = backup_of(target, tmp_path / "broken")
    failed = run("restore.sh", str(broken), url_of(scratch_dbs()))
    assert failed.returncode == 1
    assert "does NOT reconcile" in failed.stderr


def backup_of(url: str, folder: Path) -> Path:
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute("UPDATE collections_app_account SET balance = balance + 1")
    db.close()
    done = run("backup.sh", str(folder), env={"DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    done = run("backup.sh", str(tmp_path), env={"DATABASE_URL": "sqlite:////tmp/db.sqlite3"})
    assert done.returncode == 2
    assert "DATABASE_URL is not a PostgreSQL database (sqlite://...)" in done.stderr
    assert list(tmp_path.iterdir()) == []
