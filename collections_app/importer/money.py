"""invoices.csv, payments.csv and adjustments.csv: validating money rows and posting them in bulk.

The result equals what the single-row services (invoice_create, payment_post, adjustment_post)
give when each account's rows are posted one by one in this order: invoices, then fees and
interest (file order), then payments and credits oldest first (ties: payments before
adjustments, then file order). Allocation uses the one rule of collections_app.allocation.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from ..allocation import OpenInvoice, allocate
from ..bulk import chunks, copy_value, rows_insert, rows_update
from ..models import Account, AccountStatus, Allocation, EntryKind, Invoice, LedgerEntry, PaymentMethod
from ..models.ledger import CREDIT_KINDS
from ..money import STORED_PLACES, ZERO, currency_places, fits_currency
from ..selectors import credit_remainders
from ..services.ledger import account_status_after
from .bundle import Bundle
from .fields import DateParser, Invalid, amount_parse, max_length, required
from .parties import AccountRow, NewAccounts, existing_by_external_id
from .report import ImportReport, unique_rows
from .stage import Group

INVOICES, PAYMENTS, ADJUSTMENTS = "invoices.csv", "payments.csv", "adjustments.csv"
ACCOUNTS_PER_CHUNK = 20_000
# Invoices not yet inserted get ids from here up: above every stored id, in creation order,
# which is how the single-row services would number them (allocation ties break on id).
TEMP_BASE = 1 << 62
_LOWERING = (EntryKind.CREDIT, EntryKind.WRITE_OFF)
_RAISING = (EntryKind.FEE, EntryKind.INTEREST)
_METHODS = frozenset(PaymentMethod.values)  # the enum builds its list anew on each access


def _common(row: dict, problems: list, date_column: str, dates: DateParser):
    for column, what in (("external_id", "an external id"), ("account_external_id", "the account's external id")):
        try:
            max_length(required(row[column], what), 100)
        except Invalid as exc:
            problems.append((column, str(exc)))
    try:
        on = dates(row[date_column])
    except Invalid as exc:
        problems.append((date_column, str(exc)))
        on = None
    try:
        amount = amount_parse(row["amount"])
    except Invalid as exc:
        problems.append(("amount", str(exc)))
        amount = None
    return on, amount


def _invoice(row: dict, problems: list, dates: DateParser):
    issued_on, amount = _common(row, problems, "issued_on", dates)
    try:
        # An invoice may fall due after today; only its issue is a past event.
        due_on = dates(row["due_on"], future_ok=True)
    except Invalid as exc:
        problems.append(("due_on", str(exc)))
        due_on = None
    if amount is not None and amount <= 0:
        problems.append(("amount", f"an invoice amount must be more than zero, not {row['amount']}"))
    if due_on and issued_on and due_on < issued_on:
        problems.append(("due_on", f"due on {due_on} is before the issue date {issued_on}"))
    if len(row.get("description", "")) > 200:
        problems.append(("description", "longer than 200 characters"))
    return issued_on, due_on, amount, row.get("description", "")


def _payment(row: dict, problems: list, dates: DateParser):
    received_on, amount = _common(row, problems, "received_on", dates)
    if amount is not None and amount <= 0:
        problems.append(("amount", f"a payment amount must be more than zero, not {row['amount']}"))
    method = (row.get("method") or PaymentMethod.OTHER).lower()
    if method not in _METHODS:
        problems.append(("method", f"'{row['method']}' is not a method; use {', '.join(PaymentMethod.values)}"))
    return received_on, amount, method, row.get("invoice_external_id", "")


def _adjustment(row: dict, problems: list, dates: DateParser):
    posted_on, amount = _common(row, problems, "posted_on", dates)
    kind = row["kind"].lower()
    if kind in _LOWERING and amount is not None and amount >= 0:
        problems.append(("amount", f"a {kind.replace('_', '-')} lowers the balance: give a negative amount"))
    elif kind in _RAISING and amount is not None and amount <= 0:
        problems.append(("amount", f"{kind} raises the balance: give a positive amount"))
    elif kind not in _LOWERING + _RAISING:
        problems.append(
            ("kind", f"'{row['kind']}' is not a kind of adjustment; use credit, fee, interest or write_off")
        )
    return posted_on, amount, kind, row.get("invoice_external_id", "")


_READERS = (
    (INVOICES, "invoices", _invoice),
    (PAYMENTS, "payments", _payment),
    (ADJUSTMENTS, "adjustments", _adjustment),
)


def money_read(
    bundle: Bundle,
    report: ImportReport,
    accounts: dict[str, AccountRow],
    rejected_accounts: set[str],
    dates: DateParser,
    progress,
    stage,
) -> dict[str, dict]:
    """Stage the valid money rows by account (rejecting the rest); return the stored accounts they
    name that accounts.csv does not hold."""
    for index, (name, attribute, parse) in enumerate(_READERS):
        if not bundle.has(name):
            continue
        progress(f"Reading {name}", 20 + 10 * index)
        for line, row, problem in bundle.rows(name):
            problems = [("*", problem)] if problem else []
            values = parse(row, problems, dates)
            account = row["account_external_id"]
            if account in rejected_accounts:
                problems.append(("account_external_id", f"references rejected account {account}"))
            if problems:
                report.reject(name, line, problems)
                if name == INVOICES or (name == ADJUSTMENTS and row["kind"].lower() in _RAISING):
                    stage.reject_invoice(account, row["external_id"])
                continue
            stage.add(account, attribute, (line, row["external_id"], *values))
    elsewhere = [key for key in stage.accounts() if key not in accounts]
    outside = existing_by_external_id(Account, elsewhere, ("currency",))
    unknown = [key for key in elsewhere if key not in outside]
    files = {attribute: name for name, attribute, _ in _READERS}
    for key, attribute, line in stage.remove(unknown):
        reason = f"account {key} is neither in accounts.csv nor already imported"
        report.reject(files[attribute], line, [("account_external_id", reason)])
    return {key: {"new": False, "id": row["id"], "currency": row["currency"]} for key, row in outside.items()}


@dataclass
class Batch:
    """Rows to insert for a chunk of accounts. Invoice references are stored ids or temporary ids;
    allocation entry references are indexes into `entries`, or a stored entry's id negated."""

    invoices: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    caches: list = field(default_factory=list)  # (account id, balance, unapplied, oldest due, status)
    reopened: list = field(default_factory=list)  # (stored invoice id, new open amount)
    next_temp: int = TEMP_BASE


