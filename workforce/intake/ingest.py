"""Apply a confirmed mapping to a read export: standard records, rejects and a report.

Every mapped column is decided once per distinct value and the results are spread back over
the rows with numpy/Arrow, so the per-row cost is a few vectorized passes per column, never a
Python loop over rows. Nothing is lost: each row read is either an accepted standard record
or a reject with its reason.

The records hold each coded column as a pandas categorical: every distinct code once, and a
small integer per record. Their text is spelled out only where it is written
(`workforce.intake.files.write_outputs`), once for all the columns that share it (the many
that are ``unknown`` throughout). The decided source columns are best read as categoricals
too (`decided_columns`, `read_source(categorical=...)`): the parser then finds their
distinct values as it reads. A CSV need hold no other column (`read_columns`,
`read_source(columns=...)`): the rows shown whole, the rejects and the rows whose member ID
repeats, come from `SourceTable.whole_rows`.

Row rules (each reported by row, column and value):
- a blank member ID rejects the row;
- exact duplicate rows (every cell equal): the first is kept, the copies rejected;
- distinct rows sharing a member ID: all of them rejected, since no one can tell whose
  answers are whose;
- a multi-select answer that is `declined` or `unknown` beside a category is contradictory:
  rejected;
- an impossible or unreadable birth year or age keeps the row with age_band `unknown`;
- a value the mapping has not decided stops the whole file (`MappingIncomplete`), or with
  ``unmapped="reject"`` rejects its rows.

Provenance (source file SHA-256, mapping version, source row) is returned as a sidecar table
keyed by record_id, so the records themselves hold exactly the standard's columns.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workforce.intake.allocator import jemalloc_while_running
from workforce.intake.errors import IntakeError, MappingIncomplete
from workforce.intake.mapping import (
    ColumnMapping,
    Mapping,
    cell_keys,
    distinct_values,
    undecided_values,
    value_key,
)
from workforce.intake.read import SourceTable, take_ascending
from workforce.intake.report import (
    PROBLEM_COLUMNS,
    REJECTED,
    SET_UNKNOWN,
    IngestReport,
    empty_problems,
)
from workforce.standard import (
    DECLINED,
    UNKNOWN,
    join_codes,
    load_standard,
    match_label,
    us_region,
    validate_records,
)
from workforce.standard import age_band as standard_age_band

Progress = Callable[[str, int, int], None]
MISSING = (DECLINED, UNKNOWN)
UNITED_STATES = "US"
MIN_AGE, MAX_AGE = 14, 110
PROGRESS_ROWS = 100_000
PARALLEL_ROWS = 50_000  # below this, a thread pool costs more than it saves
# Methods whose columns are read through their distinct values (only the first state column).
DISTINCT_METHODS = (
    "label",
    "multi",
    "checkbox",
    "omb1997_hispanic",
    "omb1997_race",
    "birth_year",
    "age",
)


def decided_columns(mapping: Mapping) -> list[str]:
    """The source columns `ingest` decides value by value: worth reading as categoricals
    (`read_source(categorical=...)`), since only their distinct values are ever looked at."""
    states = [column.column for column in mapping.columns if column.method == "us_state"]
    decided = [column.column for column in mapping.columns if column.method in DISTINCT_METHODS]
    return list(dict.fromkeys(decided + states[:1]))


def read_columns(mapping: Mapping) -> list[str]:
    """The source columns `ingest` reads: worth reading alone (`read_source(columns=...)`),
    since the others matter only for the rows shown whole, the rejects."""
    return list(dict.fromkeys(column.column for column in mapping.columns))


@dataclass
class Coded:
    """A column decided per distinct value: row positions into `values`."""

    positions: np.ndarray
    values: list[str]

    def take(self, kept: np.ndarray | None = None) -> pd.Series:
        """The column for the rows `kept` marks true (all rows by default).

        A categorical of the codes: each distinct code is held once, and each row holds its
        number, so a million records cost a few bytes each and no text is copied per row.
        """
        return _categorical(self.positions, self.values, kept)


def _categorical(
    positions: np.ndarray, values: list[str], kept: np.ndarray | None = None
) -> pd.Series:
    """A categorical column whose row i holds ``values[positions[i]]``, for the rows `kept`
    marks (all by default).

    `values` may repeat a code (several source answers decide the same one); categories may
    not, so positions are renumbered through a small table first. The rows are kept after
    the lookup, from codes of a byte or two, not from the positions' eight bytes a row.
    """
    numbers: dict[str, int] = {}
    renumber = np.array([numbers.setdefault(value, len(numbers)) for value in values],
                        dtype=np.int32)
    kind = np.int8 if len(numbers) < 2**7 else np.int16 if len(numbers) < 2**15 else np.int32
    codes = np.take(renumber.astype(kind), positions)
    return _from_codes(codes if kept is None else codes[kept], list(numbers))


def _from_codes(codes: np.ndarray, categories: list[str]) -> pd.Series:
    """A categorical column of str categories; every code is a position into `categories` by
    construction, so pandas is not asked to check them (a pass over the rows)."""
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False))


class _Beside:
    """Runs a step on a second thread for a large file, or for a small one in turn, when its
    result is asked for (below `PARALLEL_ROWS` a thread costs more than it saves). Either
    way, what the step raises is raised where its result is asked for, so a step started
    early cannot get ahead of a problem the main line finds first."""

    def __init__(self, size: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1) if size >= PARALLEL_ROWS else None

    def submit(self, function: Callable, *args) -> Future | _InTurn:
        if self.pool is not None:
            return self.pool.submit(function, *args)
        return _InTurn(function, args)

    def __enter__(self) -> _Beside:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown()


class _InTurn:
    """A step run on the main line when its result is first asked for."""

    def __init__(self, function: Callable, args: tuple) -> None:
        self.function, self.args = function, args
        self.done, self.value = False, None

    def result(self):
        if not self.done:
            self.value, self.done = self.function(*self.args), True
        return self.value


@dataclass
class IngestResult:
    """Standard records (accepted rows), their provenance, the rejects and the report.

    Every cell of `records` is text, its coded and constant columns held as categoricals (see
    the module docstring), as is the checksum column of `provenance`; `records.astype(str)`
    gives plain text columns.
    """

    records: pd.DataFrame
    provenance: pd.DataFrame
    rejects: pd.DataFrame
    report: IngestReport


class _Distinct:
    """Each column's distinct values, computed once and shared by every rule that reads it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.size = len(frame)
        self._cache: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._keys: dict[str, list[list[str]]] = {}

    def prefetch(self, columns: list[str]) -> None:
        """Compute these columns' distinct values two at a time (Arrow releases the GIL)."""
        wanted = [name for name in dict.fromkeys(columns) if name not in self._cache]
        if len(wanted) < 2 or self.size < PARALLEL_ROWS:
            return
        series = [self.frame[name] for name in wanted]
        with ThreadPoolExecutor(max_workers=2) as pool:
            self._cache.update(zip(wanted, pool.map(distinct_values, series), strict=True))

    def __call__(self, column: str) -> tuple[np.ndarray, list[str]]:
        if column not in self._cache:
            self._cache[column] = distinct_values(self.frame[column])
        return self._cache[column]

    def keys(self, column: ColumnMapping) -> list[list[str]]:
        """`cell_keys` of a mapped column's distinct cells: each multi-select cell split once."""
        if column.column not in self._keys:
            self._keys[column.column] = cell_keys(column, self(column.column)[1])
        return self._keys[column.column]


