"""Actions of focus-group projects: create, assign coders, upload, code, change the codebook,
write memos, unblind.

Each ``do_*`` function checks what it is given against the project (offsets inside the
source's text, codes of the current codebook, coders of the project), writes in one
transaction and records an ``AuditEvent``. Problems raise ``ValidationError`` with a message
fit to show the person who caused them; nothing is saved then. Who may call which action is
the views' business (``permissions.ProjectRights``); the actions check only what keeps the
data sound, such as codings written by one of the project's coders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can
from workforce.platform.qual.convert import (
    participant_to_json,
    to_core,
)
from workforce.platform.qual.identifying import project_tags, reapplied
from workforce.platform.qual.models import (
    CodebookVersion,
    Coding,
    Memo,
    ProjectCoder,
    ProjectIdentifyingList,
    QualitativeProject,
    Source,
    SourceOriginal,
)
from workforce.platform.qual.uploads import (
    KeptIdentifying,
    OpenTextUpload,
    SourcesRead,
    read_sources,
)
from workforce.qual.codings import QualError
from workforce.qual.deidentify import (
    MAX_TERM_CHARACTERS,
    IdentifyingList,
    Replacement,
    deidentify,
    deidentify_project,
    participant_tags,
    read_identifying_list,
)
from workforce.qual.project import Code, QualProject, check_codebook, code_from_dict, code_id
from workforce.qual.project import Source as CoreSource


class QualVerb(StrEnum):
    """Audit verbs of this module (kept in ``AuditEvent.verb``)."""

    PROJECT_IMPORTED = "qual_project_imported"
    PROJECT_CREATED = "qual_project_created"
    CODER_ADDED = "qual_coder_added"
    CODER_REMOVED = "qual_coder_removed"
    SOURCES_UPLOADED = "qual_sources_uploaded"
    QDPX_IMPORTED = "qual_qdpx_imported"
    CODINGS_ADDED = "qual_codings_added"
    CODING_CHANGED = "qual_coding_changed"
    CODING_DELETED = "qual_coding_deleted"
    CODEBOOK_SAVED = "qual_codebook_saved"
    MEMO_ADDED = "qual_memo_added"
    BLIND_CHANGED = "qual_blind_changed"
    IDENTIFYING_LIST_UPDATED = "qual_identifying_list_updated"
    DEIDENTIFICATION_REAPPLIED = "qual_deidentification_reapplied"


def _now() -> str:
    return timezone.now().isoformat(timespec="seconds")


def name_in_project(project: QualitativeProject, user: User) -> str:
    """How ``user`` is named in the core project: their coder name, the lead's, or e-mail."""
    coder = project.projectcoder_set.filter(user=user).first()
    if coder is not None:
        return coder.name
    if user.pk == project.lead_id:
        return project.lead_name
    return user.email


# --- Import -----------------------------------------------------------------------------------


def do_import_qual_project(
    organization: Organization,
    core_project: QualProject,
    originals: Mapping[str, Any] | None,
    lead: User,
    coders: Mapping[str, User] | Sequence[User],
    *,
    acting_user: User | None,
) -> QualitativeProject:
    """Store ``core_project`` as a project of ``organization``, led by ``lead``.

    ``coders`` maps each coder name of the core project to a platform user (a list of users
    names them by e-mail address). ``originals`` is what de-identification kept apart,
    ``{source id: Original}`` (its ``.text`` and ``.replacements``); only the lead is shown
    it. Every coder named in the codings needs a user, and the lead and every coder need a
    role that lets them take part in the organization's focus groups.
    """
    if not isinstance(coders, Mapping):
        coders = {user.email: user for user in coders}
    try:
        core_project.check()
    except QualError as error:
        raise ValidationError(f"Project {core_project.name!r} is not sound: {error}") from None
    problems = []
    unnamed = sorted({c.coder for c in core_project.codings} | set(core_project.coders))
    unnamed = [name for name in unnamed if name not in coders]
    if unnamed:
        problems.append(
            f"No platform user given for coder(s) {', '.join(map(repr, unnamed))}; pass "
            "them as NAME=E-MAIL (e.g. --coders ana=ana@example.org)."
        )
    users = [("lead", lead), *((f"coder {name!r}", user) for name, user in coders.items())]
    for what, user in users:
        if not can(user, Action.CODE_QUALITATIVE, organization):
            problems.append(
                f"The {what}, {user.email}, holds no role in {organization.name} that allows "
                "coding focus groups (a data steward, an analyst or consortium staff)."
            )
    if len({user.pk for user in coders.values()}) < len(coders):
        problems.append("One user is given for two coder names.")
    sources = {source.id for source in core_project.sources}
    stray = sorted(set(originals or {}) - sources)
    if stray:
        problems.append(f"Originals given for unknown source(s): {', '.join(map(repr, stray))}.")
    if QualitativeProject.objects.filter(
        organization=organization, name=core_project.name
    ).exists():
        problems.append(
            f"{organization.name} already has a focus-group project named {core_project.name!r}."
        )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        project = _create_project(organization, core_project, originals or {}, lead, coders)
        AuditEvent.record(
            actor=acting_user,
            verb=QualVerb.PROJECT_IMPORTED,
            obj=project,
            organization=organization,
            details={
                "name": project.name,
                "lead_id": lead.pk,
                "coder_ids": [user.pk for user in coders.values()],
                "sources": len(core_project.sources),
                "codebook_versions": len(core_project.codebook),
                "codings": len(core_project.codings),
                "originals": len(originals or {}),
            },
        )
    return project


