"""The qualitative project: references that resolve, versions that stay, a file that round-trips."""

from __future__ import annotations

import pytest

from workforce.qual.codings import Coding, QualError
from workforce.qual.project import (
    Code,
    Memo,
    Participant,
    QualProject,
    Source,
    Turn,
    load_project,
    save_project,
)

TEXT = "Moderator: Welcome.\nP1: I feel welcome here.\n"


def small_project() -> QualProject:
    project = QualProject(
        "climate groups",
        participants=(Participant("P1", "group-1", {"career_stage": "early_career"}),),
        sources=(Source("group-1", TEXT, group="group-1",
                        turns=(Turn("", "Moderator", 0, 19), Turn("P1", "P1", 20, 44))),),
    )
    return project.with_codebook([Code("climate", "Climate", codable=False),
                                  Code("climate/belonging", "Belonging", "climate")],
                                 saved="2026-01-05T10:00:00+00:00")


def test_a_saved_project_loads_back_equal(tmp_path):
    project = small_project().with_codings([Coding("group-1", "ann", "climate/belonging", 24, 43)])
    project = QualProject(**{**project.__dict__, "memos": (
        Memo("m1", "ann", "Belonging comes up early.", "code", "climate/belonging"),)})
    save_project(project, tmp_path)
    assert load_project(tmp_path) == project


def test_a_new_codebook_version_keeps_the_earlier_one():
    project = small_project()
    revised = project.with_codebook([*project.codes, Code("pay", "Pay")], author="lead",
                                    note="pay added after group 2")
    assert [v.number for v in revised.codebook] == [1, 2]
    assert revised.codebook[0].codes == project.codes
    assert revised.codes[-1].id == "pay"


def test_coding_with_a_code_not_in_the_codebook_is_refused():
    with pytest.raises(QualError, match="'pay' are not in the current codebook"):
        small_project().with_codings([Coding("group-1", "ann", "pay", 0, 5)])


def test_participants_in_a_passage_come_from_the_turns_it_overlaps():
    source = small_project().source("group-1")
    assert source.participants_in(10, 30) == ["P1"]
    assert source.turn_at(25).participant == "P1"


def test_a_turn_naming_an_unknown_participant_is_reported():
    project = small_project()
    broken = QualProject(project.name, project.participants, (Source(
        "group-1", TEXT, turns=(Turn("P9", "P9", 0, 19),)),), project.codebook)
    with pytest.raises(QualError, match="unknown participant 'P9'"):
        broken.check()


def test_a_missing_project_file_says_how_to_make_one(tmp_path):
    with pytest.raises(QualError, match="workforce qual import"):
        load_project(tmp_path)
