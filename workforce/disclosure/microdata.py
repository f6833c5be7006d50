"""Record-level exports: k-anonymity and l-diversity over the quasi-identifiers.

A table of counts can be suppressed cell by cell; a file of records cannot, because every
record carries its own combination of race and ethnicity, gender, career stage, society.
Anyone who knows those facts about a colleague (the quasi-identifiers) can find the
colleague's record if few records share them, and read whatever else the record says.
Before any microdata leaves, two checks run over the chosen quasi-identifiers:

- **k-anonymity**: the records sharing one combination of quasi-identifier values (an
  equivalence class) number at least ``k``, so a known colleague is one of at least ``k``.
- **distinct l-diversity**: each equivalence class holds at least ``l`` distinct values of
  the sensitive attribute, so being in the class does not reveal the attribute.

Both checks report every failing class with its values, its size and the rows of its
records; nothing is dropped or changed silently. `suppress_failing` is the explicit, opt-in
repair: it blanks the quasi-identifiers of the failing records (it never drops a record) and
says in sentences what it did and whether the result now passes.

Values are compared as text (`workforce.stats.categories.category_text`), so ``1``, ``1.0``
and ``"1"`` are one value. A blank (missing, empty or only spaces) is a value of its own:
records with a blank gender share a class with each other, not with any gender, because a
blank is something a reader of the file sees and can match on.

Rows are reported twice: ``rows`` are 0-based positions in the frame (``data.iloc``), and
``lines`` are the spreadsheet rows of a file with one header row (position + 2), which is
what a data steward sees when opening the export.

Vectorized: each column is factorized once, the classes are integer keys, the class sizes a
``bincount``. A million records over race and ethnicity, gender and career stage take about
0.1 s; adding society and birth year (135,000 failing classes to list) about 1 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workforce.disclosure.errors import DisclosureError
from workforce.stats.categories import category_text

BLANK_LABEL = "(blank)"


@dataclass(frozen=True)
class EquivalenceClass:
    """Records sharing one combination of quasi-identifier values."""

    values: dict[str, str]
    size: int
    rows: list[int]
    # Only the l-diversity check counts distinct sensitive values; None otherwise.
    distinct_values: int | None = None

    @property
    def lines(self) -> list[int]:
        return [row + 2 for row in self.rows]

    def describe(self) -> str:
        """The values as a reader would write them, a blank shown as ``(blank)``."""
        return ", ".join(
            f"{column} = {_shown(value)}" for column, value in self.values.items()
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "values": dict(self.values),
            "size": self.size,
            "rows": list(self.rows),
            "lines": self.lines,
        }
        if self.distinct_values is not None:
            out["distinct_values"] = self.distinct_values
        return out


class _FailingClasses:
    """What both record checks share: passing means no failing class; lines as a sheet shows."""

    failing_classes: list[EquivalenceClass]
    failing_records: list[int]

    @property
    def passed(self) -> bool:
        return not self.failing_classes

    @property
    def failing_lines(self) -> list[int]:
        return [row + 2 for row in self.failing_records]


@dataclass(frozen=True)
class KAnonymityReport(_FailingClasses):
    """Whether every equivalence class has at least ``k`` records, and which do not."""

    k: int
    quasi_identifiers: tuple[str, ...]
    records: int
    classes: int
    smallest_class: int | None
    failing_classes: list[EquivalenceClass] = field(default_factory=list)
    failing_records: list[int] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """What the check found, one sentence per failing class, for the data steward."""
        columns = ", ".join(self.quasi_identifiers)
        if self.passed:
            return [
                f"Every combination of {columns} is shared by at least {self.k} records "
                f"({self.records} records in {self.classes} combinations)."
            ]
        head = (
            f"{_counted(len(self.failing_classes), 'combination')} of {columns} "
            f"shared by fewer than {self.k} records: "
            f"{_counted(len(self.failing_records), 'record')} could identify the people "
            "in them."
        )
        return [head] + [
            f"{group.describe()}: {_counted(group.size, 'record')} "
            f"({_row_list(group.lines)})."
            for group in self.failing_classes
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": "k-anonymity",
            "passed": self.passed,
            "k": self.k,
            "quasi_identifiers": list(self.quasi_identifiers),
            "records": self.records,
            "classes": self.classes,
            "smallest_class": self.smallest_class,
            "failing_classes": [group.as_dict() for group in self.failing_classes],
            "failing_records": list(self.failing_records),
            "failing_lines": self.failing_lines,
        }


@dataclass(frozen=True)
class LDiversityReport(_FailingClasses):
    """Whether every equivalence class holds at least ``l`` distinct sensitive values."""

    l: int  # noqa: E741 - the letter is the name of the measure
    quasi_identifiers: tuple[str, ...]
    sensitive: str
    records: int
    classes: int
    least_diverse_class: int | None
    failing_classes: list[EquivalenceClass] = field(default_factory=list)
    failing_records: list[int] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """What the check found, one sentence per failing class, for the data steward."""
        columns = ", ".join(self.quasi_identifiers)
        if self.passed:
            return [
                f"Every combination of {columns} holds at least {self.l} distinct values of "
                f"{self.sensitive} ({self.records} records in {self.classes} combinations)."
            ]
        head = (
            f"{_counted(len(self.failing_classes), 'combination')} of {columns} with fewer "
            f"than {self.l} distinct values of {self.sensitive}: anyone who knows a "
            f"colleague's {columns} could learn their {self.sensitive}."
        )
        return [head] + [
            f"{group.describe()}: {_counted(group.size, 'record')} with "
            f"{_counted(group.distinct_values or 0, 'distinct value')} "
            f"({_row_list(group.lines)})."
            for group in self.failing_classes
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": "distinct l-diversity",
            "passed": self.passed,
            "l": self.l,
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": self.sensitive,
            "records": self.records,
            "classes": self.classes,
            "least_diverse_class": self.least_diverse_class,
            "failing_classes": [group.as_dict() for group in self.failing_classes],
            "failing_records": list(self.failing_records),
            "failing_lines": self.failing_lines,
        }


def check_k_anonymity(
    data: pd.DataFrame, quasi_identifiers: list[str], k: int = 5
) -> KAnonymityReport:
    """Every equivalence class over `quasi_identifiers` smaller than `k`, with its records.

    A blank quasi-identifier is a value of its own (see the module docstring). The report
    passes when no class is smaller than `k`; an empty file passes with no classes.
    """
    columns = _checked_columns(data, quasi_identifiers)
    _check_threshold(k, "k", "records per combination")
    key, texts, codes = _class_keys(data, columns)
    sizes = np.bincount(key, minlength=_class_count(key))
    failing = np.flatnonzero(sizes < k)
    return KAnonymityReport(
        k=k,
        quasi_identifiers=tuple(columns),
        records=len(data),
        classes=len(sizes),
        smallest_class=int(sizes.min()) if len(sizes) else None,
        failing_classes=_classes(key, failing, sizes, columns, texts, codes),
        failing_records=np.flatnonzero(sizes[key] < k).tolist(),
    )


def check_l_diversity(
    data: pd.DataFrame, quasi_identifiers: list[str], sensitive: str, l: int = 2  # noqa: E741
) -> LDiversityReport:
    """Every equivalence class with fewer than `l` distinct values of `sensitive`.

    A blank sensitive value does not count as one of the `l`: it tells a reader nothing
    about what the other records hold, so a class of "disabled" and blanks reveals as much
    about its known members as a class of "disabled" alone. (Blank quasi-identifiers still
    form classes of their own, as in `check_k_anonymity`.)
    """
    columns = _checked_columns(data, quasi_identifiers)
    _check_column(data, sensitive, "sensitive attribute")
    if sensitive in columns:
        raise DisclosureError(
            f"column {sensitive!r} is both a quasi-identifier and the sensitive attribute; "
            "every combination would hold one value of it, so the check could never pass"
        )
    _check_threshold(l, "l", "distinct sensitive values per combination")
    key, texts, codes = _class_keys(data, columns)
    n_classes = _class_count(key)
    sizes = np.bincount(key, minlength=n_classes)
    sensitive_codes, sensitive_text = _column_codes(data[sensitive])
    # The appended blank guarantees exactly one code for blank sensitive values.
    answered = sensitive_codes != int(np.flatnonzero(sensitive_text == "")[0])
    pairs = key[answered] * len(sensitive_text) + sensitive_codes[answered]
    distinct = np.bincount(pd.unique(pairs) // len(sensitive_text), minlength=n_classes)
    failing = np.flatnonzero(distinct < l)
    return LDiversityReport(
        l=l,
        quasi_identifiers=tuple(columns),
        sensitive=sensitive,
        records=len(data),
        classes=n_classes,
        least_diverse_class=int(distinct.min()) if n_classes else None,
        failing_classes=_classes(key, failing, sizes, columns, texts, codes, distinct),
        failing_records=np.flatnonzero(distinct[key] < l).tolist(),
    )


def suppress_failing(
    data: pd.DataFrame, report: KAnonymityReport | LDiversityReport
) -> tuple[pd.DataFrame, list[str]]:
    """A copy of `data` with the quasi-identifiers of the failing records blanked.

    Opt-in and never called by the checks: blanking changes what the file says, and the
    data steward decides whether a blanked record is better than a withheld file. No record
    is dropped. The sentences say which columns were blanked in which rows and what the same
    check says afterwards: the blanked records form one class of their own (all blank), which
    can itself be too small when few records failed.
    """
    if report.records != len(data):
        raise DisclosureError(
            f"the report was made on {report.records} records but the data has {len(data)}; "
            "run the check again on this data before suppressing"
        )
    columns = _checked_columns(data, list(report.quasi_identifiers))
    out = data.copy()
    rows = np.asarray(report.failing_records, dtype=np.int64)
    if not len(rows):
        return out, ["Nothing was blanked: " + report.sentences()[0]]
    for column in columns:
        position = out.columns.get_loc(column)
        if not _holds_missing(out[column]):
            # An integer or boolean column cannot hold a blank; as object it keeps its
            # values unchanged and takes a missing value where blanked.
            out[column] = out[column].astype(object)
        out.iloc[rows, position] = None
    after = (
        check_k_anonymity(out, columns, report.k)
        if isinstance(report, KAnonymityReport)
        else check_l_diversity(out, columns, report.sensitive, report.l)
    )
    done = (
        f"Blanked {', '.join(columns)} in {_counted(len(rows), 'record')} "
        f"({_row_list(report.failing_lines)}) because "
        + (
            f"their combination was shared by fewer than {report.k} records."
            if isinstance(report, KAnonymityReport)
            else f"their combination held fewer than {report.l} distinct values of "
            f"{report.sensitive}."
        )
    )
    if after.passed:
        return out, [done, "After blanking, the check passes: " + after.sentences()[0]]
    return out, [done, "After blanking, the check still fails:", *after.sentences()]


def _checked_columns(data: pd.DataFrame, quasi_identifiers: Sequence[str]) -> list[str]:
    if isinstance(quasi_identifiers, str):
        # A bare string would otherwise be read letter by letter as column names.
        quasi_identifiers = [quasi_identifiers]
    columns = list(quasi_identifiers)
    if not columns:
        raise DisclosureError(
            "no quasi-identifiers were given; name the columns a reader could know about a "
            "colleague (for example race_ethnicity, gender, career_stage)"
        )
    for column in columns:
        _check_column(data, column, "quasi-identifier")
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise DisclosureError(f"quasi-identifier {repeated[0]!r} is listed more than once")
    return columns


def _check_column(data: pd.DataFrame, column: str, role: str) -> None:
    if column not in data.columns:
        known = ", ".join(repr(str(name)) for name in data.columns)
        raise DisclosureError(
            f"{role} column {column!r} is not in the data; its columns are {known}"
        )


def _check_threshold(value: Any, name: str, meaning: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise DisclosureError(
            f"{name} = {value!r} is not a whole number of at least 1 ({name} is the least "
            f"number of {meaning})"
        )


def _column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """An integer code per record and the text of each code; every blank shares one code.

    Factorizing first and turning only the distinct values into text keeps this fast on
    a million records; the second factorize merges values that differ only before
    normalizing (``1`` and ``"1"``, ``" postdoc"`` and ``"postdoc"``).
    """
    raw_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = category_text(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    text = np.append(text.to_numpy(dtype=object), "")
    # Missing values come back as -1, which indexes the appended blank.
    canonical, canonical_text = pd.factorize(text)
    return canonical[raw_codes].astype(np.int64), np.asarray(canonical_text, dtype=object)


def _class_keys(
    data: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The equivalence class of each record as a dense integer key, 0 .. classes - 1."""
    key = np.zeros(len(data), dtype=np.int64)
    texts, codes = [], []
    for column in columns:
        column_codes, text = _column_codes(data[column])
        # Re-factorizing after each column keeps the key below the number of records, so
        # the mixed-radix product cannot overflow however many columns there are.
        key, _ = pd.factorize(key * len(text) + column_codes)
        texts.append(text)
        codes.append(column_codes)
    return key.astype(np.int64), texts, codes


