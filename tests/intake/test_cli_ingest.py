"""The `workforce ingest` contract: `ingest FILE ...` writes records, `ingest propose FILE`
prints a mapping, no mapping stops with what needs deciding, bad files fail readably and
leave nothing half-written."""

from __future__ import annotations

import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from workforce.cli import app
from workforce.intake.files import saved_mapping
from workforce.standard import load_standard, validate_records

from .conftest import EXPORTS
from .workbooks import workbook

runner = CliRunner()


def ingest_saved(consortium, org, out, *extra):
    """`workforce ingest` of a synthetic society's export with its saved mapping."""
    return runner.invoke(
        app,
        [
            "ingest",
            str(consortium / EXPORTS[org]),
            "--org",
            org,
            "--mapping",
            str(saved_mapping(org)),
            "--out",
            str(out),
            *extra,
        ],
    )


def test_ingest_writes_records_provenance_and_rejects(tmp_path, consortium):
    out, rejects = tmp_path / "out" / "records.csv", tmp_path / "out" / "rejects.csv"
    result = ingest_saved(consortium, "nsgc", out, "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert "602 rows read, 596 accepted, 6 rejected" in result.output
    records = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert tuple(records.columns) == load_standard().record_columns
    assert validate_records(records) == []
    provenance = pd.read_csv(tmp_path / "out" / "records.provenance.csv", dtype=str)
    assert list(provenance.columns) == [
        "record_id",
        "source_row",
        "source_sha256",
        "mapping_version",
    ]
    assert len(pd.read_csv(rejects)) == 6
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "records.csv",
        "records.provenance.csv",
        "rejects.csv",
    ]


