"""A platform project as the core's ``QualProject``, and the core's parts as stored JSON.

``to_core(project)`` is what agreement, analysis and REFI-QDA export read; importing a core
project (``actions.qual.do_import_qual_project``) and reading it back with ``to_core`` gives
an equal project. Coders are named as in the core project (``ProjectCoder.name``), so a
`.qdpx` written here names the same coders as the one read in.
"""

from __future__ import annotations

from dataclasses import asdict

from workforce.platform.qual.models import QualitativeProject
from workforce.qual.codings import Coding
from workforce.qual.project import (
    CodebookVersion,
    Memo,
    Participant,
    QualProject,
    Source,
    Turn,
    code_from_dict,
    participant_from_dict,
)


def to_core(project: QualitativeProject) -> QualProject:
    """The project with every codebook version, coding and memo, as the core holds it."""
    names = coder_names(project)
    sources = list(project.sources.all())
    keys = {source.pk: source.key for source in sources}
    return QualProject(
        name=project.name,
        participants=tuple(participant_from_dict(p) for p in project.participants),
        sources=tuple(
            Source(
                id=source.key,
                text=source.text,
                kind=source.kind,
                group=source.group,
                turns=tuple(Turn(**turn) for turn in source.turns),
                origin=source.origin,
                deidentified=source.deidentified,
            )
            for source in sources
        ),
        codebook=tuple(
            CodebookVersion(
                number=version.number,
                codes=tuple(code_from_dict(code) for code in version.codes),
                saved=version.saved,
                author=version.author,
                note=version.note,
            )
            for version in project.codebook_versions.order_by("number")
        ),
        codings=tuple(
            Coding(keys[coding.source_id], names[coding.coder_id], coding.code, coding.start,
                   coding.end)
            for coding in project.codings.order_by("id")
        ),
        memos=tuple(
            Memo(
                id=memo.key,
                author=memo.author_name,
                text=memo.text,
                target=memo.target,
                target_id=memo.target_id,
                start=memo.start,
                end=memo.end,
                created=memo.created,
            )
            for memo in project.memos.order_by("id")
        ),
        coders=tuple(coder.name for coder in project.projectcoder_set.order_by("position", "id")),
        lead=project.lead_name,
        description=project.description,
    )


def coder_names(project: QualitativeProject) -> dict[int, str]:
    """``{user id: name in the core project}`` for every coder, and the lead."""
    names = {project.lead_id: project.lead_name}
    names.update(project.projectcoder_set.values_list("user_id", "name"))
    return names


def participant_to_json(participant: Participant) -> dict:
    return {**asdict(participant), "attributes": dict(participant.attributes)}
