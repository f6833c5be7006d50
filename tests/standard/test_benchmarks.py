"""Reference populations: every figure of STANDARD.md, with source, and like-with-like pairing."""

from __future__ import annotations

import pytest

from workforce.standard import (
    NoBenchmarkError,
    ViewMismatchError,
    benchmark_for,
    benchmarks_for,
    get_benchmark,
    load_benchmarks,
    require_same_view,
)


def test_every_benchmark_carries_source_year_universe_and_view():
    benchmarks = load_benchmarks()
    assert len(benchmarks) == 15
    for benchmark in benchmarks:
        assert benchmark.source and benchmark.citation and benchmark.universe
        assert benchmark.url.startswith("https://")
        assert 2019 <= benchmark.year <= 2022
        assert benchmark.view and benchmark.dimension
        assert all(0 <= share <= 1 for share in benchmark.shares.values())


def test_census_2020_alone_or_in_combination():
    census = get_benchmark("census2020_race_alone_or_in_combination")
    assert census.view == "alone_or_in_combination"
    assert census.universe == "US population, 2020 Census"
    assert census.percent == {"white": 71.0, "black": 14.2, "asian": 7.2, "aian": 2.9,
                              "nhpi": 0.5, "other": 15.1, "hispanic": 18.7}
    assert sum(census.shares.values()) > 1  # categories overlap in this view
    assert "census.gov" in census.url and census.year == 2020


def test_census_2020_mutually_exclusive_view_is_the_1997_view():
    census = get_benchmark("census2020_race_1997")
    assert census.view == "omb1997"
    assert census.percent == {"white": 57.8, "hispanic": 18.7, "black": 12.1, "asian": 5.9,
                              "multiracial": 4.1, "aian": 0.7, "nhpi": 0.2}


def test_ncses_diversity_and_stem_2023():
    population = benchmark_for("gender", "gender", universe="US population aged 18-74")
    workers = benchmark_for("gender", "gender", universe="STEM workers")
    assert (population.shares["woman"], workers.shares["woman"]) == (0.51, 0.35)
    assert "NSF 23-315" in population.citation and population.year == 2021
    disabled = benchmark_for("disability", "disability", universe="STEM workers")
    assert disabled.percent == {"yes": 3}
    race = benchmark_for("race_ethnicity", "omb1997", universe="population aged 18-74")
    assert race.percent == {"hispanic_black_aian": 31}
    assert race.codes_of("hispanic_black_aian") == ("hispanic", "black", "aian")


def test_science_and_engineering_indicators_2022():
    doctorates = benchmark_for("race_ethnicity", "omb1997", universe="S&E doctorates 2019")
    population = benchmark_for("race_ethnicity", "omb1997", universe="aged 20–34")
    assert doctorates.universe == "US citizens and permanent residents, S&E doctorates 2019"
    assert doctorates.percent["white"] == 69.1 and population.percent["white"] == 54.4
    assert doctorates.percent["multiracial"] == 3.2 and population.percent["hispanic"] == 21.3
    women = get_benchmark("sei2022_gender_biological_sciences_doctorates")
    assert women.percent == {"woman": 51.9}


def test_the_fields_own_2022_workforce_survey_baseline():
    gender = get_benchmark("hggws2022_gender")
    assert gender.universe == "2022 Human Genetics & Genomics Workforce Survey respondents"
    assert (gender.respondents, gender.invited) == (4367, 13431)
    assert round(gender.respondents / gender.invited * 100, 1) == 32.5
    assert gender.percent == {"woman": 74.7, "man": 23.3}
    assert gender.unmapped == {"nonbinary or transgender": 0.005}
    assert get_benchmark("hggws2022_race").percent == {"white": 67}
    assert get_benchmark("hggws2022_citizenship").percent == {"us_citizen": 73.3}
    assert get_benchmark("hggws2022_lgbtq").percent == {"yes": 6.9}


def test_a_comparison_in_another_view_is_refused():
    with pytest.raises(ViewMismatchError, match="only in alone, alone_or_in_combination, omb1997"):
        benchmark_for("race_ethnicity", "urm_nih")


def test_require_same_view_refuses_unlike_tabulations():
    census = get_benchmark("census2020_race_1997")
    require_same_view(census, "omb1997")
    with pytest.raises(ViewMismatchError, match="compare like with like"):
        require_same_view(census, "alone")


def test_an_ambiguous_request_asks_for_the_universe():
    with pytest.raises(NoBenchmarkError, match="pass universe="):
        benchmark_for("gender", "gender")


def test_a_universe_that_matches_nothing_lists_the_universes():
    with pytest.raises(NoBenchmarkError, match="universes: ncses2023_gender_population"):
        benchmark_for("gender", "gender", universe="Mars")


def test_a_dimension_without_benchmarks_is_named():
    with pytest.raises(NoBenchmarkError, match="no benchmark for 'career_stage'"):
        benchmark_for("career_stage", "career_stage")
    with pytest.raises(NoBenchmarkError, match="no benchmark 'nope'"):
        get_benchmark("nope")


def test_benchmarks_for_filters_by_view_and_universe():
    ids = [b.id for b in benchmarks_for("race_ethnicity", "omb1997")]
    assert ids == ["census2020_race_1997", "ncses2023_race_population",
                   "ncses2023_race_stem_workers", "sei2022_race_se_doctorates",
                   "sei2022_race_population_20_34"]
    assert benchmarks_for("race_ethnicity", "omb1997", universe="Mars") == []
