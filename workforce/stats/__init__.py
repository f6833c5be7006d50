"""Estimates: raking to the member frame, design-based variance, intervals, indices.

Pure functions over pandas/numpy tables, checked against R's ``survey`` package: a design
(`SurveyDesign`), weights raked to the frame (`rake`), totals, means and proportions with
standard errors that account for the raking (`mean`, `total`, `proportion`), intervals for
proportions, and the NCHS reliability verdict every estimate carries.
"""

from workforce.stats.design import SurveyDesign
from workforce.stats.errors import StatsError
from workforce.stats.estimates import Estimate, mean, proportion, total
from workforce.stats.weighting import Margin, poststratify, rake, trim

__all__ = [
    "Estimate",
    "Margin",
    "StatsError",
    "SurveyDesign",
    "mean",
    "poststratify",
    "proportion",
    "rake",
    "total",
    "trim",
]
