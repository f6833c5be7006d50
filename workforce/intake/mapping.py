"""The mapping file: which source column feeds which dimension, and what each value means.

An organization keeps one mapping per export layout, as readable YAML with a version. Each
mapped column names its dimension and method; each distinct source value (or, for a
multi-select cell, each answer in it) gets a standard code, the reason for it and whether a
person confirmed it. Proposals from the standard's own labels and synonym lists (including
"N/A" → unknown and "Prefer not to say" → declined), from crosswalks and from SPSS/Stata value
labels are certain and come confirmed; a fuzzy proposal never does, and a value nothing
matches stays unmapped until a person decides, even if only to mark it unknown.

Values are keyed by their text with spaces collapsed and case folded, so " White" and
"WHITE" are the same decision while "Latina/o" stays readable in the file.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from workforce.intake.errors import IntakeError, MappingIncomplete, UndecidedValue
from workforce.standard import (
    DECLINED,
    UNKNOWN,
    Standard,
    load_standard,
    match_label,
    normalize_label,
)

MAPPING_FORMAT = 1
# Methods whose columns carry values to decide; the others are read by a rule.
VALUE_METHODS = ("label", "multi", "checkbox", "omb1997_hispanic", "omb1997_race")
RULE_METHODS = ("record_id", "birth_year", "age", "us_state")
METHODS = VALUE_METHODS + RULE_METHODS
CONFIRMED_REASONS = ("exact", "synonym", "crosswalk", "value_label", "missing", "person")
FUZZY_CUTOFF = 0.8
DEFAULT_SEPARATORS = (";", ",", "/", "|")
BLANK_KEY = "(blank)"  # how an empty cell is written in the mapping file
ANSWER_CODES = {  # the codes a yes/no style column can take
    "checkbox": ("yes", "no", DECLINED, UNKNOWN),
    "omb1997_hispanic": ("yes", "no", DECLINED, UNKNOWN),
}


def value_key(value: object) -> str:
    """The key a source value is decided under: spaces collapsed, case folded."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return " ".join(str(value).split()).casefold()


@dataclass(frozen=True)
class ValueDecision:
    """What one source value means: its code, why, and whether a person confirmed it.

    `also` sets further dimensions from the same value ("Trans woman" is gender `woman` and
    transgender `yes`).
    """

    code: str | None
    reason: str
    confirmed: bool
    score: float | None = None
    also: dict[str, str] = field(default_factory=dict)
    label: str | None = None  # the value label a coded value carries, for the reader

    @property
    def decided(self) -> bool:
        return self.confirmed and self.code is not None

    def to_yaml(self) -> dict:
        entry: dict = {"code": self.code, "reason": self.reason, "confirmed": self.confirmed}
        if self.label is not None:
            entry["label"] = self.label
        if self.score is not None:
            entry["score"] = round(float(self.score), 3)
        if self.also:
            entry["also"] = dict(self.also)
        return entry


@dataclass(frozen=True)
class ColumnMapping:
    """One source column: the dimension it feeds, how, and the decision for each value."""

    column: str
    dimension: str
    method: str
    values: dict[str, ValueDecision] = field(default_factory=dict)
    separators: tuple[str, ...] = ()
    code: str | None = None  # for a checkbox column: the category a ticked box means
    reason: str = ""
    confidence: float | None = None

    def decided(self, key: str) -> ValueDecision | None:
        """The decision for a value key, if a person has confirmed one; else None."""
        decision = self.values.get(key)
        return decision if decision is not None and decision.decided else None

    def to_yaml(self) -> dict:
        entry: dict = {"dimension": self.dimension, "method": self.method}
        if self.code is not None:
            entry["code"] = self.code
        if self.separators:
            entry["separators"] = list(self.separators)
        if self.reason:
            entry["detected"] = self.reason
        if self.confidence is not None:
            entry["confidence"] = round(float(self.confidence), 2)
        if self.method in VALUE_METHODS:
            entry["values"] = {
                key or BLANK_KEY: decision.to_yaml() for key, decision in self.values.items()
            }
        return entry


