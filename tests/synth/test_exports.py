"""Each society's export reads back in its own format, with its own columns and labels."""

from __future__ import annotations

import numpy as np
import openpyxl
import pyreadstat
import pytest

import workforce.standard as standard
from workforce.synth.exports import acmg, ashg, nsgc

ASHG = "exports/ashg_members_2025.xlsx"
NSGC = "exports/nsgc_roster_2025.csv"
ACMG = "exports/acmg_membership_2025.sav"


def test_ashg_workbook_has_members_and_notes_sheets_with_its_own_columns(small):
    workbook = openpyxl.load_workbook(small.path(ASHG), read_only=True)
    assert workbook.sheetnames == ["Members", "Notes"]
    header = next(workbook["Members"].iter_rows(max_row=1, values_only=True))
    workbook.close()
    assert list(header) == list(ashg.COLUMNS)
    members = small.ashg()
    assert len(members) == small.rows(ASHG)
    assert set(members["Gender"].str.strip().str.lower()) >= {"female", "male"}
    assert "Academic/University" in set(members["Primary Employer Type"])
    assert "Student" in set(members["Member Type"])


def test_ashg_joins_several_races_with_semicolons(small):
    races = small.ashg()["Race/Ethnicity"]
    assert races.str.contains("; ").any()
    assert not races.str.contains(",").any()


def test_ashg_never_distinguishes_asian_from_nhpi(small, full):
    for consortium in (small, full):
        labels = consortium.ashg()["Race/Ethnicity"].str.lower()
        assert labels.str.contains("asian or pacific islander").any()
        without_coarse = labels.str.replace("asian or pacific islander", "", regex=False)
        assert not without_coarse.str.contains("asian|pacific|hawaiian").any()
        truth = consortium.csv("truth/standard_records.csv")
        codes = truth.loc[truth["org"] == "ashg", "race_ethnicity"].str.split(";").explode()
        assert "asian_or_pi" in set(codes)
        assert not {"asian", "nhpi"} & set(codes)


def test_nsgc_roster_starts_with_a_utf8_bom_and_is_cp1252_after_it(small, full):
    for consortium in (small, full):
        raw = consortium.path(NSGC).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        body = raw[3:]
        text = body.decode("cp1252")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "\r\n" in text
    assert "é".encode("cp1252") in body  # b"\xe9": "é" in cp1252, invalid alone in UTF-8
    assert "é" in text


def test_nsgc_roster_uses_its_own_columns_and_free_text_labels(full):
    roster = full.nsgc()
    assert list(roster.columns) == list(nsgc.COLUMNS)
    assert len(roster) == full.rows(NSGC)
    ethnicity = set(roster["Ethnicity"])
    for label in (
        "White/Caucasian",
        "caucasian",
        "Latinx",
        "Hispanic",
        "Asian",
        "Prefer not to say",
    ):
        assert label in ethnicity, label
    assert any(", " in value for value in ethnicity)
    assert roster["ID"].str.match(r"^\d{7}$").all()
    assert roster["Employer"].str.contains("Asunción|Clínica|Zürich|Montréal").any()


def test_acmg_sav_has_value_labels_and_a_separate_hispanic_variable(small):
    data, meta = small.acmg()
    assert list(data.columns) == list(acmg.VARIABLES)
    assert len(data) == small.rows(ACMG)
    labels = meta.variable_value_labels
    assert labels["hispanic"][1.0] == "Hispanic or Latino"
    assert labels["race"][6.0] == "More than one race"
    assert not any("middle east" in label.lower() for label in labels["race"].values())
    assert not any("hispanic" in label.lower() for label in labels["race"].values())
    assert meta.column_names_to_labels["hispanic"] == "Are you Hispanic or Latino?"
    assert {"lo": 9.0, "hi": 9.0} in meta.missing_ranges["race"]
    assert set(data["hispanic"].dropna()) <= {0.0, 1.0, 2.0, 3.0, 8.0, 9.0}


def test_acmg_user_missing_codes_become_blank_when_read_naively(small):
    naive, _ = pyreadstat.read_sav(small.path(ACMG))
    kept, _ = pyreadstat.read_sav(small.path(ACMG), user_missing=True)
    assert (kept["race"] == 9.0).any()
    assert not (naive["race"] == 9.0).any()


def test_mena_members_are_white_in_the_1997_acmg_file():
    mena = np.array([1 << 4, (1 << 4) | (1 << 6), (1 << 4) | (1 << 1)])  # mena, +white, +asian
    hispanic, race = acmg.encode_1997(mena)
    assert list(hispanic) == [2.0, 2.0, 2.0]
    assert list(race) == [5.0, 5.0, 6.0]
    assert list(acmg.race_truth(hispanic, race)) == ["white", "white", "unknown"]


