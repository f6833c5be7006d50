"""REFI-QDA exchange: a project to and from `.qdpx`, a codebook to and from `.qdc`.

REFI-QDA (QDA-XML 1.0, www.qdasoftware.org) is the format ATLAS.ti, MAXQDA, NVivo, QualCoder
and others read and write, so a focus-group project coded here can be recoded or checked in
a desktop tool and brought back. A `.qdpx` is a zip holding `project.qde` (XML in namespace
urn:QDA-XML:project:1.0) and each source's text as `sources/<guid>.txt`; a `.qdc` is a
codebook alone (urn:QDA-XML:codebook:1.0). Both are validated against REFI's schemas
(`data/refi/`) before they are written and when they are read.

How the model maps onto REFI-QDA:

- coders, the lead, memo authors and the codebook's author → `User` (name = our id); the lead
  is the project's `creatingUserGUID`, the codebook's author its `modifyingUserGUID`;
- the current codebook → `CodeBook`, nested by parent; a code's examples go into its
  `Description` after a line "Examples:", one "- " item each, and are parsed back;
- participants → `Case` (name = id) with `VariableValue`s for `group`, `response` and every
  attribute; sources → `TextSource` (name = id) with variables `kind`, `group`, `origin`
  and `deidentified`; all variables are listed once under `Variables`;
- a turn → an uncoded `PlainTextSelection` (name = the speaker's label, timestamps as its
  `Description`, "00:01:02.500 --> 00:01:09.000") that its participant's case points to by
  `SelectionRef`; a moderator's turn is such a selection no case points to;
- a coding → a `PlainTextSelection` (startPosition/endPosition are our offsets: code points,
  end exclusive, as REFI counts them) holding a `Coding` with `CodeRef` and `creatingUser`;
- memos → `Note`s (name = memo id, text in `PlainTextContent`), referred to by a `NoteRef`
  from the project, the code, the source, or a selection made for the memo's segment.

GUIDs are `uuid5` of a fixed namespace and "<kind>:<id>" (with the project's name for what
belongs to one project), dates come from the project's data and the zip's entries carry a
fixed time, so writing a project twice gives identical bytes.

What does not come back from a `.qdpx` written here, and why:

- earlier codebook versions: REFI has one codebook; it returns as version 1 with the current
  codes (`saved` and `author` kept, `note` lost);
- orders REFI nests differently: codes return depth first (each parent followed by its
  children), codings grouped by source in source order (in their order within a source);
- a code's id, when it is not `code_id(name, parent)`: ids are rebuilt from names (codings and
  memos follow the rebuilt id); a source id ending in a document extension (".txt", ".docx",
  ...) loses it, since other tools name sources after their files;
- a coder who made no coding and is also the lead, a memo author or the codebook's author:
  REFI has no roles, so a user counts as a coder when they coded or have no other part;
- a memo's `created` that is not an ISO date-time (REFI's creationDateTime is xsd:dateTime);
  timestamps are carried to the millisecond.

From other tools' files, what the model has no place for is left out and named in
`ExchangeResult.skipped`: picture, PDF, audio and video sources, sets, links, graphs, codes
attached to cases, descriptions of sources. The lead is taken only from projects written
here: in another tool's file the creating user is just whoever made it, and being the lead
grants sight of the originals. Texts a tool left outside the archive (`relative://`, absolute
paths) are read only when asked (`outside_files=True`): an uploaded file must not make the
server read its own files.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import uuid
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import xmlschema
from lxml import etree

from workforce.qual.codings import Coding, QualError
from workforce.qual.project import (
    OPEN_TEXT,
    SOURCE_KINDS,
    TRANSCRIPT,
    Code,
    CodebookVersion,
    Memo,
    Participant,
    QualProject,
    Source,
    Turn,
    check_codebook,
    code_id,
)

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_FILE = "project.qde"
ORIGIN = "workforce"
UNKNOWN_CODER = "unknown"
EXAMPLES_HEADING = "Examples:"

# Never change: every GUID written here derives from it, and tools match codes by GUID.
GUID_NAMESPACE = uuid.UUID("5b0e7c1e-3f4a-5d2b-9c6e-2a1f0d8e4b73")

_SCHEMA_DIR = Path(__file__).parent / "data" / "refi"
# Limits on what a `.qdpx` may unpack to. A zip entry can inflate a thousandfold, so an
# uploaded archive of a few megabytes could otherwise fill memory. A year of focus groups is
# a few megabytes of text; the open-text answers of a large member survey (one source per
# answer: 50,000 answers, 180,000 codings) make about 60,000 entries and a project.qde of
# about 90 MB, so the limits leave room for those and no more.
MAX_PROJECT_XML_BYTES = 256 * 1024 * 1024
MAX_SOURCE_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 250_000
# Zip entries carry this time instead of the clock, so output is byte-reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_TIMESTAMP = re.compile(r"(\d+):(\d\d):(\d\d)(?:[.,](\d{1,3}))?")
# Other tools name a source after its file; our ids never need these endings.
_DOCUMENT_EXTENSIONS = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".vtt", ".srt",
                        ".csv", ".htm", ".html", ".md")
_SKIPPED_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
# Case fields that travel as variables; an attribute of the same name could not be told apart.
_CASE_FIELDS = ("group", "response")
_SOURCE_FIELDS = ("kind", "group", "origin", "deidentified")


@dataclass(frozen=True)
class ExchangeResult:
    """A project read from a `.qdpx` (ours or another tool's), with what was not carried.

    `skipped`: what the file holds that the model has no place for (one line each, with its
    line number); `warnings`: schema problems tolerated by `strict=False`, and names that had
    to be changed to make ids.
    """

    project: QualProject
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


# --- validation -----------------------------------------------------------------------------


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    """REFI's schema, loaded once per process (building it takes a tenth of a second)."""
    return xmlschema.XMLSchema(str(_SCHEMA_DIR / f"{name}.xsd"))


@cache
def _fast_schema(name: str) -> etree.XMLSchema:
    """The same schema for libxml2, which validates a large project a hundred times faster
    than xmlschema; xmlschema is asked only about a document libxml2 finds invalid, for
    messages that name the element and the rule in words."""
    return etree.XMLSchema(etree.parse(str(_SCHEMA_DIR / f"{name}.xsd")))


def validate_project_xml(xml: bytes) -> list[str]:
    """Problems of a `project.qde` against REFI's Project.xsd, each with its line; [] if valid."""
    return _validate(xml, "Project")


def validate_codebook_xml(xml: bytes) -> list[str]:
    """Problems of a `.qdc` against REFI's Codebook.xsd, each with its line; [] if valid."""
    return _validate(xml, "Codebook")


def _validate(xml: bytes, schema: str) -> list[str]:
    try:
        root = _parse(xml)
    except etree.XMLSyntaxError as error:
        return [f"line {error.lineno}: not well-formed XML ({error.msg})"]
    return _schema_errors(root, schema)


def _parse(xml: bytes) -> etree._Element:
    # No entities, no DTDs, no network: a file from elsewhere cannot make us read anything else.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(xml, parser)


def _schema_errors(root: etree._Element, schema: str) -> list[str]:
    if _fast_schema(schema).validate(root):
        return []
    problems = []
    for error in _schema(schema).iter_errors(root):
        line = error.sourceline
        where = f"line {line}: " if line else ""
        element = f"<{_local(error.elem)}> " if error.elem is not None else ""
        # The GUID pattern is long and says nothing to a reader; its name is enough.
        reason = (error.reason or str(error)).split(" of ['")[0]
        problems.append(f"{where}{element}{reason}")
    return problems


# --- writing --------------------------------------------------------------------------------


def write_qdpx(project: QualProject, path: Path) -> None:
    """Write the project as a REFI-QDA `.qdpx` (validated first; never left half-written)."""
    project = project.check()
    try:
        xml, texts = _project_document(project)
    except ValueError as error:  # lxml refuses names holding characters XML cannot carry
        if isinstance(error, QualError):
            raise
        raise QualError(f"{path}: project {project.name!r} cannot be written as XML "
                        f"({error})") from None
    problems = validate_project_xml(xml)
    if problems:
        raise QualError(f"{path}: project {project.name!r} would not be valid REFI-QDA:\n"
                        + "\n".join(problems))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [(PROJECT_FILE, xml), *texts]:
            archive.writestr(_zip_entry(name), data)
    _write_atomically(Path(path), buffer.getvalue())


def write_qdc(codes: Iterable[Code], path: Path) -> None:
    """Write a codebook as a REFI-QDA `.qdc` (validated first; never left half-written)."""
    codes = tuple(codes)
    check_codebook(codes)
    if not codes:
        raise QualError(f"{path}: a REFI-QDA codebook needs at least one code")
    root = etree.Element(_tag(CODEBOOK_NS, "CodeBook"), nsmap={None: CODEBOOK_NS},
                         origin=ORIGIN)
    _add_codes(etree.SubElement(root, _tag(CODEBOOK_NS, "Codes")), codes, CODEBOOK_NS)
    xml = _serialize(root)
    problems = validate_codebook_xml(xml)
    if problems:
        raise QualError(f"{path}: the codebook would not be valid REFI-QDA:\n"
                        + "\n".join(problems))
    _write_atomically(Path(path), xml)


def _guid(kind: str, key: str, project: str | None = None) -> str:
    """A GUID derived from what it names. Codes, users and variables mean the same in every
    project (a code keeps its GUID from `.qdc` to `.qdpx`); sources, cases, selections and
    notes are the project's own, so two projects merged in a desktop tool do not collide."""
    name = f"{kind}:{key}" if project is None else f"{kind}:{project}:{key}"
    return str(uuid.uuid5(GUID_NAMESPACE, name))


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _add(parent: etree._Element, tag: str, text: str | None = None, /,
         **attributes: str | None) -> etree._Element:
    """A child in the parent's namespace; attributes that are None are left out."""
    # The parent's "{namespace}" prefix, by hand: etree.QName here was a quarter of writing.
    ns = parent.tag.partition("}")[0][1:]
    element = etree.SubElement(parent, _tag(ns, tag),
                               {k: v for k, v in attributes.items() if v is not None})
    if text is not None:
        try:
            element.text = text
        except ValueError:
            raise QualError(f"<{tag} {attributes.get('name') or ''}>: its text holds a "
                            "control character XML cannot carry") from None
    return element


def _add_codes(parent: etree._Element, codes: Sequence[Code], ns: str,
               notes: dict[str, list[str]] | None = None) -> None:
    children = defaultdict(list)
    for code in codes:
        children[code.parent].append(code)

    def add(into: etree._Element, code: Code) -> None:
        element = _add(into, "Code", guid=_guid("code", code.id), name=code.name,
                       isCodable="true" if code.codable else "false",
                       color=code.color or None)
        description = _join_examples(code.description, code.examples)
        if description:
            _add(element, "Description", description)
        for note in (notes or {}).get(code.id, []):
            _add(element, "NoteRef", targetGUID=note)
        for child in children[code.id]:
            add(element, child)

    for code in children[""]:
        add(parent, code)


def _project_document(project: QualProject) -> tuple[bytes, list[tuple[str, bytes]]]:
    """`project.qde` and the source texts of a checked project."""
    memos = _MemoPlaces(project)
    users = list(dict.fromkeys(
        [*project.coders, project.lead, _latest(project).author,
         *(m.author for m in project.memos)]))
    users = [u for u in users if u]
    user = {name: _guid("user", name) for name in users}

    first, latest = (project.codebook[0], project.codebook[-1]) if project.codebook \
        else (None, None)
    root = etree.Element(_tag(PROJECT_NS, "Project"), nsmap={None: PROJECT_NS}, attrib={
        k: v for k, v in {
            "name": project.name,
            "origin": ORIGIN,
            "creatingUserGUID": user.get(project.lead),
            "creationDateTime": _datetime(first.saved) if first else None,
            "modifyingUserGUID": user.get(latest.author) if latest else None,
            "modifiedDateTime": _datetime(latest.saved) if latest else None,
        }.items() if v is not None})

    if users:
        users_element = _add(root, "Users")
        for name in users:
            _add(users_element, "User", guid=user[name], name=name)
    if project.codes:
        codebook = _add(_add(root, "CodeBook"), "Codes")
        _add_codes(codebook, project.codes, PROJECT_NS, memos.on_code)

    variables = _Variables()
    cases = [(p, _case_values(p)) for p in project.participants]
    sources = [(s, _source_values(s)) for s in project.sources]
    for _, values in [*cases, *sources]:
        for name, _kind, _value in values:
            variables.add(name, _kind)
    if variables.names:
        element = _add(root, "Variables")
        for name, kind in variables.names.items():
            _add(element, "Variable", guid=_guid("variable", name), name=name,
                 typeOfVariable=kind)

    turn_guids = {(s.id, i): _guid("turn", f"{s.id}:{i}", project.name)
                  for s in project.sources for i in range(len(s.turns))}
    turns_of = defaultdict(list)
    for source in project.sources:
        for i, turn in enumerate(source.turns):
            turns_of[turn.participant].append(turn_guids[source.id, i])
    if cases:
        element = _add(root, "Cases")
        for participant, values in cases:
            case = _add(element, "Case", guid=_guid("case", participant.id, project.name),
                        name=participant.id)
            _add_values(case, values)
            for guid in turns_of[participant.id]:
                _add(case, "SelectionRef", targetGUID=guid)

    codings_of = defaultdict(list)
    for coding in project.codings:
        codings_of[coding.source].append(coding)
    texts = []
    if sources:
        element = _add(root, "Sources")
        for source, values in sources:
            guid = _guid("source", source.id, project.name)
            text_source = _add(element, "TextSource", guid=guid, name=source.id,
                               plainTextPath=f"internal://{guid}.txt")
            _add_turns(text_source, source, turn_guids)
            _add_codings(text_source, codings_of[source.id], user, project.name)
            for memo in memos.on_segment.get(source.id, []):
                selection = _add(text_source, "PlainTextSelection",
                                 guid=_guid("memo-selection", memo.id, project.name),
                                 name=f"memo {memo.id}", startPosition=str(memo.start),
                                 endPosition=str(memo.end))
                _add(selection, "NoteRef", targetGUID=_guid("memo", memo.id, project.name))
            for note in memos.on_source.get(source.id, []):
                _add(text_source, "NoteRef", targetGUID=note)
            _add_values(text_source, values)
            try:
                texts.append((f"sources/{guid}.txt", source.text.encode("utf-8")))
            except UnicodeEncodeError as error:
                raise QualError(f"source {source.id!r}: its text cannot be written as UTF-8 "
                                f"({error})") from None

    if project.memos:
        element = _add(root, "Notes")
        for memo in project.memos:
            note = _add(element, "Note", guid=_guid("memo", memo.id, project.name), name=memo.id,
                        creatingUser=user.get(memo.author),
                        creationDateTime=_datetime(memo.created))
            _add(note, "PlainTextContent", memo.text)
    if project.description:
        _add(root, "Description", project.description)
    for note in memos.on_project:
        _add(root, "NoteRef", targetGUID=note)
    return _serialize(root), texts


def _latest(project: QualProject) -> CodebookVersion:
    return project.codebook[-1] if project.codebook else CodebookVersion(0, ())


class _MemoPlaces:
    """Where each memo's NoteRef goes, by target."""

    def __init__(self, project: QualProject) -> None:
        self.on_project: list[str] = []
        self.on_code: dict[str, list[str]] = defaultdict(list)
        self.on_source: dict[str, list[str]] = defaultdict(list)
        self.on_segment: dict[str, list[Memo]] = defaultdict(list)
        lengths = project.lengths()
        for memo in project.memos:
            note = _guid("memo", memo.id, project.name)
            if memo.target == "project":
                self.on_project.append(note)
            elif memo.target == "code":
                self.on_code[memo.target_id].append(note)
            elif memo.target == "source":
                self.on_source[memo.target_id].append(note)
            else:
                if memo.start is None or memo.end is None \
                        or not 0 <= memo.start <= memo.end <= lengths[memo.target_id]:
                    raise QualError(f"memo {memo.id!r}: a segment memo needs characters "
                                    f"start-end within source {memo.target_id!r}")
                self.on_segment[memo.target_id].append(memo)


class _Variables:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def add(self, name: str, kind: str) -> None:
        if self.names.setdefault(name, kind) != kind:
            raise QualError(f"variable {name!r} is used both as {self.names[name]} and {kind}")


def _case_values(participant: Participant) -> list[tuple[str, str, str]]:
    clash = [k for k in participant.attributes if k in _CASE_FIELDS]
    if clash:
        raise QualError(f"participant {participant.id!r}: attribute(s) {', '.join(clash)} "
                        "would be confused with the participant's own field of that name; "
                        "rename the attribute")
    values = [("group", "Text", participant.group)] if participant.group else []
    if participant.response:
        values.append(("response", "Text", participant.response))
    return values + [(k, "Text", str(v)) for k, v in participant.attributes.items()]


def _source_values(source: Source) -> list[tuple[str, str, str]]:
    values = [("kind", "Text", source.kind)]
    values += [(name, "Text", value) for name, value in
               (("group", source.group), ("origin", source.origin)) if value]
    if source.deidentified:
        values.append(("deidentified", "Boolean", "true"))
    return values


def _add_values(element: etree._Element, values: list[tuple[str, str, str]]) -> None:
    for name, kind, value in values:
        holder = _add(element, "VariableValue")
        _add(holder, "VariableRef", targetGUID=_guid("variable", name))
        _add(holder, "TextValue" if kind == "Text" else "BooleanValue", value)


def _add_turns(element: etree._Element, source: Source,
               guids: dict[tuple[str, int], str]) -> None:
    for i, turn in enumerate(source.turns):
        selection = _add(element, "PlainTextSelection", guid=guids[source.id, i],
                         name=turn.speaker, startPosition=str(turn.start),
                         endPosition=str(turn.end))
        if turn.begin_seconds is not None or turn.end_seconds is not None:
            _add(selection, "Description",
                 f"{_clock(turn.begin_seconds)} --> {_clock(turn.end_seconds)}".strip())


def _add_codings(element: etree._Element, codings: Iterable[Coding],
                 user: dict[str, str], scope: str) -> None:
    seen: dict[str, int] = defaultdict(int)
    for coding in codings:
        key = f"{coding.source}:{coding.start}:{coding.end}:{coding.coder}:{coding.code}"
        seen[key] += 1
        key = f"{key}:{seen[key]}"  # the same passage coded twice stays two codings
        selection = _add(element, "PlainTextSelection", guid=_guid("selection", key, scope),
                         startPosition=str(coding.start), endPosition=str(coding.end),
                         creatingUser=user[coding.coder])
        applied = _add(selection, "Coding", guid=_guid("coding", key, scope),
                       creatingUser=user[coding.coder])
        _add(applied, "CodeRef", targetGUID=_guid("code", coding.code))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds * 1000)  # milliseconds: what subtitle formats carry
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _datetime(value: str) -> str | None:
    """The value when it is an xsd:dateTime (REFI's type for dates), else None."""
    return value if value and _DATETIME.fullmatch(value) else None


