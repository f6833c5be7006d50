"""Crosswalks into the standard: OMB 1997 two-question data, CDC race codes, source labels.

The tables live in ``data/v1/crosswalks.yaml`` and ``data/v1/synonyms.yaml``; this module
applies them. None of them guesses: a value the tables do not cover maps to ``unknown`` (or
raises, with ``errors="raise"``), and ``match_label`` returns ``None`` so that a person decides.

Two-question sources (a Hispanic-origin question, then race) whose Hispanic answer is missing
cannot be turned into one combined answer without guessing whether ``hispanic`` belongs in
it. By default such a record is ``unknown`` (``declined`` when both questions were
declined); ``hispanic_missing="race_only"`` keeps the race answers instead, treating the
unanswered ethnicity question like an unticked box of the combined question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from workforce.standard.labels import normalize_label
from workforce.standard.loader import NOT_HISPANIC, load_standard
from workforce.standard.model import (
    DECLINED,
    MISSING_CODES,
    UNKNOWN,
    Standard,
    cdc_code_number,
)
from workforce.standard.records import join_codes, string_column
from workforce.standard.views import HISPANIC

HispanicMissing = Literal["unknown", "race_only"]
Errors = Literal["unknown", "raise"]
# The categories chosen, or the missing code when none was.
RaceAnswer = frozenset[str] | str

# Several CDC codes in one cell: "2106-3;2186-5", "2106-3, 2135-2", "2054-5|2135-2".
_CDC_SEPARATORS = re.compile(r"[;,|\s]+")


class UnmappedValueError(ValueError):
    """A source value that a crosswalk does not cover (raised with ``errors="raise"``)."""


def match_label(dimension: str, label: object, standard: Standard | None = None) -> str | None:
    """The standard code a source label certainly means, or None when it is not certain.

    Case, accents, punctuation and spacing do not matter ("LATINO/A" matches "Latino/a").
    A code's own spelling and label always match; so do the synonyms in synonyms.yaml and the
    missing-value labels ("Prefer not to answer" → declined, "N/A" or blank → unknown).
    Ambiguous labels ("Lab director", "Two or more races") and unlisted ones give None.
    """
    standard = standard or load_standard()
    table = standard.synonyms.get(dimension)
    if table is None:
        standard.dimension(dimension)  # raises UnknownDimensionError listing the valid names
    if label is None or (not isinstance(label, str) and pd.isna(label)):
        return UNKNOWN
    return table.get(normalize_label(label))


# --- OMB 1997 two-question format -------------------------------------------------------------


def from_omb1997(
    hispanic: pd.Series,
    race: pd.Series,
    *,
    hispanic_missing: HispanicMissing = "unknown",
    errors: Errors = "unknown",
    standard: Standard | None = None,
) -> pd.Series:
    """race_ethnicity from the 1997 two questions: Hispanic origin, then one or more races.

    ``hispanic`` holds yes/no answers in any common spelling ("Hispanic or Latino",
    "Not Hispanic", "Y"...); ``race`` holds one race label or code per cell, several joined
    with ";". Hispanic=yes adds ``hispanic`` beside any races; "Native Hawaiian or Other
    Pacific Islander" is ``nhpi``; "Asian or Pacific Islander" stays the coarse
    ``asian_or_pi``; a 1997 "White" is ``white`` and never ``mena``. A race cell with any
    label the crosswalk does not know is unknown as a whole (or raises with
    ``errors="raise"``). See the module docstring for a missing Hispanic answer.
    """
    standard = standard or load_standard()
    _check_choice(hispanic_missing, ("unknown", "race_only"), "hispanic_missing")
    _check_choice(errors, ("unknown", "raise"), "errors")
    hispanic = _series(hispanic, "hispanic")
    race = _series(race, "race")
    if len(hispanic) != len(race):
        raise ValueError("from_omb1997: hispanic and race must have the same length")
    tables = standard.crosswalks
    separator = standard.multi_separator

    def hispanic_answer(value: object) -> str:
        return _lookup(tables.omb1997_hispanic, value, "Hispanic origin (1997)", errors)

    def race_answer(value: object) -> RaceAnswer:
        if _is_blank(value):
            return UNKNOWN
        codes = set()
        for part in str(value).split(separator):
            code = _lookup(tables.omb1997_race, part, "race (1997)", errors)
            if code == UNKNOWN and normalize_label(part) not in tables.omb1997_race:
                return UNKNOWN  # one unknown label makes the whole set unknown
            codes.add(code)
        return _race_set(codes)

    return _combine_two_questions(
        hispanic, race, hispanic_answer, race_answer, hispanic_missing, "race_ethnicity"
    )


# --- CDC Race & Ethnicity Code Set ------------------------------------------------------------


def cdc_category(code: str, standard: Standard | None = None) -> str | None:
    """The standard code one CDC Race & Ethnicity code rolls up to.

    ``"2106-3"`` → ``"white"``, ``"2118-8"`` → ``"mena"``, ``"2186-5"`` → ``"not_hispanic"``,
    a null flavor ("UNK", "ASKU") → ``"unknown"``; None for a malformed code, one failing
    its check digit, or one outside every known branch.
    """
    standard = standard or load_standard()
    tables = standard.crosswalks
    code = code.strip()
    if code.upper() in tables.cdc_null_flavors:
        return tables.cdc_null_flavors[code.upper()]
    if code in tables.cdc_codes:
        return tables.cdc_codes[code]
    number = cdc_code_number(code)
    if number is None:
        return None
    for branch in tables.cdc_branches:
        if branch.first <= number <= branch.last:
            return branch.code
    return None


def from_cdc(
    codes: pd.Series,
    ethnicity: pd.Series | None = None,
    *,
    hispanic_missing: HispanicMissing = "unknown",
    errors: Errors = "unknown",
    standard: Standard | None = None,
) -> pd.Series:
    """race_ethnicity from CDC Race & Ethnicity codes (e.g. "2106-3;2135-2").

    One argument: each cell lists all of a person's race and ethnicity codes, read like the
    combined question (no Hispanic code means Hispanic was not chosen). Two arguments:
    ``codes`` holds the race codes and ``ethnicity`` the ethnicity codes (2135-2 Hispanic or
    Latino, 2186-5 Not Hispanic or Latino, or a detailed Hispanic code), read like the 1997
    two questions. A cell with a code that cannot be rolled up, or with both Hispanic and not
    Hispanic, is unknown (or raises with ``errors="raise"``).
    """
    standard = standard or load_standard()
    _check_choice(hispanic_missing, ("unknown", "race_only"), "hispanic_missing")
    _check_choice(errors, ("unknown", "raise"), "errors")
    codes = _series(codes, "codes")

    def categories(value: object) -> set[str] | str:
        if _is_blank(value):
            return UNKNOWN
        found = set()
        for code in _CDC_SEPARATORS.split(str(value).strip()):
            category = cdc_category(code, standard)
            if category is None:
                if errors == "raise":
                    raise UnmappedValueError(f"{code!r} is not a CDC Race & Ethnicity code")
                return UNKNOWN
            found.add(category)
        return found

    if ethnicity is None:
        def combined(value: object) -> str:
            found = categories(value)
            if isinstance(found, str):
                return found
            if {HISPANIC, NOT_HISPANIC} <= found:
                return _unmapped(value, "says both Hispanic and not Hispanic", errors)
            return _stored(_race_set(found - {NOT_HISPANIC}))

        return _map_distinct(codes, combined, "race_ethnicity")

    ethnicity = _series(ethnicity, "ethnicity")
    if len(ethnicity) != len(codes):
        raise ValueError("from_cdc: codes and ethnicity must have the same length")

    def hispanic_answer(value: object) -> str:
        found = categories(value)
        if isinstance(found, str):
            return found
        found -= set(MISSING_CODES)
        if found == {HISPANIC}:
            return "yes"
        if found == {NOT_HISPANIC}:
            return "no"
        if not found:
            return UNKNOWN
        return _unmapped(value, "is not one Hispanic-origin answer", errors)

    def race_answer(value: object) -> RaceAnswer:
        found = categories(value)
        if isinstance(found, str):
            return found
        if found & {HISPANIC, NOT_HISPANIC}:
            return _unmapped(value, "mixes ethnicity codes into race", errors)
        return _race_set(found)

    return _combine_two_questions(
        ethnicity, codes, hispanic_answer, race_answer, hispanic_missing, "race_ethnicity"
    )


def cdc_detail(codes: pd.Series, standard: Standard | None = None) -> pd.Series:
    """race_ethnicity_detail from CDC codes: the SPD-15 detailed checkboxes found, else blank.

    Only codes that are exactly an SPD-15 checkbox (2036-2 Filipino → asian.filipino) are
    kept; tribal codes are not turned into ``aian.<slug>`` write-ins.
    """
    standard = standard or load_standard()
    table = standard.crosswalks.cdc_detail

    def detail(value: object) -> str:
        if _is_blank(value):
            return ""
        found = {table[code] for code in _CDC_SEPARATORS.split(str(value).strip()) if code in table}
        return join_codes(found)

    return _map_distinct(_series(codes, "codes"), detail, "race_ethnicity_detail")


# --- shared machinery -------------------------------------------------------------------------


def _combine_two_questions(
    hispanic: pd.Series,
    race: pd.Series,
    hispanic_answer: Callable[[object], str],
    race_answer: Callable[[object], RaceAnswer],
    hispanic_missing: HispanicMissing,
    name: str,
) -> pd.Series:
    """Combine per-distinct-value answers of the two questions, pair by pair."""
    hispanic_codes, hispanic_values = pd.factorize(hispanic, use_na_sentinel=True)
    race_codes, race_values = pd.factorize(race, use_na_sentinel=True)
    hispanic_answers = [hispanic_answer(value) for value in hispanic_values] + [UNKNOWN]
    race_answers = [race_answer(value) for value in race_values] + [UNKNOWN]
    hispanic_positions = np.mod(hispanic_codes, len(hispanic_answers))
    race_positions = np.mod(race_codes, len(race_answers))

    pair_ids = hispanic_positions.astype(np.int64) * len(race_answers) + race_positions
    distinct_pairs, row_positions = np.unique(pair_ids, return_inverse=True)
    results = []
    for pair in distinct_pairs:
        hispanic_part = hispanic_answers[pair // len(race_answers)]
        race_part = race_answers[pair % len(race_answers)]
        results.append(_combined_answer(hispanic_part, race_part, hispanic_missing))
    return string_column(results, row_positions.reshape(-1), hispanic.index, name)


def _combined_answer(hispanic: str, race: RaceAnswer, hispanic_missing: str) -> str:
    if hispanic == "yes":
        return join_codes({HISPANIC} | (race if isinstance(race, frozenset) else set()))
    if hispanic == "no":
        return race if isinstance(race, str) else join_codes(race)
    # Hispanic origin declined or unknown.
    if isinstance(race, frozenset):
        return join_codes(race) if hispanic_missing == "race_only" else UNKNOWN
    return DECLINED if DECLINED in (hispanic, race) else UNKNOWN


def _race_set(codes: set[str]) -> RaceAnswer:
    """Chosen categories, or the missing code when nothing but missing codes was given."""
    chosen = frozenset(codes) - set(MISSING_CODES)
    if chosen:
        return chosen
    return DECLINED if DECLINED in codes else UNKNOWN


def _stored(answer: RaceAnswer) -> str:
    return answer if isinstance(answer, str) else join_codes(answer)


def _lookup(table: Mapping[str, str], value: object, question: str, errors: Errors) -> str:
    if _is_blank(value):
        return UNKNOWN
    code = table.get(normalize_label(value))
    if code is None:
        return _unmapped(value, f"is not a known answer to {question}", errors)
    return code


def _unmapped(value: object, problem: str, errors: Errors) -> str:
    if errors == "raise":
        raise UnmappedValueError(f"{value!r} {problem}")
    return UNKNOWN


def _map_distinct(values: pd.Series, rule: Callable[[object], str], name: str) -> pd.Series:
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    results = [rule(value) for value in distinct] + [rule(None)]
    return string_column(results, np.mod(codes, len(results)), values.index, name)


def _series(values: object, name: str) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values, name=name)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.isna(value))


def _check_choice(value: str, choices: tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
