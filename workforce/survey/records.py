"""A completed survey response as one record of the data standard.

A question feeds a dimension when the `standard` column of its XLSForm row names it; its
choice names are then that dimension's codes (the XLSForm reader checks this), so turning a
response into a record copies codes and never guesses:

- every record column is filled: a dimension the instrument does not ask about, a question
  skipped, or a question that was not relevant to this respondent is ``unknown``;
  "Prefer not to say" stays ``declined``;
- a multi-select answer is its codes joined with ``join_codes`` (sorted, ``;``); a detail
  code such as ``asian.filipino`` also puts its parent (``asian``) in ``race_ethnicity``, as
  intake does for an uploaded file; ``declined`` chosen beside a category contradicts
  itself and is ``unknown``, as at intake;
- an integer question feeding ``age_band`` is an age, or a birth year when its name says so
  (``birth_year``); the band uses the record's ``year``;
- ``country`` keeps its ISO code; ``us_region`` is the Census region of the answer to the
  question named ``us_state`` (choices: postal codes), ``unknown`` for a U.S. record whose
  state was not given, and blank for a record outside the United States;
- ``transgender`` is the answer to the direct question when there is one, ``declined``
  included: a person's own answer is never overruled. When it was skipped (or not asked),
  it is derived, as NASEM (2022) recommends, from the question named ``sex_at_birth``
  (female, male, declined) and current gender: a binary gender that differs from the sex
  assigned at birth is ``yes``, one that matches is ``no``; a nonbinary or another gender
  leaves it ``unknown`` (``workforce.standard.transgender_from_sex_at_birth``).

Free text (an "Other" answer, a tribal write-in, a comment) never enters a record: turning
it into a code would be a guess, and a write-in may identify the person who wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from workforce.standard import (
    DECLINED,
    MISSING_CODES,
    UNKNOWN,
    Standard,
    age_band,
    join_codes,
    load_standard,
    transgender_from_sex_at_birth,
    us_region,
    validate_records,
)
from workforce.survey.flow import finalize
from workforce.survey.instrument import Instrument, Question

# Questions read by name: neither is a dimension of the standard, both decide one.
SEX_AT_BIRTH = "sex_at_birth"
US_STATE = "us_state"
UNITED_STATES = "US"

RACE = "race_ethnicity"
RACE_DETAIL = "race_ethnicity_detail"
DETAIL_SEPARATOR = "."
_SHOWN_PROBLEMS = 20


class RecordError(ValueError):
    """Responses that do not make valid standard records; `problems` lists each one.

    Each problem names the response and the record column, e.g. ``response 'r-17', column
    'gender': 'female' is not a code of gender``: the instrument's choices are not the
    standard's codes.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:_SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"{len(problems)} problem(s) making standard records:", *shown]
        if more:
            lines.append(f"... and {more} more")
        super().__init__("\n  ".join(lines))


def standard_dimensions(instrument: Instrument) -> dict[str, list[str]]:
    """Each dimension the instrument decides → the questions it is decided from.

    In the standard's column order. Besides the questions whose `standard` column names the
    dimension: ``race_ethnicity`` also reads the detail question (a detail adds its parent),
    ``transgender`` the ``sex_at_birth`` and gender questions, ``us_region`` the
    ``us_state`` and country questions.
    """
    standard = load_standard()
    feeders = _feeders(instrument)
    names = {question.name for question in instrument.questions}
    decided: dict[str, list[str]] = {}
    for dimension in standard.dimensions:
        questions = [question.name for question in feeders.get(dimension, [])]
        if dimension == RACE:
            questions += [question.name for question in feeders.get(RACE_DETAIL, [])]
        elif dimension == "transgender" and SEX_AT_BIRTH in names:
            questions += [SEX_AT_BIRTH] + [q.name for q in feeders.get("gender", [])]
        elif dimension == "us_region" and US_STATE in names:
            questions += [US_STATE] + [q.name for q in feeders.get("country", [])]
        if questions:
            decided[dimension] = list(dict.fromkeys(questions))
    return decided


def standard_record(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    record_id: str,
    source: str,
    org: str,
    year: int,
    person_key: str = "",
) -> dict[str, str]:
    """One standard record (every record column, as text) from a response's answers.

    Answers of questions that are not relevant are dropped first (`flow.finalize`), so a
    value left over from a path the respondent abandoned never reaches a record. The record
    is not validated here; `standard_records` validates a whole wave at once.
    """
    standard = load_standard()
    kept = finalize(instrument, answers)
    feeders = _feeders(instrument)

    def codes_of(dimension: str) -> list[str]:
        """Every code given for a dimension, over the questions that feed it, in order."""
        codes: list[str] = []
        for question in feeders.get(dimension, []):
            codes.extend(_codes(kept.get(question.name)))
        return list(dict.fromkeys(codes))

    record: dict[str, str] = {
        "record_id": str(record_id),
        "source": source,
        "org": org,
        "year": str(year),
        "person_key": person_key,
    }
    for name, dimension in standard.dimensions.items():
        if dimension.multi:
            continue
        record[name] = _single(codes_of(name))
    record[RACE], record[RACE_DETAIL] = _race(codes_of(RACE), codes_of(RACE_DETAIL))
    record["age_band"] = _age_band(feeders.get("age_band", []), kept, year)
    record["transgender"] = _transgender(record, instrument, kept, standard)
    record["us_region"] = _us_region(record, instrument, kept, standard)
    return {column: record[column] for column in standard.record_columns}


