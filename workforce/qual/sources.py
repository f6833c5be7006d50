"""Importing sources: focus-group transcripts, participant lists and open-text answers.

A transcript (``.txt``, ``.docx``, ``.vtt`` or ``.srt``) becomes one `Source` whose text is
what was said, each turn on its own line with the speaker's label kept at its start
("Moderator: Welcome ...\\nP3: I think ..."), so a coder always sees who speaks. Offsets are
Python string indices (Unicode code points, end exclusive), as everywhere in `workforce.qual`.
Every text is put in Unicode NFC form on import, so "José" typed with a combining accent and
"José" typed as one character are the same characters for coding and de-identification.

Speaker labels in text layouts (``.txt``, ``.docx``; also a leading ``Name:`` in a subtitle
cue). A line starts a new turn when, after optional spaces and an optional time (``[00:12:05]``,
``(12:05)``, ``00:12:05``), it begins with a label and a colon followed by a space or the end of
the line, where the label

- starts with a letter, or is in square brackets (``[PARTICIPANT 3]``), and holds only letters,
  digits, spaces and ``. ' ’ - & ( ) /``; is at most 40 characters and at most 5 words;
- and is a speaker: it is given in `speakers` (as a label or as a participant id), or it names
  a role (``Moderator``, ``Facilitator``, ``Interviewer``, ``Participant 2``, ``P3``, ``R12``),
  or it starts at least two lines of the transcript. A word that introduces a remark
  (``Note:``, ``Update:``, ``Date:``, ...) is never a speaker unless it is given in `speakers`.

So "Note: she left at 10:30" inside a turn stays in that turn (a remark word, and a time is not a
label), and a one-off "So what I mean: ..." does not start a turn. Lines that follow a turn's
first line, up to the next speaker's line, continue that turn; a turn runs from its first
line's first non-blank character (its time or label) to the end of its last non-blank line.
Text before the first label (a title, the date) belongs to no turn. `text_turns` applies the
rule to text from anywhere. A ``.docx`` gives its paragraphs and table rows as lines, in order;
a row whose cells hold a time, a speaker and the words becomes "time Speaker: words", and a
speaker named in a table's cell is a speaker even if named once.

Subtitle formats: the speaker of a cue comes from a WebVTT voice tag (``<v Ana Ruiz>``) or a
leading label as above; a cue without either continues the current speaker's turn (before any
speaker it is a line of its own). Consecutive cues of one speaker are merged into one turn
(their lines joined by spaces) that keeps the first cue's start and the last cue's end as
`begin_seconds` / `end_seconds`. Cue tags are dropped and entities decoded (``&amp;`` → "&").

A label maps to a participant through `speakers` (label as written → participant id; the
comparison ignores case, brackets and repeated spaces); a label that is itself a participant id
named in `speakers` is that participant; any other label (a moderator) has participant "".

Bad input (a missing file, text that is not UTF-8, a corrupt ``.docx``, a broken cue) raises
`QualError` naming the file and, where the problem is in one place, the line and cue.
"""

from __future__ import annotations

import codecs
import csv
import functools
import html
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.qual.codings import QualError
from workforce.qual.project import OPEN_TEXT, TRANSCRIPT, Participant, Source, Turn
from workforce.standard.loader import load_standard
from workforce.standard.model import MISSING_CODES, Standard

FORMATS = {".txt": "txt", ".docx": "docx", ".vtt": "vtt", ".srt": "srt"}

MAX_LABEL_CHARACTERS = 40
MAX_LABEL_WORDS = 5

# A time before the label, as transcription services write it: [00:12:05], (12:05), 0:12:05.
_TIME = r"(?:[\[(]?(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]?[^\S\n]+)?"
_LABEL = (r"(?P<label>\[[^\W\d_][\w .'’&()/-]{0,38}\]"
          r"|[^\W\d_][\w .'’&()/-]{0,39}?)[^\S\n]*:(?=\s|$)")