def _create_project(
    organization: Organization,
    core: QualProject,
    originals: Mapping[str, Any],
    lead: User,
    coders: Mapping[str, User],
) -> QualitativeProject:
    project = QualitativeProject.objects.create(
        organization=organization,
        name=core.name,
        description=core.description,
        lead=lead,
        lead_name=core.lead or lead.email,
        participants=[participant_to_json(p) for p in core.participants],
    )
    # The core's order of coders first, then anyone added for this platform project.
    order = [*core.coders, *(name for name in coders if name not in core.coders)]
    ProjectCoder.objects.bulk_create(
        ProjectCoder(project=project, user=coders[name], name=name, position=position)
        for position, name in enumerate(order)
    )
    stored = _store_sources(project, core.sources, originals)
    _store_codebook_versions(project, core.codebook)
    _store_codings(project, core.codings, stored, coders)
    users_by_name = {**{name: user for name, user in coders.items()}, project.lead_name: lead}
    _store_memos(project, core.memos, users_by_name)
    return project


def _store_sources(
    project: QualitativeProject, sources: Sequence[Any], originals: Mapping[str, Any]
) -> dict[str, Source]:
    """Core sources as rows after the project's own, each original in its lead-only table."""
    first = project.sources.count()
    stored = {}
    for position, source in enumerate(sources, start=first):
        stored[source.id] = Source.objects.create(
            project=project,
            key=source.id,
            position=position,
            text=source.text,
            kind=source.kind,
            group=source.group,
            origin=source.origin,
            deidentified=source.deidentified,
            turns=[asdict(turn) for turn in source.turns],
        )
    for key, original in originals.items():
        SourceOriginal.objects.create(
            source=stored[key],
            text=original.text,
            replacements=[asdict(r) for r in original.replacements],
        )
    return stored


def _store_codebook_versions(project: QualitativeProject, versions: Sequence[Any]) -> None:
    CodebookVersion.objects.bulk_create(
        CodebookVersion(
            project=project,
            number=version.number,
            codes=[asdict(code) for code in version.codes],
            saved=version.saved,
            author=version.author,
            note=version.note,
        )
        for version in versions
    )


def _store_codings(
    project: QualitativeProject,
    codings: Sequence[Any],
    stored: Mapping[str, Source],
    coders: Mapping[str, User],
) -> None:
    Coding.objects.bulk_create(
        Coding(
            project=project,
            source=stored[coding.source],
            coder=coders[coding.coder],
            code=coding.code,
            start=coding.start,
            end=coding.end,
        )
        for coding in codings
    )


def _store_memos(
    project: QualitativeProject, memos: Sequence[Any], users_by_name: Mapping[str, User]
) -> None:
    Memo.objects.bulk_create(
        Memo(
            project=project,
            key=memo.id,
            author=users_by_name.get(memo.author),
            author_name=memo.author,
            text=memo.text,
            target=memo.target,
            target_id=memo.target_id,
            start=memo.start,
            end=memo.end,
            created=memo.created,
        )
        for memo in memos
    )


# --- Codings ----------------------------------------------------------------------------------


def check_passage(source: Source, start: int, end: int) -> None:
    """Raise a readable ``ValidationError`` unless start–end is a passage of ``source``."""
    length = source.length
    if not (0 <= start < end <= length):
        raise ValidationError(
            f"Characters {start}–{end} are not a passage of {source.key}: a passage starts at "
            f"0 or later, ends after it starts, and ends at {length:,} at most (the length of "
            "its text). Select the passage again; nothing was saved."
        )


def check_code(project: QualitativeProject, code: str) -> dict:
    """The code's entry in the current codebook; it must be there and be codable."""
    version = project.current_codebook
    entry = version.code(code) if version is not None else None
    if entry is None:
        raise ValidationError(
            f"{code!r} is not a code of the current codebook of {project.name}; nothing was saved."
        )
    if not entry.get("codable", True):
        raise ValidationError(
            f"{entry['name']} only groups other codes; choose one of the codes under it."
        )
    return entry


def _check_coder(project: QualitativeProject, coder: User) -> None:
    if not project.projectcoder_set.filter(user=coder).exists():
        raise ValidationError(f"{coder.email} is not a coder of {project.name}.")


