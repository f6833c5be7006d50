"""Synthetic focus groups on workplace climate and culture, for the demo and the tests.

Six focus groups of five to eight participants each, moderated, in the formats transcripts
arrive in: plain text with ``Speaker:`` lines, WebVTT with ``<v Name>`` voice tags, SRT and
DOCX. Speakers are labelled by their synthetic names, and a few turns name a colleague, an
institution or a town from the identifying list, an e-mail address or a telephone number,
so de-identification has work to do. Every sentence comes from `focus_groups/
utterances.yaml`, written for this generator: no real quotes and no real people.

Written alongside: the participants (standard codes for career stage, sector, role, gender
and race and ethnicity), the identifying list, the codebook, the truth (the theme each
themed sentence was written from, with its characters) and two synthetic coders' codings.
Coder A codes nearly every themed sentence, as written; coder B misses some, adds some and
often marks the whole turn instead of the sentence — the usual disagreement between people.
Offsets are those of the text `read_transcript` gives back, so they are computed after the
files are written and read again.

The composition is fixed (group sizes, career stages, sectors, roles); names, gender, race
and ethnicity and what is said are drawn from the seed. Every focus group reaches a
threshold of 5, but career stage ``student`` counts three participants overall: one group
is small only once participants are grouped by an attribute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import docx
import numpy as np
import yaml

from workforce.qual.codebook import codebook_yaml, read_codebook
from workforce.qual.deidentify import IdentifyingList, read_identifying_list
from workforce.qual.files import read_codings
from workforce.qual.project import QualProject, Source
from workforce.qual.sources import ParticipantList, read_participants, read_transcript
from workforce.synth.comments import PLACE_BY_SECTOR
from workforce.synth.randomness import draw_from, stream

DATA = Path(__file__).with_name("focus_groups")
CODERS = ("coder_a", "coder_b")
MODERATOR = "Moderator"
TOPICS = ("climate", "career", "harassment", "work-life")
ATTRIBUTES = ("career_stage", "sector", "role", "gender", "race_ethnicity")
PARTICIPANT_COLUMNS = ("id", "group", "name", "aliases", "speaker", "response", *ATTRIBUTES)
SAVED = "2025-01-15T00:00:00+00:00"  # the codebook's date in `project()`: never the clock
TRUTH_COLUMNS = ("source", "participant", "code", "start", "end", "text")
CODING_COLUMNS = ("source", "coder", "code", "start", "end")


@dataclass(frozen=True)
class GroupPlan:
    """One focus group: who is in it and how its transcript is written."""

    id: str
    title: str
    format: str  # "txt", "vtt", "srt" or "docx"
    labels: str  # speakers labelled by "full" name or "first" name
    career_stage: tuple[str, ...]  # one per participant: the group's size
    sector: tuple[str, ...]
    role: tuple[str, ...]
    # Themes this group talks about more (a weight added to 1), so groups differ.
    leans: Mapping[str, float]
    lgbtq: bool = False


GROUPS = (
    GroupPlan("early_career", "Early-career researchers", "txt", "full",
              ("student", "student", "trainee", "trainee", "trainee", "early", "early"),
              ("academia",) * 6 + ("clinical",), ("researcher",) * 7,
              {"career/mentorship": 2.0, "career/pay": 1.5, "career/advancement": 1.5}),
    GroupPlan("genetic_counselors", "Genetic counselors", "vtt", "full",
              ("trainee", "early", "early", "mid", "mid", "senior"),
              ("clinical", "clinical", "clinical", "clinical", "industry", "academia"),
              ("genetic_counselor",) * 6,
              {"climate/respect": 2.0, "career/pay": 1.0, "work-life/flexibility": 1.0}),
    GroupPlan("laboratory", "Laboratory professionals", "srt", "first",
              ("early", "early", "mid", "mid", "mid", "senior"),
              ("clinical", "clinical", "clinical", "industry", "industry", "government"),
              ("laboratory_professional",) * 6,
              {"climate/respect": 1.5, "career/advancement": 2.0}),
    GroupPlan("clinicians", "Clinicians", "docx", "full",
              ("trainee", "early", "mid", "senior", "senior"), ("clinical",) * 5,
              ("clinician",) * 5,
              {"work-life/caregiving": 1.5, "work-life/flexibility": 1.0,
               "harassment/behaviours": 1.0}),
    GroupPlan("industry", "Industry scientists", "txt", "first",
              ("early", "early", "mid", "mid", "mid", "senior"), ("industry",) * 6,
              ("researcher", "researcher", "researcher", "laboratory_professional",
               "administrator", "researcher"),
              {"career/advancement": 1.5, "work-life/flexibility": 1.5}),
    GroupPlan("lgbtq", "LGBTQ+ members", "txt", "first",
              ("student", "trainee", "early", "early", "early", "mid", "mid", "senior"),
              ("academia", "academia", "academia", "academia", "clinical", "clinical",
               "policy", "government"),
              ("researcher", "researcher", "researcher", "educator", "genetic_counselor",
               "clinician", "other", "administrator"),
              {"climate/belonging": 2.0, "climate/exclusion": 1.5,
               "harassment/behaviours": 1.5, "harassment/reporting": 1.0},
              lgbtq=True),
)

GENDERS = ("woman", "man", "nonbinary", "another")
GENDER_WEIGHTS = (0.66, 0.30, 0.03, 0.01)
GENDER_WEIGHTS_LGBTQ = (0.40, 0.30, 0.22, 0.08)
RACES = ("white", "asian", "black", "hispanic", "mena", "aian", "nhpi")
RACE_WEIGHTS = (0.55, 0.17, 0.10, 0.12, 0.03, 0.02, 0.01)


@dataclass(frozen=True)
class FocusGroupFiles:
    """What `write_focus_groups` wrote."""

    directory: Path
    transcripts: Mapping[str, Path]  # source id (= focus group id) → transcript file
    participants: Path
    identifying: Path
    codebook: Path
    truth: Path
    codings: Path

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.transcripts)

    def participant_list(self) -> ParticipantList:
        return read_participants(self.participants)

    def identifying_list(self) -> IdentifyingList:
        """Institutions and places, and every participant's names: what de-identification
        and the quote check look for."""
        return read_identifying_list(self.identifying).with_names(
            self.participant_list().names)

    def read(self, group: str, speakers: Mapping[str, str] | None = None) -> Source:
        """One transcript as the project reads it (its id and group are the group's id)."""
        if speakers is None:
            speakers = self.participant_list().speakers
        return read_transcript(self.transcripts[group], source_id=group, group=group,
                               speakers=speakers)

    def project(self, name: str = "Synthetic focus groups") -> QualProject:
        """Everything as one project: participants, transcripts, codebook, both coders."""
        listed = self.participant_list()
        project = QualProject(
            name, participants=listed.participants,
            sources=tuple(self.read(g, listed.speakers) for g in self.groups),
            description="Synthetic focus groups on workplace climate and culture.")
        project = project.with_codebook(read_codebook(self.codebook), author="synthetic",
                                        saved=SAVED)
        return project.with_codings(read_codings(self.codings))


@dataclass(frozen=True)
class Person:
    id: str
    group: str
    first: str
    last: str
    nickname: str
    speaker: str
    email: str
    phone: str
    attributes: Mapping[str, str]

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Sentence:
    text: str
    code: str = ""  # the theme it was written from; "" for openers, closers and asides


@dataclass(frozen=True)
class PlannedTurn:
    speaker: str  # the label written in the transcript
    participant: str  # "" for the moderator
    sentences: tuple[Sentence, ...]


def write_focus_groups(directory: Path, *, seed: int = 2025) -> FocusGroupFiles:
    """Write the six focus groups and everything that goes with them; same seed, same bytes."""
    directory = Path(directory)
    (directory / "transcripts").mkdir(parents=True, exist_ok=True)
    people = draw_people(seed)
    texts = utterances()
    codes = read_codebook(DATA / "codebook.yaml")
    known = {c.id for c in codes if c.codable}
    if set(texts["themes"]) != known:
        raise ValueError(f"{DATA / 'utterances.yaml'}: themes {sorted(texts['themes'])} do not "
                         f"match the codebook's codes {sorted(known)}")

    transcripts: dict[str, Path] = {}
    plans: dict[str, list[PlannedTurn]] = {}
    for plan in GROUPS:
        members = [p for p in people if p.group == plan.id]
        turns = plan_transcript(plan, members, texts, seed)
        path = directory / "transcripts" / f"{plan.id}.{plan.format}"
        WRITERS[plan.format](path, turns, stream(seed, "focus_groups", plan.id, "timing"))
        transcripts[plan.id] = path
        plans[plan.id] = turns

    files = FocusGroupFiles(
        directory, transcripts, directory / "participants.csv", directory / "identifying.yaml",
        directory / "codebook.yaml", directory / "truth.csv", directory / "codings.csv")
    _write_csv(files.participants, PARTICIPANT_COLUMNS, [_participant_row(p) for p in people])
    files.identifying.write_text(_identifying_yaml(), encoding="utf-8")
    files.codebook.write_text(codebook_yaml(codes), encoding="utf-8")

    # Last: offsets are those of the text as read back, whatever the format did to it.
    listed = files.participant_list()
    truth, codings = [], []
    for plan in GROUPS:
        source = files.read(plan.id, listed.speakers)
        located = locate(source, plans[plan.id])
        truth += [{"source": plan.id, "participant": participant, "code": code, "start": start,
                   "end": end, "text": source.text[start:end]}
                  for participant, code, start, end in located.themed]
        codings += code_like_people(plan.id, source, located, sorted(known),
                                    stream(seed, "focus_groups", plan.id, "coders"))
    _write_csv(files.truth, TRUTH_COLUMNS, truth)
    codings.sort(key=lambda c: (c["source"], c["coder"], c["start"], c["end"], c["code"]))
    _write_csv(files.codings, CODING_COLUMNS, codings)
    return files


# --- data files --------------------------------------------------------------------------------

@cache
def utterances() -> dict:
    return yaml.safe_load((DATA / "utterances.yaml").read_text(encoding="utf-8"))


@cache
def names_and_places() -> dict:
    return yaml.safe_load((DATA / "people.yaml").read_text(encoding="utf-8"))


# --- participants ------------------------------------------------------------------------------

def draw_people(seed: int) -> list[Person]:
    """Every participant, in group order, ids P01, P02, …; names unique across groups."""
    data = names_and_places()
    rng = stream(seed, "focus_groups", "people")
    size = sum(len(plan.career_stage) for plan in GROUPS)
    firsts = [data["first_names"][i] for i in rng.permutation(len(data["first_names"]))[:size]]
    lasts = [data["last_names"][i] for i in rng.permutation(len(data["last_names"]))[:size]]
    institutions = data["institutions"]
    people, n = [], 0
    for plan in GROUPS:
        genders = GENDER_WEIGHTS_LGBTQ if plan.lgbtq else GENDER_WEIGHTS
        for i in range(len(plan.career_stage)):
            first, last = firsts[n], lasts[n]
            n += 1
            gender = GENDERS[draw_from(rng, genders, 1)[0]]
            races = {RACES[draw_from(rng, RACE_WEIGHTS, 1)[0]]}
            if rng.random() < 0.12:
                races.add(RACES[draw_from(rng, RACE_WEIGHTS, 1)[0]])
            domain = institutions[int(rng.integers(0, len(institutions)))]["domain"]
            email = f"{first}.{last}@{domain}".lower()
            phone = f"({int(rng.integers(201, 990))}) 555-01{int(rng.integers(0, 100)):02d}"
            people.append(Person(
                id=f"P{n:02d}", group=plan.id, first=first, last=last,
                nickname=data["nicknames"].get(first, ""),
                speaker=f"{first} {last}" if plan.labels == "full" else first,
                email=email, phone=phone,
                attributes={"career_stage": plan.career_stage[i], "sector": plan.sector[i],
                            "role": plan.role[i], "gender": gender,
                            "race_ethnicity": ";".join(sorted(races))}))
    return people


def _participant_row(person: Person) -> dict[str, str]:
    aliases = [person.first, person.last] + ([person.nickname] if person.nickname else [])
    return {"id": person.id, "group": person.group, "name": person.name,
            "aliases": ";".join(aliases), "speaker": person.speaker, "response": "",
            **person.attributes}


def _identifying_yaml() -> str:
    data = names_and_places()
    return yaml.safe_dump({"institutions": [i["name"] for i in data["institutions"]],
                           "places": list(data["towns"])},
                          sort_keys=False, allow_unicode=True)


# --- what is said ------------------------------------------------------------------------------

def plan_transcript(plan: GroupPlan, members: Sequence[Person], texts: Mapping,
                    seed: int) -> list[PlannedTurn]:
    """The group's discussion: a welcome, four topics of five to ten turns each, a close."""
    rng = stream(seed, "focus_groups", plan.id, "discussion")
    moderator = texts["moderator"]
    themes = texts["themes"]
    used: set[tuple[str, int]] = set()
    data = names_and_places()

    def say(options: Sequence[str]) -> str:
        return options[int(rng.integers(0, len(options)))]

    def fill(text: str, speaker: Person) -> str:
        others = [p for p in members if p.id != speaker.id]
        other = others[int(rng.integers(0, len(others)))]
        called = other.nickname if other.nickname and rng.random() < 0.5 else other.first
        institution = data["institutions"][int(rng.integers(0, len(data["institutions"])))]
        return text.format(
            place=PLACE_BY_SECTOR.get(speaker.attributes["sector"], "my workplace"),
            institution=institution["name"], town=say(data["towns"]), name=called,
            email=speaker.email, phone=speaker.phone)

    def themed(code: str, speaker: Person) -> Sentence:
        options = [i for i in range(len(themes[code])) if (code, i) not in used]
        if not options:  # every sentence of the theme said once in this group: start again
            used.difference_update({k for k in used if k[0] == code})
            options = list(range(len(themes[code])))
        pick = options[int(rng.integers(0, len(options)))]
        used.add((code, pick))
        return Sentence(fill(themes[code][pick], speaker), code)

    def choose_theme(topic: str | None, exclude: str = "") -> str:
        codes = [c for c in themes if (topic is None or c.startswith(topic + "/"))
                 and c != exclude]
        weights = [1.0 + plan.leans.get(c, 0.0) for c in codes]
        return codes[draw_from(rng, weights, 1)[0]]

    turns = [PlannedTurn(MODERATOR, "", (Sentence(say(moderator["welcome"])),))]
    last = ""
    for topic in TOPICS:
        turns.append(PlannedTurn(MODERATOR, "", (Sentence(say(moderator["topics"][topic])),)))
        order = list(rng.permutation(len(members)))
        order += list(rng.integers(0, len(members), int(rng.integers(0, 4))))
        for position in order:
            speaker = members[int(position)]
            if speaker.id == last:
                continue
            last = speaker.id
            if rng.random() < 0.12:
                turns.append(PlannedTurn(speaker.speaker, speaker.id,
                                         (Sentence(fill(say(texts["asides"]), speaker)),)))
                continue
            sentences = []
            if rng.random() < 0.35:
                sentences.append(Sentence(say(texts["openers"])))
            code = choose_theme(topic)
            sentences.append(themed(code, speaker))
            if rng.random() < 0.25:
                sentences.append(themed(choose_theme(None, exclude=code), speaker))
            if rng.random() < 0.3:
                sentences.append(Sentence(fill(say(texts["closers"]), speaker)))
            turns.append(PlannedTurn(speaker.speaker, speaker.id, tuple(sentences)))
            if rng.random() < 0.12:
                turns.append(PlannedTurn(MODERATOR, "",
                                         (Sentence(say(moderator["follow_ups"])),)))
                last = ""
    turns.append(PlannedTurn(MODERATOR, "", (Sentence(say(moderator["closing"])),)))
    return turns


# --- transcript formats ------------------------------------------------------------------------

def _turn_text(turn: PlannedTurn) -> str:
    return " ".join(s.text for s in turn.sentences)


def write_txt(path: Path, turns: Sequence[PlannedTurn], rng: np.random.Generator) -> None:
    path.write_text("".join(f"{t.speaker}: {_turn_text(t)}\n\n" for t in turns),
                    encoding="utf-8")


def _cues(turns: Sequence[PlannedTurn], rng: np.random.Generator):
    """(begin, end, speaker, sentence) per sentence: one subtitle cue each, about 2.6 words a
    second, with a pause between speakers."""
    clock = 2.0
    for turn in turns:
        for sentence in turn.sentences:
            duration = len(sentence.text.split()) / 2.6 + float(rng.uniform(0.2, 0.8))
            yield clock, clock + duration, turn.speaker, sentence.text
            clock += duration + float(rng.uniform(0.05, 0.3))
        clock += float(rng.uniform(0.4, 1.5))


def _timestamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def write_vtt(path: Path, turns: Sequence[PlannedTurn], rng: np.random.Generator) -> None:
    lines = ["WEBVTT", ""]
    for begin, end, speaker, text in _cues(turns, rng):
        lines += [f"{_timestamp(begin, '.')} --> {_timestamp(end, '.')}",
                  f"<v {speaker}>{text}</v>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_srt(path: Path, turns: Sequence[PlannedTurn], rng: np.random.Generator) -> None:
    lines = []
    for number, (begin, end, speaker, text) in enumerate(_cues(turns, rng), start=1):
        lines += [str(number), f"{_timestamp(begin, ',')} --> {_timestamp(end, ',')}",
                  f"{speaker}: {text}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


# A DOCX is a zip whose entries carry the time they were written; pinned, like the
# consortium's XLSX files, so the same seed gives the same bytes.
PINNED_ZIP_TIME = (2025, 1, 15, 0, 0, 0)


def write_docx(path: Path, turns: Sequence[PlannedTurn], rng: np.random.Generator) -> None:
    document = docx.Document()
    properties = document.core_properties
    properties.author = "workforce synthetic data"
    properties.last_modified_by = "workforce synthetic data"
    properties.title = "Focus group transcript"
    properties.created = properties.modified = properties.last_printed = \
        dt.datetime(*PINNED_ZIP_TIME)
    properties.revision = 1
    for turn in turns:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{turn.speaker}:").bold = True
        paragraph.add_run(f" {_turn_text(turn)}")
    raw = io.BytesIO()
    document.save(raw)
    pinned = io.BytesIO()
    with zipfile.ZipFile(raw) as written, \
            zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in written.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=PINNED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, written.read(entry.filename))
    path.write_bytes(pinned.getvalue())


WRITERS = {"txt": write_txt, "vtt": write_vtt, "srt": write_srt, "docx": write_docx}


# --- offsets in the text as read, and the coders -----------------------------------------------

@dataclass(frozen=True)
class Located:
    """Each planned sentence's characters in the source as read, in transcript order."""

    sentences: tuple[tuple[int, int, int, Sentence], ...]  # (turn index, start, end, sentence)
    themed: tuple[tuple[str, str, int, int], ...]  # (participant, code, start, end)


def locate(source: Source, turns: Sequence[PlannedTurn]) -> Located:
    """Find every planned sentence in the text read back, in order (a reader may join
    subtitle cues or lines, but never rewrites the words)."""
    cursor, sentences, themed = 0, [], []
    for number, turn in enumerate(turns):
        for sentence in turn.sentences:
            start = source.text.find(sentence.text, cursor)
            if start < 0:
                raise ValueError(f"{source.origin or source.id}: the sentence "
                                 f"{sentence.text!r} is not in the text as read back")
            end = start + len(sentence.text)
            sentences.append((number, start, end, sentence))
            if sentence.code:
                themed.append((turn.participant, sentence.code, start, end))
            cursor = end
    return Located(tuple(sentences), tuple(themed))


def code_like_people(source_id: str, source: Source, located: Located, codes: Sequence[str],
                     rng: np.random.Generator) -> list[dict]:
    """Two coders' codings of one source.

    Coder A codes a themed sentence as written (94%), now and then with a neighbouring code
    of the same category instead (3%), else misses it. Coder B misses more (14%), marks the
    sentence (45%), the whole turn as read (35%) or the sentence with its neighbour (20%),
    sometimes adds a second code to a sentence (7%) and codes an aside now and then (6%).
    """
    rows = []

    def add(coder: str, code: str, start: int, end: int) -> None:
        rows.append({"source": source_id, "coder": coder, "code": code, "start": start,
                     "end": end})

    by_turn: dict[int, list[tuple[int, int, Sentence]]] = {}
    for number, start, end, sentence in located.sentences:
        by_turn.setdefault(number, []).append((start, end, sentence))
    for number, start, end, sentence in located.sentences:
        if not sentence.code:
            neighbours = by_turn[number]
            if len(neighbours) == 1 and _is_participant_turn(source, start) \
                    and rng.random() < 0.06:
                add(CODERS[1], codes[int(rng.integers(0, len(codes)))], start, end)
            continue
        siblings = [c for c in codes if c.split("/")[0] == sentence.code.split("/")[0]
                    and c != sentence.code]
        draw = rng.random()
        if draw < 0.94:
            add(CODERS[0], sentence.code, start, end)
        elif draw < 0.97 and siblings:
            add(CODERS[0], siblings[int(rng.integers(0, len(siblings)))], start, end)
        draw = rng.random()
        if draw >= 0.14:
            turn = source.turn_at(start)
            neighbours = by_turn[number]
            position = [n[0] for n in neighbours].index(start)
            if draw < 0.14 + 0.45 or turn is None:
                span = (start, end)
            elif draw < 0.14 + 0.80:
                # The turn as read, from its first word: people highlight what was said,
                # not the speaker's label before it.
                span = (neighbours[0][0], turn.end)
            else:
                other = neighbours[position + 1] if position + 1 < len(neighbours) \
                    else neighbours[position - 1] if position > 0 else (start, end, sentence)
                span = (min(start, other[0]), max(end, other[1]))
            add(CODERS[1], sentence.code, *span)
        if rng.random() < 0.07 and siblings:
            add(CODERS[1], siblings[int(rng.integers(0, len(siblings)))], start, end)
    return rows


def _is_participant_turn(source: Source, position: int) -> bool:
    turn = source.turn_at(position)
    return turn is not None and bool(turn.participant)


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_focus_group_project(directory: Path, *, seed: int = 2025,
                              lead: str = "lead") -> FocusGroupFiles:
    """The synthetic focus groups written, then imported as a researcher would: de-identified
    into a project directory `directory/project` (originals kept apart in it), with the
    codebook and both coders' codings."""
    from workforce.qual.workspace import import_into, save_workspace

    files = write_focus_groups(directory, seed=seed)
    project, originals, _ = import_into(
        None, name="Workplace climate and culture focus groups (synthetic)",
        transcripts=list(files.transcripts.values()), participants=files.participants,
        identifying=files.identifying, codebook=files.codebook, codings=files.codings,
        lead=lead, author="synthetic")
    save_workspace(project, originals, Path(directory) / "project")
    return files
