"""What an import did: counts per file and outcome, and every rejected row with its reasons."""

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
