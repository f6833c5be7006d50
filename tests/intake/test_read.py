"""Reading exports: encodings, delimiters, spreadsheets with title and merged header rows,
SPSS value labels, and clear errors for files that cannot be read."""

from __future__ import annotations

import codecs
import hashlib

import pandas as pd
import pyreadstat
import pytest
import xlsxwriter

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
