"""Analysis of coded focus groups: counts by hand, themes by group through the disclosure gate,
and quotes refused for what would identify their speaker."""

from __future__ import annotations

import importlib
import json
from collections import OrderedDict

import numpy as np
import pandas as pd
import pytest

from workforce.disclosure.table import TOTAL
from workforce.qual.analysis import (
    IDENTIFIER,
    PARTICIPANTS,
    SEVERAL_SPEAKERS,
    SMALL_GROUP,
    TOO_LONG,
    TOO_SHORT,
    check_quote,
    co_occurrence,
    code_frequencies,
    exemplary_quotes,
    theme_by_group,
)
from workforce.qual.codings import Coding, QualError
from workforce.qual.deidentify import IdentifyingList
from workforce.qual.project import OPEN_TEXT, Code, Participant, QualProject, Source, Turn

analysis_module = importlib.import_module("workforce.qual.analysis")

SAVED = "2025-01-15T00:00:00+00:00"
CODES = [Code("belonging", "Belonging"), Code("pay", "Pay"), Code("mentorship", "Mentorship")]


def transcript(source_id: str, group: str, lines: list[tuple[str, str, str]]) -> Source:
    """A source laid out as `read_transcript` lays it out: "Label: words" per line, each turn
    from its label to its line's end."""
    text, turns = "", []
    for label, participant, words in lines:
        line = f"{label}: {words}"
        turns.append(Turn(participant, label, len(text), len(text) + len(line)))
        text += line + "\n"
    return Source(source_id, text, group=group, turns=tuple(turns))


def at(source: Source, words: str) -> tuple[int, int]:
    start = source.text.index(words)
    return start, start + len(words)


def coding(source: Source, coder: str, code: str, words: str) -> Coding:
    return Coding(source.id, coder, code, *at(source, words))


def project_of(participants, sources, codings=(), codes=CODES) -> QualProject:
    project = QualProject("test", tuple(participants), tuple(sources))
    return project.with_codebook(codes, saved=SAVED).with_codings(codings)


# --- frequencies and co-occurrence ------------------------------------------------------------

ANA_SAYS = "I feel welcome here. Pay is low."
BEN_SAYS = "Nobody mentors me. I feel welcome too."


@pytest.fixture
def two_coders() -> QualProject:
    """Ann marks sentences; Ben marks Ana's whole turn as belonging, and mentorship."""
    source = transcript("fg1", "north", [("Moderator", "", "What is it like?"),
                                         ("Ana", "P1", ANA_SAYS), ("Ben", "P2", BEN_SAYS)])
    codings = [
        coding(source, "ann", "belonging", "I feel welcome here."),
        coding(source, "ann", "pay", "Pay is low."),
        coding(source, "ann", "belonging", "I feel welcome too."),
        coding(source, "ben", "belonging", ANA_SAYS),
        coding(source, "ben", "mentorship", "Nobody mentors me."),
    ]
    return project_of([Participant("P1", "north"), Participant("P2", "north")], [source],
                      codings)


def test_frequencies_of_the_union_merge_what_both_coders_marked(two_coders):
    table = code_frequencies(two_coders)
    assert table.loc["belonging"].to_dict() == {
        "codings": 3, "segments": 2, "sources": 1, "participants": 2,
        "characters": len(ANA_SAYS) + len("I feel welcome too.")}
    assert table.loc["pay"].to_dict() == {"codings": 1, "segments": 1, "sources": 1,
                                          "participants": 1, "characters": len("Pay is low.")}
    assert table.loc["mentorship", "participants"] == 1
    assert list(table.index) == ["belonging", "pay", "mentorship"]


def test_frequencies_of_one_coder_read_only_their_codings(two_coders):
    table = code_frequencies(two_coders, coder="ann")
    assert table.loc["belonging"].to_dict() == {
        "codings": 2, "segments": 2, "sources": 1, "participants": 2,
        "characters": len("I feel welcome here.") + len("I feel welcome too.")}
    assert table.loc["mentorship"].tolist() == [0, 0, 0, 0, 0]
    with pytest.raises(QualError, match="no codings by coder 'cho'.*ann, ben"):
        code_frequencies(two_coders, coder="cho")