class _Rows:
    """Rejections and problems gathered while columns are decided.

    `reasons` holds, for each rejected row, the first reason it was rejected for; a dict,
    since rejected rows are few and every other row has none. Problems are kept as a batch of
    arrays per rule, not an object per row: a messy file may have tens of thousands, and
    building as many Python objects mid-ingest costs a full garbage collection of the
    process besides (0.05 s on the benchmark's export).
    """

    def __init__(self, table: SourceTable) -> None:
        self.table = table
        self.size = len(table.frame)
        self.reasons: dict[int, str] = {}
        self.batches: list[tuple[np.ndarray, str, np.ndarray, str, np.ndarray, str]] = []

    def rejected(self) -> np.ndarray:
        """A row mask: True where the row was rejected."""
        mask = np.zeros(self.size, dtype=bool)
        mask[np.fromiter(self.reasons, dtype=np.int64, count=len(self.reasons))] = True
        return mask

    def reject(
        self,
        rows: np.ndarray,
        column: str,
        values: np.ndarray | list[str],
        kind: str,
        message: Callable[[str], str] | str | list[str],
    ) -> None:
        self._record(rows, column, values, kind, message, REJECTED)

    def absorb(self, other: _Rows) -> None:
        """Add `other`'s problems after these: a row keeps the first reason it was rejected for,
        exactly as if `other`'s rules had run after this one's."""
        for row, reason in other.reasons.items():
            self.reasons.setdefault(row, reason)
        self.batches.extend(other.batches)

    def note(
        self,
        rows: np.ndarray,
        column: str,
        values: np.ndarray,
        kind: str,
        message: Callable[[str], str],
    ) -> None:
        self._record(rows, column, values, kind, message, SET_UNKNOWN)

    def _record(self, rows, column, values, kind, message, action) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        values = np.asarray([value if type(value) is str else str(value) for value in values],
                            dtype=object)
        if len(values) != len(rows):
            raise ValueError("one value per row")
        if not len(rows):
            return
        if isinstance(message, list):
            texts = np.asarray(message, dtype=object)
        elif callable(message):
            # A rule flags many rows with few distinct values: each message is written once.
            written = {value: message(value) for value in dict.fromkeys(values.tolist())}
            texts = np.asarray([written[value] for value in values.tolist()], dtype=object)
        else:
            texts = np.full(len(rows), message, dtype=object)
        self.batches.append((rows, column, values, kind, texts, action))
        if action == REJECTED:
            label = kind.replace("_", " ")
            reasons = self.reasons
            reason = {text: f"{label}: {text}" for text in set(texts.tolist())}
            for row, text in zip(rows.tolist(), texts.tolist(), strict=True):
                if row not in reasons:
                    reasons[row] = reason[text]

    def problems(self) -> pd.DataFrame:
        """Every problem, in row order (a row's in the order its rules ran): `PROBLEM_COLUMNS`."""
        if not self.batches:
            return empty_problems()
        positions = np.concatenate([batch[0] for batch in self.batches])
        order = np.argsort(positions, kind="stable")
        sizes = [len(batch[0]) for batch in self.batches]

        def spread(item: int) -> np.ndarray:  # a rule's one text, repeated over its rows
            return np.repeat(np.array([batch[item] for batch in self.batches], dtype=object),
                             sizes)[order]

        def joined(item: int) -> np.ndarray:
            return np.concatenate([batch[item] for batch in self.batches])[order]

        return pd.DataFrame(
            {
                "row": self.table.rows[positions[order]].astype(np.int64, copy=False),
                "column": pd.array(spread(1), dtype="str"),
                "value": pd.array(joined(2), dtype="str"),
                "kind": pd.array(spread(3), dtype="str"),
                "message": pd.array(joined(4), dtype="str"),
                "action": pd.array(spread(5), dtype="str"),
            },
            columns=PROBLEM_COLUMNS,
        )


