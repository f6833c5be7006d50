"""The synthetic focus groups: same seed, same bytes; transcripts that read back with every
speaker known; codings that hold the sentences they claim; coders who disagree plausibly."""

from __future__ import annotations

import hashlib
from collections import Counter

import pandas as pd
import pytest

from workforce.qual.agreement import ALL_TEXT, CODED, agreement
from workforce.qual.deidentify import find_identifiers
from workforce.synth.focus_groups import CODERS, GROUPS, MODERATOR, write_focus_groups

SEED = 3


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_focus_groups(tmp_path_factory.mktemp("focus_groups"), seed=SEED)


@pytest.fixture(scope="module")
def project(files):
    return files.project()


def _digests(directory):
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_words(files, tmp_path):
    again = write_focus_groups(tmp_path / "again", seed=SEED)
    other = write_focus_groups(tmp_path / "other", seed=SEED + 1)
    first, second = _digests(files.directory), _digests(again.directory)
    assert len(first) == 11  # six transcripts, participants, identifying, codebook, truth, codings
    assert first == second
    different = _digests(other.directory)
    assert all(first[name] != different[name] for name in first if name.startswith("transcripts"))


def test_six_groups_of_five_to_eight_in_every_format(files, project):
    assert len(files.groups) == 6
    sizes = Counter(p.group for p in project.participants)
    assert set(sizes) == set(files.groups)
    assert all(5 <= n <= 8 for n in sizes.values())
    formats = Counter(path.suffix for path in files.transcripts.values())
    assert formats == {".txt": 3, ".vtt": 1, ".srt": 1, ".docx": 1}


def test_one_group_is_small_only_once_grouped_by_career_stage(project):
    stages = Counter(p.attributes["career_stage"] for p in project.participants)
    assert stages["student"] == 3
    assert all(n >= 5 for stage, n in stages.items() if stage != "student")


def test_every_speaker_of_every_transcript_is_a_participant_of_its_group(project):
    group_of = {p.id: p.group for p in project.participants}
    spoke = set()
    for source in project.sources:
        for turn in source.turns:
            if turn.speaker == MODERATOR:
                assert turn.participant == ""
            else:
                assert group_of.get(turn.participant) == source.group, turn.speaker
                spoke.add(turn.participant)
    assert spoke == set(group_of)


def test_the_truth_is_the_text_at_its_offsets(files, project):
    truth = pd.read_csv(files.truth, dtype={"text": str}, keep_default_na=False)
    texts = {s.id: s.text for s in project.sources}
    assert len(truth) > 150
    for row in truth.itertuples():
        assert texts[row.source][row.start:row.end] == row.text
    assert set(truth["code"]) == {c.id for c in project.codes if c.codable}


def test_each_coded_passage_holds_the_themed_sentence_it_claims(files, project):
    truth = pd.read_csv(files.truth, keep_default_na=False)
    by_source = {s: list(rows.itertuples()) for s, rows in truth.groupby("source")}
    lengths = project.lengths()
    claimed = spurious = 0
    for coding in project.codings:
        assert 0 <= coding.start < coding.end <= lengths[coding.source]
        sentences = [t for t in by_source[coding.source] if t.code == coding.code
                     and t.start < coding.end and coding.start < t.end]
        if not sentences:
            spurious += 1  # coder B's additions and coder A's rare slips
            continue
        claimed += 1
        assert all(coding.start <= t.start and t.end <= coding.end for t in sentences)
    assert spurious < 0.12 * (claimed + spurious)
    # Coder A found nearly every themed sentence.
    found = sum(any(c.coder == CODERS[0] and c.source == t.source and c.code == t.code
                    and c.start == t.start and c.end == t.end for c in project.codings)
                for t in truth.itertuples())
    assert found >= 0.88 * len(truth)


def test_the_coders_agree_as_people_do(project):
    # On the coded basis (characters anyone coded), as methods sections report it; all text
    # is barely higher here, since most of a transcript is coded.
    results = agreement(project.codings, project.lengths())
    coded = {r.code: r.kappa for r in results if r.basis == CODED}
    assert len(coded) == 10
    assert all(0.5 <= k <= 0.9 for k in coded.values()), coded
    assert all(r.kappa >= coded[r.code] for r in results if r.basis == ALL_TEXT)


def test_names_places_institutions_and_contacts_are_left_in_the_raw_text(files, project):
    identifying = files.identifying_list()
    found = [(source, i) for source in project.sources
             for i in find_identifiers(source.text, identifying)]
    assert {i.kind for _, i in found} == {"name", "institution", "place", "email", "phone"}
    # Every speaker label is a name, and colleagues are named inside turns too.
    labels = {(s.id, t.start) for s in project.sources for t in s.turns
              if t.speaker != MODERATOR}
    names = {(s.id, i.start) for s, i in found if i.kind == "name"}
    assert labels <= names
    assert len(names - labels) >= 6
    # An alias (a nickname) is used now and then, as people do.
    parts = {part for names in identifying.names.values() for part in names[0].split()}
    assert any(i.kind == "name" and i.value not in parts for _, i in found)


def test_every_group_plan_fits_its_size():
    for plan in GROUPS:
        assert len(plan.career_stage) == len(plan.sector) == len(plan.role)
