"""debtors.csv and accounts.csv: validating rows against the bundle and the database, then writing them."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from accounts.models import User

from ..bulk import chunks, copy_value, ids_reserve, rows_insert, rows_update
from ..contacts import debtor_timezone, email_normalize, is_timezone, phone_normalize
from ..models import (
    Account,
    AccountStatus,
    Address,
    Assignment,
    AssignmentReason,
    ContactKind,
    ContactPoint,
    ContactUsage,
    Creditor,
    Debtor,
    DebtorKind,
)
from ..money import ZERO, is_currency
from ..services.assignments import assignments_replace, may_hold_accounts
from .bundle import Bundle
from .fields import DateParser, Invalid, country_parse, max_length, required
from .report import ImportReport, unique_rows

DEBTORS = "debtors.csv"
ACCOUNTS = "accounts.csv"
_DEBTOR_FIELDS = ("kind", "name", "language", "timezone", "timezone_source", "region", "country")
_ACCOUNT_FIELDS = ("opened_on", "placed_on", "product", "segment")
_NEW_ACCOUNT_FIELDS = ["external_id", "debtor_id", "creditor_id", "currency", *_ACCOUNT_FIELDS]
_NEW_ACCOUNT_FIELDS += ["assigned_to_id", "priority_score", "created_at"]
# What the money rows decide about an account, in the order of the caches money_write plans.
CACHE_FIELDS = ["balance", "unapplied_credit", "oldest_open_due_on", "status", "changed_at"]
_KINDS = frozenset(DebtorKind.values)  # the enum builds its list anew on each access


@dataclass(slots=True)
class DebtorRow:
    line: int
    external_id: str
    kind: str
    name: str
    language: str
    timezone: str
    timezone_source: str
    region: str
    country: str
    phone: str  # E.164, or ''
    phone_zones: str
    phone_usage: str
    email: str
    address: tuple[str, str, str, str, str] | None  # line1, city, region, postal code, country


@dataclass(slots=True)
class AccountRow:
    line: int
    external_id: str
    debtor_external_id: str
    creditor: str
    currency: str
    opened_on: datetime.date
    placed_on: datetime.date | None
    product: str
    segment: str
    collector_id: int | None


def _check(problems: list, column: str, parse, *args):
    """Run one cell parser, noting its reason under the column instead of stopping at the first problem."""
    try:
        return parse(*args)
    except Invalid as exc:
        problems.append((column, str(exc)))
        return None


def _lengths(problems: list, row: dict, limits: dict[str, int]) -> None:
    for column, limit in limits.items():
        _check(problems, column, max_length, row.get(column, ""), limit)


def _duplicates(rows, report: ImportReport, file: str) -> dict:
    """Rows by external id, keeping those whose external id is unique in the file."""
    kept = unique_rows(rows, file, report, key=lambda row: row.external_id, line=lambda row: row.line)
    return {row.external_id: row for row in kept}


def debtors_read(bundle: Bundle, report: ImportReport) -> tuple[dict[str, DebtorRow], set[str]]:
    """Valid debtor rows by external id, and the external ids of the rejected ones."""
    valid: list[DebtorRow] = []
    rejected: set[str] = set()
    for line, row, problem in bundle.rows(DEBTORS):
        problems = [("*", problem)] if problem else []
        external_id = _check(problems, "external_id", required, row["external_id"], "an external id")
        kind = row["kind"].lower()
        if kind not in _KINDS:
            problems.append(("kind", f"'{row['kind']}' is not a kind of debtor; use person or business"))
        _check(problems, "name", required, row["name"], "a name")
        _lengths(
            problems,
            row,
            {"external_id": 100, "name": 200, "address_line1": 200, "city": 100, "region": 16, "postal_code": 20},
        )
        _check(problems, "language", max_length, row.get("language", ""), 16)
        country = ""
        if row.get("country"):
            country = _check(problems, "country", country_parse, row["country"]) or ""
        given_zone = row.get("timezone", "")
        if given_zone and not is_timezone(given_zone):
            problems.append(("timezone", f"'{given_zone}' is not an IANA time zone (like America/New_York)"))
        phone, zones, usage = "", [], ContactUsage.OTHER
        if row.get("phone"):
            try:
                phone, zones, mobile = phone_normalize(row["phone"], country or "US")
            except ValueError as exc:
                problems.append(("phone", str(exc)))
            else:
                usage = ContactUsage.MOBILE if mobile else ContactUsage.OTHER
        email = ""
        if row.get("email"):
            try:
                email = email_normalize(row["email"])
            except ValueError as exc:
                problems.append(("email", str(exc)))
            _check(problems, "email", max_length, row["email"], 254)
        if problems:
            report.reject(DEBTORS, line, problems)
            if external_id:
                rejected.add(external_id)
            continue
        region = row.get("region", "").upper()
        zone, source = debtor_timezone(given=given_zone, country=country, region=region, phone_zones=zones)
        address_cells = (row.get("address_line1", ""), row.get("city", ""), region, row.get("postal_code", ""))
        valid.append(
            DebtorRow(
                line=line,
                external_id=external_id,
                kind=kind,
                name=row["name"],
                language=row.get("language") or "en",
                timezone=zone,
                timezone_source=source,
                region=region,
                country=country,
                phone=phone,
                phone_zones=",".join(zones),
                phone_usage=usage,
                email=email,
                address=(*address_cells, country) if any(address_cells) else None,
            )
        )
    kept = _duplicates(valid, report, DEBTORS)
    rejected.update(row.external_id for row in valid if row.external_id not in kept)
    return kept, rejected


def _collectors(usernames: set[str]) -> dict[str, tuple[int, str]]:
    """username -> (id, reason it cannot hold accounts or '')."""
    found: dict[str, tuple[int, str]] = {}
    for batch in chunks(sorted(usernames)):
        for user in User.objects.filter(username__in=batch).only("id", "username", "role", "is_active"):
            reason = "" if may_hold_accounts(user) else f"{user.username} is not an active collector"
            found[user.username] = (user.id, reason)
    return found


def existing_by_external_id(model, external_ids, fields: tuple[str, ...]) -> dict[str, dict]:
    """Rows of `model` already stored for these external ids, chunked so no query grows unbounded."""
    found: dict[str, dict] = {}
    for batch in chunks(sorted(external_ids)):
        for row in model.objects.filter(external_id__in=batch).values("id", "external_id", *fields):
            found[row["external_id"]] = row
    return found


def accounts_read(
    bundle: Bundle, report: ImportReport, debtors: dict[str, DebtorRow], rejected_debtors: set[str], dates: DateParser
) -> tuple[dict[str, AccountRow], set[str], dict[str, dict], dict[str, dict]]:
    """Valid account rows, rejected external ids, and the stored accounts and debtors they name
    (the stored accounts with what accounts_write compares)."""
    parsed: list[tuple[AccountRow, list, str]] = []
    rejected: set[str] = set()
    for line, row, problem in bundle.rows(ACCOUNTS):
        problems = [("*", problem)] if problem else []
        _check(problems, "external_id", required, row["external_id"], "an external id")
        _check(problems, "debtor_external_id", required, row["debtor_external_id"], "the debtor's external id")
        _check(problems, "creditor", required, row["creditor"], "the creditor's name")
        _lengths(problems, row, {"external_id": 100, "creditor": 200, "product": 100, "segment": 100})
        currency = row["currency"]
        if not is_currency(currency):
            problems.append(("currency", f"'{currency}' is not an ISO 4217 currency code (like USD)"))
        opened_on = _check(problems, "opened_on", dates, row["opened_on"])
        placed_on = _check(problems, "placed_on", dates, row["placed_on"]) if row.get("placed_on") else None
        account = AccountRow(
            line,
            row["external_id"],
            row["debtor_external_id"],
            row["creditor"],
            currency,
            opened_on,
            placed_on,
            row.get("product", ""),
            row.get("segment", ""),
            None,
        )
        parsed.append((account, problems, row.get("collector", "")))
    usernames = {username for _, _, username in parsed if username}
    collectors = _collectors(usernames)
    stored = existing_by_external_id(
        Account,
        [a.external_id for a, _, _ in parsed],
        ("debtor__external_id", "creditor__name", "currency", *_ACCOUNT_FIELDS, "assigned_to_id"),
    )
    elsewhere = {a.debtor_external_id for a, _, _ in parsed} - set(debtors) - rejected_debtors
    stored_debtors = existing_by_external_id(Debtor, elsewhere, ())
    valid: list[AccountRow] = []
    for account, problems, username in parsed:
        if username:
            user_id, reason = collectors.get(username, (None, f"no user named {username}"))
            if reason:
                problems.append(("collector", reason))
            account.collector_id = user_id
        debtor = account.debtor_external_id
        if debtor in rejected_debtors:
            problems.append(("debtor_external_id", f"references rejected debtor {debtor}"))
        elif debtor and debtor not in debtors and debtor not in stored_debtors:
            problems.append(("debtor_external_id", f"debtor {debtor} is neither in debtors.csv nor already imported"))
        before = stored.get(account.external_id)
        if before is not None:
            # Who owes whom in which currency is what the ledger is about: an import does not move it.
            for column, now, then in (
                ("debtor_external_id", debtor, before["debtor__external_id"]),
                ("creditor", account.creditor, before["creditor__name"]),
                ("currency", account.currency, before["currency"]),
            ):
                if now and now != then:
                    problems.append((column, f"already imported with {column} {then}; it cannot change"))
        if problems:
            report.reject(ACCOUNTS, account.line, problems)
            rejected.add(account.external_id)
        else:
            valid.append(account)
    kept = _duplicates(valid, report, ACCOUNTS)
    rejected.update(a.external_id for a in valid if a.external_id not in kept)
    return kept, rejected, stored, stored_debtors


def _creditors_ensure(names: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for batch in chunks(sorted(names)):
        ids.update(Creditor.objects.filter(name__in=batch).values_list("name", "id"))
    missing = sorted(names - set(ids))
    now = timezone.now()
    ids.update(zip(missing, rows_insert(Creditor, ["name", "created_at"], [(n, now) for n in missing]), strict=True))
    return ids


def debtors_write(debtors: dict[str, DebtorRow], report: ImportReport, dry_run: bool) -> dict[str, int]:
    """Create new debtors, update changed ones (with new contacts and address); return ids by external id."""
    stored = existing_by_external_id(Debtor, debtors, _DEBTOR_FIELDS)
    contacts: dict[int, set[tuple[str, str]]] = {}
    addresses: dict[int, tuple] = {}
    stored_ids = [row["id"] for row in stored.values()]
    for batch in chunks(stored_ids):
        for debtor_id, kind, value in ContactPoint.objects.filter(debtor_id__in=batch).values_list(
            "debtor_id", "kind", "value"
        ):
            contacts.setdefault(debtor_id, set()).add((kind, value))
        for row in Address.objects.filter(debtor_id__in=batch, is_primary=True).values_list(
            "debtor_id", "line1", "city", "region", "postal_code", "country"
        ):
            addresses[row[0]] = row[1:]
    now = timezone.now()
    new_rows, changed, new_contacts, new_addresses, demote = [], [], [], [], []
    for row in debtors.values():
        before = stored.get(row.external_id)
        if before is not None and not row.timezone:
            # Nothing to derive a zone from now: keep the one on file (given earlier, or set by hand).
            row.timezone, row.timezone_source = before["timezone"], before["timezone_source"]
        values = tuple(getattr(row, name) for name in _DEBTOR_FIELDS)
        have = contacts.get(before["id"], set()) if before else set()
        points = [
            (kind, value, usage, zones)
            for kind, value, usage, zones in (
                (ContactKind.PHONE, row.phone, row.phone_usage, row.phone_zones),
                (ContactKind.EMAIL, row.email, ContactUsage.OTHER, ""),
            )
            if value and (kind, value) not in have
        ]
        if before is None:
            new_rows.append((row, values, points))
            report.count(DEBTORS, "created")
            continue
        debtor_id = before["id"]
        new_address = row.address is not None and addresses.get(debtor_id) != row.address
        if values == tuple(before[name] for name in _DEBTOR_FIELDS) and not points and not new_address:
            report.count(DEBTORS, "unchanged")
            continue
        report.count(DEBTORS, "updated")
        changed.append(Debtor(id=debtor_id, updated_at=now, **dict(zip(_DEBTOR_FIELDS, values, strict=True))))
        new_contacts.extend((debtor_id, *point) for point in points)
        if new_address:
            demote.append(debtor_id)
            new_addresses.append((debtor_id, *row.address))
    ids = {external_id: row["id"] for external_id, row in stored.items()}
    if dry_run:
        return ids
    stamp = copy_value(now)
    created = rows_insert(
        Debtor,
        ["external_id", *_DEBTOR_FIELDS, "created_at", "updated_at"],
        [(row.external_id, *values, stamp, stamp) for row, values, _ in new_rows],
    )
    for (row, _, points), debtor_id in zip(new_rows, created, strict=True):
        ids[row.external_id] = debtor_id
        new_contacts.extend((debtor_id, *point) for point in points)
        if row.address is not None:
            new_addresses.append((debtor_id, *row.address))
    Debtor.objects.bulk_update(changed, [*_DEBTOR_FIELDS, "updated_at"], batch_size=1000)
    for batch in chunks(demote):
        Address.objects.filter(debtor_id__in=batch).update(is_primary=False)
    rows_insert(
        ContactPoint,
        ["debtor_id", "kind", "value", "usage", "timezone", "source", "consent_autodial", "opted_out"]
        + ["debtor_used", "is_primary", "created_at"],
        [
            (debtor_id, kind, value, usage, zones, "creditor", False, False, False, False, stamp)
            for debtor_id, kind, value, usage, zones in new_contacts
        ],
    )
    rows_insert(
        Address,
        ["debtor_id", "line1", "line2", "city", "region", "postal_code", "country", "is_primary"],
        [
            (debtor_id, line1, "", city, region, postal, country, True)
            for debtor_id, line1, city, region, postal, country in new_addresses
        ],
    )
    return ids


def _new_state(account_id: int | None, row: AccountRow) -> dict:
    return {
        "new": True,
        "id": account_id,
        "currency": row.currency,
        "balance": ZERO,
        "unapplied_credit": ZERO,
        "status": AccountStatus.ACTIVE,
    }


class NewAccounts:
    """The new accounts of an import, written with the caches their money rows give.

    On PostgreSQL their ids are reserved up front and each row waits until its money rows are
    planned, so it is inserted once with its final balance and status: inserting it first and
    updating it afterwards wrote the row and all eleven indexes of the table twice. Elsewhere they
    are inserted at once and their caches updated like a stored account's. The rows wait in
    memory (a tuple per new account) until their chunk of money rows is written.
    """

    def __init__(self, fields: list[str], rows: list[tuple], stamp):
        self._fields = fields
        self._stamp = stamp
        self._waiting: dict[int, tuple] = {}
        if rows and connection.vendor == "postgresql":
            self.ids = ids_reserve(Account, len(rows))
            self._waiting = dict(zip(self.ids, rows, strict=True))
        else:
            self.ids = rows_insert(Account, fields + CACHE_FIELDS, [(*row, *self._opening()) for row in rows])

    def _opening(self) -> tuple:
        return (ZERO, ZERO, None, AccountStatus.ACTIVE, self._stamp)

    def write(self, caches: list[tuple]) -> None:
        """Write these caches (account id, *values of CACHE_FIELDS): a waiting account is inserted
        with them, a stored one (or one written already) is updated."""
        fresh_ids, fresh_rows, written = [], [], []
        for pk, *values in caches:
            row = self._waiting.pop(pk, None)
            if row is None:
                written.append((pk, *values))
            else:
                fresh_ids.append(pk)
                fresh_rows.append((*row, *values))
        rows_insert(Account, self._fields + CACHE_FIELDS, fresh_rows, ids=fresh_ids)
        rows_update(Account, CACHE_FIELDS, written)

    def finish(self) -> None:
        """Insert the accounts that no money row changed, with their opening caches."""
        rest = sorted(self._waiting.items())
        rows = [(*row, *self._opening()) for _, row in rest]
        rows_insert(Account, self._fields + CACHE_FIELDS, rows, ids=[pk for pk, _ in rest])
        self._waiting = {}


def accounts_write(
    accounts: dict[str, AccountRow],
    stored: dict[str, dict],
    debtor_ids: dict[str, int],
    stored_debtors: dict[str, dict],
    report: ImportReport,
    dry_run: bool,
    actor=None,
) -> tuple[dict[str, dict], NewAccounts]:
    """Create new accounts, update descriptive fields and assignments of stored ones (`stored`, as
    accounts_read found them).

    Returns the state of every account of the bundle by external id ({"new", "id", "currency"},
    and for a new one its opening "balance", "unapplied_credit" and "status"; id None for a new
    account in a dry run), for the money rows, and the new accounts, which money_write and then
    their finish() write. A stored account's figures are read when its money rows are written,
    under a lock.
    """
    now = timezone.now()
    new_rows, changed, reassigned = [], [], []
    for row in accounts.values():
        before = stored.get(row.external_id)
        if before is None:
            new_rows.append(row)
            report.count(ACCOUNTS, "created")
            continue
        values = {name: getattr(row, name) for name in _ACCOUNT_FIELDS}
        collector = row.collector_id if row.collector_id is not None else before["assigned_to_id"]
        if values == {name: before[name] for name in _ACCOUNT_FIELDS} and collector == before["assigned_to_id"]:
            report.count(ACCOUNTS, "unchanged")
            continue
        report.count(ACCOUNTS, "updated")
        changed.append(Account(id=before["id"], changed_at=now, **values))
        if collector != before["assigned_to_id"]:
            reassigned.append((before["id"], collector))
    state = {
        row.external_id: {"new": False, "id": stored[row.external_id]["id"], "currency": row.currency}
        for row in accounts.values()
        if row.external_id in stored
    }
    if dry_run:
        state.update((row.external_id, _new_state(None, row)) for row in new_rows)
        return state, NewAccounts(_NEW_ACCOUNT_FIELDS, [], now)
    creditors = _creditors_ensure({row.creditor for row in new_rows})
    actor_id = actor.pk if actor is not None else None
    debtor_ids = {**{k: v["id"] for k, v in stored_debtors.items()}, **debtor_ids}
    stamp = copy_value(now)
    new_accounts = NewAccounts(
        _NEW_ACCOUNT_FIELDS,
        [
            (
                row.external_id,
                debtor_ids[row.debtor_external_id],
                creditors[row.creditor],
                row.currency,
                *(getattr(row, name) for name in _ACCOUNT_FIELDS),
                row.collector_id,
                0,
                stamp,
            )
            for row in new_rows
        ],
        stamp,
    )
    first = []
    for row, account_id in zip(new_rows, new_accounts.ids, strict=True):
        state[row.external_id] = _new_state(account_id, row)
        if row.collector_id is not None:
            first.append((account_id, row.collector_id, stamp, None, AssignmentReason.IMPORT, "", actor_id))
    # A new account has no assignment to close and is written with its collector: its first
    # assignment row is all that assignments_replace would add, so it is written in bulk here
    # (on PostgreSQL before the account row itself: foreign keys are checked at commit).
    rows_insert(
        Assignment, ["account_id", "collector_id", "started_at", "ended_at", "reason", "note", "assigned_by_id"], first
    )
    Account.objects.bulk_update(changed, [*_ACCOUNT_FIELDS, "changed_at"], batch_size=1000)
    assignments_replace(moves=reassigned, reason=AssignmentReason.IMPORT, assigned_by=actor, now=now)
    return state, new_accounts
