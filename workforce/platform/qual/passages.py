"""A source's text cut into the pieces the coding page shows, and codings lined up to compare.

Every character of the text is in exactly one piece, and each piece carries its offsets
(``data-start``, ``data-end``: code points of the source's text, end exclusive), so the page's
script turns a selection into offsets by reading them instead of counting characters in the
page. Pieces are cut where a turn or one of the shown codings begins or ends, and around each
carriage return: HTML drops a ``\\r`` before ``\\n`` when parsing, which would make the text
in the page shorter than the source; the script snaps a selection inside such a piece to its
edge instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workforce.platform.qual.models import Coding, Source

_CARRIAGE_RETURN = re.compile(r"\r\n?")
EXCERPT_LENGTH = 160


@dataclass
class Piece:
    start: int
    end: int
    text: str
    codes: list[str] = field(default_factory=list)  # code names of the codings covering it

    @property
    def coded(self) -> bool:
        return bool(self.codes)


@dataclass
class Block:
    """A speaker's turn, or text between turns (``turn`` is None)."""

    start: int
    end: int
    pieces: list[Piece]
    index: int | None = None  # the turn's position in the source's turns
    speaker: str = ""
    participant: str = ""

    @property
    def is_turn(self) -> bool:
        return self.index is not None

    @property
    def label_in_text(self) -> bool:
        """The transcript writes the speaker at the start of the turn ("Moderator: ..."), so
        the page need not show the label a second time."""
        text = "".join(piece.text for piece in self.pieces).lstrip()
        return bool(self.speaker) and text.startswith(self.speaker)

    @property
    def blank(self) -> bool:
        return not "".join(piece.text for piece in self.pieces).strip()


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The passage on one line, shortened in the middle when long."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    half = (limit - 3) // 2
    return f"{flat[:half].rstrip()} … {flat[-half:].lstrip()}"


def blocks(
    source: Source, codings: Sequence[Coding] = (), names: dict | None = None
) -> list[Block]:
    """The source's text as blocks of pieces, with ``codings`` marked on the pieces."""
    names = names or {}
    text, length = source.text, source.length
    spans: list[tuple[int, int, dict | None, int | None]] = []
    cursor = 0
    turns = sorted(enumerate(source.turns), key=lambda item: (item[1]["start"], item[0]))
    for index, turn in turns:
        start, end = max(turn["start"], cursor), min(turn["end"], length)
        if end <= start:
            continue
        if start > cursor:
            spans.append((cursor, start, None, None))
        spans.append((start, end, turn, index))
        cursor = end
    if cursor < length or not spans:
        spans.append((cursor, length, None, None))
    cuts = {0, length}
    for coding in codings:
        cuts.update((coding.start, coding.end))
    for match in _CARRIAGE_RETURN.finditer(text):
        cuts.update(match.span())
    out = []
    for start, end, turn, index in spans:
        inner = sorted(cut for cut in cuts if start < cut < end)
        edges = [start, *inner, end]
        pieces = []
        for a, b in zip(edges, edges[1:], strict=False):
            covering = [c for c in codings if c.start <= a and b <= c.end]
            codes = sorted({names.get(c.code, c.code) for c in covering})
            pieces.append(Piece(a, b, text[a:b], codes))
        out.append(
            Block(
                start,
                end,
                pieces,
                index=index,
                speaker=(turn or {}).get("speaker", "") or (turn or {}).get("participant", ""),
                participant=(turn or {}).get("participant", ""),
            )
        )
    return out


def speakers_of(source: Source, start: int, end: int) -> list[str]:
    """The speaker labels of the turns overlapping start–end, in order, once each."""
    seen: list[str] = []
    for turn in source.turns:
        label = turn.get("speaker") or turn.get("participant") or ""
        if label and turn["start"] < end and start < turn["end"] and label not in seen:
            seen.append(label)
    return seen


@dataclass
class AlignedSegment:
    """A stretch of a source where the same coders applied one code (and the others not)."""

    start: int
    end: int
    text: str
    coded_by: list[bool]  # per coder, in the order compared
    cells: list[tuple[str, bool]] = field(default_factory=list)  # (coder name, coded), to show

    @property
    def agree(self) -> bool:
        return all(self.coded_by)


def aligned_segments(
    source: Source, codings: Iterable[Coding], coder_ids: Sequence[int]
) -> list[AlignedSegment]:
    """For the codings of one code in ``source``: the stretches at least one coder coded,
    cut where any coder's passage begins or ends, neighbours with the same coders merged."""
    codings = [c for c in codings if c.coder_id in coder_ids]
    cuts = sorted({c.start for c in codings} | {c.end for c in codings})
    segments: list[AlignedSegment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        coded_by = [
            any(c.coder_id == coder and c.start <= a and b <= c.end for c in codings)
            for coder in coder_ids
        ]
        if not any(coded_by):
            continue
        last = segments[-1] if segments else None
        if last is not None and last.end == a and last.coded_by == coded_by:
            last.end = b
        else:
            segments.append(AlignedSegment(a, b, "", coded_by))
    for segment in segments:
        segment.text = excerpt(source.text[segment.start : segment.end])
    return segments