@transaction.atomic
def do_add_codings(
    source: Source,
    coder: User,
    codes: Iterable[str],
    passages: Iterable[tuple[int, int]],
    *,
    acting_user: User | None,
) -> list[Coding]:
    """Apply each of ``codes`` to each passage (start, end) of ``source`` as ``coder``.

    Everything is checked before anything is written: one bad offset or code saves nothing.
    """
    project = source.project
    codes, passages = list(dict.fromkeys(codes)), list(dict.fromkeys(passages))
    if not codes:
        raise ValidationError("Choose at least one code to apply; nothing was saved.")
    if not passages:
        raise ValidationError(
            "Select a passage (or at least one turn) to code; nothing was saved."
        )
    _check_coder(project, coder)
    for code in codes:
        check_code(project, code)
    for start, end in passages:
        check_passage(source, start, end)
    now = timezone.now()
    codings = Coding.objects.bulk_create(
        Coding(
            project=project, source=source, coder=coder, code=code, start=start, end=end,
            created_at=now, changed_at=now,
        )
        for start, end in passages
        for code in codes
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODINGS_ADDED,
        obj=project,
        organization=project.organization,
        details={
            "source": source.key,
            "coder_id": coder.pk,
            "codes": codes,
            "passages": [list(passage) for passage in passages],
        },
    )
    return codings


@transaction.atomic
def do_change_coding(
    coding: Coding, *, code: str, start: int, end: int, acting_user: User | None
) -> Coding:
    """Change a coding's code or boundaries (its coder and source stay)."""
    check_code(coding.project, code)
    check_passage(coding.source, start, end)
    before = {"code": coding.code, "start": coding.start, "end": coding.end}
    after = {"code": code, "start": start, "end": end}
    if before == after:
        return coding
    coding.code, coding.start, coding.end = code, start, end
    coding.changed_at = timezone.now()
    coding.save(update_fields=["code", "start", "end", "changed_at"])
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODING_CHANGED,
        obj=coding,
        organization=coding.project.organization,
        details={"source": coding.source.key, "before": before, "after": after},
    )
    return coding


@transaction.atomic
def do_delete_coding(coding: Coding, *, acting_user: User | None) -> None:
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODING_DELETED,
        obj=coding,
        organization=coding.project.organization,
        details={
            "source": coding.source.key,
            "coder_id": coding.coder_id,
            "code": coding.code,
            "start": coding.start,
            "end": coding.end,
        },
    )
    coding.delete()


# --- Codebook ---------------------------------------------------------------------------------


@transaction.atomic
def do_save_codebook_version(
    project: QualitativeProject,
    codes: Sequence[Code],
    *,
    note: str,
    author: User,
    acting_user: User | None,
) -> CodebookVersion:
    """Save ``codes`` as the project's next codebook version; earlier versions stay as they
    were. Every code some coding uses must still be there."""
    # Locks the project row, so two people saving at once get numbers one after the other.
    QualitativeProject.objects.select_for_update().get(pk=project.pk)
    try:
        check_codebook(codes)
    except QualError as error:
        raise ValidationError(str(error)) from None
    kept = {code.id for code in codes}
    lost = sorted(set(project.codings.values_list("code", flat=True)) - kept)
    if lost:
        raise ValidationError(
            f"Code(s) {', '.join(map(repr, lost))} are applied to passages and cannot be left out."
        )
    previous = project.current_codebook
    version = CodebookVersion.objects.create(
        project=project,
        number=previous.number + 1 if previous else 1,
        codes=[asdict(code) for code in codes],
        saved=_now(),
        author=name_in_project(project, author),
        note=note.strip(),
        created_by=author,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODEBOOK_SAVED,
        obj=version,
        organization=project.organization,
        details={"number": version.number, "codes": len(codes), "note": version.note},
    )
    return version


def current_codes(project: QualitativeProject) -> list[Code]:
    version = project.current_codebook
    return [code_from_dict(code) for code in version.codes] if version else []


def _parents_first(codes: list[Code]) -> list[Code]:
    """The codes reordered so each parent comes before its children (the core's rule), the
    order otherwise kept."""
    placed: list[Code] = []
    done: set[str] = set()
    waiting = list(codes)
    while waiting:
        ready = [code for code in waiting if not code.parent or code.parent in done]
        if not ready:  # a cycle or a missing parent: the core check names it
            return placed + waiting
        for code in ready:
            placed.append(code)
            done.add(code.id)
        waiting = [code for code in waiting if code.id not in done]
    return placed


