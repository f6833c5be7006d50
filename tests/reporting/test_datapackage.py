"""The open data package: exact CSV files, a descriptor frictionless accepts, all or nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.reporting.datapackage import (
    DEFAULT_LICENSES,
    ExtraFile,
    main,
    validate_data_package,
    write_data_package,
)
from workforce.reporting.tables import Column, PublishedTable, status_column

ORGS = (("ashg", "ASHG-shaped society"), ("nsgc", "NSGC-shaped society"), ("acmg", "ACMG-shaped"))
META = dict(
    name="workforce-benchmark-2026",
    title="Workforce benchmark 2026 (synthetic)",
    description="Synthetic tables for tests.",
    version="1.0.0",
    created="2026-01-15T00:00:00Z",
)


def counts_table(n=(812, 4, 150), org=("ashg", "nsgc", "acmg")) -> PublishedTable:
    status = ["published" if not pd.isna(v) and v >= 10 else "primary" for v in n]
    data = pd.DataFrame(
        {
            "org": list(org),
            # 4 is below the threshold: the gate held it back, so it is NaN (a float column).
            "n": [v if s == "published" else np.nan for v, s in zip(n, status, strict=True)],
            "status": status,
        }
    )
    return PublishedTable(
        name="members-by-org",
        title="Members by society",
        description="Members counted in each society's export.",
        indicator="members_count",
        columns=(
            Column("org", "Society", categories=ORGS),
            Column("n", "Members", "integer", unit="people"),
            status_column(),
        ),
        data=data,
        sources=("Synthetic consortium, scale 1",),
        gated="members-by-org",
    )


def shares_table() -> PublishedTable:
    data = pd.DataFrame(
        {
            "org": ["ashg", "ashg", "nsgc", "nsgc"],
            "group": ["women", "men", "women", "men"],
            "share": [0.1, 1 / 3, None, 12.0],
            "above_benchmark": [True, False, None, False],
            "note": ["", "", "small group", ""],
            "status": ["published", "published", "unreliable", "published"],
        }
    )
    return PublishedTable(
        name="gender-share",
        title="Gender by society",
        description="Weighted share of each gender.",
        indicator="gender_share",
        columns=(
            Column("org", "Society", categories=ORGS),
            Column("group", "Gender", categories=(("women", "Women"), ("men", "Men"))),
            Column("share", "Share", "number", unit="proportion"),
            Column("above_benchmark", "Above the benchmark", "boolean"),
            Column("note", "Note"),
            status_column(),
        ),
        data=data,
        gated="gender-by-org",
        notes=("Weighted to the membership frame.",),
    )


def climate_table() -> PublishedTable:
    data = pd.DataFrame(
        {
            "item": ["belonging", "respect"],
            "mean": [3.8125, 1e-05],
            "respondents": pd.array([120, pd.NA], dtype="Int64"),
            "status": ["published", "secondary"],
        }
    )
    return PublishedTable(
        name="climate",
        title="Climate items",
        description="Mean agreement.",
        indicator="climate_mean",
        columns=(
            Column("item", "Item"),
            Column("mean", "Mean", "number", unit="score (1-5)"),
            Column("respondents", "Respondents", "integer"),
            status_column(),
        ),
        data=data,
    )


def extras() -> list[ExtraFile]:
    return [
        ExtraFile(
            "catalog/indicators.yaml",
            b"indicators:\n  - id: members_count\n",
            "Indicator catalog",
            "Every indicator the tables publish.",
            mediatype="application/yaml",
            format="yaml",
        ),
        ExtraFile(
            "codebook.csv",
            b"variable,code,label\norg,ashg,ASHG-shaped society\norg,nsgc,\n",
            "Codebook",
            mediatype="text/csv",
            format="csv",
        ),
    ]


def write(out_dir: Path, tables=None, **kwargs) -> Path:
    if tables is None:
        tables = [counts_table(), shares_table(), climate_table()]
    return write_data_package(tables, out_dir, **{**META, **kwargs})


def csv_lines(out_dir: Path, name: str) -> list[str]:
    return (out_dir / "data" / f"{name}.csv").read_bytes().decode("utf-8").split("\n")


def test_package_of_three_tables_and_extra_files_validates(tmp_path):
    descriptor = write(tmp_path / "pkg", extra_files=extras())

    assert descriptor == tmp_path / "pkg" / "datapackage.json"
    result = validate_data_package(tmp_path / "pkg")
    assert result.errors == []
    assert result.valid
    assert result.resources == 5
    assert result.rows == 3 + 4 + 2 + 2  # the codebook's two rows included


def test_validating_the_descriptor_path_works_like_the_directory(tmp_path):
    descriptor = write(tmp_path / "pkg")
    assert validate_data_package(descriptor) == validate_data_package(tmp_path / "pkg")


def test_suppressed_count_is_an_empty_field(tmp_path):
    write(tmp_path)
    assert csv_lines(tmp_path, "members-by-org") == [
        "org,n,status",
        "ashg,812,published",
        "nsgc,,primary",
        "acmg,150,published",
        "",
    ]


def test_integer_column_with_suppressed_cells_stays_integer(tmp_path):
    table = counts_table()
    assert table.data["n"].dtype == np.float64  # what NaN does to a pandas integer column
    write(tmp_path)
    assert "ashg,812,published" in csv_lines(tmp_path, "members-by-org")
    # A nullable Int64 column with pd.NA is written the same way.
    assert csv_lines(tmp_path, "climate")[1:3] == [
        "belonging,3.8125,120,published",
        "respect,1e-05,,secondary",
    ]


def test_numbers_round_trip_booleans_are_lower_case_and_none_is_empty(tmp_path):
    write(tmp_path)
    lines = csv_lines(tmp_path, "gender-share")
    assert lines == [
        "org,group,share,above_benchmark,note,status",
        "ashg,women,0.1,true,,published",
        f"ashg,men,{1 / 3!r},false,,published",
        "nsgc,women,,,small group,unreliable",
        "nsgc,men,12.0,false,,published",
        "",
    ]
    assert float(lines[2].split(",")[2]) == 1 / 3


def test_files_are_utf8_with_newline_line_endings(tmp_path):
    labelled = PublishedTable(
        name="labels",
        title="Labels",
        description="Text that needs quoting.",
        indicator="x",
        columns=(Column("label", "Label"), Column("n", "N", "integer"), status_column()),
        data=pd.DataFrame(
            {"label": ["Société, “quoted”", 'say "hi"'], "n": [1, 2], "status": ["published"] * 2}
        ),
    )
    write(tmp_path, [labelled])
    content = (tmp_path / "data" / "labels.csv").read_bytes()
    assert b"\r" not in content
    assert content.decode("utf-8") == (
        'label,n,status\n"Société, “quoted”",1,published\n"say ""hi""",2,published\n'
    )
    assert validate_data_package(tmp_path).valid


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("x", "X", "integer"), 1.5),
        (Column("x", "X", "integer"), "7"),
        (Column("x", "X", "number"), float("inf")),
        (Column("x", "X", "boolean"), "yes"),
    ],
)
def test_a_value_its_column_type_cannot_hold_is_refused(tmp_path, column, value):
    table = PublishedTable(
        name="odd",
        title="Odd",
        description="",
        indicator="x",
        columns=(column, status_column()),
        data=pd.DataFrame({"x": [value], "status": ["published"]}),
    )
    with pytest.raises(ValueError, match="table 'odd', column 'x'"):
        write(tmp_path / "pkg", [table])
    assert not (tmp_path / "pkg").exists()