@dataclass(frozen=True)
class Mapping:
    """An organization's mapping of one export layout to the standard, versioned."""

    org: str
    version: int
    columns: tuple[ColumnMapping, ...]
    standard_version: int = 1
    source: dict = field(default_factory=dict)

    def column(self, name: str) -> ColumnMapping | None:
        return next((column for column in self.columns if column.column == name), None)

    def to_yaml(self) -> str:
        document = {
            "format": MAPPING_FORMAT,
            "org": self.org,
            "version": self.version,
            "standard_version": self.standard_version,
            "source": dict(self.source),
            "columns": {column.column: column.to_yaml() for column in self.columns},
        }
        header = (
            f"# Mapping of {self.org}'s export to the workforce data standard v"
            f"{self.standard_version}.\n"
            "# Every value needs `confirmed: true` and a code before the file can be ingested;\n"
            "# set `code: unknown` (reason: person) for a value that cannot be mapped.\n"
        )
        return header + yaml.safe_dump(
            document, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None
        )


def save_mapping(mapping: Mapping, path: Path) -> None:
    path.write_text(mapping.to_yaml(), encoding="utf-8")


def load_mapping(path: Path | str) -> Mapping:
    """Read a mapping file back; a malformed one raises IntakeError naming file and column."""
    path = Path(path)
    try:
        # The C loader, when PyYAML has it, reads a large mapping several times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise IntakeError(f"{path.name}: not a readable mapping file: {error}") from None
    return mapping_from_dict(document, path.name)


def mapping_from_dict(document: object, name: str = "mapping") -> Mapping:
    standard = load_standard()
    if not isinstance(document, dict) or "org" not in document or "columns" not in document:
        raise IntakeError(f"{name}: a mapping file needs `org`, `version` and `columns`")
    columns = []
    for column, entry in (document.get("columns") or {}).items():
        where = f"{name}, column {column!r}"
        if not isinstance(entry, dict):
            raise IntakeError(f"{where}: expected dimension, method and values")
        method = entry.get("method")
        if method not in METHODS:
            raise IntakeError(f"{where}: method {method!r} is not one of {', '.join(METHODS)}")
        dimension = str(entry.get("dimension"))
        if method not in ("record_id", "us_state", "birth_year", "age"):
            try:
                standard.dimension(dimension)
            except Exception:
                raise IntakeError(
                    f"{where}: {dimension!r} is not a dimension of the standard"
                ) from None
        values = {}
        for key, decision in (entry.get("values") or {}).items():
            if not isinstance(decision, dict):
                raise IntakeError(f"{where}, value {key!r}: expected code, reason, confirmed")
            code = decision.get("code")
            code = None if code is None else str(code)
            if code is not None and not _allowed(code, dimension, method, standard):
                raise IntakeError(f"{where}, value {key!r}: {code!r} is not a code of {dimension}")
            also = decision.get("also") or {}
            if not isinstance(also, dict):
                raise IntakeError(f"{where}, value {key!r}: `also` maps dimensions to codes")
            for other, other_code in also.items():
                if not _allowed(str(other_code), str(other), "label", standard):
                    raise IntakeError(
                        f"{where}, value {key!r}: also {other}={other_code!r} is not a code "
                        "of the standard"
                    )
            values["" if key == BLANK_KEY else value_key(key)] = ValueDecision(
                code,
                str(decision.get("reason", "person")),
                decision.get("confirmed") is True,
                decision.get("score"),
                {str(k): str(v) for k, v in (decision.get("also") or {}).items()},
                decision.get("label"),
            )
        columns.append(
            ColumnMapping(
                str(column),
                dimension,
                method,
                values,
                tuple(entry.get("separators") or ()),
                entry.get("code"),
                str(entry.get("detected", "")),
                entry.get("confidence"),
            )
        )
    return Mapping(
        str(document["org"]),
        int(document.get("version", 1)),
        tuple(columns),
        int(document.get("standard_version", 1)),
        dict(document.get("source") or {}),
    )