def _join_examples(description: str, examples: Sequence[str]) -> str:
    if not examples:
        return description
    items = "\n".join("- " + example.replace("\n", "\n  ") for example in examples)
    block = f"{EXAMPLES_HEADING}\n{items}"
    return f"{description}\n\n{block}" if description else block


def _split_examples(text: str) -> tuple[str, tuple[str, ...]]:
    """The description and the examples `_join_examples` put after it."""
    heading = f"{EXAMPLES_HEADING}\n"
    if text.startswith(heading):
        description, items = "", text[len(heading):]
    elif f"\n\n{heading}" in text:
        description, items = text.rsplit(f"\n\n{heading}", 1)
    else:
        return text, ()
    examples: list[str] = []
    for line in items.split("\n"):
        if line.startswith("- "):
            examples.append(line[2:])
        elif line.startswith("  ") and examples:
            examples[-1] += "\n" + line[2:]
        else:  # not our list after all: the text is all description
            return text, ()
    return description, tuple(examples)


def _serialize(root: etree._Element) -> bytes:
    # The declaration as the desktop tools write it (lxml's own uses single quotes).
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, pretty_print=True)


def _zip_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.create_system = 3  # Unix, whatever system writes it
    entry.external_attr = 0o644 << 16
    return entry


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: no reader sees half a file."""
    try:
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                           suffix=".partial")
    except OSError as error:
        raise QualError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException as error:
        Path(partial).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise QualError(f"{path}: cannot write here ({error.strerror})") from None
        raise


# --- reading --------------------------------------------------------------------------------


def read_qdpx(path: Path, *, strict: bool = True, outside_files: bool = False
              ) -> ExchangeResult:
    """Read a REFI-QDA `.qdpx` written here or by another tool.

    The XML is validated first: with `strict` a schema problem is an error naming its line;
    with `strict=False` the file is read anyway and the problems come back as warnings.
    Source texts inside the archive are always read; texts a tool left outside it
    (`relative://`, absolute paths) only with `outside_files=True` — never for a file that
    was uploaded, or its author could make us read any file of this machine.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise QualError(f"{path}: not a readable REFI-QDA project: the zip archive is damaged "
                        f"or truncated ({error})") from None
    with archive:
        _check_sizes(archive, path)
        member = _qde_member(archive, path)
        xml = _read_member(archive, member, path)
        return _ProjectReader(path, archive, member, strict, outside_files).read(xml)