def test_co_occurrence_counts_turns_where_both_codes_apply(two_coders):
    matrix = co_occurrence(two_coders)
    expected = pd.DataFrame([[2, 1, 1], [1, 1, 0], [1, 0, 1]],
                            index=["belonging", "pay", "mentorship"],
                            columns=["belonging", "pay", "mentorship"])
    assert (matrix.to_numpy() == expected.to_numpy()).all()
    assert co_occurrence(two_coders, coder="ben").loc["belonging", "pay"] == 0


def test_an_open_text_answer_without_turns_is_its_respondent_s():
    answer = Source("resp-17", "The pay is not enough to live on.", kind=OPEN_TEXT)
    project = project_of([Participant("R17", "wave1", response="resp-17")], [answer],
                         [Coding("resp-17", "ann", "pay", 4, 7)])
    assert code_frequencies(project).loc["pay", "participants"] == 1


# --- themes by group --------------------------------------------------------------------------

def groups_project(sizes: dict[str, int], raised: dict[str, dict[str, int]],
                   attributes=None) -> QualProject:
    """Participants in focus groups of the given sizes; in each group, the first n raise a code
    (one sentence each, coded by one coder)."""
    participants, sources, codings = [], [], []
    for group, size in sizes.items():
        ids = [f"{group}{i}" for i in range(size)]
        for pid in ids:
            participants.append(Participant(pid, group, (attributes or {}).get(pid, {})))
        source = transcript(group, group, [(pid, pid, f"I am {pid} and I have a view.")
                                           for pid in ids])
        sources.append(source)
        for code, counts in raised.items():
            for pid in ids[:counts.get(group, 0)]:
                codings.append(coding(source, "ann", code, f"I am {pid} and"))
    return project_of(participants, sources, codings)


def test_large_groups_are_published_with_their_shares():
    project = groups_project({"a": 10, "b": 12}, {"pay": {"a": 10, "b": 6}})
    matrix = theme_by_group(project, by="group", codes=["pay"])
    assert matrix.publishable
    assert matrix.counts.loc[PARTICIPANTS].tolist() == [10, 12, 22]
    assert matrix.counts.loc["pay"].tolist() == [10, 6, 16]
    assert matrix.shares.loc["pay"].tolist() == pytest.approx([1.0, 0.5, 16 / 22])
    assert set(matrix.status.to_numpy().ravel()) == {"published"}
    shown = json.loads(json.dumps(matrix.as_dict(), allow_nan=False))
    assert shown["passed"] and {"code": "pay", "group": "b", "count": 6, "share": 0.5,
                                "status": "published"} in shown["cells"]


def test_a_group_of_three_is_suppressed_and_its_margin_does_not_give_it_back():
    project = groups_project({"north": 6, "south": 7, "east": 3},
                             {"pay": {"north": 6, "south": 7, "east": 0},
                              "belonging": {"north": 5, "south": 6, "east": 2}})
    matrix = theme_by_group(project, by="group")
    assert matrix.publishable  # the gate's attacker audit passed
    assert matrix.small_groups == ("east",)
    base = matrix.counts.loc[PARTICIPANTS]
    assert base["east"] is None and matrix.status.at[PARTICIPANTS, "east"] == "primary"
    # Subtracting the groups shown from the total does not give it back: the total or a
    # second group is hidden too, and no attacker (outsider, member, another focus group
    # knowing its own counts) can narrow it to within 5 of its true size.
    hidden = [g for g in ("north", "south", TOTAL) if base[g] is None]
    assert TOTAL in hidden or len(hidden) >= 2
    intervals = [i for i in matrix.gate.audit.intervals if i.cell == base_cell(matrix, "east")]
    assert {i.attacker for i in intervals} >= {"outsider", "group north (knows its own cells)"}
    assert all(i.protected and i.high >= 3 + 5 for i in intervals)
    # Nothing of the small group is shown on its own, not even a zero.
    assert matrix.counts.loc[["pay", "belonging", "mentorship"], "east"].isna().all()
    assert matrix.status.at["mentorship", "east"] == "primary"
    assert matrix.shares.loc[:, "east"].isna().all()
    # What is shown is the true count.
    assert matrix.counts.at["pay", "south"] in (7, None)


