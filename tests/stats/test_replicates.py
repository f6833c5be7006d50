"""Replicate weights: the jackknife and the bootstrap agree with linearization, re-raked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.stats import StatsError, estimates, replicates, weighting
from workforce.stats.design import SurveyDesign


@pytest.fixture(scope="module")
def raked():
    rng = np.random.default_rng(11)
    n = 1500
    stage = rng.choice(["early", "mid", "senior"], n, p=[0.5, 0.3, 0.2])
    sector = rng.choice(["academic", "industry"], n, p=[0.7, 0.3])
    y = (rng.random(n) < np.where(stage == "senior", 0.6, 0.3)).astype(int).astype(str)
    data = pd.DataFrame({"stage": stage, "sector": sector, "y": y})
    design = SurveyDesign.from_frame(data, weights=np.full(n, 4.0), fpc=6000)
    margins = [
        weighting.Margin("stage", {"early": 2400.0, "mid": 2100.0, "senior": 1500.0}),
        weighting.Margin("sector", {"academic": 3600.0, "industry": 2400.0}),
    ]
    return weighting.rake(design, margins, tolerance=1e-12)


def test_every_bootstrap_replicate_is_raked_to_the_frame(raked):
    rep = replicates.bootstrap(raked, replicates=40, seed=3)
    weights = rep.weights()
    stage = raked.data["stage"].to_numpy()
    for r in range(weights.shape[1]):
        assert weights[stage == "senior", r].sum() == pytest.approx(1500.0, rel=1e-8)


def test_bootstrap_and_grouped_jackknife_agree_with_linearization(raked):
    (linear,) = estimates.proportion(raked, "y", "1")
    (boot,) = replicates.proportion(replicates.bootstrap(raked, replicates=800, seed=1), "y", "1")
    (jack,) = replicates.proportion(replicates.jackknife(raked, groups=100, seed=1), "y", "1")
    assert boot.estimate == linear.estimate == jack.estimate
    assert boot.se == pytest.approx(linear.se, rel=0.10)
    assert jack.se == pytest.approx(linear.se, rel=0.20)


def test_domain_replicate_estimates_match_linearization_in_size(raked):
    rep = replicates.bootstrap(raked, replicates=400, seed=2)
    by_sector = replicates.proportion(rep, "y", "1", by=["sector"])
    linear = estimates.proportion(raked, "y", "1", by=["sector"])
    for a, b in zip(by_sector, linear, strict=True):
        assert a.group == b.group and a.estimate == pytest.approx(b.estimate)
        assert a.se == pytest.approx(b.se, rel=0.15)


def test_the_bootstrap_is_reproducible_from_its_seed(raked):
    one = replicates.bootstrap(raked, replicates=20, seed=5).multipliers
    two = replicates.bootstrap(raked, replicates=20, seed=5).multipliers
    assert np.array_equal(one, two)


def test_a_replicate_that_empties_a_raking_category_is_named():
    data = pd.DataFrame({"stage": ["early"] * 20 + ["senior"], "y": ["1", "0"] * 10 + ["1"]})
    design = SurveyDesign.from_frame(data, weights=np.ones(21))
    raked = weighting.rake(design, [weighting.Margin("stage", {"early": 30.0, "senior": 3.0})])
    with pytest.raises(StatsError, match="leaves stage category 2 without respondents"):
        replicates.proportion(replicates.jackknife(raked), "y", "1")


def test_grouped_jackknife_needs_an_unstratified_design():
    data = pd.DataFrame({"s": ["a", "a", "b", "b"], "y": ["1", "0", "1", "0"]})
    design = SurveyDesign.from_frame(data, weights=np.ones(4), strata="s")
    with pytest.raises(StatsError, match="without strata"):
        replicates.jackknife(design, groups=2)
