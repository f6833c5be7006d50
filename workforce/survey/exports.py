"""Responses out of the platform, with labels: a codebook, a response table and its files.

`response_table` lays responses out one row each: the response's id, status and the day it
was submitted, then one column per question that is answered or computed (notes are not
data). A select_multiple answer is one column of its choice names separated by spaces, as
ODK exports it, plus one 0/1 column per choice named ``<question>__<choice>``; a question
left unanswered is empty in all of them (not 0: not asked is not "not chosen").

`write_responses` writes the table as CSV (UTF-8), XLSX (with a ``codebook`` sheet), SPSS
``.sav`` or Stata ``.dta``. The statistics formats carry the question text as variable
labels and the choice labels as value labels: a select_one is stored as 1..n in the order of
its choice list, a 0/1 column as 0 = No, 1 = Yes, and `codebook` records every code and every
variable name as the file spells it (SPSS names up to 64 characters, Stata names up to 32,
letters, digits and ``_``, unique). A file is written under a temporary name next to the
target and renamed when complete, so a failed export never leaves a half-written file.

Free text is data, never a formula: XLSX cells are written as text, and in CSV a text answer
that starts with ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe so a spreadsheet
program does not run it.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workforce.survey.instrument import (
    ANSWER_TYPES,
    COMPUTED_TYPES,
    METADATA_TYPES,
    Choice,
    Instrument,
    Question,
)

FORMATS = ("csv", "xlsx", "sav", "dta")
RESPONSE_COLUMNS = ("response_id", "status", "submitted_on")
INDICATOR_SEPARATOR = "__"
OTHER = "other"  # the choice `or_other` adds; its text is kept under `<name>_other`

CODEBOOK_COLUMNS = (
    "variable",
    "label",
    "type",
    "choices",
    "standard",
    "relevance",
    "codes",
    "spss_name",
    "stata_name",
)

# Limits of the statistics formats (SPSS: IBM SPSS Statistics Command Syntax Reference,
# "Variable names"; Stata: [U] 11.3 "Naming conventions" and [D] label).
SPSS_NAME_LIMIT = 64
SPSS_VARIABLE_LABEL_LIMIT = 256
SPSS_VALUE_LABEL_BYTES = 120
SPSS_FILE_LABEL_BYTES = 64
STATA_NAME_LIMIT = 32
# pyreadstat names a variable's value-label set after the variable plus a running number,
# and a label-set name has the same 32-character limit: a labelled variable keeps 4 spare.
STATA_LABELLED_NAME_LIMIT = STATA_NAME_LIMIT - 4
STATA_VARIABLE_LABEL_LIMIT = 80
STATA_VALUE_LABEL_LIMIT = 32_000
STATA_FILE_LABEL_LIMIT = 80
SPSS_RESERVED = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)
STATA_RESERVED = frozenset(
    {
        "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
        "_n", "_N", "_pi", "_pred", "_rc", "_se", "_skip", "str", "strL", "using", "with",
    }
)  # fmt: skip
_STATA_STRING_TYPE = re.compile(r"str\d+")
_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INDICATOR_LABELS = {0: "No", 1: "Yes"}
TRUNCATED = "..."


@dataclass(frozen=True)
class _Variable:
    """One column of the response table and what it means."""

    name: str
    label: str
    kind: str  # response, text, integer, decimal, date, select_one, select_multiple,
    # indicator, other_text, calculate, or a metadata type (start, end, today)
    question: Question | None = None
    choices: tuple[Choice, ...] = ()
    choice: Choice | None = None


def _choices_of(instrument: Instrument, question: Question) -> tuple[Choice, ...]:
    """The question's choice list, with the "Other" that `or_other` adds."""
    choices = instrument.choice_list(question)
    if question.or_other and all(choice.name != OTHER for choice in choices):
        choices = (*choices, Choice(name=OTHER, labels={"default": "Other"}))
    return choices


