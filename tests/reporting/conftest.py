"""A synthetic consortium with three survey waves, and its reports, built once per session.

The 2027 wave raises underrepresented members' sense of belonging (a known, real change);
2026 changes nothing. Scale 0.5: about 8,000 members and 2,700 respondents per wave.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workforce.reporting.build import build_report
from workforce.reporting.inputs import load_inputs
from workforce.reporting.write import write_report
from workforce.synth import generate
from workforce.synth.focus_groups import write_focus_group_project
from workforce.synth.open_text import write_open_text_project
from workforce.synth.report_inputs import write_report_inputs
from workforce.synth.waves import draw_demo_waves

SCALE = 0.5
SEED = 2025


@pytest.fixture(scope="session")
def consortium(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("consortium")
    generate(directory, scale=SCALE, seed=SEED)
    draw_demo_waves(directory)
    return directory


@pytest.fixture(scope="session")
def report_config(consortium) -> Path:
    focus_groups = consortium / "focus-groups"
    write_focus_group_project(focus_groups, seed=SEED)
    open_text = write_open_text_project(consortium, consortium / "open-text")
    return write_report_inputs(consortium, consortium / "report" / "report.yaml",
                               focus_groups=focus_groups, open_text=open_text)


@pytest.fixture(scope="session")
def inputs(report_config):
    return load_inputs(report_config)


@pytest.fixture(scope="session")
def report_2027(inputs):
    return build_report(inputs, wave="2027")


@pytest.fixture(scope="session")
def report_2026(inputs):
    return build_report(inputs, wave="2026")


@pytest.fixture(scope="session")
def written(report_2027, tmp_path_factory):
    return write_report(report_2027, tmp_path_factory.mktemp("report"))
