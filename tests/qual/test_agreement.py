"""Agreement between coders: hand-computed cases, an independent alpha, and the pitfall of
uncoded text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.qual.agreement import ALL_TEXT, CODED, agreement, cohens_kappa, nominal_alpha
from workforce.qual.codings import Coding, QualError, coverage


def by_basis(results, code="belonging"):
    return {r.basis: r for r in results if r.code == code}


def two_coders_on_ten_characters():
    """Ann codes characters 0-4 and Ben 2-6 of a 10-character source."""
    return [Coding("s1", "ann", "belonging", 0, 5), Coding("s1", "ben", "belonging", 2, 7)]


def test_kappa_and_alpha_over_all_text_match_the_hand_computation():
    # Both 3 (2-4), Ann only 2 (0-1), Ben only 2 (5-6), neither 3 (7-9):
    # p_o = 6/10; p_e = .5·.5 + .5·.5 = .5; kappa = (.6 − .5)/(1 − .5) = .2.
    # Alpha: 20 values, ten 1s and ten 0s; 4 disagreeing units give 8 ordered pairs;
    # alpha = 1 − (20 − 1)·8 / (2·10·10) = .24.
    result = by_basis(agreement(two_coders_on_ten_characters(), {"s1": 10}))[ALL_TEXT]
    assert result.units == 10
    assert result.percent == pytest.approx(0.6)
    assert result.kappa == pytest.approx(0.2)
    assert result.alpha == pytest.approx(0.24)


def test_uncoded_text_inflates_agreement_which_the_coded_basis_shows():
    # Only the 7 characters someone coded: p_o = 3/7, each coder's rate 5/7,
    # p_e = 25/49 + 4/49 = 29/49, kappa = (21/49 − 29/49)/(20/49) = −.4.
    results = by_basis(agreement(two_coders_on_ten_characters(), {"s1": 10}))
    coded = results[CODED]
    assert coded.units == 7
    assert coded.percent == pytest.approx(3 / 7)
    assert coded.kappa == pytest.approx(-0.4)
    assert coded.percent < results[ALL_TEXT].percent
    # A long uncoded stretch lifts the all-text figure toward 1 and leaves the other alone.
    longer = by_basis(agreement(two_coders_on_ten_characters(), {"s1": 10_000}))
    assert longer[ALL_TEXT].percent > 0.999
    assert longer[CODED].percent == pytest.approx(3 / 7)


def test_identical_codings_agree_perfectly():
    codings = [Coding("s1", coder, "respect", 3, 9) for coder in ("ann", "ben", "cy")]
    result = by_basis(agreement(codings, {"s1": 20}), "respect")[ALL_TEXT]
    assert result.percent == 1.0 and result.alpha == pytest.approx(1.0)
    assert result.kappa is None  # three coders: Cohen's kappa is for two


def test_a_code_only_one_coder_used_disagrees_completely_on_the_coded_basis():
    codings = [Coding("s1", "ann", "voice", 0, 4), Coding("s1", "ben", "belonging", 0, 4)]
    coded = by_basis(agreement(codings, {"s1": 8}), "voice")[CODED]
    assert coded.units == 4 and coded.percent == 0.0
    # p_o = 0 and p_e = 1·0 + 0·1 = 0: kappa 0. Alpha: eight values, four of each, four
    # disagreeing units (8 ordered pairs): 1 − (8 − 1)·8 / (2·4·4) = −0.75, worse than chance.
    assert coded.kappa == 0.0
    assert coded.alpha == pytest.approx(-0.75)


def test_overlapping_passages_of_one_coder_count_once():
    codings = [Coding("s1", "ann", "c", 0, 4), Coding("s1", "ann", "c", 2, 6)]
    assert coverage(codings, 8, ["ann"]).tolist() == [[True] * 6 + [False] * 2]


def test_a_source_nobody_coded_still_counts_as_text():
    results = by_basis(agreement(two_coders_on_ten_characters(), {"s1": 10, "s2": 10}))
    assert results[ALL_TEXT].units == 20 and results[CODED].units == 7


def test_bad_offsets_are_named_with_source_coder_and_code():
    codings = [Coding("s1", "ann", "belonging", 5, 12), Coding("s9", "ben", "respect", 0, 1)]
    with pytest.raises(QualError) as error:
        agreement(codings, {"s1": 10})
    message = str(error.value)
    assert "source 's1', coder 'ann', code 'belonging', characters 5-12" in message
    assert "≤ 10 (the source's length)" in message
    assert "source 's9', coder 'ben', code 'respect', characters 0-1: no such source" in message


def test_agreement_needs_two_coders():
    with pytest.raises(QualError, match="at least two coders"):
        agreement([Coding("s1", "ann", "c", 0, 1)], {"s1": 5})


def alpha_by_hand(units: np.ndarray) -> float:
    """Krippendorff's nominal alpha from the coincidence matrix, written apart."""
    coders, n_units = units.shape
    o = np.zeros((2, 2))
    for u in range(n_units):
        values = units[:, u].astype(int)
        for i in range(coders):
            for j in range(coders):
                if i != j:
                    o[values[i], values[j]] += 1 / (coders - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    observed = o[0, 1] + o[1, 0]
    expected = 2 * n_c[0] * n_c[1] / (n - 1)
    return 1 - observed / expected


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.integers(5, 40), st.integers(0, 10_000))
def test_alpha_matches_an_independent_computation(coders, n_units, seed):
    import krippendorff

    units = np.random.default_rng(seed).random((coders, n_units)) < 0.4
    value = nominal_alpha(units)
    if units.all() or not units.any():
        assert value is None
    else:
        assert value == pytest.approx(alpha_by_hand(units), abs=1e-9)
        assert value == pytest.approx(krippendorff.alpha(
            reliability_data=units.astype(float), level_of_measurement="nominal"), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 60), st.integers(0, 10_000))
