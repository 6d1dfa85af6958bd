"""Opening a portfolio bundle (a folder, or a .zip of one) and reading its CSV files row by row."""

import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

# Columns of each file (FORMATS.md): required ones first, then the optional ones.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "debtors.csv": (
        ("external_id", "kind", "name"),
        ("email", "phone", "address_line1", "city", "region", "postal_code", "country", "timezone", "language"),
    ),
    "accounts.csv": (
        ("external_id", "debtor_external_id", "creditor", "currency", "opened_on"),
        ("placed_on", "product", "segment", "collector"),
    ),
    "invoices.csv": (("external_id", "account_external_id", "issued_on", "due_on", "amount"), ("description",)),
    "payments.csv": (
        ("external_id", "account_external_id", "received_on", "amount"),
        ("method", "invoice_external_id"),
    ),
    "adjustments.csv": (
        ("external_id", "account_external_id", "posted_on", "amount", "kind"),
        ("invoice_external_id",),
    ),
}
FILE_NAMES = tuple(COLUMNS)
REQUIRED_FILES = ("debtors.csv", "accounts.csv")


class BundleError(Exception):
    """The bundle cannot be read at all (no file, not UTF-8, a required column missing): nothing is imported."""


def text_problem(name: str, raw) -> str:
    """Why a CSV file is not UTF-8 text, or '' when it is; an upload is checked before it is stored."""
    for number, data in enumerate(raw, start=1):
        if b"\x00" in data:
            return (
                f"{name}: line {number} holds a NUL byte, so it is not a CSV text file "
                "(a UTF-16 or binary file?). Save it as CSV UTF-8 and upload it again."
            )
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{name}: line {number} is not UTF-8 text (byte {exc.start + 1}); save the file as CSV UTF-8."
    return ""


class Bundle:
    """The CSV files of one bundle, read from a folder or straight out of a zip (never extracted)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if not self.path.exists():
            raise BundleError(f"{self.path}: no such file or folder.")
        if self.path.is_dir():
            self._members = {name: str(self.path / name) for name in FILE_NAMES if (self.path / name).is_file()}
        elif self.path.suffix.lower() == ".zip":
            self._open_zip()
        else:
            raise BundleError(f"{self.path}: not a bundle; give a folder of CSV files or a .zip of one.")
        missing = [name for name in REQUIRED_FILES if name not in self._members]
        if missing:
            raise BundleError(f"{self.path}: the bundle has no {' and no '.join(missing)} (required).")

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(f"{self.path}: not a readable zip file ({exc}).")
        folders: dict[str, set[str]] = {}
        for member in self._zip.namelist():
            posix = PurePosixPath(member)
            # Archivers add resource forks and hidden files that are not part of the bundle.
            if member.endswith("/") or any(part.startswith((".", "__MACOSX")) for part in posix.parts):
                continue
            if posix.name in COLUMNS:
                folders.setdefault(str(posix.parent), set()).add(posix.name)
                self._members.setdefault(posix.name, member)
        holding = [folder for folder, names in folders.items() if "debtors.csv" in names]
        if len(holding) > 1:
            raise BundleError(f"{self.path}: the zip holds more than one bundle ({', '.join(sorted(holding))}).")
        if holding:
            # Only the files next to debtors.csv belong to the bundle.
            folder = holding[0]
            self._members = {
                name: (name if folder == "." else f"{folder}/{name}") for name in folders[folder] if name in COLUMNS
            }

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, name: str) -> bool:
        return name in self._members

    def size(self, name: str) -> int:
        if name not in self._members:
            return 0
        if self._zip is not None:
            return self._zip.getinfo(self._members[name]).file_size
        return Path(self._members[name]).stat().st_size

    def _binary(self, name: str):
        if self._zip is not None:
            return self._zip.open(self._members[name])
        return open(self._members[name], "rb")  # noqa: SIM115 - closed by rows()

    def _lines(self, name: str, raw) -> Iterator[str]:
        """Decode line by line, so that a bad byte is reported on its own line."""
        for number, data in enumerate(raw, start=1):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BundleError(
                    f"{name}: line {number} is not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8."
                )
            if "\x00" in text:
                raise BundleError(f"{name}: line {number} holds a NUL byte; this is not a CSV text file.")
            if number == 1 and text.startswith("\ufeff"):  # Excel's byte-order mark
                text = text[1:]
            yield text

    def rows(self, name: str) -> Iterator[tuple[int, dict[str, str], str]]:
        """Yield (line number, cells by column, problem) for each data row; problem is '' when none.

        The line number is the row's first physical line, as a spreadsheet shows it. Missing
        trailing cells read as empty; extra cells make the row's problem.
        """
        required, optional = COLUMNS[name]
        with self._binary(name) as raw:
            reader = csv.reader(self._lines(name, raw))
            try:
                header = [cell.strip() for cell in next(reader)]
            except StopIteration:
                raise BundleError(f"{name}: the file is empty; it needs a header row.")
            except csv.Error as exc:
                raise BundleError(f"{name}: line 1: the header row is not valid CSV ({exc}).")
            duplicated = sorted({column for column in header if column and header.count(column) > 1})
            if duplicated:
                raise BundleError(f"{name}: line 1: column {', '.join(duplicated)} appears more than once.")
            missing = [column for column in required if column not in header]
            if missing:
                raise BundleError(f"{name}: line 1: missing required column {', '.join(missing)}.")
            known = [(index, column) for index, column in enumerate(header) if column in required + optional]
            width = len(header)
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise BundleError(f"{name}: line {start}: not valid CSV ({exc}).")
                line = reader.line_num
                if not cells or all(not cell.strip() for cell in cells):
                    continue
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                row = {column: cells[index].strip() for index, column in known}
                problem = ""
                if len(cells) > width:
                    problem = f"the row has {len(cells)} cells but the header has {width}"
                yield start, row, problem
