"""import_bundle: validate a whole bundle, then write every accepted row in one transaction."""

from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction

from compliance.audit import audit_record

from .bundle import Bundle
from .fields import DateParser
from .money import money_read, money_write
from .parties import accounts_read, accounts_write, debtors_read, debtors_write
from .report import ImportReport
from .stage import MemoryStage, TableStage

Progress = Callable[[str, int], None]


def _quiet(stage: str, percent: int) -> None:
    """The default progress callback: an import run from code reports nothing while it works."""


def import_bundle(
    path: str | Path, *, dry_run: bool = False, progress: Progress = _quiet, actor=None, staged: bool | None = None
) -> ImportReport:
    """Import a portfolio bundle (FORMATS.md). Raises BundleError when the bundle is unusable.

    Reading and validating touches the database only to look stored rows up and to stage money
    rows. Writing happens in one transaction, so a failure (or a crash) leaves nothing
    half-imported and a rerun completes the job; a dry run stops before writing.
    `progress(stage, percent)` is called as it goes. Money rows wait in a temporary table on
    PostgreSQL and in memory elsewhere; `staged` forces one or the other (the tests compare them).
    """
    report = ImportReport(dry_run=dry_run)
    dates = DateParser()
    if staged is None:
        staged = connection.vendor == "postgresql"
    stage = TableStage() if staged else MemoryStage()
    try:
        with Bundle(path) as bundle:
            progress("Reading debtors.csv", 0)
            debtors, rejected_debtors = debtors_read(bundle, report)
            progress("Reading accounts.csv", 10)
            accounts, rejected_accounts, stored_accounts, stored_debtors = accounts_read(
                bundle, report, debtors, rejected_debtors, dates
            )
            outside = money_read(bundle, report, accounts, rejected_accounts, dates, progress, stage)
        with transaction.atomic():
            progress("Writing debtors", 45)
            debtor_ids = debtors_write(debtors, report, dry_run)
            progress("Writing accounts", 48)
            state, new_accounts = accounts_write(
                accounts, stored_accounts, debtor_ids, stored_debtors, report, dry_run, actor
            )
            state.update(outside)
            money_write(stage, state, new_accounts, report, dry_run, progress)
            if not dry_run:
                new_accounts.finish()
                audit_record(action="import.portfolio", actor=actor, detail=Path(path).name, after=report.as_dict())
    finally:
        stage.close()
    progress("Done", 100)
    return report