def test_kappa_matches_the_two_by_two_table(n_units, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n_units) < 0.5, rng.random(n_units) < 0.3
    table = np.array([[np.sum(~a & ~b), np.sum(~a & b)], [np.sum(a & ~b), np.sum(a & b)]])
    p_o = np.trace(table) / n_units
    p_e = (table.sum(1) * table.sum(0)).sum() / n_units**2
    expected = None if p_e == 1 else (p_o - p_e) / (1 - p_e)
    assert cohens_kappa(a, b) == (pytest.approx(expected) if expected is not None else None)


# -- the command line ----------------------------------------------------------------------------


def write_project(tmp_path, codings_text: str):
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "s1.txt").write_text("I belong here, mostly.", encoding="utf-8")
    path = tmp_path / "codings.csv"
    path.write_text(codings_text, encoding="utf-8")
    return path, texts


def test_the_agreement_command_prints_both_bases(tmp_path):
    import json

    from typer.testing import CliRunner

    from workforce.cli import app

    path, texts = write_project(
        tmp_path, "source,coder,code,start,end\ns1,ann,belonging,0,13\ns1,ben,belonging,2,13\n")
    result = CliRunner().invoke(app, ["qual", "agreement", str(path), "--texts", str(texts),
                                      "--json"])
    assert result.exit_code == 0, result.output
    figures = {r["basis"]: r for r in json.loads(result.output)}
    assert figures["all_text"]["units"] == 22 and figures["coded"]["units"] == 13
    assert figures["coded"]["percent"] == pytest.approx(11 / 13)
    assert figures["coded"]["unit"].startswith("each character that at least one coder")


def test_the_agreement_command_names_a_bad_offset_by_file_line_and_column(tmp_path):
    from typer.testing import CliRunner

    from workforce.cli import app

    path, texts = write_project(
        tmp_path, "source,coder,code,start,end\ns1,ann,belonging,0,13\ns1,ben,belonging,two,13\n")
    result = CliRunner().invoke(app, ["qual", "agreement", str(path), "--texts", str(texts)])
    assert result.exit_code == 2
    assert "codings.csv: line 3, column start: 'two' is not a whole number" in result.output


def test_the_coded_basis_counts_text_coded_with_another_code_as_a_shared_no():
    # Characters 0-9 coded "pay" by both; "respect" by Ann on 0-4 only. On the coded basis the
    # ten coded characters are the units for "respect": agreement 5/10, and the five where
    # both said "not respect" are agreement, not dropped.
    codings = [Coding("s1", "ann", "pay", 0, 10), Coding("s1", "ben", "pay", 0, 10),
               Coding("s1", "ann", "respect", 0, 5)]
    coded = by_basis(agreement(codings, {"s1": 30}), "respect")[CODED]
    assert coded.units == 10 and coded.percent == pytest.approx(0.5)
    # p_o = .5; rates .5 and 0: p_e = .5·0 + .5·1 = .5; kappa 0.
    assert coded.kappa == pytest.approx(0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.sampled_from(["ann", "ben"]),
                          st.sampled_from(["pay", "respect"]), st.integers(0, 29),
                          st.integers(1, 12)), min_size=1, max_size=25))
def test_figures_over_several_sources_equal_those_of_each_source_laid_end_to_end(drawn):
    import krippendorff

    lengths = {"s1": 30, "s2": 17, "s3": 41}
    codings = [Coding(s, coder, code, min(start, lengths[s] - 1),
                      min(start + width, lengths[s])) for s, coder, code, start, width in drawn]
    coders = ["ann", "ben"]
    results = agreement(codings, lengths, coders=coders)
    anywhere = np.concatenate([coverage([c for c in codings if c.source == s], n, coders)
                               .any(axis=0) for s, n in sorted(lengths.items())])
    for result in results:
        matrix = np.concatenate([
            coverage([c for c in codings if c.source == s and c.code == result.code], n, coders)
            for s, n in sorted(lengths.items())], axis=1)
        units = matrix if result.basis == ALL_TEXT else matrix[:, anywhere]
        assert result.units == units.shape[1]
        assert result.percent == pytest.approx(
            float((units.all(axis=0) | ~units.any(axis=0)).mean()))
        if result.alpha is not None:
            assert result.alpha == pytest.approx(krippendorff.alpha(
                reliability_data=units.astype(float), level_of_measurement="nominal"))
