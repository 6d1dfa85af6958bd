"""Where parsed money rows wait between reading the bundle and posting them, account by account.

MemoryStage keeps them in Python (SQLite, small bundles). TableStage COPYs them into a temporary
PostgreSQL table and streams them back in account order, so the importer never holds more than
one chunk of accounts' money rows, whatever the size of the portfolio. Both hand the same Groups to
the same planning code, so what gets posted does not depend on the stage.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, connection

from ..bulk import chunks, copy_csv

ATTRIBUTES = ("invoices", "payments", "adjustments")
_REJECTED = 3  # kind of a marker row: a rejected row that would have been an invoice
_FLUSH = 50_000  # rows buffered before each COPY


@dataclass(slots=True)
class Group:
    """The money rows of one account, as compact tuples until its chunk is written.

    invoices: (line, external_id, issued_on, due_on, amount, description)
    payments: (line, external_id, received_on, amount, method, invoice_external_id)
    adjustments: (line, external_id, posted_on, amount, kind, invoice_external_id)
    """

    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    adjustments: list = field(default_factory=list)
    rejected: set = field(default_factory=set)  # external ids of rejected rows that would have been invoices


class MemoryStage:
    """Every account's Group in a dict, in the order accounts first appear."""

    def __init__(self):
        self._groups: dict[str, Group] = {}

    def _group(self, account: str) -> Group:
        group = self._groups.get(account)
        if group is None:
            group = self._groups[account] = Group()
        return group

    def add(self, account: str, attribute: str, row: tuple) -> None:
        getattr(self._group(account), attribute).append(row)

    def reject_invoice(self, account: str, external_id: str) -> None:
        self._group(account).rejected.add(external_id)

    def accounts(self) -> Iterator[str]:
        return iter(list(self._groups))

    def remove(self, accounts: list[str]) -> list[tuple[str, str, int]]:
        """Forget these accounts' rows; return (account, attribute, line) of each staged row."""
        removed = []
        for account in accounts:
            group = self._groups.pop(account)
            removed.extend(
                (account, attribute, row[0]) for attribute in ATTRIBUTES for row in getattr(group, attribute)
            )
        return removed

    def groups(self, size: int) -> Iterator[list[tuple[str, Group]]]:
        keys = list(self._groups)
        for start in range(0, len(keys), size):
            yield [(key, self._groups.pop(key)) for key in keys[start : start + size]]

    def close(self) -> None:
        self._groups.clear()


class TableStage:
    """Rows COPYed into a session-temporary table; read back ordered by account through a
    server-side cursor, one chunk of accounts at a time."""

    def __init__(self):
        self._pending: list[tuple] = []
        with connection.cursor() as cursor:
            # A pooled connection may still hold the table of an import that crashed.
            cursor.execute("DROP TABLE IF EXISTS importer_money_stage")
            cursor.execute(
                "CREATE TEMPORARY TABLE importer_money_stage (account text, kind smallint, line integer, external_id text,"
                " on1 date, on2 date, amount numeric, text1 text, text2 text)"
            )

    def add(self, account: str, attribute: str, row: tuple) -> None:
        if attribute == "invoices":
            line, external_id, issued_on, due_on, amount, description = row
            self._pending.append((account, 0, line, external_id, issued_on, due_on, amount, description, None))
        else:
            line, external_id, on, amount, text1, text2 = row
            kind = ATTRIBUTES.index(attribute)
            self._pending.append((account, kind, line, external_id, on, None, amount, text1, text2))
        if len(self._pending) >= _FLUSH:
            self._flush()

    def reject_invoice(self, account: str, external_id: str) -> None:
        self._pending.append((account, _REJECTED, 0, external_id, None, None, None, None, None))

    def _flush(self) -> None:
        if self._pending:
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    "COPY importer_money_stage FROM STDIN WITH (FORMAT csv, FORCE_NULL (on1, on2, amount))",
                    copy_csv(self._pending),
                )
            self._pending = []

    def _stream(self, sql: str, params=()) -> Iterator[tuple]:
        """Rows of a query fetched a slice at a time (a named cursor, held across commits)."""
        self._flush()
        connection.ensure_connection()
        with connection.connection.cursor(name="importer_stage_read", withhold=True) as cursor:
            cursor.itersize = 20_000
            cursor.execute(sql, params)
            yield from cursor

    def accounts(self) -> Iterator[str]:
        for (account,) in self._stream("SELECT DISTINCT account FROM importer_money_stage"):
            yield account

    def remove(self, accounts: list[str]) -> list[tuple[str, str, int]]:
        self._flush()
        removed = []
        with connection.cursor() as cursor:
            for batch in chunks(accounts):
                cursor.execute(
                    "DELETE FROM importer_money_stage WHERE account = ANY(%s) AND kind <> %s RETURNING account, kind, line",
                    [list(batch), _REJECTED],
                )
                removed.extend((account, ATTRIBUTES[kind], line) for account, kind, line in cursor.fetchall())
                cursor.execute("DELETE FROM importer_money_stage WHERE account = ANY(%s)", [list(batch)])
        return removed

    def groups(self, size: int) -> Iterator[list[tuple[str, Group]]]:
        chunk: list[tuple[str, Group]] = []
        key, group = None, None
        rows = self._stream(
            "SELECT account, kind, line, external_id, on1, on2, amount, text1, text2 FROM importer_money_stage"
            " ORDER BY account, kind, line"
        )
        for account, kind, line, external_id, on1, on2, amount, text1, text2 in rows:
            if account != key:
                if len(chunk) == size:
                    yield chunk
                    chunk = []
                key, group = account, Group()
                chunk.append((key, group))
            if kind == 0:
                group.invoices.append((line, external_id, on1, on2, amount, text1))
            elif kind == _REJECTED:
                group.rejected.add(external_id)
            else:
                getattr(group, ATTRIBUTES[kind]).append((line, external_id, on1, amount, text1, text2))
        if chunk:
            yield chunk

    def close(self) -> None:
        self._pending = []
        try:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS importer_money_stage")
        except DatabaseError:
            # Inside a caller's transaction that an error already broke, the error that broke it is
            # the one to report; the table goes with the session, or with the next import's DROP.
            pass