_LINE_LABEL = re.compile(r"[^\S\n]*(?P<head>" + _TIME + _LABEL + r")")
_CUE_LABEL = re.compile(r"\s*(?P<head>" + _LABEL + r")")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Labels that start a turn the first time they are seen: roles and participant codes.
ROLE_LABEL = re.compile(
    r"(?:co[- ]?)?(?:moderator|facilitator|interviewer|interviewee|respondent|participant"
    r"|speaker|note[- ]?taker|observer|host)(?:[ _#-]?\d{1,3}[a-z]?)?"
    r"|(?:p|pt|r|m|f|i|s|id)[ _#-]?\d{1,3}",
    re.IGNORECASE,
)
# Words that introduce a remark inside a turn rather than a speaker ("Note: ...").
REMARK_WORDS = _word_set("""
    note notes nb n.b. ps p.s. edit edited update example e.g. eg i.e. ie re fyi subject
    date time location venue place topic agenda summary action todo warning caution important
    tip hint source sources transcript transcription transcriber translation translator
    duration recording title attendees present absent participants quote comment comments
    reminder aside correction clarification context background definition
""") | {"action items", "to do", "transcriber's note", "translator's note", "note to self",
       "side note"}

_VOICE = re.compile(r"\s*<v(?:\.[\w-]+)*\s+([^>]*)>")
# Cue text tags (<i>, <c.yellow>, </v>): "[^<>]" keeps the scan linear on a stray "<".
_CUE_TAG = re.compile(r"<[^<>\n]*>")
# SubRip styling that players honour but nobody said: <i>, <font color=...>, {\an8}.
_SRT_TAG = re.compile(r"</?(?:i|b|u|s|font)\b[^<>\n]*>|\{\\[^{}\n]*\}", re.IGNORECASE)

_VTT_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
_VTT_TIMING = re.compile(rf"\s*({_VTT_TIME})[ \t]+-->[ \t]+({_VTT_TIME})(?:[ \t].*)?")
_SRT_TIME = r"\d+[,.:，．。：]\d+[,.:，．。：]\d+(?:[,.:，．。：]\d*)?"
_SRT_TIMING = re.compile(rf"\s*({_SRT_TIME}) *-[ -] *> *({_SRT_TIME}).*")
_SRT_ARROW = re.compile(r"-[ -] *>")


# --- transcripts ----------------------------------------------------------------------------


def read_transcript(path: Path | str, *, source_id: str | None = None, group: str = "",
                    speakers: Mapping[str, str] | None = None,
                    encoding: str | None = None) -> Source:
    """One transcript as a source; its format is chosen by the file's suffix.

    `speakers` maps labels as written to participant ids (``{"Ana": "P03"}``). Text is read
    as UTF-8 (a byte-order mark is fine, as is UTF-16 with one); text in another encoding is
    refused with the line of its first such byte rather than guessed, unless `encoding` names
    it (``"cp1252"`` for most Windows text).
    """
    path = Path(path)
    format_ = FORMATS.get(path.suffix.lower())
    if format_ is None:
        raise QualError(f"{path}: a transcript is a {', '.join(FORMATS)} file, not "
                        f"{path.suffix or 'a file without a suffix'!r}")
    known = _Speakers(speakers or {})
    if format_ == "docx":
        text, table_speakers = _read_docx(path)
        text, turns = _text_turns(text, _Speakers(speakers or {}, table_speakers))
    else:
        raw = _decode(path, _read_bytes(path), encoding)
        if format_ == "txt":
            text, turns = _text_turns(raw, known)
        elif format_ == "vtt":
            text, turns = _subtitle_turns(_vtt_segments(path, raw), known)
        else:
            text, turns = _subtitle_turns(_srt_segments(path, raw), known)
    return Source(id=source_id or path.stem, text=text, kind=TRANSCRIPT, group=group,
                  turns=turns, origin=f"{path.name} ({format_})")


def read_sources(paths: Iterable[Path | str], *, speakers: Mapping[str, str] | None = None,
                 group: str | Mapping[str, str] = "",
                 encoding: str | None = None) -> list[Source]:
    """Many transcripts, each with the id of its file's stem; every file's problems at once.

    `group` is one focus group for all, or a mapping from source id (file stem) to group.
    """
    sources, problems, seen = [], [], {}
    for path in map(Path, paths):
        if path.stem in seen:
            problems.append(f"{path}: source {path.stem!r} is already read from {seen[path.stem]}"
                            "; rename one of the files")
            continue
        seen[path.stem] = path
        its_group = group if isinstance(group, str) else group.get(path.stem, "")
        try:
            sources.append(read_transcript(path, group=its_group, speakers=speakers,
                                           encoding=encoding))
        except QualError as error:
            problems.append(str(error))
    if problems:
        raise QualError("\n".join(problems))
    return sources


