"""`workforce stats estimate`: the command-line contract other tools depend on."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.cli import app

HERE = Path(__file__).parent
APICLUS1 = HERE / "data" / "apiclus1.csv"
R = json.loads((HERE / "reference" / "r_survey.json").read_text())["cases"]

runner = CliRunner()


@pytest.fixture
def margins(tmp_path) -> Path:
    path = tmp_path / "margins.csv"
    path.write_text(
        "variable,category,total\n"
        "stype,E,4421\nstype,H,755\nstype,M,1018\n"
        "sch.wide,No,1072\nsch.wide,Yes,5122\n"
    )
    return path


def run(*args: str):
    return runner.invoke(app, ["stats", "estimate", *map(str, args)])


def test_json_output_has_the_documented_shape_and_matches_r(margins):
    result = run(APICLUS1, "--weight", "pw", "--cluster", "dnum", "--fpc", "fpc",
                 "--rake", margins, "--tolerance", "1e-12", "--mean", "api00", "--by", "stype",
                 "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) >= {"estimates", "weights"}
    assert set(document["weights"]) >= {"deff", "n_eff", "converged", "iterations"}
    assert document["weights"]["converged"] is True
    expected = R["rclus1_tight"]["mean_api00_by_stype"]
    for row, estimate, se in zip(document["estimates"], expected["estimate"], expected["se"],
                                 strict=True):
        assert set(row) >= {"group", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
                            "reliability"}
        assert row["estimate"] == pytest.approx(estimate, rel=1e-6)
        assert row["se"] == pytest.approx(se, rel=1e-6)
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
        assert row["reliability"] in {"present", "review", "suppress"}
    assert [row["group"] for row in document["estimates"]] == [
        {"stype": "E"}, {"stype": "H"}, {"stype": "M"}]


def test_a_whole_sample_proportion_has_group_null_and_r_svyciprop_interval():
    result = run(APICLUS1, "--weight", "pw", "--cluster", "dnum", "--fpc", "fpc",
                 "--proportion", "sch.wide=Yes", "--ci", "beta", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    assert row["group"] is None
    expected = R["dclus1"]["prop_schwide_yes"]
    assert row["estimate"] == pytest.approx(expected["estimate"], rel=1e-6)
    assert row["se"] == pytest.approx(expected["se"], rel=1e-6)


@pytest.mark.parametrize("method", ["logit", "beta", "likelihood", "wilson", "clopper-pearson"])
def test_every_interval_method_gives_an_interval_around_the_estimate(method):
    result = run(APICLUS1, "--weight", "pw", "--proportion", "sch.wide=Yes", "--by", "stype",
                 "--ci", method, "--level", "0.9", "--json")
    assert result.exit_code == 0, result.output
    for row in json.loads(result.stdout)["estimates"]:
        assert 0 <= row["ci_low"] <= row["estimate"] <= row["ci_high"] <= 1


def test_intersections_are_estimated_with_two_by_columns():
    result = run(APICLUS1, "--weight", "pw", "--total", "enroll", "--by", "stype,comp.imp",
                 "--json")
    groups = [row["group"] for row in json.loads(result.stdout)["estimates"]]
    assert {"stype": "E", "comp.imp": "Yes"} in groups
    assert len(groups) == 6


def test_the_table_for_a_person_shows_estimates_and_the_weighting(margins):
    result = run(APICLUS1, "--weight", "pw", "--rake", margins, "--proportion", "sch.wide=Yes",
                 "--by", "stype")
    assert result.exit_code == 0, result.output
    assert "proportion of sch.wide=Yes" in result.stdout
    assert "%" in result.stdout and "suppress" in result.stdout
    assert "raked to 2 margins" in result.stdout and "Kish design effect" in result.stdout


def test_replicate_variance_is_available_from_the_command_line(margins):
    result = run(APICLUS1, "--weight", "pw", "--cluster", "dnum", "--fpc", "fpc", "--rake",
                 margins, "--tolerance", "1e-12", "--max-iterations", "200", "--mean", "api00",
                 "--variance", "jackknife", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    assert row["se"] == pytest.approx(R["rjk1"]["mean_api00"]["se"], rel=1e-6)


def test_a_category_missing_from_the_margins_fails_with_its_name(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text("variable,category,total\nstype,E,4421\nstype,M,1018\n")
    result = run(APICLUS1, "--weight", "pw", "--rake", path, "--mean", "api00")
    assert result.exit_code == 1
    assert "stype = 'H', which the margins do not list" in result.stderr


def test_a_margin_total_of_zero_fails_clearly(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text("variable,category,total\nstype,E,4421\nstype,H,0\nstype,M,1018\n")
    result = run(APICLUS1, "--weight", "pw", "--rake", path, "--mean", "api00")
    assert result.exit_code == 1
    assert "stype = 'H' has a frame total of zero" in result.stderr


def test_negative_weights_fail_with_the_row(tmp_path):
    data = pd.read_csv(APICLUS1, dtype=str)
    data.loc[3, "pw"] = "-1"
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    result = run(path, "--weight", "pw", "--mean", "api00")
    assert result.exit_code == 1
    assert "row 5, column 'pw': the weight -1.0 is negative" in result.stderr


def test_an_all_missing_outcome_fails_instead_of_printing_nan(tmp_path):
    data = pd.read_csv(APICLUS1, dtype=str)
    data["api00"] = ""
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    result = run(path, "--weight", "pw", "--mean", "api00", "--json")
    assert result.exit_code == 1
    assert "has no answers at all" in result.stderr
    assert "NaN" not in result.stdout


def test_usage_errors_say_what_is_expected():
    assert "exactly one of --mean" in run(APICLUS1, "--weight", "pw").stderr
    assert "COLUMN=VALUE" in run(APICLUS1, "--weight", "pw", "--proportion", "stype").stderr
    bad_ci = run(APICLUS1, "--weight", "pw", "--proportion", "stype=E", "--ci", "exact")
    assert bad_ci.exit_code == 2 and "--ci must be one of" in bad_ci.stderr
    missing = run(HERE / "nothing.csv", "--weight", "pw", "--mean", "api00")
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_a_value_nobody_has_is_a_note_not_an_error():
    result = run(APICLUS1, "--weight", "pw", "--proportion", "stype=X", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["estimates"][0]["estimate"] == 0
    assert any("no respondent has stype = 'X'" in note for note in document["notes"])
    assert all(math.isfinite(v) for v in (document["estimates"][0]["ci_high"],))
