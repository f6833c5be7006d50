"""De-identification: finding what identifies a person in a text and replacing it by role tags.

What is looked for (`find_identifiers`, also used to check quotes before publication):

- every name and alias of a participant, and each part of one that has at least 3 letters
  ("Ana", "Ruiz" from "Ana Ruiz"; "García" and "López" from "García-López"), with a title
  before it taken along ("Dr. Ruiz"). A part that is also a common word ("Rose", "Will",
  "Young") is matched only when written with a capital, so "a rose" stays but "Rose said"
  does not; particles ("van", "del") and titles alone are never taken;
- every institution, place and other term the researcher lists;
- e-mail addresses, and telephone numbers in North American (``(555) 123-4567``,
  ``555.123.4567``, ``+1 555 123 4567``), international (``+44 20 7946 0958``) and national
  (``020 7946 0958``) forms; a year, a range of years or a count is not a telephone number.

Terms match whole words (a letter on either side stops a match, as does a digit next to a
digit), ignoring case, accents ("Garcia" for "García" and back) and the width of spaces, so
"Ana's" yields "Ana" and keeps its "'s". Where matches overlap, the longest wins (and takes
the characters of the others along, so no half of an identifier is left). All terms of a list
are compiled into one regular expression shaped as a trie, so a match costs the length of the
term, not the number of terms.

What it is replaced by (`deidentify`): a participant's name by that participant's tag
``[PARTICIPANT n]`` (numbered by `participant_tags`; a name part shared by two participants by
``[PARTICIPANT]``), and ``[INSTITUTION]``, ``[PLACE]``, ``[EMAIL]``, ``[PHONE]``,
``[REDACTED]`` for the rest. The original text and every replacement are returned apart, as an
`Original`, which only the project's lead sees; it maps offsets of the de-identified text back.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import yaml

from workforce.qual.codings import QualError
from workforce.qual.project import QualProject, Source
from workforce.qual.sources import ROLE_LABEL, label_key

NAME, EMAIL, PHONE, INSTITUTION, PLACE, OTHER = (
    "name", "email", "phone", "institution", "place", "other")
KINDS = (NAME, EMAIL, PHONE, INSTITUTION, PLACE, OTHER)
TAGS = {INSTITUTION: "[INSTITUTION]", PLACE: "[PLACE]", EMAIL: "[EMAIL]", PHONE: "[PHONE]",
        OTHER: "[REDACTED]"}
# A name part two participants share: it names someone, but not one we can tell.
SHARED_NAME_TAG = "[PARTICIPANT]"

MIN_PART_LETTERS = 3
MAX_TERM_CHARACTERS = 300


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


TITLES = _word_set("dr dr. doctor prof prof. professor mr mr. mrs mrs. ms ms. mx mx. miss sir "
                   "dame rev rev. sr sr. sra sra. srta srta. dra dra. herr frau")
PARTICLES = _word_set("van von der den del della dei des los las das dos ter ten bin binti "
                      "bint ibn abu")
# Name parts that are also everyday words: matched only when capitalized, as a name is.
COMMON_WORDS = _word_set("""
    will mark rose grace hope joy faith may june april august bill frank rich young long
    black white green brown gray grey king hall hill wood woods park price bell cook baker
    miller carpenter mason fisher hunter porter turner walker ward wells west north south
    east love little cash dean lane page rice fox wolf bird lamb stone sharp short strong
    swift dawn summer autumn winter spring sky ray art gene chance chase guy sue pat rob don
    dot glen hazel holly ivy iris lily daisy heather ruby pearl amber crystal jewel sunny
    honey star angel major bishop pope knight marshal judge steward sterling noble free best
    good golden silver gold field ford bush banks brook brooks moore more case cross dale day
    early english french german hardy hay holiday house lord man new nation reed read small
    rivers river lake carter church cole cooper dove drake gay hart hawk hood lucky
    lynn mercy miles royal sage savage shepherd snow sparks storm wise penny sandy rusty
    the and for are but not you all any can had her was one our out get has him his how its
    let say she too use who way yes yet also just like well very much most some such than
    then them they this that what when where which with your from have been were would could
    should into over only even back here there about after again other still those these
    their first last said says work team group chair head lead moderator doctor
