"""Check standard records against the standard, reporting every violation by row and column.

``validate_records`` never stops at the first problem and never raises on bad data: it
returns one ``Violation`` per bad cell (all of that cell's problems in one message) plus one
per missing column. ``row`` is the 0-based position of the row in the DataFrame (not its
index label); ``row == -1`` (``WHOLE_COLUMN``) marks a problem with a whole column.

Rules beyond "every value is a code of its dimension":

- blank is allowed only in ``person_key``, ``race_ethnicity_detail`` and ``us_region``;
  everywhere else a value that was not collected is ``unknown``;
- a multi-select value is its codes sorted, each once, joined with ``;`` and without spaces;
  ``declined`` and ``unknown`` stand alone; the coarse ``asian_or_pi`` is never combined with
  ``asian`` or ``nhpi`` (a source either separated them or it did not);
- every ``race_ethnicity_detail`` code's parent (``asian`` for ``asian.filipino``) is chosen
  in ``race_ethnicity``;
- ``us_region`` is required (a region, declined or unknown) when ``country`` is ``US``, and a
  region cannot be given for a record in another country; blank is fine outside the US;
- ``record_id`` is unique within its ``source``; ``org`` is lowercase snake case; ``year`` is
  a four-digit year from 1950 to next year; ``person_key`` is never an e-mail address or a
  name (no ``@``, no spaces).

Extra columns (derived views, say) are not checked. Checks run once per distinct value and
spread over rows with NumPy, so a million records validate in a few seconds.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workforce.standard.crosswalks import match_label
from workforce.standard.loader import SNAKE_CASE, load_standard
from workforce.standard.model import MISSING_CODES, UNKNOWN, Dimension, Standard
from workforce.standard.records import blank_mask

WHOLE_COLUMN = -1
YEAR_MIN = 1950
UNITED_STATES = "US"
# A coarse source category and the standard categories it lumps together.
COARSE_CODES = {"asian_or_pi": frozenset({"asian", "nhpi"})}
_FOUR_DIGITS = re.compile(r"\d{4}")
_EMAIL_OR_NAME = r"[@\s]"
_SHOWN_CODES = 12

VIOLATION_COLUMNS = ("row", "column", "value", "message")


@dataclass(frozen=True)
class Violation:
    """One bad cell (or, with ``row == -1``, one bad column) of standard records."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"column {self.column!r}" if self.row == WHOLE_COLUMN else (
            f"row {self.row}, column {self.column!r}")
        return f"{where}: {self.message}"


def validate_records(records: pd.DataFrame, standard: Standard | None = None) -> list[Violation]:
    """Every violation of the standard in ``records``, ordered by row, then column."""
    frame = validate_records_frame(records, standard)
    return [
        Violation(int(row), column, value, message)
        for row, column, value, message in zip(
            frame["row"].to_numpy(), frame["column"].to_numpy(), frame["value"].to_numpy(),
            frame["message"].to_numpy(), strict=True,
        )
    ]


def validate_records_frame(records: pd.DataFrame, standard: Standard | None = None) -> pd.DataFrame:
    """The violations as a DataFrame (row, column, value, message): cheaper for millions."""
    if not isinstance(records, pd.DataFrame):
        raise TypeError(
            f"validate_records expects a pandas DataFrame, not {type(records).__name__}"
        )
    standard = standard or load_standard()
    report = _Report()
    columns = _usable_columns(records, standard, report)

    for name in ("record_id", "source", "org", "year", "person_key"):
        if name in columns:
            _CHECKS_OF_BASE_COLUMNS[name](columns[name], standard, report)
    if "record_id" in columns:
        _check_record_ids_unique(columns["record_id"], columns.get("source"), report)

    for name, dimension in standard.dimensions.items():
        if name in columns:
            check = _multi_check(dimension, standard) if dimension.multi else (
                _single_check(dimension, standard))
            _check_distinct(columns[name], name, check, report)

    race = standard.dimensions.get("race_ethnicity")
    detail = standard.dimensions.get("race_ethnicity_detail")
    if race is not None and detail is not None and {race.name, detail.name} <= set(columns):
        _check_detail_parents(columns[race.name], columns[detail.name], race, detail, standard,
                              report)
    if {"country", "us_region"} <= set(columns):
        _check_region_matches_country(columns["country"], columns["us_region"], standard, report)

    return report.frame(standard.record_columns)


