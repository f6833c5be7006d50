"""`workforce disclose`: the command-line contract other tools depend on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workforce.cli import app

runner = CliRunner()

TABLE = (
    "race,gender,n\n"
    "asian,man,12\nasian,woman,3\n"
    "black,man,8\nblack,woman,9\n"
    "white,man,40\nwhite,woman,52\n"
)


def run(tmp_path, *args, text=TABLE):
    path = tmp_path / "table.csv"
    path.write_text(text)
    return runner.invoke(app, ["disclose", str(path), *args])


def test_json_has_every_cell_with_margins_and_nulls_for_suppressed_counts(tmp_path):
    result = run(tmp_path, "--count", "n", "--dims", "race,gender", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    cells = document["cells"]
    assert len(cells) == 4 * 3
    assert {c["status"] for c in cells} == {"published", "primary", "secondary"}
    by_key = {(c["race"], c["gender"]): c for c in cells}
    assert by_key[("asian", "woman")] == {"race": "asian", "gender": "woman", "count": None,
                                          "status": "primary"}
    assert by_key[("Total", "Total")]["count"] == 124
    assert all(c["count"] is None for c in cells if c["status"] != "published")
    audit = document["audit"]
    assert audit["passed"] is True
    primary = [c for c in audit["cells"] if c["status"] == "primary"]
    assert primary and all(c["high"] is None or c["high"] >= 3 + 5 for c in primary)
    assert all({"race", "gender", "low", "high"} <= set(c) for c in audit["cells"])


def test_the_threshold_and_protection_are_honoured(tmp_path):
    result = run(tmp_path, "--count", "n", "--dims", "race,gender", "--threshold", "10",
                 "--json")
    statuses = {(c["race"], c["gender"]): c["status"]
                for c in json.loads(result.stdout)["cells"]}
    assert statuses[("black", "man")] == "primary"
    assert json.loads(result.stdout)["protection"] == 10


def test_the_table_for_a_person_says_what_was_hidden_and_that_the_audit_passed(tmp_path):
    result = run(tmp_path, "--count", "n", "--dims", "race,gender")
    assert result.exit_code == 0, result.output
    assert "1 cell under 5 hidden" in result.stdout and "audit passed" in result.stdout


def test_bad_input_exits_2_naming_the_row(tmp_path):
    result = run(tmp_path, "--count", "n", "--dims", "race,gender",
                 text="race,gender,n\nasian,man,twelve\n")
    assert result.exit_code == 2
    assert "row 2, column 'n': 'twelve' is not a count" in result.stderr
    missing = run(tmp_path, "--count", "n", "--dims", "race,stage")
    assert missing.exit_code == 2 and "no column 'stage'" in missing.stderr


def test_a_hierarchy_file_adds_group_margins(tmp_path):
    groups = tmp_path / "stages.csv"
    groups.write_text("code,parent\nstudent,trainee\npostdoc,trainee\nfaculty,independent\n")
    result = run(tmp_path, "--count", "n", "--dims", "stage", "--hierarchy",
                 f"stage={groups}", "--json",
                 text="stage,n\nstudent,3\npostdoc,6\nfaculty,20\n")
    assert result.exit_code == 0, result.output
    cells = {c["stage"]: c for c in json.loads(result.stdout)["cells"]}
    assert cells["trainee"]["count"] == 9 and cells["independent"]["count"] == 20
    assert cells["student"]["status"] == "primary"
    bad = run(tmp_path, "--count", "n", "--dims", "stage", "--hierarchy", "stage",
              text="stage,n\nstudent,3\n")
    assert bad.exit_code == 2 and "DIM=FILE.csv" in bad.stderr


def test_tries_are_a_positive_number_of_orders_to_try(tmp_path):
    result = run(tmp_path, "--count", "n", "--dims", "race,gender", "--tries", "3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["audit"]["passed"] is True
    refused = run(tmp_path, "--count", "n", "--dims", "race,gender", "--tries", "0")
    assert refused.exit_code == 2
    assert "--tries" in refused.output