def read_qdc(path: Path, *, strict: bool = True) -> tuple[Code, ...]:
    """The codes of a REFI-QDA `.qdc` codebook, parents before children (sets are ignored)."""
    path = Path(path)
    try:
        xml = path.read_bytes()
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except OSError as error:
        raise QualError(f"{path}: cannot be read ({error.strerror})") from None
    root = _parse_checked(xml, str(path), "Codebook", strict, [])
    if _local(root) != "CodeBook":
        raise QualError(f"{path}: line {root.sourceline}: <{_local(root)}> is not a REFI-QDA "
                        "codebook (its root must be <CodeBook>)")
    codes_element = _child(root, "Codes")
    if codes_element is None:
        return ()
    codes, _ = _read_codes(codes_element, str(path), [])
    return codes


def _qde_member(archive: zipfile.ZipFile, path: Path) -> str:
    names = archive.namelist()
    if PROJECT_FILE in names:
        return PROJECT_FILE
    # Some tools name it after the project; one .qde at the top is as good.
    candidates = [n for n in names if n.lower().endswith(".qde") and "/" not in n]
    if len(candidates) == 1:
        return candidates[0]
    raise QualError(f"{path}: no {PROJECT_FILE} in the archive, so it is not a REFI-QDA "
                    "project (a .qdpx holds project.qde and a sources folder)")