@dataclass
class Stored:
    """What the database already holds for the chunk's accounts that existed before this import."""

    invoices: dict = field(default_factory=dict)  # account id -> external id -> (id, amount, issued, due)
    open: dict = field(default_factory=dict)  # account id -> [OpenInvoice]
    entries: dict = field(default_factory=dict)  # (account id, kind, external id) -> (amount, posted_on)
    remainders: dict = field(default_factory=dict)  # account id -> [[posted_on, entry id, invoice id, left]]


def _stored_load(account_ids: list[int], with_credit: list[int]) -> Stored:
    stored = Stored()
    for batch in chunks(account_ids):
        for pk, account_id, external_id, amount, issued, due, open_amount in Invoice.objects.filter(
            account_id__in=batch
        ).values_list("id", "account_id", "external_id", "amount", "issued_on", "due_on", "open_amount"):
            if external_id:
                stored.invoices.setdefault(account_id, {})[external_id] = (pk, amount, issued, due)
            if open_amount > 0:
                stored.open.setdefault(account_id, []).append(OpenInvoice(pk, due, issued, open_amount))
        entries = LedgerEntry.objects.filter(
            account_id__in=batch, external_id__isnull=False, kind__in=[*CREDIT_KINDS, *_RAISING]
        )
        for account_id, kind, external_id, amount, posted_on in entries.values_list(
            "account_id", "kind", "external_id", "amount", "posted_on"
        ):
            stored.entries[(account_id, kind, external_id)] = (amount, posted_on)
    # Only accounts holding unapplied credit can have credits that new invoices would absorb.
    for batch in chunks(with_credit):
        credits = credit_remainders(LedgerEntry.objects.filter(account_id__in=batch)).values_list(
            "account_id", "posted_on", "id", "invoice_id", "remainder"
        )
        for account_id, posted_on, pk, invoice_id, left in credits:
            stored.remainders.setdefault(account_id, []).append([posted_on, pk, invoice_id, left])
    return stored