def _allowed(code: str, dimension: str, method: str, standard: Standard) -> bool:
    if dimension not in standard.dimensions:
        return False
    if method in ANSWER_CODES:
        return code in ANSWER_CODES[method]
    if dimension == "race_ethnicity" and "." in code:
        return standard.dimension("race_ethnicity_detail").is_code(code)
    return standard.dimension(dimension).is_code(code)


# --- proposals ------------------------------------------------------------------------------


def propose_value(
    column: ColumnMapping,
    raw: str,
    labels: dict[str, str] | None = None,
    standard: Standard | None = None,
) -> ValueDecision:
    """The proposed decision for one source value (a token, for multi-select columns)."""
    standard = standard or load_standard()
    if labels and raw.strip() in labels:
        found = _propose_text(column, labels[raw.strip()], standard)
        if found.code is not None and found.reason != "fuzzy":
            return ValueDecision(
                found.code, "value_label", True, None, found.also, labels[raw.strip()]
            )
        return replace(found, confirmed=False, label=labels[raw.strip()])
    return _propose_text(column, raw, standard)


def _propose_text(column: ColumnMapping, raw: str, standard: Standard) -> ValueDecision:
    text = normalize_label(raw)
    method, dimension = column.method, column.dimension
    if method in ANSWER_CODES:
        table = standard.crosswalks.omb1997_hispanic
        if method == "checkbox":
            table = _checkbox_answers()
        code = table.get(text)
        if code is not None:
            return ValueDecision(code, "crosswalk" if text else "missing", True)
        return _fuzzy(text, table)
    if method == "omb1997_race":
        code = standard.crosswalks.omb1997_race.get(text)
        if code is not None:
            return ValueDecision(code, "crosswalk" if text else "missing", True)
        return _fuzzy(text, standard.crosswalks.omb1997_race)
    if dimension == "race_ethnicity":
        detail = match_label("race_ethnicity_detail", raw, standard)
        if detail not in (None, UNKNOWN, DECLINED):
            return ValueDecision(detail, _reason(text, "race_ethnicity_detail", standard), True)
    code = match_label(dimension, raw, standard)
    also: dict[str, str] = {}
    if dimension == "gender" and code in ("woman", "man") and text.startswith("trans"):
        also = {"transgender": "yes"}
    if code is not None:
        reason = "missing" if code in (UNKNOWN, DECLINED) else _reason(text, dimension, standard)
        return ValueDecision(code, reason, True, None, also)
    return _fuzzy(text, _label_table(dimension, standard))


def _checkbox_answers() -> dict[str, str]:
    table = {
        "yes": "yes",
        "y": "yes",
        "x": "yes",
        "1": "yes",
        "true": "yes",
        "checked": "yes",
        "selected": "yes",
        "no": "no",
        "n": "no",
        "0": "no",
        "false": "no",
        "unchecked": "no",
        "": "no",
    }
    return table


def _reason(text: str, dimension: str, standard: Standard) -> str:
    for code in standard.dimension(dimension).codes:
        if text in (normalize_label(code.code), normalize_label(code.label)):
            return "exact"
    return "synonym"


_LABEL_TABLES: dict[tuple[str, int], dict[str, str]] = {}


def _label_table(dimension: str, standard: Standard) -> dict[str, str]:
    """Every label and synonym the standard knows for a dimension (normalized) -> code."""
    key = (dimension, id(standard))
    if key not in _LABEL_TABLES:
        _LABEL_TABLES[key] = _build_label_table(dimension, standard)
    return _LABEL_TABLES[key]


def _build_label_table(dimension: str, standard: Standard) -> dict[str, str]:
    table = dict(standard.synonyms.get(dimension, {}))
    for code in standard.dimension(dimension).codes:
        table.setdefault(normalize_label(code.label), code.code)
    if dimension == "race_ethnicity":
        for code in standard.dimension("race_ethnicity_detail").codes:
            table.setdefault(normalize_label(code.label), code.code)
    return {text: code for text, code in table.items() if code is not None and text}


