"""SPD-15 race and ethnicity views: alone, alone or in combination, 1997, urm_nih."""

from __future__ import annotations

import pandas as pd
import pytest

from workforce.standard import (
    race_1997,
    race_alone,
    race_alone_or_in_combination,
    urm_nih,
)


def one(view, value: str | None) -> str:
    return view(pd.Series([value])).iloc[0]


@pytest.mark.parametrize(("value", "expected"), [
    ("white", "white"),
    ("black", "black"),
    ("hispanic", "hispanic"),
    ("mena", "mena"),
    ("nhpi", "nhpi"),
    ("aian", "aian"),
    ("other", "other"),
    ("black;white", "multiracial"),
    ("aian;black;hispanic", "multiracial"),
    ("mena;white", "multiracial"),
])
def test_alone_is_the_single_category_or_multiracial(value, expected):
    assert one(race_alone, value) == expected


def test_hispanic_and_white_is_multiracial():
    assert one(race_alone, "hispanic;white") == "multiracial"


def test_asian_or_pacific_islander_stays_coarse():
    assert one(race_alone, "asian_or_pi") == "asian_or_pi"
    assert one(race_1997, "asian_or_pi") == "asian_or_pi"
    assert race_alone_or_in_combination(pd.Series(["asian_or_pi"])).iloc[0].to_dict() == {
        "aian": False, "asian": False, "asian_or_pi": True, "black": False, "hispanic": False,
        "mena": False, "nhpi": False, "white": False, "other": False,
    }


def test_asian_or_pacific_islander_with_another_race_is_multiracial():
    assert one(race_alone, "asian_or_pi;white") == "multiracial"


def test_other_counts_as_a_category_of_its_own():
    assert one(race_alone, "other;white") == "multiracial"
    assert one(race_1997, "other") == "other"


@pytest.mark.parametrize("view", [race_alone, race_1997])
def test_declined_is_not_unknown_in_race_views(view):
    assert one(view, "declined") == "declined"
    assert one(view, "unknown") == "unknown"


@pytest.mark.parametrize("view", [race_alone, race_1997, urm_nih])
def test_blank_or_missing_race_is_unknown(view):
    assert view(pd.Series(["", None, float("nan")])).tolist() == ["unknown"] * 3


@pytest.mark.parametrize("view", [race_alone, race_1997, urm_nih])
def test_a_value_that_is_not_a_code_raises_instead_of_guessing(view):
    with pytest.raises(ValueError, match="'Caucasian' is not a code"):
        view(pd.Series(["white", "Caucasian"]))


@pytest.mark.parametrize(("value", "expected"), [
    ("hispanic;white", "hispanic"),
    ("black;hispanic", "hispanic"),
    ("hispanic", "hispanic"),
    ("white", "white"),
    ("mena", "white"),
    ("mena;white", "white"),
    ("black;mena", "multiracial"),
    ("asian;white", "multiracial"),
    ("nhpi", "nhpi"),
    ("declined", "declined"),
])
def test_1997_view_puts_hispanic_first_and_mena_within_white(value, expected):
    assert one(race_1997, value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("black", "yes"),
    ("hispanic;white", "yes"),
    ("aian", "yes"),
    ("nhpi;white", "yes"),
    ("white", "no"),
    ("asian", "no"),
    ("mena", "no"),
    ("other", "no"),
    ("asian;white", "no"),
    ("asian_or_pi", "unknown"),
    ("asian_or_pi;white", "unknown"),
    ("asian_or_pi;black", "yes"),
    ("unknown", "unknown"),
])
def test_urm_nih(value, expected):
    assert one(urm_nih, value) == expected


def test_urm_nih_unknown_when_race_declined():
    # The one view where the standard folds declined into unknown (NOT-OD-20-031 view).
    assert one(urm_nih, "declined") == "unknown"


def test_alone_or_in_combination_marks_every_chosen_category():
    table = race_alone_or_in_combination(pd.Series(["hispanic;white", "black", "declined"]))
    assert list(table.columns) == ["aian", "asian", "asian_or_pi", "black", "hispanic", "mena",
                                   "nhpi", "white", "other"]
    assert table.loc[0, "hispanic"] and table.loc[0, "white"] and not table.loc[0, "black"]
    assert table.loc[1, "black"] and not table.loc[1, "white"]
    assert table.loc[2].isna().all()
    assert str(table.dtypes.iloc[0]) == "boolean"


def test_alone_or_in_combination_shares_may_pass_100_percent():
    table = race_alone_or_in_combination(pd.Series(["hispanic;white", "white", "hispanic"]))
    assert table.mean().sum() > 1


def test_alone_or_in_combination_shares_leave_out_people_who_did_not_answer():
    table = race_alone_or_in_combination(pd.Series(["white", "black", "declined", "unknown"]))
    assert table["white"].mean() == 0.5


def test_views_keep_the_input_index_and_name_their_column():
    values = pd.Series(["white", "black"], index=[10, 20])
    alone = race_alone(values)
    assert list(alone.index) == [10, 20]
    assert alone.name == "race_alone"
    assert race_1997(values).name == "race_1997"
    assert urm_nih(values).name == "urm_nih"
    assert str(alone.dtype) == "str"


def test_lenient_about_spaces_around_codes_but_not_about_unknown_ones():
    assert one(race_alone, "hispanic; white") == "multiracial"
