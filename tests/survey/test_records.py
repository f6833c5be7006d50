"""A completed response becomes one standard record, coded exactly as the standard says."""

from __future__ import annotations

import pytest

from workforce.standard import load_standard, validate_records
from workforce.survey.instrument import Choice, Instrument, Page, Question
from workforce.survey.modules import module_path
from workforce.survey.records import (
    RecordError,
    standard_dimensions,
    standard_record,
    standard_records,
)
from workforce.survey.xlsform import read_xlsform

WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare", "wg_communication")


@pytest.fixture(scope="module")
def demographics():
    return read_xlsform(module_path("demographics"))


def record(instrument, answers, year=2025):
    return standard_record(
        instrument, answers, record_id="r1", source="wave-2025", org="ashg", year=year
    )


def single_question_instrument(question, choices=()):
    return Instrument(
        form_id="custom",
        title="Custom",
        version="1",
        pages=(Page(name="only", questions=(question,)),),
        choices={question.list_name: tuple(choices)} if question.list_name else {},
    )


def test_every_record_column_is_filled_in_the_standards_order(demographics):
    result = record(demographics, {})

    standard = load_standard()
    assert tuple(result) == standard.record_columns
    assert result["record_id"] == "r1"
    assert result["year"] == "2025"
    blank_allowed = {"person_key", "race_ethnicity_detail"}
    for column in standard.dimension_columns:
        if column not in blank_allowed:
            assert result[column] == "unknown", column


def test_hispanic_and_white_answers_become_hispanic_white(demographics):
    result = record(demographics, {"race_ethnicity": ["hispanic", "white"]})

    assert result["race_ethnicity"] == "hispanic;white"
    assert result["race_ethnicity_detail"] == ""


def test_a_detail_code_adds_its_parent_category(demographics):
    result = record(
        demographics,
        {"race_ethnicity": ["white"], "race_ethnicity_detail": ["white.irish", "asian.filipino"]},
    )

    assert result["race_ethnicity"] == "asian;white"
    assert result["race_ethnicity_detail"] == "asian.filipino;white.irish"


def test_declined_stays_declined_and_a_skipped_question_is_unknown(demographics):
    result = record(
        demographics, {"race_ethnicity": ["declined"], "sexual_orientation": "declined"}
    )

    assert result["race_ethnicity"] == "declined"
    assert result["sexual_orientation"] == "declined"
    assert result["gender"] == "unknown"
    assert result["career_stage"] == "unknown"


def test_declined_beside_a_category_contradicts_itself_and_is_unknown(demographics):
    result = record(demographics, {"race_ethnicity": ["black", "declined"]})

    assert result["race_ethnicity"] == "unknown"


def test_age_34_in_2025_is_in_the_25_to_34_band(demographics):
    assert record(demographics, {"age": "34"}, year=2025)["age_band"] == "25_34"
    assert record(demographics, {"age": "35"}, year=2025)["age_band"] == "35_44"


def test_a_birth_year_question_uses_the_records_year():
    birth_year = Question(name="birth_year", type="integer", standard="age_band")
    instrument = single_question_instrument(birth_year)

    assert record(instrument, {"birth_year": "1990"}, year=2025)["age_band"] == "35_44"
    assert record(instrument, {"birth_year": "1990"}, year=2020)["age_band"] == "25_34"


def test_a_us_state_gives_its_census_region(demographics):
    assert record(demographics, {"country": "US", "us_state": "CA"})["us_region"] == "west"
    assert record(demographics, {"country": "US", "us_state": "NY"})["us_region"] == "northeast"
    assert record(demographics, {"country": "US", "us_state": "declined"})["us_region"] == (
        "declined"
    )
    assert record(demographics, {"country": "US"})["us_region"] == "unknown"


def test_a_record_outside_the_united_states_has_no_region_even_with_a_stale_state(demographics):
    result = record(demographics, {"country": "CA", "us_state": "CA"})

    assert result["country"] == "CA"
    assert result["us_region"] == ""


def test_the_washington_group_items_map_to_their_own_dimensions(demographics):
    answers = dict(zip(WG, ("none", "some", "a_lot", "cannot", "declined", "none"), strict=True))

    result = record(demographics, answers)

    assert {name: result[name] for name in WG} == answers
    assert result["disability_self"] == "unknown"