def speaker_labels(path_or_source: Source | Path | str, **options) -> list[str]:
    """The distinct speaker labels of a transcript in order of appearance, to map them."""
    source = (path_or_source if isinstance(path_or_source, Source)
              else read_transcript(path_or_source, **options))
    return list(dict.fromkeys(turn.speaker for turn in source.turns if turn.speaker))


class _Speakers:
    """Which labels are speakers given by the researcher, and the participant of a label."""

    def __init__(self, speakers: Mapping[str, str], labels: Iterable[str] = ()) -> None:
        # Labels known to be speakers without a participant (a table's speaker column).
        self.labels = {label_key(label) for label in labels}
        self.participant_of: dict[str, str] = {}
        # A participant id written as a label is that participant, unless mapped otherwise.
        for participant in speakers.values():
            if participant:
                self.participant_of[label_key(participant)] = participant
        for label, participant in speakers.items():
            self.participant_of[label_key(label)] = participant

    def knows(self, label: str) -> bool:
        return label_key(label) in self.participant_of or label_key(label) in self.labels

    def participant(self, label: str) -> str:
        return self.participant_of.get(label_key(label), "")


def label_key(label: str) -> str:
    """A label compared without case, brackets or repeated spaces ("[P 3]" is "p 3")."""
    return " ".join(label.strip().strip("[]").casefold().split())


def _is_speaker(label: str, counts: Counter, known: _Speakers) -> bool:
    if known.knows(label):
        return True
    if label_key(label) in REMARK_WORDS:
        return False
    return bool(ROLE_LABEL.fullmatch(label.strip("[]").strip())) or counts[label] >= 2


def _candidate(match: re.Match | None) -> str | None:
    """The label of a line that looks like "Label: ...", if it is short enough to be one."""
    if match is None:
        return None
    label = match.group("label").rstrip()
    if len(label) > MAX_LABEL_CHARACTERS or len(label.strip("[]").split()) > MAX_LABEL_WORDS:
        return None
    return label


def text_turns(text: str, *, speakers: Mapping[str, str] | None = None,
               ) -> tuple[str, tuple[Turn, ...]]:
    """The text (newlines and Unicode normalized) and its turns, for transcript text in the
    "Speaker: ..." layout from anywhere (a file, a form on the platform)."""
    return _text_turns(text, _Speakers(speakers or {}))


def _text_turns(text: str, known: _Speakers) -> tuple[str, tuple[Turn, ...]]:
    """Turns of a "Speaker: ..." layout (see the module's docstring for the rule)."""
    text = _normalize(text)
    lines = text.split("\n")
    matches = [_LINE_LABEL.match(line) for line in lines]
    candidates = [_candidate(match) for match in matches]
    counts = Counter(label for label in candidates if label is not None)
    turns: list[Turn] = []
    current: dict | None = None
    offset = 0
    for line, match, label in zip(lines, matches, candidates, strict=True):
        if label is not None and _is_speaker(label, counts, known):
            if current:
                turns.append(Turn(**current))
            current = {"participant": known.participant(label), "speaker": label,
                       "start": offset + match.start("head"),
                       "end": offset + len(line.rstrip()),
                       "begin_seconds": _seconds(match.group("time"))}
        elif current and line.strip():
            current["end"] = offset + len(line.rstrip())
        offset += len(line) + 1
    if current:
        turns.append(Turn(**current))
    return text, tuple(turns)


def _seconds(time: str | None) -> float | None:
    """Seconds of "h:mm:ss", "mm:ss" (with optional fraction), as a transcript writes them."""
    if time is None:
        return None
    seconds = 0.0
    for part in time.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


@dataclass
class _Segment:
    """Text of one speaker within one cue, with the cue's times."""

    speaker: str | None  # from a voice tag; None when the cue's text must say
    text: str
    begin: float
    end: float


