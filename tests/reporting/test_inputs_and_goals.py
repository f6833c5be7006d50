"""The report's inputs, catalog and goals: bad input is named, progress is judged honestly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from workforce.cli import app
from workforce.reporting.catalog import CatalogError, load_catalog
from workforce.reporting.goals import Goal, GoalError, WavePoint, load_goals, progress
from workforce.reporting.inputs import InputError, load_inputs

runner = CliRunner()


def goal(**changes) -> Goal:
    values = dict(id="g", title="Women among senior members", organization="consortium",
                  indicator="members_gender", target=0.5, target_year=2030,
                  baseline_wave="2025", category="woman")
    return Goal(**(values | changes))


def point(wave: str, estimate: float | None, se: float | None = 0.01) -> WavePoint:
    if estimate is None:
        return WavePoint(wave, None, None, None, None, math.inf, "secondary")
    return WavePoint(wave, estimate, se, estimate - 2 * se, estimate + 2 * se, math.inf,
                     "published")


# -- goals -------------------------------------------------------------------------------------


def test_a_change_larger_than_the_noise_of_both_waves_is_real_progress():
    result = progress(goal(), [point("2025", 0.30), point("2027", 0.36)])
    assert result.distinguishable is True
    assert result.change == pytest.approx(0.06)
    assert result.change_se == pytest.approx(math.hypot(0.01, 0.01))
    assert result.share_of_way == pytest.approx(0.06 / 0.20)
    assert "real change toward the target of 50.0% by 2030: 30% of the way" in result.statement


def test_a_change_within_the_noise_is_not_distinguishable():
    result = progress(goal(), [point("2025", 0.30), point("2026", 0.32)])
    assert result.distinguishable is False
    assert result.change_low < 0 < result.change_high
    assert result.statement.endswith("This change is not distinguishable from noise.")


def test_a_real_change_away_from_the_target_says_so():
    result = progress(goal(), [point("2025", 0.30), point("2027", 0.24)])
    assert result.distinguishable is True
    assert "away from the target" in result.statement


def test_a_withheld_baseline_means_progress_cannot_be_measured():
    result = progress(goal(), [point("2025", None), point("2027", 0.40)])
    assert result.distinguishable is None and result.change is None
    assert "withheld by the disclosure gate" in result.statement


def test_only_a_baseline_states_the_target():
    result = progress(goal(), [point("2025", 0.30)])
    assert result.distinguishable is None
    assert "Baseline 30.0% in 2025; target 50.0% by 2030" in result.statement


def test_a_score_goal_reports_its_change_in_score_units():
    result = progress(goal(target=4.0), [point("2025", 3.40, 0.02), point("2027", 3.60, 0.02)])
    assert "+0.20" in result.statement and "points" not in result.statement


def test_progress_needs_the_baseline_first():
    with pytest.raises(GoalError, match="baseline wave 2025"):
        progress(goal(), [point("2026", 0.3), point("2027", 0.4)])


def test_a_goal_file_names_the_goal_and_what_it_lacks(tmp_path):
    path = tmp_path / "goals.yaml"
    path.write_text(yaml.safe_dump({"goals": [{"id": "women", "indicator": "x"}]}))
    with pytest.raises(GoalError, match=r"goals.yaml: goal 'women': missing title, target"):
        load_goals(path)


def test_a_goal_target_must_be_a_number(tmp_path):
    path = tmp_path / "goals.yaml"
    path.write_text(yaml.safe_dump({"goals": [{
        "id": "w", "title": "t", "indicator": "x", "target": "half", "by": 2030,
        "baseline_wave": "2025"}]}))
    with pytest.raises(GoalError, match="target must be a number"):
        load_goals(path)


# -- the catalog -------------------------------------------------------------------------------


def test_the_shipped_catalog_loads_and_covers_every_theme():
    catalog = load_catalog()
    themes = {i.theme for i in catalog.indicators}
    assert themes == {t.id for t in catalog.themes}
    assert {i.kind for i in catalog.indicators} >= {
        "composition", "representation", "pipeline", "intersection", "agreement",
        "scale_score", "prevalence", "item_response", "response_rate"}


def catalog_with(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(load_catalog().text)
    change(raw)
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_a_benchmark_of_another_view_is_refused(tmp_path):
    def swap(raw):
        entry = next(i for i in raw["indicators"] if i["id"] == "representation_race_population")
        entry["benchmark"] = "census2020_race_alone_or_in_combination"

    with pytest.raises(CatalogError, match=r"representation_race_population': benchmark "
                                           r"'census2020_race_alone_or_in_combination' "
                                           r"tabulates the 'alone_or_in_combination' view"):
        load_catalog(catalog_with(tmp_path, swap))


def test_every_catalog_mistake_is_named_at_once(tmp_path):
    def break_it(raw):
        raw["indicators"][0]["kind"] = "histogram"
        raw["indicators"][1]["dimension"] = "shoe_size"
        raw["comparisons"][0]["reference"] = "nobody"

    with pytest.raises(CatalogError) as error:
        load_catalog(catalog_with(tmp_path, break_it))
    message = str(error.value)
    assert "kind 'histogram' is not one of" in message
    assert "dimension 'shoe_size' is not a dimension or view" in message
    assert "the reference 'nobody' is not one of its groups" in message


# -- inputs --------------------------------------------------------------------------------------


def write_config(tmp_path: Path, **content) -> Path:
    (tmp_path / "records.csv").write_text("org,gender\nashg,woman\n")
    (tmp_path / "responses.csv").write_text("org,gender\nashg,woman\n")
    (tmp_path / "frame.csv").write_text("frame_id,org\nF1,ashg\n")
    (tmp_path / "done.csv").write_text("frame_id\nF1\n")
    config = {
        "consortium": "C", "organizations": {"ashg": "A"}, "membership": ["records.csv"],
        "waves": [{"wave": "2025", "responses": "responses.csv", "frame": "frame.csv",
                   "completed": "done.csv"}],
    } | content
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_inputs_read_every_file_with_its_checksum(tmp_path):
    inputs = load_inputs(write_config(tmp_path))
    assert [s.path for s in inputs.sources] == ["records.csv", "responses.csv", "frame.csv",
                                                "done.csv"]
    assert all(len(s.sha256) == 64 for s in inputs.sources)
    assert inputs.wave(None).completed == frozenset({"F1"})


def test_a_missing_input_file_is_named(tmp_path):
    path = write_config(tmp_path, membership=["nowhere.csv"])
    with pytest.raises(InputError, match=r"nowhere.csv: the file does not exist"):
        load_inputs(path)


def test_a_society_not_in_the_organizations_is_named(tmp_path):
    path = write_config(tmp_path)
    (tmp_path / "responses.csv").write_text("org,gender\nasgh,woman\n")
    with pytest.raises(InputError, match=r"responses.csv: org 'asgh' is not one of the "
                                         r"organizations \(ashg\)"):
        load_inputs(path)


def test_a_completed_member_missing_from_the_frame_is_named(tmp_path):
    path = write_config(tmp_path)
    (tmp_path / "done.csv").write_text("frame_id\nF1\nF9\n")
    with pytest.raises(InputError, match=r"done.csv: 1 frame_id\(s\) are not in the frame, "
                                         r"e.g. 'F9'"):
        load_inputs(path)


def test_a_wave_without_its_frame_is_named(tmp_path):
    path = write_config(tmp_path, waves=[{"wave": "2025", "responses": "responses.csv"}])
    with pytest.raises(InputError, match=r"waves\[1\]: missing key 'frame'"):
        load_inputs(path)


def test_the_report_command_exits_2_naming_the_bad_input(tmp_path):
    result = runner.invoke(app, ["report", "--inputs", str(tmp_path / "missing.yaml"),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "missing.yaml: the file does not exist" in result.output


@pytest.mark.xdist_group("benchmark-report")
def test_the_report_command_refuses_an_unknown_society(report_config, tmp_path):
    result = runner.invoke(app, ["report", "--inputs", str(report_config), "--org", "asgh",
                                 "--out", str(tmp_path / "out"), "--no-pdf"])
    assert result.exit_code == 2
    assert "no organization 'asgh'" in result.output


def test_a_headline_figure_of_no_table_is_named(tmp_path):
    def break_it(raw):
        raw["headline"][0]["table"] = "members_shoe_size"

    with pytest.raises(CatalogError, match="headline 1: table 'members_shoe_size' is not a "
                                           "table of the catalog"):
        load_catalog(catalog_with(tmp_path, break_it))