@jemalloc_while_running()
def ingest(
    table: SourceTable,
    mapping: Mapping,
    *,
    year: int,
    unmapped: str = "stop",
    progress: Progress | None = None,
) -> IngestResult:
    """Standard records from one export and a mapping; see the module docstring for rules."""
    standard = load_standard()
    frame = table.frame
    if progress is None or len(frame) < PROGRESS_ROWS:  # a bar only where there is a wait
        progress = lambda step, done, total: None  # noqa: E731
    file_columns = table.columns  # every column of the file, listed once
    present = set(file_columns)
    missing_columns = [c.column for c in mapping.columns if c.column not in present]
    if missing_columns:
        raise IntakeError(
            f"{table.name}: column(s) {', '.join(map(repr, missing_columns))} of the mapping "
            f"are not in the file; its columns are {', '.join(map(repr, file_columns))}"
        )
    if unmapped not in ("stop", "reject"):
        raise ValueError("unmapped must be 'stop' or 'reject'")
    rows = _Rows(table)
    steps = len(mapping.columns) + 3
    by_method: dict[str, list[ColumnMapping]] = {}
    for column in mapping.columns:
        by_method.setdefault(column.method, []).append(column)
    # Two steps run beside the main line, on Arrow kernels that release the GIL, while it does
    # work that mostly holds it: the member IDs are checked while the distinct values are
    # found and the columns decided, and the rejected rows are taken while the records are
    # built and checked.
    with _Beside(len(frame)) as beside:
        id_rows = _Rows(table)  # the ID rules' findings, added after the columns' (as if in turn)
        checked_ids = beside.submit(
            _record_ids, by_method.get("record_id", []), frame, mapping.org, year, table, id_rows
        )
        distinct = _Distinct(frame)
        distinct.prefetch(decided_columns(mapping))
        undecided = undecided_values(mapping, frame, distinct=distinct, keys=distinct.keys)
        if undecided and unmapped == "stop":
            raise MappingIncomplete(table.name, undecided)
        outputs: dict[str, Coded] = {}

        for done, column in enumerate(mapping.columns, start=1):
            progress("ingesting", done, steps)
            if column.method == "label":
                _label_column(column, distinct(column.column), rows, outputs)
            elif column.method == "multi":
                _multi_column(column, distinct(column.column), distinct.keys(column), rows, outputs)
            elif column.method in ("birth_year", "age"):
                outputs["age_band"] = _age_column(column, distinct(column.column), year, rows)
        if "omb1997_race" in by_method or "omb1997_hispanic" in by_method:
            outputs["race_ethnicity"] = _omb1997(by_method, distinct, rows)
        if "checkbox" in by_method:
            outputs["race_ethnicity"] = _checkboxes(by_method["checkbox"], distinct, rows)
        outputs.update(_region(by_method.get("us_state", []), outputs.get("country"), distinct))
        progress("ingesting", steps - 2, steps)
        ids = checked_ids.result()
        rows.absorb(id_rows)

        rejected = rows.rejected()
        kept = ~rejected
        accepted = np.flatnonzero(kept)
        rejected_rows = np.flatnonzero(rejected)
        taken = beside.submit(table.whole_rows, rejected_rows)
        records = _records(standard, outputs, kept, ids, table, mapping.org, year)
        bad_records = _invalid_records(records, outputs, kept, table)
        rejects = taken.result()
        if len(bad_records):  # a safety net: a mapping yielding non-standard codes rejects rows
            # (rare: the rejected rows are then taken again, these among them)
            for position, (column, value, message) in bad_records.items():
                rows.reject(
                    np.array([accepted[position]]), column, [value], "not_standard", message
                )
            keep = np.setdiff1d(np.arange(len(accepted)), np.fromiter(bad_records, dtype=np.int64))
            accepted = accepted[keep]
            records = records.iloc[keep].reset_index(drop=True)
            rejected_rows = np.flatnonzero(rows.rejected())
            rejects = table.whole_rows(rejected_rows)
    progress("ingesting", steps - 1, steps)

    reasons = [rows.reasons[row] for row in rejected_rows.tolist()]
    rejects.insert(0, "reason", pd.Series(reasons, dtype="str"))
    rejects.insert(0, "source_row", table.rows[rejected_rows])
    provenance = pd.DataFrame(
        {
            "record_id": records["record_id"],
            "source_row": table.rows[accepted],
            "source_sha256": _repeat(table.sha256, len(accepted)),
            "mapping_version": np.full(len(accepted), mapping.version, dtype=np.int64),
        },
        copy=False,
    )
    problems = rows.problems()
    report = IngestReport(
        table.name,
        table.sha256,
        mapping.org,
        year,
        mapping.version,
        len(frame),
        len(accepted),
        len(rejected_rows),
        problems,
        list(table.notes),
    )
    progress("ingesting", steps, steps)
    return IngestResult(records, provenance, rejects, report)


