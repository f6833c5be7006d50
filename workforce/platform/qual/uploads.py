"""Files a lead uploads to a project, read through the core and de-identified before storing.

The web's counterpart of ``workforce.qual.workspace.import_into``, with two differences that
a project living on the platform needs:

- what identifies people is not a file beside the project but ``ProjectIdentifyingList``,
  grown by every upload, so a transcript added later is de-identified with every name known
  so far and its speaker labels link to the same participants;
- a ``.qdpx`` is read with ``outside_files=False`` (an uploaded file must never make the
  server read its own files) and its lead is not taken from the file: the person who
  creates the project on the platform leads it.

Everything here only reads: it returns the core project with the new parts added, the
originals and what was learned about identifying people; ``actions.qual`` stores them.
Uploaded files are copied to a temporary folder under their own names first, so the core's
messages ("group-1.txt, line 3: ...") name the file the lead chose, not a temporary path.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from workforce.qual.codings import QualError
from workforce.qual.deidentify import (
    INSTITUTION,
    NAME,
    OTHER,
    PLACE,
    IdentifyingList,
    Original,
    deidentify,
    find_identifiers,
    participant_tags,
    read_identifying_list,
)
from workforce.qual.project import Participant, QualProject, Source
from workforce.qual.sources import (
    ROLE_LABEL,
    label_key,
    open_text_sources,
    read_participants,
    read_transcript,
)

# Upload limits: a focus group's transcript is tens of kilobytes; these leave a wide margin
# and keep one request from holding the server's memory and disk for long.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 50
TRANSCRIPT_SUFFIXES = (".txt", ".docx", ".vtt", ".srt")


@dataclass(frozen=True)
class KeptIdentifying:
    """What identifies the project's people, as ``ProjectIdentifyingList`` keeps it."""

    identifying: IdentifyingList = field(default_factory=IdentifyingList)
    speakers: Mapping[str, str] = field(default_factory=dict)  # label → participant id

    def merged(self, other: IdentifyingList) -> KeptIdentifying:
        mine = self.identifying.with_names(other.names)

        def union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys([*a, *b]))

        return replace(self, identifying=replace(
            mine,
            institutions=union(mine.institutions, other.institutions),
            places=union(mine.places, other.places),
            other=union(mine.other, other.other),
        ))


@dataclass(frozen=True)
class OpenTextUpload:
    """Open-text answers of a survey export: one source (and one respondent) per answer."""

    path: Path
    column: str
    id_column: str = "response_id"
    attributes: tuple[str, ...] = ()
    group: str = ""


@dataclass(frozen=True)
class SourcesRead:
    """An upload read: the project with the new sources and participants, and what to keep."""

    project: QualProject
    new_sources: tuple[Source, ...]
    new_participants: tuple[Participant, ...]
    originals: dict[str, Original]
    kept: KeptIdentifying
    replacements: dict[str, int]  # kind → how many were replaced
    unlinked_speakers: dict[str, tuple[str, ...]]  # source → labels tied to no participant


