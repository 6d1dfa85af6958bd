"""Writing portfolio bundles (FORMATS.md) for the import tests: a small valid bundle and variations of it."""

HEADERS = {
    "debtors.csv": "external_id,kind,name,email,phone,address_line1,city,region,postal_code,country,timezone,language",
    "accounts.csv": "external_id,debtor_external_id,creditor,currency,opened_on,placed_on,product,segment,collector",
    "invoices.csv": "external_id,account_external_id,issued_on,due_on,amount,description",
    "payments.csv": "external_id,account_external_id,received_on,amount,method,invoice_external_id",
    "adjustments.csv": "external_id,account_external_id,posted_on,amount,kind,invoice_external_id",
}
# Line numbers in the tests count the header as line 1.
BASE = {
    "debtors.csv": [
        "D1,person,Ada Lovelace,Ada@Example.COM,(617) 555-0134,1 Main St,Boston,MA,02110,US,,en",
        "D2,business,Acme Ltd,,,,,,,,America/Chicago,",
    ],
    "accounts.csv": [
        "A1,D1,Northwind,USD,2025-01-01,2025-02-01,card,prime,collector_a",
        "A2,D2,Northwind,USD,2025-01-01,,,,",
    ],
    "invoices.csv": [
        "I1,A1,2025-01-01,2025-01-31,100.00,January",
        "I2,A1,2025-02-01,2025-02-28,50.00,February",
        "I1,A2,2025-01-01,2025-01-31,80.00,",
    ],
    "payments.csv": [
        "P1,A1,2025-02-10,120.00,card,",
        "P2,A2,2025-03-01,30.00,ach,I1",
    ],
    "adjustments.csv": [
        "J1,A1,2025-03-01,15.00,fee,I2",
        "J2,A2,2025-03-05,-10.00,credit,",
    ],
}
EMPTY = {name: [] for name in HEADERS}


def write_bundle(folder, rows=None, headers=None, skip=()):
    """Write BASE (or `rows`, per file) with HEADERS (or `headers`) into folder; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {**BASE, **(rows or {})}
    headers = {**HEADERS, **(headers or {})}
    for name, lines in rows.items():
        if name in skip:
            continue
        (folder / name).write_text("\n".join([headers[name], *lines]) + "\n", encoding="utf-8")
    return folder


def with_row(name, line, text):
    """BASE with the data row at `line` (header = 1) of `name` replaced."""
    lines = list(BASE[name])
    lines[line - 2] = text
    return {name: lines}
