"""R's `api` designs built the way R's documentation builds them, for the tests that compare.

`build(name)` gives the Python twin of each design in `reference/r_survey.json`'s `designs`;
`test_matches_r_survey`, `test_representation` and `test_diversity` all use it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from workforce.stats import weighting
from workforce.stats.design import SurveyDesign

HERE = Path(__file__).parent
REFERENCE = json.loads((HERE / "reference" / "r_survey.json").read_text())


def data(name: str) -> pd.DataFrame:
    frame = pd.read_csv(HERE / "data" / f"{name}.csv")
    frame["meals_over_50"] = (frame["meals"] > 50).astype(int)
    return frame


def margins(block: dict) -> list[weighting.Margin]:
    return [weighting.Margin(variable, totals) for variable, totals in block.items()]


POP_TYPES = margins(REFERENCE["margins"]["pop.types"])
POP_SCHWIDE = margins(REFERENCE["margins"]["pop.schwide"])


def build(name: str) -> SurveyDesign:
    """The Python twin of each R design in `r_survey.json`'s `designs`."""
    if name == "dstrat":
        return SurveyDesign.from_frame(data("apistrat"), weights="pw", strata="stype", fpc="fpc")
    if name == "dclus1":
        return SurveyDesign.from_frame(data("apiclus1"), weights="pw", clusters="dnum", fpc="fpc")
    if name == "dclus1_nofpc":
        return SurveyDesign.from_frame(data("apiclus1"), weights="pw", clusters="dnum")
    if name == "rclus1":
        dclus1 = build("dclus1")
        # R's default control: at most 10 sweeps, stop when no cell moves by 1 or more.
        return weighting.rake(
            dclus1,
            POP_TYPES + POP_SCHWIDE,
            tolerance=1 / dclus1.weights.sum(),
            max_iterations=10,
        )
    if name == "rclus1_tight":
        return weighting.rake(build("dclus1"), POP_TYPES + POP_SCHWIDE, tolerance=1e-12,
                              max_iterations=200)
    if name == "rstrat":
        return weighting.rake(build("dstrat"), margins(REFERENCE["margins"]["rstrat"]),
                              tolerance=1e-12, max_iterations=200)
    if name == "dpois":
        # Poisson sampling: every school in the sample independently, with probability 1/pw.
        return SurveyDesign.from_frame(data("apistrat"), weights="pw", poisson=True)
    if name == "pclus1":
        return weighting.poststratify(build("dclus1"), "stype",
                                      REFERENCE["margins"]["pop.types"]["stype"])
    raise KeyError(name)
