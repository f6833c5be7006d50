"""The byte-reproducible writers: pinned SPSS header dates, long tables split over sheets."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from workforce.synth import files


def test_sav_creation_date_and_time_are_pinned_and_the_file_still_reads(tmp_path):
    path = tmp_path / "tiny.sav"
    frame = pd.DataFrame({"code": [1.0, 2.0, 9.0], "text": ["a", "é", ""]})
    files.write_sav(
        path,
        frame,
        year=2031,
        file_label="tiny",
        column_labels={"code": "A code"},
        value_labels={"code": {1.0: "One", 9.0: "Not reported"}},
        missing_codes={"code": [9.0]},
    )
    header = path.read_bytes()[: files.SAV_TIME_OFFSET + 8]
    assert header[files.SAV_DATE_OFFSET : files.SAV_DATE_OFFSET + 9] == b"15 Jan 31"
    assert header[files.SAV_TIME_OFFSET : files.SAV_TIME_OFFSET + 8] == b"00:00:00"
    data, meta = pyreadstat.read_sav(path, user_missing=True)
    assert meta.creation_time == dt.datetime(2031, 1, 15)
    assert list(data["code"]) == [1.0, 2.0, 9.0]
    assert list(data["text"]) == ["a", "é", ""]


def test_pinning_refuses_a_file_that_is_not_sav(tmp_path):
    path = tmp_path / "not.sav"
    path.write_bytes(b"x" * 200)
    with pytest.raises(ValueError, match="not patched"):
        files.pin_sav_creation_time(path, dt.datetime(2025, 1, 15))


def test_a_table_longer_than_a_sheet_continues_on_numbered_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "XLSX_MAX_ROWS", 101)
    path = tmp_path / "long.xlsx"
    rows = files.write_xlsx(
        path,
        "Members",
        ("n", "label"),
        [list(range(250)), [f"row {i}" for i in range(250)]],
        notes=("a note",),
        year=2025,
        title="long",
    )
    assert rows == 250
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Members", "Members (2)", "Members (3)", "Notes"]
    counts = [workbook[name].max_row - 1 for name in workbook.sheetnames[:3]]
    workbook.close()
    assert counts == [100, 100, 50]


def test_csv_parts_share_one_header(tmp_path):
    path = tmp_path / "parts.csv"
    parts = [{"a": ["1", "2"], "b": ["x", "y"]}, {"a": ["3"], "b": ["z"]}]
    assert files.write_csv(path, iter(parts)) == 3
    assert path.read_text(encoding="utf-8") == "a,b\n1,x\n2,y\n3,z\n"