def read_sources(
    project: QualProject,
    kept: KeptIdentifying,
    *,
    transcripts: Iterable[Path] = (),
    participants: Path | None = None,
    identifying: Path | None = None,
    open_text: OpenTextUpload | None = None,
    encoding: str | None = None,
) -> SourcesRead:
    """``project`` with the uploaded sources added, each de-identified; every problem of every
    file is raised at once as one ``QualError`` and nothing is returned then. ``encoding``
    (None: UTF-8) is that of the text files; a ``.docx`` carries its own."""
    problems: list[str] = []
    listed = None
    if participants is not None:
        try:
            listed = read_participants(participants, encoding=encoding)
        except QualError as error:
            problems.append(str(error))
    if identifying is not None:
        try:
            kept = kept.merged(read_identifying_list(identifying))
        except QualError as error:
            problems.append(str(error))
    known = {p.id: p for p in project.participants}
    added_people: list[Participant] = []
    if listed is not None:
        clashes = [p.id for p in listed.participants if p.id in known and known[p.id] != p]
        if clashes:
            problems.append(f"{participants.name}: participant(s) {', '.join(clashes)} are "
                            "already in the project with other attributes or another group")
        added_people = [p for p in listed.participants if p.id not in known]
        kept = replace(kept.merged(IdentifyingList(names=listed.names)),
                       speakers={**kept.speakers, **listed.speakers})
    everyone = [*project.participants, *added_people]
    group_of = {p.id: p.group for p in everyone}
    terms = kept.identifying
    tags = participant_tags([*(p.id for p in everyone), *terms.names])
    # A listed name at the start of a line is its participant speaking ("Ana Ruiz: ..."),
    # even when the participants list gave no speaker label: transcription services write
    # names, and a name said once would otherwise not count as a speaker.
    speakers = {
        **{name: pid for pid, names in terms.names.items() for name in names},
        **{p.id: p.id for p in everyone},
        **kept.speakers,
    }

    taken = {s.id for s in project.sources}
    new_sources: list[Source] = []
    originals: dict[str, Original] = {}
    replacements: Counter = Counter()
    unlinked: dict[str, tuple[str, ...]] = {}
    for path in transcripts:
        try:
            raw = read_transcript(path, speakers=speakers, encoding=encoding)
        except QualError as error:
            problems.append(str(error))
            continue
        if _names_someone(raw.id, terms):
            problems.append(f"{path.name}: the file's name holds a name or another identifying "
                            "term, and a source is named after its file where coders see it; "
                            "rename the file (for example group-3.txt)")
            continue
        if raw.id in taken:
            problems.append(f"{path.name}: the project already has a source {raw.id!r}; rename "
                            "the file to add it as another source")
            continue
        taken.add(raw.id)
        raw = replace(raw, group=_focus_group(raw, group_of))
        clean, original = deidentify(raw, terms, tags=tags)
        new_sources.append(clean)
        originals[raw.id] = original
        replacements.update(r.kind for r in original.replacements)
        # A moderator is expected to belong to no participant; other loose labels are news.
        loose = tuple(dict.fromkeys(t.speaker for t in clean.turns if not t.participant
                                    and not ROLE_LABEL.fullmatch(label_key(t.speaker))))
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
                problems.append(f"{open_text.path.name}: the project already has source(s) "
                                f"{', '.join(map(repr, twice[:5]))}")
            ids = {p.id for p in everyone}
            fresh = [p for p in respondents if p.id not in ids]
            everyone += fresh
            added_people += fresh
            for answer in answers:
                # An answer can name a colleague or an institution as well as a transcript can.
                clean, original = deidentify(answer, terms, tags=tags)
                new_sources.append(clean)
                originals[answer.id] = original
                replacements.update(r.kind for r in original.replacements)
    if problems:
        raise QualError("\n".join(problems))
    combined = replace(project, participants=tuple(everyone),
                       sources=(*project.sources, *new_sources))
    combined.check()
    return SourcesRead(combined, tuple(new_sources), tuple(added_people), originals, kept,
                       dict(sorted(replacements.items())), unlinked)


def _names_someone(file_stem: str, terms: IdentifyingList) -> bool:
    """Whether a file's name holds a listed name, institution, place or term. E-mail and
    telephone patterns are not looked for: a date in a file's name reads like a number."""
    words = re.sub(r"[-_.]+", " ", file_stem)
    return any(found.kind in (NAME, INSTITUTION, PLACE, OTHER)
               for found in find_identifiers(words, terms))


def _open_text(upload: OpenTextUpload,
               encoding: str | None) -> tuple[list[Source], list[Participant]]:
    import pandas as pd

    try:
        table = pd.read_csv(upload.path, dtype=str, keep_default_na=False,
                            encoding=encoding or "utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise QualError(f"{upload.path.name}: cannot be read as UTF-8 CSV ({error})") from None
    try:
        return open_text_sources(table, upload.column, id_column=upload.id_column,
                                 attributes=upload.attributes, group=upload.group)
    except QualError as error:
        raise QualError(f"{upload.path.name}: {error}") from None


def _focus_group(source: Source, group_of: dict[str, str]) -> str:
    """A transcript's focus group: the group most of its speaking participants belong to,
    else the file's name (as the command line decides it)."""
    groups = Counter(group_of[t.participant] for t in source.turns
                     if t.participant in group_of and group_of[t.participant])
    return groups.most_common(1)[0][0] if groups else source.id


# --- uploaded files on disk -------------------------------------------------------------------


def safe_file_name(name: str) -> str:
    """The last part of an uploaded file's name, with only characters safe in a path."""
    base = re.split(r"[\\/]", name)[-1].strip()
    cleaned = re.sub(r"[^\w.\- ]", "_", base).lstrip(".")
    return cleaned[:150] or "upload"


@contextmanager
def files_on_disk(uploaded: Mapping[str, Iterable]) -> Iterator[tuple[dict[str, list[Path]], str]]:
    """Each group of uploaded files (Django ``UploadedFile``) copied into a temporary folder
    under its own name: ``({group: [paths]}, folder)``; the folder goes away afterwards.

    Groups get folders of their own, so a transcript and a participants list may share a name.
    """
    with tempfile.TemporaryDirectory(prefix="workforce-qual-upload-") as folder:
        paths: dict[str, list[Path]] = {}
        for group, files in uploaded.items():
            target = Path(folder) / group
            target.mkdir()
            paths[group] = []
            for upload in files:
                path = target / safe_file_name(upload.name)
                with path.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                paths[group].append(path)
        yield paths, folder


def without_folder(message: str, folder: str) -> str:
    """A core message as the web says it: the temporary folder taken out of its paths, and
    advice meant for the command line's options pointed at the form's."""
    message = re.sub(re.escape(folder) + r"/[^/\s]+/", "", message)
    return message.replace(
        "give its encoding (encoding='cp1252' for most Windows text)",
        "choose its text encoding in the form (Windows for most Windows text)",
    )

