"""A project on disk: import transcripts into it, de-identified, with the originals kept apart.

The command line's home for focus-group work is a directory:

```
focus-groups/
  project.json        the de-identified project: what coders, analysis and exports see
  originals/          each source's original text and every replacement made (0600 files in
                      a 0700 directory): for the project's lead only, never exported
```

`import_into` adds transcripts (any format `sources.read_transcript` reads), participants,
a codebook, codings or a whole REFI-QDA project, de-identifying each new source before it
joins the project. Codings given together with transcripts are counted on the text as read
(before de-identification) and move with their words, so a passage still covers the same
words afterwards.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from workforce.qual.codebook import read_codebook
from workforce.qual.codings import Coding, QualError, check_codings
from workforce.qual.deidentify import (
    INSTITUTION,
    NAME,
    OTHER,
    PLACE,
    IdentifyingList,
    Original,
    Replacement,
    deidentify,
    find_identifiers,
    participant_tags,
    read_identifying_list,
)
from workforce.qual.files import read_codings
from workforce.qual.project import (
    PROJECT_FILE,
    Participant,
    QualProject,
    Source,
    load_project,
    save_project,
)
from workforce.qual.sources import open_text_sources, read_participants, read_transcript

ORIGINALS = "originals"
TRANSCRIPT_SUFFIXES = (".txt", ".docx", ".vtt", ".srt")


@dataclass(frozen=True)
class OpenTextAnswers:
    """Open-text answers of a survey export: one source per answer in `column`."""

    path: Path
    column: str
    id_column: str = "response_id"
    attributes: tuple[str, ...] = ()  # standard columns the respondents carry along
    group: str = ""  # e.g. the survey wave


@dataclass(frozen=True)
class ImportSummary:
    sources: tuple[str, ...] = ()  # ids of the sources added
    turns: int = 0
    participants: int = 0  # participants added
    replacements: dict[str, int] = field(default_factory=dict)  # kind → how many replaced
    unlinked_speakers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codebook_version: int | None = None  # the version saved, when the codebook changed
    codings: int = 0
    skipped: tuple[str, ...] = ()  # what a REFI-QDA file held that a project has no place for

    def as_dict(self) -> dict:
        return asdict(self)


def import_into(
    project: QualProject | None,
    *,
    name: str = "",
    transcripts: Sequence[Path] = (),
    participants: Path | None = None,
    identifying: Path | None = None,
    codebook: Path | None = None,  # codebook YAML, or a REFI-QDA .qdc
    codings: Path | None = None,
    qdpx: Path | None = None,
    open_text: OpenTextAnswers | None = None,
    linked_responses: Path | None = None,
    lead: str = "",
    author: str = "",
) -> tuple[QualProject, dict[str, Original], ImportSummary]:
    """`project` (or a new one called `name`) with everything given added; the originals of
    the new sources; and what was done. Nothing is half-added: any problem raises QualError
    before a result exists.

    `linked_responses` is a survey responses CSV (standard columns and `response_id`): a new
    participant whose `response` names one of its rows takes from it every standard attribute
    the participants file left blank (a confidential wave, or a participant who gave their
    response's id).
    """
    skipped: tuple[str, ...] = ()
    if qdpx is not None:
        from workforce.qual.refi import read_qdpx

        if project is not None and (project.sources or project.codings):
            raise QualError(f"{qdpx}: a REFI-QDA project is imported into a new project "
                            "directory, not merged into one that has sources")
        exchanged = read_qdpx(qdpx, outside_files=True)
        project, skipped = exchanged.project, exchanged.skipped
    if project is None:
        if not name.strip():
            raise QualError("a new project needs a name")
        project = QualProject(name.strip(), lead=lead)
    elif lead and lead != project.lead:
        project = replace(project, lead=lead)

    added = add_sources(project, transcripts=transcripts, participants=participants,
                        identifying=identifying, open_text=open_text,
                        linked_responses=linked_responses)
    project, originals = added.project, added.originals
    version = None
    if codebook is not None:
        if Path(codebook).suffix.lower() == ".qdc":  # another tool's codebook, as it comes
            from workforce.qual.refi import read_qdc

            codes = read_qdc(codebook, strict=False)
        else:
            codes = read_codebook(codebook)
        if codes != project.codes:
            project = project.with_codebook(codes, author=author or lead,
                                            note=f"read from {Path(codebook).name}")
            version = project.codebook[-1].number
    added_codings = 0
    if codings is not None:
        try:
            given = read_codings(codings)
            # Offsets count in the text as given: checked there, then moved with their words.
            check_codings(given, {**project.lengths(),
                                  **{s: len(o.text) for s, o in originals.items()}})
            moved = [_moved(c, originals) for c in given]
            project = project.with_codings(moved)
        except QualError as error:
            raise QualError(f"{codings}: {error}") from None
        added_codings = len(moved)
    project.check()
    summary = ImportSummary(
        sources=tuple(s.id for s in added.new_sources),
        turns=sum(len(s.turns) for s in added.new_sources),
        participants=len(added.new_participants),
        replacements=added.replacements,
        unlinked_speakers=added.unlinked_speakers,
        codebook_version=version,
        codings=added_codings,
        skipped=skipped,
    )
    return project, originals, summary


@dataclass(frozen=True)
class SourcesAdded:
    """Sources read, de-identified and added to a project, and what was learned on the way."""

    project: QualProject  # with the new sources and participants
    new_sources: tuple[Source, ...]
    new_participants: tuple[Participant, ...]
    originals: dict[str, Original]  # source id → its original, kept apart for the lead
    identifying: IdentifyingList  # everything known to identify people, old and new
    speakers: Mapping[str, str]  # transcript label → participant id, old and new
    replacements: dict[str, int]  # kind → how many were replaced
    # Source → labels of turns tied to no participant (a moderator's among them).
    unlinked_speakers: dict[str, tuple[str, ...]]


def add_sources(
    project: QualProject,
    *,
    transcripts: Iterable[Path] = (),
    participants: Path | None = None,
    identifying: Path | None = None,
    open_text: OpenTextAnswers | None = None,
    linked_responses: Path | None = None,
    known: IdentifyingList | None = None,
    speakers: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> SourcesAdded:
    """`project` with the given files' sources added, each de-identified before it joins.

    `known` and `speakers` are what earlier imports learned about who is who (the web keeps
    them per project), so a transcript added later is de-identified with every name known so
    far and its labels link to the same participants. Every problem of every file is raised
    at once as one QualError, and nothing is returned then. `encoding` (None: UTF-8) is that
    of the text files; a `.docx` carries its own.
    """
    problems: list[str] = []
    terms = known or IdentifyingList()
    speakers = dict(speakers or {})
    listed = None
    if participants is not None:
        try:
            listed = read_participants(participants, encoding=encoding)
        except QualError as error:
            problems.append(str(error))
    if identifying is not None:
        try:
            terms = terms.merged(read_identifying_list(identifying))
        except QualError as error:
            problems.append(str(error))
    existing = {p.id: p for p in project.participants}
    added_people: list[Participant] = []
    if listed is not None:
        clashes = [p.id for p in listed.participants if p.id in existing and existing[p.id] != p]
        if clashes:
            problems.append(f"{participants}: participant(s) {', '.join(clashes)} are already "
                            "in the project with other attributes or another group")
        added_people = [p for p in listed.participants if p.id not in existing]
        if linked_responses is not None:
            try:
                added_people = _with_survey_attributes(added_people, linked_responses)
            except QualError as error:
                problems.append(str(error))
        terms = terms.with_names(listed.names)
        speakers.update(listed.speakers)
    everyone = [*project.participants, *added_people]
    group_of = {p.id: p.group for p in everyone}
    tags = participant_tags([*(p.id for p in everyone), *terms.names])
    # A listed name at the start of a line is its participant speaking ("Ana Ruiz: ..."),
    # even when the participants list gave no speaker label: transcription services write
    # names, and a name said once would otherwise not count as a speaker.
    labels = {**{name: pid for pid, names in terms.names.items() for name in names},
              **{p.id: p.id for p in everyone}, **speakers}

    taken = {s.id for s in project.sources}
    new_sources: list[Source] = []
    originals: dict[str, Original] = {}
    unlinked: dict[str, tuple[str, ...]] = {}
    for path in map(Path, transcripts):
        try:
            raw = read_transcript(path, speakers=labels, encoding=encoding)
        except QualError as error:
            problems.append(str(error))
            continue
        if _names_someone(raw.id, terms):
            # A source's id is its file's name, and ids travel everywhere a source does
            # (coding pages, codings, exports, the report's methods): it must not name anyone.
            problems.append(f"{path}: the file's name holds a name or another identifying "
                            "term, and a source is named after its file where coders see it; "
                            "rename the file (for example group-3.txt)")
            continue
        if raw.id in taken:
            problems.append(f"{path}: the project already has a source {raw.id!r}; rename "
                            "the file to add it as another source")
            continue
        taken.add(raw.id)
        clean, originals[raw.id] = deidentify(replace(raw, group=_group(raw, group_of)), terms,
                                              tags=tags)
        new_sources.append(clean)
        loose = tuple(dict.fromkeys(t.speaker for t in clean.turns if not t.participant))
        if loose:
            unlinked[raw.id] = loose
    if open_text is not None:
        try:
            answers, respondents = _open_text(open_text, encoding)
        except QualError as error:
            problems.append(str(error))
        else:
            twice = [a.id for a in answers if a.id in taken]
            if twice:
                problems.append(f"{open_text.path}: the project already has source(s) "
                                f"{', '.join(map(repr, twice[:5]))}")
            ids = {p.id for p in everyone}
            fresh = [p for p in respondents if p.id not in ids]
            everyone += fresh
            added_people += fresh
            for answer in answers:
                # An answer can name a colleague or an institution as well as a transcript.
                clean, originals[answer.id] = deidentify(answer, terms, tags=tags)
                new_sources.append(clean)
    if problems:
        raise QualError("\n".join(problems))
    replacements = Counter(r.kind for o in originals.values() for r in o.replacements)
    combined = replace(project, participants=tuple(everyone),
                       sources=(*project.sources, *new_sources)).check()
    return SourcesAdded(combined, tuple(new_sources), tuple(added_people), originals, terms,
                        speakers, dict(sorted(replacements.items())), unlinked)


def _names_someone(file_stem: str, terms: IdentifyingList) -> bool:
    """Whether a file's name holds a listed name, institution, place or term. E-mail and
    telephone patterns are not looked for: a date in a file's name reads like a number."""
    words = re.sub(r"[-_.]+", " ", file_stem)
    return any(found.kind in (NAME, INSTITUTION, PLACE, OTHER)
               for found in find_identifiers(words, terms))


def _read_csv(path: Path, encoding: str | None = None):
    """A CSV with every value as text, or a QualError naming the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False,
                           encoding=encoding or "utf-8-sig")
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise QualError(f"{path}: cannot be read as UTF-8 CSV ({error})") from None


def _with_survey_attributes(people: list[Participant], path: Path) -> list[Participant]:
    """`people`, each linked to a response taking that response's standard attributes where
    their own are missing or unknown; a response id not in the file is an error."""
    from workforce.standard.loader import load_standard

    table = _read_csv(path)
    if "response_id" not in table.columns:
        raise QualError(f"{path}: no column 'response_id' to link participants by")
    columns = [c for c in load_standard().dimensions if c in table.columns]
    rows = table.set_index("response_id")[columns]
    missing = [p.response for p in people if p.response and p.response not in rows.index]
    if missing:
        raise QualError(f"{path}: no response {', '.join(map(repr, missing[:5]))} (named in "
                        "the participants file's response column)")
    out = []
    for person in people:
        if not person.response:
            out.append(person)
            continue
        found = rows.loc[person.response]
        attributes = dict(person.attributes)
        for column in columns:
            if attributes.get(column, "unknown") in ("", "unknown") and found[column]:
                attributes[column] = found[column]
        out.append(replace(person, attributes=attributes))
    return out


def _open_text(answers: OpenTextAnswers,
               encoding: str | None = None) -> tuple[list[Source], list[Participant]]:
    table = _read_csv(answers.path, encoding)
    try:
        return open_text_sources(table, answers.column, id_column=answers.id_column,
                                 attributes=answers.attributes, group=answers.group)
    except QualError as error:
        raise QualError(f"{answers.path}: {error}") from None


def _group(source: Source, group_of: dict[str, str]) -> str:
    """A transcript's focus group: the group most of its speaking participants belong to (a
    focus group's transcript names its own members), else the file's name."""
    groups = Counter(group_of[t.participant] for t in source.turns
                     if t.participant in group_of and group_of[t.participant])
    return groups.most_common(1)[0][0] if groups else source.id


def _moved(coding: Coding, originals: dict[str, Original]) -> Coding:
    original = originals.get(coding.source)
    if original is None:
        return coding
    return replace(coding, start=original.to_deidentified(coding.start),
                   end=original.to_deidentified(coding.end, end=True))


# --- the directory --------------------------------------------------------------------------


def open_project(directory: Path) -> QualProject | None:
    """The project in `directory`, or None when there is none yet."""
    if not (Path(directory) / PROJECT_FILE).exists():
        return None
    return load_project(directory)


def save_workspace(project: QualProject, originals: dict[str, Original],
                   directory: Path) -> None:
    """The project and, apart, the originals of its sources (readable by their owner only)."""
    directory = Path(directory)
    kept = directory / ORIGINALS
    kept.mkdir(parents=True, exist_ok=True)
    os.chmod(kept, 0o700)
    for source, original in originals.items():
        path = kept / f"{_file_name(source)}.json"
        partial = path.with_suffix(".json.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(original), handle, ensure_ascii=False, indent=1)
        partial.replace(path)
    save_project(project, directory)


def load_originals(directory: Path, sources: Iterable[str] | None = None) -> dict[str, Original]:
    """The originals kept for the project in `directory` (those of `sources`, or all)."""
    kept = Path(directory) / ORIGINALS
    wanted = None if sources is None else {_file_name(s): s for s in sources}
    out = {}
    for path in sorted(kept.glob("*.json")) if kept.is_dir() else ():
        if wanted is not None and path.stem not in wanted:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["source"]] = Original(data["source"], data["text"], tuple(
            Replacement(**r) for r in data["replacements"]))
    return out


def _file_name(source_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in source_id)


def transcript_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the transcripts inside any directory given (sorted)."""
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix.lower() in TRANSCRIPT_SUFFIXES)
        else:
            out.append(path)
    return out
