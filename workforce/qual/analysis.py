"""Analysis of a coded qualitative project: code frequencies, co-occurrence, themes by group
(through the disclosure gate) and exemplary quotes that may be published.

Which codings count. When several people coded, every figure here reads either one coder's
codings (`coder="ann"`) or, with ``coder=None``, their *union*: a character counts as coded
with a code when any coder applied the code to it. The union is the default because the
research team discusses what anybody saw before it reconciles; a reconciled coding is best
stored as a coder of its own (say ``consensus``) and chosen by name. Overlapping or touching
passages of one code in one source are merged into one *segment* first, so two coders
marking the same sentence count once.

Who raised a code. A participant raised a code when a segment of it overlaps one of their
turns; in an open-text source without turns, the respondent did. A moderator raises nothing.

What is published. `code_frequencies` and `co_occurrence` are working tables for the team
that reads the transcripts anyway. `theme_by_group` counts people by group, which a report
shows, so its counts pass the disclosure gate; `exemplary_quotes` chooses passages that
`check_quote` lets out, and says why the others were withheld.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workforce.disclosure.gate import PUBLISHED, SECONDARY, GateResult, TableSpec, protect_tables
from workforce.disclosure.primary import DEFAULT_THRESHOLD
from workforce.disclosure.table import TOTAL, build
from workforce.qual.codings import Coding, QualError
from workforce.qual.deidentify import IdentifyingList, find_identifiers
from workforce.qual.project import OPEN_TEXT, Participant, QualProject, Source

GROUP = "group"  # `by` for the focus group itself rather than a participant attribute
PARTICIPANTS = "_participants"  # the base row of `theme_by_group`: participants per group
UNKNOWN = "unknown"  # a participant without the attribute (the standard's missing code)
RAISED = "raised:"  # prefix of a code's yes/no dimension inside the gate

# Quotes: a passage shorter than this says too little to stand alone; a longer one carries
# too much of a person's way of speaking (and story) to stay unrecognisable.
MIN_WORDS = 6
MAX_WORDS = 60
# Moderate length, preferred when choosing exemplary quotes.
GOOD_WORDS = (12, 40)

# Why a quote may not be published: a kind (counted in reports) and its description.
IDENTIFIER = "identifier"
SMALL_GROUP = "small_group"
SEVERAL_SPEAKERS = "several_speakers"
NOT_A_PARTICIPANT = "not_a_participant"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
REASONS = {
    IDENTIFIER: "names a listed identifier",
    SMALL_GROUP: "its speaker's group is smaller than the threshold",
    SEVERAL_SPEAKERS: "spans several speakers",
    NOT_A_PARTICIPANT: "is not one participant's words",
    TOO_LONG: "is too long",
    TOO_SHORT: "is too short",
}


# --- which codings, merged into segments -------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """Characters start-end (end exclusive) of a source coded with a code, passages merged."""

    source: str
    code: str
    start: int
    end: int


def chosen_codings(project: QualProject, coder: str | None) -> list[Coding]:
    """The codings analysis reads: one coder's, or every coder's (the union) for None."""
    if coder is None:
        return list(project.codings)
    known = sorted({c.coder for c in project.codings})
    if coder not in known:
        raise QualError(f"project {project.name!r}: no codings by coder {coder!r} "
                        f"(coders: {', '.join(known) or 'none'})")
    return [c for c in project.codings if c.coder == coder]


def segments(codings: Iterable[Coding]) -> list[Segment]:
    """Overlapping or touching passages of one code in one source merged, sorted."""
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for coding in codings:
        spans.setdefault((coding.source, coding.code), []).append((coding.start, coding.end))
    out = []
    for (source, code), found in sorted(spans.items()):
        found.sort()
        start, end = found[0]
        for next_start, next_end in found[1:]:
            if next_start <= end:
                end = max(end, next_end)
            else:
                out.append(Segment(source, code, start, end))
                start, end = next_start, next_end
        out.append(Segment(source, code, start, end))
    return out


def speakers_of(project: QualProject, source: Source, start: int, end: int) -> list[str]:
    """Participant ids whose words lie in characters start-end (turn order, once each)."""
    if source.turns:
        return source.participants_in(start, end)
    if source.kind == OPEN_TEXT:
        # An open-text answer without turns is its respondent's, linked by response or id.
        return [p.id for p in project.participants if source.id in (p.response, p.id)]
    return []


def analysed_codes(project: QualProject, codings: Sequence[Coding]) -> list[str]:
    """Codable codes of the current codebook, in its order, then any other code coded."""
    codes = [c.id for c in project.codes if c.codable]
    extra = sorted({c.code for c in codings} - set(codes))
    return codes + extra


# --- frequencies and co-occurrence ------------------------------------------------------------

def code_frequencies(project: QualProject, *, coder: str | None = None) -> pd.DataFrame:
    """Per code (index): codings, segments, sources, participants who raised it, characters.

    `codings` counts the codings read (both coders' under the union); `segments` the merged
    passages; `characters` the characters coded, each once. Codes nobody applied show zeros.
    """
    codings = chosen_codings(project, coder)
    codes = analysed_codes(project, codings)
    sources = {s.id: s for s in project.sources}
    rows = {code: {"codings": 0, "segments": 0, "sources": set(), "participants": set(),
                   "characters": 0} for code in codes}
    for coding in codings:
        rows[coding.code]["codings"] += 1
    for segment in segments(codings):
        row = rows[segment.code]
        row["segments"] += 1
        row["sources"].add(segment.source)
        row["characters"] += segment.end - segment.start
        row["participants"].update(
            speakers_of(project, sources[segment.source], segment.start, segment.end))
    frame = pd.DataFrame(
        [{"code": code, "codings": r["codings"], "segments": r["segments"],
          "sources": len(r["sources"]), "participants": len(r["participants"]),
          "characters": r["characters"]} for code, r in rows.items()],
        columns=["code", "codings", "segments", "sources", "participants", "characters"],
    )
    return frame.set_index("code")


def co_occurrence(project: QualProject, *, coder: str | None = None) -> pd.DataFrame:
    """Codes × codes: the number of *turns* to which both codes apply.

    The unit is a speaker's turn (an open-text source without turns is one unit): a code
    applies to a turn when one of its segments overlaps it. Turns rather than characters or
    segments, because two codes rarely mark the very same characters, while "in the same
    breath" is what a reader means by co-occurring. The diagonal is the turns a code applies
    to; a passage over two turns applies to both.
    """
    codings = chosen_codings(project, coder)
    codes = analysed_codes(project, codings)
    column = {code: i for i, code in enumerate(codes)}
    units: dict[tuple[str, int], np.ndarray] = {}
    sources = {s.id: s for s in project.sources}
    for segment in segments(codings):
        source = sources[segment.source]
        for unit in _units_overlapping(source, segment.start, segment.end):
            applied = units.setdefault((source.id, unit), np.zeros(len(codes), dtype=np.int64))
            applied[column[segment.code]] = 1
    matrix = (np.stack(list(units.values())) if units
              else np.zeros((0, len(codes)), dtype=np.int64))
    counts = matrix.T @ matrix
    return pd.DataFrame(counts, index=pd.Index(codes, name="code"),
                        columns=pd.Index(codes, name="code"))


def _units_overlapping(source: Source, start: int, end: int) -> list[int]:
    if not source.turns:
        return [0]
    turns = sorted(source.turns, key=lambda t: (t.start, t.end))
    starts = [t.start for t in turns]
    last = bisect.bisect_left(starts, end)
    return [i for i in range(last) if turns[i].end > start and turns[i].start < end]


# --- themes by group, through the disclosure gate ----------------------------------------------

@dataclass(frozen=True)
class GatedMatrix:
    """Participants who raised each code, by group, as the disclosure gate lets them out.

    `counts` has the row ``_participants`` (participants per group: the base) and one row per
    code; its columns are the groups and ``Total``. A withheld count is None, and `status`
    says why (``published``, ``primary``, ``secondary``). `shares` (raised / participants of
    the group) is published only when both counts are.
    """

    by: str
    codes: tuple[str, ...]
    groups: tuple[str, ...]  # the groups, sorted; the columns add Total
    counts: pd.DataFrame
    status: pd.DataFrame
    shares: pd.DataFrame
    gate: GateResult
    small_groups: tuple[str, ...]  # groups under the threshold: never shown on their own

    @property
    def publishable(self) -> bool:
        return self.gate.publishable

    @property
    def threshold(self) -> int:
        return self.gate.threshold

    def cells(self) -> pd.DataFrame:
        """One row per code (and the base) and group: count, share and status."""
        rows = []
        for code in self.counts.index:
            for group in self.counts.columns:
                rows.append({
                    "code": code,
                    self.by: group,
                    "count": self.counts.at[code, group],
                    "share": None if code == PARTICIPANTS else self.shares.at[code, group],
                    "status": self.status.at[code, group],
                })
        # Object columns: a withheld count or share stays None rather than becoming NaN.
        return pd.DataFrame(rows, columns=["code", self.by, "count", "share", "status"],
                            dtype=object)

    def as_dict(self) -> dict:
        audit = self.gate.audit
        return {
            "by": self.by,
            "threshold": self.gate.threshold,
            "protection": self.gate.protection,
            "attackers": sorted({i.attacker for i in audit.intervals}),
            "passed": audit.passed,
            "small_groups": list(self.small_groups),
            "cells": self.cells().to_dict(orient="records"),
        }


def group_of(participant: Participant, by: str) -> str:
    """The participant's group for `by`: the focus group, or the code of an attribute."""
    value = participant.group if by == GROUP else participant.attributes.get(by, "")
    return str(value).strip() or UNKNOWN


def theme_by_group(
    project: QualProject,
    *,
    by: str,
    codes: Sequence[str] | None = None,
    coder: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    protection: float | None = None,
) -> GatedMatrix:
    """How many participants of each group raised each code, protected by the gate.

    The gate's tables, and why. People who raised a code are not additive across codes (one
    person raises several), so the codes cannot be one table with a code dimension whose
    total means anything. Within one code they are: each participant of a group either
    raised it or did not. So each code is its own table, group × raised (yes, no), whose
    margin over raised is the group's number of participants; the base is the table of
    participants by group. All of them are protected together as linked tables: the group
    sizes are the *same cells* in every table (one status everywhere), and the attacker's
    audit knows that raised + not raised = the group, i.e. that a hidden count can never
    exceed its group. "Not raised" counts people too and follows the same rule; it is not
    shown here, but it could be worked out from what is, so the gate must see it.

    A group smaller than the threshold is never shown on its own: every cell of it is held
    as primary, zeros included (0 of a group of 3 tells all three did not raise it). With
    ``by="group"``, each focus group is also an insider of the audit: its participants heard
    their own discussion and could subtract what they know from the totals.

    `protection` (default: the threshold, as everywhere the gate is used) is how far the
    attacker's interval must reach around a hidden count. A group of 7 whose count of 3 is
    hidden can only be protected by ±5 if the group's size is hidden too, so with focus
    groups of five to eight the default withholds most counts by group and leaves the
    totals; a smaller width, chosen and stated in the methods, shows more.
    """
    codings = chosen_codings(project, coder)
    known = analysed_codes(project, codings)
    codes = list(known if codes is None else codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise QualError(f"project {project.name!r}: no code {unknown[0]!r} to show by {by}")
    if not project.participants:
        raise QualError(f"project {project.name!r}: no participants to count")
    if by != GROUP and not any(by in p.attributes for p in project.participants):
        attributes = sorted({a for p in project.participants for a in p.attributes})
        raise QualError(f"project {project.name!r}: no participant has the attribute {by!r} "
                        f"(use 'group' or one of: {', '.join(attributes) or 'none'})")
    group = {p.id: group_of(p, by) for p in project.participants}
    groups = sorted(set(group.values()))
    size = Counter(group.values())
    small = tuple(g for g in groups if size[g] < threshold)

    sources = {s.id: s for s in project.sources}
    raised: dict[str, set[str]] = {code: set() for code in codes}
    for segment in segments(codings):
        if segment.code in raised:
            raised[segment.code].update(
                p for p in speakers_of(project, sources[segment.source], segment.start,
                                       segment.end) if p in group)

    specs = [TableSpec(PARTICIPANTS, pd.DataFrame({by: groups, "count": [size[g] for g in groups]}),
                       "count", (by,))]
    for code in codes:
        yes = Counter(group[p] for p in raised[code])
        inner = pd.DataFrame(
            [{by: g, RAISED + code: answer, "count": n}
             for g in groups
             for answer, n in (("no", size[g] - yes[g]), ("yes", yes[g]))])
        specs.append(TableSpec(code, inner, "count", (by, RAISED + code)))
    extra = {spec.name: _cells_of_groups(spec, small) for spec in specs} if small else None
    result = _protected(specs, threshold=threshold, protection=protection, cost="counts",
                        insiders=by if by == GROUP and len(groups) > 1 else None,
                        extra_primary=extra)
    return _gated_matrix(result, by, codes, groups, small)


# The analysis page gates its theme table each time it is shown, and its CSV again; on small
# linked tables the gate takes up to a second or two (32 tries, see
# `disclosure.gate.TRIES_BY_SIZE`). The gate gives the same result for the same tables and
# settings, so the last few results are kept, keyed by what was asked: a new coding, another
# grouping or another threshold asks the gate again.
_REMEMBERED: OrderedDict[str, GateResult] = OrderedDict()
_REMEMBER = 16
_remembered_lock = threading.Lock()


def _protected(specs: Sequence[TableSpec], **settings) -> GateResult:
    asked = hashlib.sha256()
    for spec in specs:
        hierarchies = sorted((d, sorted(h.parent.items())) for d, h in spec.hierarchies.items())
        asked.update(repr((spec.name, spec.count, spec.dims, hierarchies)).encode())
        asked.update(spec.inner.to_csv(index=False).encode())
    asked.update(repr(sorted(settings.items())).encode())
    key = asked.hexdigest()
    with _remembered_lock:
        if key in _REMEMBERED:
            _REMEMBERED.move_to_end(key)
            return _REMEMBERED[key]
    result = protect_tables(list(specs), **settings)
    with _remembered_lock:
        _REMEMBERED[key] = result
        while len(_REMEMBERED) > _REMEMBER:
            _REMEMBERED.popitem(last=False)
    return result


def _cells_of_groups(spec: TableSpec, groups: Sequence[str]) -> list[int]:
    """Positions, within the table's cells as the gate lays them out, of the groups' cells."""
    space = build(spec.inner, spec.count, spec.dims, source=spec.name)
    axis = space.dimensions.index(spec.dims[0])
    return [i for i, key in enumerate(space.keys) if key[axis] in groups]


def _gated_matrix(result: GateResult, by: str, codes: list[str], groups: list[str],
                  small: tuple[str, ...]) -> GatedMatrix:
    space = result.space
    values = space.value_array()
    columns = [*groups, TOTAL]
    rows = [PARTICIPANTS, *codes]
    # Built as objects with None in them: a withheld figure is None, never NaN.
    counts = pd.DataFrame([[None] * len(columns)] * len(rows), index=rows, columns=columns,
                          dtype=object)
    status = pd.DataFrame("", index=rows, columns=columns, dtype=object)
    shares = pd.DataFrame([[None] * len(columns)] * len(codes), index=codes, columns=columns,
                          dtype=object)

    def cell(group: str, code: str | None) -> int:
        key = {by: group} | ({RAISED + code: "yes"} if code else {})
        return space.index[tuple(key.get(d, TOTAL) for d in space.dimensions)]

    for row in rows:
        code = None if row == PARTICIPANTS else row
        for column in columns:
            i = cell(column, code)
            shown = result.publishable and result.status[i] == PUBLISHED
            counts.at[row, column] = int(round(values[i])) if shown else None
            status.at[row, column] = (str(result.status[i]) if result.publishable
                                      or result.status[i] != PUBLISHED else SECONDARY)
            if code is not None:
                base = cell(column, None)
                if shown and status.at[PARTICIPANTS, column] == PUBLISHED \
                        and result.status[base] == PUBLISHED and values[base] > 0:
                    shares.at[row, column] = round(float(values[i] / values[base]), 12)
    counts.index.name = status.index.name = "code"
    shares.index.name = "code"
    return GatedMatrix(by, tuple(codes), tuple(groups), counts, status, shares, result, small)


# --- quotes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """A coded passage proposed for publication, as it would be printed."""

    code: str
    source: str
    start: int
    end: int
    text: str  # the passage, whitespace collapsed (subtitle cues break lines anywhere)
    participant: str  # the one speaker; "" when there is none or several
    group: str  # the speaker's focus group
    coders: tuple[str, ...]  # coders who coded (at least half of) it with the code
    agreed: bool  # two or more coders did

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Refusal:
    quote: Quote
    reasons: tuple[str, ...]
    kinds: tuple[str, ...]  # keys of REASONS, one per reason


@dataclass(frozen=True)
class QuoteChoice:
    """The quotes chosen for one code, and the candidates withheld on the way, with why."""

    code: str
    accepted: tuple[Quote, ...] = ()
    refused: tuple[Refusal, ...] = ()

    def withheld(self) -> dict[str, int]:
        """How many candidates were withheld for each kind of reason (a quote may have
        several)."""
        return dict(sorted(Counter(k for r in self.refused for k in set(r.kinds)).items()))


def check_quote(
    quote_text: str,
    source: Source | str,
    start: int,
    end: int,
    project: QualProject,
    identifying: IdentifyingList,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    attributed_by: Sequence[str] = (GROUP,),
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
) -> list[str]:
    """Why the quote of characters start-end of `source` may not be published; [] if it may.

    `quote_text` is what would be printed (it may be edited, say a name replaced by a role
    tag such as ``[PARTICIPANT 3]``, which is fine); the offsets say whose words it is.
    `attributed_by` are what the report attributes the quote by ("group" for the focus
    group, or attributes such as ``career_stage``): the participants sharing the speaker's
    values on all of them must number at least `threshold`, and so must the speaker's focus
    group in any case. Reasons never repeat an identifier's text, only its kind and place.
    """
    return [reason for _, reason in _quote_problems(
        quote_text, source, start, end, project, identifying, threshold=threshold,
        attributed_by=attributed_by, min_words=min_words, max_words=max_words)]


def _quote_problems(quote_text, source, start, end, project, identifying, *, threshold,
                    attributed_by, min_words, max_words) -> list[tuple[str, str]]:
    source = project.source(source) if isinstance(source, str) else source
    problems: list[tuple[str, str]] = []
    for found in find_identifiers(quote_text, identifying):
        problems.append((IDENTIFIER, f"{REASONS[IDENTIFIER]} ({found.kind} at characters "
                                     f"{found.start}-{found.end} of the quote)"))
    labels = {(t.participant or t.speaker) for t in source.turns
              if t.start < end and start < t.end}
    speakers = speakers_of(project, source, start, end)
    if len(labels) > 1 or len(speakers) > 1:
        problems.append((SEVERAL_SPEAKERS, f"{REASONS[SEVERAL_SPEAKERS]} "
                                           f"({max(len(labels), len(speakers))})"))
    elif not speakers:
        problems.append((NOT_A_PARTICIPANT, f"{REASONS[NOT_A_PARTICIPANT]} (a moderator's or "
                                            "an unknown speaker's)"))
    else:
        speaker = project.participant(speakers[0])
        problems.extend(_small_group_problems(speaker, project, threshold, attributed_by))
    words = len(quote_text.split())
    if words > max_words:
        problems.append((TOO_LONG, f"{REASONS[TOO_LONG]} ({words} words; at most {max_words})"))
    elif words < min_words:
        problems.append((TOO_SHORT, f"{REASONS[TOO_SHORT]} ({words} words; at least "
                                    f"{min_words})"))
    return problems


def _small_group_problems(speaker: Participant, project: QualProject, threshold: int,
                          attributed_by: Sequence[str]) -> list[tuple[str, str]]:
    problems = []
    focus = [p for p in project.participants if p.group == speaker.group]
    if len(focus) < threshold:
        problems.append((SMALL_GROUP, f"{REASONS[SMALL_GROUP]} (focus group "
                                      f"{speaker.group!r}: {len(focus)} participants; at "
                                      f"least {threshold})"))
    shown = [d for d in attributed_by if d != GROUP]
    if shown:
        alike = [p for p in project.participants
                 if all(group_of(p, d) == group_of(speaker, d) for d in attributed_by)]
        if len(alike) < threshold:
            label = ", ".join(f"{d} {group_of(speaker, d)!r}" for d in attributed_by)
            problems.append((SMALL_GROUP, f"{REASONS[SMALL_GROUP]} (shown as {label}: "
                                          f"{len(alike)} participants; at least {threshold})"))
    return problems


def exemplary_quotes(
    project: QualProject,
    identifying: IdentifyingList,
    *,
    per_code: int = 2,
    coder: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    attributed_by: Sequence[str] = (GROUP,),
) -> dict[str, QuoteChoice]:
    """Up to `per_code` publishable quotes per code (codebook order), and those withheld.

    Candidates are the coded passages as coders marked them (`coder`'s, or everyone's for
    None). They are tried best first: passages two coders agreed on (another coder coded at
    least half of it with the code: a passage one coder alone marked may not show the theme
    at all), then a speaker not yet quoted for the code (quoting one person twice says less,
    and makes them easier to recognise), then a focus group
    not yet quoted for the code, then people and groups quoted least for earlier codes, then
    a moderate length (12-40 words), then their place in the text. A passage overlapping or
    repeating the words of one already chosen is skipped. Each is checked with
    `check_quote`; a refused one is kept with its reasons, and trying stops once enough are
    accepted, so `refused` is what was withheld on the way.
    """
    codings = chosen_codings(project, coder)
    everyone = list(project.codings)
    sources = {s.id: s for s in project.sources}
    quoted_overall: Counter[str] = Counter()  # participants and groups, across codes
    choices = {}
    for code in analysed_codes(project, codings):
        candidates = _candidates(project, sources, code, codings, everyone)
        accepted: list[Quote] = []
        refused: list[Refusal] = []

        def rank(q: Quote, accepted=accepted) -> tuple:
            people = {a.participant for a in accepted}
            groups = {a.group for a in accepted}
            return (not q.agreed, q.participant in people, q.group in groups,
                    quoted_overall["participant " + q.participant],
                    quoted_overall["group " + q.group],
                    _length_penalty(q.words), q.source, q.start, q.end)

        # The ranking changes only when a quote is accepted: sorted once, then again after
        # each acceptance (not a search of every candidate for each one tried).
        candidates.sort(key=rank)
        while candidates and len(accepted) < per_code:
            best = candidates.pop(0)
            if any(q.text == best.text or (q.source == best.source and q.start < best.end
                                           and best.start < q.end) for q in accepted):
                continue  # the same passage as marked by another coder, or the same words
            problems = _quote_problems(
                best.text, sources[best.source], best.start, best.end, project, identifying,
                threshold=threshold, attributed_by=attributed_by, min_words=MIN_WORDS,
                max_words=MAX_WORDS)
            if problems:
                refused.append(Refusal(best, tuple(r for _, r in problems),
                                       tuple(k for k, _ in problems)))
            else:
                accepted.append(best)
                candidates.sort(key=rank)
        quoted_overall.update(["participant " + q.participant for q in accepted]
                              + ["group " + q.group for q in accepted])
        choices[code] = QuoteChoice(code, tuple(accepted), tuple(refused))
    return choices


def _candidates(project: QualProject, sources: Mapping[str, Source], code: str,
                codings: Sequence[Coding], everyone: Sequence[Coding]) -> list[Quote]:
    spans = sorted({(c.source, c.start, c.end) for c in codings if c.code == code})
    of_code = [c for c in everyone if c.code == code]
    # Each coder's passages merged, so a coder who marked a turn and a sentence in it is
    # not counted twice when asking whether they coded at least half of a candidate; kept by
    # source, so each candidate looks only at its own source's passages.
    by_coder: dict[str, dict[str, list[Segment]]] = {}
    for name in sorted({c.coder for c in of_code}):
        mine = by_coder[name] = {}
        for segment in segments(c for c in of_code if c.coder == name):
            mine.setdefault(segment.source, []).append(segment)
    group = {p.id: p.group for p in project.participants}
    out = []
    for source_id, start, end in spans:
        source = sources[source_id]
        coders = tuple(
            name for name, marked in by_coder.items()
            if 2 * sum(max(0, min(end, s.end) - max(start, s.start))
                       for s in marked.get(source_id, ())) >= end - start)
        speakers = speakers_of(project, source, start, end)
        participant = speakers[0] if len(speakers) == 1 else ""
        out.append(Quote(code, source_id, start, end, " ".join(source.text[start:end].split()),
                         participant, group[participant] if participant else source.group,
                         coders, len(coders) >= 2))
    return out


def _length_penalty(words: int) -> int:
    low, high = GOOD_WORDS
    return max(0, low - words, words - high)

