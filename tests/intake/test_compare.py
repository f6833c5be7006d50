"""Comparing an export with the one before: each code's share, and the shares that moved."""

from __future__ import annotations

import pandas as pd
import pytest

from workforce.intake.compare import THRESHOLD_POINTS, Shift, code_counts, compare, shifts


def records(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_each_code_is_counted_and_a_multiracial_record_counts_for_each_race():
    counts = code_counts(
        records(
            gender=["woman", "woman", "man", "unknown"],
            race_ethnicity=["asian;white", "white", "hispanic", "declined"],
        )
    )
    assert counts["records"] == 4
    assert counts["dimensions"]["gender"] == {"man": 1, "unknown": 1, "woman": 2}
    assert counts["dimensions"]["race_ethnicity"] == {
        "asian": 1,
        "declined": 1,
        "hispanic": 1,
        "white": 2,
    }


def test_blank_regions_outside_the_us_and_detail_codes_are_not_counted():
    counts = code_counts(
        records(
            country=["US", "CA"],
            us_region=["west", ""],
            race_ethnicity_detail=["asian.chinese", ""],
            record_id=["1", "2"],
        )
    )
    assert counts["dimensions"] == {"country": {"CA": 1, "US": 1}, "us_region": {"west": 1}}


def test_a_code_held_only_by_rejected_rows_is_not_counted():
    # Records hold their codes as categoricals whose categories are every decided code,
    # including one that only rejected rows carried.
    gender = pd.Categorical(["woman", "man"], categories=["woman", "man", "nonbinary"])
    counts = code_counts(records(gender=gender))
    assert counts["dimensions"]["gender"] == {"man": 1, "woman": 1}


def test_a_column_that_became_unknown_is_the_largest_shift():
    before = code_counts(records(gender=["woman"] * 6 + ["man"] * 4))
    now = code_counts(records(gender=["unknown"] * 9 + ["woman"]))
    found = shifts(now, before)
    assert [(s.code, round(s.points)) for s in found] == [
        ("unknown", 90),
        ("woman", -50),
        ("man", -40),
    ]


def test_a_few_points_of_yearly_change_is_not_flagged():
    before = code_counts(records(career_stage=["student"] * 20 + ["mid"] * 80))
    now = code_counts(records(career_stage=["student"] * 25 + ["mid"] * 75))
    assert shifts(now, before) == []
    assert shifts(now, before, threshold=5) == [
        Shift("career_stage", "mid", 0.8, 0.75),
        Shift("career_stage", "student", 0.2, 0.25),
    ]


def test_exactly_the_threshold_is_flagged():
    before = code_counts(records(sector=["industry"] * 10 + ["academia"] * 90))
    now = code_counts(records(sector=["industry"] * 20 + ["academia"] * 80))
    assert {s.code for s in shifts(now, before)} == {"industry", "academia"}
    assert THRESHOLD_POINTS == 10


def test_a_dimension_only_one_export_has_is_not_compared():
    before = code_counts(records(gender=["woman", "man"]))
    now = code_counts(records(gender=["woman", "man"], sector=["industry", "industry"]))
    assert shifts(now, before) == []


@pytest.mark.parametrize("empty", ["now", "before"])
def test_an_export_without_records_gives_no_shares_to_compare(empty):
    full = code_counts(records(gender=["woman"]))
    none = code_counts(records(gender=pd.Series([], dtype=str)))
    pair = (none, full) if empty == "now" else (full, none)
    assert shifts(*pair) == []


def test_a_comparison_reads_as_data_and_as_lines():
    before = code_counts(records(gender=["woman"] * 6 + ["man"] * 4))
    now = code_counts(records(gender=["woman"] * 9 + ["man"]))
    compared = compare(now, before, file="/exports/ashg_2024.csv")
    assert compared.summary()["shifts"][0] == {
        "dimension": "gender",
        "code": "man",
        "share_before": 0.4,
        "share_now": 0.1,
        "points": -30.0,
    }
    assert compared.lines() == [
        "Compared with ashg_2024.csv (10 records; this file 10):",
        "  gender man: 40.0% → 10.0% (-30.0 points)",
        "  gender woman: 60.0% → 90.0% (+30.0 points)",
    ]
    alike = compare(before, before, file="ashg_2024.csv").lines()
    assert alike[1] == "  no code's share moved by 10 points or more"


def test_a_file_with_a_quarter_fewer_records_is_pointed_out():
    # One chapter's extract: the same kind of members in the same shares, but fewer of them.
    before = code_counts(records(gender=["woman"] * 600 + ["man"] * 400))
    extract = code_counts(records(gender=["woman"] * 150 + ["man"] * 100))
    compared = compare(extract, before, file="nsgc_2025.csv")
    assert compared.shifts == ()
    assert compared.records_change == -0.75 and compared.records_moved
    assert compared.summary()["records_moved"] is True
    assert compared.lines()[1] == (
        "  records: 75.0% fewer than before, where a membership changes by a few percent a year"
    )


def test_two_years_appended_are_pointed_out_as_more_records():
    before = code_counts(records(gender=["woman"] * 60 + ["man"] * 40))
    doubled = code_counts(records(gender=["woman"] * 120 + ["man"] * 80))
    compared = compare(doubled, before, file="nsgc_2025.csv")
    assert compared.records_change == 1.0 and compared.records_moved
    assert "100.0% more than before" in compared.lines()[1]


@pytest.mark.parametrize(("now", "moved"), [(1040, False), (760, False), (750, True)])
def test_ordinary_growth_or_shrinking_is_not_pointed_out(now, moved):
    before = code_counts(records(gender=["woman"] * 1000))
    compared = compare(code_counts(records(gender=["woman"] * now)), before, file="x.csv")
    assert compared.records_moved is moved
    assert (len(compared.lines()) == 3) is moved  # heading, records, no shares moved


def test_no_records_before_gives_no_change_in_their_number():
    none = code_counts(records(gender=pd.Series([], dtype=str)))
    compared = compare(code_counts(records(gender=["woman"])), none, file="x.csv")
    assert compared.records_change is None and not compared.records_moved
