"""Derived views about people: transgender, lgbtq, disability, disadvantaged, age, region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.standard import (
    age_band,
    derive_views,
    disability,
    disadvantaged,
    lgbtq,
    transgender_from_sex_at_birth,
    us_region,
)

WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare", "wg_communication")
DIS = ("dis_homeless", "dis_foster_care", "dis_free_lunch", "dis_first_gen", "dis_pell",
       "dis_wic", "dis_rural_or_shortage")


def wg_frame(*rows: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(WG))


def dis_frame(*rows: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(DIS))


# --- transgender from sex at birth and gender ----------------------------------------------


@pytest.mark.parametrize(("sex", "gender", "expected"), [
    ("female", "woman", "no"),
    ("male", "man", "no"),
    ("female", "man", "yes"),
    ("male", "woman", "yes"),
    ("F", "woman", "no"),
    ("M", "woman", "yes"),
    ("Female", "nonbinary", "unknown"),
    ("male", "another", "unknown"),
    ("declined", "woman", "declined"),
    ("female", "declined", "declined"),
    ("declined", "declined", "declined"),
    ("unknown", "woman", "unknown"),
    ("declined", "unknown", "unknown"),
])
def test_transgender_from_sex_at_birth(sex, gender, expected):
    result = transgender_from_sex_at_birth(pd.Series([sex]), pd.Series([gender]))
    assert result.iloc[0] == expected


def test_transgender_from_an_unreadable_sex_at_birth_raises():
    with pytest.raises(ValueError, match="sex_at_birth"):
        transgender_from_sex_at_birth(pd.Series(["Martian"]), pd.Series(["woman"]))


# --- lgbtq ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("orientation", "transgender", "gender", "expected"), [
    ("gay_lesbian", "no", "man", "yes"),
    ("bisexual", "unknown", "unknown", "yes"),
    ("another", "declined", "woman", "yes"),
    ("straight", "yes", "woman", "yes"),
    ("straight", "no", "nonbinary", "yes"),
    ("declined", "unknown", "another", "yes"),
    ("straight", "no", "woman", "no"),
    ("straight", "no", "man", "no"),
])
def test_lgbtq(orientation, transgender, gender, expected):
    result = lgbtq(pd.Series([orientation]), pd.Series([transgender]), pd.Series([gender]))
    assert result.iloc[0] == expected


def test_lgbtq_unknown_when_only_partly_known():
    result = lgbtq(pd.Series(["straight", "straight", "unknown"]),
                   pd.Series(["no", "unknown", "no"]),
                   pd.Series(["unknown", "woman", "man"]))
    assert result.tolist() == ["unknown", "unknown", "unknown"]


def test_lgbtq_declined_only_when_every_undecided_item_was_declined():
    result = lgbtq(pd.Series(["declined", "declined", "straight"]),
                   pd.Series(["declined", "unknown", "no"]),
                   pd.Series(["declined", "woman", "declined"]))
    assert result.tolist() == ["declined", "unknown", "declined"]


def test_lgbtq_rejects_a_code_of_another_dimension():
    with pytest.raises(ValueError, match="gender: 'female'"):
        lgbtq(pd.Series(["straight"]), pd.Series(["no"]), pd.Series(["female"]))


# --- disability (Washington Group) -----------------------------------------------------------


def test_disability_yes_on_any_a_lot():
    frame = wg_frame(("none", "none", "a_lot", "none", "none", "none"),
                     ("cannot", "unknown", "declined", "unknown", "unknown", "unknown"))
    assert disability(frame).tolist() == ["yes", "yes"]


def test_disability_no_only_when_all_six_answered_none_or_some():
    frame = wg_frame(("some", "some", "none", "some", "none", "none"),
                     ("none", "none", "none", "none", "none", "unknown"))
    assert disability(frame).tolist() == ["no", "unknown"]


def test_disability_declined_is_not_unknown():
    frame = wg_frame(("declined",) * 6,
                     ("none", "declined", "none", "none", "none", "none"),
                     ("declined", "unknown", "none", "none", "none", "none"),
                     ("unknown",) * 6)
    assert disability(frame).tolist() == ["declined", "declined", "unknown", "unknown"]


def test_disability_reads_six_unnamed_columns_in_order():
    frame = pd.DataFrame([["none", "none", "none", "none", "none", "cannot"]])
    assert disability(frame).tolist() == ["yes"]


def test_disability_never_reads_disability_self():
    frame = wg_frame(("none",) * 6).assign(disability_self="yes")
    assert disability(frame).tolist() == ["no"]


# --- disadvantaged background (NIH) ----------------------------------------------------------


def test_disadvantaged_needs_two_yes():
    frame = dis_frame(("yes", "yes", "no", "no", "no", "no", "no"),
                      ("yes", "no", "no", "no", "no", "no", "no"),
                      ("no",) * 7)
    assert disadvantaged(frame).tolist() == ["yes", "no", "no"]


def test_disadvantaged_is_no_only_when_unknowns_cannot_reach_two():
    frame = dis_frame(("no", "no", "no", "no", "no", "no", "unknown"),
                      ("no", "no", "no", "no", "no", "unknown", "unknown"),
                      ("yes", "no", "no", "no", "no", "no", "unknown"),
                      ("yes", "yes", "unknown", "unknown", "unknown", "unknown", "unknown"))
    assert disadvantaged(frame).tolist() == ["no", "unknown", "unknown", "yes"]


def test_disadvantaged_declined_is_not_unknown():
    frame = dis_frame(("declined",) * 7,
                      ("yes", "no", "no", "no", "no", "no", "declined"),
                      ("yes", "no", "no", "no", "no", "declined", "unknown"))
    assert disadvantaged(frame).tolist() == ["declined", "declined", "unknown"]


# --- age band ------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "expected"), [
    (18, "under_25"), (24, "under_25"), (24.9, "under_25"), (25, "25_34"), (34, "25_34"),
    (35, "35_44"), (44, "35_44"), (45, "45_54"), (54, "45_54"), (55, "55_64"), (64, "55_64"),
    (65, "65_plus"), (90, "65_plus"), ("41", "35_44"),
])
def test_age_band_from_age(age, expected):
    assert age_band(age) == expected


def test_age_band_from_birth_year():
    assert age_band(birth_year=1990, year=2024) == "25_34"
    assert age_band(birth_year=1960, year=2024) == "55_64"
    result = age_band(birth_year=pd.Series([1999, 2000, 1959]), year=pd.Series([2024, 2024, 2024]))
    assert result.tolist() == ["25_34", "under_25", "65_plus"]


def test_age_band_prefers_age_and_falls_back_to_birth_year():
    result = age_band(age=pd.Series([30, None]), birth_year=pd.Series([1950, 1950]), year=2024)
    assert result.tolist() == ["25_34", "65_plus"]


@pytest.mark.parametrize("age", [None, "", "n/a", -3, 5, 250, "forty"])
def test_age_band_unknown_for_missing_or_implausible_ages(age):
    assert age_band(pd.Series([age])).iloc[0] == "unknown"


def test_age_band_declined_is_not_unknown():
    assert age_band("Prefer not to say") == "declined"
    assert age_band(birth_year="Decline to state", year=2024) == "declined"


def test_age_band_needs_an_age_or_a_birth_year_with_the_year():
    with pytest.raises(ValueError, match="birth year together with the record's year"):
        age_band(birth_year=1980)


# --- us region -----------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "expected"), [
    ("CA", "west"), ("ca", "west"), (" California ", "west"), ("CALIFORNIA", "west"),
    ("NY", "northeast"), ("new  york", "northeast"), ("Pennsylvania", "northeast"),
    ("TX", "south"), ("DC", "south"), ("Washington, D.C.", "south"),
    ("District of Columbia", "south"), ("Washington", "west"), ("IL", "midwest"),
    ("north dakota", "midwest"), ("Alaska", "west"), ("HI", "west"),
])
def test_us_region_from_state_name_or_code(state, expected):
    assert us_region(state) == expected


def test_us_region_unknown_for_territories_blanks_and_strangers():
    assert us_region(pd.Series(["PR", "Guam", "", None, "Ontario"])).tolist() == ["unknown"] * 5


def test_us_region_declined_is_not_unknown():
    assert us_region("Prefer not to answer") == "declined"


def test_all_50_states_and_dc_have_a_region(standard):
    for state in standard.us_states:
        assert us_region(state.postal) == state.region
        assert us_region(state.name.lower()) == state.region


# --- derive_views ----------------------------------------------------------------------------


def test_derive_views_adds_every_view_column(make_records):
    records = make_records(
        {"race_ethnicity": "hispanic;white", "sexual_orientation": "bisexual"},
        {"race_ethnicity": "declined", "wg_walking": "cannot",
         "dis_pell": "yes", "dis_first_gen": "yes"},
    )
    derived = derive_views(records)
    assert list(derived.columns[: len(records.columns)]) == list(records.columns)
    row0, row1 = derived.iloc[0], derived.iloc[1]
    assert (row0.race_alone, row0.race_1997, row0.urm_nih) == ("multiracial", "hispanic", "yes")
    assert (row0.race_aic_hispanic, row0.race_aic_white, row0.race_aic_black) == (
        "yes", "yes", "no")
    assert (row0.lgbtq, row0.disability, row0.disadvantaged) == ("yes", "no", "no")
    assert (row1.race_alone, row1.race_1997, row1.urm_nih) == ("declined", "declined", "unknown")
    assert row1.race_aic_white == "declined"
    assert (row1.disability, row1.disadvantaged) == ("yes", "yes")


def test_derive_views_leaves_the_input_alone(make_records):
    records = make_records({})
    derive_views(records)
    assert "race_alone" not in records.columns


def test_derive_views_names_missing_columns(make_records):
    with pytest.raises(KeyError, match="wg_hearing"):
        derive_views(make_records({}).drop(columns=["wg_hearing"]))


def test_views_scale_to_many_rows_without_row_loops(make_records):
    # 200,000 rows in well under the time a per-row loop would need.
    import time

    base = make_records({}, {"race_ethnicity": "black;hispanic", "gender": "nonbinary"},
                        {"race_ethnicity": "declined", "wg_seeing": "a_lot"})
    records = base.iloc[np.resize(np.arange(3), 200_000)].reset_index(drop=True)
    started = time.perf_counter()
    derived = derive_views(records)
    assert time.perf_counter() - started < 10
    assert derived["race_alone"].value_counts().to_dict() == {
        "white": 66667, "multiracial": 66667, "declined": 66666}


def test_inputs_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        lgbtq(pd.Series(["straight"]), pd.Series(["no", "no"]), pd.Series(["woman"]))


def test_declined_is_not_unknown(make_records, standard):
    # Everything declined in one record, nothing collected in the other: every derived view
    # keeps them apart, except urm_nih, which the standard folds into unknown.
    inputs = ("race_ethnicity", "sexual_orientation", "transgender", "gender", *WG, *DIS)
    declined = make_records({name: "declined" for name in inputs},
                            {name: "unknown" for name in inputs})
    derived = derive_views(declined)
    for view in standard.views.values():
        for column in view.columns:
            expected = ["unknown", "unknown"] if view.name == "urm_nih" else ["declined", "unknown"]
            assert derived[column].tolist() == expected, column
