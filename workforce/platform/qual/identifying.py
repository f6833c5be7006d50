"""The lead's identifying list against the stored texts: what a newly listed term still finds,
and the de-identification of those words applied again.

Stored texts are already de-identified, so a term the lead lists after an upload (a hospital
someone named, a nickname) is still in them. ``still_named`` runs ``find_identifiers`` over
every stored text with the list as it is now, leaving out the tags earlier passes wrote;
``reapplied`` replaces what it found by its tag and says how offsets move, so the action
(``actions.qual.do_reapply_deidentification``) can move codings, turns and segment memos
with their words and extend the lead's ``SourceOriginal`` so it still maps to the original.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workforce.qual.deidentify import (
    NAME,
    SHARED_NAME_TAG,
    TAGS,
    Identifier,
    IdentifyingList,
    Original,
    Replacement,
    find_identifiers,
    participant_tags,
)

# Where one listed kind is kept, as the lead edits it: the field of ``IdentifyingList``.
TERM_KINDS = {"institutions": "Institutions", "places": "Places", "other": "Other terms"}


@dataclass(frozen=True)
class StillNamed:
    """A listed term found in a stored (de-identified) text: where, and its kind only."""

    source: str  # the source's id (key)
    start: int
    end: int
    kind: str


def _tag_spans(replacements: object) -> list[tuple[int, int]]:
    """Where earlier passes put their tags in the stored text (``SourceOriginal.replacements``)."""
    spans = []
    for item in replacements if isinstance(replacements, list) else []:
        if isinstance(item, dict) and isinstance(item.get("start"), int) \
                and isinstance(item.get("end"), int):
            spans.append((item["start"], item["end"]))
    return spans


def new_identifiers(text: str, identifying: IdentifyingList,
                    replacements: object = ()) -> list[Identifier]:
    """Identifiers of ``text`` that lie outside the tags already written into it."""
    tags = _tag_spans(replacements)
    return [found for found in find_identifiers(text, identifying)
            if not any(found.start < end and start < found.end for start, end in tags)]


def still_named(sources: Iterable[tuple[str, str, object]],
                identifying: IdentifyingList) -> list[StillNamed]:
    """Every listed term left in ``sources`` (``(key, stored text, replacements)``), in order."""
    return [StillNamed(key, found.start, found.end, found.kind)
            for key, text, replacements in sources
            for found in new_identifiers(text, identifying, replacements)]


def project_tags(participant_ids: Iterable[str], identifying: IdentifyingList) -> dict[str, str]:
    """The participants' tags as uploads number them: the project's order, then the list's."""
    return participant_tags([*participant_ids, *identifying.names])


@dataclass(frozen=True)
class Reapplied:
    """One stored text with its newly found identifiers replaced.

    ``step`` maps the stored text to the new one (use its ``to_deidentified`` to move an
    offset); ``replacements`` are every replacement from the lead's original to the new text,
    the earlier ones moved and the new ones added, as ``SourceOriginal`` keeps them.
    """

    text: str
    step: Original
    replacements: tuple[Replacement, ...]
    found: tuple[Identifier, ...]


def reapplied(key: str, text: str, identifying: IdentifyingList, tags: Mapping[str, str],
              original_text: str, replacements: Iterable[Replacement]) -> Reapplied:
    """``text`` (stored, de-identified from ``original_text`` by ``replacements``) with every
    identifier outside the earlier tags replaced by its tag."""
    earlier = tuple(sorted(replacements, key=lambda r: r.start))
    first = Original(key, original_text, earlier)
    found = new_identifiers(text, identifying, [{"start": r.start, "end": r.end}
                                                for r in earlier])
    pieces, steps, cursor, shift = [], [], 0, 0
    for item in found:
        tag = _tag(item, tags)
        start = item.start + shift
        pieces += [text[cursor:item.start], tag]
        steps.append(Replacement(item.start, item.end, start, start + len(tag), item.kind,
                                 item.value, item.participant))
        shift += len(tag) - (item.end - item.start)
        cursor = item.end
    pieces.append(text[cursor:])
    step = Original(key, text, tuple(steps))
    moved = [Replacement(r.original_start, r.original_end, step.to_deidentified(r.start),
                         step.to_deidentified(r.end, end=True), r.kind, r.value, r.participant)
             for r in earlier]
    added = []
    for r in steps:
        original_start = first.to_original(r.original_start)
        original_end = first.to_original(r.original_end, end=True)
        added.append(Replacement(original_start, original_end, r.start, r.end, r.kind,
                                 original_text[original_start:original_end], r.participant))
    return Reapplied("".join(pieces), step,
                     tuple(sorted([*moved, *added], key=lambda r: r.start)), tuple(found))


def _tag(found: Identifier, tags: Mapping[str, str]) -> str:
    if found.kind != NAME:
        return TAGS[found.kind]
    return tags.get(found.participant, SHARED_NAME_TAG) if found.participant \
        else SHARED_NAME_TAG
