"""validate_records: every violation, with its row, column and value."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from workforce.standard import WHOLE_COLUMN, Violation, validate_records, validate_records_frame


def problems(records: pd.DataFrame) -> list[tuple[int, str, str]]:
    return [(v.row, v.column, v.value) for v in validate_records(records)]


def test_valid_records_have_no_violations(make_records):
    records = make_records(
        {},
        {"race_ethnicity": "asian;hispanic",
         "race_ethnicity_detail": "asian.filipino;hispanic.cuban",
         "person_key": "k_3f9a2c", "country": "GB", "us_region": ""},
        {"race_ethnicity": "aian", "race_ethnicity_detail": "aian.navajo_nation"},
        {"race_ethnicity": "declined", "gender": "declined", "intersex": "dont_know",
         "country": "unknown", "us_region": "west"},
        {"country": "US", "us_region": "unknown"},
    )
    assert validate_records(records) == []


def test_validator_returns_every_violation_with_row_column_and_value(make_records):
    records = make_records(
        {"gender": "Female", "career_stage": "postdoc"},
        {},
        {"race_ethnicity": "white;hispanic", "year": "24"},
    )
    assert problems(records) == [
        (0, "gender", "Female"),
        (0, "career_stage", "postdoc"),
        (2, "year", "24"),
        (2, "race_ethnicity", "white;hispanic"),
    ]


def test_messages_say_what_to_do(make_records):
    violations = validate_records(make_records({"gender": "Female", "sector": ""}))
    by_column = {v.column: v.message for v in violations}
    assert by_column["gender"] == (
        "'Female' is not a gender code; it reads as 'woman', map it at intake")
    assert by_column["sector"] == "blank; use 'unknown' when the sector was not collected"
    assert str(violations[0]).startswith("row 0, column 'gender': ")


def test_an_unknown_code_lists_the_valid_codes(make_records):
    [violation] = validate_records(make_records({"role": "wizard"}))
    assert "codes: researcher, clinician, genetic_counselor" in violation.message


def test_rows_are_positions_not_index_labels(make_records):
    records = make_records({}, {"gender": "x"}).set_axis(["a", "b"])
    assert problems(records) == [(1, "gender", "x")]


def test_a_missing_column_is_reported_once_for_the_whole_column(make_records):
    violations = validate_records(make_records({}, {}).drop(columns=["citizenship"]))
    assert violations == [Violation(WHOLE_COLUMN, "citizenship", "",
                                    "missing column 'citizenship'; every standard record has it")]


def test_a_duplicated_column_is_reported(make_records):
    records = make_records({})
    records = pd.concat([records, records[["gender"]]], axis=1)
    assert [(v.row, v.column) for v in validate_records(records)] == [(WHOLE_COLUMN, "gender")]


def test_extra_columns_are_not_checked(make_records):
    assert validate_records(make_records({}).assign(race_alone="whatever")) == []


@pytest.mark.parametrize(("value", "fragment"), [
    ("white;hispanic", "codes are not sorted; write 'hispanic;white'"),
    ("white;white", "'white' given more than once"),
    ("declined;white", "'declined' cannot be combined with other codes"),
    ("unknown;white", "'unknown' cannot be combined with other codes"),
    ("asian;asian_or_pi", "the coarse 'asian_or_pi' cannot be combined with 'asian'"),
    ("hispanic; white", "spaces around a code"),
    ("hispanic;;white", "an empty code between ';'"),
    ("martian;white", "'martian' is not a race_ethnicity code"),
    ("Caucasian", "it reads as 'white'"),
    ("", "blank; use 'unknown'"),
])
def test_multi_select_rules(make_records, value, fragment):
    [violation] = validate_records(make_records({"race_ethnicity": value}))
    assert violation.column == "race_ethnicity"
    assert fragment in violation.message


def test_detail_code_needs_its_parent_in_race_ethnicity(make_records):
    records = make_records(
        {"race_ethnicity": "white", "race_ethnicity_detail": "asian.filipino"},
        {"race_ethnicity": "asian", "race_ethnicity_detail": "asian.filipino"},
        {"race_ethnicity": "asian", "race_ethnicity_detail": "asian.filipino;white.irish"},
    )
    violations = validate_records(records)
    assert [(v.row, v.column) for v in violations] == [
        (0, "race_ethnicity_detail"), (2, "race_ethnicity_detail")]
    assert "'white.irish' needs its parent in race_ethnicity" in violations[1].message


def test_detail_codes_must_be_known(make_records):
    [violation] = validate_records(make_records(
        {"race_ethnicity": "asian", "race_ethnicity_detail": "asian.martian"}))
    assert "'asian.martian' is not a race_ethnicity_detail code" in violation.message


def test_record_id_duplicated_within_a_source_but_not_across_sources(make_records):
    records = make_records(
        {"record_id": "7", "source": "ashg-2024"},
        {"record_id": "7", "source": "nsgc-2024"},
        {"record_id": "7", "source": "ashg-2024"},
        {"record_id": ""},
    )
    violations = validate_records(records)
    assert [(v.row, v.column, v.value) for v in violations] == [
        (2, "record_id", "7"), (3, "record_id", "")]
    assert violations[0].message == (
        "record_id '7' is used more than once in source 'ashg-2024' (first at row 0)")


@pytest.mark.parametrize("year", ["24", "2024.0", "1949", str(datetime.date.today().year + 2),
                                  "", "MMXXIV"])
def test_year_must_be_a_plausible_four_digit_year(make_records, year):
    assert problems(make_records({"year": year})) == [(0, "year", year)]


def test_year_may_be_an_integer_column(make_records):
    records = make_records({}).assign(year=np.int64(2023))
    assert validate_records(records) == []


@pytest.mark.parametrize("org", ["ASHG", "ashg org", "ashg-2", ""])
def test_org_must_be_snake_case(make_records, org):
    assert problems(make_records({"org": org})) == [(0, "org", org)]


@pytest.mark.parametrize("key", ["someone@example.org", "Jane Doe"])
def test_person_key_is_never_an_email_or_a_name(make_records, key):
    [violation] = validate_records(make_records({"person_key": key}))
    assert violation.column == "person_key" and "keyed hash" in violation.message


def test_country_is_an_upper_case_iso_code(make_records):
    violations = validate_records(make_records({"country": "us"}, {"country": "USA"},
                                               {"country": ""}))
    assert [(v.row, v.value) for v in violations] == [(0, "us"), (1, "USA"), (2, "")]
    assert "upper case: 'US'" in violations[0].message
    assert "it reads as 'US'" in violations[1].message


def test_us_region_required_in_the_us_and_refused_elsewhere(make_records):
    records = make_records(
        {"country": "US", "us_region": ""},
        {"country": "CA", "us_region": "west"},
        {"country": "CA", "us_region": ""},
        {"country": "CA", "us_region": "unknown"},
    )
    assert problems(records) == [(0, "us_region", ""), (1, "us_region", "west")]


def test_nan_counts_as_blank(make_records):
    records = make_records({}, {})
    records.loc[1, "gender"] = np.nan
    records.loc[0, "person_key"] = np.nan
    records.loc[0, "race_ethnicity_detail"] = np.nan
    assert problems(records) == [(1, "gender", "")]


def test_non_string_values_are_checked_as_text(make_records):
    records = make_records({}).astype(object)
    records.loc[0, "gender"] = 3
    assert problems(records) == [(0, "gender", "3")]


def test_refuses_something_that_is_not_a_dataframe():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        validate_records([{"gender": "woman"}])


def test_frame_form_has_one_row_per_violation(make_records):
    frame = validate_records_frame(make_records({"gender": "x", "role": "y"}, {}))
    assert list(frame.columns) == ["row", "column", "value", "message"]
    assert frame[["row", "column"]].values.tolist() == [[0, "gender"], [0, "role"]]
    assert validate_records_frame(make_records({})).empty


def test_validation_scales_to_many_rows(make_records):
    import time

    base = make_records({}, {"gender": "Female"}, {"race_ethnicity": "hispanic;white"})
    records = base.iloc[np.resize(np.arange(3), 300_000)].reset_index(drop=True)
    records["record_id"] = pd.Series(np.arange(300_000).astype(str), dtype="str")
    started = time.perf_counter()
    frame = validate_records_frame(records)
    assert time.perf_counter() - started < 15
    assert len(frame) == 100_000
    assert set(frame["column"]) == {"gender"}