def _limit_of(member: str) -> int:
    return MAX_PROJECT_XML_BYTES if member.lower().endswith(".qde") else MAX_SOURCE_BYTES


def _check_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse an archive whose entries would unpack to more than the limits allow, going by
    the sizes its directory declares (`_read_member` holds every read to them as well, for
    an archive that understates them)."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise QualError(f"{path}: the archive holds {len(entries):,} entries; a REFI-QDA "
                        f"project is read only up to {MAX_ENTRIES:,}")
    total = 0
    for entry in entries:
        limit = _limit_of(entry.filename)
        if entry.file_size > limit:
            raise QualError(f"{path}: {entry.filename} would unpack to "
                            f"{entry.file_size / 1024 / 1024:,.1f} MB, more than the "
                            f"{limit // 1024 // 1024} MB such an entry may hold; the archive "
                            "is refused")
        total += entry.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise QualError(f"{path}: the archive would unpack to {total / 1024 / 1024:,.1f} MB, "
                        f"more than the {MAX_ARCHIVE_BYTES // 1024 // 1024} MB a project may "
                        "hold; the archive is refused")


def _read_member(archive: zipfile.ZipFile, member: str, path: Path) -> bytes:
    """The entry's bytes, read no further than its limit whatever its header declares."""
    limit = _limit_of(member)
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise QualError(f"{path}: {member} cannot be read from the archive; it is damaged or "
                        f"truncated ({error})") from None
    if len(data) > limit:
        raise QualError(f"{path}: {member} unpacks to more than the "
                        f"{limit // 1024 // 1024} MB such an entry may hold; the archive is "
                        "refused")
    return data


