"""The KPI report of a period: inputs per cell, summed into groups, turned into figures; and its output
formats (JSON objects of FORMATS.md, CSV and a plain table)."""

import csv
import datetime
import io
import json

from compliance.exports import neutralise

from .figures import FIELDS, figures
from .inputs import BUCKETS, Inputs, group_cells
from .selectors import ledger_inputs, rollup_inputs


def report_rows(
    cells: dict, start: datetime.date, end: datetime.date, by: str | None = None, currency: str | None = None
) -> list[dict]:
    """One FORMATS.md object per (group, currency), sorted by group then currency."""
    groups = group_cells(cells, by)
    if not groups and by is None:
        groups = {(None, currency): Inputs()}
    rows = []
    for (key, cur), inputs in sorted(groups.items(), key=lambda item: (str(item[0][0] or ""), item[0][1] or "")):
        if currency and cur != currency:
            continue
        row = figures(inputs, start, end, cur)
        if by and by != "currency":
            row = {by: key, **row}
        rows.append(row)
    return rows


def kpi_report(
    *, start: datetime.date, end: datetime.date, by: str | None = None, currency: str | None = None, source="ledger"
) -> list[dict]:
    """The KPIs of the period from the ledger (default) or from the rollup tables."""
    cells = ledger_inputs(start, end, by=by) if source == "ledger" else rollup_inputs(start, end)
    return report_rows(cells, start, end, by=by, currency=currency)


def as_json(rows: list[dict], by: str | None) -> str:
    """One object for a portfolio in one currency; a list with --by (or when it holds several currencies)."""
    if by is None and len(rows) == 1:
        return json.dumps(rows[0], indent=2)
    return json.dumps(rows, indent=2)


def flat_columns(by: str | None) -> list[str]:
    head = [by] if by and by != "currency" else []
    scalars = [name for name in FIELDS if name not in ("aging", "roll_rates")]
    aging = [f"aging_{bucket}_{part}" for bucket in BUCKETS for part in ("amount", "accounts")]
    return head + scalars + aging


def flatten(row: dict) -> dict:
    flat = {key: value for key, value in row.items() if key not in ("aging", "roll_rates")}
    for bucket, figure in row["aging"].items():
        flat[f"aging_{bucket}_amount"] = figure["amount"]
        flat[f"aging_{bucket}_accounts"] = figure["accounts"]
    return flat


def as_csv(rows: list[dict], by: str | None) -> str:
    """One line per group and currency; aging flattened; the roll matrix is in the JSON only."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=flat_columns(by), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # Group keys (creditor, team, segment) are user text: the shared guard keeps formulas inert.
        writer.writerow({k: neutralise(v) for k, v in flatten(row).items()})
    return out.getvalue()


TABLE_COLUMNS = [
    ("currency", "cur"),
    ("ending_ar", "AR"),
    ("current_ar", "current AR"),
    ("credit_sales", "sales"),
    ("payments", "payments"),
    ("dso", "DSO"),
    ("dso_countback", "DSO cb"),
    ("best_possible_dso", "best DSO"),
    ("add", "ADD"),
    ("cei", "CEI %"),
    ("collection_rate", "coll. %"),
    ("promise_kept_rate", "kept %"),
    ("right_party_contact_rate", "RPC %"),
    ("dispute_resolution_days", "disp. days"),
    ("written_off", "written off"),
]


def as_table(rows: list[dict], by: str | None) -> str:
    columns = ([(by, by)] if by and by != "currency" else []) + TABLE_COLUMNS
    cells = [[label for _, label in columns]]
    for row in rows:
        cells.append(["—" if row.get(name) is None else str(row.get(name)) for name, _ in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for index, line in enumerate(cells):
        lines.append(
            "  ".join(
                value.ljust(w) if i == 0 else value.rjust(w)
                for i, (value, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    if rows:
        lines.insert(0, f"KPIs from {rows[0]['start']} to {rows[0]['end']} ({rows[0]['days']} days)")
    return "\n".join(lines) + "\n"