def test_the_disadvantaged_items_and_work_questions_are_copied_as_codes(demographics):
    answers = {
        "dis_first_gen": "yes",
        "dis_pell": "no",
        "career_stage": "early",
        "sector": "clinical",
        "role": "genetic_counselor",
        "citizenship": "visa_holder",
        "intersex": "dont_know",
    }

    result = record(demographics, answers)

    assert {name: result[name] for name in answers} == answers
    assert result["dis_homeless"] == "unknown"


def test_the_direct_transgender_answer_is_never_overruled(demographics):
    mismatch = {"sex_at_birth": "female", "gender": "man"}

    assert record(demographics, {**mismatch, "transgender": "no"})["transgender"] == "no"
    assert record(demographics, {**mismatch, "transgender": "declined"})["transgender"] == (
        "declined"
    )


def test_transgender_is_derived_from_sex_at_birth_when_the_direct_question_is_skipped(
    demographics,
):
    def derived(sex, gender):
        return record(demographics, {"sex_at_birth": sex, "gender": gender})["transgender"]

    assert derived("female", "man") == "yes"
    assert derived("male", "woman") == "yes"
    assert derived("male", "man") == "no"
    assert derived("female", "nonbinary") == "unknown"
    assert derived("declined", "declined") == "declined"
    assert record(demographics, {"sex_at_birth": "female"})["transgender"] == "unknown"


def test_free_text_never_enters_a_record(demographics):
    result = record(demographics, {"race_ethnicity": ["aian"], "race_aian_tribe": "Navajo Nation"})

    assert result["race_ethnicity"] == "aian"
    assert result["race_ethnicity_detail"] == ""
    assert "Navajo Nation" not in result.values()


def test_standard_records_gives_a_valid_frame_with_response_ids_as_record_ids(demographics):
    responses = [
        ("resp-1", {"race_ethnicity": ["hispanic", "white"], "country": "US", "us_state": "TX"}),
        ("resp-2", {"country": "FR", "age": "61", "gender": "woman"}),
        ("resp-3", {}),
    ]

    records = standard_records(demographics, responses, source="wave-2025", org="nsgc", year=2025)

    assert list(records.columns) == list(load_standard().record_columns)
    assert list(records["record_id"]) == ["resp-1", "resp-2", "resp-3"]
    assert list(records["us_region"]) == ["south", "", "unknown"]
    assert list(records["age_band"]) == ["unknown", "55_64", "unknown"]
    assert validate_records(records) == []


def test_standard_records_of_no_responses_is_an_empty_frame_with_every_column(demographics):
    records = standard_records(demographics, [], source="wave-2025", org="nsgc", year=2025)

    assert records.empty
    assert tuple(records.columns) == load_standard().record_columns


def test_an_instrument_whose_choices_are_not_codes_is_refused_naming_response_and_column():
    gender = Question(name="gender", type="select_one", list_name="sex", standard="gender")
    instrument = single_question_instrument(
        gender, [Choice("female", {"default": "Female"}), Choice("male", {"default": "Male"})]
    )

    with pytest.raises(RecordError) as raised:
        standard_records(
            instrument,
            [("ok", {}), ("bad-1", {"gender": "female"})],
            source="wave",
            org="ashg",
            year=2025,
        )

    message = str(raised.value)
    assert "response 'bad-1', column 'gender'" in message
    assert "'female'" in message
    assert "response 'ok'" not in message
    assert len(raised.value.problems) == 1


def test_standard_dimensions_names_the_questions_each_dimension_is_decided_from(demographics):
    dimensions = standard_dimensions(demographics)

    assert dimensions["gender"] == ["gender"]
    assert dimensions["age_band"] == ["age"]
    assert dimensions["race_ethnicity"] == ["race_ethnicity", "race_ethnicity_detail"]
    assert dimensions["transgender"] == ["transgender", "sex_at_birth", "gender"]
    assert dimensions["us_region"] == ["us_state", "country"]
    assert "disability_self" not in dimensions
    assert list(dimensions) == [
        column for column in load_standard().dimension_columns if column in dimensions
    ]
