"""The validation report of one ingested file: rows read, accepted, rejected, every problem.

A problem names the row as a person sees it in the file (the header is row 1 of a CSV; a
spreadsheet's own row numbers; an SPSS or Stata case number), the column and the value, and
says what intake did about it: rejected the row, or kept the row with the value `unknown`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

REJECTED = "rejected"
SET_UNKNOWN = "set to unknown"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one row: where, what, and what intake did about it."""

    row: int
    column: str
    value: str
    kind: str
    message: str
    action: str

    def as_dict(self) -> dict:
        """The problem as plain data: `dataclasses.asdict` without its deep copy (every field
        is a str or an int), which took most of the time of a report with many problems."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "kind": self.kind,
            "message": self.message,
            "action": self.action,
        }

    def describe(self, source: str) -> str:
        column = f", column {self.column!r}" if self.column else ""
        return f"{source}, row {self.row}{column}: {self.message} ({self.action})"


PROBLEM_COLUMNS = ["row", "column", "value", "kind", "message", "action"]


def empty_problems() -> pd.DataFrame:
    """A problem table without problems: `PROBLEM_COLUMNS`, row an integer, the rest text."""
    frame = pd.DataFrame({name: pd.Series([], dtype="str") for name in PROBLEM_COLUMNS})
    frame["row"] = frame["row"].astype(np.int64)
    return frame


@dataclass(eq=False)
class IngestReport:
    """What happened to every row of one file; accepted + rejected == rows_read.

    The problems are a table, one row per problem in file order (`PROBLEM_COLUMNS`), since a
    messy export may have tens of thousands; `problems` gives them as `Problem` objects.
    (Reports compare by identity: compare their `summary()` to compare their contents.)
    """

    source: str
    sha256: str
    org: str
    year: int
    mapping_version: int
    rows_read: int
    accepted: int
    rejected: int
    problem_table: pd.DataFrame = field(default_factory=empty_problems)
    notes: list[str] = field(default_factory=list)

    @cached_property
    def problems(self) -> list[Problem]:
        return self._problems(len(self.problem_table))

    def _problems(self, limit: int) -> list[Problem]:
        head = self.problem_table.iloc[:limit]
        return [
            Problem(int(row), column, value, kind, message, action)
            for row, column, value, kind, message, action in zip(
                *(head[name].tolist() for name in PROBLEM_COLUMNS), strict=True
            )
        ]

    def counts(self) -> dict[str, int]:
        counted = self.problem_table["kind"].value_counts(sort=False)
        return {str(kind): int(count) for kind, count in sorted(counted.items())}

    def summary(self) -> dict:
        """The report as plain data (what `--json` prints), problems included."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "org": self.org,
            "year": self.year,
            "mapping_version": self.mapping_version,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "problem_counts": self.counts(),
            "notes": list(self.notes),
            "problems": [problem.as_dict() for problem in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2, ensure_ascii=False)

    def problems_frame(self) -> pd.DataFrame:
        return self.problem_table.copy()

    def lines(self, limit: int = 20) -> list[str]:
        """A person's reading of the report: totals, then the first problems."""
        result = [
            f"{self.source}: {self.rows_read:,} rows read, {self.accepted:,} accepted, "
            f"{self.rejected:,} rejected"
        ]
        result += [f"  note: {note}" for note in self.notes]
        for kind, count in self.counts().items():
            result.append(f"  {kind.replace('_', ' ')}: {count:,}")
        result += [f"  {problem.describe(self.source)}" for problem in self._problems(limit)]
        total = len(self.problem_table)
        if total > limit:
            result.append(f"  ... {total - limit:,} more problems in the report")
        return result
