"""Writing standard records: categoricals written as their text, every file all or nothing."""

from __future__ import annotations

import pandas as pd

from workforce.intake import ingest, read_source
from workforce.intake.files import provenance_path, text_table, write_outputs

from .test_ingest import confirmed


def test_records_holding_codes_as_categoricals_are_written_as_their_text(tmp_path):
    path = tmp_path / "soc-2025.csv"
    path.write_text(
        "ID,Gender,Race\n1,Female,White\n2,Male,Asian; White\n3,Female,\n4,,Prefer not to say\n",
        encoding="utf-8",
    )
    table = read_source(path)
    result = ingest(table, confirmed(table), year=2025)
    assert isinstance(result.records["gender"].dtype, pd.CategoricalDtype)
    written = write_outputs(result, tmp_path / "out" / "records.csv", tmp_path / "rejects.csv")
    assert written[1] == provenance_path(tmp_path / "out" / "records.csv")
    for frame, target in zip((result.records, result.provenance, result.rejects), written,
                             strict=True):
        back = pd.read_csv(target, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(back, frame.astype(str).reset_index(drop=True),
                                      check_dtype=False)
    records = pd.read_csv(written[0], dtype=str, keep_default_na=False)
    assert records["race_ethnicity"].tolist() == ["white", "asian;white", "unknown", "declined"]
    assert records["org"].eq("soc").all() and records["intersex"].eq("unknown").all()


def test_columns_sharing_their_codes_are_spelled_once_and_each_written_whole():
    codes = pd.Series(pd.Categorical.from_codes([0, 0, 1], categories=["unknown", "yes"]))
    other = pd.Series(pd.Categorical.from_codes([1, 0, 0], categories=["unknown", "yes"]))
    frame = pd.DataFrame(
        {"a": codes, "b": codes, "c": other, "d": pd.Series(["x", "y", ""], dtype="str")},
        copy=False,
    )
    table = text_table(frame)
    assert table.column("a").to_pylist() == ["unknown", "unknown", "yes"]
    assert table.column("b").to_pylist() == ["unknown", "unknown", "yes"]
    assert table.column("c").to_pylist() == ["yes", "unknown", "unknown"]
    assert table.column("d").to_pylist() == ["x", "y", ""]


def test_a_missing_cell_of_a_categorical_is_written_empty():
    import io

    import pyarrow.csv as pacsv

    frame = pd.DataFrame({"a": pd.Categorical(["yes", None, "no"])})
    written = io.BytesIO()
    pacsv.write_csv(text_table(frame), written, pacsv.WriteOptions(quoting_style="needed"))
    written.seek(0)
    back = pd.read_csv(written, dtype=str, keep_default_na=False, skip_blank_lines=False)
    assert back["a"].tolist() == ["yes", "", "no"]
