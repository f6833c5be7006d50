"""A qualitative project: participants, sources, a versioned codebook, codings and memos.

One plain-data model shared by every part of focus-group work: importers build it, the
de-identification pass rewrites its sources, the web platform stores it, agreement and
analysis read it, and REFI-QDA exchange writes and reads it. Entities are identified by
readable keys that double as their names in the desktop tools: a participant by its case
name (``P03``), a source by its name, a code by its path in the codebook
(``climate/belonging``), a coder by their user name. A project read back from a `.qdpx`
therefore compares equal to the one written, without a table of GUIDs kept on the side.

What identifies a person (names, e-mail addresses, the original wording of a transcript) is
deliberately not here: it lives in `deidentify.IdentifyingList` and the originals kept apart
for the project's lead, never in a project that is coded, analysed or exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from workforce.qual.codings import Coding, QualError, check_codings

TRANSCRIPT = "transcript"
OPEN_TEXT = "open_text"
SOURCE_KINDS = (TRANSCRIPT, OPEN_TEXT)

MEMO_TARGETS = ("project", "code", "source", "segment")


@dataclass(frozen=True)
class Participant:
    """A person who speaks in a focus group or wrote an open-text answer.

    `attributes` holds standard dimensions and their codes (``career_stage: early_career``);
    `group` is the focus group (or survey wave) they belong to, the unit the disclosure gate
    counts when a theme is shown by group.
    """

    id: str
    group: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    # The survey response this participant is linked to, when the attributes came from one.
    response: str = ""


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: characters start-end (end exclusive) of its source's text."""

    participant: str  # a Participant id; "" for a moderator or an unknown speaker
    speaker: str  # the label as written in the transcript ("Moderator", "[PARTICIPANT 3]")
    start: int
    end: int
    begin_seconds: float | None = None  # timestamps of subtitle formats, kept as given
    end_seconds: float | None = None


@dataclass(frozen=True)
class Source:
    id: str
    text: str
    kind: str = TRANSCRIPT
    group: str = ""  # the focus group the transcript records
    turns: tuple[Turn, ...] = ()
    # Where it came from: the file name and its format ("txt", "docx", "vtt", "srt", "csv").
    origin: str = ""
    deidentified: bool = False

    def turn_at(self, position: int) -> Turn | None:
        """The turn containing character `position`, if any."""
        for turn in self.turns:
            if turn.start <= position < turn.end:
                return turn
        return None

    def participants_in(self, start: int, end: int) -> list[str]:
        """Participant ids whose turns overlap characters start-end (in turn order, once)."""
        seen: list[str] = []
        for turn in self.turns:
            if turn.participant and turn.start < end and start < turn.end \
                    and turn.participant not in seen:
                seen.append(turn.participant)
        return seen


@dataclass(frozen=True)
class Code:
    """A code of the codebook. `id` is its path: the parent's id, "/", a slug of the name."""

    id: str
    name: str
    parent: str = ""
    description: str = ""
    examples: tuple[str, ...] = ()
    color: str = ""  # "#RRGGBB", as REFI-QDA carries it
    codable: bool = True  # False for a category that only groups other codes


@dataclass(frozen=True)
class CodebookVersion:
    """The codebook as it stood when `number` was saved; earlier versions are never edited."""

    number: int
    codes: tuple[Code, ...]
    saved: str = ""  # ISO date-time
    author: str = ""
    note: str = ""  # what changed, in the author's words

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise QualError(f"codebook version {self.number}: no code {code_id!r}")

    def children(self, parent: str = "") -> list[Code]:
        return [c for c in self.codes if c.parent == parent]


@dataclass(frozen=True)
class Memo:
    """A researcher's note on the project, a code, a source or a segment of a source."""

    id: str
    author: str
    text: str
    target: str = "project"  # one of MEMO_TARGETS
    target_id: str = ""  # the code or source id; the source id for a segment
    start: int | None = None  # a segment's characters, end exclusive
    end: int | None = None
    created: str = ""


