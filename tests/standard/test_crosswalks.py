"""Crosswalks: OMB 1997 two questions, CDC Race & Ethnicity codes, common source labels."""

from __future__ import annotations

import pandas as pd
import pytest

from workforce.standard import (
    UnknownDimensionError,
    UnmappedValueError,
    cdc_category,
    cdc_detail,
    from_cdc,
    from_omb1997,
    match_label,
)


def omb(hispanic: str | None, race: str | None, **options) -> str:
    return from_omb1997(pd.Series([hispanic]), pd.Series([race]), **options).iloc[0]


# --- OMB 1997 --------------------------------------------------------------------------------


@pytest.mark.parametrize(("hispanic", "race", "expected"), [
    ("Yes", "White", "hispanic;white"),
    ("Hispanic or Latino", "Black or African American", "black;hispanic"),
    ("No", "White", "white"),
    ("Not Hispanic or Latino", "Asian", "asian"),
    ("N", "American Indian or Alaska Native", "aian"),
    ("no", "Native Hawaiian or Other Pacific Islander", "nhpi"),
    ("no", "Black;White", "black;white"),
    ("yes", None, "hispanic"),
    ("yes", "Unknown", "hispanic"),
    ("no", "Declined", "declined"),
    ("no", "", "unknown"),
    ("no", "Some other race", "other"),
])
def test_omb1997_two_questions(hispanic, race, expected):
    assert omb(hispanic, race) == expected


def test_hispanic_yes_adds_hispanic_beside_any_races():
    assert omb("Yes", "Asian;White") == "asian;hispanic;white"


def test_mena_is_never_inferred_from_1997_white():
    assert omb("No", "White") == "white"
    assert omb("Yes", "White") == "hispanic;white"
    # A MENA label is not a 1997 race at all, so the crosswalk does not know it.
    assert omb("No", "Middle Eastern or North African") == "unknown"


def test_asian_or_pacific_islander_is_never_split():
    assert omb("No", "Asian or Pacific Islander") == "asian_or_pi"
    assert omb("No", "Asian/Pacific Islander") == "asian_or_pi"


def test_missing_hispanic_answer_makes_the_combined_answer_unknown_by_default():
    assert omb("Unknown", "White") == "unknown"
    assert omb(None, "Black") == "unknown"
    assert omb("Declined", "White") == "unknown"


def test_missing_hispanic_answer_keeps_races_when_asked_to():
    assert omb("Unknown", "White", hispanic_missing="race_only") == "white"
    assert omb("Declined", "Black", hispanic_missing="race_only") == "black"


def test_declined_on_both_questions_is_declined_not_unknown():
    assert omb("Prefer not to say", "Prefer not to say") == "declined"
    assert omb("Declined", "Unknown") == "declined"
    assert omb("Unknown", "Unknown") == "unknown"


def test_an_unknown_race_label_makes_the_set_unknown_rather_than_a_guess():
    assert omb("No", "White;Martian") == "unknown"
    assert omb("No", "Two or more races") == "unknown"


def test_an_unknown_label_raises_when_asked_to():
    with pytest.raises(UnmappedValueError, match="'Martian'"):
        omb("No", "Martian", errors="raise")


def test_omb1997_is_vectorized_over_distinct_pairs():
    hispanic = pd.Series(["Yes", "No"] * 50_000)
    race = pd.Series(["White", "White", "Black", "Black"] * 25_000)
    result = from_omb1997(hispanic, race)
    assert result.value_counts().to_dict() == {
        "hispanic;white": 25_000, "white": 25_000, "black;hispanic": 25_000, "black": 25_000}
    assert result.iloc[:4].tolist() == ["hispanic;white", "white", "black;hispanic", "black"]
    assert result.name == "race_ethnicity"


# --- CDC Race & Ethnicity Code Set -------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("1002-5", "aian"), ("2028-9", "asian"), ("2054-5", "black"), ("2076-8", "nhpi"),
    ("2106-3", "white"), ("2135-2", "hispanic"), ("2186-5", "not_hispanic"),
    ("2131-1", "other"),
])
def test_cdc_category_of_the_omb_codes(code, expected):
    assert cdc_category(code) == expected


def test_cdc_2118_8_is_mena():
    assert cdc_category("2118-8") == "mena"
    assert from_cdc(pd.Series(["2118-8"])).iloc[0] == "mena"


@pytest.mark.parametrize(("code", "expected"), [
    ("2036-2", "asian"),      # Filipino
    ("2047-9", "asian"),      # Vietnamese
    ("2058-6", "black"),      # African American
    ("2079-2", "nhpi"),       # Native Hawaiian
    ("2500-7", "nhpi"),       # Other Pacific Islander
    ("2110-5", "white"),      # English
    ("2120-4", "mena"),       # Egyptian, under 2118-8
    ("2127-9", "mena"),       # Israeli, under 2118-8
    ("2129-5", "mena"),       # Arab
    ("2148-5", "hispanic"),   # Mexican
    ("2184-0", "hispanic"),   # Dominican (Hispanic branch)
    ("1088-4", "aian"),       # Cherokee
    ("1840-8", "aian"),       # Eskimo
])
def test_detailed_cdc_codes_roll_up_to_their_branch(code, expected):
    assert cdc_category(code) == expected


@pytest.mark.parametrize("code", ["2106-4", "9999-9", "2106", "white", "0000-0"])
def test_a_malformed_or_unplaced_cdc_code_is_not_guessed(code):
    assert cdc_category(code) is None
    assert from_cdc(pd.Series([code])).iloc[0] == "unknown"


def test_cdc_null_flavors_are_unknown():
    assert from_cdc(pd.Series(["UNK", "ASKU"])).tolist() == ["unknown", "unknown"]