def _unique(rows: list, file: str, report: ImportReport) -> list:
    """Rows whose external id is unique for the account in this file."""
    return unique_rows(rows, file, report, key=lambda row: row[1], line=lambda row: row[0], scope=" for this account")


class _Account:
    """Plans one account's money rows into a Batch, rejecting what cannot be posted."""

    def __init__(self, key: str, state: dict, group: Group, stored: Stored, batch: Batch, report: ImportReport):
        self.key, self.state, self.group, self.batch, self.report = key, state, group, batch, report
        account_id = state["id"]
        self.account_id = account_id
        self.stored_invoices = stored.invoices.get(account_id, {})
        self.stored_entries = stored.entries
        self.open = list(stored.open.get(account_id, []))
        self.remainders = sorted(stored.remainders.get(account_id, []))
        self.issued = {inv.id: inv.issued_on for inv in self.open}
        self.stored_open = {inv.id: inv.open_amount for inv in self.open}
        self.refs: dict[str, int] = {ext: row[0] for ext, row in self.stored_invoices.items()}
        self.rejected_invoices: set[str] = set(group.rejected)
        self.new_invoices = 0
        self.posted = False
        self.balance = state["balance"]
        self.written_off = False

    def _reject(self, file: str, line: int, column: str, reason: str) -> None:
        self.report.reject(file, line, [(column, reason)])

    def _same(self, file: str, line: int, external_id: str, before: tuple, now: tuple, what: str) -> bool:
        """Count a row imported before with the same figures as unchanged; reject it when they differ."""
        if before == now:
            self.report.count(file, "unchanged")
            return True
        self._reject(file, line, "amount", f"{external_id} was already imported with {what}; money is never changed")
        return False

    def _named(self, file: str, line: int, invoice_external_id: str) -> tuple[bool, int | None]:
        if not invoice_external_id:
            return True, None
        if invoice_external_id in self.rejected_invoices:
            self._reject(file, line, "invoice_external_id", f"references rejected invoice {invoice_external_id}")
            return False, None
        if invoice_external_id not in self.refs:
            reason = (
                f"invoice {invoice_external_id} is neither in this bundle nor already imported on account {self.key}"
            )
            self._reject(file, line, "invoice_external_id", reason)
            return False, None
        return True, self.refs[invoice_external_id]

    def _new_invoice(self, external_id, issued_on, due_on, amount, description, kind) -> None:
        temp = self.batch.next_temp
        self.batch.next_temp += 1
        open_invoice = OpenInvoice(temp, due_on, issued_on, amount)
        self.open.append(open_invoice)
        self.issued[temp] = issued_on
        self.refs[external_id] = temp
        self.batch.invoices.append(
            (temp, self.account_id, external_id, issued_on, due_on, amount, description, open_invoice)
        )
        self.batch.entries.append((self.account_id, kind, amount, issued_on, temp, external_id, ""))
        self.new_invoices += 1
        self.balance += amount
        self._absorb_stored_credit()

    def plan(self) -> None:
        currency = self.state["currency"]
        # Parsed amounts have at most two places, so only a currency with fewer can refuse one.
        fewer_places = currency_places(currency) < STORED_PLACES
        invoices = _unique(self.group.invoices, INVOICES, self.report)
        self.rejected_invoices.update({row[1] for row in self.group.invoices} - {row[1] for row in invoices})
        for line, external_id, issued_on, due_on, amount, description in invoices:
            if fewer_places and not fits_currency(amount, currency):
                self._reject(INVOICES, line, "amount", f"{amount} has decimals, but {currency} has none")
                self.rejected_invoices.add(external_id)
            elif external_id in self.stored_invoices:
                _, *before = self.stored_invoices[external_id]
                what = f"amount {before[0]} issued on {before[1]} due on {before[2]}"
                if not self._same(INVOICES, line, external_id, tuple(before), (amount, issued_on, due_on), what):
                    self.rejected_invoices.add(external_id)
            else:
                self._new_invoice(external_id, issued_on, due_on, amount, description, EntryKind.CHARGE)
                self.report.count(INVOICES, "created")
        invoice_ids = {row[1]: f"invoice line {row[0]}" for row in self.group.invoices}
        adjustments = _unique(self.group.adjustments, ADJUSTMENTS, self.report)
        credits = []
        for line, external_id, posted_on, amount, kind, invoice_external_id in adjustments:
            if fewer_places and not fits_currency(amount, currency):
                self._reject(ADJUSTMENTS, line, "amount", f"{amount} has decimals, but {currency} has none")
                continue
            ok, named = self._named(ADJUSTMENTS, line, invoice_external_id)
            if not ok:
                continue
            if kind in _LOWERING:
                credits.append((posted_on, 1, line, kind, -amount, named, external_id, ""))
                continue
            before = self.stored_entries.get((self.account_id, kind, external_id))
            if before is not None:
                what = f"amount {before[0]} on {before[1]}"
                if not self._same(ADJUSTMENTS, line, external_id, before, (amount, posted_on), what):
                    self.rejected_invoices.add(external_id)
            elif external_id in invoice_ids or external_id in self.stored_invoices:
                where = invoice_ids.get(external_id, "an invoice already imported")
                self._reject(ADJUSTMENTS, line, "external_id", f"{external_id} is already used by {where}")
            else:
                description = kind.capitalize() + (f" on invoice {invoice_external_id}" if invoice_external_id else "")
                self._new_invoice(external_id, posted_on, posted_on, amount, description, kind)
                self.report.count(ADJUSTMENTS, "created")
        # A fee or interest row that was refused is a rejected invoice for the payments naming it.
        raising = {row[1] for row in self.group.adjustments if row[4] in _RAISING}
        self.rejected_invoices.update(raising - set(self.refs))
        for line, external_id, received_on, amount, method, invoice_external_id in _unique(
            self.group.payments, PAYMENTS, self.report
        ):
            if fewer_places and not fits_currency(amount, currency):
                self._reject(PAYMENTS, line, "amount", f"{amount} has decimals, but {currency} has none")
                continue
            ok, named = self._named(PAYMENTS, line, invoice_external_id)
            if ok:
                credits.append((received_on, 0, line, EntryKind.PAYMENT, amount, named, external_id, method))
        for posted_on, order, line, kind, amount, named, external_id, method in sorted(credits, key=lambda c: c[:3]):
            self._credit(
                PAYMENTS if order == 0 else ADJUSTMENTS, line, posted_on, kind, amount, named, external_id, method
            )
        if self.new_invoices or self.posted:
            self._caches()

    def _caches(self) -> None:
        """The account's caches after its new rows, as account_refresh would derive them from the ledger."""
        still_open = [inv for inv in self.open if inv.open_amount > 0]
        open_sum = sum((inv.open_amount for inv in still_open), ZERO)
        # Credits come after every new invoice, so the balance only rises and then only falls: the
        # status the services reach step by step is the one the final balance gives.
        if self.written_off:
            status = AccountStatus.WRITTEN_OFF
        else:
            status = account_status_after(self.balance, self.state["status"])
        oldest = min((inv.due_on for inv in still_open), default=None)
        self.batch.caches.append((self.account_id, self.balance, open_sum - self.balance, oldest, status))
        self.batch.reopened.extend(
            (pk, inv.open_amount)
            for inv in self.open
            if (pk := inv.id) in self.stored_open and inv.open_amount != self.stored_open[pk]
        )

    def _unpaid(self) -> list[OpenInvoice]:
        """The invoices allocate() can still pay: it passes over paid ones, but only after sorting them."""
        return [inv for inv in self.open if inv.open_amount > ZERO]

    def _absorb_stored_credit(self) -> None:
        """After each new invoice, credit already on the account pays open invoices (oldest credit
        first, oldest due first), as invoice_create does. Credits of this import come after every
        invoice, so only stored credit can be left over at this point."""
        for remainder in self.remainders:
            posted_on, entry_id, invoice_id, left = remainder
            if left <= 0:
                continue
            for invoice, applied in allocate(left, self._unpaid(), named_invoice_id=invoice_id):
                self.batch.allocations.append((-entry_id, invoice, applied, max(posted_on, self.issued[invoice])))
                remainder[3] -= applied

    def _credit(self, file, line, posted_on, kind, amount, named, external_id, method) -> None:
        before = self.stored_entries.get((self.account_id, kind, external_id))
        if before is not None:
            self._same(file, line, external_id, before, (-amount, posted_on), f"amount {-before[0]} on {before[1]}")
            return
        if kind == EntryKind.WRITE_OFF and amount > self.balance:
            reason = f"the write-off of {amount} is more than the balance of {self.balance} on {posted_on}"
            self._reject(file, line, "amount", reason)
            return
        index = len(self.batch.entries)
        self.batch.entries.append((self.account_id, kind, -amount, posted_on, named, external_id, method))
        self.balance -= amount
        self.posted = True
        for invoice, applied in allocate(amount, self._unpaid(), named_invoice_id=named):
            self.batch.allocations.append((index, invoice, applied, max(posted_on, self.issued[invoice])))
        if kind == EntryKind.WRITE_OFF and self.balance <= 0:
            self.written_off = True
        self.report.count(file, "created")


