"""Writing standard records: categoricals written as their text, every file all or nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workforce.intake import ingest, read_source
from workforce.intake.files import provenance_path, writable_table, write_outputs

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


def test_categoricals_reach_the_writer_as_dictionary_columns_of_their_text():
    import pyarrow as pa

    codes = pd.Series(pd.Categorical.from_codes([0, 0, 1], categories=["unknown", "yes"]))
    frame = pd.DataFrame({"a": codes, "b": codes, "d": pd.Series(["x", "y", ""], dtype="str")})
    table = writable_table(frame)
    assert pa.types.is_dictionary(table.column("a").type)
    assert table.column("a").to_pylist() == ["unknown", "unknown", "yes"]
    assert table.column("b").to_pylist() == ["unknown", "unknown", "yes"]
    assert table.column("d").to_pylist() == ["x", "y", ""]


def test_records_longer_than_a_write_batch_are_written_whole_and_in_order(tmp_path):
    from workforce.intake.files import WRITE_BATCH_ROWS, _write_temporary

    size = 2 * WRITE_BATCH_ROWS + 5
    rows = np.arange(size)
    frame = pd.DataFrame(
        {
            "record_id": pd.Series([f"id{i}" for i in rows], dtype="str"),
            "gender": pd.Categorical.from_codes(rows % 3, categories=["man", "woman", "unknown"]),
        }
    )
    written = _write_temporary(frame, tmp_path / "records.csv")
    back = pd.read_csv(written, dtype=str, keep_default_na=False)
    assert back["record_id"].tolist() == frame["record_id"].tolist()
    assert back["gender"].tolist() == frame["gender"].astype(str).tolist()


def test_a_missing_cell_of_a_categorical_is_written_empty():
    import io

    import pyarrow.csv as pacsv

    frame = pd.DataFrame({"a": pd.Categorical(["yes", None, "no"])})
    written = io.BytesIO()
    pacsv.write_csv(writable_table(frame), written, pacsv.WriteOptions(quoting_style="needed"))
    written.seek(0)
    back = pd.read_csv(written, dtype=str, keep_default_na=False, skip_blank_lines=False)
    assert back["a"].tolist() == ["yes", "", "no"]
