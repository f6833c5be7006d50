"""Later survey waves: the same members asked again, with a known change or none at all."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.cli import app
from workforce.synth import codes, generate
from workforce.synth.files import write_csv
from workforce.synth.survey import draw_responses
from workforce.synth.waves import (
    ALL_DERIVED_ITEMS,
    GROUPS,
    WaveChange,
    WaveFiles,
    demo_changes,
    draw_demo_waves,
    draw_wave,
    expected_answers,
    expected_shares,
    load_base,
)

SCALE, SEED = 0.5, 2025
DEMO_CHANGE = WaveChange(climate_shifts={"urm": 0.5})
CLIMATE_ITEMS = [item for item, (source, _) in ALL_DERIVED_ITEMS.items() if "_agree" in item]
HARASSMENT_ITEMS = [item for item in ALL_DERIVED_ITEMS if item not in CLIMATE_ITEMS]


def checksums(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def read(directory: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(directory / relative, dtype=str, keep_default_na=False)


def urm_belonging(responses: pd.DataFrame) -> tuple[float, float]:
    """Unweighted share agreeing they belong among URM respondents who answered, and its SE."""
    races = responses["race_ethnicity"].str.split(";")
    urm = races.apply(lambda answer: bool(set(answer) & set(codes.URM_NIH)))
    answered = responses.loc[urm & (responses["climate_belonging"] != "declined")]
    share = float(answered["climate_belonging"].isin(["4", "5"]).mean())
    return share, float(np.sqrt(share * (1 - share) / len(answered)))


@dataclass
class Drawn:
    directory: Path
    before: dict[str, str]
    waves: dict[int, WaveFiles]

    def responses(self, year: int) -> pd.DataFrame:
        if year == SEED:
            return read(self.directory, "survey/responses.csv")
        return read(self.directory, f"survey/waves/{year}/responses.csv")


@pytest.fixture(scope="module")
def consortium(tmp_path_factory) -> Path:
    """A pristine base consortium at scale 0.5 (about 8,300 members); copied, never drawn in."""
    directory = tmp_path_factory.mktemp("waves_base") / "synth"
    generate(directory, scale=SCALE, seed=SEED)
    return directory


@pytest.fixture(scope="module")
def drawn(consortium, tmp_path_factory) -> Drawn:
    """The demo's waves drawn into a copy: 2026 with no change, 2027 with URM climate +0.5."""
    directory = tmp_path_factory.mktemp("waves_drawn") / "synth"
    shutil.copytree(consortium, directory)
    before = checksums(directory)
    return Drawn(directory, before, {w.year: w for w in draw_demo_waves(directory)})


@pytest.fixture(scope="module")
def base_shares(consortium) -> pd.DataFrame:
    return expected_shares(consortium, None, items=ALL_DERIVED_ITEMS)


def test_demo_waves_are_a_no_change_wave_and_a_urm_climate_change():
    changes = demo_changes()
    assert changes[2026].is_none
    assert changes[2027] == DEMO_CHANGE


def test_same_seed_gives_byte_identical_wave_files(consortium, drawn, tmp_path):
    again = tmp_path / "synth"
    shutil.copytree(consortium, again)
    wave = draw_wave(again, 2027, change=DEMO_CHANGE)
    assert wave.manifest_path.read_bytes() == drawn.waves[2027].manifest_path.read_bytes()
    for entry in wave.files:
        assert (again / entry.path).read_bytes() == (drawn.directory / entry.path).read_bytes()


def test_another_seed_gives_other_answers(consortium, drawn, tmp_path):
    again = tmp_path / "synth"
    shutil.copytree(consortium, again)
    wave = draw_wave(again, 2026, seed=SEED + 1)
    assert wave.seed == SEED + 1
    assert read(again, "survey/waves/2026/responses.csv")["response_id"].tolist() != (
        drawn.responses(2026)["response_id"].tolist()
    )