def _variables(instrument: Instrument, language: str) -> list[_Variable]:
    variables = [
        _Variable("response_id", "Response identifier", "response"),
        _Variable("status", "Response status (partial or complete)", "response"),
        _Variable("submitted_on", "Day the response was submitted", "date"),
    ]
    for question in instrument.questions:
        if question.type not in (*ANSWER_TYPES, *COMPUTED_TYPES, *METADATA_TYPES):
            continue
        label = question.label(language) or (
            f"Computed: {question.calculation}" if question.calculation else question.name
        )
        if question.type in ("select_one", "select_multiple"):
            choices = _choices_of(instrument, question)
            variables.append(_Variable(question.name, label, question.type, question, choices))
            if question.type == "select_multiple":
                variables.extend(
                    _Variable(
                        f"{question.name}{INDICATOR_SEPARATOR}{choice.name}",
                        f"{label}: {choice.label(language)}",
                        "indicator",
                        question,
                        choice=choice,
                    )
                    for choice in choices
                )
            if question.or_other:
                variables.append(
                    _Variable(
                        question.other_name,
                        f"{label}: Other, in their words",
                        "other_text",
                        question,
                    )
                )
        else:
            variables.append(_Variable(question.name, label, question.type, question))
    return variables


# --------------------------------------------------------------------------- codebook


def codebook(instrument: Instrument, *, language: str) -> pd.DataFrame:
    """One row per column of the response table: what it holds and how each file names it.

    `choices` lists ``name = label`` lines; `codes` the numbers a .sav or .dta file stores
    (``1 = woman``); `spss_name` and `stata_name` the column's name in those files.
    """
    variables = _variables(instrument, language)
    spss = _format_names([(v.name, SPSS_NAME_LIMIT) for v in variables], _spss_reserved)
    stata = _format_names([(v.name, _stata_limit(v)) for v in variables], _stata_reserved)
    rows = []
    for variable in variables:
        question = variable.question
        rows.append(
            {
                "variable": variable.name,
                "label": variable.label,
                "type": variable.kind,
                "choices": "\n".join(
                    f"{choice.name} = {choice.label(language)}" for choice in variable.choices
                ),
                "standard": _feeds(variable),
                "relevance": (question.relevant or "") if question else "",
                "codes": "\n".join(
                    f"{code} = {label}" for code, label in _value_codes(variable).items()
                ),
                "spss_name": spss[variable.name],
                "stata_name": stata[variable.name],
            }
        )
    return pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS), dtype="str")


def _feeds(variable: _Variable) -> str:
    """The dimension of the data standard a question's own column feeds, if any."""
    question = variable.question
    if question is None or variable.name != question.name:
        return ""  # a 0/1 or "Other" column holds part of an answer, not the answer
    return question.standard or ""


def _value_codes(variable: _Variable) -> dict[int, str]:
    """The number stored for each answer in .sav and .dta files, with its text."""
    if variable.kind == "select_one":
        return {position: choice.name for position, choice in enumerate(variable.choices, 1)}
    if variable.kind == "indicator":
        return dict(INDICATOR_LABELS)
    return {}


def _value_labels(variable: _Variable, language: str) -> dict[int, str]:
    if variable.kind == "select_one":
        return {
            position: choice.label(language) for position, choice in enumerate(variable.choices, 1)
        }
    if variable.kind == "indicator":
        return dict(INDICATOR_LABELS)
    return {}


# --------------------------------------------------------------------------- table


def response_table(instrument: Instrument, responses: Iterable[Mapping]) -> pd.DataFrame:
    """One row per response: ``response_id``, ``status``, ``submitted_on``, then the answers.

    Each response is a mapping with those three keys and ``answers`` (the core's answers
    dict: question name → text, or a list of choice names for a select_multiple).
    ``submitted_on`` is a date, an ISO day or None. Integer answers become nullable integers,
    decimals nullable floats, 0/1 columns nullable integers; everything else stays text.
    """
    variables = _variables(instrument, "default")
    columns: dict[str, list[object]] = {variable.name: [] for variable in variables}
    for position, response in enumerate(responses, start=1):
        missing = [key for key in (*RESPONSE_COLUMNS, "answers") if key not in response]
        if missing:
            raise ValueError(
                f"response {position}: missing {', '.join(map(repr, missing))}; a response "
                "needs response_id, status, submitted_on and answers"
            )
        answers = response["answers"]
        for variable in variables:
            try:
                value = _cell(variable, response, answers)
            except ValueError as error:
                raise ValueError(
                    f"response {response['response_id']!r}, question {variable.name!r}: {error}"
                ) from None
            columns[variable.name].append(value)
    return pd.DataFrame(
        {variable.name: _column(variable, columns[variable.name]) for variable in variables}
    )