def _fuzzy(text: str, table: dict[str, str]) -> ValueDecision:
    """The closest known label, never confirmed; unmapped when nothing is close."""
    if not text:
        return ValueDecision(None, "unmapped", False)
    candidates = [label for label in table if label]
    matches = difflib.get_close_matches(text, candidates, n=1, cutoff=FUZZY_CUTOFF)
    if matches:
        score = round(difflib.SequenceMatcher(None, text, matches[0]).ratio(), 3)
        return ValueDecision(table[matches[0]], "fuzzy", False, score)
    return ValueDecision(None, "unmapped", False)


# --- multi-select cells ---------------------------------------------------------------------


def split_answers(
    cell: str, separators: tuple[str, ...], known: set[str] | None = None
) -> list[str]:
    """The answers in one multi-select cell, each as its value key.

    Separators can also occur inside a label ("White/Caucasian", "Latina/o"), so the cell is
    cut at every separator and neighbouring pieces are joined again, longest first, whenever
    the joined text is a known label (`known`: value keys of the mapping, or labels the
    standard knows when proposing).
    """
    text = value_key(cell)
    if not text:
        return [""]
    known = known if known is not None else set()
    if not separators or text in known:  # most cells: one answer, the whole cell
        return [text]
    parts = _separators_pattern(separators).split(text)
    pieces, joiners = parts[0::2], parts[1::2]
    answers: list[str] = []
    start = 0
    while start < len(pieces):
        end = len(pieces)
        chosen = None
        while end > start + 1:
            candidate = "".join(
                p + (joiners[i] if i < end - 1 else "")
                for i, p in enumerate(pieces[start:end], start=start)
            ).strip()
            # Proposing (no mapping yet): the standard's labels decide what belongs together.
            if candidate in known or (not known and _known_label(candidate)):
                chosen = candidate
                break
            end -= 1
        if chosen is None:
            end = start + 1
            chosen = pieces[start].strip()
        if chosen:
            answers.append(chosen)
        start = end
    return answers or [""]


@functools.lru_cache(maxsize=64)
def _separators_pattern(separators: tuple[str, ...]) -> re.Pattern:
    """Splits at any of the separators, keeping them (as the odd parts)."""
    return re.compile("(" + "|".join(re.escape(separator) for separator in separators) + ")")


def _known_label(text: str) -> bool:
    standard = load_standard()
    normalized = normalize_label(text)
    return (
        normalized in _label_table("race_ethnicity", standard)
        or normalized in standard.crosswalks.omb1997_race
    )


