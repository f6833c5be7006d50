"""The saved mappings of the three synthetic societies reproduce the truth, record by record.

Each export is ingested with its society's saved mapping and compared with
`truth/standard_records.csv` row by row (through the source row). Every column must match
except `person_key` (a pseudonymous key the exports do not carry, so intake leaves it blank)
and `record_id` (intake keeps the member ID as written; the truth numbers rows, so it is
checked against `truth/provenance.csv`'s source_id instead). The rejected rows must be exactly
the unusable ones: exact duplicate copies, and every row of an ID that distinct rows share.
"""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from workforce.intake import decided_columns, ingest, load_mapping, read_columns, read_source
from workforce.intake.files import saved_mapping
from workforce.intake.mapping import undecided_values
from workforce.synth.exports import acmg, ashg, nsgc
from workforce.synth.exports.places import COUNTRY_NAMES, LOCAL_COUNTRY_NAMES

from .conftest import EXPORTS

ORGS = ("ashg", "nsgc", "acmg")


def unusable_rows(provenance: pd.DataFrame) -> set[int]:
    copies = provenance["dirt"].str.contains("exact duplicate row")
    rest = provenance[~copies]
    shared = set(rest["source_id"][rest["source_id"].duplicated(keep=False)])
    unusable = copies | provenance["source_id"].isin(shared)
    return set(provenance["source_row"][unusable].astype(int))


@pytest.fixture(scope="module", params=ORGS)
def society(request, consortium, truth):
    org = request.param
    mapping = load_mapping(saved_mapping(org))
    # As `ingest_file`, the CLI and the web read it: the mapped columns alone, the decided
    # ones as categoricals.
    table = read_source(
        consortium / EXPORTS[org],
        categorical=decided_columns(mapping),
        columns=read_columns(mapping),
    )
    result = ingest(table, mapping, year=2025)
    records, provenance = truth
    own = provenance["record_id"].str.startswith(f"{org}-")
    return (
        org,
        table,
        result,
        records[own].reset_index(drop=True),
        provenance[own].reset_index(drop=True),
    )


def test_mapped_columns_read_alone_as_categoricals_give_what_every_column_as_text_gives(
    society, consortium
):
    org, table, result, _, _ = society
    mapping = load_mapping(saved_mapping(org))
    as_text = ingest(read_source(consortium / EXPORTS[org]), mapping, year=2025)
    if org == "nsgc":  # a CSV: its decided columns were read as categoricals
        # (every column: a Windows code page after a UTF-8 mark is read whole, then decoded)
        decided = decided_columns(mapping)
        assert all(isinstance(table.frame[c].dtype, pd.CategoricalDtype) for c in decided)
    assert list(result.rejects.columns[2:]) == table.columns  # rejects are whole rows
    pd.testing.assert_frame_equal(result.records.astype(str), as_text.records.astype(str))
    pd.testing.assert_frame_equal(result.rejects.astype(str), as_text.rejects.astype(str))
    assert result.report.problems == as_text.report.problems


def test_the_saved_mapping_covers_every_value_of_the_export(society):
    org, table, *_ = society
    assert undecided_values(load_mapping(saved_mapping(org)), table.frame) == []


def test_nothing_is_lost(society):
    _, table, result, _, _ = society
    assert result.report.accepted + result.report.rejected == len(table.frame)
    assert len(result.records) + len(result.rejects) == len(table.frame)


def test_rejected_rows_are_exactly_the_unusable_ones(society):
    _, table, result, _, provenance = society
    offset = table.rows[0] - 1  # file row of data row 1, minus one
    rejected = set(result.rejects["source_row"] - offset)
    assert rejected == unusable_rows(provenance)