def _class_count(key: np.ndarray) -> int:
    return int(key.max()) + 1 if len(key) else 0


def _classes(
    key: np.ndarray,
    failing: np.ndarray,
    sizes: np.ndarray,
    columns: list[str],
    texts: list[np.ndarray],
    codes: list[np.ndarray],
    distinct: np.ndarray | None = None,
) -> list[EquivalenceClass]:
    """The failing classes, smallest first, each with its values and record rows."""
    if not len(failing):
        return []
    is_failing = np.zeros(len(sizes), dtype=bool)
    is_failing[failing] = True
    rows = np.flatnonzero(is_failing[key])
    # A stable sort keeps each class's rows in file order.
    rows = rows[np.argsort(key[rows], kind="stable")]
    starts = np.concatenate(([0], np.cumsum(sizes[failing])[:-1]))
    first_rows = rows[starts]
    values = [text[code[first_rows]].tolist() for text, code in zip(texts, codes, strict=True)]
    # Python lists and slices: building a hundred thousand small classes from NumPy
    # splits costs several times more.
    row_list, bounds = rows.tolist(), np.append(starts, len(rows)).tolist()
    class_sizes = sizes[failing].tolist()
    class_distinct = None if distinct is None else distinct[failing].tolist()
    found = [
        EquivalenceClass(
            values=dict(zip(columns, class_values, strict=True)),
            size=class_sizes[i],
            rows=row_list[bounds[i] : bounds[i + 1]],
            distinct_values=None if class_distinct is None else class_distinct[i],
        )
        for i, class_values in enumerate(zip(*values, strict=True))
    ]
    found.sort(key=lambda group: (group.size, group.rows[0]))
    return found


def _holds_missing(values: pd.Series) -> bool:
    # NumPy integers and booleans have no missing value; pandas' nullable types do.
    return not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub")


def _shown(value: str) -> str:
    return BLANK_LABEL if value == "" else repr(value)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _row_list(lines: list[int], shown: int = 20) -> str:
    """Spreadsheet rows for a sentence; the report itself keeps every row."""
    word = "spreadsheet row" if len(lines) == 1 else "spreadsheet rows"
    listed = ", ".join(str(line) for line in lines[:shown])
    more = f" and {len(lines) - shown} more" if len(lines) > shown else ""
    return f"{word} {listed}{more}"
