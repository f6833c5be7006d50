"""Reading exports: encodings, delimiters, spreadsheets with title and merged header rows,
SPSS value labels, and clear errors for files that cannot be read."""

from __future__ import annotations

import codecs
import hashlib
import itertools
import os
import tempfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import xlsxwriter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workforce.intake import IntakeError, read_source


def write_csv(path, text, encoding="utf-8", bom=b""):
    path.write_bytes(bom + text.encode(encoding))
    return path


def test_it_reads_utf8_and_keeps_raw_cells(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID,Gender\n 001 ,  Female \n002,\n")
    table = read_source(path)
    assert table.frame["ID"].tolist() == [" 001 ", "002"]
    assert table.frame["Gender"].tolist() == ["  Female ", ""]
    assert table.encoding == "utf-8"
    assert table.rows.tolist() == [2, 3]
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_falls_back_to_cp1252_after_a_utf8_bom_and_says_so(tmp_path):
    path = write_csv(
        tmp_path / "m.csv", "ID,City\n1,Asunción\n2,Zürich\n", "cp1252", codecs.BOM_UTF8
    )
    table = read_source(path)
    assert table.frame["City"].tolist() == ["Asunción", "Zürich"]
    assert table.encoding == "cp1252"
    assert any("UTF-8 byte-order mark" in note for note in table.notes)


def test_it_reads_latin1_without_bom(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID,Country\n1,España\n", "latin-1")
    assert read_source(path).frame["Country"].tolist() == ["España"]


def test_it_reads_utf8_with_bom_without_a_stray_character_in_the_header(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID,Name\n1,Zoë\n", "utf-8", codecs.BOM_UTF8)
    table = read_source(path)
    assert list(table.frame.columns) == ["ID", "Name"]
    assert table.encoding == "utf-8-sig"


@pytest.mark.parametrize(
    "remnant",
    ["ï»¿", "\ufeff", "ï»¿ï»¿"],
    ids=["mark-read-as-cp1252-and-saved-again", "mark-written-twice", "saved-again-twice"],
)
def test_a_byte_order_mark_kept_as_text_leaves_the_first_header_clean(tmp_path, remnant):
    # An export opened with the wrong encoding and saved again carries its first mark as text;
    # left in, "ID" would no longer match the saved mapping's column next year.
    path = write_csv(tmp_path / "m.csv", f"{remnant}ID,Name\n1,Zoë\n", "utf-8", codecs.BOM_UTF8)
    table = read_source(path)
    assert list(table.frame.columns) == ["ID", "Name"]
    assert table.frame["ID"].tolist() == ["1"]
    assert any("byte-order mark kept as text" in note for note in table.notes)


def test_a_header_that_merely_starts_with_accented_letters_is_kept(tmp_path):
    path = write_csv(tmp_path / "m.csv", "Ïle,Name\n1,Zoë\n")
    table = read_source(path)
    assert list(table.frame.columns) == ["Ïle", "Name"]
    assert table.notes == ()


def test_it_reads_utf16_with_bom(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes("ID\tCountry\r\n1\tMéxico\r\n".encode("utf-16"))
    table = read_source(path)
    assert table.encoding == "utf-16"
    assert table.frame["Country"].tolist() == ["México"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_sniffs_the_delimiter(tmp_path, delimiter):
    text = delimiter.join(["ID", "Race", "Gender"]) + "\n"
    text += delimiter.join(["1", '"White, Asian"' if delimiter == "," else "White, Asian", "F"])
    path = write_csv(tmp_path / "m.csv", text + "\n")
    table = read_source(path)
    assert list(table.frame.columns) == ["ID", "Race", "Gender"]
    assert table.frame["Race"].tolist() == ["White, Asian"]


def test_xlsx_with_a_title_and_a_merged_two_row_header(tmp_path):
    path = tmp_path / "members.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Members")
    sheet.write(0, 0, "Membership export, January 2025")
    sheet.merge_range(2, 1, 2, 2, "Demographics")
    for column, name in enumerate(["Member ID", "Gender", "Race"]):
        sheet.write(3, column, name)
    sheet.write_row(4, 0, [101, "Female", "White"])
    sheet.write_row(5, 0, [102, "Male", "Asian"])
    workbook.add_worksheet("Notes").write(0, 0, "notes")
    workbook.close()
    table = read_source(path)
    assert list(table.frame.columns) == ["Member ID", "Demographics Gender", "Demographics Race"]
    assert table.header_row == 4
    assert table.rows.tolist() == [5, 6]
    assert table.frame["Member ID"].tolist() == ["101", "102"]
    assert any("two-row header" in note for note in table.notes)
    assert read_source(path, sheet="Notes").frame.columns.tolist() == ["notes"]


def test_xlsx_unknown_sheet_names_the_sheets(tmp_path, consortium):
    with pytest.raises(IntakeError, match="no sheet named 'Nope'.*Members"):
        read_source(consortium / "exports/ashg_members_2025.xlsx", sheet="Nope")


def test_spss_keeps_codes_value_labels_and_user_missing(consortium):
    table = read_source(consortium / "exports/acmg_membership_2025.sav")
    assert set(table.frame["race"]) >= {"5", "8"}
    assert table.value_labels["race"]["4"] == "Native Hawaiian or Other Pacific Islander"
    assert table.value_labels["profrole"]["98"] == "Prefer not to answer"
    assert table.user_missing["race"] == ("8", "9")
    assert (table.frame["birthyr"].str.fullmatch(r"\d{4}|\d{1,4}|")).all()


def test_stata_and_parquet_read_as_text(tmp_path):
    frame = pd.DataFrame({"memberid": [1.0, 2.0], "gender": [1.0, 2.0]})
    pyreadstat.write_dta(
        frame, str(tmp_path / "m.dta"), variable_value_labels={"gender": {1: "Female", 2: "Male"}}
    )
    table = read_source(tmp_path / "m.dta")
    assert table.frame["memberid"].tolist() == ["1", "2"]
    assert table.value_labels["gender"] == {"1": "Female", "2": "Male"}
    frame.to_parquet(tmp_path / "m.parquet")
    assert read_source(tmp_path / "m.parquet").frame["gender"].tolist() == ["1", "2"]


def test_a_truncated_xlsx_fails_with_a_message_naming_the_file(tmp_path, consortium):
    data = (consortium / "exports/ashg_members_2025.xlsx").read_bytes()
    path = tmp_path / "ashg-2025.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IntakeError, match=r"ashg-2025\.xlsx: not a readable XLSX"):
        read_source(path)


def test_a_truncated_sav_fails_with_a_message_naming_the_file(tmp_path, consortium):
    data = (consortium / "exports/acmg_membership_2025.sav").read_bytes()
    path = tmp_path / "acmg-2025.sav"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IntakeError, match=r"acmg-2025\.sav: not a readable SPSS file"):
        read_source(path)


def test_binary_garbage_as_csv_fails_clearly(tmp_path):
    path = tmp_path / "nsgc-2025.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(IntakeError, match=r"nsgc-2025\.csv: looks like a binary file"):
        read_source(path)


def test_a_ragged_csv_names_the_file_and_the_problem(tmp_path):
    path = write_csv(tmp_path / "nsgc-2025.csv", "ID,Gender\n1,F\n2,M,extra\n")
    with pytest.raises(IntakeError, match=r"nsgc-2025\.csv: not a readable CSV.*column"):
        read_source(path)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n", "no header row"),
        ("members.docx", b"PK", "unsupported file type"),
    ],
)
def test_empty_and_unsupported_files_fail_clearly(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IntakeError, match=message) as error:
        read_source(path)
    assert name in str(error.value)


def test_a_missing_file_fails_clearly(tmp_path):
    with pytest.raises(IntakeError, match="missing.csv: cannot be read"):
        read_source(tmp_path / "missing.csv")


def test_a_quoted_cell_with_a_line_break_is_one_cell(tmp_path):
    path = write_csv(tmp_path / "m.csv", 'ID,Notes,Gender\n1,"two\nlines",F\n2,,M\n')
    table = read_source(path)
    assert table.frame["Notes"].tolist() == ["two\nlines", ""]
    assert table.frame["Gender"].tolist() == ["F", "M"]
    assert any("more lines than records" in note for note in table.notes)


# --- one streamed pass over a large CSV -----------------------------------------------------


def read_from_memory(path):
    """The same file read the other way: whole into memory, then parsed (`_read_csv`)."""
    from dataclasses import replace

    from workforce.intake.read import _read_kind

    data = path.read_bytes()
    return replace(_read_kind(path, data, "csv", None), sha256=hashlib.sha256(data).hexdigest())


def assert_same_table(streamed, in_memory):
    pd.testing.assert_frame_equal(streamed.frame, in_memory.frame)
    assert_same_reading(streamed, in_memory)


def assert_same_reading(one, other):
    """The same rows, checksum, decoding and notes, whatever the cells' dtypes."""
    assert one.rows.tolist() == other.rows.tolist()
    assert (one.sha256, one.encoding, one.notes) == (other.sha256, other.encoding, other.notes)


def read_or_message(read, path):
    """The table `read(path)` gives, or the message of the IntakeError it raises."""
    try:
        return read(path)
    except IntakeError as error:
        return str(error)


def many_rows(count, start=0):
    return "".join(f"{i:07d};Ünïcode name {i};{i % 7}\r\n" for i in range(start, start + count))


def test_a_large_export_read_in_one_pass_is_the_file_read_whole(tmp_path):
    # Over 2 MB: the parser reads several blocks, past the sample the delimiter came from.
    text = "ID;Name;Group\r\n" + many_rows(40_000) + "\r\n" + many_rows(40_000, 40_000)
    path = write_csv(tmp_path / "nsgc-2025.csv", text, bom=codecs.BOM_UTF8)
    assert path.stat().st_size > 2 * 2**20
    table = read_source(path)
    assert len(table.frame) == 80_000 and table.frame["Name"].iloc[-1] == "Ünïcode name 79999"
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any("more lines than records" in note for note in table.notes)  # the blank line
    assert_same_table(table, read_from_memory(path))


@pytest.mark.parametrize(
    "late,expected",
    [
        ("0080000;Zürich;1\r\n".encode("cp1252"), "read as cp1252"),  # not UTF-8, 2 MB in
        (b'0080000;"two\r\nlines";1\r\n', "more lines than records"),
    ],
)
def test_what_only_shows_deep_in_a_large_export_is_read_as_from_a_small_one(
    tmp_path, late, expected
):
    path = tmp_path / "acmg-2025.csv"
    path.write_bytes(("ID;Name;Group\r\n" + many_rows(80_000)).encode() + late)
    table = read_source(path)
    assert len(table.frame) == 80_001
    assert table.frame["Name"].iloc[-1] in ("Zürich", "two\r\nlines")
    assert any(expected in note for note in table.notes)
    assert_same_table(table, read_from_memory(path))


def fuzz_file(directory, text, bom, cp1252) -> Path:
    path = Path(directory) / "fuzz.csv"
    path.write_bytes(bom + text.encode("cp1252" if cp1252 else "utf-8"))
    assume(path.stat().st_size)  # an empty file stops before any reader
    return path


csv_text = st.lists(
    st.lists(
        st.text(alphabet=st.sampled_from('ab é,;"\t\r\n'), max_size=6), min_size=1, max_size=4
    ),
    min_size=1,
    max_size=6,
).map(lambda rows: "\n".join(",".join(row) for row in rows))


@settings(max_examples=150, deadline=None)
@given(text=csv_text, bom=st.sampled_from([b"", codecs.BOM_UTF8]), cp1252=st.booleans())
def test_the_one_pass_reader_agrees_with_the_whole_file_reader_on_any_text(text, bom, cp1252):
    with tempfile.TemporaryDirectory() as directory:
        path = fuzz_file(directory, text, bom, cp1252)
        streamed = read_or_message(read_source, path)
        in_memory = read_or_message(read_from_memory, path)
        if isinstance(in_memory, str):
            assert streamed == in_memory
        else:
            assert_same_table(streamed, in_memory)


@settings(max_examples=100, deadline=None)
@given(piece=st.binary(min_size=1, max_size=64), tail=st.binary(max_size=64))
def test_line_breaks_are_counted_exactly_across_blocks(piece, tail):
    from workforce.intake.read import count_newlines

    data = piece * (2 * 2**20 // len(piece) + 1) + tail  # over two megabyte blocks
    assert count_newlines(data) == data.count(b"\n")
    assert count_newlines(tail) == tail.count(b"\n")


@settings(max_examples=100, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=40),
    span=st.integers(1, 64),
    gap=st.integers(0, 16),
)
def test_lines_read_together_or_apart_are_the_bytes_between_their_ends(data, cuts, span, gap):
    from workforce.intake import read

    # Ascending spans that do not overlap (some empty), read with a small span and gap, so
    # that lines are read together, apart, and split between reads.
    ends = sorted({min(cut, len(data)) for cut in cuts})
    starts, stops = np.array(ends[0::2], dtype=np.int64), np.array(ends[1::2], dtype=np.int64)
    starts = starts[: len(stops)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.csv"
        path.write_bytes(data)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(read, "READ_SPAN", span)
            patch.setattr(read, "READ_GAP", gap)
            lines = read._read_lines(path, starts, stops)
    assert lines == [data[start:stop] for start, stop in zip(starts, stops, strict=True)]


def test_the_one_pass_stream_hands_over_every_byte_however_it_is_asked(tmp_path):
    from workforce.intake.read import SAMPLE_BYTES, _HashingStream

    data = codecs.BOM_UTF8 + bytes(range(256)) * (3 * SAMPLE_BYTES // 256) + b"end\n"
    path = tmp_path / "m.csv"
    path.write_bytes(data)
    for sizes in ([-1], [1, 7, SAMPLE_BYTES, 5, -1], [SAMPLE_BYTES + 3] * 5 + [-1]):
        with open(path, "rb", buffering=0) as raw:
            stream = _HashingStream(raw)
            stream.start(len(codecs.BOM_UTF8))
            read = b"".join(stream.read(size) for size in sizes)
            assert stream.read(10) == b""
        assert read == data[len(codecs.BOM_UTF8) :]
        assert stream.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
        assert stream.lines == data.count(b"\n")


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(st.text(alphabet=st.sampled_from("ab\r"), max_size=3), max_size=40),
    ending=st.sampled_from(["\n", "\r\n"]),
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=5),
    short=st.sampled_from([0, 1, 2, 5]),
)
def test_a_stream_skipping_columns_finds_every_line_that_is_not_blank(
    lines, ending, sizes, short
):
    from workforce.intake.read import SAMPLE_BYTES, _HashingStream

    # A header about as long as the sample read ahead: the lines come in blocks of 1–9 bytes
    # after it, and a line break may straddle its end.
    data = ("H" * (SAMPLE_BYTES - short) + ending + ending.join(lines)).encode()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.csv"
        path.write_bytes(data)
        with open(path, "rb", buffering=0) as raw:
            stream = _HashingStream(raw)
            stream.start(0, skipping=True)
            for size in itertools.cycle(sizes):  # blocks of any size, in turn
                if not stream.read(size):
                    break
    breaks = stream.line_breaks()
    # What the parser reads as a line: a "\r" before "\n" ends it; blank ones are skipped.
    expected = [line for line in data.split(b"\n") if line not in (b"", b"\r")]
    assert breaks.count == len(expected)
    for numbers in (np.arange(breaks.count), np.arange(1, breaks.count, 3)):  # all; some
        starts, stops = breaks.spans(numbers)
        found = [data[start:stop] for start, stop in zip(starts, stops, strict=True)]
        assert found == [expected[number] for number in numbers]
    assert stream.lines == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    assert stream.text_is_utf8()


def test_a_workbooks_sheets_are_listed_in_order_without_reading_their_cells(tmp_path):
    from workforce.intake.read import sheet_names

    path = tmp_path / "members.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name in ("Read me", "Members", "Totals"):
        workbook.add_worksheet(name)
    workbook.close()
    assert sheet_names(path) == ["Read me", "Members", "Totals"]
    assert sheet_names(write_csv(tmp_path / "m.csv", "ID\n1\n")) == []
    (tmp_path / "broken.xlsx").write_bytes(path.read_bytes()[:200])
    with pytest.raises(IntakeError, match="broken.xlsx: not a readable XLSX workbook"):
        sheet_names(tmp_path / "broken.xlsx")


# --- columns read as categoricals -----------------------------------------------------------


@pytest.mark.parametrize(
    "text,encoding",
    [
        ("ID,Gender,Notes\n1,Female,a\n2,,b\n3,Female,\n", "utf-8"),  # read in one pass
        ("ID,Gender,Notes\n1,Fémale,a\n2,,b\n3,Fémale,\n", "cp1252"),  # read again, decoded
        ('ID,Gender,Notes\n1,Female,"two\nlines"\n2,,b\n3,Female,\n', "utf-8"),  # line break
    ],
)
def test_a_column_read_as_categorical_holds_the_text_it_holds_read_plainly(
    tmp_path, text, encoding
):
    path = write_csv(tmp_path / "m.csv", text, encoding)
    plain = read_source(path)
    coded = read_source(path, categorical=["Gender"])
    assert isinstance(coded.frame["Gender"].dtype, pd.CategoricalDtype)
    assert coded.frame["Gender"].tolist() == plain.frame["Gender"].tolist()
    assert coded.frame["Gender"].tolist()[1] == ""  # an empty cell is empty text, not missing
    pd.testing.assert_series_equal(coded.frame["Notes"], plain.frame["Notes"])
    assert_same_reading(coded, plain)


def test_asking_for_categoricals_changes_nothing_but_csv_columns(tmp_path):
    path = tmp_path / "m.parquet"
    pd.DataFrame({"ID": ["1", "2"], "Gender": ["F", "M"]}).to_parquet(path)
    table = read_source(path, categorical=["Gender", "Not a column"])
    assert table.frame["Gender"].tolist() == ["F", "M"]


@settings(max_examples=100, deadline=None)
@given(text=csv_text, bom=st.sampled_from([b"", codecs.BOM_UTF8]), cp1252=st.booleans())
def test_any_text_read_with_categoricals_holds_the_cells_read_plainly(text, bom, cp1252):
    def same_cells(coded, plain):
        assert list(coded.frame.columns) == list(plain.frame.columns)
        for name in plain.frame.columns:
            assert isinstance(coded.frame[name].dtype, pd.CategoricalDtype)
            assert coded.frame[name].tolist() == plain.frame[name].tolist()
        assert_same_reading(coded, plain)

    def every(names):  # every column as a categorical, whatever the header turned out to be
        return partial(read_source, categorical=names)

    check_fuzzed_against_plain(text, bom, cp1252, every, same_cells)


def check_fuzzed_against_plain(text, bom, cp1252, other, compare):
    """The fuzzed text read plainly and with `other(names)` (`names` being the plain read's
    columns): both fail with the same message, or `compare(table, plain)` holds."""
    with tempfile.TemporaryDirectory() as directory:
        path = fuzz_file(directory, text, bom, cp1252)
        plain = read_or_message(read_source, path)
        if isinstance(plain, str):
            assert read_or_message(other(["x"]), path) == plain
            return
        table = read_or_message(other(list(plain.frame.columns)), path)
        assert not isinstance(table, str), table
        compare(table, plain)  # while the file exists: it may be read again


# --- columns read alone, rows read whole again ----------------------------------------------


def read_alone(path, columns):
    return read_source(path, columns=columns)


def assert_whole_again(alone, plain):
    """The columns read alone hold what a whole read holds; every row read whole again is
    the row read whole."""
    assert list(alone.frame.columns) == [c for c in plain.frame.columns if c in alone.frame]
    pd.testing.assert_frame_equal(alone.frame, plain.frame[list(alone.frame.columns)])
    assert alone.columns == list(plain.frame.columns)
    everything = np.arange(len(plain.frame))
    pd.testing.assert_frame_equal(alone.whole_rows(everything), plain.frame)
    for some in (everything[::3], everything[-1:]):  # every third row; the last alone
        pd.testing.assert_frame_equal(
            alone.whole_rows(some), plain.frame.iloc[some].reset_index(drop=True)
        )
    assert_same_reading(alone, plain)


@pytest.mark.parametrize(
    "text",
    [
        "ID,Gender,Email\n1,F,a@x.org\n2,M,b@x.org\n3,,c@x.org",  # no final line break
        "ID,Gender,Email\r\n1,F,a@x.org\r\n\r\n2,M,b@x.org\r\n3,,\r\n\r\n",  # blank lines
        'ID,Gender,Email\n1,"F, or so",a@x.org\n\n\n2,M,"b ""q"" @x.org"\n',  # quoted cells
        "ID,Gender,Email\r1,F,a@x.org\r2,M,b@x.org\r",  # old Mac line ends: read whole again
        "ID,Gender,Email\n1,F,a@x.org\r2,M,\n3,,\n",  # a lone carriage return ends a record
        # A quote left open in the last line, then the end, or blank lines: read whole again.
        'ID,Gender,Email\n1,F,a@x.org\n2,M,"',
        'ID,Gender,Email\n1,F,a@x.org\n2,M,"\n\n',
        'ID,Gender,Email\n1,F,a@x.org\n2,M,"\r\n\r\n',
    ],
)
def test_a_csv_read_for_some_columns_reads_any_row_whole_again(tmp_path, text):
    path = write_csv(tmp_path / "m.csv", text)
    plain = read_source(path)
    alone = read_alone(path, ["ID", "Gender"])
    assert "Email" not in alone.frame.columns
    assert_whole_again(alone, plain)
    assert list(alone.whole_rows(np.array([], dtype=np.int64)).columns) == alone.columns


def test_reading_every_column_or_a_file_not_read_in_one_pass_holds_every_column(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID,Gender\n1,F\n2,M\n")
    assert read_alone(path, ["ID", "Gender", "Age"]).lines is None  # all there: read whole
    decoded = write_csv(tmp_path / "w.csv", "ID,Gender,Town\n1,F,Zürich\n", "cp1252")
    table = read_alone(decoded, ["ID"])
    assert list(table.frame.columns) == ["ID", "Gender", "Town"]
    assert table.encoding == "cp1252"


@pytest.mark.parametrize(
    "columns",
    [["ID", "Group"], ["ID", "Name"], None],  # the column holding it left out, read, all read
)
def test_a_code_page_byte_deep_in_any_column_still_decodes_the_file(tmp_path, columns):
    # 2 MB of UTF-8, then a cp1252 "ü": the file is not UTF-8, and is read whole and
    # decoded, as if every column had been asked for, whether or not the parser reads it
    # (the parser leaves the check of the text to the stream).
    path = tmp_path / "acmg-2025.csv"
    path.write_bytes(
        ("ID;Name;Group\r\n" + many_rows(80_000)).encode() + "0080000;Zürich;1\r\n".encode("cp1252")
    )
    alone = read_source(path, columns=columns)
    assert alone.encoding == "cp1252" and alone.lines is None
    assert alone.frame["Name"].iloc[-1] == "Zürich"
    assert_same_reading(alone, read_source(path))


@pytest.mark.parametrize("categorical", [(), ("Gender",), ("ID", "Gender")])
def test_rows_read_again_from_their_lines_match_columns_read_as_text_or_categories(
    tmp_path, categorical
):
    path = write_csv(tmp_path / "m.csv", "ID,Gender,Email\n1,F,a@x.org\n2,M,b@x.org\n3,F,\n")
    alone = read_source(path, columns=["ID", "Gender"], categorical=categorical)
    rows = alone.whole_rows(np.array([1, 2]))
    assert rows.to_dict("list") == {
        "ID": ["2", "3"], "Gender": ["M", "F"], "Email": ["b@x.org", ""]
    }
    assert alone.lines._whole is None  # read from their lines, not with the whole file again


@pytest.mark.parametrize("categorical", [(), ("Gender",), ("ID", "Gender")])
@pytest.mark.parametrize(
    "changed",
    ["2,X,b@x.org", "2,F,b@x.org", "3,M,b@x.org"],  # a new value, another known one, an ID
)
def test_a_file_changed_before_its_rows_are_read_again_is_refused(
    tmp_path, categorical, changed
):
    path = write_csv(tmp_path / "m.csv", "ID,Gender,Email\n1,F,a@x.org\n2,M,b@x.org\n")
    alone = read_source(path, columns=["ID", "Gender"], categorical=categorical)
    path.write_text(f"ID,Gender,Email\n1,F,a@x.org\n{changed}\n", encoding="utf-8")
    with pytest.raises(IntakeError, match="m.csv: the file changed while it was being ingested"):
        alone.whole_rows(np.array([1]))


def test_a_file_gone_before_its_rows_are_read_again_is_named(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID,Gender,Email\n1,F,a@x.org\n")
    alone = read_alone(path, ["ID"])
    path.unlink()
    with pytest.raises(IntakeError, match="m.csv: cannot be read again"):
        alone.whole_rows(np.array([0]))


@settings(max_examples=150, deadline=None)
@given(
    text=csv_text,
    bom=st.sampled_from([b"", codecs.BOM_UTF8]),
    cp1252=st.booleans(),
    keep=st.lists(st.integers(0, 3), max_size=3),
)
def test_any_text_read_for_some_columns_is_the_text_read_whole(text, bom, cp1252, keep):
    def some(names):
        return partial(read_alone, columns=[names[k] for k in keep if k < len(names)])

    check_fuzzed_against_plain(text, bom, cp1252, some, assert_whole_again)


def test_many_rows_wanted_whole_are_read_with_the_whole_file_again(tmp_path):
    path = write_csv(tmp_path / "m.csv", "ID;Name;Group\r\n" + many_rows(3000))
    plain, alone = read_source(path), read_alone(path, ["ID"])
    few, many = np.arange(0, 3000, 3), np.arange(0, 3000, 2)
    for rows in (few, many):
        pd.testing.assert_frame_equal(
            alone.whole_rows(rows), plain.frame.iloc[rows].reset_index(drop=True)
        )
        # 1,000 rows are read from their lines; 1,500 (half), with the whole file again.
        assert (alone.lines._whole is None) == (rows is few)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_is_read_whole_since_it_cannot_be_read_again(tmp_path):
    path = tmp_path / "m.csv"
    os.mkfifo(path)
    writer = threading.Thread(
        target=path.write_text, args=("ID,Gender,Email\n1,F,a@x.org\n",), daemon=True
    )
    writer.start()
    table = read_alone(path, ["ID"])
    writer.join(timeout=10)
    assert list(table.frame.columns) == ["ID", "Gender", "Email"]
    assert table.whole_rows(np.array([0]))["Email"].tolist() == ["a@x.org"]