def test_category_code_outside_the_enum_fails_validation_naming_resource_row_and_field(tmp_path):
    wrong = counts_table(org=("ashg", "nsgc", "acmg-typo"))
    write(tmp_path, [wrong, climate_table()])

    result = validate_data_package(tmp_path)
    assert not result.valid
    assert len(result.errors) == 1
    error = result.errors[0]
    # frictionless counts the header as row 1: the third data row is row 4.
    assert error.startswith("members-by-org, row 4, field org: [constraint-error]")
    assert "acmg-typo" in error


def test_a_csv_edited_after_writing_fails_its_hash(tmp_path):
    write(tmp_path)
    path = tmp_path / "data" / "climate.csv"
    path.write_bytes(path.read_bytes().replace(b"3.8125", b"3.9125"))

    result = validate_data_package(tmp_path)
    assert not result.valid
    assert any(e.startswith("climate: [hash-count]") for e in result.errors)


def test_second_write_is_byte_identical(tmp_path):
    def snapshot(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    write(tmp_path / "a", extra_files=extras())
    first = snapshot(tmp_path / "a")
    write(tmp_path / "a", extra_files=extras())  # over the previous package
    write(tmp_path / "b", extra_files=extras())
    assert snapshot(tmp_path / "a") == first
    assert snapshot(tmp_path / "b") == first
    assert sorted(first) == [
        "catalog/indicators.yaml",
        "codebook.csv",
        "data/climate.csv",
        "data/gender-share.csv",
        "data/members-by-org.csv",
        "datapackage.json",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no leftovers


def test_descriptor_hash_and_bytes_match_the_files(tmp_path):
    descriptor = json.loads(write(tmp_path, extra_files=extras()).read_text("utf-8"))
    for resource in descriptor["resources"]:
        content = (tmp_path / resource["path"]).read_bytes()
        assert resource["bytes"] == len(content)
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()


def test_descriptor_has_a_fixed_readable_shape(tmp_path):
    path = write(
        tmp_path,
        [counts_table()],
        created="2026-01-15",
        sources=[{"title": "2022 Human Genetics & Genomics Workforce Survey"}],
        contributors=[{"title": "Workforce consortium", "role": "publisher"}],
    )
    text = path.read_text("utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    descriptor = json.loads(text)
    assert list(descriptor) == [
        "profile",
        "name",
        "title",
        "description",
        "version",
        "created",
        "licenses",
        "sources",
        "contributors",
        "resources",
    ]
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["created"] == "2026-01-15T00:00:00Z"  # a bare date, as a date-time
    assert descriptor["licenses"] == [dict(DEFAULT_LICENSES[0])]
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    (resource,) = descriptor["resources"]
    assert resource["path"] == "data/members-by-org.csv"
    assert resource["x-indicator"] == "members_count"
    assert resource["x-gated-by"] == "members-by-org"
    assert resource["sources"] == [{"title": "Synthetic consortium, scale 1"}]
    schema = resource["schema"]
    assert schema["missingValues"] == [""]
    assert schema["primaryKey"] == ["org"]
    org, n, status = schema["fields"]
    assert org["constraints"] == {"enum": ["ashg", "nsgc", "acmg"]}
    assert org["categories"][0] == {"value": "ashg", "label": "ASHG-shaped society"}
    assert n == {"name": "n", "title": "Members", "type": "integer", "x-unit": "people"}
    assert status["constraints"]["enum"] == ["published", "primary", "secondary", "unreliable"]
    assert validate_data_package(tmp_path).valid


def test_primary_key_is_the_string_columns_only_when_they_identify_rows(tmp_path):
    descriptor = json.loads(write(tmp_path).read_text("utf-8"))
    keys = {r["name"]: r["schema"].get("primaryKey") for r in descriptor["resources"]}
    # `note` and `status` never join the key.
    assert keys == {
        "members-by-org": ["org"],
        "gender-share": ["org", "group"],
        "climate": ["item"],
    }

    repeated = counts_table(org=("ashg", "ashg", "nsgc"))
    descriptor = json.loads(write(tmp_path / "dup", [repeated]).read_text("utf-8"))
    assert "primaryKey" not in descriptor["resources"][0]["schema"]
    assert validate_data_package(tmp_path / "dup").valid


def test_extra_files_are_listed(tmp_path):
    descriptor = json.loads(write(tmp_path, [counts_table()], extra_files=extras()).read_text())
    assert descriptor["profile"] == "data-package"  # a YAML file is not a table
    catalog, codebook = descriptor["resources"][1:]
    assert catalog["name"] == "indicators"
    assert catalog["path"] == "catalog/indicators.yaml"
    assert catalog["profile"] == "data-resource"
    assert catalog["mediatype"] == "application/yaml"
    assert "schema" not in catalog
    assert codebook["profile"] == "tabular-data-resource"
    assert [f["name"] for f in codebook["schema"]["fields"]] == ["variable", "code", "label"]
    assert {f["type"] for f in codebook["schema"]["fields"]} == {"string"}
    assert (tmp_path / "catalog" / "indicators.yaml").read_bytes() == extras()[0].content


def test_extra_file_paths_must_stay_inside_the_package():
    for path in ("../escape.yaml", "/abs.yaml", "a//b.yaml", "datapackage.json", "a\\b.csv"):
        with pytest.raises(ValueError):
            ExtraFile(path, b"", "x")


def test_failing_write_leaves_no_descriptor_behind(tmp_path):
    broken = counts_table()
    broken.data.loc[0, "n"] = 812.5  # not an integer: writing raises
    out = tmp_path / "pkg"
    with pytest.raises(ValueError, match="members-by-org.*'n'.*812.5"):
        write(out, [climate_table(), broken])
    assert not (out / "datapackage.json").exists()
    assert list(tmp_path.iterdir()) == []  # no staging directory left either


def test_failing_write_keeps_the_previous_package_intact(tmp_path, monkeypatch):
    out = tmp_path / "pkg"
    write(out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    # Fail half way through writing the files of the new package.
    original = Path.write_bytes
    calls = []

    def flaky(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(OSError, match="disk full"):
        write(out, [counts_table(n=(1, 2, 3))])
    monkeypatch.undo()

    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]
    assert validate_data_package(out).valid


def test_refuses_to_replace_a_directory_that_is_not_a_package(tmp_path):
    (tmp_path / "report.html").write_text("<p>keep me</p>")
    with pytest.raises(FileExistsError):
        write(tmp_path)
    assert (tmp_path / "report.html").read_text() == "<p>keep me</p>"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Workforce Benchmark"}, "package name"),
        ({"created": "last tuesday"}, "created"),
        ({"licenses": ()}, "license"),
    ],
)
def test_bad_package_metadata_is_refused_before_writing(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write(tmp_path / "pkg", **kwargs)
    assert not (tmp_path / "pkg").exists()


def test_two_resources_with_one_name_are_refused(tmp_path):
    clash = ExtraFile("climate.yaml", b"", "Clash", name="climate")
    with pytest.raises(ValueError, match="climate"):
        write(tmp_path / "pkg", extra_files=[clash])


def test_missing_descriptor_is_invalid_not_an_exception(tmp_path):
    result = validate_data_package(tmp_path / "nowhere")
    assert not result.valid
    assert "no such descriptor" in result.errors[0]


def test_main_reports_validity_in_its_exit_code(tmp_path, capsys):
    write(tmp_path / "good")
    assert main([str(tmp_path / "good")]) == 0
    assert "valid (3 resources, 9 rows)" in capsys.readouterr().out

    write(tmp_path / "bad", [counts_table(org=("ashg", "nsgc", "nope"))])
    assert main([str(tmp_path / "bad" / "datapackage.json")]) == 1
    captured = capsys.readouterr()
    assert "INVALID" in captured.out
    assert "members-by-org, row 4, field org" in captured.err
