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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from workforce.qual.codebook import read_codebook
from workforce.qual.codings import Coding, QualError, check_codings
from workforce.qual.deidentify import (
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
from workforce.qual.sources import read_participants, read_transcript

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
    codebook: Path | None = None,
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

    listed = read_participants(participants) if participants else None
    known = {p.id: p for p in project.participants}
    added_people: list[Participant] = []
    if listed:
        clashes = [p.id for p in listed.participants if p.id in known and known[p.id] != p]
        if clashes:
            raise QualError(f"{participants}: participant(s) {', '.join(clashes)} are already in "
                            "the project with other attributes")
        added_people = [p for p in listed.participants if p.id not in known]
        if linked_responses is not None:
            added_people = _with_survey_attributes(added_people, linked_responses)
    everyone = [*project.participants, *added_people]
    group_of = {p.id: p.group for p in everyone}

    terms = read_identifying_list(identifying) if identifying else IdentifyingList()
    if listed:
        terms = terms.with_names(listed.names)
    tags = participant_tags([*(p.id for p in everyone), *terms.names])
    speakers = dict(listed.speakers) if listed else {p.id: p.id for p in everyone}

    existing = {s.id for s in project.sources}
    new_sources, originals, problems = [], {}, []
    replacements: Counter = Counter()
    unlinked: dict[str, tuple[str, ...]] = {}
    for path in map(Path, transcripts):
        try:
            raw = read_transcript(path, speakers=speakers)
        except QualError as error:
            problems.append(str(error))
            continue
        if raw.id in existing or raw.id in originals:
            problems.append(f"{path}: the project already has a source {raw.id!r}; rename the "
                            "file to add it as another source")
            continue
        raw = replace(raw, group=_group(raw, group_of))
        named = [found.value for found in find_identifiers(raw.id.replace("_", " "), terms)]
        if named:
            # A source's id is its file's name, and ids travel everywhere a source does
            # (codings, exports, the report's methods): it must not name anyone.
            problems.append(f"{path}: the file's name contains {', '.join(map(repr, named))} "
                            "from the identifying list; rename the file (e.g. group-3.txt)")
            continue
        clean, original = deidentify(raw, terms, tags=tags)
        new_sources.append(clean)
        originals[raw.id] = original
        replacements.update(r.kind for r in original.replacements)
        loose = tuple(dict.fromkeys(t.speaker for t in clean.turns if not t.participant))
        if loose:
            unlinked[raw.id] = loose
    if open_text is not None:
        answers, respondents = _open_text(open_text)
        taken = {*existing, *originals}
        twice = [a.id for a in answers if a.id in taken]
        if twice:
            problems.append(f"{open_text.path}: the project already has source(s) "
                            f"{', '.join(map(repr, twice[:5]))}")
        known_ids = {p.id for p in everyone}
        everyone += [p for p in respondents if p.id not in known_ids]
        added_people += [p for p in respondents if p.id not in known_ids]
        for answer in answers:
            # An answer can name a colleague or an institution as well as a transcript can.
            clean, original = deidentify(answer, terms, tags=tags)
            new_sources.append(clean)
            originals[answer.id] = original
            replacements.update(r.kind for r in original.replacements)
    if problems:
        raise QualError("\n".join(problems))

    project = replace(project, participants=tuple(everyone),
                      sources=(*project.sources, *new_sources))
    version = None
    if codebook is not None:
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
        sources=tuple(s.id for s in new_sources),
        turns=sum(len(s.turns) for s in new_sources),
        participants=len(added_people),
        replacements=dict(sorted(replacements.items())),
        unlinked_speakers=unlinked,
        codebook_version=version,
        codings=added_codings,
        skipped=skipped,
    )
    return project, originals, summary


def _with_survey_attributes(people: list[Participant], path: Path) -> list[Participant]:
    """`people`, each linked to a response taking that response's standard attributes where
    their own are missing or unknown; a response id not in the file is an error."""
    import pandas as pd

    from workforce.standard.loader import load_standard

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise QualError(f"{path}: cannot be read as UTF-8 CSV ({error})") from None
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


def _open_text(answers: OpenTextAnswers) -> tuple[list[Source], list[Participant]]:
    import pandas as pd

    from workforce.qual.sources import open_text_sources

    try:
        table = pd.read_csv(answers.path, dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
    except FileNotFoundError:
        raise QualError(f"{answers.path}: the file does not exist") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise QualError(f"{answers.path}: cannot be read as UTF-8 CSV ({error})") from None
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