def do_add_code(
    project: QualitativeProject,
    *,
    name: str,
    parent: str = "",
    description: str = "",
    examples: Sequence[str] = (),
    codable: bool = True,
    note: str,
    author: User,
    acting_user: User | None,
) -> CodebookVersion:
    """A new codebook version with one code more; its id is its path (``parent/slug``)."""
    codes = current_codes(project)
    if parent and parent not in {code.id for code in codes}:
        raise ValidationError(f"There is no code {parent!r} to put {name!r} under.")
    try:
        new_id = code_id(name, parent)
    except QualError as error:
        raise ValidationError(str(error)) from None
    if new_id in {code.id for code in codes}:
        raise ValidationError(
            f"There is already a code {name!r} there ({new_id}); choose another name."
        )
    code = Code(
        id=new_id,
        name=name.strip(),
        parent=parent,
        description=description.strip(),
        examples=tuple(e.strip() for e in examples if e.strip()),
        codable=codable,
    )
    return do_save_codebook_version(
        project, _parents_first([*codes, code]), note=note or f"Added {code.name}.",
        author=author, acting_user=acting_user,
    )


def do_change_code(
    project: QualitativeProject,
    code_id_: str,
    *,
    name: str,
    parent: str,
    description: str,
    examples: Sequence[str],
    codable: bool,
    note: str,
    author: User,
    acting_user: User | None,
) -> CodebookVersion:
    """A new codebook version with one code changed.

    The code keeps its id when renamed or moved, so the passages coded with it stay coded;
    a code cannot move under itself or under one of its own children.
    """
    codes = current_codes(project)
    by_id = {code.id: code for code in codes}
    if code_id_ not in by_id:
        raise ValidationError(f"There is no code {code_id_!r} in the current codebook.")
    if parent:
        if parent not in by_id:
            raise ValidationError(f"There is no code {parent!r} to move it under.")
        ancestor = parent
        while ancestor:
            if ancestor == code_id_:
                raise ValidationError("A code cannot be moved under itself or its own children.")
            ancestor = by_id[ancestor].parent
    if not codable and project.codings.filter(code=code_id_).exists():
        raise ValidationError(
            "Passages are coded with this code, so it cannot become a grouping-only category."
        )
    changed = Code(
        id=code_id_,
        name=name.strip(),
        parent=parent,
        description=description.strip(),
        examples=tuple(e.strip() for e in examples if e.strip()),
        color=by_id[code_id_].color,
        codable=codable,
    )
    if changed == by_id[code_id_]:
        raise ValidationError("Nothing was changed, so no new version was saved.")
    codes = [changed if code.id == code_id_ else code for code in codes]
    return do_save_codebook_version(
        project, _parents_first(codes), note=note or f"Changed {changed.name}.",
        author=author, acting_user=acting_user,
    )


# --- Memos and blinding -----------------------------------------------------------------------


@transaction.atomic
def do_add_memo(
    project: QualitativeProject,
    *,
    author: User,
    text: str,
    target: str = Memo.Target.PROJECT,
    target_id: str = "",
    start: int | None = None,
    end: int | None = None,
    acting_user: User | None,
) -> Memo:
    """A memo on the project, a code (its id), a source (its id) or a passage of a source."""
    text = text.strip()
    if not text:
        raise ValidationError("A memo needs some text.")
    target = Memo.Target(target)
    if target == Memo.Target.PROJECT:
        target_id, start, end = "", None, None
    elif target == Memo.Target.CODE:
        version = project.current_codebook
        if version is None or version.code(target_id) is None:
            raise ValidationError(f"There is no code {target_id!r} in the current codebook.")
        start = end = None
    else:
        source = project.sources.filter(key=target_id).first()
        if source is None:
            raise ValidationError(f"There is no source {target_id!r} in {project.name}.")
        if target == Memo.Target.SEGMENT:
            if start is None or end is None:
                raise ValidationError("Select the passage the memo is about.")
            check_passage(source, start, end)
        else:
            start = end = None
    taken = set(project.memos.values_list("key", flat=True))
    number = len(taken) + 1
    while f"memo-{number}" in taken:
        number += 1
    memo = Memo.objects.create(
        project=project,
        key=f"memo-{number}",
        author=author,
        author_name=name_in_project(project, author),
        text=text,
        target=target,
        target_id=target_id,
        start=start,
        end=end,
        created=_now(),
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.MEMO_ADDED,
        obj=memo,
        organization=project.organization,
        details={"project_id": project.pk, "target": target.value, "target_id": target_id},
    )
    return memo


@transaction.atomic
def do_set_blind(
    project: QualitativeProject, blind: bool, *, acting_user: User | None
) -> QualitativeProject:
    """Blind (coders see only their own codings) or unblind (coders may compare) a project."""
    if project.blind == blind:
        return project
    project.blind = blind
    project.save(update_fields=["blind"])
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.BLIND_CHANGED,
        obj=project,
        organization=project.organization,
        details={"blind": blind},
    )
    return project


# --- Projects made on the web: creation, coders, uploads ----------------------------------------


def _may_take_part(user: User, organization: Organization) -> bool:
    return can(user, Action.CODE_QUALITATIVE, organization)