class _Report:
    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []
        self._columns: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._messages: list[np.ndarray] = []

    def add(self, rows: np.ndarray, column: str, values: np.ndarray, messages: np.ndarray) -> None:
        if rows.size:
            self._rows.append(rows.astype(np.int64))
            self._columns.append(np.full(rows.size, column, dtype=object))
            self._values.append(np.asarray(values, dtype=object))
            self._messages.append(np.asarray(messages, dtype=object))

    def add_column(self, column: str, message: str) -> None:
        self.add(np.array([WHOLE_COLUMN]), column, np.array([""], dtype=object),
                 np.array([message], dtype=object))

    def frame(self, column_order: tuple[str, ...]) -> pd.DataFrame:
        if not self._rows:
            return pd.DataFrame({
                "row": pd.Series([], dtype=np.int64), "column": pd.Series([], dtype="str"),
                "value": pd.Series([], dtype="str"), "message": pd.Series([], dtype="str"),
            })
        rows = np.concatenate(self._rows)
        columns = np.concatenate(self._columns)
        rank = {name: position for position, name in enumerate(column_order)}
        column_rank = np.array([rank.get(name, len(rank)) for name in columns], dtype=np.int64)
        order = np.lexsort((column_rank, rows))
        return pd.DataFrame({
            "row": rows[order],
            "column": pd.Series(columns[order], dtype="str"),
            "value": pd.Series(np.concatenate(self._values)[order], dtype="str"),
            "message": pd.Series(np.concatenate(self._messages)[order], dtype="str"),
        })