def _subtitle_turns(segments: list[_Segment], known: _Speakers) -> tuple[str, tuple[Turn, ...]]:
    """One line per turn ("Label: text"): a cue's speaker from its voice tag or leading label,
    consecutive cues of one speaker merged, a cue without a speaker continuing the turn."""
    segments = [s for s in segments if s.text]
    matches = [_CUE_LABEL.match(s.text) if s.speaker is None else None for s in segments]
    candidates = [_candidate(match) for match in matches]
    counts = Counter(label for label in candidates if label is not None)
    merged: list[dict] = []
    for segment, match, label in zip(segments, matches, candidates, strict=True):
        speaker, words = segment.speaker, segment.text
        if label is not None and _is_speaker(label, counts, known):
            speaker, words = label, segment.text[match.end("head"):].strip()
        # A cue that names no speaker continues a speaker's turn; after unattributed cues it
        # stays a line of its own, keeping its times.
        if merged and merged[-1]["speaker"] and speaker in (None, merged[-1]["speaker"]):
            merged[-1]["words"].append(words)
            merged[-1]["end"] = max(merged[-1]["end"], segment.end)
        else:
            merged.append({"speaker": speaker or "", "words": [words],
                           "begin": segment.begin, "end": segment.end})
    lines, turns, offset = [], [], 0
    for turn in merged:
        words = " ".join(w for w in turn["words"] if w)
        line = f"{turn['speaker']}: {words}".rstrip() if turn["speaker"] else words
        lines.append(line)
        turns.append(Turn(known.participant(turn["speaker"]) if turn["speaker"] else "",
                          turn["speaker"], offset, offset + len(line),
                          turn["begin"], turn["end"]))
        offset += len(line) + 1
    return "\n".join(lines), tuple(turns)


def _vtt_segments(path: Path, text: str) -> list[_Segment]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    text = _normalize(text)
    if not text.startswith("WEBVTT"):
        raise QualError(f"{path}: line 1: a WebVTT file starts with 'WEBVTT'")
    timings = _check_timings(path, text, _VTT_TIMING, "-->",
                             "hh:mm:ss.ttt --> hh:mm:ss.ttt")
    try:
        # Strict, so that a malformed cue is an error rather than silently left out.
        captions = webvtt.from_string(text, strict=True).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as error:
        raise QualError(f"{path}: not a readable WebVTT file ({error})") from None
    segments, problems = [], []
    for number, caption in enumerate(captions, start=1):
        begin = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        problems += _order_problems(path, begin, end, number, timings)
        in_cue: list[tuple[str | None, list[str]]] = []
        for line in caption.lines:
            voice = _VOICE.match(line)
            if voice:
                in_cue.append((html.unescape(voice.group(1)).strip() or None,
                               [line[voice.end():]]))
            elif in_cue:
                in_cue[-1][1].append(line)
            else:
                in_cue.append((None, [line]))
        segments += [_Segment(speaker, _cue_text(" ".join(lines), _CUE_TAG), begin, end)
                     for speaker, lines in in_cue]
    if problems:
        raise QualError("\n".join(problems))
    return segments


def _srt_segments(path: Path, text: str) -> list[_Segment]:
    import srt

    text = _normalize(text)
    timings = _check_timings(path, text, _SRT_TIMING, _SRT_ARROW,
                             "hh:mm:ss,ttt --> hh:mm:ss,ttt")
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        unmatched = error.unmatched_content
        position = error.expected_start + len(unmatched) - len(unmatched.lstrip())
        line = text.count("\n", 0, position) + 1
        raise QualError(f"{path}: line {line}: not a SubRip cue (a number, a line "
                        f"'hh:mm:ss,ttt --> hh:mm:ss,ttt', then its text): "
                        f"{unmatched.strip()[:60]!r}") from None
    except (ValueError, OverflowError) as error:
        raise QualError(f"{path}: not a readable SubRip file ({error})") from None
    segments, problems = [], []
    for number, subtitle in enumerate(subtitles, start=1):
        begin, end = subtitle.start.total_seconds(), subtitle.end.total_seconds()
        problems += _order_problems(path, begin, end, number, timings)
        segments.append(_Segment(None, _cue_text(subtitle.content, _SRT_TAG), begin, end))
    if problems:
        raise QualError("\n".join(problems))
    return segments


def _check_timings(path: Path, text: str, timing: re.Pattern, arrow: str | re.Pattern,
                   expected: str) -> list[int]:
    """The line number of every cue's timing line; every unreadable timing named at once.

    The subtitle libraries either skip a cue with a bad timing or fold it into the text of the
    cue before, without saying where; checking the lines first names them.
    """
    lines, problems = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        has_arrow = arrow in line if isinstance(arrow, str) else arrow.search(line)
        if not has_arrow:
            continue
        lines.append(number)
        if not timing.fullmatch(line):
            problems.append(f"{path}: line {number} (cue {len(lines)}): {line[:80]!r} is not "
                            f"a cue timing ({expected})")
    if problems:
        raise QualError("\n".join(problems))
    return lines