def test_waves_of_different_years_differ(drawn):
    base, no_change = drawn.responses(SEED), drawn.responses(2026)
    changed = drawn.responses(2027)
    for year, wave in ((2026, no_change), (2027, changed)):
        assert list(wave.columns) == list(base.columns)
        assert set(wave["wave"]) == {str(year)}
        assert wave["submitted_on"].str.startswith(f"{year}-").all()
        assert not set(wave["response_id"]) & set(base["response_id"])
    # Fresh, independent answers: different respondents, different climate answers.
    assert len({len(base), len(no_change), len(changed)}) == 3
    respondents = {
        year: set(read(drawn.directory, path)["frame_id"])
        for year, path in (
            (SEED, "truth/survey_respondents.csv"),
            (2026, "truth/waves/2026/survey_respondents.csv"),
            (2027, "truth/waves/2027/survey_respondents.csv"),
        )
    }
    overlap = len(respondents[SEED] & respondents[2026]) / len(respondents[SEED])
    assert 0.2 < overlap < 0.6  # about the response rate: who responds again is chance


def test_wave_keeps_the_base_files_untouched(drawn):
    after = checksums(drawn.directory)
    assert {path: after[path] for path in drawn.before} == drawn.before
    added = set(after) - set(drawn.before)
    assert added and all(path.startswith(("survey/waves/", "truth/waves/")) for path in added), (
        sorted(added)
    )
    manifest = json.loads((drawn.directory / "manifest.json").read_text())
    assert all("waves" not in entry["path"] for entry in manifest["files"])


def test_wave_surveys_the_same_frame(drawn):
    frame = (drawn.directory / "survey/frame.csv").read_bytes()
    for year in (2026, 2027):
        assert (drawn.directory / f"survey/waves/{year}/frame.csv").read_bytes() == frame
        links = read(drawn.directory, f"truth/waves/{year}/survey_respondents.csv")
        ids = set(read(drawn.directory, "survey/frame.csv")["frame_id"])
        assert links["frame_id"].is_unique and set(links["frame_id"]) <= ids
        assert links["response_id"].tolist() == drawn.responses(year)["response_id"].tolist()


def test_wave_manifest_lists_checksums_change_and_seed(drawn):
    wave = drawn.waves[2027]
    manifest = json.loads(wave.manifest_path.read_text())
    assert manifest["year"] == 2027 and manifest["seed"] == SEED
    assert WaveChange.from_dict(manifest["change"]) == DEMO_CHANGE
    assert manifest["base"]["year"] == SEED and manifest["base"]["scale"] == SCALE
    assert manifest["responses"] == len(drawn.responses(2027))
    for entry in manifest["files"]:
        path = drawn.directory / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    no_change = json.loads(drawn.waves[2026].manifest_path.read_text())
    assert WaveChange.from_dict(no_change["change"]).is_none


def test_redrawn_frame_reproduces_the_base_responses(consortium, tmp_path):
    """The frame found again in the redrawn populations is the generator's, row for row."""
    base = load_base(consortium)
    responses = draw_responses(
        base.profiles, base.populations, base.frame, seed=base.seed, year=base.year
    )
    write_csv(tmp_path / "responses.csv", responses.columns)
    assert (tmp_path / "responses.csv").read_bytes() == (
        consortium / "survey/responses.csv"
    ).read_bytes()


def test_base_truth_is_the_demo_truth(consortium):
    from workforce.demo import DERIVED_ITEMS, frame_truth

    truth = frame_truth(consortium, read(consortium, "survey/frame.csv"))
    base = load_base(consortium)
    expected = expected_answers(
        base.profiles, base.groups(), base.attribute("private"), items=DERIVED_ITEMS
    )
    for column in expected.columns:
        np.testing.assert_allclose(truth[column].to_numpy(float), expected[column], atol=1e-12)


def test_wave_without_change_has_the_same_true_shares(drawn, base_shares):
    pd.testing.assert_frame_equal(
        expected_shares(drawn.directory, 2026, items=ALL_DERIVED_ITEMS), base_shares
    )
    pd.testing.assert_frame_equal(
        expected_shares(drawn.directory, WaveChange(response_rate=1.2), items=ALL_DERIVED_ITEMS),
        base_shares,
    )