def _invalid_records(
    records: pd.DataFrame,
    outputs: dict[str, Coded],
    kept: np.ndarray,
    table: SourceTable,
) -> dict[int, tuple[str, str, str]]:
    """Records that fail `validate_records`, by position: (column, value, message); the
    records are of the rows `kept` marks true.

    Every column was decided per distinct value, and the standard's only checks across
    columns pair race_ethnicity with its detail and country with us_region. So one small
    frame holding each column's distinct values (and each distinct pair) is validated in
    place of the millions of records; a violation there marks every record carrying that
    value or pair. record_id is unique and non-blank by construction (see `_record_ids`).
    """
    if not len(records):
        return {}
    groups: list[tuple[str, ...]] = []
    for pair in (("race_ethnicity", "race_ethnicity_detail"), ("country", "us_region")):
        present = tuple(name for name in pair if name in outputs)
        if present:
            groups.append(present)
    grouped = {name for group in groups for name in group}
    groups += [(name,) for name in outputs if name not in grouped and name in records.columns]
    # Per group: each distinct item's values, and each row's item number, over every row of
    # the file (narrowed to the records, the rows `kept`, only where a violation is found).
    # Items only rejected rows carry are checked too, and mark no record.
    items: list[tuple[tuple[str, ...], dict[str, list], np.ndarray, np.ndarray]] = []
    for group in groups:
        if len({id(outputs[name].positions) for name in group}) == 1:
            # Decided from one source column (a column, or race and its detail): its
            # distinct source values are the items, with no pass over the rows.
            found = {name: list(outputs[name].values) for name in group}
            item_of_row = outputs[group[0]].positions
        else:
            signature = np.zeros(len(kept), dtype=np.int64)
            for name in group:
                width = max(len(outputs[name].values), 1)
                signature = signature * width + outputs[name].positions
            first, item_of_row = _first_occurrences(signature)
            found = {
                name: [outputs[name].values[p] for p in outputs[name].positions[first].tolist()]
                for name in group
            }
        # Many items decide the same codes (thousands of distinct multi-select cells, a few
        # hundred distinct answers): each distinct set of codes is validated once.
        numbered: dict[tuple[str, ...], int] = {}
        decided = zip(*(found[name] for name in group), strict=True)
        checked = np.array([numbered.setdefault(codes, len(numbered)) for codes in decided])
        found = {name: [codes[k] for codes in numbered] for k, name in enumerate(group)}
        items.append((group, found, item_of_row, checked))
    length = max((len(found[group[0]]) for group, found, _, _ in items), default=1)
    # The first record repeated: its other columns are valid, and copying one row, not a
    # million, keeps every column's type.
    sample = records.iloc[:1].iloc[np.zeros(length, dtype=np.int64)].reset_index(drop=True)
    sample["record_id"] = [f"r{i}" for i in range(length)]
    owner: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
    for group, found, item_of_row, checked in items:
        for name in group:
            values = found[name]
            sample[name] = [values[i % len(values)] for i in range(length)]
            owner[name] = (len(values), item_of_row, checked)
    bad: dict[int, tuple[str, str, str]] = {}
    narrowed: dict[int, np.ndarray] = {}  # each group's item of each record, once
    for violation in validate_records(sample):
        if violation.row is None or violation.row < 0 or violation.column not in owner:
            raise IntakeError(
                f"{table.name}: the mapping does not yield standard records: "
                f"column {violation.column!r}: {violation.message}"
            )
        count, item_of_row, checked = owner[violation.column]
        items_deciding = np.flatnonzero(checked == violation.row % count)
        if id(item_of_row) not in narrowed:
            narrowed[id(item_of_row)] = item_of_row[kept]
        item_of_record = narrowed[id(item_of_row)]
        for position in _rows_holding(item_of_record, items_deciding.tolist(), len(checked)):
            bad.setdefault(
                int(position), (violation.column, str(violation.value), violation.message)
            )
    return bad