def _order_problems(path: Path, begin: float, end: float, cue: int,
                    timing_lines: list[int]) -> list[str]:
    if end >= begin:
        return []
    where = f"line {timing_lines[cue - 1]} " if cue <= len(timing_lines) else ""
    return [f"{path}: {where}(cue {cue}): the cue ends ({end:g} s) before it begins "
            f"({begin:g} s)"]


def _cue_text(text: str, tags: re.Pattern) -> str:
    """A cue's words on one line: tags removed, entities decoded, line breaks as spaces."""
    return " ".join(html.unescape(tags.sub("", text)).split())


def _read_docx(path: Path) -> tuple[str, list[str]]:
    """The paragraphs and table rows of a document as lines, and the speakers its tables name."""
    import docx
    import docx.table

    if not path.is_file():
        raise QualError(f"{path}: the file does not exist")
    try:
        document = docx.Document(str(path))
        lines, speakers = [], []
        for block in document.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    line, speaker = _table_row_line(row)
                    lines.append(line)
                    speakers += [speaker] if speaker else []
            else:
                lines.append(block.text)
        return "\n".join(lines), speakers
    except Exception as error:  # a broken package fails in many ways, all of them "corrupt"
        raise QualError(f"{path}: not a readable .docx file ({type(error).__name__}: "
                        f"{error}); open it in Word and save it again") from None


def _table_row_line(row) -> tuple[str, str | None]:
    """A transcript table's row as a line: "[time] Speaker: words" when one of its cells before
    the last is a speaker's name (as transcription services lay tables out), else its cells;
    and that speaker, whom the table's layout makes a speaker even if named once."""
    # A merged cell is given once per column it spans: keep it once.
    distinct = {id(cell._tc): cell.text.strip() for cell in row.cells}
    cells = [text for text in distinct.values() if text]
    for index, cell in enumerate(cells[:-1]):
        if _candidate(_CUE_LABEL.match(cell + ":")) == cell and not cell[:1].isdigit():
            before = " ".join(cells[:index])
            line = f"{cell}: {' '.join(cells[index + 1:])}"
            return (f"{before} {line}" if before else line), cell
    return " ".join(cells), None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except OSError as error:
        raise QualError(f"{path}: cannot be read ({error.strerror or error})") from None


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    """Text of a file: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order
    mark, or the encoding given; never a guess, so no character is silently changed."""
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        text = data.decode(encoding or "utf-8")
    except LookupError:
        raise QualError(f"{path}: {encoding!r} is not a known text encoding") from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        hint = ("save the file as UTF-8, or give its encoding (encoding='cp1252' for most "
                "Windows text)") if encoding is None else "check the encoding given"
        raise QualError(f"{path}: line {line}: byte 0x{data[error.start]:02x} is not "
                        f"{encoding or 'UTF-8'} text; {hint}") from None
    if "\x00" in text:
        # Valid UTF-8, but no transcript holds NUL: UTF-16 without its byte-order mark, or
        # not text at all. Reading on would give a text of every other character.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise QualError(f"{path}: line {line}: a NUL character; the file is not plain text "
                        "(if it is UTF-16, save it as UTF-8)")
    return text.removeprefix("\ufeff")


