"""The estimates reproduce R's `survey` package (Lumley) on its own `api` data, to 1e-6.

The reference values were produced by `tests/stats/reference/make_reference.R` with the R and
survey versions recorded in `r_survey.json`; these tests only read that file, so R is not
needed to run them. The designs are the ones of R's documentation: a stratified sample of
schools (`dstrat`), a one-stage cluster sample of school districts (`dclus1`), the cluster
sample raked to the population's school types and "school-wide target met" (`rclus1`), the
stratified sample raked on three variables (`rstrat`), the cluster sample post-stratified
(`pclus1`), and the stratified sample read as a Poisson sample (`dpois`); replicate designs
(`jk1`, `rjk1` re-raked per replicate, `jkn`) at the end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workforce.stats import estimates, variance

from .api_designs import REFERENCE, build

HERE = Path(__file__).parent
CASES = REFERENCE["cases"]
RELATIVE = 1e-6


LINEARIZED = [
    "dstrat", "dclus1", "dclus1_nofpc", "rclus1", "rclus1_tight", "rstrat", "pclus1", "dpois"
]


@pytest.fixture(scope="module", params=LINEARIZED)
def design(request):
    return request.param, build(request.param)


def close(ours, theirs, scale=1.0):
    """Equal to 1e-6 relative; values R gives as rounding noise around 0 compare absolutely."""
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    np.testing.assert_allclose(ours, theirs, rtol=RELATIVE, atol=1e-9 * scale)


def test_raked_weights_equal_r_weights(design):
    name, d = design
    close(d.weights, CASES[name]["design"]["weights"], scale=100)


def test_degrees_of_freedom_equal_r(design):
    name, d = design
    assert d.degrees_of_freedom() == CASES[name]["design"]["degf"]


@pytest.mark.parametrize(
    ("statistic", "call"),
    [
        ("mean_api00", lambda d: estimates.mean(d, "api00")),
        ("mean_enroll", lambda d: estimates.mean(d, "enroll")),
        ("total_enroll", lambda d: estimates.total(d, "enroll")),
        ("prop_schwide_yes", lambda d: estimates.proportion(d, "sch.wide", "Yes")),
        ("prop_meals_over_50", lambda d: estimates.proportion(d, "meals_over_50", "1")),
    ],
)
def test_whole_sample_estimate_and_se_equal_r(design, statistic, call):
    name, d = design
    expected = CASES[name][statistic]
    (result,) = call(d)
    close(result.estimate, expected["estimate"])
    close(result.se, expected["se"], scale=max(1.0, abs(expected["estimate"])))


@pytest.mark.parametrize(
    ("statistic", "call"),
    [
        ("mean_api00_by_stype", lambda d: estimates.mean(d, "api00", by=["stype"])),
        (
            "prop_meals_over_50_by_stype",
            lambda d: estimates.proportion(d, "meals_over_50", "1", by=["stype"]),
        ),
        (
            "mean_api00_by_stype_compimp",
            lambda d: estimates.mean(d, "api00", by=["stype", "comp.imp"]),
        ),
        ("total_enroll_by_stype", lambda d: estimates.total(d, "enroll", by=["stype"])),
    ],
)
def test_domain_estimates_and_ses_equal_r(design, statistic, call):
    name, d = design
    expected = CASES[name][statistic]
    variables = [k for k in ("stype", "comp.imp") if k in expected]
    wanted = {
        tuple(expected[v][i] for v in variables): (expected["estimate"][i], expected["se"][i])
        for i in range(len(expected["estimate"]))
    }
    results = call(d)
    assert len(results) == len(wanted)
    for result in results:
        estimate, se = wanted[tuple(result.group[v] for v in variables)]
        close(result.estimate, estimate)
        close(result.se, se, scale=max(1.0, abs(estimate)))


def test_covariance_of_two_means_equals_r(design):
    name, d = design
    expected = CASES[name]["vcov_api00_api99"]
    whole = estimates.Domains.whole(d)
    api00 = estimates.domain_means(d, estimates.numeric_outcome(d, "api00"), whole)
    api99 = estimates.domain_means(d, estimates.numeric_outcome(d, "api99"), whole)
    covariance = variance.covariance(d, np.column_stack([api00.influence(), api99.influence()]))
    close([api00.estimates[0], api99.estimates[0]], expected["estimate"])
    close(covariance, expected["vcov"], scale=100)


@pytest.mark.parametrize(
    ("method", "level", "case"),
    [
        ("logit", 0.95, "ciprop_logit"),
        ("beta", 0.95, "ciprop_beta"),
        ("asin", 0.95, "ciprop_asin"),
        ("mean", 0.95, "ciprop_mean"),
        ("logit", 0.95, "ciprop_xlogit"),
        ("logit", 0.90, "ciprop_logit_90"),
        ("beta", 0.90, "ciprop_beta_90"),
    ],
)
def test_svyciprop_intervals_equal_r(design, method, level, case):
    name, d = design
    expected = CASES[name][case]
    (result,) = estimates.proportion(d, "meals_over_50", "1", method=method, level=level)
    close(result.estimate, expected["estimate"])
    close(result.se, expected["se"])
    close([result.ci_low, result.ci_high], [expected["ci_low"], expected["ci_high"]])


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_svyciprop_intervals_by_domain_equal_r(design, method):
    name, d = design
    expected = CASES[name][f"ciprop_{method}_by_stype"]
    results = {r.group["stype"]: r for r in
               estimates.proportion(d, "meals_over_50", "1", by=["stype"], method=method)}
    for i, label in enumerate(expected["labels"]):
        result = results[label]
        subset = CASES[name]["domain_subsets"][label]
        assert result.df == subset["degf"]
        close(result.se, expected["se"][i])
        if method == "beta" and subset["nrow"] != subset["n_in_domain"]:
            # R's Korn–Graubard uses nrow(design), which for a calibrated design's domain
            # counts every respondent, not the domain's; ours uses the domain's respondents
            # (as Korn and Graubard and the NCHS standard define it). Compare with R's
            # formula fed the same count.
            from workforce.stats.intervals import korn_graubard

            low, high = korn_graubard(result.estimate, result.se**2, result.df, subset["nrow"])
            close([low, high], [expected["ci_low"][i], expected["ci_high"][i]])
            continue
        close([result.ci_low, result.ci_high], [expected["ci_low"][i], expected["ci_high"][i]])


# R's svyciprop(method = "likelihood") interpolates a spline through ten points of the
# profile (`ciprop_likelihood`: up to 1.5e-4 off its own equation on the whole sample, 1.2e-2
# in a domain of 14 schools). On a fine grid (`likelihood_fine`) R's spline is exact, and what
# remains is R's glm: the design effect λ it scales by divides by the model-based variance
# from the last-but-one IRLS iteration, off by 2e-5 to 7e-5 relative (R's glm stops at a
# relative change in deviance of 1e-8). Solving the equation exactly at the fitted p, ours is
# within 2e-4 of R's fine-grid answer everywhere, and within 2e-6 where R's glm converged.
LIKELIHOOD_AGREEMENT = 2e-4


def test_likelihood_interval_equals_r_on_a_fine_profile_grid(design):
    name, d = design
    (result,) = estimates.proportion(d, "meals_over_50", "1", method="likelihood")
    np.testing.assert_allclose(
        [result.ci_low, result.ci_high], CASES[name]["likelihood_fine"],
        rtol=LIKELIHOOD_AGREEMENT,
    )
    expected = CASES[name]["ciprop_likelihood"]
    np.testing.assert_allclose(
        [result.ci_low, result.ci_high], [expected["ci_low"], expected["ci_high"]], rtol=3e-4
    )


def test_likelihood_intervals_by_domain_equal_r_on_a_fine_profile_grid(design):
    name, d = design
    fine = CASES[name]["likelihood_fine_by_stype"]
    for result in estimates.proportion(d, "meals_over_50", "1", by=["stype"],
                                       method="likelihood"):
        np.testing.assert_allclose(
            [result.ci_low, result.ci_high], fine[result.group["stype"]],
            rtol=LIKELIHOOD_AGREEMENT,
        )


# -- replicate weights ---------------------------------------------------------------------------


def build_replicates(name: str):
    from workforce.stats import replicates

    if name == "jk1":
        return replicates.jackknife(build("dclus1"))
    if name == "rjk1":
        # R rakes the full sample and every replicate (as.svrepdesign, then rake()).
        return replicates.jackknife(build("rclus1_tight"))
    if name == "jkn":
        return replicates.jackknife(build("dstrat"))
    raise KeyError(name)


@pytest.fixture(scope="module", params=["jk1", "rjk1", "jkn"])
def replicate_design(request):
    return request.param, build_replicates(request.param)


def test_jackknife_scales_equal_r(replicate_design):
    name, rep = replicate_design
    expected = CASES[name]["design"]
    close(rep.scale, expected["scale"])
    close(np.sort(rep.rscales), np.sort(expected["rscales"]))


def test_reraked_replicate_weights_equal_r():
    """Each replicate is raked again; columns are matched by the PSU they leave out."""
    rep = build_replicates("rjk1")
    ours = rep.weights()
    theirs = np.array(CASES["rjk1"]["design"]["analysis_weights"]).T
    theirs = theirs if theirs.shape == ours.shape else theirs.T
    dropped_ours = [tuple(np.flatnonzero(ours[:, r] == 0)) for r in range(ours.shape[1])]
    dropped_theirs = [tuple(np.flatnonzero(theirs[:, r] == 0)) for r in range(theirs.shape[1])]
    order = [dropped_theirs.index(d) for d in dropped_ours]
    close(ours, theirs[:, order], scale=100)


@pytest.mark.parametrize(
    ("statistic", "call"),
    [
        ("mean_api00", lambda r, m: m.mean(r, "api00")),
        ("total_enroll", lambda r, m: m.total(r, "enroll")),
        ("prop_meals_over_50", lambda r, m: m.proportion(r, "meals_over_50", "1")),
        ("mean_api00_by_stype", lambda r, m: m.mean(r, "api00", by=["stype"])),
        ("prop_meals_over_50_by_stype",
         lambda r, m: m.proportion(r, "meals_over_50", "1", by=["stype"])),
        ("total_enroll_by_stype", lambda r, m: m.total(r, "enroll", by=["stype"])),
    ],
)
def test_replicate_estimates_and_ses_equal_r(replicate_design, statistic, call):
    from workforce.stats import replicates

    name, rep = replicate_design
    expected = CASES[name][statistic]
    results = call(rep, replicates)
    estimates_ = [r.estimate for r in results]
    ses = [r.se for r in results]
    if "labels" in expected:
        assert [r.group["stype"] for r in results] == expected["labels"]
    close(estimates_, np.atleast_1d(expected["estimate"]))
    close(ses, np.atleast_1d(expected["se"]), scale=max(1.0, abs(np.max(estimates_))))