def test_ingest_json_prints_the_validation_summary(tmp_path, consortium):
    result = ingest_saved(consortium, "acmg", tmp_path / "r.csv", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["rows_read"] == summary["accepted"] + summary["rejected"] == 252
    assert summary["org"] == "acmg" and summary["mapping_version"] == 1


def test_ingest_propose_prints_a_mapping_that_loads_back(consortium):
    result = runner.invoke(
        app, ["ingest", "propose", str(consortium / EXPORTS["ashg"]), "--org", "ashg"]
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    assert document["org"] == "ashg"
    assert document["columns"]["Race/Ethnicity"]["method"] == "multi"
    assert document["columns"]["Member ID"]["dimension"] == "record_id"


def test_ingest_without_a_mapping_stops_and_lists_what_needs_a_decision(tmp_path, consortium):
    out = tmp_path / "records.csv"
    result = runner.invoke(
        app, ["ingest", str(consortium / EXPORTS["nsgc"]), "--org", "nsgc", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "no --mapping given, so nothing was written" in result.output
    assert "workforce ingest propose" in result.output
    assert "column 'Primary Role': 'consultant'" in result.output
    # Members' countries in their own language are proposed from the CLDR's names.
    assert "'deutschland'" not in result.output
    assert not out.exists()


def test_a_value_outside_the_mapping_stops_with_row_counts(tmp_path):
    export = tmp_path / "nsgc-2026.csv"
    export.write_text("ID,Ethnicity\n1,White\n2,Martian\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        yaml.safe_dump(
            {
                "org": "nsgc",
                "version": 3,
                "columns": {
                    "ID": {"dimension": "record_id", "method": "record_id"},
                    "Ethnicity": {
                        "dimension": "race_ethnicity",
                        "method": "multi",
                        "values": {
                            "white": {"code": "white", "reason": "exact", "confirmed": True}
                        },
                    },
                },
            }
        )
    )
    out = tmp_path / "records.csv"
    result = runner.invoke(
        app, ["ingest", str(export), "--org", "nsgc", "--mapping", str(mapping), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "column 'Ethnicity': 'martian' in 1 row(s)" in result.output
    assert not out.exists()


def test_a_corrupt_file_fails_readably_and_writes_nothing(tmp_path, consortium):
    export = tmp_path / "ashg-2025.xlsx"
    export.write_bytes((consortium / EXPORTS["ashg"]).read_bytes()[:3000])
    result = runner.invoke(
        app,
        [
            "ingest",
            str(export),
            "--org",
            "ashg",
            "--mapping",
            str(saved_mapping("ashg")),
            "--out",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "ashg-2025.xlsx: not a readable XLSX workbook" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [export]


def test_a_mapping_of_another_organization_is_refused(tmp_path, consortium):
    result = runner.invoke(
        app,
        [
            "ingest",
            str(consortium / EXPORTS["nsgc"]),
            "--org",
            "nsgc",
            "--mapping",
            str(saved_mapping("ashg")),
            "--out",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "belongs to 'ashg', not 'nsgc'" in result.output


def test_ingest_needs_an_org_and_propose_needs_a_file():
    assert runner.invoke(app, ["ingest", "x.csv"]).exit_code == 2
    result = runner.invoke(app, ["ingest", "propose", "--org", "nsgc"])
    assert result.exit_code == 2
    assert "propose needs the export" in result.output


def test_ingest_has_help():
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "propose" in result.output


def test_compare_lists_the_codes_whose_share_moved_since_the_records_before(
    tmp_path, consortium
):
    first = tmp_path / "2024.csv"
    assert ingest_saved(consortium, "nsgc", first).exit_code == 0
    # Last year's records, as if every member had then been a student.
    records = pd.read_csv(first, dtype=str, keep_default_na=False)
    records["career_stage"] = "student"
    records.to_csv(first, index=False)
    result = ingest_saved(consortium, "nsgc", tmp_path / "2025.csv", "--compare", str(first))
    assert result.exit_code == 0, result.output
    assert "Compared with 2024.csv (596 records; this file 596):" in result.output
    assert "career_stage student: 100.0% →" in result.output

    later = tmp_path / "2025b.csv"
    as_json = ingest_saved(consortium, "nsgc", later, "--compare", str(first), "--json")
    compared = json.loads(as_json.stdout)["compared_with"]
    assert compared["records_before"] == 596
    largest = compared["shifts"][0]
    assert (largest["dimension"], largest["code"], largest["share_before"]) == (
        "career_stage",
        "student",
        1.0,
    )
    assert largest["points"] < -50


def test_compare_with_the_same_records_finds_nothing_moved(tmp_path, consortium):
    first = tmp_path / "first.csv"
    assert ingest_saved(consortium, "nsgc", first).exit_code == 0
    result = ingest_saved(consortium, "nsgc", tmp_path / "again.csv", "--compare", str(first))
    assert "no code's share moved by 10 points or more" in result.output


def test_compare_with_a_file_that_is_not_records_stops_before_writing(tmp_path, consortium):
    other = tmp_path / "roster.csv"
    other.write_text("Name,Email\nA,a@x.example\n", encoding="utf-8")
    out = tmp_path / "records.csv"
    result = ingest_saved(consortium, "nsgc", out, "--compare", str(other))
    assert result.exit_code == 2
    assert "roster.csv: not a standard records CSV" in result.output
    assert not out.exists()
    missing = ingest_saved(consortium, "nsgc", out, "--compare", str(tmp_path / "nowhere.csv"))
    assert "nowhere.csv: no such file to compare with" in missing.output


def test_propose_with_a_saved_mapping_reads_the_sheet_it_names(tmp_path):
    def export(name, genders):
        path = tmp_path / name
        members = [["ID", "Gender"], *([str(i), g] for i, g in enumerate(genders))]
        path.write_bytes(
            workbook({"Read me": [["Members are on the next sheet."]], "Members": members})
        )
        return str(path)

    first = runner.invoke(
        app,
        ["ingest", "propose", export("a_2024.xlsx", ["Woman", "Man"]), "--org", "ashg",
         "--sheet", "Members"],
    )
    assert yaml.safe_load(first.stdout)["source"]["sheet"] == "Members"
    saved = tmp_path / "ashg.yaml"
    saved.write_text(first.stdout, encoding="utf-8")
    # Next year's workbook, a new answer on its members' sheet: found without --sheet.
    later = export("a_2025.xlsx", ["Woman", "Man", "Non-binary"])
    again = runner.invoke(
        app, ["ingest", "propose", later, "--org", "ashg", "--mapping", str(saved)]
    )
    assert again.exit_code == 0, again.output
    assert "non-binary" in yaml.safe_load(again.stdout)["columns"]["Gender"]["values"]
