"""The profiles file: every distribution adds up, every figure says where it comes from."""

from __future__ import annotations

import re

import numpy as np
import pytest

from workforce.synth.profiles import ORGS, PROFILES_PATH, load_profiles
from workforce.synth.randomness import calibrated_draw, stream

PROFILES = load_profiles()
SOCIETY_DISTRIBUTIONS = (
    "career_stage",
    "role",
    "gender",
    "race_primary",
    "sexual_orientation",
    "us_citizenship",
)


@pytest.mark.parametrize("org", ORGS)
@pytest.mark.parametrize("name", SOCIETY_DISTRIBUTIONS)
def test_society_distributions_add_up_to_one(org, name):
    assert sum(PROFILES["societies"][org][name].values()) == pytest.approx(1.0, abs=1e-9)


def test_shared_distributions_add_up_to_one():
    distributions = [
        PROFILES["transgender"]["margin"],
        PROFILES["intersex"],
        PROFILES["non_us_citizenship"],
        PROFILES["survey"]["harassment"]["split"],
        *PROFILES["sector_given_role"].values(),
        *PROFILES["race_detail"].values(),
    ]
    for distribution in distributions:
        assert sum(distribution.values()) == pytest.approx(1.0, abs=1e-9), distribution


def test_every_society_figure_says_where_it_comes_from():
    text = PROFILES_PATH.read_text(encoding="utf-8")
    societies = text[text.index("\nsocieties:") : text.index("\noffsets:")]
    figures = [
        line
        for line in societies.splitlines()
        if re.match(r"^ {4}\w+:", line) and not line.lstrip().startswith("name:")
    ]
    assert len(figures) == 3 * 9
    for line in figures:
        assert "[synth]" in line or "[2022]" in line, line
    targets = text[text.index("consortium_targets:") : text.index("\nsocieties:")]
    for line in targets.splitlines()[1:]:
        if line.strip():
            assert "[2022]" in line, line


def test_calibrated_draw_meets_its_margin_whatever_the_offsets():
    rng = stream(1, "test")
    group = rng.integers(0, 3, 200_000)
    offsets = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-2.0, 1.0, 3.0]])
    drawn = calibrated_draw(
        rng, {"a": 0.6, "b": 0.3, "c": 0.1}, ("a", "b", "c"), [(group, offsets)]
    )
    margin = np.bincount(drawn, minlength=3) / len(drawn)
    assert margin == pytest.approx([0.6, 0.3, 0.1], abs=0.005)
    assert (drawn[group == 0] == 0).mean() > (drawn[group == 2] == 0).mean() + 0.3


def test_named_streams_do_not_shift_each_other():
    first = stream(7, "population", "ashg", "gender").random(5)
    stream(7, "population", "ashg", "race").random(1000)
    again = stream(7, "population", "ashg", "gender").random(5)
    other = stream(7, "population", "nsgc", "gender").random(5)
    assert list(first) == list(again)
    assert list(first) != list(other)