def name_from_email(email: str) -> str:
    """A coder name from an e-mail address: the slug of its local part (``ana.ruiz``)."""
    return slugify(email.split("@", 1)[0].replace(".", "-").replace("_", "-")) or "coder"


def _free_name(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"


@transaction.atomic
def do_create_qual_project(
    organization: Organization,
    *,
    name: str,
    description: str = "",
    lead: User,
    qdpx: Path | None = None,
    identifying: Path | None = None,
    acting_user: User | None,
) -> tuple[QualitativeProject, QdpxImported | None]:
    """A new, empty focus-group project of ``organization`` led by ``lead``; with ``qdpx``, a
    REFI-QDA project read into it at once (all or nothing: a bad file creates no project)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("A project needs a name.")
    if not _may_take_part(lead, organization):
        raise ValidationError(
            f"{lead.email} holds no role in {organization.name} that allows leading focus "
            "groups (a data steward, an analyst or consortium staff)."
        )
    if QualitativeProject.objects.filter(organization=organization, name=name).exists():
        raise ValidationError(
            f"{organization.name} already has a focus-group project named {name!r}; choose "
            "another name."
        )
    project = QualitativeProject.objects.create(
        organization=organization,
        name=name,
        description=description.strip(),
        lead=lead,
        lead_name=name_from_email(lead.email),
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.PROJECT_CREATED,
        obj=project,
        organization=organization,
        details={"name": project.name, "lead_id": lead.pk},
    )
    imported = None
    if qdpx is not None:
        imported = do_import_qdpx(project, qdpx, identifying=identifying, acting_user=acting_user)
    return project, imported


@transaction.atomic
def do_add_coder(
    project: QualitativeProject, user: User, *, acting_user: User | None
) -> ProjectCoder:
    """``user`` codes the project from now on, named by their e-mail's local part."""
    QualitativeProject.objects.select_for_update().get(pk=project.pk)
    if not _may_take_part(user, project.organization):
        raise ValidationError(
            f"{user.email} holds no role in {project.organization.name} that allows coding "
            "focus groups (a data steward, an analyst or consortium staff)."
        )
    coders = project.projectcoder_set
    if coders.filter(user=user).exists():
        raise ValidationError(f"{user.email} already codes {project.name}.")
    # The lead's name too: two people with one name would be one person in a .qdpx.
    taken = set(coders.values_list("name", flat=True))
    if user.pk != project.lead_id:
        taken.add(project.lead_name)
    last = coders.order_by("-position").values_list("position", flat=True).first()
    coder = ProjectCoder.objects.create(
        project=project,
        user=user,
        name=_free_name(name_from_email(user.email), taken),
        position=(last + 1) if last is not None else 0,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODER_ADDED,
        obj=project,
        organization=project.organization,
        details={"user_id": user.pk, "name": coder.name},
    )
    return coder


@transaction.atomic
def do_remove_coder(coder: ProjectCoder, *, acting_user: User | None) -> None:
    """Take a coder off the project; only one who has coded nothing, so no coding loses its
    coder (and the agreement figures already seen stay true)."""
    project = coder.project
    if project.codings.filter(coder=coder.user).exists():
        raise ValidationError(
            f"{coder.name} has coded passages of {project.name}, so they stay a coder: their "
            "codings are part of the comparison."
        )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.CODER_REMOVED,
        obj=project,
        organization=project.organization,
        details={"user_id": coder.user_id, "name": coder.name},
    )
    coder.delete()


def kept_identifying(project: QualitativeProject) -> KeptIdentifying:
    """What earlier uploads taught about who is who in ``project`` (lead-only data)."""
    row = ProjectIdentifyingList.objects.filter(project=project).first()
    if row is None:
        return KeptIdentifying()
    return KeptIdentifying(
        IdentifyingList(
            names={pid: tuple(names) for pid, names in row.names.items()},
            institutions=tuple(row.institutions),
            places=tuple(row.places),
            other=tuple(row.other),
        ),
        dict(row.speakers),
    )


def _keep_identifying(project: QualitativeProject, kept: KeptIdentifying) -> None:
    identifying = kept.identifying
    ProjectIdentifyingList.objects.update_or_create(
        project=project,
        defaults={
            "names": {pid: list(names) for pid, names in identifying.names.items()},
            "institutions": list(identifying.institutions),
            "places": list(identifying.places),
            "other": list(identifying.other),
            "speakers": dict(kept.speakers),
            "changed_at": timezone.now(),
        },
    )


def _problems(error: QualError) -> ValidationError:
    """The core's lines of problems as one ValidationError, a message per line."""
    return ValidationError([line for line in str(error).splitlines() if line.strip()])