def test_cdc_codes_in_one_cell_read_like_the_combined_question():
    cells = pd.Series(["2106-3;2135-2", "2106-3, 2186-5", "2054-5|2028-9", "2186-5", ""])
    assert from_cdc(cells).tolist() == [
        "hispanic;white", "white", "asian;black", "unknown", "unknown"]


def test_cdc_hispanic_and_not_hispanic_together_is_unknown():
    assert from_cdc(pd.Series(["2106-3;2135-2;2186-5"])).iloc[0] == "unknown"
    with pytest.raises(UnmappedValueError, match="both Hispanic and not Hispanic"):
        from_cdc(pd.Series(["2135-2;2186-5"]), errors="raise")


def test_cdc_race_and_ethnicity_fields_read_like_the_1997_questions():
    race = pd.Series(["2106-3", "2106-3", "2054-5", "2106-3"])
    ethnicity = pd.Series(["2135-2", "2186-5", "2148-5", None])
    assert from_cdc(race, ethnicity).tolist() == [
        "hispanic;white", "white", "black;hispanic", "unknown"]
    assert from_cdc(race, ethnicity, hispanic_missing="race_only").iloc[3] == "white"


def test_cdc_detail_keeps_spd15_checkboxes_only():
    details = cdc_detail(pd.Series(["2036-2;2034-7", "2106-3", "2148-5;2106-3", None, "1088-4"]))
    assert details.tolist() == [
        "asian.chinese;asian.filipino", "", "hispanic.mexican", "", ""]


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("dimension", "label", "expected"), [
    ("race_ethnicity", "Caucasian", "white"),
    ("race_ethnicity", "African American", "black"),
    ("race_ethnicity", "Latino/a", "hispanic"),
    ("race_ethnicity", "Latinx", "hispanic"),
    ("race_ethnicity", "Hispanic/Latino", "hispanic"),
    ("race_ethnicity", "  HISPANIC / LATINO ", "hispanic"),
    ("race_ethnicity", "Middle Eastern", "mena"),
    ("race_ethnicity", "North African", "mena"),
    ("race_ethnicity", "Pacific Islander", "nhpi"),
    ("race_ethnicity", "Asian/Pacific Islander", "asian_or_pi"),
    ("race_ethnicity", "American Indian or Alaska Native", "aian"),
    ("race_ethnicity", "Prefer not to say", "declined"),
    ("race_ethnicity", "Decline to state", "declined"),
    ("race_ethnicity", "Prefer not to answer", "declined"),
    ("race_ethnicity", "N/A", "unknown"),
    ("race_ethnicity", "", "unknown"),
    ("gender", "F", "woman"),
    ("gender", "Female", "woman"),
    ("gender", "M", "man"),
    ("gender", "Male", "man"),
    ("gender", "Non-binary", "nonbinary"),
    ("gender", "Genderqueer", "nonbinary"),
    ("gender", "I use a different term", "another"),
    ("sexual_orientation", "Heterosexual", "straight"),
    ("sexual_orientation", "Queer", "another"),
    ("intersex", "Don't know", "dont_know"),
    ("career_stage", "Postdoc", "trainee"),
    ("career_stage", "Graduate student", "student"),
    ("career_stage", "Resident", "trainee"),
    ("sector", "Industry", "industry"),
    ("sector", "Biotech", "industry"),
    ("sector", "Pharma", "industry"),
    ("sector", "Hospital", "clinical"),
    ("sector", "Nonprofit", "policy"),
    ("role", "Genetic Counselor", "genetic_counselor"),
    ("role", "Clinical geneticist", "clinician"),
    ("age_band", "65+", "65_plus"),
    ("age_band", "25-34", "25_34"),
    ("age_band", "<25", "under_25"),
    ("country", "United States", "US"),
    ("country", "us", "US"),
    ("country", "U.K.", "GB"),
    ("country", "Deutschland", "DE"),     # a member's own language, from the CLDR
    ("country", "ESPAÑA", "ES"),
    ("country", "Schweiz", "CH"),
    ("country", "États-Unis", "US"),
    ("country", "EE. UU.", "US"),
    ("country", "Brasil", "BR"),
    ("citizenship", "Green card holder", "permanent_resident"),
    ("us_region", "Midwest", "midwest"),
    ("wg_walking", "A lot of difficulty", "a_lot"),
    ("race_ethnicity_detail", "Filipino", "asian.filipino"),
])
def test_match_label(dimension, label, expected):
    assert match_label(dimension, label) == expected


@pytest.mark.parametrize(("dimension", "label"), [
    ("role", "Lab director"),
    ("role", "Professor"),
    ("race_ethnicity", "Two or more races"),
    ("race_ethnicity", "Martian"),
    ("gender", "Transgender"),
    ("citizenship", "Citizen"),
    ("country", "NA"),           # Namibia or "not available"?
    ("country", "America"),      # the country or the continent?
    ("country", "Amerika"),
    ("country", "Kongo"),        # either Congo, in the languages that say so
    ("sector", "Academic medical center"),
    ("gender", "None"),
])
def test_match_label_returns_none_rather_than_a_guess(dimension, label):
    assert match_label(dimension, label) is None


def test_match_label_treats_a_missing_value_as_unknown():
    assert match_label("gender", None) == "unknown"
    assert match_label("gender", float("nan")) == "unknown"


def test_na_means_not_collected_but_prefer_not_to_answer_means_declined():
    assert match_label("citizenship", "N/A") == "unknown"
    assert match_label("citizenship", "Prefer not to answer") == "declined"


def test_match_label_rejects_an_unknown_dimension():
    with pytest.raises(UnknownDimensionError, match="valid names"):
        match_label("ethnicity", "White")