def _batch_insert(batch: Batch, new_accounts: NewAccounts) -> None:
    now = copy_value(timezone.now())
    # The new accounts first, with their caches: their rows reference them.
    new_accounts.write([(*row, now) for row in batch.caches])
    temps = [row[0] for row in batch.invoices]
    ids = rows_insert(
        Invoice,
        ["account_id", "external_id", "issued_on", "due_on", "amount", "description", "open_amount", "created_at"],
        [(*row[1:7], row[7].open_amount, now) for row in batch.invoices],
    )
    real = dict(zip(temps, ids, strict=True))

    def invoice_id(ref):
        return real[ref] if ref is not None and ref >= TEMP_BASE else ref

    entry_ids = rows_insert(
        LedgerEntry,
        ["account_id", "kind", "amount", "posted_on", "invoice_id", "external_id", "method", "note", "created_at"],
        [
            (a, k, amount, on, invoice_id(ref), ext, method, "", now)
            for a, k, amount, on, ref, ext, method in batch.entries
        ],
    )
    rows_insert(
        Allocation,
        ["entry_id", "invoice_id", "amount", "applied_on", "created_at"],
        [
            (entry_ids[ref] if ref >= 0 else -ref, invoice_id(inv), amount, on, now)
            for ref, inv, amount, on in batch.allocations
        ],
    )
    rows_update(Invoice, ["open_amount"], batch.reopened)