@transaction.atomic
def do_upload_sources(
    project: QualitativeProject,
    *,
    transcripts: Sequence[Path] = (),
    participants: Path | None = None,
    identifying: Path | None = None,
    open_text: OpenTextUpload | None = None,
    encoding: str | None = None,
    acting_user: User | None,
) -> SourcesRead:
    """Transcripts, a participants list, an identifying list and open-text answers added to
    ``project``: each new source de-identified before it is stored, its original kept for the
    lead, names and identifying terms kept in the lead-only ``ProjectIdentifyingList``. Every
    problem of every file is raised at once, and then nothing is stored."""
    if not (transcripts or participants or identifying or open_text):
        raise ValidationError("Choose at least one file to upload.")
    # Locked: two uploads at once must not both take the same source name or position.
    project = QualitativeProject.objects.select_for_update().select_related(
        "organization"
    ).get(pk=project.pk)
    try:
        read = read_sources(
            to_core(project),
            kept_identifying(project),
            transcripts=transcripts,
            participants=participants,
            identifying=identifying,
            open_text=open_text,
            encoding=encoding,
        )
    except QualError as error:
        raise _problems(error) from None
    if read.new_participants:
        project.participants = [participant_to_json(p) for p in read.project.participants]
        project.save(update_fields=["participants"])
    _store_sources(project, read.new_sources, read.originals)
    _keep_identifying(project, read.kept)
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.SOURCES_UPLOADED,
        obj=project,
        organization=project.organization,
        # Counts and ids only: the names that were replaced must not reach the audit log.
        details={
            "sources": [source.id for source in read.new_sources],
            "participants_added": len(read.new_participants),
            "replacements": read.replacements,
            "identifying_list": identifying is not None,
        },
    )
    return read


def _name_paths(codes: Sequence[Code]) -> dict[str, str]:
    """Code id → its path of names, case-blind (``climate/belonging``-like, from names)."""
    by_id = {code.id: code for code in codes}
    paths: dict[str, str] = {}
    for code in codes:
        names, seen, current = [], set(), code
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.insert(0, " ".join(current.name.split()).casefold())
            current = by_id.get(current.parent) if current.parent else None
        paths[code.id] = "/".join(names)
    return paths


def keep_code_ids(current: Sequence[Code], uploaded: Sequence[Code]) -> list[Code]:
    """``uploaded`` with each code that matches a current one by its path of names given that
    code's id, so passages coded with it stay coded after a rename on the web; a code that
    matches none keeps its own id (its path of slugs), made unique if a matched code has it."""
    id_by_path = {path: code_id_ for code_id_, path in _name_paths(current).items()}
    uploaded_paths = _name_paths(uploaded)
    new_id: dict[str, str] = {}
    for code in uploaded:
        matched = id_by_path.get(uploaded_paths[code.id])
        if matched is not None and matched not in new_id.values():
            new_id[code.id] = matched
    claimed = set(new_id.values())
    for code in uploaded:
        if code.id not in new_id:
            new_id[code.id] = _free_name(code.id, claimed)
            claimed.add(new_id[code.id])
    return [
        replace(code, id=new_id[code.id], parent=new_id.get(code.parent, code.parent))
        for code in uploaded
    ]


def do_upload_codebook(
    project: QualitativeProject, path: Path, *, author: User, acting_user: User | None
) -> CodebookVersion:
    """A codebook YAML or a REFI-QDA ``.qdc`` saved as the project's next codebook version.

    Codes keep their ids when their ids or their paths of names match; every code some
    passage is coded with must still be there (the version is refused otherwise)."""
    try:
        if path.suffix.lower() == ".qdc":
            from workforce.qual.refi import read_qdc

            uploaded = read_qdc(path)
        else:
            from workforce.qual.codebook import read_codebook

            uploaded = read_codebook(path)
    except QualError as error:
        raise _problems(error) from None
    if not uploaded:
        raise ValidationError(f"{path.name} holds no codes.")
    codes = keep_code_ids(current_codes(project), uploaded)
    if codes == current_codes(project):
        raise ValidationError(
            f"{path.name} holds the codebook as it is now, so no new version was saved."
        )
    return do_save_codebook_version(
        project, codes, note=f"Uploaded {path.name}.", author=author, acting_user=acting_user
    )


@dataclass(frozen=True)
class QdpxImported:
    """What a ``.qdpx`` brought into a project, and what it held that was left out."""

    sources: int
    participants: int
    codings: int
    memos: int
    codebook_version: int | None
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]


