"""Portfolio import (FORMATS.md): a bundle of CSV files validated row by row and posted in bulk.

bundle: opening a folder or zip and reading rows; fields: cell parsers; parties: debtors and
accounts; money: invoices, payments and adjustments with allocation; bulk: fast inserts;
run: the whole import in one transaction.
"""

from .bundle import BundleError
from .report import ImportReport, Rejection
from .run import import_bundle

__all__ = ["BundleError", "ImportReport", "Rejection", "import_bundle"]