def _parse_checked(xml: bytes, where: str, schema: str, strict: bool,
                   warnings: list[str]) -> etree._Element:
    try:
        root = _parse(xml)
    except etree.XMLSyntaxError as error:
        raise QualError(f"{where}: line {error.lineno}: not well-formed XML ({error.msg})") \
            from None
    problems = _schema_errors(root, schema)
    if problems and strict:
        raise QualError(f"{where} does not follow the REFI-QDA schema ({schema}.xsd):\n"
                        + "\n".join(problems)
                        + "\n(read it anyway with strict=False; these become warnings)")
    warnings.extend(f"{where}: {problem}" for problem in problems)
    return root


def _local(element: etree._Element) -> str:
    # "{namespace}Name" → "Name", by hand: etree.QName is a third of a large file's reading.
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    # By local name: with strict=False a file in no namespace (or a wrong one) still reads.
    return [child for child in element if _local(child) == name]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _child_text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else child.text or ""


def _norm(guid: str | None) -> str:
    """REFI allows upper case and braces around a GUID; compare them bare and lower case."""
    return (guid or "").strip().strip("{}").lower()


def _unique(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    taken.add(name)
    return name


def _read_codes(codes_element: etree._Element, where: str, warnings: list[str],
                on_note: Callable[[str, str], None] | None = None
                ) -> tuple[tuple[Code, ...], dict[str, str]]:
    """Codes depth first (parents before children) and each code's id by its GUID."""
    codes: list[Code] = []
    by_guid: dict[str, str] = {}
    taken: set[str] = set()

    def walk(element: etree._Element, parent: str) -> None:
        name = element.get("name") or ""
        try:
            wanted = code_id(name, parent)
        except QualError:
            wanted = code_id("code", parent)
            warnings.append(f"{where}: line {element.sourceline}: code {name!r} has no letter "
                            f"or digit to make an id of; it is called {wanted!r}")
        identifier = _unique(wanted, taken)
        description, examples = _split_examples(_child_text(element, "Description") or "")
        color = element.get("color") or ""
        if re.fullmatch(r"#[0-9A-Fa-f]{3}", color):  # the model keeps #RRGGBB
            color = "#" + "".join(c * 2 for c in color[1:]).upper()
        codes.append(Code(identifier, name or identifier, parent, description, examples,
                          color, (element.get("isCodable") or "true").strip() in ("true", "1")))
        by_guid[_norm(element.get("guid"))] = identifier
        for ref in _children(element, "NoteRef"):
            if on_note:
                on_note(_norm(ref.get("targetGUID")), identifier)
        for child in _children(element, "Code"):
            walk(child, identifier)

    for element in _children(codes_element, "Code"):
        walk(element, "")
    return tuple(codes), by_guid


@dataclass
class _Selection:
    source: str
    start: int
    end: int
    name: str | None  # None when the tool gave no name: the case's name stands in
    description: str
    line: int
    coded: bool
    noted: bool


class _ProjectReader:
    def __init__(self, path: Path, archive: zipfile.ZipFile, member: str, strict: bool,
                 outside_files: bool) -> None:
        self.path, self.archive, self.strict = path, archive, strict
        self.outside_files = outside_files
        self.where = f"{path}: {member}"
        self.skipped: list[str] = []
        self.warnings: list[str] = []
        self.users: dict[str, str] = {}
        self.note_targets: dict[str, list[tuple[str, str, int | None, int | None]]] = \
            defaultdict(list)
        self.base_path = ""

    def fail(self, element: etree._Element, message: str) -> QualError:
        return QualError(f"{self.where}: line {element.sourceline}: {message}")

    def skip(self, element: etree._Element, message: str) -> None:
        name = element.get("name")
        label = f"{_local(element)} {name!r}" if name else _local(element)
        self.skipped.append(f"line {element.sourceline}: {label}: {message}")

    def user(self, guid: str | None) -> str:
        if not guid:
            return ""
        # A user the Users list forgot is still someone: keep them apart by their GUID.
        return self.users.get(_norm(guid), _norm(guid))

    def read(self, xml: bytes) -> ExchangeResult:
        root = _parse_checked(xml, self.where, "Project", self.strict, self.warnings)
        if _local(root) != "Project":
            raise self.fail(root, f"<{_local(root)}> is not a REFI-QDA project (its root "
                                  "must be <Project>)")
        ours = (root.get("origin") or "").split(" ")[0] == ORIGIN
        self.base_path = root.get("basePath") or ""
        users_element = _child(root, "Users")
        user_order = []
        for element in _children(users_element, "User") if users_element is not None else ():
            name = element.get("name") or element.get("id") or _norm(element.get("guid"))
            self.users[_norm(element.get("guid"))] = name
            user_order.append(name)

        codes: tuple[Code, ...] = ()
        code_ids: dict[str, str] = {}
        codebook = _child(root, "CodeBook")
        if codebook is not None and _child(codebook, "Codes") is not None:
            codes, code_ids = _read_codes(
                _child(codebook, "Codes"), self.where, self.warnings,
                lambda note, code: self.note_targets[note].append(("code", code, None, None)))

        variables = {}
        variables_element = _child(root, "Variables")
        for element in _children(variables_element, "Variable") \
                if variables_element is not None else ():
            variables[_norm(element.get("guid"))] = element.get("name") or ""

        participants, turn_refs, source_refs = self.read_cases(root, variables)
        sources, codings, selections = self.read_sources(root, variables, code_ids,
                                                         source_refs)
        links = _child(root, "Links")
        linked = {_norm(link.get(end)) for link in _children(links, "Link")
                  for end in ("originGUID", "targetGUID")} if links is not None else set()
        sources = self.place_turns(sources, selections, turn_refs, source_refs, linked)
        memos = self.read_notes(root)
        for name in ("Links", "Sets", "Graphs"):
            element = _child(root, name)
            if element is not None:
                self.skip(element, f"{len(element)} item(s); the model has no {name.lower()}")

        creator = self.user(root.get("creatingUserGUID"))
        author = self.user(root.get("modifyingUserGUID"))
        lead = creator if ours else ""
        coded = {c.coder for c in codings}
        roles = {creator, author, *(m.author for m in memos)}
        coders = [n for n in user_order if n in coded or n not in roles]
        coders += [c.coder for c in codings if c.coder not in coders]
        version = (CodebookVersion(1, codes, root.get("modifiedDateTime") or "",
                                   author if ours else ""),) if codes else ()
        project = QualProject(
            name=root.get("name") or self.path.stem,
            participants=tuple(participants.values()),
            sources=tuple(sources),
            codebook=version,
            codings=tuple(codings),
            memos=tuple(memos),
            coders=tuple(dict.fromkeys(coders)),
            lead=lead,
            description=_child_text(root, "Description") or "",
        )
        try:
            project.check()
        except QualError as error:
            raise QualError(f"{self.where}: the project read does not hold together:\n"
                            f"{error}") from None
        return ExchangeResult(project, tuple(self.skipped), tuple(self.warnings))

    def values(self, element: etree._Element, variables: dict[str, str]
               ) -> list[tuple[str, str, etree._Element]]:
        found = []
        for holder in _children(element, "VariableValue"):
            ref = _child(holder, "VariableRef")
            name = variables.get(_norm(ref.get("targetGUID") if ref is not None else None))
            if name is None:
                self.skip(holder, "its variable is not in the project's Variables")
                continue
            value = next((child.text or "" for child in holder if _local(child).endswith(
                "Value")), "")
            found.append((name, value, holder))
        return found

    def read_cases(self, root: etree._Element, variables: dict[str, str]
                   ) -> tuple[dict[str, Participant], dict[str, str], dict[str, list[str]]]:
        participants: dict[str, Participant] = {}
        turn_refs: dict[str, str] = {}  # selection GUID → participant
        source_refs: dict[str, list[str]] = defaultdict(list)  # source GUID → participants
        cases = _child(root, "Cases")
        taken: set[str] = set()
        for case in _children(cases, "Case") if cases is not None else ():
            pid = _unique(case.get("name") or _norm(case.get("guid")), taken)
            group, response, attributes = "", "", {}
            for name, value, _ in self.values(case, variables):
                if name == "group":
                    group = value
                elif name == "response":
                    response = value
                else:
                    attributes[name] = value
            participants[pid] = Participant(pid, group, attributes, response)
            for ref in _children(case, "CodeRef"):
                self.skip(ref, f"case {pid!r} is tied to a code; the model ties codes to text")
            for ref in _children(case, "SourceRef"):
                source_refs[_norm(ref.get("targetGUID"))].append(pid)
            for ref in _children(case, "SelectionRef"):
                guid = _norm(ref.get("targetGUID"))
                if guid in turn_refs:
                    self.skip(ref, f"selection already belongs to case {turn_refs[guid]!r}; "
                                   f"a turn has one speaker, so case {pid!r} is not tied to it")
                else:
                    turn_refs[guid] = pid
        return participants, turn_refs, source_refs

    def read_sources(self, root: etree._Element, variables: dict[str, str],
                     code_ids: dict[str, str], source_refs: dict[str, list[str]]
                     ) -> tuple[list[Source], list[Coding], dict[str, _Selection]]:
        sources: list[Source] = []
        codings: list[Coding] = []
        selections: dict[str, _Selection] = {}
        taken: set[str] = set()
        element = _child(root, "Sources")
        for source in list(element) if element is not None else ():
            kind_of_element = _local(source)
            if kind_of_element in _SKIPPED_SOURCES:
                self.skip(source, "only text sources are carried")
                continue
            if kind_of_element != "TextSource":
                continue
            text = self.text_of(source)
            if text is None:
                self.skip(source, "it has no plain text (PlainTextContent or plainTextPath)")
                continue
            name = source.get("name") or _norm(source.get("guid"))
            if name.lower().endswith(_DOCUMENT_EXTENSIONS):
                name = name.rsplit(".", 1)[0]
            sid = _unique(name, taken)
            guid = _norm(source.get("guid"))
            fields = {"kind": "", "group": "", "origin": "", "deidentified": ""}
            for variable, value, holder in self.values(source, variables):
                if variable in fields:
                    fields[variable] = value
                else:
                    self.skip(holder, f"source variable {variable!r} of {sid!r}: the model "
                                      "keeps variables on participants")
            kind = fields["kind"] if fields["kind"] in SOURCE_KINDS else \
                OPEN_TEXT if source_refs.get(guid) else TRANSCRIPT
            if _child(source, "Description") is not None:
                self.skip(_child(source, "Description"), f"description of source {sid!r}")
            for selection in _children(source, "PlainTextSelection"):
                self.read_selection(selection, sid, text, code_ids, codings, selections)
            for coding in _children(source, "Coding"):  # on the whole text (rare)
                codings.append(self.coding(coding, sid, 0, len(text), code_ids,
                                           source.get("creatingUser")))
            for ref in _children(source, "NoteRef"):
                self.note_targets[_norm(ref.get("targetGUID"))].append(
                    ("source", sid, None, None))
            sources.append(Source(sid, text, kind, fields["group"], (), fields["origin"],
                                  fields["deidentified"].strip() in ("true", "1")))
            selections[f"source:{guid}"] = _Selection(sid, 0, len(text), "", "", 0, False,
                                                      False)
        return sources, codings, selections

    def read_selection(self, element: etree._Element, sid: str, text: str,
                       code_ids: dict[str, str], codings: list[Coding],
                       selections: dict[str, _Selection]) -> None:
        try:
            start, end = int(element.get("startPosition")), int(element.get("endPosition"))
        except (TypeError, ValueError):
            raise self.fail(element, f"source {sid!r}: a selection needs whole-number "
                                     "startPosition and endPosition") from None
        if not 0 <= start <= end <= len(text):
            raise self.fail(element, f"source {sid!r}: characters {start}-{end} lie outside "
                                     f"its {len(text)} characters")
        applied = _children(element, "Coding")
        for coding in applied:
            codings.append(self.coding(coding, sid, start, end, code_ids,
                                       element.get("creatingUser")))
            for ref in _children(coding, "NoteRef"):
                self.note_targets[_norm(ref.get("targetGUID"))].append(
                    ("segment", sid, start, end))
        refs = _children(element, "NoteRef")
        for ref in refs:
            self.note_targets[_norm(ref.get("targetGUID"))].append(("segment", sid, start, end))
        selections[_norm(element.get("guid"))] = _Selection(
            sid, start, end, element.get("name"),
            _child_text(element, "Description") or "", element.sourceline, bool(applied),
            bool(refs))

    def coding(self, element: etree._Element, sid: str, start: int, end: int,
               code_ids: dict[str, str], selection_user: str | None) -> Coding:
        ref = _child(element, "CodeRef")
        target = _norm(ref.get("targetGUID") if ref is not None else None)
        if target not in code_ids:
            raise self.fail(element, f"source {sid!r}: coding of characters {start}-{end} "
                                     f"refers to code {target or '(none)'}, which is not in "
                                     "the codebook")
        if start >= end:
            raise self.fail(element, f"source {sid!r}: coding of characters {start}-{end} "
                                     "covers no text")
        coder = self.user(element.get("creatingUser") or selection_user) or UNKNOWN_CODER
        return Coding(sid, coder, code_ids[target], start, end)

    def place_turns(self, sources: list[Source], selections: dict[str, _Selection],
                    turn_refs: dict[str, str], source_refs: dict[str, list[str]],
                    linked: set[str]) -> list[Source]:
        """Turns: uncoded selections a case points to, or that nothing else explains."""
        by_source: dict[str, list[Turn]] = defaultdict(list)
        for guid, selection in selections.items():
            if guid.startswith("source:"):
                continue
            pid = turn_refs.get(guid)
            if selection.coded:
                if pid:
                    self.skipped.append(f"line {selection.line}: coded selection of case "
                                        f"{pid!r}: the model ties participants to turns")
                continue
            if pid is None and (selection.noted or guid in linked):
                continue  # made to hold a memo on a segment, or an end of a link
            begin, finish = _parse_clock(selection.description)
            by_source[selection.source].append(Turn(
                pid or "", selection.name if selection.name is not None else pid or "",
                selection.start, selection.end,
                begin, finish))
        unknown = set(turn_refs) - set(selections)
        self.skipped += [f"case {turn_refs[g]!r}: selection {g} is not in any text source"
                         for g in sorted(unknown)]
        for guid, pids in source_refs.items():
            selection = selections.get(f"source:{guid}")
            if selection is None:
                self.skipped += [f"case {p!r}: source {guid} is not a text source read here"
                                 for p in pids]
                continue
            for pid in pids:  # one case per open-text answer: the whole text is theirs
                by_source[selection.source].append(Turn(pid, pid, 0, selection.end))
        return [Source(s.id, s.text, s.kind, s.group, tuple(by_source[s.id]), s.origin,
                       s.deidentified) for s in sources]

    def read_notes(self, root: etree._Element) -> list[Memo]:
        memos: list[Memo] = []
        taken: set[str] = set()
        element = _child(root, "Notes")
        for ref in _children(root, "NoteRef"):
            self.note_targets[_norm(ref.get("targetGUID"))].append(("project", "", None, None))
        for note in _children(element, "Note") if element is not None else ():
            text = self.text_of(note)
            guid = _norm(note.get("guid"))
            # A note nothing points to is a free memo: the project's.
            targets = self.note_targets.pop(guid, None) or [("project", "", None, None)]
            for target, target_id, start, end in targets:
                memos.append(Memo(_unique(note.get("name") or guid, taken),
                                  self.user(note.get("creatingUser")), text or "", target,
                                  target_id, start, end, note.get("creationDateTime") or ""))
        self.skipped += [f"a reference to note {g}, which is not among the Notes"
                         for g in sorted(self.note_targets)]
        return memos

    def text_of(self, element: etree._Element) -> str | None:
        content = _child(element, "PlainTextContent")
        if content is not None:
            return content.text or ""
        reference = element.get("plainTextPath")
        if not reference:
            return None
        label = f"{_local(element)} {element.get('name') or element.get('guid')!r}"
        if reference.startswith("internal://"):
            member = self.internal_member(reference[len("internal://"):])
            if member is None:
                raise self.fail(element, f"{label}: its text {reference!r} should be "
                                         "sources/" + reference[len("internal://"):]
                                         + " in the archive, which is missing")
            data = _read_member(self.archive, member, self.path)
        else:
            data = self.outside_file(element, label, reference)
        try:
            return data.decode("utf-8-sig")  # a BOM is not text: offsets start after it
        except UnicodeDecodeError as error:
            raise self.fail(element, f"{label}: its text is not UTF-8 ({error})") from None

    def internal_member(self, name: str) -> str | None:
        """The archive entry of an internal:// text: tools disagree on the folder's case."""
        if not hasattr(self, "_members"):
            names = self.archive.namelist()
            # Looked up once per source: dictionaries, not a scan of every entry each time.
            self._members = {n.lower(): n for n in reversed(names)}
            self._by_file = {n.rsplit("/", 1)[-1]: n for n in reversed(names)}
        return self._members.get(f"sources/{name}".lower()) or self._by_file.get(name)

    def outside_file(self, element: etree._Element, label: str, reference: str) -> bytes:
        candidates = _outside_candidates(reference, self.base_path, self.path.parent)
        if not self.outside_files:
            raise self.fail(element, f"{label}: its text {reference!r} lies outside the "
                                     "archive; read it with outside_files=True if the project "
                                     "comes from a trusted place")
        for candidate in candidates:
            if candidate.is_file():
                try:
                    return candidate.read_bytes()
                except OSError as error:
                    raise self.fail(element, f"{label}: its text {candidate} cannot be read "
                                             f"({error.strerror})") from None
        raise self.fail(element, f"{label}: its text {reference!r} was looked for at "
                                 f"{', '.join(map(str, candidates))}, and is not there")


def _outside_candidates(reference: str, base_path: str, beside: Path) -> list[Path]:
    """Where a text outside the archive may be: against basePath, then beside the .qdpx."""
    def as_path(value: str) -> Path:
        for scheme in ("absolute://", "relative://"):
            if value.startswith(scheme):
                return Path(value[len(scheme):])
        if value.startswith("file://"):
            return Path(unquote(urlparse(value).path))
        return Path(value)

    target = as_path(reference)
    if target.is_absolute():
        return [target]
    bases = [as_path(base_path)] if base_path else []
    return [base / target for base in [*bases, beside]]


def _parse_clock(description: str) -> tuple[float | None, float | None]:
    begin, arrow, finish = description.partition("-->")
    if not arrow:
        return None, None
    return _seconds(begin.strip()), _seconds(finish.strip())


def _seconds(text: str) -> float | None:
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    hours, minutes, seconds, millis = match.groups()
    millis = int((millis or "0").ljust(3, "0"))
    return (int(hours) * 3_600_000 + int(minutes) * 60_000 + int(seconds) * 1000
            + millis) / 1000
