"""Fuzzing: readers and the mapper never crash on arbitrary bytes or text; every bad input
is an IntakeError whose message names the file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.intake import IntakeError, MappingIncomplete, ingest, read_source
from workforce.intake.detect import propose_mapping
from workforce.intake.mapping import ColumnMapping, propose_value, split_answers

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
EXTENSIONS = (".csv", ".xlsx", ".sav", ".dta", ".parquet", ".tsv")


def read_or_intake_error(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        try:
            return read_source(path)
        except IntakeError as error:
            assert name in str(error)
            return None


@SETTINGS
@given(data=st.binary(max_size=2000), extension=st.sampled_from(EXTENSIONS))
def test_readers_never_crash_on_arbitrary_bytes(data, extension):
    read_or_intake_error(f"fuzz-2025{extension}", data)


@SETTINGS
@given(data=st.binary(min_size=1, max_size=400), extension=st.sampled_from(EXTENSIONS[:3]))
def test_readers_never_crash_on_real_files_with_garbage_appended_or_cut(
    consortium, data, extension
):
    source = {
        ".csv": "exports/nsgc_roster_2025.csv",
        ".xlsx": "exports/ashg_members_2025.xlsx",
        ".sav": "exports/acmg_membership_2025.sav",
    }[extension]
    original = (consortium / source).read_bytes()
    cut = len(data) * 97 % len(original)
    read_or_intake_error(f"cut{extension}", original[:cut] + data)


text_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@SETTINGS
@given(text=text_cells)
def test_the_mapper_never_crashes_on_arbitrary_text(text):
    for column in (
        ColumnMapping("R", "race_ethnicity", "multi", separators=(",", "/", ";")),
        ColumnMapping("G", "gender", "label"),
        ColumnMapping("H", "race_ethnicity", "omb1997_hispanic"),
        ColumnMapping("C", "country", "label"),
    ):
        decision = propose_value(column, text)
        assert decision.confirmed is False or decision.code is not None
    assert all(isinstance(answer, str) for answer in split_answers(text, (",", "/")))


@SETTINGS
@given(rows=st.lists(st.tuples(text_cells, text_cells, text_cells), min_size=1, max_size=8))
def test_ingest_never_crashes_on_arbitrary_cells(rows):
    lines = ["ID,Gender,Race"] + [
        ",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows
    ]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz-2025.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            table = read_source(path)
            result = ingest(table, propose_mapping(table, "fuzz"), year=2025, unmapped="reject")
        except MappingIncomplete:
            raise
        except IntakeError as error:
            assert "fuzz-2025.csv" in str(error)
            return
        assert result.report.accepted + result.report.rejected == result.report.rows_read


@SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=600),
        # A records header, then cells of any shape: quotes, separators, codes, ragged rows.
        st.text(alphabet=",;\n\"' abmnowetudsx", max_size=200).map(
            lambda body: ("record_id,gender,race_ethnicity\n" + body).encode()
        ),
    )
)
def test_the_records_to_compare_with_are_read_or_refused_plainly(data):
    from workforce.intake.compare import counts_from_records_file

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "last-2024.csv"
        path.write_bytes(data)
        try:
            counts = counts_from_records_file(path)
        except IntakeError as error:
            assert "last-2024.csv" in str(error)
        else:
            assert counts["records"] >= 0


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_a_workbooks_sheets_are_listed_or_refused_plainly(data):
    from workforce.intake.read import sheet_names

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz-2025.xlsx"
        path.write_bytes(data)
        try:
            assert isinstance(sheet_names(path), list)
        except IntakeError as error:
            assert "fuzz-2025.xlsx" in str(error)
