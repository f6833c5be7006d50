"""Every export carries a little realistic dirt, at small rates, and the truth says where."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

NA_TOKENS = {"N/A", "n/a", "-", "NA"}


def exports(consortium) -> dict[str, pd.DataFrame]:
    data, _ = consortium.acmg()
    return {"ashg": consortium.ashg(), "nsgc": consortium.nsgc(), "acmg": data}


ID_COLUMN = {"ashg": "Member ID", "nsgc": "ID", "acmg": "memberid"}
BIRTH_COLUMN = {"ashg": "Year of Birth", "nsgc": "Birth Year", "acmg": "birthyr"}


@pytest.mark.parametrize("org", ["ashg", "nsgc", "acmg"])
def test_each_export_has_a_few_duplicate_ids(small, full, org):
    for consortium in (small, full):
        table = exports(consortium)[org]
        repeated = table[ID_COLUMN[org]].duplicated(keep="first")
        assert 2 <= repeated.sum() <= 0.02 * len(table)
        exact = table.duplicated(keep="first")
        assert 2 <= exact.sum() < repeated.sum()  # some repeats are different people


@pytest.mark.parametrize("org", ["ashg", "nsgc", "acmg"])
def test_each_export_has_a_few_impossible_birth_years(full, org):
    table = exports(full)[org]
    years = pd.to_numeric(table[BIRTH_COLUMN[org]].replace("", None), errors="coerce")
    impossible = years.isin([0, 1890, 2031])
    assert 2 <= impossible.sum() <= 0.01 * len(table)
    assert ((years > 1900) & (years < 2020)).mean() > 0.9


def test_placeholders_blanks_and_stray_spaces_appear_at_small_rates(full):
    for org, table in exports(full).items():
        text = table.select_dtypes(exclude="number").astype(str)
        cells = text.size
        placeholders = text.isin(NA_TOKENS).to_numpy().sum()
        padded = (text != text.apply(lambda column: column.str.strip())).to_numpy().sum()
        assert 0 < placeholders < 0.02 * cells, org
        assert 0 < padded < 0.02 * cells, org


def test_dirty_rows_are_named_in_the_provenance(full):
    provenance = full.csv("truth/provenance.csv")
    truth = full.csv("truth/standard_records.csv")
    roster = full.nsgc()
    offset = int((truth["org"] == "ashg").sum())
    nsgc_dirt = provenance["dirt"].iloc[offset : offset + len(roster)].reset_index(drop=True)
    placeholder_rows = roster.index[roster["Gender Identity"].isin(NA_TOKENS)]
    assert len(placeholder_rows) > 0
    for row in placeholder_rows:
        assert "na token: Gender Identity" in nsgc_dirt[row]
        assert truth["gender"].iloc[offset + row] == "unknown"
    share_with_dirt = (provenance["dirt"] != "").mean()
    assert 0.05 < share_with_dirt < 0.35


def test_values_from_no_list_become_unknown_in_the_truth(full):
    provenance = full.csv("truth/provenance.csv")
    truth = full.csv("truth/standard_records.csv")
    stray = provenance["dirt"].str.contains("out of list: Race/Ethnicity", regex=False)
    assert stray.sum() >= 1
    assert (truth.loc[stray, "race_ethnicity"] == "unknown").all()
    stray_codes = provenance["dirt"].str.contains("out of list: gender", regex=False)
    assert stray_codes.sum() >= 1
    assert (truth.loc[stray_codes, "gender"] == "unknown").all()


def test_exact_duplicates_share_a_person_key_and_sharers_do_not(full):
    provenance = full.csv("truth/provenance.csv")
    truth = full.csv("truth/standard_records.csv")
    duplicates = provenance["dirt"].str.contains("exact duplicate row", regex=False)
    sharers = provenance["dirt"].str.contains("shared id", regex=False)
    keys = truth["person_key"]
    assert keys[duplicates].isin(keys[~duplicates]).all()
    for index in provenance.index[sharers & ~duplicates]:
        same_id = (provenance["source_id"] == provenance["source_id"][index]) & (
            truth["org"] == truth["org"][index]
        )
        assert keys[same_id].nunique() >= 2


def test_acmg_stray_codes_have_no_value_label(full):
    data, meta = pyreadstat.read_sav(
        full.path("exports/acmg_membership_2025.sav"), user_missing=True
    )
    labelled = set(meta.variable_value_labels["gender"])
    unlabelled = data["gender"].dropna()[~data["gender"].dropna().isin(labelled)]
    assert 1 <= len(unlabelled) <= 0.01 * len(data)