def test_the_same_theme_table_is_gated_once_and_a_new_coding_gates_it_again(monkeypatch):
    """The analysis page asks for the table on every view and again for its CSV: the gate's
    result for the same tables and settings is kept, anything new asks again."""
    asked = []
    real = analysis_module.protect_tables

    def counting(*args, **kwargs):
        asked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis_module, "protect_tables", counting)
    monkeypatch.setattr(analysis_module, "_REMEMBERED", OrderedDict())
    raised = {"pay": {"north": 6, "south": 4, "east": 1}}
    project = groups_project({"north": 6, "south": 7, "east": 3}, raised)
    first = theme_by_group(project, by="group")
    again = theme_by_group(project, by="group")
    assert len(asked) == 1
    assert again.counts.equals(first.counts) and again.status.equals(first.status)
    theme_by_group(project, by="group", threshold=3)
    assert len(asked) == 2
    raised["pay"]["south"] = 5
    changed = theme_by_group(groups_project({"north": 6, "south": 7, "east": 3}, raised),
                             by="group")
    assert len(asked) == 3
    assert not np.array_equal(changed.gate.space.value_array(), first.gate.space.value_array())


def base_cell(matrix, group: str) -> int:
    space = matrix.gate.space
    return space.index[tuple(group if d == "group" else TOTAL for d in space.dimensions)]


def test_a_group_small_only_by_attribute_is_suppressed_by_that_attribute():
    stages = {f"a{i}": {"career_stage": "student" if i < 3 else "early"} for i in range(8)}
    stages |= {f"b{i}": {"career_stage": "mid"} for i in range(8)}
    project = groups_project({"a": 8, "b": 8}, {"pay": {"a": 8, "b": 0}}, stages)
    by_group = theme_by_group(project, by="group", codes=["pay"])
    assert by_group.small_groups == ()
    by_stage = theme_by_group(project, by="career_stage", codes=["pay"])
    assert by_stage.small_groups == ("student",)
    assert by_stage.counts.at[PARTICIPANTS, "student"] is None
    assert by_stage.counts.at["pay", "student"] is None
    assert by_stage.publishable


def test_an_attribute_nobody_has_is_named():
    project = groups_project({"a": 5}, {"pay": {"a": 5}})
    with pytest.raises(QualError, match="no participant has the attribute 'sector'"):
        theme_by_group(project, by="sector")


# --- quotes -----------------------------------------------------------------------------------

GOOD = "The meetings are always scheduled when parents cannot come, so we just miss out."
NAMING = "Ana said the meetings are always scheduled when parents cannot come to them."
ONE = "I never had a mentor who looked like me in all my years of training here."
TWO = "Same for me, nobody ever offered to mentor me when I started in the lab."
TINY = "In our unit the pay is so low that half of us have a second job on weekends."
OTHER = "Our mentoring program paired me with someone who really cared about my progress."


@pytest.fixture
def quoting():
    """A focus group of six (Ana, Ben, Cyrus, Dina, Edgar, Flora) and one of three (Gus, Hal,
    Ivy)."""
    big = transcript("big", "big", [
        ("Moderator", "", "What stands out for you?"),
        ("Ana", "P1", NAMING), ("Ben", "P2", GOOD), ("Cyrus", "P3", ONE), ("Dina", "P4", TWO),
        ("Edgar", "P5", OTHER), ("Flora", "P6", "Yes."),
    ])
    small = transcript("small", "small", [("Gus", "P7", TINY), ("Hal", "P8", "Agreed."),
                                          ("Ivy", "P9", "Same.")])
    names = {"P1": ("Ana Souza",), "P2": ("Ben Okafor",), "P3": ("Cyrus Tran",),
             "P4": ("Dina Novak",), "P5": ("Edgar Moreau",), "P6": ("Flora Sato",),
             "P7": ("Gus Haddad",), "P8": ("Hal Petrov",), "P9": ("Ivy Kaur",)}
    stage = {"P1": "early", "P2": "early", "P3": "student", "P4": "early", "P5": "early",
             "P6": "early", "P7": "mid", "P8": "mid", "P9": "mid"}
    participants = [Participant(p, "big" if int(p[1:]) <= 6 else "small",
                                {"career_stage": stage[p]}) for p in names]
    identifying = IdentifyingList(names=names, institutions=("Northfield University",))
    return big, small, participants, identifying