def _first_occurrences(signature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each distinct value first occurs, and each row's distinct value number.

    Signatures are small non-negative integers, so a lookup table does in one pass what
    np.unique would do with a sort.
    """
    room = int(signature.max()) + 1 if len(signature) else 0
    if room > 4 * len(signature) + 1024:
        _, first, inverse = np.unique(signature, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    first_at = np.full(room, -1, dtype=np.int64)
    first_at[signature[::-1]] = np.arange(len(signature) - 1, -1, -1)
    occurring = np.flatnonzero(first_at >= 0)
    number = np.full(room, -1, dtype=np.int64)
    number[occurring] = np.arange(len(occurring))
    return first_at[occurring], number[signature]


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)` for small non-negative integers.

    The same sorted distinct values and inverse, from a lookup table in place of a sort.
    """
    room = int(values.max()) + 1 if len(values) else 0
    if room > 4 * len(values) + 1024:
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct, inverse.reshape(-1)
    seen = np.zeros(room, dtype=bool)
    seen[values] = True
    distinct = np.flatnonzero(seen)
    number = np.full(room, -1, dtype=np.int64)
    number[distinct] = np.arange(len(distinct))
    return distinct.astype(values.dtype, copy=False), number[values]


# --- per-column rules -----------------------------------------------------------------------


def _undecided_message(column: ColumnMapping) -> Callable[[str], str]:
    return lambda value: (
        f"{value!r} is not a known value; map it in the mapping file or mark it unknown"
    )


def _label_column(
    column: ColumnMapping,
    values: tuple[np.ndarray, list[str]],
    rows: _Rows,
    outputs: dict[str, Coded],
) -> None:
    positions, uniques = values
    codes, undecided = [], []
    also: dict[str, list[str]] = {}
    for index, raw in enumerate(uniques):
        decision = column.decided(value_key(raw))
        if decision is None:
            undecided.append(index)
            codes.append(UNKNOWN)
            continue
        codes.append(decision.code)
        for dimension, code in decision.also.items():
            also.setdefault(dimension, [UNKNOWN] * len(uniques))[index] = code
    _flag_positions(
        rows.reject,
        positions,
        undecided,
        uniques,
        column,
        "unmapped_value",
        _undecided_message(column),
    )
    outputs[column.dimension] = Coded(positions, codes)
    for dimension, per_value in also.items():
        outputs.setdefault(dimension, Coded(positions, per_value))


def _multi_column(
    column: ColumnMapping,
    values: tuple[np.ndarray, list[str]],
    keys: list[list[str]],
    rows: _Rows,
    outputs: dict[str, Coded],
) -> None:
    positions, uniques = values
    races, details, undecided, contradictory = [], [], [], []
    for index, cell in enumerate(keys):
        chosen: set[str] = set()
        detail: set[str] = set()
        decided = True
        for key in cell:
            decision = column.decided(key)
            if decision is None:
                decided = False
                break
            if "." in decision.code:  # an SPD-15 subgroup: keep it and its parent category
                detail.add(decision.code)
                chosen.add(decision.code.split(".", 1)[0])
            else:
                chosen.add(decision.code)
        answers = chosen - set(MISSING)
        if not decided:
            undecided.append(index)
            races.append(UNKNOWN)
            details.append("")
        elif answers and chosen & set(MISSING):
            contradictory.append(index)
            races.append(UNKNOWN)
            details.append("")
        elif answers:
            races.append(join_codes(answers))
            details.append(join_codes(detail))
        else:
            races.append(DECLINED if DECLINED in chosen else UNKNOWN)
            details.append("")
    _flag_positions(
        rows.reject,
        positions,
        undecided,
        uniques,
        column,
        "unmapped_value",
        _undecided_message(column),
    )
    _flag_positions(
        rows.reject,
        positions,
        contradictory,
        uniques,
        column,
        "contradictory_answer",
        lambda value: f"{value!r} says declined or unknown beside a category",
    )
    outputs[column.dimension] = Coded(positions, races)
    if column.dimension == "race_ethnicity":
        outputs["race_ethnicity_detail"] = Coded(positions, details)


def _age_column(
    column: ColumnMapping, values: tuple[np.ndarray, list[str]], year: int, rows: _Rows
) -> Coded:
    positions, uniques = values
    bands: list[str | None] = []
    impossible, unreadable, ages = [], [], {}
    for index, raw in enumerate(uniques):
        text = raw.strip()
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or number != number:
            label = match_label("age_band", text)
            if label is None:
                unreadable.append(index)
            bands.append(label if label in MISSING else UNKNOWN)
            continue
        age = number if column.method == "age" else year - number
        if not (MIN_AGE <= age <= MAX_AGE) or number != int(number):
            impossible.append(index)
            bands.append(UNKNOWN)
            continue
        ages[index] = int(age)
        bands.append(None)  # banded below, all ages at once
    if ages:
        banded = standard_age_band(age=pd.Series(list(ages.values()), dtype=np.int64))
        for index, band in zip(ages, banded.astype(str), strict=True):
            bands[index] = band
    what = "birth year" if column.method == "birth_year" else "age"
    _flag_positions(
        rows.note,
        positions,
        impossible,
        uniques,
        column,
        f"impossible_{what.replace(' ', '_')}",
        lambda value: f"{value!r} is not a possible {what} in {year}; age_band unknown",
    )
    _flag_positions(
        rows.note,
        positions,
        unreadable,
        uniques,
        column,
        f"unreadable_{what.replace(' ', '_')}",
        lambda value: f"{value!r} is not a {what}; age_band unknown",
    )
    return Coded(positions, bands)


def _omb1997(by_method: dict[str, list[ColumnMapping]], distinct: _Distinct, rows: _Rows) -> Coded:
    """race_ethnicity from the 1997 two questions, pair of answers by pair of answers.

    Hispanic yes adds `hispanic` beside the races; with the Hispanic answer missing a known
    race cannot be placed in the combined question, so it is unknown (declined when the
    missing answers were declined), as `workforce.standard.from_omb1997` decides.
    """
    hispanic_columns = by_method.get("omb1997_hispanic", [])
    race_columns = by_method.get("omb1997_race", [])
    if len(hispanic_columns) != 1 or len(race_columns) != 1:
        raise IntakeError(
            "a 1997 two-question mapping needs exactly one omb1997_hispanic and "
            "one omb1997_race column"
        )
    hispanic, race = hispanic_columns[0], race_columns[0]
    h_positions, h_uniques = distinct(hispanic.column)
    r_positions, r_uniques = distinct(race.column)
    h_answers, h_undecided = [], []
    for index, raw in enumerate(h_uniques):
        decision = hispanic.decided(value_key(raw))
        if decision is None:
            h_undecided.append(index)
        h_answers.append(decision.code if decision else UNKNOWN)
    r_answers: list[frozenset | str] = []
    r_undecided = []
    for index, cell in enumerate(distinct.keys(race)):
        codes = set()
        for key in cell:
            decision = race.decided(key)
            if decision is None:
                r_undecided.append(index)
                break
            codes.add(decision.code)
        chosen = frozenset(codes - set(MISSING))
        r_answers.append(chosen if chosen else (DECLINED if DECLINED in codes else UNKNOWN))
    _flag_positions(
        rows.reject,
        h_positions,
        h_undecided,
        h_uniques,
        hispanic,
        "unmapped_value",
        _undecided_message(hispanic),
    )
    _flag_positions(
        rows.reject,
        r_positions,
        r_undecided,
        r_uniques,
        race,
        "unmapped_value",
        _undecided_message(race),
    )
    pair = h_positions.astype(np.int64) * max(len(r_uniques), 1) + r_positions
    distinct, inverse = _unique_inverse(pair)
    results = []
    for value in distinct:
        h = h_answers[value // max(len(r_uniques), 1)]
        r = r_answers[value % max(len(r_uniques), 1)]
        if h == "yes":
            results.append(join_codes({"hispanic"} | (r if isinstance(r, frozenset) else set())))
        elif h == "no":
            results.append(join_codes(r) if isinstance(r, frozenset) else r)
        elif isinstance(r, frozenset):
            results.append(UNKNOWN)
        else:
            results.append(DECLINED if DECLINED in (h, r) else UNKNOWN)
    return Coded(inverse.reshape(-1), results)


def _checkboxes(columns: list[ColumnMapping], distinct: _Distinct, rows: _Rows) -> Coded:
    """race_ethnicity from one yes/no column per category ("check all that apply")."""
    combined = np.zeros(distinct.size, dtype=np.int64)
    for bit, column in enumerate(columns):
        positions, uniques = distinct(column.column)
        ticked, undecided = [], []
        for index, raw in enumerate(uniques):
            decision = column.decided(value_key(raw))
            if decision is None:
                undecided.append(index)
            ticked.append(decision is not None and decision.code == "yes")
        _flag_positions(
            rows.reject,
            positions,
            undecided,
            uniques,
            column,
            "unmapped_value",
            _undecided_message(column),
        )
        combined |= np.asarray(ticked, dtype=np.int64)[positions] << bit
    distinct, inverse = _unique_inverse(combined)
    results, contradictory = [], []
    for index, mask in enumerate(distinct):
        chosen = {column.code for bit, column in enumerate(columns) if int(mask) >> bit & 1}
        answers = chosen - set(MISSING)
        if answers and chosen & set(MISSING):
            contradictory.append(index)
            results.append(UNKNOWN)
        elif answers:
            results.append(join_codes(answers))
        else:
            results.append(DECLINED if DECLINED in chosen else UNKNOWN)
    inverse = inverse.reshape(-1)
    bad = _rows_holding(inverse, contradictory, len(distinct))
    rows.reject(
        bad,
        "race_ethnicity",
        ["(checkboxes)"] * len(bad),
        "contradictory_answer",
        "declined or unknown is ticked beside a category",
    )
    return Coded(inverse, results)


def _region(
    state_columns: list[ColumnMapping], country: Coded | None, distinct: _Distinct
) -> dict[str, Coded]:
    """us_region: from the state for US records, blank outside the US, else unknown.

    With a country, us_region is decided per distinct (country, state) pair, and the country
    is given again per the same pairs: the two share their positions, so the pair is
    validated per distinct pair, with no pass over the records (`_invalid_records`).
    """
    if state_columns:
        s_positions, s_uniques = distinct(state_columns[0].column)
        regions = [str(us_region(raw)) for raw in s_uniques]
    else:
        s_positions, regions = np.zeros(distinct.size, dtype=np.int64), [UNKNOWN]
    if country is None:
        # Without a country a known state is the only evidence; an unknown one stays unknown.
        return {"us_region": Coded(s_positions, [r if r != "" else UNKNOWN for r in regions])}
    width = max(len(regions), 1)
    pair = country.positions.astype(np.int64) * width + s_positions
    distinct, inverse = _unique_inverse(pair)
    countries, results = [], []
    for value in distinct.tolist():
        code = country.values[value // width]
        region = regions[value % width]
        countries.append(code)
        if code == UNITED_STATES:
            results.append(region)
        elif code in MISSING:
            results.append(UNKNOWN)
        else:
            results.append("")
    positions = inverse.reshape(-1)
    return {"country": Coded(positions, countries), "us_region": Coded(positions, results)}


def _record_ids(
    columns: list[ColumnMapping],
    frame: pd.DataFrame,
    org: str,
    year: int,
    table: SourceTable,
    rows: _Rows,
) -> pa.ChunkedArray:
    """record_id: the member ID as written (spaces trimmed); duplicates and blanks checked.

    Everything is vectorized with Arrow; only rows whose ID repeats (a handful) are compared
    cell by cell.
    """
    if not columns:
        # No member ID: the row's place in this file is the only stable key.
        numbers = pa.array(np.arange(1, len(frame) + 1)).cast(pa.string())
        padded = pc.utf8_lpad(numbers, width=7, padding="0")
        return pa.chunked_array([pc.binary_join_element_wise(f"{org}-{year}", padded, "-")])
    column = columns[0].column
    written = _arrow_text(frame[column])
    ids = _trimmed(written)
    blank = np.flatnonzero(_numpy_bool(pc.equal(ids, "")))
    rows.reject(
        blank, column, take_ascending(written, blank).to_pylist(), "blank_id",
        "the member ID is blank",
    )
    repeated = np.flatnonzero(_repeated(ids))
    repeated = np.setdiff1d(repeated, blank)
    if not len(repeated):
        return ids
    id_text = np.asarray(take_ascending(ids, repeated).to_pylist(), dtype=object)
    subset = table.whole_rows(repeated)  # an exact copy is equal in every column
    copies = subset.duplicated(keep="first").to_numpy()
    first_seen: dict[tuple, int] = {}
    messages = []
    for row, cells, copy in zip(repeated, subset.itertuples(index=False), copies, strict=True):
        if not copy:
            first_seen.setdefault(tuple(cells), int(table.rows[row]))
        else:
            messages.append(f"exact duplicate of row {first_seen[tuple(cells)]}; the first is kept")
    rows.reject(repeated[copies], column, id_text[copies], "duplicate_row", messages)
    remaining, remaining_ids = repeated[~copies], id_text[~copies]
    where: dict[str, list[int]] = {}
    for row, text in zip(remaining, remaining_ids, strict=True):
        where.setdefault(text, []).append(int(table.rows[row]))
    shared = np.array([len(where[text]) > 1 for text in remaining_ids], dtype=bool)
    rows.reject(
        remaining[shared],
        column,
        remaining_ids[shared],
        "shared_id",
        [
            f"ID {text!r} is shared by different rows ({', '.join(map(str, where[text]))}); "
            "all of them are rejected"
            for text in remaining_ids[shared]
        ],
    )
    return ids


def _repeated(ids: pa.ChunkedArray) -> np.ndarray:
    """True for every row whose ID occurs more than once.

    Membership systems export sorted by ID; then a repeat sits next to its twin and one
    comparison of neighbours finds it, cheaper than hashing a million IDs.
    """
    size = len(ids)
    if size < 2:
        return np.zeros(size, dtype=bool)
    head, tail = ids.slice(0, size - 1), ids.slice(1)
    if pc.all(pc.less_equal(head, tail)).as_py():
        same = _numpy_bool(pc.equal(head, tail))
        result = np.zeros(size, dtype=bool)
        result[:-1] |= same
        result[1:] |= same
        return result
    counts = pc.value_counts(ids)
    repeated_ids = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    return _numpy_bool(pc.is_in(ids, value_set=repeated_ids))


# The ASCII characters `pc.utf8_trim_whitespace` trims: tab to carriage return, the four
# separators 0x1c-0x1f, which Unicode counts as spaces, and space.
_ASCII_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "


def _trimmed(texts: pa.ChunkedArray) -> pa.ChunkedArray:
    """`pc.utf8_trim_whitespace` of the texts, byte by byte where every text is ASCII.

    Arrow's Unicode trim decodes every character of every text: 0.045 s for a million member
    IDs, where checking they are ASCII and trimming bytes takes 0.015 s. Each is one call
    over the whole column, not one per chunk: this runs beside a main line that holds the
    GIL, and each hand-over of the GIL can keep the waiting thread waiting a switch interval
    (5 ms), so steps per chunk of a million-row file (144 chunks) would cost seconds.
    """
    if pc.all(pc.string_is_ascii(texts)).as_py() is not False:
        return pc.ascii_trim(texts, characters=_ASCII_SPACES)
    return pc.utf8_trim_whitespace(texts)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    array = pa.array(values, from_pandas=True)
    array = pa.chunked_array([array]) if isinstance(array, pa.Array) else array
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())
    return array.fill_null("")


def _numpy_bool(values: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _flag_positions(
    record,
    positions: np.ndarray,
    bad: list[int],
    uniques: list[str],
    column: ColumnMapping,
    kind: str,
    message,
) -> None:
    """Pass the rows whose distinct value is in `bad` to `record` (`rows.reject` or `rows.note`)."""
    if not bad:
        return
    hit = _rows_holding(positions, bad, len(uniques))
    record(hit, column.column, [uniques[position] for position in positions[hit]], kind, message)


def _rows_holding(positions: np.ndarray, items: list[int], size: int) -> np.ndarray:
    """The rows whose position (into `size` distinct values) is one of `items`.

    A lookup table over the few distinct values: one pass, where `np.isin` sorts.
    """
    wanted = np.zeros(size, dtype=bool)
    wanted[items] = True
    return np.flatnonzero(wanted[positions])


def _records(
    standard,
    outputs: dict[str, Coded],
    kept: np.ndarray,
    ids: pa.ChunkedArray,
    table: SourceTable,
    org: str,
    year: int,
) -> pd.DataFrame:
    """The standard records of the rows `kept` marks true, in order."""
    size = int(np.count_nonzero(kept))
    constants: dict[str, pd.Series] = {}

    def constant(text: str) -> pd.Series:
        # One shared immutable Arrow column per distinct constant ("unknown" fills many).
        if text not in constants:
            constants[text] = _repeat(text, size)
        return constants[text]

    # numpy's lookups release the GIL: the coded columns are built two at a time.
    coded = [name for name in standard.record_columns if name in outputs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        taken = pool.map(lambda name: outputs[name].take(kept), coded)
        spelled = dict(zip(coded, taken, strict=True))
    columns: dict[str, pd.Series] = {}
    for name in standard.record_columns:
        if name == "record_id":
            taken = ids.filter(pa.array(kept))
            columns[name] = pd.Series(taken.cast(pa.large_string()), dtype="str")
        elif name == "source":
            columns[name] = constant(table.name)
        elif name == "org":
            columns[name] = constant(org)
        elif name == "year":
            columns[name] = constant(str(year))
        elif name == "person_key":
            columns[name] = constant("")
        elif name in outputs:
            columns[name] = spelled[name]
        elif name == "race_ethnicity_detail":
            columns[name] = constant("")
        else:
            columns[name] = constant(UNKNOWN)
    return pd.DataFrame(columns, copy=False)


def _repeat(text: str, size: int) -> pd.Series:
    """A column holding `text` `size` times: a categorical of one category, one byte a row
    (zeroed memory the system hands over untouched), no text copied per row."""
    return _from_codes(np.zeros(size, dtype=np.int8), [text])
