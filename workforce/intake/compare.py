"""How one export's standard records compare with the export before: each code's share.

A mapping confirmed once lets next year's export go through by itself, and validation catches
what is malformed row by row. What no row-level rule catches is a file that is valid but
wrong as a whole: last year's export sent again, an extract of the students only, a column
renamed upstream so that every member's answer became ``unknown``. Each code's share of the
records, set beside the previous file's, shows such a file at a glance.

A share cannot show a file that holds the right kind of members but not all of them (one
chapter's extract, a filter left on in the membership system) or holds some twice over (two
years appended), so the number of records is compared too.

`code_counts(records)` is small plain data (a count per code per dimension, and the number
of records), kept with an ingest so that a later one can be compared without rereading
anything; `shifts(now, before)` lists the codes whose share moved by `THRESHOLD_POINTS`
percentage points or more, the largest first; `compare(now, before, file=)` holds both with the
counts, as data and as lines, and says whether the number of records moved by
`RECORDS_CHANGE` or more; `counts_from_records_file` reads the counts of records written
before (`workforce ingest --compare LAST.csv`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workforce.standard import Standard, load_standard

# A share that moves this many percentage points between two exports of one society is worth
# a look: membership changes by a few points a year, a wrong file by tens.
THRESHOLD_POINTS = 10.0
# A file with a quarter more or fewer records than the one before is worth a look too: a
# society grows or shrinks by a few percent a year, an extract or a doubled file by far more.
RECORDS_CHANGE = 0.25


def code_counts(records: pd.DataFrame, standard: Standard | None = None) -> dict:
    """How many records hold each code, per dimension present in ``records``.

    A record of a multi-select dimension counts once for each code it holds, so a
    dimension's shares can add up to more than 1. Blank cells (``us_region`` outside the
    United States) and detail dimensions (``race_ethnicity_detail``) are not counted.
    """
    standard = standard or load_standard()
    separator = standard.multi_separator
    dimensions: dict[str, dict[str, int]] = {}
    for name, dimension in standard.dimensions.items():
        if name not in records.columns or dimension.parent_dimension:
            continue
        cells = records[name].value_counts(sort=False)  # each distinct cell once
        counts: Counter[str] = Counter()
        for cell, rows in cells.items():
            cell = str(cell)
            if not cell or not rows:  # a category no record holds (only rejected rows did)
                continue
            for code in cell.split(separator) if dimension.multi else (cell,):
                counts[code] += int(rows)
        dimensions[name] = dict(sorted(counts.items()))
    return {"records": len(records), "dimensions": dimensions}


@dataclass(frozen=True)
class Shift:
    """One code whose share of the records moved between two exports."""

    dimension: str
    code: str
    before: float  # share of the earlier export's records, 0 to 1
    now: float

    @property
    def points(self) -> float:
        """The change in percentage points (positive: a larger share now)."""
        return (self.now - self.before) * 100


def shifts(now: dict, before: dict, *, threshold: float = THRESHOLD_POINTS) -> list[Shift]:
    """The codes whose share moved by ``threshold`` points or more, the largest move first.

    Only dimensions both exports have are compared: a dimension one of them lacks is a
    change of layout, which the mapping's columns already show.
    """
    if not now.get("records") or not before.get("records"):
        return []
    found = []
    for name, counts_now in now["dimensions"].items():
        counts_before = before["dimensions"].get(name)
        if counts_before is None:
            continue
        for code in sorted(set(counts_now) | set(counts_before)):
            shift = Shift(
                name,
                code,
                counts_before.get(code, 0) / before["records"],
                counts_now.get(code, 0) / now["records"],
            )
            if abs(shift.points) >= threshold - 1e-9:
                found.append(shift)
    return sorted(found, key=lambda shift: (-abs(shift.points), shift.dimension, shift.code))


@dataclass(frozen=True)
class Comparison:
    """An export's records beside the records before: their counts and the codes that moved.

    Like the validation report, it is plain data for `workforce ingest --json` (`summary()`)
    and lines for a person (`lines()`).
    """

    file: str  # what the records before came from
    records_before: int
    records_now: int
    shifts: tuple[Shift, ...]

    @property
    def records_change(self) -> float | None:
        """How much the number of records moved, as a fraction of the records before
        (-0.5: half as many); None when there were none before."""
        if not self.records_before:
            return None
        return (self.records_now - self.records_before) / self.records_before

    @property
    def records_moved(self) -> bool:
        """Whether the number of records moved by `RECORDS_CHANGE` or more."""
        change = self.records_change
        return change is not None and abs(change) >= RECORDS_CHANGE - 1e-9

    @property
    def records_change_words(self) -> str:
        """The change in the number of records in words ("75.0% fewer"), when it moved."""
        if not self.records_moved:
            return ""
        change = self.records_change
        return f"{abs(change):.1%} {'more' if change > 0 else 'fewer'}"

    def summary(self) -> dict:
        change = self.records_change
        return {
            "file": self.file,
            "records_before": self.records_before,
            "records_now": self.records_now,
            "records_change": None if change is None else round(change, 4),
            "records_moved": self.records_moved,
            "shifts": [
                {
                    "dimension": shift.dimension,
                    "code": shift.code,
                    "share_before": round(shift.before, 4),
                    "share_now": round(shift.now, 4),
                    "points": round(shift.points, 1),
                }
                for shift in self.shifts
            ],
        }

    def lines(self) -> list[str]:
        heading = (
            f"Compared with {Path(self.file).name} ({self.records_before:,} records; "
            f"this file {self.records_now:,}):"
        )
        moved = [
            f"  {shift.dimension} {shift.code}: {shift.before:.1%} → {shift.now:.1%} "
            f"({shift.points:+.1f} points)"
            for shift in self.shifts
        ]
        nothing = f"  no code's share moved by {THRESHOLD_POINTS:.0f} points or more"
        counted = [
            f"  records: {self.records_change_words} than before, "
            "where a membership changes by a few percent a year"
        ]
        return [heading, *(counted if self.records_moved else []), *(moved or [nothing])]


def compare(now: dict, before: dict, *, file: str) -> Comparison:
    """`now`'s code counts beside `before`'s, which came from `file`."""
    return Comparison(file, before["records"], now["records"], tuple(shifts(now, before)))


def counts_from_records_file(path: Path) -> dict:
    """`code_counts` of a standard records CSV, as `workforce ingest --out` writes it."""
    from workforce.intake.errors import IntakeError

    try:
        records = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise IntakeError(f"{path.name}: no such file to compare with") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "empty"
        raise IntakeError(f"{path.name}: not a standard records CSV ({reason})") from None
    standard = load_standard()
    if not set(records.columns) & {
        name for name, dimension in standard.dimensions.items() if not dimension.parent_dimension
    }:
        raise IntakeError(
            f"{path.name}: not a standard records CSV (none of its columns is a dimension "
            "of the standard, such as gender or career_stage)"
        )
    return code_counts(records, standard)