def distinct_values(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Row positions into the distinct raw values of a column, and those values.

    Arrow's dictionary encoding does this in one pass without a Python object per row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.CategoricalDtype):
        # Read so (see `read_source`): the parser found the distinct values already.
        return _categorical_values(values)
    try:
        array = pa.array(values, from_pandas=True)
        if isinstance(array, pa.Array):
            array = pa.chunked_array([array])
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            raise TypeError(array.type)
    except (pa.ArrowException, TypeError):
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return codes, [value if isinstance(value, str) else "" for value in uniques]
    encoded = pc.dictionary_encode(array.fill_null("")).unify_dictionaries()
    if encoded.num_chunks == 0 or len(encoded) == 0:
        return np.zeros(0, dtype=np.int64), []
    dictionary = encoded.chunk(0).dictionary.to_pylist()
    positions = np.concatenate(
        [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
    )
    return positions.astype(np.int64, copy=False), dictionary


def _categorical_values(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """`distinct_values` of a categorical column: its codes, and its categories as text.

    A missing cell is the empty text, as in any other column. Categories no row holds are
    left out, so that no one is asked to decide a value no row has (a frame filtered after
    it was read keeps all its categories).
    """
    codes = values.cat.codes.to_numpy()
    uniques = [str(value) for value in values.cat.categories.tolist()]
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(uniques), codes)
        uniques.append("")
    held = np.bincount(codes, minlength=len(uniques)) > 0
    if held.all():
        return codes, uniques
    renumber = np.cumsum(held) - 1
    return renumber[codes], [text for text, kept in zip(uniques, held, strict=True) if kept]


def column_keys(
    column: ColumnMapping,
    values: pd.Series,
    distinct: tuple[np.ndarray, list[str]] | None = None,
    per_cell: list[list[str]] | None = None,
) -> tuple[dict[str, int], list[list[str]], np.ndarray, list[str]]:
    """Every value key a column holds with its row count, and each distinct cell's keys.

    `per_cell`, when given, is `cell_keys(column, uniques)` computed already.
    """
    positions, uniques = distinct if distinct is not None else distinct_values(values)
    counts = np.bincount(positions, minlength=len(uniques)) if len(uniques) else np.zeros(0, int)
    if per_cell is None:
        per_cell = cell_keys(column, uniques)
    totals: dict[str, int] = {}
    for keys, count in zip(per_cell, counts, strict=True):
        for key in dict.fromkeys(keys):
            totals[key] = totals.get(key, 0) + int(count)
    return totals, per_cell, positions, uniques


def cell_keys(column: ColumnMapping, uniques: list[str]) -> list[list[str]]:
    """The value keys in each distinct cell of a column (several in a multi-select cell)."""
    if column.method in ("multi", "omb1997_race") and column.separators:
        known = set(column.values)
        return [split_answers(raw, column.separators, known) for raw in uniques]
    return [[value_key(raw)] for raw in uniques]


def undecided_values(
    mapping: Mapping, frame: pd.DataFrame, distinct=None, keys=None
) -> list[UndecidedValue]:
    """Every value of a mapped column with no confirmed decision yet, with its row count.

    `distinct(column)`, when given, returns a column's precomputed `distinct_values`, and
    `keys(column)` its `cell_keys`.
    """
    standard = load_standard()
    result = []
    for column in mapping.columns:
        if column.method not in VALUE_METHODS or column.column not in frame.columns:
            continue
        shared = distinct(column.column) if distinct is not None else None
        per_cell = keys(column) if keys is not None else None
        if per_cell is not None and all(
            column.decided(key) is not None for cell in per_cell for key in cell
        ):
            continue  # nothing to ask about: no need to count rows
        totals, _, _, _ = column_keys(column, frame[column.column], shared, per_cell)
        for key, rows in totals.items():
            if column.decided(key) is not None:
                continue
            decision = column.values.get(key)
            proposal = decision or propose_value(column, key, None, standard)
            result.append(UndecidedValue(column.column, key, rows, proposal.code, proposal.reason))
    return result


def require_complete(mapping: Mapping, frame: pd.DataFrame, source: str) -> None:
    undecided = undecided_values(mapping, frame)
    if undecided:
        raise MappingIncomplete(source, undecided)


def with_proposals(
    mapping: Mapping, frame: pd.DataFrame, value_labels: dict[str, dict[str, str]] | None = None
) -> Mapping:
    """The mapping with a proposal added for every value it has not seen (kept: the rest)."""
    standard = load_standard()
    value_labels = value_labels or {}
    columns = []
    for column in mapping.columns:
        if column.method not in VALUE_METHODS or column.column not in frame.columns:
            columns.append(column)
            continue
        totals, _, _, _ = column_keys(column, frame[column.column])
        values = dict(column.values)
        labels = {
            value_key(code): label for code, label in value_labels.get(column.column, {}).items()
        }
        for label_code in labels:  # declared codes count even when no row uses them yet
            totals.setdefault(label_code, 0)
        for key in sorted(totals, key=_natural):
            if key not in values:
                values[key] = propose_value(column, key, labels, standard)
        columns.append(replace(column, values=values))
    return replace(mapping, columns=tuple(columns))


def _natural(key: str) -> tuple:
    return (0, float(key), key) if re.fullmatch(r"-?\d+(\.\d+)?", key) else (1, 0.0, key)
