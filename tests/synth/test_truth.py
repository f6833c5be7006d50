"""The ground truth speaks the standard: codes, sorted multi-selects, honest unknowns."""

from __future__ import annotations

import re

import workforce.standard as standard
from workforce.synth import codes

COUNTRY = re.compile(r"^[A-Z]{2}$")


def test_truth_has_the_standard_record_columns_in_order(small):
    truth = small.csv("truth/standard_records.csv")
    assert list(truth.columns) == list(codes.RECORD_COLUMNS)
    assert truth["record_id"].is_unique
    assert set(truth["org"]) == {"ashg", "nsgc", "acmg"}
    assert set(truth["year"]) == {"2025"}


def test_truth_records_use_only_standard_codes(full):
    """Checked against the code lists of STANDARD.md mirrored in `workforce.synth.codes`."""
    truth = full.csv("truth/standard_records.csv")
    for column, allowed in codes.SINGLE_VALUED.items():
        values = set(truth[column])
        if column == "us_region":
            values.discard("")
        assert values <= set(allowed), (column, values - set(allowed))
    races = set(truth["race_ethnicity"].str.split(";").explode())
    assert races <= set(codes.RACE_CODES)
    details = set(truth["race_ethnicity_detail"].str.split(";").explode()) - {""}
    allowed_details = {f"{p}.{s}" for p, subs in codes.RACE_DETAIL.items() for s in subs}
    assert details <= allowed_details
    assert details  # the NSGC roster reveals some subgroups
    country = truth["country"]
    assert (country.str.match(COUNTRY) | (country == "unknown")).all()


def test_truth_records_pass_the_standard_validator(full):

    truth = full.csv("truth/standard_records.csv")
    violations = standard.validate_records(truth)
    assert violations == [], violations[:10]


def test_multi_select_values_are_sorted_and_semicolon_joined(full):
    truth = full.csv("truth/standard_records.csv")
    for column in ("race_ethnicity", "race_ethnicity_detail"):
        for value in truth[column].unique():
            parts = value.split(";") if value else []
            assert parts == sorted(set(parts)), (column, value)
    multi = truth["race_ethnicity"].str.split(";").str.len() > 1
    assert multi.any()
    alone = truth.loc[multi, "race_ethnicity"].str.split(";").explode()
    assert not alone.isin(["declined", "unknown"]).any()


def test_details_sit_under_a_selected_category(full):
    truth = full.csv("truth/standard_records.csv")
    with_detail = truth[truth["race_ethnicity_detail"] != ""]
    for race, detail in zip(
        with_detail["race_ethnicity"], with_detail["race_ethnicity_detail"], strict=True
    ):
        parents = {code.split(".")[0] for code in detail.split(";")}
        assert parents <= set(race.split(";")), (race, detail)


def test_what_an_export_cannot_tell_is_unknown(full):
    truth = full.csv("truth/standard_records.csv")
    for column in (
        "citizenship",
        "sexual_orientation",
        "intersex",
        *codes.WG_DOMAINS,
        *codes.DIS_ITEMS,
    ):
        assert set(truth[column]) == {"unknown"}, column
    transgender = truth.groupby("org")["transgender"].apply(set)
    assert transgender["ashg"] == {"unknown"} and transgender["acmg"] == {"unknown"}
    assert transgender["nsgc"] == {"unknown", "yes"}  # "Transgender woman" says so
    disability = truth.groupby("org")["disability_self"].apply(set)
    assert disability["acmg"] >= {"yes", "no", "declined", "unknown"}
    assert disability["ashg"] == {"unknown"}
    acmg = truth[truth["org"] == "acmg"]
    assert not acmg["race_ethnicity"].str.contains("mena").any()
    nsgc = truth[truth["org"] == "nsgc"]
    assert nsgc["race_ethnicity"].str.contains("mena").any()


def test_us_region_is_blank_only_outside_the_us(full):
    truth = full.csv("truth/standard_records.csv")
    blank = truth["us_region"] == ""
    assert (truth.loc[blank, "country"] != "US").all()
    assert (truth.loc[truth["country"] == "US", "us_region"] != "").all()
    assert truth["person_key"].str.fullmatch(r"[0-9a-f]{16}").all()