@dataclass(frozen=True)
class QualProject:
    name: str
    participants: tuple[Participant, ...] = ()
    sources: tuple[Source, ...] = ()
    codebook: tuple[CodebookVersion, ...] = ()  # every saved version, oldest first
    codings: tuple[Coding, ...] = ()
    memos: tuple[Memo, ...] = ()
    coders: tuple[str, ...] = ()
    lead: str = ""  # the user who may see the originals kept apart
    description: str = ""

    @property
    def codes(self) -> tuple[Code, ...]:
        """The current codebook's codes (the latest version)."""
        return self.codebook[-1].codes if self.codebook else ()

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise QualError(f"project {self.name!r}: no source {source_id!r}")

    def participant(self, participant_id: str) -> Participant:
        for participant in self.participants:
            if participant.id == participant_id:
                return participant
        raise QualError(f"project {self.name!r}: no participant {participant_id!r}")

    def lengths(self) -> dict[str, int]:
        return {s.id: len(s.text) for s in self.sources}

    def with_codebook(self, codes: Iterable[Code], *, author: str = "", note: str = "",
                      saved: str | None = None) -> QualProject:
        """A new codebook version appended; the codes are checked first."""
        codes = tuple(codes)
        check_codebook(codes)
        number = self.codebook[-1].number + 1 if self.codebook else 1
        version = CodebookVersion(number, codes, saved or _now(), author, note)
        return replace(self, codebook=(*self.codebook, version))

    def with_codings(self, codings: Iterable[Coding]) -> QualProject:
        """Codings added (each checked against its source and the current codebook)."""
        added = check_codings(codings, self.lengths())
        known = {c.id for c in self.codes}
        unknown = sorted({c.code for c in added} - known)
        if unknown:
            raise QualError(f"project {self.name!r}: code(s) {', '.join(map(repr, unknown))} "
                            "are not in the current codebook")
        coders = tuple(dict.fromkeys([*self.coders, *(c.coder for c in added)]))
        return replace(self, codings=(*self.codings, *added), coders=coders)

    def check(self) -> QualProject:
        """Every reference resolves; all problems named at once."""
        problems = []
        ids = [p.id for p in self.participants]
        problems += [f"participant {i!r} appears twice" for i in _twice(ids)]
        problems += [f"source {i!r} appears twice" for i in _twice(s.id for s in self.sources)]
        known = set(ids)
        for source in self.sources:
            if source.kind not in SOURCE_KINDS:
                problems.append(f"source {source.id!r}: kind {source.kind!r} is not one of "
                                f"{', '.join(SOURCE_KINDS)}")
            for turn in source.turns:
                if not 0 <= turn.start <= turn.end <= len(source.text):
                    problems.append(f"source {source.id!r}: turn {turn.start}-{turn.end} lies "
                                    f"outside its {len(source.text)} characters")
                if turn.participant and turn.participant not in known:
                    problems.append(f"source {source.id!r}: turn {turn.start}-{turn.end} "
                                    f"names unknown participant {turn.participant!r}")
        for version in self.codebook:
            try:
                check_codebook(version.codes)
            except QualError as error:
                problems.append(f"codebook version {version.number}: {error}")
        try:
            check_codings(self.codings, self.lengths())
        except QualError as error:
            problems.append(str(error))
        codes = {c.id for c in self.codes}
        problems += [f"{c.describe()}: code not in the current codebook"
                     for c in self.codings if c.code not in codes]
        sources = {s.id for s in self.sources}
        for memo in self.memos:
            if memo.target not in MEMO_TARGETS:
                problems.append(f"memo {memo.id!r}: target {memo.target!r} is not one of "
                                f"{', '.join(MEMO_TARGETS)}")
            elif memo.target == "code" and memo.target_id not in codes:
                problems.append(f"memo {memo.id!r}: no code {memo.target_id!r}")
            elif memo.target in ("source", "segment") and memo.target_id not in sources:
                problems.append(f"memo {memo.id!r}: no source {memo.target_id!r}")
        if problems:
            raise QualError("\n".join(problems))
        return self


def check_codebook(codes: Iterable[Code]) -> None:
    """Unique ids, parents that exist and come first, no cycles; all problems at once."""
    problems, seen = [], set()
    for code in codes:
        if not code.id or not code.name.strip():
            problems.append(f"code {code.id!r}: an id and a name are required")
        if code.id in seen:
            problems.append(f"code {code.id!r} appears twice")
        if code.parent and code.parent not in seen:
            problems.append(f"code {code.id!r}: parent {code.parent!r} is not an earlier code")
        seen.add(code.id)
    if problems:
        raise QualError("\n".join(problems))


def code_id(name: str, parent: str = "") -> str:
    """The id of a code named `name` under `parent`: its path of slugs."""
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
    if not slug:
        raise QualError(f"code name {name!r} has no letters or digits to name it by")
    return f"{parent}/{slug}" if parent else slug


def _twice(values: Iterable[str]) -> list[str]:
    seen, twice = set(), []
    for value in values:
        if value in seen and value not in twice:
            twice.append(value)
        seen.add(value)
    return twice


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --- saving and loading ---------------------------------------------------------------------

PROJECT_FILE = "project.json"


def to_dict(project: QualProject) -> dict:
    return asdict(project)


def participant_from_dict(data: Mapping) -> Participant:
    return Participant(**{**data, "attributes": dict(data.get("attributes", {}))})


def code_from_dict(data: Mapping) -> Code:
    return Code(**{**data, "examples": tuple(data.get("examples", ()))})


def from_dict(data: Mapping) -> QualProject:
    """The project from `to_dict`'s form (also what the platform stores and serves)."""
    try:
        return QualProject(
            name=data["name"],
            participants=tuple(map(participant_from_dict, data.get("participants", ()))),
            sources=tuple(Source(**{**s, "turns": tuple(Turn(**t) for t in s["turns"])})
                          for s in data.get("sources", ())),
            codebook=tuple(CodebookVersion(**{**v, "codes": tuple(map(code_from_dict,
                                                                       v["codes"]))})
                           for v in data.get("codebook", ())),
            codings=tuple(Coding(**c) for c in data.get("codings", ())),
            memos=tuple(Memo(**m) for m in data.get("memos", ())),
            coders=tuple(data.get("coders", ())),
            lead=data.get("lead", ""),
            description=data.get("description", ""),
        ).check()
    except (KeyError, TypeError) as error:
        raise QualError(f"not a qualitative project ({type(error).__name__}: {error})") from None


def save_project(project: QualProject, directory: Path) -> Path:
    """Write `project.json` into `directory` (created if needed); returns its path.

    Written to a temporary file and renamed, so a crash never leaves half a project.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PROJECT_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(to_dict(project.check()), indent=1, ensure_ascii=False),
                       encoding="utf-8")
    partial.replace(path)
    return path


def load_project(directory: Path) -> QualProject:
    path = Path(directory) / PROJECT_FILE
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise QualError(f"{path}: no project here (create one with `workforce qual import`)") \
            from None
    return parse_project(content, path)


def parse_project(content: bytes, path: Path) -> QualProject:
    """The project of a `project.json`'s bytes (read once by a caller that also hashes them);
    `path` names it in messages."""
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise QualError(f"{path}: not a readable project file ({error})") from None
    try:
        return from_dict(data)
    except QualError as error:
        raise QualError(f"{path}: {error}") from None