def test_change_moves_the_true_share_by_the_computed_amount(consortium, drawn, base_shares):
    changed = expected_shares(drawn.directory, 2027, items=ALL_DERIVED_ITEMS)
    moved = changed - base_shares
    # URM members' belonging: a clearly detectable rise of about 15 points.
    assert 0.13 < moved.loc["urm", "belonging_agree"] < 0.18
    # One latent score drives every climate item, so all five move alike; harassment stays.
    for item in CLIMATE_ITEMS:
        assert moved.loc["urm", item] == pytest.approx(moved.loc["urm", "belonging_agree"])
    assert (moved[HARASSMENT_ITEMS] == 0).all().all()
    # Other groups move only through their URM members.
    assert 0 < moved.loc["all", "belonging_agree"] < moved.loc["urm", "belonging_agree"]

    # The same truth member by member, from the model written out by hand.
    base = load_base(consortium)
    groups = base.groups()
    private = base.attribute("private").astype(bool)
    profiles = base.profiles
    climate = profiles["survey"]["climate"]
    latent = sum(shift * groups[group] for group, shift in climate["shifts"].items())
    latent = latent + 0.5 * groups["urm"]
    cdf = np.vectorize(NormalDist().cdf)
    yes = 1 - cdf(climate["cutpoints"][2] - climate["loading"] * latent)
    answers = 1 - np.where(private, 0.3, climate["declined"])
    urm = groups["urm"]
    by_hand = np.sum((answers * yes)[urm]) / np.sum(answers[urm])
    assert changed.loc["urm", "belonging_agree"] == pytest.approx(by_hand, abs=1e-12)


def test_drawn_responses_move_with_the_true_change(drawn, base_shares):
    true_change = (
        expected_shares(drawn.directory, 2027).loc["urm", "belonging_agree"]
        - base_shares.loc["urm", "belonging_agree"]
    )
    before, se_before = urm_belonging(drawn.responses(SEED))
    after, se_after = urm_belonging(drawn.responses(2027))
    se = np.hypot(se_before, se_after)
    assert abs((after - before) - true_change) < 4 * se
    assert after - before > 2 * se  # detectable, even at half scale


def test_no_change_wave_differs_from_the_base_only_by_noise(drawn):
    before, se_before = urm_belonging(drawn.responses(SEED))
    after, se_after = urm_belonging(drawn.responses(2026))
    assert after != before
    assert abs(after - before) < 4 * np.hypot(se_before, se_after)


def test_harassment_shift_moves_only_harassment(consortium, base_shares):
    change = WaveChange(harassment_shifts={"woman": -0.4})
    moved = expected_shares(consortium, change, items=ALL_DERIVED_ITEMS) - base_shares
    assert (moved.loc["woman", HARASSMENT_ITEMS] < 0).all()
    assert moved.loc["woman", "sexist_remarks_any"] < -0.05
    assert (moved[CLIMATE_ITEMS] == 0).all().all()


def test_response_rate_multiplier_changes_who_responds_not_the_truth(consortium, tmp_path):
    directory = tmp_path / "synth"
    shutil.copytree(consortium, directory)
    wave = draw_wave(directory, 2028, change=WaveChange(response_rate=1.5))
    base = len(read(consortium, "survey/responses.csv"))
    assert wave.responses / wave.frame_members == pytest.approx(1.5 * 0.325, abs=0.03)
    assert wave.responses > base


def test_wave_change_refuses_what_the_model_does_not_have(consortium):
    with pytest.raises(ValueError, match="unknown group"):
        WaveChange(climate_shifts={"men": 0.5})
    with pytest.raises(ValueError, match="positive"):
        WaveChange(response_rate=0)
    with pytest.raises(ValueError, match="not a probability"):
        WaveChange(response_rate=4).apply(load_base(consortium).profiles)
    with pytest.raises(ValueError, match="after"):
        draw_wave(consortium, SEED)
    assert set(GROUPS) == set(load_base(consortium).profiles["survey"]["climate"]["shifts"])
    assert WaveChange(climate_shifts={"urm": 0.0}).is_none
    assert hash(DEMO_CHANGE) == hash(WaveChange(climate_shifts={"urm": 0.5}))


def test_cli_writes_the_wave(consortium, tmp_path):
    directory = tmp_path / "synth"
    shutil.copytree(consortium, directory)
    result = CliRunner().invoke(
        app,
        [
            "synth-wave",
            "--from",
            str(directory),
            "--year",
            "2027",
            "--climate-shift",
            "urm=0.5",
            "--harassment-shift",
            "woman=-0.4",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((directory / "survey/waves/2027/manifest.json").read_text())
    assert manifest["change"]["climate_shifts"] == {"urm": 0.5}
    assert manifest["change"]["harassment_shifts"] == {"woman": -0.4}
    for entry in manifest["files"]:
        assert (directory / entry["path"]).is_file()
    bad = CliRunner().invoke(
        app, ["synth-wave", "--from", str(directory), "--year", "2028", "--climate-shift", "x=1"]
    )
    assert bad.exit_code == 2