def _normalize(text: str) -> str:
    """One newline character and NFC: the form every offset of a source is counted in."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# --- participants -----------------------------------------------------------------------------

PARTICIPANT_COLUMNS = ("id", "group", "name", "aliases", "speaker", "response")
REQUIRED_PARTICIPANT_COLUMNS = ("id", "group")
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class ParticipantList:
    """What a participants file says: the participants, who they are, how transcripts call them.

    `participants` carry standard attributes only. `names` (participant id → name and aliases)
    identifies people: it feeds the de-identification pass and is kept apart from the project.
    `speakers` maps each transcript label to its participant id, and every participant id to
    itself, so that it can be given as `read_transcript`'s `speakers` as it is.
    """

    participants: tuple[Participant, ...]
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    speakers: Mapping[str, str] = field(default_factory=dict)


def read_participants(path: Path | str, *, encoding: str | None = None) -> ParticipantList:
    """A participants CSV: `id`, `group`, optional `name`, `aliases`, `speaker` (labels used in
    transcripts) and `response` (a survey response id), and standard dimensions as columns.

    `aliases` and `speaker` hold several values separated by ";". Every dimension value must be
    a code of the standard (a multi-select one its codes separated by ";"); a blank one is
    `unknown`, as the standard defines it. Every problem is named by file, line, column and
    value, and all are raised at once.
    """
    path = Path(path)
    text = _decode(path, _read_bytes(path), encoding)
    standard = load_standard()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise QualError(f"{path}: the file is empty; a participants list has columns "
                        f"{', '.join(PARTICIPANT_COLUMNS)} and standard dimensions") from None
    problems = _header_problems(path, header, standard)
    if any(column not in header for column in REQUIRED_PARTICIPANT_COLUMNS):
        raise QualError("\n".join(problems))
    participants, names, speakers = [], {}, {}
    first_line_of: dict[str, int] = {}
    label_owner: dict[str, tuple[str, int]] = {}
    line = 1
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(f"{path}, line {start}: {len(cells)} values for "
                                f"{len(header)} columns")
                continue
            row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
            participant_id = row["id"]
            if not participant_id:
                problems.append(f"{path}, line {start}, column 'id': blank; every participant "
                                "needs an id (a case name such as P03)")
                continue
            if participant_id in first_line_of:
                problems.append(f"{path}, line {start}, column 'id': {participant_id!r} appears "
                                f"twice (first at line {first_line_of[participant_id]})")
                continue
            first_line_of[participant_id] = start
            attributes = {}
            for column, value in row.items():
                if column in PARTICIPANT_COLUMNS or column not in _attribute_checks(standard):
                    continue
                code, problem = _attribute_checks(standard)[column](value)
                if problem:
                    problems.append(f"{path}, line {start}, column {column!r}: {problem}")
                else:
                    attributes[column] = code
            known = [row.get("name", ""), *_split(row.get("aliases", ""))]
            if any(known):
                names[participant_id] = tuple(dict.fromkeys(n for n in known if n))
            speakers[participant_id] = participant_id
            for label in _split(row.get("speaker", "")):
                owner = label_owner.setdefault(label_key(label), (participant_id, start))
                if owner[0] != participant_id:
                    problems.append(f"{path}, line {start}, column 'speaker': {label!r} is "
                                    f"already the label of {owner[0]} (line {owner[1]})")
                speakers[label] = participant_id
            participants.append(Participant(participant_id, row.get("group", ""), attributes,
                                            row.get("response", "")))
    except csv.Error as error:
        problems.append(f"{path}, line {line}: not readable CSV ({error})")
    id_of = {label_key(participant_id): participant_id for participant_id in first_line_of}
    for key, (owner, start) in label_owner.items():
        if id_of.get(key, owner) != owner:
            problems.append(f"{path}, line {start}, column 'speaker': {key!r} is the id of "
                            f"another participant, {id_of[key]}")
    if problems:
        raise QualError("\n".join(problems))
    return ParticipantList(tuple(participants), names, speakers)


def _header_problems(path: Path, header: list[str], standard: Standard) -> list[str]:
    problems = [f"{path}, line 1: missing column {column!r}"
                for column in REQUIRED_PARTICIPANT_COLUMNS if column not in header]
    checks = _attribute_checks(standard)
    for column in header:
        if column not in PARTICIPANT_COLUMNS and column not in checks:
            problems.append(
                f"{path}, line 1, column {column!r}: not a column of a participants list "
                f"({', '.join(PARTICIPANT_COLUMNS)}) nor a dimension of the standard "
                f"({', '.join(standard.dimensions)})")
    problems += [f"{path}, line 1: column {column!r} appears twice"
                 for column, count in Counter(header).items() if count > 1]
    return problems


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


@functools.cache
def _attribute_checks(standard: Standard) -> dict:
    """Attribute column → check(value) giving (code, problem): the standard's dimensions and
    the single-column derived views (a study may record `disability` as yes/no)."""
    checks = {view.column: _code_check(view.column, view.code_set, False, standard)
              for view in standard.views.values() if "{code}" not in view.column}
    return checks | {name: _code_check(name, dimension, dimension.multi, standard)
                     for name, dimension in standard.dimensions.items()}


def _code_check(column: str, codes, multi: bool, standard: Standard):
    is_code = codes.is_code if hasattr(codes, "is_code") else codes.__contains__
    listed = codes.code_list if hasattr(codes, "code_list") else tuple(sorted(codes))
    shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")

    def not_a_code(value: str) -> str:
        if is_code(value.upper()):
            return f"{value!r} is not a {column} code; write it in upper case: {value.upper()!r}"
        return f"{value!r} is not a {column} code (codes: {shown})"

    def check(value: str) -> tuple[str, str | None]:
        if not value:
            return "unknown", None  # blank: not collected, which the standard calls unknown
        if not multi:
            return value, None if is_code(value) else not_a_code(value)
        parts = sorted(set(_split(value)))
        bad = [not_a_code(part) for part in parts if not is_code(part)]
        if len(parts) > 1 and set(parts) & set(MISSING_CODES):
            bad.append(f"{value!r}: declined and unknown stand alone, not with other codes")
        return standard.multi_separator.join(parts), "; ".join(bad) or None

    return check


# --- open-text answers ------------------------------------------------------------------------


def open_text_sources(responses: pd.DataFrame, column: str, *, id_column: str,
                      attributes: Sequence[str] = (), group: str = "",
                      prefix: str = "R") -> tuple[list[Source], list[Participant]]:
    """One source per non-blank answer in `column`, one participant per respondent who gave
    one.

    A source's id is ``f"{column}-{response id}"`` and its one turn covers its whole text
    (the answer without surrounding blanks); the participant's id is ``prefix`` followed by the
    response id and carries the standard `attributes` read from the same record (a blank is
    `unknown`). Every value is checked once per distinct value, so tens of thousands of answers
    import in a fraction of a second.
    """
    missing = [name for name in (column, id_column, *attributes) if name not in responses]
    if missing:
        raise QualError(f"responses: no column {', '.join(map(repr, missing))}")
    standard = load_standard()
    checks = _attribute_checks(standard)
    unknown = [name for name in attributes if name not in checks]
    if unknown:
        raise QualError(f"responses: {', '.join(map(repr, unknown))} is not a dimension of the "
                        f"standard ({', '.join(standard.dimensions)})")
    texts = [_answer_text(value) for value in responses[column].to_numpy(dtype=object)]
    answered = np.flatnonzero(np.fromiter(map(bool, texts), dtype=bool, count=len(texts)))
    ids = [_id_text(value) for value in responses[id_column].to_numpy(dtype=object)[answered]]
    problems = [f"responses, column {id_column!r}: blank response id for the answer in row "
                f"{answered[i]}" for i, rid in enumerate(ids) if not rid][:20]
    twice = [rid for rid, count in Counter(ids).items() if count > 1 and rid]
    if twice:
        problems.append(f"responses, column {id_column!r}: response id(s) "
                        f"{', '.join(map(repr, twice[:10]))} appear more than once")
    codes = {}
    for name in attributes:
        codes[name], bad = _attribute_codes(responses[name].to_numpy(dtype=object)[answered],
                                            checks[name], ids)
        problems += [f"responses, column {name!r}: {problem}" for problem in bad]
    if problems:
        raise QualError("\n".join(problems))
    rows = (zip(*(codes[name] for name in attributes), strict=True) if attributes
            else ((),) * len(ids))
    sources, participants = [], []
    for position, rid, values in zip(answered.tolist(), ids, rows, strict=True):
        participant = f"{prefix}{rid}"
        text = texts[position]
        participants.append(Participant(participant, group, dict(zip(attributes, values,
                                                                     strict=True)), rid))
        sources.append(Source(f"{column}-{rid}", text, OPEN_TEXT, group,
                              (Turn(participant, participant, 0, len(text)),),
                              f"{column} (open text)"))
    return sources, participants


def _answer_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = (value if isinstance(value, str) else str(value)).strip()
    return _normalize(text) if text else ""


def _id_text(value: object) -> str:
    """A response id as text: 1042.0 (an integer column with gaps, read as floats) is "1042"."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _attribute_codes(values: np.ndarray, check, ids: list[str]) -> tuple[list[str], list[str]]:
    """Each value's code and the problems, checking every distinct value once."""
    positions, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    results = [check(_id_text(value)) for value in distinct] + [check("")]  # last: NA
    problems = []
    for index, (_code, problem) in enumerate(results):
        if problem:
            rows = np.flatnonzero(positions == (index if index < len(distinct) else -1))
            shown = ", ".join(ids[i] for i in rows[:5]) + (", ..." if len(rows) > 5 else "")
            problems.append(f"{problem}; in {len(rows)} answer(s) (responses {shown})")
    mapped = np.asarray([code for code, _ in results], dtype=object)[positions]
    return mapped.tolist(), problems
