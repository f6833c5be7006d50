"""The Blau and Shannon diversity indices, checked against R's ``svycontrast``.

Reference values: ``tests/stats/reference/make_contrasts.R`` → ``r_contrasts.json``, the
indices of school type (``stype``) on R's ``api`` cluster sample (``dclus1``) and the same
sample raked (``rclus1``), overall and within the domains of ``comp.imp``. In the raked design
school type is a raking variable, so its overall indices have (almost) no sampling error;
within domains they do.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.stats.design import SurveyDesign
from workforce.stats.diversity import blau_index, shannon_index
from workforce.stats.errors import StatsError

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


@pytest.mark.parametrize(("function", "key"), [(blau_index, "blau"), (shannon_index, "shannon")])
def test_diversity_index_of_the_whole_sample_matches_r(design, function, key):
    name, d = design
    expected = R["cases"][name]["diversity_stype"]
    (result,) = function(d, "stype")
    assert result.categories == ("E", "H", "M")
    close(result.shares, expected["shares"])
    close(result.estimate, expected[key]["estimate"])
    close(result.se, expected[key]["se"])
    assert result.df == expected["df"]


def test_blau_index_matches_r_svycontrast_on_svymean(design):
    name, d = design
    expected = R["cases"][name]["diversity_stype"]["blau_from_svymean"]
    (result,) = blau_index(d, "stype")
    close([result.estimate, result.se], [expected["estimate"], expected["se"]])


@pytest.mark.parametrize(("function", "key"), [(blau_index, "blau"), (shannon_index, "shannon")])
def test_diversity_index_per_domain_matches_r(design, function, key):
    name, d = design
    results = function(d, "stype", by=["comp.imp"])
    assert [r.group for r in results] == [{"comp.imp": "No"}, {"comp.imp": "Yes"}]
    for result in results:
        expected = R["cases"][name][f"diversity_stype_compimp_{result.group['comp.imp']}"]
        close(result.estimate, expected[key]["estimate"])
        close(result.se, expected[key]["se"])
        assert result.df == expected["df"]


def test_interval_is_t_on_design_degrees_of_freedom():
    from scipy import stats

    d = build("dclus1")
    (result,) = blau_index(d, "stype", level=0.90)
    half = stats.t.ppf(0.95, 14) * result.se
    close([result.ci_low, result.ci_high], [result.estimate - half, result.estimate + half])


def _people(groups: dict[str, list[str]]) -> SurveyDesign:
    rows = [(group, value) for group, values in groups.items() for value in values]
    return SurveyDesign.from_frame(pd.DataFrame(rows, columns=["section", "race"]), weights=None)


def test_evenly_split_membership_reaches_the_maximum_diversity():
    d = _people({"all": ["a"] * 50 + ["b"] * 50 + ["c"] * 50 + ["d"] * 50})
    (blau,) = blau_index(d, "race")
    (shannon,) = shannon_index(d, "race")
    assert blau.estimate == pytest.approx(1 - 1 / 4)
    assert shannon.estimate == pytest.approx(math.log(4))
    assert shannon.evenness == pytest.approx(1.0)
    # The interval is kept within the index's range.
    assert blau.ci_high <= 0.75 and shannon.ci_high <= math.log(4)


def test_a_section_with_a_single_category_has_zero_diversity_and_evenness():
    d = _people({"one": ["a"] * 40, "mixed": ["a"] * 20 + ["b"] * 20})
    results = {r.group["section"]: r for r in shannon_index(d, "race", by=["section"])}
    assert results["one"].estimate == 0
    assert results["one"].evenness == 0
    # The categories are those of the whole column, so K = 2 in both sections.
    assert results["one"].categories == ("a", "b")
    assert results["mixed"].evenness == pytest.approx(1.0)
    for result in results.values():
        assert not any(isinstance(v, float) and math.isnan(v) for v in vars(result).values())


def test_blank_answers_are_left_out_of_the_shares():
    d = _people({"all": ["a"] * 30 + ["b"] * 10 + [""] * 60})
    (result,) = blau_index(d, "race")
    assert result.n == 40
    assert result.shares == pytest.approx((0.75, 0.25))
    assert result.estimate == pytest.approx(1 - 0.75**2 - 0.25**2)


def test_a_multi_select_cell_is_its_own_category():
    d = _people({"all": ["a"] * 30 + ["b"] * 30 + ["a;b"] * 40})
    (result,) = blau_index(d, "race")
    assert result.categories == ("a", "a;b", "b")
    assert sum(result.shares) == pytest.approx(1.0)


def test_unknown_or_empty_column_is_rejected():
    d = _people({"all": ["a", "b", ""]})
    with pytest.raises(StatsError, match="'gender'"):
        blau_index(d, "gender")
    empty = _people({"all": ["", ""]})
    with pytest.raises(StatsError, match="no answers"):
        shannon_index(empty, "race")
    with pytest.raises(StatsError, match="'career'"):
        blau_index(d, "race", by=["career"])