def _cell(variable: _Variable, response: Mapping, answers: Mapping) -> object:
    if variable.kind == "response" or variable.name == "submitted_on":
        value = response[variable.name]
        if isinstance(value, datetime.datetime):
            value = value.date()  # only ever the day
        return (
            None
            if value is None or value == ""
            else str(value.isoformat() if isinstance(value, datetime.date) else value)
        )
    question = variable.question
    assert question is not None
    if variable.kind == "indicator":
        chosen = answers.get(question.name)
        if chosen is None:
            return None
        assert variable.choice is not None
        return int(variable.choice.name in _names(chosen))
    if variable.kind == "other_text":
        return _text(answers.get(question.other_name))
    value = answers.get(variable.name)
    if value is None or value == "" or value == []:
        return None
    if variable.kind == "select_multiple":
        return " ".join(_names(value))
    if variable.kind == "integer":
        return int(str(value))
    if variable.kind == "decimal":
        number = float(str(value))
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    return _text(value)


def _names(value: object) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list | tuple) else str(value).split()


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _column(variable: _Variable, values: list[object]) -> pd.Series:
    if variable.kind in ("integer", "indicator"):
        return pd.Series(values, dtype="Int64", name=variable.name)
    if variable.kind == "decimal":
        return pd.Series(values, dtype="Float64", name=variable.name)
    return pd.Series(values, dtype="str", name=variable.name)


# --------------------------------------------------------------------------- files