def test_accepted_records_equal_the_truth(society):
    _, table, result, truth_records, provenance = society
    data_rows = result.provenance["source_row"].to_numpy() - (table.rows[0] - 1)
    expected = truth_records.iloc[data_rows - 1].reset_index(drop=True)
    columns = [c for c in truth_records.columns if c not in ("record_id", "person_key")]
    actual = result.records[columns].astype(str)
    mismatched = actual.ne(expected[columns])
    assert not mismatched.any().any(), actual[mismatched.any(axis=1)].head().to_dict("records")
    source_ids = provenance["source_id"].iloc[data_rows - 1].str.removesuffix(".0")
    assert result.records["record_id"].tolist() == source_ids.tolist()


def labels(table) -> set[str]:
    found = set()
    for choice in table.values():
        found.update([choice] if isinstance(choice, str) else choice[0])
    return found


@pytest.mark.parametrize(
    "org,column,emitted",
    [
        ("ashg", "Member Type", labels(ashg.MEMBER_TYPE) | set(ashg.OUT_OF_LIST["Member Type"])),
        ("ashg", "Race/Ethnicity", labels(ashg.RACE) | set(ashg.OUT_OF_LIST["Race/Ethnicity"])),
        ("ashg", "Country", set(COUNTRY_NAMES.values()) | set(ashg.US_NAMES[0])),
        (
            "nsgc",
            "Ethnicity",
            labels(nsgc.ETHNICITY)
            | set(nsgc.OUT_OF_LIST["Ethnicity"])
            | {label for subs in nsgc.DETAIL_LABELS.values() for label in subs.values()},
        ),
        ("nsgc", "Gender Identity", labels(nsgc.GENDER_IDENTITY) | labels(nsgc.TRANSGENDER_LABELS)),
        ("nsgc", "Practice Setting", labels(nsgc.PRACTICE_SETTING)),
        (
            "nsgc",
            "Country",
            set(COUNTRY_NAMES.values())
            | set(LOCAL_COUNTRY_NAMES.values())
            | set(nsgc.US_NAMES[0])
            | set(nsgc.OUT_OF_LIST["Country"]),
        ),
        (
            "acmg",
            "race",
            {str(code) for code in acmg.CODED["race"][1]}
            | {str(code) for code in acmg.STRAY_CODES["race"]},
        ),
        (
            "acmg",
            "profrole",
            {str(code) for code in acmg.CODED["profrole"][1]}
            | {str(code) for code in acmg.STRAY_CODES["profrole"]},
        ),
    ],
)
def test_the_saved_mapping_covers_every_label_the_generator_can_emit(org, column, emitted):
    mapping = load_mapping(saved_mapping(org))
    frame = pd.DataFrame({name: [""] for name in [c.column for c in mapping.columns]})
    frame = pd.concat([frame] * len(emitted), ignore_index=True)
    frame[column] = sorted(emitted)
    assert undecided_values(mapping, frame) == []


def test_a_utf8_export_read_for_its_mapped_columns_alone_ingests_as_if_read_whole(
    consortium, tmp_path
):
    # The NSGC export in UTF-8: read in one pass, its unmapped columns (e-mail, employer)
    # parsed only for the rows shown whole, the exact duplicates among them.
    data = (consortium / EXPORTS["nsgc"]).read_bytes().removeprefix(codecs.BOM_UTF8)
    path = tmp_path / "nsgc_roster_2025.csv"
    path.write_bytes(data.decode("cp1252").encode("utf-8"))
    mapping = load_mapping(saved_mapping("nsgc"))
    mapped = read_columns(mapping)
    alone = read_source(path, categorical=decided_columns(mapping), columns=mapped)
    whole = read_source(path)
    assert list(alone.frame.columns) == [c for c in whole.frame.columns if c in mapped]
    assert alone.columns == list(whole.frame.columns)
    assert "Email Address" not in alone.frame.columns

    result, expected = (ingest(table, mapping, year=2025) for table in (alone, whole))
    pd.testing.assert_frame_equal(result.records.astype(str), expected.records.astype(str))
    pd.testing.assert_frame_equal(result.provenance.astype(str), expected.provenance.astype(str))
    pd.testing.assert_frame_equal(result.rejects, expected.rejects)
    assert result.report.problems == expected.report.problems
    assert {p.kind for p in result.report.problems} >= {"duplicate_row", "shared_id"}
