"""Converts IBM's public accounts-receivable sample (2,466 settled invoices) into a portfolio bundle.

Usage::

    python -m bench.ibm_to_bundle [--src /work/shared/data/ibm-accounts-receivable.csv] --out DIR

One business debtor and one account per customerID (creditor "IBM sample", USD, opened on the
customer's first invoice date), one invoice per row and one payment per row for the full invoice
amount on its SettledDate, naming the invoice. The source keeps no names or addresses, so debtors
carry only their id and a generated name.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from bench.generate_portfolio import HEADERS

DEFAULT_SRC = Path("/work/shared/data/ibm-accounts-receivable.csv")
CREDITOR = "IBM sample"
CENT = Decimal("0.01")


def _us_date(text: str) -> date:
    """The sample writes dates as M/D/YYYY."""
    return datetime.strptime(text.strip(), "%m/%d/%Y").date()


def convert(src: str | os.PathLike = DEFAULT_SRC, out_dir: str | os.PathLike = "ibm-bundle") -> dict[str, int]:
    """Write the bundle's five CSV files into out_dir; return row counts per file."""
    with open(src, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))

    first_invoice: dict[str, date] = {}
    invoices = []
    payments = []
    for row in rows:
        customer = row["customerID"].strip()
        number = row["invoiceNumber"].strip()
        issued = _us_date(row["InvoiceDate"])
        due = _us_date(row["DueDate"])
        settled = _us_date(row["SettledDate"])
        # The sample drops trailing zeros ("55.9", "61"); Decimal keeps the cents exact.
        amount = str(Decimal(row["InvoiceAmount"].strip()).quantize(CENT))
        account = f"IBM-{customer}"
        if customer not in first_invoice or issued < first_invoice[customer]:
            first_invoice[customer] = issued
        disputed = row["Disputed"].strip().lower() == "yes"
        invoices.append(
            (
                number,
                account,
                issued.isoformat(),
                due.isoformat(),
                amount,
                f"Invoice {number}" + (" (disputed)" if disputed else ""),
            )
        )
        # The sample does not say how each invoice was paid; electronic billing suggests a bank
        # transfer and paper billing a cheque, which is the closest honest mapping.
        method = "ach" if row["PaperlessBill"].strip() == "Electronic" else "check"
        payments.append((f"PAY-{number}", account, settled.isoformat(), amount, method, number))

    customers = sorted(first_invoice)
    debtors = [
        (customer, "business", f"IBM sample customer {customer}", "", "", "", "", "", "", "", "", "")
        for customer in customers
    ]
    accounts = [
        (f"IBM-{customer}", customer, CREDITOR, "USD", first_invoice[customer].isoformat(), "", "", "commercial", "")
        for customer in customers
    ]
    # Stable order (by date, then id) so reruns produce identical files.
    invoices.sort(key=lambda r: (r[2], r[0]))
    payments.sort(key=lambda r: (r[2], r[0]))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"debtors": debtors, "accounts": accounts, "invoices": invoices, "payments": payments, "adjustments": []}
    for name, table in tables.items():
        with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(HEADERS[name])
            writer.writerows(table)
    return {name: len(table) for name, table in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=str(DEFAULT_SRC), help="the IBM sample CSV")
    parser.add_argument("--out", required=True, help="folder to write the bundle into")
    args = parser.parse_args(argv)
    counts = convert(args.src, args.out)
    for name, count in counts.items():
        print(f"{name:12} {count:>8,}")
    print(f"bundle written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