""")

# Spaces inside a term match spaces of any width, but never a line break, so an identifier
# never spans two lines (or two turns).
_SPACE = r"[^\S\n]+"
_TITLE = (r"(?:(?i:dr|doctor|prof|professor|mr|mrs|ms|mx|miss|sir|dame|rev|sr|sra|srta|dra"
          r"|herr|frau)\.?" + _SPACE + ")")
# Where a term may start or end: not next to a letter ("Ana" is not in "Banana", but is in
# "ana_ruiz" and "Ana2"), nor between two digits ("Room 101" is not in "Room 1011").
_NO_DIGIT_PAIR = r"(?!(?<=\d)\d)"
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    # Only a digit next to a digit stops a number: "tel:555 123 4567" and "4567(555) ..." count.
    r"(?:(?=[(+])|(?<![\d+]))(?:"
    r"(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}"  # North American
    r"|\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}"  # international, with a country code
    r"|0\d{1,4}[ .-]\d{2,4}(?:[ .-]?\d{2,4}){1,3}"  # national, with a trunk 0
    r")(?!\d)"
)
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 8, 15


@dataclass(frozen=True)
class Identifier:
    """Characters start-end (end exclusive) of a text that identify someone."""

    start: int
    end: int
    kind: str  # one of KINDS
    value: str  # the characters as written
    participant: str = ""  # the participant a name belongs to ("" when not known)


@dataclass(frozen=True)
class IdentifyingList:
    """What identifies the people of a project: kept apart from the project, never exported.

    `names` maps a participant id to their names and aliases ("Ana Ruiz", "Anita").
    """

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    institutions: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def with_names(self, names: Mapping[str, Iterable[str]]) -> IdentifyingList:
        """This list with more names (e.g. `read_participants(...).names`) merged in."""
        merged = {pid: tuple(values) for pid, values in self.names.items()}
        for pid, values in names.items():
            merged[pid] = tuple(dict.fromkeys([*merged.get(pid, ()), *values]))
        return replace(self, names=merged)

    def merged(self, other: IdentifyingList) -> IdentifyingList:
        """Every name and term of this list and of `other`, each once, in first-seen order."""
        def union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys([*a, *b]))

        return replace(self.with_names(other.names),
                       institutions=union(self.institutions, other.institutions),
                       places=union(self.places, other.places),
                       other=union(self.other, other.other))

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher(self)


def read_identifying_list(path: Path | str) -> IdentifyingList:
    """An identifying list from YAML: `institutions`, `places`, `other` (lists of terms) and
    optionally `names` (participant id → a name or a list of names); errors name the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except UnicodeDecodeError as error:
        raise QualError(f"{path}: not UTF-8 text ({error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise QualError(f"{path}: {where}not readable YAML "
                        f"({getattr(error, 'problem', None) or error})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise QualError(f"{path}: an identifying list is a mapping with keys "
                        "institutions, places, other and names")
    problems = [f"{path}, key {key!r}: not a key of an identifying list (institutions, places,"
                " other, names)" for key in data if key not in ("institutions", "places",
                                                                "other", "names")]

    def terms(key: str, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            problems.append(f"{path}, key {key!r}: a list of terms, not {type(value).__name__}")
            return ()
        kept = []
        for index, term in enumerate(value):
            if not isinstance(term, str | int) or not str(term).strip():
                problems.append(f"{path}, key {key}[{index}]: {term!r} is not a term (text)")
            elif len(str(term)) > MAX_TERM_CHARACTERS:
                problems.append(f"{path}, key {key}[{index}]: longer than "
                                f"{MAX_TERM_CHARACTERS} characters")
            else:
                kept.append(" ".join(str(term).split()))
        return tuple(kept)

    names = data.get("names") or {}
    if not isinstance(names, dict):
        problems.append(f"{path}, key 'names': a mapping of participant id to names")
        names = {}
    identifying = IdentifyingList(
        names={str(pid): terms(f"names.{pid}", values) for pid, values in names.items()},
        institutions=terms("institutions", data.get("institutions")),
        places=terms("places", data.get("places")),
        other=terms("other", data.get("other")),
    )
    if problems:
        raise QualError("\n".join(problems))
    return identifying


def participant_tags(participant_ids: Iterable[str]) -> dict[str, str]:
    """Participant id → "[PARTICIPANT n]", numbered from 1 in the order given."""
    return {pid: f"[PARTICIPANT {n}]"
            for n, pid in enumerate(dict.fromkeys(participant_ids), start=1)}


# --- finding ----------------------------------------------------------------------------------


def find_identifiers(text: str, identifying: IdentifyingList) -> list[Identifier]:
    """Every identifier in `text`, in order, none overlapping (the longest match wins)."""
    if not unicodedata.is_normalized("NFC", text):
        # Terms are matched in NFC form; offsets are given back in the text as passed.
        normal, origin = _nfc_with_offsets(text)
        return [replace(found, start=origin[found.start], end=origin[found.end],
                        value=text[origin[found.start]:origin[found.end]])
                for found in find_identifiers(normal, identifying)]
    return identifying._matcher.find(text)


class _Matcher:
    """The compiled terms of one identifying list."""

    def __init__(self, identifying: IdentifyingList) -> None:
        # term key → (kind, participant); `cased` holds common-word name parts, as written.
        self.terms: dict[str, tuple[str, str]] = {}
        self.cased: dict[str, tuple[str, str]] = {}
        for pid, names in identifying.names.items():
            for name in names:
                self._add(self.terms, _key(name), NAME, pid)
        for kind, terms in ((INSTITUTION, identifying.institutions),
                            (PLACE, identifying.places), (OTHER, identifying.other)):
            for term in terms:
                self._add(self.terms, _key(term), kind, "")
        # Parts come last: a listed term ("Stanford" the institution) beats a derived one.
        for pid, names in identifying.names.items():
            for name in names:
                for part in _name_parts(name):
                    if part.casefold() in COMMON_WORDS:
                        for written in {part, part[:1].upper() + part[1:], part.upper()}:
                            self._add(self.cased, _cased_key(written), NAME, pid)
                    else:
                        self._add(self.terms, _key(part), NAME, pid)
        too_long = [t for t in self.terms if len(t) > MAX_TERM_CHARACTERS]
        if too_long:
            raise QualError(f"identifying list: {too_long[0][:40]!r}... is longer than "
                            f"{MAX_TERM_CHARACTERS} characters; it cannot be a name or a place")
        self.insensitive = _compile(self.terms, re.IGNORECASE)
        self.sensitive = _compile(self.cased, 0)

    @staticmethod
    def _add(table: dict, key: str, kind: str, participant: str) -> None:
        if not key:
            return
        if key not in table:
            table[key] = (kind, participant)
        elif table[key][0] == NAME == kind and table[key][1] != participant:
            table[key] = (NAME, "")  # shared by two participants

    def find(self, text: str) -> list[Identifier]:
        found: list[Identifier] = []
        folded = _fold(text)
        for regex, table, key in ((self.insensitive, self.terms, _key),
                                  (self.sensitive, self.cased, _cased_key)):
            if regex is None:
                continue
            for match in regex.finditer(folded):
                term_start, end = match.span("term")
                kind, participant = (table.get(key(match.group("term")))
                                     or self.terms.get(_key(match.group("term")))
                                     or (OTHER, ""))
                start = match.start("title") if kind == NAME and match.group("title") \
                    else term_start
                found.append(Identifier(start, end, kind, text[start:end], participant))
        found += [Identifier(m.start(), m.end(), EMAIL, m.group()) for m in _EMAIL.finditer(text)]
        found += [Identifier(m.start(), m.end(), PHONE, m.group()) for m in _phones(text)]
        return _longest_wins(found, text)


def _phones(text: str) -> Iterable[re.Match]:
    """Telephone numbers: matches of _PHONE with 8 to 15 digits. A match with more digits may be
    two numbers written together; the longest shorter match from its start is tried."""
    position = 0
    while (match := _PHONE.search(text, position)) is not None:
        if not _phone_digits_fit(match):
            match = next((shorter for end in range(match.end() - 1, match.start(), -1)
                          if (shorter := _PHONE.match(text, match.start(), end)) is not None
                          and not text[shorter.end():shorter.end() + 1].isdigit()
                          and _phone_digits_fit(shorter)), None) or match
        if _phone_digits_fit(match):
            yield match
            position = match.end()
        else:
            position = match.start() + 1


def _phone_digits_fit(match: re.Match) -> bool:
    return MIN_PHONE_DIGITS <= sum(c.isdigit() for c in match.group()) <= MAX_PHONE_DIGITS


def _longest_wins(found: list[Identifier], text: str) -> list[Identifier]:
    """One identifier per run of overlapping matches: the longest one's kind and participant,
    over all the characters of the run. Where one match lies inside another that is the longer
    match; where two only overlap ("...0958Ana@x.org" glued), neither half is left behind."""
    kept: list[Identifier] = []
    run: list[Identifier] = []
    for identifier in sorted(found, key=lambda f: (f.start, -f.end)):
        if run and identifier.start >= max(f.end for f in run):
            kept.append(_one_of(run, text))
            run = []
        run.append(identifier)
    if run:
        kept.append(_one_of(run, text))
    return kept


def _one_of(run: list[Identifier], text: str) -> Identifier:
    longest = max(run, key=lambda f: f.end - f.start)  # the first of equals: the earliest
    start, end = run[0].start, max(f.end for f in run)
    return replace(longest, start=start, end=end, value=text[start:end])


def _key(term: str) -> str:
    # lower(), not casefold(): "ß" must stay one character for the expression to match it.
    return _cased_key(term).lower()


def _cased_key(term: str) -> str:
    return " ".join(_fold(unicodedata.normalize("NFC", term)).replace("’", "'").split())


class _AccentFold(dict):
    """str.translate table: a letter with accents → the letter without ("í" → "i"), one
    character for one, so offsets in the folded text are offsets in the text."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char)
                       if not unicodedata.combining(c))
        self[code] = folded = base if len(base) == 1 else char
        return folded


_ACCENT_FOLD = _AccentFold()


def _fold(text: str) -> str:
    """Text compared without accents: people often type "Garcia" for "García" and back."""
    return text.translate(_ACCENT_FOLD)


def _name_parts(name: str) -> list[str]:
    """The parts of a name that may stand alone: words of 3 letters or more, and each half of a
    hyphenated one; titles and particles are not names."""
    parts = []
    for word in name.split():
        word = word.strip(",;()\"")
        for part in [word, *word.split("-")] if "-" in word else [word]:
            part = part.strip(".'’")
            if sum(c.isalpha() for c in part) >= MIN_PART_LETTERS \
                    and part.casefold() not in TITLES | PARTICLES:
                parts.append(part)
    return list(dict.fromkeys(parts))


def _compile(table: Mapping[str, object], flags: int) -> re.Pattern | None:
    """One regular expression for every term, shaped as a trie, matched at every position:
    a lookahead finds the longest term starting at each character, overlaps included."""
    if not table:
        return None
    trie: dict = {}
    for term in table:
        node = trie
        for token in _tokens(term):
            node = node.setdefault(token, {})
        node[""] = {}  # the end of a term
    return re.compile(rf"(?=(?<![^\W\d_]){_NO_DIGIT_PAIR}(?P<title>{_TITLE})?"
                      rf"(?P<term>{_trie_pattern(trie)})(?![^\W\d_]){_NO_DIGIT_PAIR})", flags)


def _tokens(term: str) -> list[str]:
    """A term's characters, with each run of spaces as one token " "."""
    tokens: list[str] = []
    for char in term:
        if char.isspace():
            if tokens[-1:] != [" "]:
                tokens.append(" ")
        else:
            tokens.append(char)
    return tokens


def _token_pattern(token: str) -> str:
    if token == " ":
        return _SPACE
    if token == "'":
        return "['’]"
    return re.escape(token)


def _trie_pattern(node: dict) -> str:
    """The regular expression of a trie node; longer branches first, so the longest wins."""
    ends_here = "" in node
    branches = []
    for token in sorted((t for t in node if t), key=lambda t: (t == " ", t)):
        pattern, child = _token_pattern(token), node[token]
        # Follow a chain of single children without recursing, so long terms stay shallow.
        while len(child) == 1 and "" not in child:
            (token, child), = child.items()
            pattern += _token_pattern(token)
        branches.append(pattern + _trie_pattern(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends_here else body


def _nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """`text` in NFC and, for every position of it (and its end), the position in `text`."""
    normal: list[str] = []
    origin: list[int] = []
    cluster_start = 0
    for position in range(1, len(text) + 1):
        # A character with a combining class joins the one before it; a cluster ends before
        # the next character that does not.
        if position == len(text) or not unicodedata.combining(text[position]):
            composed = unicodedata.normalize("NFC", text[cluster_start:position])
            normal.append(composed)
            origin += [cluster_start] * len(composed)
            cluster_start = position
    origin.append(len(text))
    return "".join(normal), origin


# --- replacing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    """One identifier replaced: where it was, where its tag is now, and what it was."""

    original_start: int
    original_end: int
    start: int  # the tag's characters in the de-identified text
    end: int
    kind: str
    value: str  # the identifier as written in the original
    participant: str = ""


@dataclass(frozen=True)
class Original:
    """A source's text before de-identification and every replacement made, kept apart for the
    project's lead; it maps offsets between the two texts."""

    source: str
    text: str
    replacements: tuple[Replacement, ...] = ()

    @cached_property
    def _starts(self) -> tuple[list[int], list[int]]:
        return ([r.start for r in self.replacements],
                [r.original_start for r in self.replacements])

    def to_original(self, position: int, *, end: bool = False) -> int:
        """The position in the original text of `position` in the de-identified one.

        A position inside a tag maps to the start of what the tag replaced, or with `end` (for
        the end of a passage) to its end, so a passage that cuts a tag covers the whole name.
        """
        index = bisect.bisect_right(self._starts[0], position) - 1
        if index < 0:
            return position
        done = self.replacements[index]
        if position == done.start or (done.start < position < done.end and not end):
            return done.original_start
        if position < done.end:
            return done.original_end
        return position - done.end + done.original_end

    def to_deidentified(self, position: int, *, end: bool = False) -> int:
        """The position in the de-identified text of `position` in the original one."""
        index = bisect.bisect_right(self._starts[1], position) - 1
        if index < 0:
            return position
        done = self.replacements[index]
        if position == done.original_start or (
                done.original_start < position < done.original_end and not end):
            return done.start
        if position < done.original_end:
            return done.end
        return position - done.original_end + done.end

    def original_passage(self, start: int, end: int) -> str:
        """The original words behind characters start-end of the de-identified text."""
        return self.text[self.to_original(start):self.to_original(end, end=True)]


def deidentify(source: Source, identifying: IdentifyingList, *,
               tags: Mapping[str, str] | None = None) -> tuple[Source, Original]:
    """`source` with every identifier replaced by its tag, and the `Original` kept apart.

    `tags` maps participant ids to their tags (`participant_tags` of the project's
    participants, so a participant has one tag in every source); by default the participants
    of `identifying` are numbered in order. Turns are moved with their text and a speaker label
    that is a name becomes the tag ("Ana Ruiz: ..." → "[PARTICIPANT 3]: ..."). A label that a
    turn maps to a participant is taken as one of their names too ("Nita: ..." for P03 makes
    "Nita" a name of P03 everywhere in the text), unless it is a role or a code ("P3").
    """
    identifying = _with_speaker_names(identifying, [source])
    tags = dict(tags) if tags is not None else participant_tags(identifying.names)
    text, replacements = _replace(source.text, identifying, tags)
    original = Original(source.id, source.text, tuple(replacements))
    turns = tuple(replace(turn, speaker=_replace(turn.speaker, identifying, tags)[0],
                          start=original.to_deidentified(turn.start),
                          end=original.to_deidentified(turn.end, end=True))
                  for turn in source.turns)
    return replace(source, text=text, turns=turns, deidentified=True,
                   origin=_replace(source.origin, identifying, tags)[0]), original


def deidentify_project(project: QualProject, identifying: IdentifyingList,
                       ) -> tuple[QualProject, dict[str, Original]]:
    """Every source of the project de-identified, with one numbering of participants (the
    project's order, then any other person of `identifying`). Codings and segment memos are
    moved with their text, so they still cover the same words."""
    identifying = _with_speaker_names(identifying, project.sources)
    tags = participant_tags([*(p.id for p in project.participants), *identifying.names])
    sources, originals = [], {}
    for source in project.sources:
        new, original = deidentify(source, identifying, tags=tags)
        sources.append(new)
        originals[source.id] = original

    def moved(item):
        original = originals.get(item.source if hasattr(item, "source") else item.target_id)
        if original is None or item.start is None:
            return item
        return replace(item, start=original.to_deidentified(item.start),
                       end=original.to_deidentified(item.end, end=True))

    memos = tuple(moved(m) if m.target == "segment" else m for m in project.memos)
    return replace(project, sources=tuple(sources), codings=tuple(map(moved, project.codings)),
                   memos=memos), originals


_ROLE_WORDS = _word_set("moderator co-moderator facilitator co-facilitator interviewer "
                        "interviewee respondent participant speaker observer host notetaker "
                        "note-taker unknown inaudible crosstalk all group everyone several")
_NAME_LABEL = re.compile(r"[^\W\d_][\w.'’-]*(?:[^\S\n]+[^\W\d_][\w.'’-]*)*")


def _with_speaker_names(identifying: IdentifyingList,
                        sources: Iterable[Source]) -> IdentifyingList:
    """`identifying` with the labels turns give their participants as names of those
    participants, when a label reads as a name: words of letters, none a role, not a code."""
    extra: dict[str, list[str]] = {}
    for source in sources:
        for turn in source.turns:
            label = turn.speaker.strip()
            if not turn.participant or label in identifying.names.get(turn.participant, ()) \
                    or not _NAME_LABEL.fullmatch(label) or ROLE_LABEL.fullmatch(label) \
                    or label_key(label) == label_key(turn.participant) \
                    or any(w.strip(".").casefold() in _ROLE_WORDS for w in label.split()):
                continue
            extra.setdefault(turn.participant, [])
            if label not in extra[turn.participant]:
                extra[turn.participant].append(label)
    return identifying.with_names(extra) if extra else identifying


def _replace(text: str, identifying: IdentifyingList,
             tags: Mapping[str, str]) -> tuple[str, list[Replacement]]:
    pieces, replacements, cursor, shift = [], [], 0, 0
    for found in find_identifiers(text, identifying):
        tag = _tag(found, tags)
        start = found.start + shift
        pieces += [text[cursor:found.start], tag]
        replacements.append(Replacement(found.start, found.end, start, start + len(tag),
                                        found.kind, found.value, found.participant))
        shift += len(tag) - (found.end - found.start)
        cursor = found.end
    pieces.append(text[cursor:])
    return "".join(pieces), replacements


def _tag(found: Identifier, tags: Mapping[str, str]) -> str:
    if found.kind != NAME:
        return TAGS[found.kind]
    if not found.participant:
        return SHARED_NAME_TAG
    try:
        return tags[found.participant]
    except KeyError:
        raise QualError(f"participant {found.participant!r} is named in the text but has no "
                        "tag; number every participant with participant_tags") from None