def test_acmg_truth_keeps_hispanic_beside_race_and_never_guesses_several_races():
    hispanic = np.array([1.0, 1.0, 2.0, 8.0, 9.0, 1.0, 8.0, 2.0, np.nan])
    race = np.array([5.0, 6.0, 6.0, 8.0, 9.0, 9.0, 5.0, 8.0, 2.0])
    assert list(acmg.race_truth(hispanic, race)) == [
        "hispanic;white",
        "hispanic",
        "unknown",
        "declined",
        "unknown",
        "hispanic",
        "unknown",  # White, but was Hispanic in the set? Not known.
        "declined",
        "unknown",
    ]


def test_truth_rows_line_up_with_export_rows(small):
    provenance = small.csv("truth/provenance.csv")
    truth = small.csv("truth/standard_records.csv")
    assert list(provenance["record_id"]) == list(truth["record_id"])
    exported_ids = {
        "ashg": small.ashg()["Member ID"].astype(float).astype(int).astype(str),
        "nsgc": small.nsgc()["ID"],
        "acmg": small.acmg()[0]["memberid"].astype(int).astype(str),
    }
    for org, ids in exported_ids.items():
        rows = provenance[truth["org"] == org]
        assert list(rows["source_id"]) == list(ids), org
        assert list(rows["source_row"].astype(int)) == list(range(1, len(ids) + 1))


def test_clean_cells_agree_with_the_truth(full):
    """Where no dirt touched a row, each export's label says exactly what the truth says."""
    truth = full.csv("truth/standard_records.csv")
    dirt = full.csv("truth/provenance.csv")["dirt"]
    clean = truth[dirt == ""]

    members = full.ashg()
    ashg_truth = clean[clean["org"] == "ashg"]
    cells = members.iloc[ashg_truth.index.to_numpy()]
    inverse = {label: code for code, label in ashg.GENDER.items()}
    assert list(cells["Gender"].map(inverse)) == list(ashg_truth["gender"])

    roster = full.nsgc()
    offset = int((truth["org"] == "ashg").sum())
    nsgc_truth = clean[clean["org"] == "nsgc"]
    stages = roster.iloc[nsgc_truth.index.to_numpy() - offset]["Career Stage"]
    inverse = {label: code for code, label in nsgc.CAREER_STAGE.items()}
    assert list(stages.map(inverse)) == list(nsgc_truth["career_stage"])

    data, _ = full.acmg()
    offset += int((truth["org"] == "nsgc").sum())
    acmg_truth = clean[clean["org"] == "acmg"]
    codes = data.iloc[acmg_truth.index.to_numpy() - offset]["gender"]
    decoded = acmg.decode("gender", codes.to_numpy())
    assert list(decoded) == list(acmg_truth["gender"])


def test_acmg_race_truth_agrees_with_the_standard_1997_crosswalk(full):

    data, meta = full.acmg()
    labels = meta.variable_value_labels
    hispanic = data["hispanic"].map(labels["hispanic"]).fillna("")
    race = data["race"].map(labels["race"]).fillna("")
    crosswalked = standard.from_omb1997(hispanic, race)
    expected = acmg.race_truth(data["hispanic"].to_numpy(), data["race"].to_numpy())
    assert list(crosswalked) == list(expected)


SINGLE_LABEL_COLUMNS = {
    "ashg": {
        "Gender": "gender",
        "Member Type": "career_stage",
        "Primary Employer Type": "sector",
        "Primary Role": "role",
    },
    "nsgc": {
        "Gender Identity": "gender",
        "Career Stage": "career_stage",
        "Practice Setting": "sector",
        "Primary Role": "role",
    },
}


def test_labels_the_standard_knows_mean_what_the_truth_says(full):
    """Where the standard's synonym table is certain about a label, the truth agrees."""

    truth = full.csv("truth/standard_records.csv")
    exports = {"ashg": full.ashg(), "nsgc": full.nsgc()}
    offsets = {"ashg": 0, "nsgc": int((truth["org"] == "ashg").sum())}
    disagreements = set()
    for org, columns in SINGLE_LABEL_COLUMNS.items():
        rows = truth.iloc[offsets[org] : offsets[org] + len(exports[org])].reset_index(drop=True)
        for column, dimension in columns.items():
            pairs = set(zip(exports[org][column], rows[dimension], strict=True))
            for label, code in pairs:
                matched = standard.match_label(dimension, label)
                if matched is not None and matched != code:
                    disagreements.add((org, column, label, code, matched))
    assert not disagreements