def _lock(earlier: list[dict]) -> None:
    """Lock the stored accounts of a chunk (one query) and plan from the locked figures, so a payment
    posted meanwhile is waited for and counted, never overwritten by the caches written here."""
    if not earlier:
        return
    locked = {
        pk: (balance, unapplied, status)
        for pk, balance, unapplied, status in Account.objects.select_for_update()
        .filter(id__in=[s["id"] for s in earlier])
        .order_by("id")
        .values_list("id", "balance", "unapplied_credit", "status")
    }
    for account in earlier:
        account["balance"], account["unapplied_credit"], account["status"] = locked[account["id"]]


def money_write(
    stage, state: dict[str, dict], new_accounts: NewAccounts, report: ImportReport, dry_run: bool, progress
) -> None:
    """Plan and insert the money rows chunk by chunk of accounts, so memory stays bounded; the new
    accounts of each chunk are written with their caches."""
    done = 0
    for chunk in stage.groups(ACCOUNTS_PER_CHUNK):
        progress(f"Posting money rows ({done:,} accounts done)", 50 + min(49, 49 * done // max(1, len(state))))
        done += len(chunk)
        earlier = [state[key] for key, _ in chunk if not state[key]["new"]]
        _lock(earlier)
        stored = _stored_load([s["id"] for s in earlier], [s["id"] for s in earlier if s["unapplied_credit"] > 0])
        batch = Batch()
        for key, group in chunk:
            _Account(key, state[key], group, stored, batch, report).plan()
        if not dry_run:
            _batch_insert(batch, new_accounts)
