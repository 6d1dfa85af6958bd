"""What an import did: counts per file and outcome, and every rejected row with its reasons."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .bundle import FILE_NAMES

OUTCOMES = ("created", "updated", "unchanged", "rejected")


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    line: int
    column: str
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


@dataclass
class ImportReport:
    dry_run: bool = False
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {name: dict.fromkeys(OUTCOMES, 0) for name in FILE_NAMES}
    )
    rejections: list[Rejection] = field(default_factory=list)

    def count(self, file: str, outcome: str, n: int = 1) -> None:
        self.counts[file][outcome] += n

    def reject(self, file: str, line: int, problems: list[tuple[str, str]]) -> None:
        """One rejected row (counted once) with each of its (column, reason) problems."""
        self.counts[file]["rejected"] += 1
        self.rejections.extend(Rejection(file, line, column, reason) for column, reason in problems)

    @property
    def rejected(self) -> int:
        return sum(counts["rejected"] for counts in self.counts.values())

    def sorted_rejections(self) -> list[Rejection]:
        order = {name: index for index, name in enumerate(FILE_NAMES)}
        return sorted(self.rejections, key=lambda r: (order[r.file], r.line))

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "counts": self.counts, "rejected": self.rejected}


def unique_rows(rows: list, file: str, report: ImportReport, *, key: Callable, line: Callable, scope: str = "") -> list:
    """Rows whose external id (`key`) appears once; every copy of a repeated one is rejected."""
    if len({key(row) for row in rows}) == len(rows):
        return rows  # the usual case, checked without building the lines of each id
    lines: dict[str, list[int]] = {}
    for row in rows:
        lines.setdefault(key(row), []).append(line(row))
    kept = []
    for row in rows:
        seen = lines[key(row)]
        if len(seen) > 1:
            where = ", ".join(str(n) for n in seen)
            report.reject(
                file, line(row), [("external_id", f"{key(row)} appears more than once{scope} (lines {where})")]
            )
        else:
            kept.append(row)
    return kept