def write_responses(
    instrument: Instrument,
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str,
    language: str,
) -> Path:
    """Write `table` (from `response_table`) as csv, xlsx, sav or dta; returns the path.

    Labels are in `language`. The file appears only once it is complete: it is written
    under a temporary name in the same folder and renamed over `path`.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; formats: {', '.join(FORMATS)}")
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {target.parent} does not exist")
    book = codebook(instrument, language=language)
    variables = {variable.name: variable for variable in _variables(instrument, language)}
    writers: dict[str, Callable[[Path], None]] = {
        "csv": lambda temporary: _write_csv(table, variables, temporary),
        "xlsx": lambda temporary: _write_xlsx(table, book, temporary),
        "sav": lambda temporary: _write_statistics(
            instrument, table, book, variables, temporary, "sav", language
        ),
        "dta": lambda temporary: _write_statistics(
            instrument, table, book, variables, temporary, "dta", language
        ),
    }
    return _write_atomically(target, writers[format])


def _write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    handle, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem}-", suffix=f"{target.suffix}.part"
    )
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _write_csv(table: pd.DataFrame, variables: Mapping[str, _Variable], path: Path) -> None:
    safe = table.copy()
    for name in safe.columns:
        variable = variables.get(name)
        if variable is not None and variable.kind in ("text", "other_text", "calculate"):
            safe[name] = safe[name].map(_defused, na_action="ignore")
    safe.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def _defused(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_xlsx(table: pd.DataFrame, book: pd.DataFrame, path: Path) -> None:
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as excel:
        table.to_excel(excel, sheet_name="responses", index=False)
        book.to_excel(excel, sheet_name="codebook", index=False)


def _write_statistics(
    instrument: Instrument,
    table: pd.DataFrame,
    book: pd.DataFrame,
    variables: Mapping[str, _Variable],
    path: Path,
    kind: str,
    language: str,
) -> None:
    import pyreadstat  # a large C extension: loaded only when a .sav or .dta is written

    spss = kind == "sav"
    known = dict(zip(book["variable"], book["spss_name" if spss else "stata_name"], strict=True))
    limit = SPSS_NAME_LIMIT if spss else STATA_NAME_LIMIT
    extra = [(column, limit) for column in table.columns if column not in known]
    reserved = _spss_reserved if spss else _stata_reserved
    renamed = {**known, **_format_names(extra, reserved, taken=set(known.values()))}

    columns: dict[str, pd.Series] = {}
    column_labels: dict[str, str] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    measures: dict[str, str] = {}
    for column in table.columns:
        name = renamed[column]
        variable = variables.get(column)
        columns[name] = _statistics_column(table[column], variable)
        label = variable.label if variable is not None else column
        column_labels[name] = (
            _truncate(label, SPSS_VARIABLE_LABEL_LIMIT)
            if spss
            else _truncate(label, STATA_VARIABLE_LABEL_LIMIT)
        )
        if variable is None:
            continue
        labels = _value_labels(variable, language)
        if labels:
            value_labels[name] = {
                code: _truncate_bytes(text, SPSS_VALUE_LABEL_BYTES)
                if spss
                else _truncate(text, STATA_VALUE_LABEL_LIMIT)
                for code, text in labels.items()
            }
        if variable.kind in ("select_one", "indicator", "select_multiple"):
            measures[name] = "nominal"
        elif variable.kind in ("integer", "decimal"):
            measures[name] = "scale"
    frame = pd.DataFrame(columns, index=range(len(table)))
    if spss:
        pyreadstat.write_sav(
            frame,
            str(path),
            file_label=_truncate_bytes(instrument.title, SPSS_FILE_LABEL_BYTES),
            column_labels=column_labels,
            variable_value_labels=value_labels,
            variable_measure=measures,
        )
    else:
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=_truncate(instrument.title, STATA_FILE_LABEL_LIMIT),
            column_labels=column_labels,
            variable_value_labels=value_labels,
        )


def _statistics_column(values: pd.Series, variable: _Variable | None) -> pd.Series:
    """A column as pyreadstat writes it: numbers as floats (NaN when empty), days as dates."""
    kind = variable.kind if variable is not None else ""
    if kind == "select_one":
        assert variable is not None and variable.question is not None
        codes = {choice.name: position for position, choice in enumerate(variable.choices, 1)}
        unknown = sorted({value for value in values.dropna() if value not in codes})
        if unknown:
            raise ValueError(
                f"column {variable.name!r}: {', '.join(map(repr, unknown))} is not a choice of "
                f"list {variable.question.list_name!r}, so it has no code to write"
            )
        return values.map(codes.get, na_action="ignore").astype("float64")
    if kind in ("integer", "decimal", "indicator"):
        return values.astype("Float64").astype("float64")
    if kind in ("date", *METADATA_TYPES):
        return values.map(datetime.date.fromisoformat, na_action="ignore").astype(object)
    return values.astype(object).where(values.notna(), "")


# --------------------------------------------------------------------------- names


def _spss_reserved(name: str) -> bool:
    return name.upper() in SPSS_RESERVED


def _stata_reserved(name: str) -> bool:
    return name in STATA_RESERVED or bool(_STATA_STRING_TYPE.fullmatch(name))


def _stata_limit(variable: _Variable) -> int:
    labelled = variable.kind in ("select_one", "indicator")
    return STATA_LABELLED_NAME_LIMIT if labelled else STATA_NAME_LIMIT


def _format_names(
    names: list[tuple[str, int]],
    reserved: Callable[[str], bool],
    *,
    taken: set[str] | None = None,
) -> dict[str, str]:
    """A valid, unique name for each (column, length limit): ASCII letters, digits and _,
    starting with a letter; clashes (ignoring case) get ``_2``, ``_3`` ..."""
    used = {name.lower() for name in taken or ()}
    result: dict[str, str] = {}
    for original, limit in names:
        ascii_name = (
            unicodedata.normalize("NFKD", original).encode("ascii", "ignore").decode("ascii")
        )
        base = _NOT_NAME_CHARACTER.sub("_", ascii_name)
        if not base or not base[0].isalpha():
            base = "v" + base
        if len(base) > limit and INDICATOR_SEPARATOR in base:
            # A 0/1 column too long: shorten the question part and keep the choice whole.
            question, choice = base.split(INDICATOR_SEPARATOR, 1)
            room = limit - len(choice) - 1
            if room >= 4:
                base = f"{question[:room]}_{choice}"
        base = base[:limit]
        if reserved(base):
            base = base[: limit - 1] + "_"
        candidate, number = base, 1
        while candidate.lower() in used or reserved(candidate):
            number += 1
            suffix = f"_{number}"
            candidate = base[: limit - len(suffix)] + suffix
        used.add(candidate.lower())
        result[original] = candidate
    return result


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


def _truncate_bytes(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - len(TRUNCATED)].decode("utf-8", "ignore")
    return cut + TRUNCATED