def test_an_acceptable_quote_is_accepted(quoting):
    big, small, participants, identifying = quoting
    project = project_of(participants, [big, small])
    assert check_quote(GOOD, big, *at(big, GOOD), project, identifying) == []
    # A role tag put in place of a name is fine.
    tagged = GOOD.replace("we just", "[PARTICIPANT 3] and I")
    assert check_quote(tagged, "big", *at(big, GOOD), project, identifying) == []


def test_a_quote_naming_a_participant_by_first_name_is_refused(quoting):
    big, small, participants, identifying = quoting
    project = project_of(participants, [big, small])
    reasons = check_quote(NAMING, big, *at(big, NAMING), project, identifying)
    assert len(reasons) == 1 and "names a listed identifier (name at characters 0-3" \
        in reasons[0]
    assert "Ana" not in reasons[0]  # a reason may be shown; it never repeats the name
    at_work = GOOD.replace("The meetings", "At Northfield University the meetings")
    assert "institution" in check_quote(at_work, big, *at(big, GOOD), project,
                                        identifying)[0]


def test_a_quote_from_a_group_under_the_threshold_is_refused(quoting):
    big, small, participants, identifying = quoting
    project = project_of(participants, [big, small])
    reasons = check_quote(TINY, small, *at(small, TINY), project, identifying)
    assert reasons == ["its speaker's group is smaller than the threshold (focus group "
                       "'small': 3 participants; at least 5)"]
    assert check_quote(TINY, small, *at(small, TINY), project, identifying, threshold=3) == []
    # Shown by career stage, a student of the big group is one of a kind.
    assert "career_stage 'student': 1 participants" in check_quote(
        ONE, big, *at(big, ONE), project, identifying,
        attributed_by=("group", "career_stage"))[0]


def test_a_quote_spanning_two_speakers_is_refused(quoting):
    big, small, participants, identifying = quoting
    project = project_of(participants, [big, small])
    start, end = at(big, ONE)[0], at(big, TWO)[1]
    text = " ".join(big.text[start:end].split())
    reasons = check_quote(text, big, start, end, project, identifying)
    assert any(r.startswith("spans several speakers") for r in reasons)
    # The speaker's label is a name too.
    assert any("names a listed identifier" in r for r in reasons)


def test_a_moderator_s_words_too_short_or_too_long_are_refused(quoting):
    big, small, participants, identifying = quoting
    project = project_of(participants, [big, small])
    question = "What stands out for you?"
    assert "is not one participant's words" in check_quote(
        question, big, *at(big, question), project, identifying)[0]
    assert check_quote("Yes.", big, *at(big, "Yes."), project, identifying) == [
        "is too short (1 words; at least 6)"]
    long_text = " ".join([GOOD] * 5)
    assert check_quote(long_text, big, *at(big, GOOD), project, identifying)[0].startswith(
        "is too long (")


def test_exemplary_quotes_prefer_agreed_passages_of_other_speakers_and_say_what_was_withheld(
        quoting):
    big, small, participants, identifying = quoting
    both = [coding(big, coder, "mentorship", words) for coder in ("ann", "ben")
            for words in (NAMING, ONE, TWO)]
    both += [coding(small, coder, "mentorship", TINY) for coder in ("ann", "ben")]
    # Ann alone marks Edgar's sentence: not agreed, so tried after Dina's.
    both += [coding(big, "ann", "mentorship", OTHER)]
    project = project_of(participants, [big, small], both)
    choice = exemplary_quotes(project, identifying, per_code=2)["mentorship"]
    # Ana's passage names her and comes first in the text: tried, refused. Then Cyrus's; then,
    # for a second speaker and group, the small group's (refused), then Dina's.
    assert [q.participant for q in choice.accepted] == ["P3", "P4"]
    assert all(q.agreed and q.coders == ("ann", "ben") for q in choice.accepted)
    assert [r.quote.participant for r in choice.refused] == ["P1", "P7"]
    assert choice.withheld() == {IDENTIFIER: 1, SMALL_GROUP: 1}
    assert exemplary_quotes(project, identifying)["pay"].accepted == ()


def test_reason_kinds_are_distinct():
    assert len({IDENTIFIER, SMALL_GROUP, SEVERAL_SPEAKERS, TOO_LONG, TOO_SHORT}) == 5
