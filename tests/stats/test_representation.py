"""Representation ratios, pipelines, the glass ceiling, four-fifths and the disparity index.

The reference values come from R's ``survey`` package (``svycontrast`` on ``svytotal``) on
its own ``api`` data, written by ``tests/stats/reference/make_contrasts.R`` to
``r_contrasts.json``: the one-stage cluster sample ``dclus1`` and the same sample raked on
school type and "school-wide target met" (``rclus1``). Intervals are log-scale with t on the
design degrees of freedom of the rows each ratio uses. Agreement is to 1e-6 relative.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.representation import (
    disparity_index,
    four_fifths,
    glass_ceiling_index,
    pipeline_ratios,
    representation_ratio,
)

from .api_designs import build

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_contrasts.json").read_text())
RELATIVE = 1e-6


@pytest.fixture(scope="module", params=["dclus1", "rclus1"])
def design(request):
    return request.param, build(request.param)


def close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float),
                               rtol=RELATIVE, atol=0)


def no_nan(result) -> None:
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        assert not (isinstance(value, float) and math.isnan(value)), field.name


def simple(frame: dict) -> SurveyDesign:
    return SurveyDesign.from_frame(pd.DataFrame(frame), weights=None)


# -- against R -----------------------------------------------------------------------------------


def test_representation_ratio_matches_r_svycontrast(design):
    name, d = design
    expected = R["cases"][name]["representation_H_015"]
    (result,) = representation_ratio(d, "stype", "H", 0.15)
    close(result.share, expected["share"])
    close(result.share_se, expected["share_se"])
    close(result.ratio, expected["estimate"])
    close(result.ratio_se, expected["se"])
    assert result.df == expected["df"]
    close([result.ci_low, result.ci_high], [expected["ci_low"], expected["ci_high"]])


def test_representation_ratio_per_domain_and_with_an_estimated_benchmark_matches_r(design):
    name, d = design
    expected = R["cases"][name]["representation_awards_06_by_stype"]
    plain = representation_ratio(d, "awards", "Yes", 0.6, by=["stype"])
    widened = representation_ratio(d, "awards", "Yes", 0.6, by=["stype"], benchmark_se=0.02)
    assert [r.group["stype"] for r in plain] == expected["stype"]
    close([r.ratio for r in plain], expected["estimate"])
    close([r.ratio_se for r in plain], expected["se"])
    assert [r.df for r in plain] == expected["df"]
    close([r.ci_low for r in plain], expected["ci_low"])
    close([r.ci_high for r in plain], expected["ci_high"])
    close([r.ratio_se for r in widened], expected["se_bse"])
    close([r.ci_low for r in widened], expected["ci_low_bse"])
    close([r.ci_high for r in widened], expected["ci_high_bse"])


def test_pipeline_ratios_match_r(design):
    name, d = design
    expected = R["cases"][name]["pipeline_awards_EMH"]
    stages = pipeline_ratios(d, "awards", "Yes", "stype", ["E", "M", "H"])
    assert [s.stage for s in stages] == expected["stages"]
    close([s.share for s in stages], expected["share"])
    close([s.share_se for s in stages], expected["share_se"])
    assert stages[0].ratio is None and stages[0].previous_stage is None
    assert [s.previous_stage for s in stages[1:]] == ["E", "M"]
    close([s.ratio for s in stages[1:]], expected["ratio"])
    close([s.ratio_se for s in stages[1:]], expected["ratio_se"])
    assert [s.df for s in stages[1:]] == expected["df"]
    close([s.ci_low for s in stages[1:]], expected["ci_low"])
    close([s.ci_high for s in stages[1:]], expected["ci_high"])


def test_pipeline_ratio_se_uses_the_covariance_between_stages(design):
    name, d = design
    expected = R["cases"][name]["pipeline_awards_EMH"]
    stages = pipeline_ratios(d, "awards", "Yes", "stype", ["E", "M", "H"])
    for stage, independent in zip(stages[1:], expected["ratio_se_independent"], strict=True):
        # Treating the two stages' shares as independent gives a different answer.
        assert abs(stage.ratio_se - independent) > 1e-4 * independent


@pytest.mark.parametrize(("top", "case"), [(["H"], "glass_ceiling_awards_H"),
                                           (["M", "H"], "glass_ceiling_awards_MH")])
def test_glass_ceiling_index_matches_r(design, top, case):
    name, d = design
    expected = R["cases"][name][case]
    result = glass_ceiling_index(d, "awards", "Yes", "stype", top)
    close(result.index, expected["estimate"])
    close(result.se, expected["se"])
    assert result.df == expected["df"]
    close([result.ci_low, result.ci_high], [expected["ci_low"], expected["ci_high"]])


def test_four_fifths_ratios_match_r(design):
    name, d = design
    expected = R["cases"][name]["four_fifths_schwide_by_stype"]
    results = four_fifths(d, "sch.wide", "Yes", "stype")
    assert [r.group for r in results] == expected["stype"]
    assert {r.reference for r in results} == {expected["reference"]}
    close([r.rate for r in results], expected["rate"])
    close([r.ratio for r in results], expected["ratio"])
    close([r.ratio_se for r in results], expected["ratio_se"])
    assert [r.df for r in results] == expected["df"]
    close([r.ci_low for r in results], expected["ci_low"])
    close([r.ci_high for r in results], expected["ci_high"])
    # M's point ratio is under 0.8, but its interval reaches above it.
    flags = {r.group: (r.adverse_impact, r.ci_below_threshold) for r in results}
    assert flags == {"E": (False, False), "H": (False, False), "M": (True, False)}


@pytest.mark.parametrize(("reference", "case"), [(None, "disparity_compimp_no_lowest"),
                                                 ("E", "disparity_compimp_no_ref_E"),
                                                 ("M", "disparity_compimp_no_ref_M")])
def test_disparity_index_matches_r(design, reference, case):
    name, d = design
    expected = R["cases"][name][case]
    result = disparity_index(d, "comp.imp", "No", "stype", reference=reference)
    assert result.reference == expected["reference"]
    close(result.index, expected["estimate"])
    close(result.se, expected["se"])
    assert result.df == expected["df"]
    close([result.ci_low, result.ci_high], [expected["ci_low"], expected["ci_high"]])


# -- behaviour -----------------------------------------------------------------------------------


def _members(n_a: int, hits_a: int, n_b: int, hits_b: int) -> SurveyDesign:
    """Two groups (stage or group column "g"), `hits` of each with race "black"."""
    race = (["black"] * hits_a + ["white"] * (n_a - hits_a)
            + ["black"] * hits_b + ["white"] * (n_b - hits_b))
    return simple({"g": ["a"] * n_a + ["b"] * n_b, "race": race})


def test_representation_ratio_below_one_when_group_is_underrepresented():
    d = _members(500, 25, 500, 25)
    (result,) = representation_ratio(d, "race", "black", 0.10)
    assert result.ratio == pytest.approx(0.5)
    assert result.ci_high < 1
    assert result.reliability in ("present", "review", "suppress")
    no_nan(result)


def test_representation_ratio_is_zero_without_interval_where_the_group_is_absent():
    d = _members(100, 0, 100, 20)
    results = {r.group["g"]: r for r in representation_ratio(d, "race", "black", 0.2, by=["g"])}
    assert results["a"].ratio == 0
    assert results["a"].ci_low is None and results["a"].ci_high is None
    assert any("log-scale" in reason for reason in results["a"].reasons)
    assert results["b"].ratio == pytest.approx(1.0)
    for result in results.values():
        no_nan(result)


@pytest.mark.parametrize("benchmark", [0, 0.0, 1.5, 15, -0.1, float("nan"), "abc", None])
def test_benchmark_of_zero_or_over_one_is_rejected(benchmark):
    d = _members(50, 5, 50, 5)
    with pytest.raises(StatsError, match="benchmark"):
        representation_ratio(d, "race", "black", benchmark)


def test_negative_benchmark_se_is_rejected():
    with pytest.raises(StatsError, match="benchmark_se"):
        representation_ratio(_members(50, 5, 50, 5), "race", "black", 0.1, benchmark_se=-1)


def test_unknown_column_is_rejected_with_its_name():
    d = _members(50, 5, 50, 5)
    with pytest.raises(StatsError, match="'ethnicity'"):
        representation_ratio(d, "ethnicity", "black", 0.1)
    with pytest.raises(StatsError, match="'stage'"):
        pipeline_ratios(d, "race", "black", "stage", ["a", "b"])
    with pytest.raises(StatsError, match="'level'"):
        glass_ceiling_index(d, "race", "black", "level", ["b"])
    with pytest.raises(StatsError, match="'group'"):
        four_fifths(d, "race", "black", "group")


def test_a_group_nobody_belongs_to_is_rejected_not_reported_as_zero():
    d = _members(50, 5, 50, 5)
    with pytest.raises(StatsError, match="'blakc'.*values present: black, white"):
        representation_ratio(d, "race", "blakc", 0.1)
    with pytest.raises(StatsError, match="'blakc'"):
        glass_ceiling_index(d, "race", "blakc", "g", ["b"])


def test_pipeline_stage_with_no_respondents_is_rejected():
    d = _members(50, 5, 50, 5)
    with pytest.raises(StatsError, match="stage 'c'.*stages present: a, b"):
        pipeline_ratios(d, "race", "black", "g", ["a", "b", "c"])


def test_pipeline_needs_two_distinct_stages():
    d = _members(50, 5, 50, 5)
    with pytest.raises(StatsError, match="two stages"):
        pipeline_ratios(d, "race", "black", "g", ["a"])
    with pytest.raises(StatsError, match="twice"):
        pipeline_ratios(d, "race", "black", "g", ["a", "a"])


def test_pipeline_ratio_below_one_where_the_group_is_lost():
    d = _members(1000, 200, 1000, 50)
    first, second = pipeline_ratios(d, "race", "black", "g", ["a", "b"])
    assert second.ratio == pytest.approx(0.25)
    assert second.ci_high < 1
    no_nan(first)
    no_nan(second)


def test_glass_ceiling_index_above_one_when_group_is_scarcer_at_the_top():
    # 30% of the junior level and 10% of the senior level: 20% overall.
    d = _members(1000, 300, 1000, 100)
    result = glass_ceiling_index(d, "race", "black", "g", ["b"])
    assert result.index == pytest.approx(0.2 / 0.1)
    assert result.ci_low > 1
    no_nan(result)


def test_glass_ceiling_index_is_one_without_a_ceiling():
    result = glass_ceiling_index(_members(400, 40, 400, 40), "race", "black", "g", ["b"])
    assert result.index == pytest.approx(1.0)
    assert result.ci_low < 1 < result.ci_high


def test_glass_ceiling_unknown_top_level_is_rejected():
    with pytest.raises(StatsError, match="'professor'"):
        glass_ceiling_index(_members(50, 5, 50, 5), "race", "black", "g", ["professor"])


def test_four_fifths_flags_adverse_impact_when_the_whole_interval_is_under_eight_tenths():
    # Promotion rates 60% and 30%: a ratio of 0.5, well under 0.8 even at its upper limit.
    d = _members(1000, 600, 1000, 300)
    results = {r.group: r for r in four_fifths(d, "race", "black", "g")}
    assert results["a"].ratio == 1 and results["a"].reference == "a"
    assert results["b"].ratio == pytest.approx(0.5)
    assert results["b"].adverse_impact and results["b"].ci_below_threshold
    assert not results["a"].adverse_impact


def test_four_fifths_outcome_nobody_has_is_rejected():
    with pytest.raises(StatsError, match="'promoted'"):
        four_fifths(_members(50, 5, 50, 5), "race", "promoted", "g")


def test_disparity_index_reference_can_be_named_or_the_best_rate():
    # Rates 10% (a) and 30% (b).
    d = _members(500, 50, 500, 150)
    lowest = disparity_index(d, "race", "black", "g")
    assert lowest.reference == "a"
    assert lowest.index == pytest.approx(100 * (0.3 - 0.1) / 0.1)
    highest = disparity_index(d, "race", "black", "g", better="higher")
    assert highest.reference == "b"
    assert highest.index == pytest.approx(100 * (0.3 - 0.1) / 0.3)
    named = disparity_index(d, "race", "black", "g", reference="b")
    assert named.index == pytest.approx(highest.index)
    assert named.ci_low < named.index < named.ci_high
    no_nan(named)


def test_disparity_index_is_zero_without_interval_when_all_groups_have_the_reference_rate():
    result = disparity_index(_members(100, 10, 100, 10), "race", "black", "g")
    assert result.index == 0
    assert result.ci_low is None and result.ci_high is None
    assert any("not smooth" in reason for reason in result.reasons)
    no_nan(result)


def test_disparity_index_rejects_an_unknown_or_zero_rate_reference():
    d = _members(100, 0, 100, 10)
    with pytest.raises(StatsError, match="'c'"):
        disparity_index(d, "race", "black", "g", reference="c")
    with pytest.raises(StatsError, match="rate of zero"):
        disparity_index(d, "race", "black", "g")
    with pytest.raises(StatsError, match="better"):
        disparity_index(d, "race", "black", "g", reference="b", better="best")


def test_a_confidence_level_outside_zero_and_one_is_rejected():
    with pytest.raises(StatsError, match="confidence level"):
        representation_ratio(_members(50, 5, 50, 5), "race", "black", 0.1, level=95)