def _usable_columns(
    records: pd.DataFrame, standard: Standard, report: _Report
) -> dict[str, pd.Series]:
    """The record columns present exactly once, as Series; the others are reported."""
    counts = pd.Series(list(records.columns)).value_counts()
    columns = {}
    for name in standard.record_columns:
        found = int(counts.get(name, 0))
        if found == 0:
            report.add_column(name, f"missing column {name!r}; every standard record has it")
        elif found > 1:
            report.add_column(name, f"column {name!r} appears {found} times")
        else:
            columns[name] = records[name]
    return columns


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _check_distinct(
    values: pd.Series, column: str, check: Callable[[str], str | None], report: _Report,
    blank_message: str | None = None,
) -> None:
    """Run ``check`` once per distinct value; report every row holding a bad one.

    NaN is checked as the empty string, so that blank and missing are treated alike.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = [_text(value) for value in distinct] + [""]
    messages = [check(text) for text in texts]
    is_bad = np.asarray([message is not None for message in messages], dtype=bool)
    positions = np.mod(codes, len(texts))
    rows = np.flatnonzero(is_bad[positions])
    if rows.size:
        bad_positions = positions[rows]
        report.add(rows, column, np.asarray(texts, dtype=object)[bad_positions],
                   np.asarray(messages, dtype=object)[bad_positions])


def _blank(column: str) -> str:
    return f"blank; use 'unknown' when the {column} was not collected"


# --- identifying columns ----------------------------------------------------------------------


def _check_required_text(values: pd.Series, column: str, report: _Report) -> None:
    rows = np.flatnonzero(blank_mask(values))
    if rows.size:
        report.add(rows, column, np.full(rows.size, "", dtype=object),
                   np.full(rows.size, f"blank; every record needs a {column}", dtype=object))


def _check_record_id(values: pd.Series, standard: Standard, report: _Report) -> None:
    _check_required_text(values, "record_id", report)


def _check_source(values: pd.Series, standard: Standard, report: _Report) -> None:
    _check_required_text(values, "source", report)


def _check_org(values: pd.Series, standard: Standard, report: _Report) -> None:
    def check(text: str) -> str | None:
        if not text.strip():
            return "blank; every record needs an org"
        if not SNAKE_CASE.fullmatch(text):
            return f"org {text!r} is not a lowercase snake-case code (e.g. ashg, nsgc)"
        return None

    _check_distinct(values, "org", check, report)


def _check_year(values: pd.Series, standard: Standard, report: _Report) -> None:
    latest = datetime.date.today().year + 1

    def check(text: str) -> str | None:
        if not text.strip():
            return "blank; every record needs its reference year"
        if not _FOUR_DIGITS.fullmatch(text):
            return f"{text!r} is not a four-digit year"
        if not YEAR_MIN <= int(text) <= latest:
            return f"year {text} is outside {YEAR_MIN}-{latest}"
        return None

    _check_distinct(values, "year", check, report)


def _check_person_key(values: pd.Series, standard: Standard, report: _Report) -> None:
    text = values.astype("str")
    try:
        arrow_text = pa.array(text.array)
    except (TypeError, pa.ArrowInvalid):
        arrow_text = pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    found = pc.fill_null(pc.match_substring_regex(arrow_text, _EMAIL_OR_NAME), False)
    suspicious = found.to_numpy(zero_copy_only=False) & ~blank_mask(values)
    rows = np.flatnonzero(suspicious)
    if rows.size:
        report.add(rows, "person_key", text.to_numpy(dtype=object)[rows], np.full(
            rows.size, "person_key must be a keyed hash, never an e-mail address or a name",
            dtype=object))


_CHECKS_OF_BASE_COLUMNS = {
    "record_id": _check_record_id,
    "source": _check_source,
    "org": _check_org,
    "year": _check_year,
    "person_key": _check_person_key,
}


def _check_record_ids_unique(
    record_ids: pd.Series, sources: pd.Series | None, report: _Report
) -> None:
    """Flag every repeat of a (source, record_id) pair after its first row."""
    id_codes, id_values = pd.factorize(record_ids, use_na_sentinel=True)
    if sources is None:
        source_codes = np.zeros(len(record_ids), dtype=np.int64)
    else:
        source_codes, _ = pd.factorize(sources, use_na_sentinel=False)
    keys = pd.Series(source_codes.astype(np.int64) * (len(id_values) + 1) + id_codes)
    repeated = keys.duplicated(keep="first").to_numpy() & ~blank_mask(record_ids)
    rows = np.flatnonzero(repeated)
    if not rows.size:
        return
    involved = keys[keys.duplicated(keep=False).to_numpy()]
    first_of_involved = pd.Series(involved.index.to_numpy(), index=involved.index).groupby(
        involved.to_numpy(), sort=False).transform("min")
    first_row = np.full(len(keys), WHOLE_COLUMN, dtype=np.int64)
    first_row[involved.index.to_numpy()] = first_of_involved.to_numpy()
    ids = record_ids.astype("str").to_numpy(dtype=object)[rows]
    source_texts = (sources.astype("str").to_numpy(dtype=object)[rows] if sources is not None
                    else np.full(rows.size, "", dtype=object))
    messages = [
        f"record_id {record_id!r} is used more than once in source {source!r} "
        f"(first at row {first})"
        for record_id, source, first in zip(ids, source_texts, first_row[rows], strict=True)
    ]
    report.add(rows, "record_id", ids, np.asarray(messages, dtype=object))


# --- dimensions -------------------------------------------------------------------------------


def _codes_hint(dimension: Dimension) -> str:
    if dimension.name == "country":
        return "codes are upper-case ISO 3166-1 alpha-2 such as US, or declined/unknown"
    codes = dimension.code_list
    shown = ", ".join(codes[:_SHOWN_CODES]) + (", ..." if len(codes) > _SHOWN_CODES else "")
    if dimension.open_code_pattern:
        shown += f", or {dimension.open_code_definition.lower().rstrip('.')}"
    return f"codes: {shown}"


def _not_a_code(dimension: Dimension, text: str, standard: Standard) -> str:
    if dimension.name == "country" and dimension.is_code(text.strip().upper()):
        upper = text.strip().upper()
        return f"{text!r} is not a country code; country codes are upper case: {upper!r}"
    suggestion = match_label(dimension.name, text, standard)
    if suggestion is not None and suggestion != text:
        return (f"{text!r} is not a {dimension.name} code; it reads as {suggestion!r}, map it "
                "at intake")
    return f"{text!r} is not a {dimension.name} code ({_codes_hint(dimension)})"


def _single_check(dimension: Dimension, standard: Standard) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        if not text.strip():
            return None if dimension.blank_allowed else _blank(dimension.name)
        if dimension.is_code(text):
            return None
        return _not_a_code(dimension, text, standard)

    return check


def _multi_check(dimension: Dimension, standard: Standard) -> Callable[[str], str | None]:
    separator = standard.multi_separator

    def check(text: str) -> str | None:
        if not text.strip():
            return None if dimension.blank_allowed else _blank(dimension.name)
        parts = text.split(separator)
        problems = []
        if any(not part.strip() for part in parts):
            problems.append(f"an empty code between {separator!r}")
        if any(part.strip() and part != part.strip() for part in parts):
            problems.append("spaces around a code")
        codes = [part.strip() for part in parts if part.strip()]
        problems.extend(_not_a_code(dimension, code, standard)
                        for code in dict.fromkeys(codes) if not dimension.is_code(code))
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            problems.append(f"{', '.join(map(repr, repeated))} given more than once")
        if not repeated and codes != sorted(codes):
            problems.append(f"codes are not sorted; write {separator.join(sorted(codes))!r}")
        missing_given = [code for code in MISSING_CODES if code in codes]
        if missing_given and len(set(codes)) > 1:
            problems.append(f"{missing_given[0]!r} cannot be combined with other codes")
        for coarse, lumped in COARSE_CODES.items():
            together = sorted(lumped & set(codes))
            if coarse in codes and together:
                problems.append(f"the coarse {coarse!r} cannot be combined with "
                                f"{', '.join(map(repr, together))}")
        return "; ".join(problems) or None

    return check


def _answer_codes(text: str, dimension: Dimension, separator: str) -> frozenset[str] | None:
    """The codes of a valid multi-select value, or None when it is invalid (reported already)."""
    codes = [part.strip() for part in text.split(separator) if part.strip()]
    if not all(dimension.is_code(code) for code in codes):
        return None
    return frozenset(codes)


def _distinct_pairs(
    first: pd.Series, second: pd.Series
) -> tuple[list[str], list[str], np.ndarray]:
    """Distinct (first, second) text pairs and, per row, which pair it holds."""
    first_codes, first_values = pd.factorize(first, use_na_sentinel=True)
    second_codes, second_values = pd.factorize(second, use_na_sentinel=True)
    first_texts = [_text(value) for value in first_values] + [""]
    second_texts = [_text(value) for value in second_values] + [""]
    pair_ids = (np.mod(first_codes, len(first_texts)).astype(np.int64) * len(second_texts)
                + np.mod(second_codes, len(second_texts)))
    distinct, row_pairs = np.unique(pair_ids, return_inverse=True)
    firsts = [first_texts[pair // len(second_texts)] for pair in distinct]
    seconds = [second_texts[pair % len(second_texts)] for pair in distinct]
    return firsts, seconds, row_pairs.reshape(-1)


def _report_pairs(
    messages: list[str | None], values: list[str], row_pairs: np.ndarray, column: str,
    report: _Report,
) -> None:
    is_bad = np.asarray([message is not None for message in messages], dtype=bool)
    rows = np.flatnonzero(is_bad[row_pairs])
    if rows.size:
        report.add(rows, column, np.asarray(values, dtype=object)[row_pairs[rows]],
                   np.asarray(messages, dtype=object)[row_pairs[rows]])


def _check_detail_parents(
    race_values: pd.Series, detail_values: pd.Series, race: Dimension, detail: Dimension,
    standard: Standard, report: _Report,
) -> None:
    separator = standard.multi_separator
    races, details, row_pairs = _distinct_pairs(race_values, detail_values)
    messages: list[str | None] = []
    for race_text, detail_text in zip(races, details, strict=True):
        chosen = _answer_codes(race_text, race, separator)
        detailed = _answer_codes(detail_text, detail, separator)
        if not detail_text.strip() or chosen is None or detailed is None:
            messages.append(None)
            continue
        orphans = sorted(code for code in detailed if code.split(".", 1)[0] not in chosen)
        messages.append(
            f"{', '.join(map(repr, orphans))} needs its parent in race_ethnicity "
            f"(which is {race_text!r})" if orphans else None
        )
    _report_pairs(messages, details, row_pairs, detail.name, report)


def _check_region_matches_country(
    country_values: pd.Series, region_values: pd.Series, standard: Standard, report: _Report
) -> None:
    region_dimension = standard.dimension("us_region")
    country_dimension = standard.dimension("country")
    countries, regions, row_pairs = _distinct_pairs(country_values, region_values)
    messages: list[str | None] = []
    for country, region in zip(countries, regions, strict=True):
        if not country_dimension.is_code(country):
            messages.append(None)  # reported as a bad country already
        elif country == UNITED_STATES and not region.strip():
            messages.append("blank for a record in the United States; give its region, or "
                            f"{UNKNOWN!r} when the state is not known")
        elif country not in (UNITED_STATES, *MISSING_CODES) and (
                region in region_dimension.answer_codes):
            messages.append(f"a Census region is given for a record in {country!r}; leave "
                            "us_region blank outside the United States")
        else:
            messages.append(None)
    _report_pairs(messages, regions, row_pairs, "us_region", report)