@transaction.atomic
def do_import_qdpx(
    project: QualitativeProject,
    path: Path,
    *,
    identifying: Path | None = None,
    acting_user: User | None,
) -> QdpxImported:
    """A REFI-QDA project read into ``project``, which has no sources yet.

    Read with ``outside_files=False`` (an uploaded file never makes the server read its own
    files), its sources de-identified with everything the project knows about names, and its
    lead not taken from the file: the platform project's lead stays the lead. Codings are
    kept for coders of the file whose name is a coder name of this project; the others are
    listed as left out, since no platform user can be assumed to have made them.
    """
    from workforce.qual.refi import read_qdpx

    project = QualitativeProject.objects.select_for_update().select_related(
        "organization"
    ).get(pk=project.pk)
    if project.sources.exists():
        raise ValidationError(
            f"{project.name} has sources already; a .qdpx is imported into a new, empty "
            "project, so that codings and names cannot mix with what is here."
        )
    kept = kept_identifying(project)
    try:
        exchanged = read_qdpx(path, strict=False, outside_files=False)
        if identifying is not None:
            kept = replace(kept, identifying=kept.identifying.merged(
                read_identifying_list(identifying)))
    except QualError as error:
        raise _problems(error) from None
    incoming = exchanged.project
    coders = {c.name: c.user for c in project.projectcoder_set.select_related("user")}
    skipped = list(exchanged.skipped)
    left_out = sorted({c.coder for c in incoming.codings} - set(coders))
    for name in left_out:
        count = sum(1 for c in incoming.codings if c.coder == name)
        skipped.append(
            f"{count} coding{'s' if count != 1 else ''} by {name!r}, who is not a coder of this "
            f"project (add a coder named {name!r} before importing to keep them)"
        )
    incoming = replace(
        incoming, codings=tuple(c for c in incoming.codings if c.coder in coders)
    )
    current = to_core(project)
    known = {p.id: p for p in current.participants}
    clashes = [p.id for p in incoming.participants if p.id in known and known[p.id] != p]
    if clashes:
        raise ValidationError(
            f"{path.name}: participant(s) {', '.join(clashes)} are already in the project with "
            "other attributes or another group."
        )
    participants = (
        *current.participants,
        *(p for p in incoming.participants if p.id not in known),
    )
    try:
        clean, originals = deidentify_project(
            replace(incoming, participants=participants), kept.identifying
        )
    except QualError as error:
        raise _problems(error) from None
    tags = participant_tags([*(p.id for p in participants), *kept.identifying.names])
    codebook = list(current.codebook)
    version_number = None
    file_codes = keep_code_ids(current.codes, clean.codes) if clean.codebook else []
    if file_codes and tuple(file_codes) != current.codes:
        version_number = (codebook[-1].number + 1) if codebook else 1
        codebook.append(replace(clean.codebook[-1], number=version_number, codes=tuple(file_codes),
                                note=f"Imported from {path.name}."))
    renamed = {old.id: new.id for old, new in zip(clean.codes, file_codes, strict=True)}
    codings = tuple(replace(c, code=renamed.get(c.code, c.code)) for c in clean.codings)
    taken = {m.id for m in current.memos}
    memos = []
    for memo in clean.memos:
        key = _free_name(memo.id, taken)
        taken.add(key)
        target_id = renamed.get(memo.target_id, memo.target_id) if memo.target == "code" \
            else memo.target_id
        # A memo is read by the coders too, so its words are de-identified like a source's.
        text = deidentify(CoreSource(key, memo.text), kept.identifying, tags=tags)[0].text
        memos.append(replace(memo, id=key, target_id=target_id, text=text))
    combined = replace(
        current,
        participants=participants,
        sources=clean.sources,
        codebook=tuple(codebook),
        codings=codings,
        memos=(*current.memos, *memos),
    )
    try:
        combined.check()
    except QualError as error:
        raise _problems(error) from None
    project.participants = [participant_to_json(p) for p in participants]
    if not project.description and incoming.description:
        project.description = incoming.description
    project.save(update_fields=["participants", "description"])
    stored = _store_sources(project, clean.sources, originals)
    _store_codebook_versions(project, codebook[len(current.codebook):])
    _store_codings(project, codings, stored, coders)
    _store_memos(project, memos, coders)
    _keep_identifying(project, kept)
    result = QdpxImported(
        sources=len(clean.sources),
        participants=len(participants) - len(current.participants),
        codings=len(codings),
        memos=len(memos),
        codebook_version=version_number,
        skipped=tuple(skipped),
        warnings=exchanged.warnings,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.QDPX_IMPORTED,
        obj=project,
        organization=project.organization,
        details={
            "file": re.sub(r"[^\w.\- ]", "_", path.name),
            "sources": result.sources,
            "codings": result.codings,
            "memos": result.memos,
            "codebook_version": version_number,
            "skipped": len(result.skipped),
        },
    )
    return result


# --- The lead's identifying list ----------------------------------------------------------------


def _clean_terms(terms: Iterable[str], what: str) -> list[str]:
    """Terms as the lead typed them: trimmed, empty lines dropped, each kept once."""
    kept = list(dict.fromkeys(" ".join(term.split()) for term in terms))
    kept = [term for term in kept if term]
    too_long = [n for n, term in enumerate(kept, start=1) if len(term) > MAX_TERM_CHARACTERS]
    if too_long:
        raise ValidationError(f"{what}: term {too_long[0]} is longer than "
                              f"{MAX_TERM_CHARACTERS} characters; list one term per line.")
    return kept