def standard_records(
    instrument: Instrument,
    responses: Iterable[tuple[str, Mapping[str, object]]],
    *,
    source: str,
    org: str,
    year: int,
) -> pd.DataFrame:
    """Standard records of completed responses, ``(response_id, answers)`` each.

    The response id becomes the `record_id`. The frame has the standard's columns in its
    order and is checked with `validate_records`; any violation raises `RecordError` naming
    the response and the column.
    """
    standard = load_standard()
    response_ids: list[str] = []
    rows: list[dict[str, str]] = []
    for response_id, answers in responses:
        response_ids.append(str(response_id))
        rows.append(
            standard_record(
                instrument, answers, record_id=response_id, source=source, org=org, year=year
            )
        )
    records = pd.DataFrame(
        {
            column: pd.Series([row[column] for row in rows], dtype="str")
            for column in standard.record_columns
        }
    )
    problems = []
    for violation in validate_records(records, standard):
        if violation.row < 0:
            problems.append(f"column {violation.column!r}: {violation.message}")
        else:
            problems.append(
                f"response {response_ids[violation.row]!r}, column {violation.column!r}: "
                f"{violation.message}"
            )
    if problems:
        raise RecordError(problems)
    return records


# --------------------------------------------------------------------------- rules


def _feeders(instrument: Instrument) -> dict[str, list[Question]]:
    feeders: dict[str, list[Question]] = {}
    for question in instrument.questions:
        if question.standard:
            feeders.setdefault(question.standard, []).append(question)
    return feeders


def _codes(value: object) -> list[str]:
    """The codes of one answer: a select_multiple list, a select_one name, or nothing."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(code) for code in value if str(code).strip()]
    return str(value).split()


def _single(codes: list[str]) -> str:
    """One code for a single-valued dimension; answers that disagree decide nothing."""
    return codes[0] if len(codes) == 1 else UNKNOWN


def _race(chosen: list[str], details: list[str]) -> tuple[str, str]:
    categories = set(chosen) | {code.split(DETAIL_SEPARATOR, 1)[0] for code in details}
    answers = categories - set(MISSING_CODES)
    if answers and categories & set(MISSING_CODES):
        return UNKNOWN, ""  # declined beside a category: contradictory, as at intake
    if answers:
        return join_codes(answers), join_codes(details)
    return (DECLINED if DECLINED in categories else UNKNOWN), ""


def _age_band(questions: list[Question], kept: Mapping[str, object], year: int) -> str:
    for question in questions:
        value = kept.get(question.name)
        if value is None or value == "":
            continue
        if question.type != "integer":
            return _single(_codes(value))  # a select whose choices are the band codes
        if "birth" in question.name:
            return str(age_band(birth_year=value, year=year))
        return str(age_band(age=value))
    return UNKNOWN


def _transgender(
    record: Mapping[str, str],
    instrument: Instrument,
    kept: Mapping[str, object],
    standard: Standard,
) -> str:
    if record["transgender"] != UNKNOWN:
        return record["transgender"]
    if not any(question.name == SEX_AT_BIRTH for question in instrument.questions):
        return UNKNOWN
    sex = kept.get(SEX_AT_BIRTH)
    sex = sex if isinstance(sex, str) and sex else UNKNOWN
    try:
        derived = transgender_from_sex_at_birth(
            pd.Series([sex], dtype="str"), pd.Series([record["gender"]], dtype="str"), standard
        )
    except ValueError as error:
        raise ValueError(
            f"{instrument.form_id}: question {SEX_AT_BIRTH!r} answered {sex!r}, which is not "
            f"female, male or declined ({error})"
        ) from None
    return str(derived.iloc[0])


def _us_region(
    record: Mapping[str, str],
    instrument: Instrument,
    kept: Mapping[str, object],
    standard: Standard,
) -> str:
    country = record["country"]
    if country not in (UNITED_STATES, *MISSING_CODES):
        return ""  # outside the United States a Census region has no meaning
    state = kept.get(US_STATE)
    if isinstance(state, str) and state:
        return DECLINED if state == DECLINED else str(us_region(state, standard))
    return record["us_region"]  # a question feeding us_region directly, else unknown