@transaction.atomic
def do_update_identifying_list(
    project: QualitativeProject,
    *,
    names: Mapping[str, Iterable[str]],
    institutions: Iterable[str],
    places: Iterable[str],
    other: Iterable[str],
    acting_user: User | None,
) -> ProjectIdentifyingList:
    """The lead's list of what identifies the project's people, as edited: names and aliases
    per participant id, institutions, places and other terms. Speaker labels are kept. The
    audit log gets how many terms each kind gained and lost, never the terms."""
    known = {participant["id"] for participant in project.participants}
    row, _ = ProjectIdentifyingList.objects.select_for_update().get_or_create(project=project)
    unknown = sorted(set(names) - known - set(row.names))
    if unknown:
        raise ValidationError(f"There is no participant {unknown[0]!r} in {project.name}.")
    new_names = {pid: _clean_terms(values, f"Names of {pid}") for pid, values in names.items()}
    new_names = {pid: values for pid, values in new_names.items() if values}
    lists = {
        "institutions": _clean_terms(institutions, "Institutions"),
        "places": _clean_terms(places, "Places"),
        "other": _clean_terms(other, "Other terms"),
    }

    def flat(by_participant: Mapping[str, Iterable[str]]) -> set[tuple[str, str]]:
        return {(pid, value) for pid, values in by_participant.items() for value in values}

    changes = {"names": (flat(row.names), flat(new_names))}
    changes.update({kind: (set(getattr(row, kind)), set(terms)) for kind, terms in lists.items()})
    counts = {kind: {"added": len(after - before), "removed": len(before - after)}
              for kind, (before, after) in changes.items()}
    row.names = new_names
    for kind, terms in lists.items():
        setattr(row, kind, terms)
    row.changed_at = timezone.now()
    row.save()
    AuditEvent.record(
        actor=acting_user,
        verb=QualVerb.IDENTIFYING_LIST_UPDATED,
        obj=project,
        organization=project.organization,
        # Counts only: the list holds the names de-identification takes out.
        details=counts,
    )
    return row


@transaction.atomic
def do_reapply_deidentification(
    project: QualitativeProject, *, acting_user: User | None
) -> dict[str, int]:
    """Every term of the identifying list still in a stored text replaced by its tag, with the
    codings, turns and segment memos on those texts moved with their words and each source's
    ``SourceOriginal`` extended (made, for a text stored as given) so the lead's original
    wording still maps. Returns how many terms were replaced in each source that changed."""
    project = QualitativeProject.objects.select_for_update().select_related(
        "organization"
    ).get(pk=project.pk)
    identifying = kept_identifying(project).identifying
    tags = project_tags([p["id"] for p in project.participants], identifying)
    replaced: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for source in project.sources.select_for_update():
        original = SourceOriginal.objects.filter(source=source).first()
        try:
            earlier = [Replacement(**item) for item in (original.replacements if original else [])]
        except TypeError:
            raise ValidationError(
                f"{source.key}: its original's record of replacements is not in the form "
                "de-identification writes, so offsets could not be kept; nothing was changed."
            ) from None
        done = reapplied(source.key, source.text, identifying, tags,
                         original.text if original else source.text, earlier)
        if not done.found:
            continue
        step = done.step
        source.text = done.text
        source.deidentified = True
        source.turns = [
            {**turn, "start": step.to_deidentified(turn["start"]),
             "end": step.to_deidentified(turn["end"], end=True),
             "speaker": reapplied("", turn.get("speaker", ""), identifying, tags,
                                  turn.get("speaker", ""), ()).text}
            for turn in source.turns
        ]
        source.save(update_fields=["text", "deidentified", "turns"])
        if original is None:
            original = SourceOriginal(source=source, text=step.text)
        original.replacements = [asdict(r) for r in done.replacements]
        original.save()
        for coding in source.codings.all():
            coding.start = step.to_deidentified(coding.start)
            coding.end = step.to_deidentified(coding.end, end=True)
            coding.save(update_fields=["start", "end"])
        for memo in project.memos.filter(target=Memo.Target.SEGMENT, target_id=source.key,
                                         start__isnull=False, end__isnull=False):
            memo.start = step.to_deidentified(memo.start)
            memo.end = step.to_deidentified(memo.end, end=True)
            memo.save(update_fields=["start", "end"])
        replaced[source.key] = len(done.found)
        for found in done.found:
            kinds[found.kind] = kinds.get(found.kind, 0) + 1
    if replaced:
        AuditEvent.record(
            actor=acting_user,
            verb=QualVerb.DEIDENTIFICATION_REAPPLIED,
            obj=project,
            organization=project.organization,
            # Counts and source ids only, never what was replaced.
            details={"sources": replaced, "replacements": kinds},
        )
    return replaced
