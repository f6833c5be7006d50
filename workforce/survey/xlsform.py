"""Reading an XLSForm workbook (.xlsx, or a legacy .xls) into an `Instrument`.

XLSForm is the spreadsheet format of ODK, KoboToolbox and Ona. The platform runs a subset of
it: the question types and columns a web survey of members needs, nothing that records a
location, a device, media or a time of day. Everything outside that subset is refused with
the sheet, row, column and value that uses it, every problem at once, so an author can fix
the whole workbook in one pass. What is accepted but only partly used (an `appearance`, label
formatting, a column the platform does not read) is listed in `Instrument.notes`, so nothing
is silently dropped.

The workbook is read cell by cell here, keeping each row's real number in the sheet (header
row 1, first question row 2, blank rows counted), with pyxform's own cell-to-text rules so
values read exactly as ODK tools read them. pyxform's conversion then runs over the same
rows as a second opinion: it knows authoring errors this module does not look for, and its
row numbers stay true because blank rows are passed to it as empty rows.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

from workforce.survey.instrument import (
    DEFAULT_LANGUAGE,
    Choice,
    Instrument,
    Page,
    Question,
    Texts,
)

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from workforce.standard import Dimension, Standard

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"

# An XLSForm is rarely over a megabyte; these bounds keep a hostile or broken file (a zip
# that expands to millions of rows) from exhausting memory before it can be refused.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 500

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ImportProblem:
    """One reason a workbook cannot be used, located as precisely as the workbook allows.

    `sheet` is the sheet's role ("survey", "choices", "settings"), or "" for the file as a
    whole; `row` is the row number a spreadsheet program shows; `column` the header text.
    """

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        place = [f"{self.sheet} sheet" if self.sheet else "workbook"]
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column is not None:
            place.append(f"column {self.column!r}")
        if self.value is not None:
            place.append(f"value {_shorten(self.value)!r}")
        return f"{', '.join(place)}: {self.reason}"


class InstrumentError(ValueError):
    """A workbook that cannot become an instrument; `problems` lists every reason found."""

    def __init__(self, problems: Iterable[ImportProblem], source: str | None = None) -> None:
        self.problems: list[ImportProblem] = list(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        subject = self.source or "the XLSForm"
        count = len(self.problems)
        if count == 1:
            return f"{subject}: {self.problems[0]}"
        lines = [f"{subject}: {count} problems"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Findings:
    """Problems and notes gathered while reading; problems make the import fail at the end."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.notes: list[str] = []

    def problem(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: str | None,
        reason: str,
    ) -> None:
        self.problems.append(ImportProblem(sheet, row, column, value, reason))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def rows_with_problems(self, sheet: str) -> set[int]:
        return {p.row for p in self.problems if p.sheet == sheet and p.row is not None}


# --------------------------------------------------------------------------- entry point


def read_xlsform(
    path_or_bytes: str | os.PathLike[str] | bytes | IO[bytes], *, name: str | None = None
) -> Instrument:
    """Read an XLSForm workbook into an `Instrument`, or raise `InstrumentError`.

    `name` is the file name used in messages and, when the settings sheet has no form_id,
    as the form id (its stem); it defaults to the name of the path given.
    """
    data, name = _source_bytes(path_or_bytes, name)
    findings = _Findings()
    workbook = _read_workbook(data, findings)
    if workbook is None:
        raise InstrumentError(findings.problems, name)
    instrument = _Builder(workbook, findings, name).build(data)
    if findings.problems:
        raise InstrumentError(_in_sheet_order(findings.problems), name)
    assert instrument is not None  # built whenever no problem was found
    return instrument


def _in_sheet_order(problems: list[ImportProblem]) -> list[ImportProblem]:
    """Problems as an author meets them: whole file, survey, choices, settings; by row."""
    order = {"": 0, SURVEY: 1, CHOICES: 2, SETTINGS: 3}
    return sorted(problems, key=lambda p: (order.get(p.sheet, 4), p.row or 0))


def _source_bytes(
    path_or_bytes: str | os.PathLike[str] | bytes | IO[bytes], name: str | None
) -> tuple[bytes, str | None]:
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(path_or_bytes), name
    if isinstance(path_or_bytes, str | os.PathLike):
        path = Path(path_or_bytes)
        try:
            return path.read_bytes(), name or path.name
        except OSError as error:
            problem = ImportProblem("", None, None, None, f"the file cannot be read: {error}")
            raise InstrumentError([problem], name or path.name) from None
    if hasattr(path_or_bytes, "read"):
        content = path_or_bytes.read()
        if isinstance(content, bytes):
            return content, name or _file_object_name(path_or_bytes)
    raise TypeError(
        "read_xlsform() takes a path, bytes or a binary file object, "
        f"not {type(path_or_bytes).__name__}"
    )


def _file_object_name(file: object) -> str | None:
    file_name = getattr(file, "name", None)
    return Path(file_name).name if isinstance(file_name, str) and file_name else None


# --------------------------------------------------------------------------- workbook


@dataclass(frozen=True)
class _Row:
    """A row of a sheet that has at least one value under a header."""

    number: int
    cells: dict[str, str]

    def get(self, header: str | None) -> str:
        return self.cells.get(header, "") if header is not None else ""


@dataclass
class _Sheet:
    """A worksheet as text: its header row and its non-blank rows, with real row numbers."""

    title: str
    headers: list[str]
    rows: list[_Row]
    # Highest row number with content (blank rows before it are passed to pyxform as such).
    last_row: int = 1


@dataclass
class _Workbook:
    sheet_titles: list[str]
    sheets: dict[str, _Sheet] = field(default_factory=dict)
    unused_sheets: list[str] = field(default_factory=list)
    file_type: str = ".xlsx"


_WorkbookSheets = list[tuple[str, Iterator[tuple[str | None, ...]]]]


def _read_workbook(data: bytes, findings: _Findings) -> _Workbook | None:
    """Every sheet as text rows, or None (with the reason in `findings`) when unreadable."""
    if len(data) > MAX_FILE_BYTES:
        findings.problem(
            "",
            None,
            None,
            None,
            f"the file is {len(data) / 1024 / 1024:.0f} MB; a survey form is expected to be "
            f"under {MAX_FILE_BYTES // 1024 // 1024} MB",
        )
        return None
    if data.startswith(_ZIP_MAGIC):
        reader, file_type = _xlsx_sheets, ".xlsx"
    elif data.startswith(_OLE2_MAGIC):
        reader, file_type = _xls_sheets, ".xls"
    else:
        findings.problem(
            "",
            None,
            None,
            None,
            "the file is not an Excel workbook (.xlsx or .xls); save the XLSForm from your "
            "spreadsheet program as an Excel workbook",
        )
        return None
    try:
        # Spreadsheet libraries raise a wide variety of exceptions on damaged files (zip,
        # XML, OLE2, key and value errors); any of them means the same thing to an author.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = reader(data, findings)
    except Exception as error:
        findings.problem(
            "",
            None,
            None,
            None,
            f"the file is damaged or is not an Excel workbook ({type(error).__name__}: "
            f"{_shorten(str(error), 160)})",
        )
        return None
    workbook.file_type = file_type
    return workbook


def _xlsx_sheets(data: bytes, findings: _Findings) -> _Workbook:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        workbook = _Workbook(sheet_titles=list(book.sheetnames))
        for title in book.sheetnames:
            sheet = book[title]
            if not hasattr(sheet, "reset_dimensions"):
                workbook.unused_sheets.append(title)  # a chart sheet holds no cells
                continue
            # The stored dimensions are often wrong in files written by other tools.
            sheet.reset_dimensions()
            _add_sheet(workbook, title, _xlsx_rows(sheet), findings)
        return workbook
    finally:
        book.close()


def _xlsx_rows(sheet: ReadOnlyWorksheet) -> Iterator[tuple[str | None, ...]]:
    from pyxform.xls2json_backends import xlsx_value_to_str

    # Without a column bound, rows missing from the file come back empty and cheap: some
    # writers mark a styled row at the very bottom of the sheet, a million rows down.
    for values in sheet.iter_rows(min_row=1, values_only=True):
        if not values:
            yield ()
            continue
        yield tuple(
            None if value is None else _cell_text(xlsx_value_to_str(value))
            for value in values[:MAX_COLUMNS]
        )


def _xls_sheets(data: bytes, findings: _Findings) -> _Workbook:
    import xlrd
    from pyxform.xls2json_backends import xls_value_to_unicode

    book = xlrd.open_workbook(file_contents=data)
    try:
        workbook = _Workbook(sheet_titles=list(book.sheet_names()))

        def text(sheet: xlrd.sheet.Sheet, row: int, column: int) -> str | None:
            cell = sheet.cell(row, column)
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                return None
            value = cell.value.strip() if isinstance(cell.value, str) else cell.value
            if value == "":
                return None
            try:
                return _cell_text(xls_value_to_unicode(value, cell.ctype, book.datemode))
            except xlrd.xldate.XLDateError:
                findings.problem(
                    sheet.name.lower(),
                    row + 1,
                    None,
                    None,
                    f"the cell in column {column + 1} holds a date Excel cannot place in a "
                    "calendar; type it as text",
                )
                return None

        for sheet in book.sheets():
            rows = (
                tuple(text(sheet, row, column) for column in range(min(sheet.ncols, MAX_COLUMNS)))
                for row in range(sheet.nrows)
            )
            _add_sheet(workbook, sheet.name, rows, findings)
        return workbook
    finally:
        book.release_resources()


def _cell_text(text: str) -> str | None:
    text = text.replace("\u00a0", " ").strip()
    return text or None


_SHEET_ROLES = (SURVEY, CHOICES, SETTINGS)
_REFUSED_SHEETS = {
    "external_choices": "choices kept on an external_choices sheet are not supported; put them "
    "on the choices sheet",
    "entities": "entities (data shared between forms) are not supported",
    "osm": "OpenStreetMap questions are not supported",
}


def _add_sheet(
    workbook: _Workbook,
    title: str,
    rows: Iterator[tuple[str | None, ...]],
    findings: _Findings,
) -> None:
    role = title.strip().lower()
    if role in _REFUSED_SHEETS:
        findings.problem(role, None, None, None, _REFUSED_SHEETS[role])
        return
    if role not in _SHEET_ROLES:
        # pyxform reads a workbook with a single, differently named sheet as the survey.
        if len(workbook.sheet_titles) == 1:
            findings.note(f"the only sheet, {title!r}, is read as the survey sheet")
            role = SURVEY
        else:
            workbook.unused_sheets.append(title)
            return
    if role in workbook.sheets:
        findings.problem(
            role, None, None, None, f"the workbook has two sheets named {role!r} in any case"
        )
        return
    workbook.sheets[role] = _sheet_from_rows(role, title, rows, findings)


def _sheet_from_rows(
    role: str, title: str, rows: Iterator[tuple[str | None, ...]], findings: _Findings
) -> _Sheet:
    header_cells = next(rows, ())
    headers: list[str] = []
    positions: list[tuple[int, str]] = []
    for position, cell in enumerate(header_cells):
        if cell is None:
            continue
        header = re.sub(r"\s+", " ", cell)
        if header in headers:
            findings.problem(
                role, 1, header, None, "this column header appears twice in the header row"
            )
            continue
        headers.append(header)
        positions.append((position, header))
    sheet = _Sheet(title=title, headers=headers, rows=[])
    headerless_columns: set[int] = set()
    known_positions = {position for position, _ in positions}
    for number, cells in enumerate(rows, start=2):
        if not cells:
            continue
        if number > MAX_ROWS + 1:
            # Rows past the limit are only looked at to make sure they are empty.
            if any(cell is not None for cell in cells):
                findings.problem(
                    role,
                    number,
                    None,
                    None,
                    f"the sheet has more than {MAX_ROWS} rows; a survey form is expected to "
                    "be far smaller",
                )
                break
            continue
        values = {
            header: cells[position]
            for position, header in positions
            if position < len(cells) and cells[position] is not None
        }
        headerless_columns.update(
            position
            for position, cell in enumerate(cells)
            if cell is not None and position not in known_positions
        )
        if values:
            sheet.rows.append(_Row(number, values))
            sheet.last_row = number
    if headerless_columns:
        letters = ", ".join(_column_letter(position) for position in sorted(headerless_columns))
        findings.note(f"{role} sheet: values in column(s) {letters} have no header and are ignored")
    return sheet


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class _Column:
    """A header understood: its base name after pyxform's aliases, and its language."""

    header: str
    base: str
    language: str | None = None
    rest: tuple[str, ...] = ()


_SURVEY_ALIASES = {
    "caption": "label",
    "relevance": "relevant",
    "readonly": "read_only",
    "calculate": "calculation",
    "constraining_message": "constraint_message",
    "requiredmsg": "required_message",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "jr:count": "repeat_count",
    "count": "repeat_count",
    "big_image": "big-image",
}
_CHOICES_ALIASES = {"caption": "label", "value": "name", "big_image": "big-image"}
_SETTINGS_ALIASES = {
    "id_string": "form_id",
    "set_form_id": "form_id",
    "title": "form_title",
    "set_form_title": "form_title",
}
_TRANSLATED = frozenset(
    {"label", "hint", "guidance_hint", "required_message", "constraint_message"}
)
_MEDIA = frozenset({"image", "big-image", "audio", "video", "media"})
_SURVEY_USED = frozenset(
    {
        "type",
        "name",
        "label",
        "hint",
        "required",
        "required_message",
        "relevant",
        "constraint",
        "constraint_message",
        "calculation",
        "choice_filter",
        "default",
        "read_only",
        "appearance",
        "standard",
    }
)
# Columns that change what is collected or how; a value in one of them is refused.
_SURVEY_REFUSED = {
    "repeat_count": "repeats are not supported, so a repeat count has no meaning",
    "trigger": "triggers (recomputing a question when another changes) are not supported",
    "parameters": "question parameters (such as max-pixels, randomize or range bounds) are "
    "not supported",
    "body": "body:: attributes change how a question is collected and are not supported",
    "bind": "bind:: attributes change how an answer is checked or stored and are not supported",
    "save_to": "saving answers to entities is not supported",
    "disabled": "the 'disabled' column is not supported; delete the row instead",
    "autoplay": "media shown with questions are not supported",
    **{
        media: "images, audio and video shown with a question are not supported" for media in _MEDIA
    },
}
# Columns accepted and ignored, with the reason stated in the notes.
_SURVEY_IGNORED = {
    "guidance_hint": "guidance hints are not shown by the platform",
    "instance": "instance:: attributes decorate the XML that ODK submits; this platform "
    "stores answers as data, so they are ignored",
    "sms_field": "SMS submission settings are ignored",
    "rows": "the 'rows' column (height of a text box) is presentation only and is ignored",
}


def _column(header: str, aliases: Mapping[str, str]) -> _Column:
    """Split `label::English (en)` into base and language, as pyxform does."""
    if "::" in header:
        tokens = [token.strip() for token in header.split("::")]
    elif ":" in header and not header.lower().startswith("jr:"):
        tokens = [token.strip() for token in header.split(":")]
    else:
        tokens = [header.strip()]
    base = "_".join(tokens[0].split()).lower()
    base = aliases.get(base, base)
    if base.startswith("sms_"):
        base = "sms_field"
    rest = tuple(tokens[1:])
    if base in _TRANSLATED or (base == "media" and len(rest) == 2):
        return _Column(header, base, rest[-1] if rest else None, rest)
    return _Column(header, base, None, rest)


_LANGUAGE_WITH_CODE = re.compile(r"^(?P<name>.*\S)\s*\((?P<code>[^()]+)\)$")


def _language_code(suffix: str) -> tuple[str, str | None]:
    """`English (en)` → ("en", "English"); `English` → ("English", None)."""
    match = _LANGUAGE_WITH_CODE.match(suffix.strip())
    if match:
        return match.group("code").strip(), match.group("name").strip()
    return suffix.strip(), None


# --------------------------------------------------------------------------- types

_SELECT_COMMANDS = {
    "select_one": "select_one",
    "select one": "select_one",
    "select1": "select_one",
    "select_multiple": "select_multiple",
    "select multiple": "select_multiple",
    "select all that apply": "select_multiple",
}
_SELECT = re.compile(
    r"^(?P<command>select_one|select one|select1|select_multiple|select multiple"
    r"|select all that apply)\s+(?P<list>\S+)"
    r"(?:\s+(?P<other>or_other|or specify other|or other))?$",
    re.IGNORECASE,
)
_FROM_FILE = re.compile(
    r"^(select_one_from_file|select_multiple_from_file|select one from file"
    r"|select multiple from file|select_one_external|select one external)\b",
    re.IGNORECASE,
)
_RANK = re.compile(r"^rank\b", re.IGNORECASE)
_CONTROL = re.compile(
    r"^(?P<edge>begin|end)[ _](?P<kind>group|repeat|lgroup|loop|looped group)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_SIMPLE_TYPES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "calculate": "calculate",
    "start": "start",
    "end": "end",
    "today": "today",
}
_LOCATION = "location is not collected by this platform"
_MEDIA_UPLOAD = "photos, recordings and file uploads are not collected by this platform"
_IDENTIFYING = (
    "identifying metadata is never collected: it could tie a response to a person or device"
)
_TIME_OF_DAY = (
    "a time of day is not collected (it could link an anonymous response to the e-mail "
    "that was sent); use date"
)
_UNSUPPORTED_TYPES = {
    "geopoint": _LOCATION,
    "geotrace": _LOCATION,
    "geoshape": _LOCATION,
    "start-geopoint": _LOCATION,
    "background-geopoint": _LOCATION,
    "location": _LOCATION,
    "gps": _LOCATION,
    "image": _MEDIA_UPLOAD,
    "photo": _MEDIA_UPLOAD,
    "audio": _MEDIA_UPLOAD,
    "video": _MEDIA_UPLOAD,
    "file": _MEDIA_UPLOAD,
    "background-audio": _MEDIA_UPLOAD,
    "barcode": "barcode scanning needs a device camera",
    "range": "a slider; use an integer question with a constraint",
    "acknowledge": "use a select_one or a note",
    "trigger": "use a select_one or a note",
    "hidden": "use a calculate question",
    "xml-external": "external data files are not read by this platform",
    "csv-external": "external data files are not read by this platform",
    "osm": "OpenStreetMap is not available in this platform",
    "deviceid": _IDENTIFYING,
    "imei": _IDENTIFYING,
    "phonenumber": _IDENTIFYING,
    "username": _IDENTIFYING,
    "email": _IDENTIFYING,
    "audit": _IDENTIFYING,
    "simserial": _IDENTIFYING,
    "subscriberid": _IDENTIFYING,
    "datetime": _TIME_OF_DAY,
    "time": _TIME_OF_DAY,
}


@dataclass(frozen=True)
class _Type:
    """The `type` cell understood: what the row is and, for selects, its list."""

    # A question type, "begin group", "end group", "begin repeat", "end repeat",
    # "unsupported" or "unknown".
    kind: str
    container: str = ""  # "group" or "repeat" for begin/end
    list_name: str | None = None
    or_other: bool = False
    reason: str = ""
    # The type as pyxform spells it (command words in lower case).
    normalized: str = ""


def _parse_type(text: str) -> _Type:
    words = " ".join(text.split())
    lowered = words.lower()
    control = _CONTROL.match(words)
    if control:
        edge = control.group("edge").lower()
        kind = control.group("kind").lower()
        container = "group" if kind == "group" else "repeat"
        normalized = f"{edge} {kind}{control.group('rest')}"
        if edge == "begin" and control.group("rest").strip():
            return _Type(
                "unsupported",
                container,
                reason="groups over a list (loops) repeat questions, and every question is "
                "asked once here",
                normalized=normalized,
            )
        if control.group("rest").strip():
            return _Type("unknown", reason="not an XLSForm type", normalized=words)
        return _Type(f"{edge} {container}", container, normalized=normalized)
    select = _SELECT.match(words)
    if select:
        command = _SELECT_COMMANDS[select.group("command").lower()]
        other = select.group("other")
        normalized = f"{command} {select.group('list')}" + (" or_other" if other else "")
        return _Type(
            command,
            list_name=select.group("list"),
            or_other=bool(other),
            normalized=normalized,
        )
    if _FROM_FILE.match(words):
        return _Type(
            "unsupported",
            reason="its choices come from an external file; put them on the choices sheet",
            normalized=words,
        )
    if _RANK.match(words):
        return _Type("unsupported", reason="ranking is not available", normalized=words)
    if lowered in _SIMPLE_TYPES:
        return _Type(_SIMPLE_TYPES[lowered], normalized=lowered)
    if lowered in _UNSUPPORTED_TYPES:
        return _Type("unsupported", reason=_UNSUPPORTED_TYPES[lowered], normalized=words)
    return _Type("unknown", reason="not an XLSForm question type", normalized=words)


_YES = frozenset({"yes", "true", "true()", "1"})
_NO = frozenset({"no", "false", "false()", "0", ""})
_NAME = re.compile(r"^[^\W\d][\w.\-]*$")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_FORMATTING = re.compile(r"(\*\*?[^*\s][^*]*\*|<[a-z][^>]*>|^#{1,6} |\[[^\]]+\]\([^)]+\))")
_EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "choice_filter")


def _yes_no(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    return None


def _all_of(conditions: Iterable[str | None]) -> str | None:
    """Conditions that must all hold, as one expression: `(outer) and (inner)`."""
    present = [condition for condition in conditions if condition]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({condition})" for condition in present)


# --------------------------------------------------------------------------- building


@dataclass
class _PageDraft:
    name: str
    labels: Texts
    relevant: str | None
    row: int
    grouped: bool
    questions: list[Question] = field(default_factory=list)


@dataclass
class _OpenContainer:
    kind: str  # "group" or "repeat"
    name: str
    row: int
    relevant: str | None


@dataclass(frozen=True)
class _Expression:
    sheet: str
    row: int
    column: str
    text: str
    # A choice_filter may also name columns of the choices sheet, bare.
    choice_filter: bool = False


class _Builder:
    """Turns the sheets of one workbook into an `Instrument`, recording every problem."""

    def __init__(self, workbook: _Workbook, findings: _Findings, source: str | None) -> None:
        self.workbook = workbook
        self.findings = findings
        self.source = source
        self.languages: dict[str, None] = {}  # ordered set of language keys
        self.language_names: dict[str, str] = {}
        self.expressions: list[_Expression] = []
        self.names: dict[str, int] = {}  # question or group name → first row
        self.question_names: set[str] = set()
        self.label_references: list[tuple[int, str, str]] = []
        self.appearances: dict[str, list[int]] = {}
        self.formatted_label_rows: list[int] = []
        self.smart_quote_rows: list[int] = []
        self.normalized_types: dict[int, str] = {}
        self.survey_columns: list[_Column] = []
        self.survey_headers: dict[str, str] = {}
        self.unsuffixed_labels = False
        self.dimension_feeds: dict[str, tuple[str, int]] = {}
        self.choice_filter_columns: set[str] = set()

    # ---- the whole workbook

    def build(self, data: bytes) -> Instrument | None:
        survey = self.workbook.sheets.get(SURVEY)
        if survey is None:
            present = ", ".join(repr(title) for title in self.workbook.sheet_titles) or "none"
            self.findings.problem(
                SURVEY,
                None,
                None,
                None,
                f"the workbook has no 'survey' sheet (its sheets: {present})",
            )
            return None
        settings = self._settings()
        choices = self._choices()
        pages = self._pages(survey, choices)
        self._check_expressions()
        self._check_label_references()
        self._check_with_pyxform()
        self._note_presentation()
        if self.workbook.file_type == ".xls":
            self.findings.note("the workbook is in the legacy Excel 97-2003 (.xls) format")
        if self.workbook.unused_sheets:
            titles = ", ".join(repr(title) for title in self.workbook.unused_sheets)
            self.findings.note(f"sheets that are not part of an XLSForm are ignored: {titles}")
        if self.findings.problems:
            return None
        languages = self._language_list()
        default_language = self._default_language(settings, languages)
        for code, display_name in self.language_names.items():
            settings[f"language_name:{code}"] = display_name
        form_id = settings.get("form_id") or self._fallback_form_id()
        return Instrument(
            form_id=form_id,
            title=settings.get("form_title") or form_id,
            version=settings.get("version", ""),
            languages=languages,
            default_language=default_language,
            pages=tuple(
                Page(
                    name=page.name,
                    labels=page.labels,
                    relevant=page.relevant,
                    questions=tuple(page.questions),
                    row=page.row,
                )
                for page in pages
            ),
            choices=choices,
            settings=settings,
            source_sha256=hashlib.sha256(data).hexdigest(),
            notes=tuple(self.findings.notes),
        )

    def _fallback_form_id(self) -> str:
        stem = Path(self.source).stem if self.source else ""
        form_id = re.sub(r"[^\w.\-]+", "_", stem).strip("_") or "form"
        self.findings.note(f"the settings sheet gives no form_id; the form id {form_id!r} is used")
        return form_id

    # ---- languages

    def _text_columns(self, sheet: str, columns: Iterable[_Column]) -> None:
        """Record the languages that the translated columns of a sheet are written in."""
        for column in columns:
            if column.base not in _TRANSLATED:
                continue
            if column.language is None:
                self.languages.setdefault(DEFAULT_LANGUAGE, None)
                continue
            code, display_name = _language_code(column.language)
            self.languages.setdefault(code, None)
            if display_name is None:
                continue
            known = self.language_names.setdefault(code, display_name)
            if known != display_name:
                self.findings.problem(
                    sheet,
                    1,
                    column.header,
                    None,
                    f"language code {code!r} is used for both {known!r} and {display_name!r}",
                )

    def _language_key(self, column: _Column) -> str:
        if column.language is None:
            return DEFAULT_LANGUAGE
        return _language_code(column.language)[0]

    def _texts(self, row: _Row, columns: Iterable[_Column], base: str) -> Texts:
        texts: Texts = {}
        for column in columns:
            if column.base == base and row.get(column.header):
                texts[self._language_key(column)] = row.get(column.header)
        return texts

    def _language_list(self) -> tuple[str, ...]:
        named = [language for language in self.languages if language != DEFAULT_LANGUAGE]
        if not named:
            return (DEFAULT_LANGUAGE,)
        # Unsuffixed texts next to translated ones are the fallback of every language
        # (`text_in`), not a language a respondent picks, unless the labels themselves are
        # unsuffixed.
        if self.unsuffixed_labels:
            return (DEFAULT_LANGUAGE, *named)
        return tuple(named)

    def _default_language(self, settings: dict[str, str], languages: tuple[str, ...]) -> str:
        wanted = settings.get("default_language")
        if not wanted:
            return languages[0]
        code, _ = _language_code(wanted)
        if code in languages:
            return code
        if code in self.language_names.values() or wanted in self.language_names.values():
            for key, display_name in self.language_names.items():
                if display_name in (code, wanted):
                    return key
        self.findings.note(
            f"settings default_language {wanted!r} is not a language of the labels; "
            f"{languages[0]!r} is used"
        )
        return languages[0]

    # ---- settings

    def _settings(self) -> dict[str, str]:
        sheet = self.workbook.sheets.get(SETTINGS)
        if sheet is None or not sheet.rows:
            return {}
        first = sheet.rows[0]
        if len(sheet.rows) > 1:
            self.findings.note(
                f"settings sheet: only row {first.number} is read; rows "
                + ", ".join(str(row.number) for row in sheet.rows[1:])
                + " are ignored"
            )
        settings: dict[str, str] = {}
        for header in sheet.headers:
            value = first.get(header)
            if not value:
                continue
            column = _column(header, _SETTINGS_ALIASES)
            key = column.base if column.base in _SETTINGS_ALIASES.values() else header
            if key in settings:
                self.findings.problem(
                    SETTINGS, first.number, header, value, f"{key} is given twice"
                )
                continue
            settings[key] = value
            if key not in ("form_id", "form_title", "version", "default_language"):
                self.findings.note(f"settings sheet: {header!r} is kept but not used")
        if "form_id" in settings and not _NAME.match(settings["form_id"]):
            self.findings.problem(
                SETTINGS,
                first.number,
                "form_id",
                settings["form_id"],
                "a form id starts with a letter or '_' and holds only letters, digits, "
                "'_', '-' and '.'",
            )
        return settings

    # ---- choices

    def _choices(self) -> dict[str, tuple[Choice, ...]]:
        sheet = self.workbook.sheets.get(CHOICES)
        if sheet is None:
            return {}
        columns = [_column(header, _CHOICES_ALIASES) for header in sheet.headers]
        by_base = {column.base: column.header for column in columns if not column.language}
        list_header, name_header = by_base.get("list_name"), by_base.get("name")
        for wanted, header in (("list_name", list_header), ("name", name_header)):
            if header is None and sheet.rows:
                self.findings.problem(
                    CHOICES, 1, None, None, f"the choices sheet has no {wanted!r} column"
                )
        if list_header is None or name_header is None:
            return {}
        self._text_columns(CHOICES, columns)
        filter_headers = [
            column.header
            for column in columns
            if column.base not in ("list_name", "name", "label", *_MEDIA)
        ]
        self.choice_filter_columns = set(filter_headers)
        lists: dict[str, list[Choice]] = {}
        seen: dict[tuple[str, str], int] = {}
        for row in sheet.rows:
            list_name, choice_name = row.get(list_header), row.get(name_header)
            for column in columns:
                if column.base in _MEDIA and row.get(column.header):
                    self.findings.problem(
                        CHOICES,
                        row.number,
                        column.header,
                        row.get(column.header),
                        "images, audio and video shown with a choice are not supported",
                    )
            if not list_name:
                self.findings.problem(
                    CHOICES, row.number, list_header, None, "the choice has no list_name"
                )
                continue
            if not choice_name:
                self.findings.problem(
                    CHOICES, row.number, name_header, None, "the choice has no name"
                )
                continue
            earlier = seen.setdefault((list_name, choice_name), row.number)
            if earlier != row.number:
                self.findings.problem(
                    CHOICES,
                    row.number,
                    name_header,
                    choice_name,
                    f"list {list_name!r} already has a choice named {choice_name!r} "
                    f"(row {earlier}); answers are kept by choice name, so names must differ",
                )
                continue
            lists.setdefault(list_name, []).append(
                Choice(
                    name=choice_name,
                    labels=self._texts(row, columns, "label"),
                    filters={header: row.get(header) for header in filter_headers},
                    row=row.number,
                )
            )
        return {name: tuple(choices) for name, choices in lists.items()}

    # ---- survey

    def _pages(self, sheet: _Sheet, choices: dict[str, tuple[Choice, ...]]) -> list[_PageDraft]:
        columns = [_column(header, _SURVEY_ALIASES) for header in sheet.headers]
        self.survey_columns = columns
        self.unsuffixed_labels = any(
            column.base == "label" and column.language is None for column in columns
        )
        self._text_columns(SURVEY, columns)
        headers = {column.base: column.header for column in columns if not column.language}
        self.survey_headers = headers
        type_header = headers.get("type")
        if type_header is None:
            self.findings.problem(SURVEY, 1, None, None, "the survey sheet has no 'type' column")
            return []
        self._check_survey_columns(sheet, columns)

        pages: list[_PageDraft] = []
        open_containers: list[_OpenContainer] = []
        loose: _PageDraft | None = None  # the page of questions outside any group
        for row in sheet.rows:
            type_text = row.get(type_header)
            name = row.get(headers.get("name"))
            if not type_text:
                if name or self._texts(row, columns, "label"):
                    self.findings.problem(
                        SURVEY, row.number, type_header, None, "the row has no type"
                    )
                continue
            parsed = _parse_type(type_text)
            self.normalized_types[row.number] = parsed.normalized
            if parsed.kind in ("unsupported", "unknown"):
                reason = f"question type {type_text!r} is not supported ({parsed.reason})"
                if parsed.kind == "unknown":
                    reason = f"{type_text!r} is {parsed.reason}"
                self.findings.problem(SURVEY, row.number, type_header, type_text, reason)
                if parsed.container == "":
                    # Named all the same, so expressions that mention it add no noise.
                    if self._claim_name(row, name):
                        self.question_names.add(name)
                    continue
            if parsed.kind in ("begin group", "begin repeat", "unsupported"):
                if parsed.kind == "begin repeat":
                    self.findings.problem(
                        SURVEY,
                        row.number,
                        type_header,
                        type_text,
                        "repeats are not supported: the platform collects one answer per question",
                    )
                relevant = self._expression(row, "relevant")
                self._claim_name(row, name, required=True)
                appearance = row.get(headers.get("appearance"))
                if appearance and appearance != "field-list":
                    self.appearances.setdefault(appearance, []).append(row.number)
                if not open_containers:
                    loose = None
                    page = _PageDraft(
                        name=name,
                        labels=self._texts(row, columns, "label"),
                        relevant=relevant,
                        row=row.number,
                        grouped=True,
                    )
                    pages.append(page)
                else:
                    self.findings.note(
                        f"survey sheet, row {row.number}: group {name!r} inside group "
                        f"{open_containers[0].name!r} is shown on that group's page; its "
                        "conditions apply to its questions"
                        + (", its label is not shown" if self._texts(row, columns, "label") else "")
                    )
                open_containers.append(_OpenContainer(parsed.container, name, row.number, relevant))
                continue
            if parsed.kind in ("end group", "end repeat"):
                if not open_containers:
                    self.findings.problem(
                        SURVEY,
                        row.number,
                        type_header,
                        type_text,
                        f"'end {parsed.container}' has no matching 'begin {parsed.container}'",
                    )
                    continue
                closing = open_containers.pop()
                if closing.kind != parsed.container:
                    self.findings.problem(
                        SURVEY,
                        row.number,
                        type_header,
                        type_text,
                        f"'end {parsed.container}' closes the {closing.kind} {closing.name!r} "
                        f"begun on row {closing.row}",
                    )
                continue
            if parsed.kind in ("unsupported", "unknown"):
                continue
            question = self._question(row, parsed, columns, choices, open_containers)
            if question is None:
                continue
            if open_containers:
                page = pages[-1]
            else:
                if loose is None:
                    loose = _PageDraft(
                        name="", labels={}, relevant=None, row=row.number, grouped=False
                    )
                    pages.append(loose)
                page = loose
            page.questions.append(question)
        for container in open_containers:
            self.findings.problem(
                SURVEY,
                container.row,
                type_header,
                None,
                f"{container.kind} {container.name!r} is never closed with 'end {container.kind}'",
            )
        return self._finish_pages(pages)

    def _finish_pages(self, pages: list[_PageDraft]) -> list[_PageDraft]:
        kept: list[_PageDraft] = []
        for page in pages:
            if not page.questions:
                self.findings.note(
                    f"survey sheet, row {page.row}: group {page.name!r} has no questions and "
                    "makes no page"
                )
                continue
            kept.append(page)
        taken = {page.name for page in kept if page.grouped}
        for number, page in enumerate(kept, start=1):
            if page.grouped:
                continue
            candidate = f"page_{number}"
            while candidate in taken:
                candidate += "_"
            page.name = candidate
            taken.add(candidate)
        return kept

    def _claim_name(self, row: _Row, name: str, *, required: bool = False) -> bool:
        """Record a question or group name; report a missing, malformed or repeated one."""
        header = self.survey_headers.get("name") or "name"
        if not name:
            if required:
                self.findings.problem(SURVEY, row.number, header, None, "the row has no name")
            return False
        if not _NAME.match(name):
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                name,
                "a name starts with a letter or '_' and holds only letters, digits, '_', "
                "'-' and '.'",
            )
            return False
        earlier = self.names.setdefault(name, row.number)
        if earlier != row.number:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                name,
                f"the name {name!r} is already used on row {earlier}; answers are kept by "
                "name, so every question and group needs its own",
            )
            return False
        return True

    def _question(
        self,
        row: _Row,
        parsed: _Type,
        columns: list[_Column],
        choices: dict[str, tuple[Choice, ...]],
        open_containers: list[_OpenContainer],
    ) -> Question | None:
        headers = self.survey_headers
        name = row.get(headers.get("name"))
        if not name and parsed.kind == "note":
            # pyxform names unnamed notes the same way.
            name = f"generated_note_name_{row.number}"
        if not self._claim_name(row, name, required=True):
            return None
        self.question_names.add(name)
        if parsed.or_other:
            self._claim_name(row, f"{name}_other")
            self.question_names.add(f"{name}_other")

        own_relevant = self._expression(row, "relevant")
        question = Question(
            name=name,
            type=parsed.kind,
            labels=self._texts(row, columns, "label"),
            hints=self._texts(row, columns, "hint"),
            list_name=parsed.list_name,
            or_other=parsed.or_other,
            required=self._flag(row, "required"),
            required_message=self._texts(row, columns, "required_message"),
            relevant=_all_of([c.relevant for c in open_containers] + [own_relevant]),
            constraint=self._expression(row, "constraint"),
            constraint_message=self._texts(row, columns, "constraint_message"),
            calculation=self._expression(row, "calculation"),
            choice_filter=self._expression(row, "choice_filter"),
            default=row.get(headers.get("default")) or None,
            read_only=self._flag(row, "read_only"),
            appearance=row.get(headers.get("appearance")),
            standard=row.get(headers.get("standard")) or None,
            row=row.number,
        )
        self._check_question(row, question, choices)
        for text in (*question.labels.values(), *question.hints.values()):
            if _FORMATTING.search(text):
                self.formatted_label_rows.append(row.number)
            for reference in _REFERENCE.findall(text):
                self.label_references.append((row.number, text, reference))
        if question.appearance:
            self.appearances.setdefault(question.appearance, []).append(row.number)
        return question

    def _flag(self, row: _Row, base: str) -> bool:
        header = self.survey_headers.get(base)
        value = row.get(header)
        flag = _yes_no(value)
        if flag is None:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                value,
                f"'{base}' must be yes or no; a condition that depends on answers is not "
                f"supported here (use relevant, or a constraint)",
            )
            return False
        return flag

    def _expression(self, row: _Row, base: str) -> str | None:
        header = self.survey_headers.get(base)
        text = row.get(header)
        if not text:
            return None
        plain = text.translate(_SMART_QUOTES)
        if plain != text:
            self.smart_quote_rows.append(row.number)
        flag = _yes_no(plain) if base != "choice_filter" else None
        if flag is not None:
            # pyxform reads a yes/no word in a bind column as true() / false().
            plain = "true()" if flag else "false()"
            self.findings.note(
                f"survey sheet, row {row.number}: {base} {text!r} is read as {plain}"
            )
        self.expressions.append(
            _Expression(SURVEY, row.number, header or base, plain, base == "choice_filter")
        )
        return plain

    # ---- per-question checks

    def _check_question(
        self, row: _Row, question: Question, choices: dict[str, tuple[Choice, ...]]
    ) -> None:
        headers = self.survey_headers
        type_header = headers["type"]
        if question.type == "calculate" and not question.calculation:
            self.findings.problem(
                SURVEY,
                row.number,
                headers.get("calculation", "calculation"),
                None,
                "a calculate question needs a calculation",
            )
        if question.calculation and question.type != "calculate":
            self.findings.problem(
                SURVEY,
                row.number,
                headers["calculation"],
                question.calculation,
                f"a calculation on a {question.type} question is not supported; use a "
                "calculate question",
            )
        if question.choice_filter and question.list_name is None:
            self.findings.problem(
                SURVEY,
                row.number,
                headers["choice_filter"],
                question.choice_filter,
                "a choice_filter applies only to select questions",
            )
        if question.list_name is not None:
            listed = choices.get(question.list_name)
            if listed is None:
                where = (
                    "the choices sheet"
                    if CHOICES in self.workbook.sheets
                    else "the choices sheet (the workbook has none)"
                )
                self.findings.problem(
                    SURVEY,
                    row.number,
                    type_header,
                    row.get(type_header),
                    f"choice list {question.list_name!r} is not on {where}",
                )
            else:
                self._check_choice_list(row, question, listed)
        if question.default is not None:
            self._check_default(row, question, choices.get(question.list_name or "", ()))
        if question.standard is not None:
            self._check_standard(row, question, choices.get(question.list_name or ""))

    def _check_choice_list(self, row: _Row, question: Question, listed: tuple[Choice, ...]) -> None:
        type_header = self.survey_headers["type"]
        if question.or_other and any(choice.name == "other" for choice in listed):
            self.findings.problem(
                SURVEY,
                row.number,
                type_header,
                row.get(type_header),
                f"or_other adds a choice named 'other', and list {question.list_name!r} "
                "already has one; drop or_other or rename that choice",
            )
        if question.type == "select_multiple":
            for choice in listed:
                if " " in choice.name:
                    self.findings.problem(
                        CHOICES,
                        choice.row,
                        "name",
                        choice.name,
                        f"list {question.list_name!r} is used by the select_multiple "
                        f"{question.name!r}, whose answers are names separated by spaces; "
                        "a name there cannot contain a space",
                    )

    def _check_default(self, row: _Row, question: Question, listed: tuple[Choice, ...]) -> None:
        header = self.survey_headers["default"]
        value = question.default or ""
        if _REFERENCE.search(value) or re.search(r"[()\[\]]", value):
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                value,
                "a computed default is not supported; use a calculate question",
            )
            return
        valid = True
        if question.type == "integer":
            valid = re.fullmatch(r"-?\d+", value) is not None
        elif question.type == "decimal":
            valid = re.fullmatch(r"-?(\d+\.?\d*|\.\d+)", value) is not None
        elif question.type == "date":
            valid = re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
        elif question.type in ("select_one", "select_multiple") and listed:
            names = {choice.name for choice in listed}
            given = value.split() if question.type == "select_multiple" else [value]
            valid = all(name in names for name in given)
        elif question.type not in ("text",):
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                value,
                f"a default has no meaning for a {question.type} question",
            )
            return
        if not valid:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                value,
                f"the default is not a valid {question.type} answer",
            )

    def _check_standard(
        self, row: _Row, question: Question, listed: tuple[Choice, ...] | None
    ) -> None:
        header = self.survey_headers["standard"]
        standard = _standard()
        dimension = standard.dimensions.get(question.standard or "")
        if dimension is None:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                question.standard,
                f"{question.standard!r} is not a dimension of the data standard; dimensions: "
                + ", ".join(standard.dimensions),
            )
            return
        earlier = self.dimension_feeds.setdefault(dimension.name, (question.name, row.number))
        if earlier[1] != row.number:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                question.standard,
                f"dimension {dimension.name!r} is already fed by {earlier[0]!r} (row "
                f"{earlier[1]}); a record holds one answer per dimension",
            )
        if dimension.name == "age_band" and question.type == "integer":
            return  # an age, or a birth year when the name says so; records derive the band
        if question.type not in ("select_one", "select_multiple"):
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                question.standard,
                f"a {question.type} question cannot feed dimension {dimension.name!r}: "
                + _feeds(dimension),
            )
            return
        if question.type == "select_multiple" and not dimension.multi:
            self.findings.problem(
                SURVEY,
                row.number,
                header,
                question.standard,
                f"dimension {dimension.name!r} holds one code per person; use select_one",
            )
        if listed is None:
            return  # the missing list is reported already
        names = [(choice.name, choice.row) for choice in listed]
        if question.or_other:
            names.append(("other", row.number))
        for choice_name, choice_row in names:
            if not dimension.is_code(choice_name):
                self.findings.problem(
                    CHOICES if choice_row != row.number else SURVEY,
                    choice_row,
                    "name" if choice_row != row.number else self.survey_headers["type"],
                    choice_name,
                    f"question {question.name!r} feeds dimension {dimension.name!r}, whose "
                    f"codes are {_code_summary(dimension)}; {choice_name!r} is not one of them",
                )

    # ---- checks needing every name

    def _check_survey_columns(self, sheet: _Sheet, columns: list[_Column]) -> None:
        for column in columns:
            filled = [row for row in sheet.rows if row.get(column.header)]
            if column.base in _SURVEY_USED or not filled:
                continue
            if column.base in _SURVEY_REFUSED:
                for row in filled:
                    self.findings.problem(
                        SURVEY,
                        row.number,
                        column.header,
                        row.get(column.header),
                        _SURVEY_REFUSED[column.base],
                    )
            elif column.base in _SURVEY_IGNORED:
                self.findings.note(
                    f"survey column {column.header!r}: {_SURVEY_IGNORED[column.base]}"
                )
            else:
                self.findings.note(
                    f"survey column {column.header!r} is not an XLSForm column the platform "
                    "uses; its values are ignored"
                )

    def _check_expressions(self) -> None:
        from workforce.survey.expressions import ExpressionError, parse

        for expression in self.expressions:
            try:
                parsed = parse(expression.text, choice_filter=expression.choice_filter)
            except ExpressionError as error:
                self.findings.problem(
                    expression.sheet,
                    expression.row,
                    expression.column,
                    expression.text,
                    f"the expression cannot be used: {error}",
                )
                continue
            for column in sorted(parsed.columns()):
                if column != "name" and column not in self.choice_filter_columns:
                    self.findings.problem(
                        expression.sheet,
                        expression.row,
                        expression.column,
                        expression.text,
                        f"{column!r} is not a column of the choices sheet (a choice_filter "
                        "reads choice columns by bare name; refer to an answer as ${...})",
                    )
            for reference in sorted(parsed.references()):
                if reference not in self.question_names:
                    self.findings.problem(
                        expression.sheet,
                        expression.row,
                        expression.column,
                        expression.text,
                        f"${{{reference}}} does not name a question of this form",
                    )

    def _check_label_references(self) -> None:
        label_header = next((c.header for c in self.survey_columns if c.base == "label"), "label")
        for row_number, text, reference in self.label_references:
            if reference not in self.question_names:
                self.findings.problem(
                    SURVEY,
                    row_number,
                    label_header,
                    text,
                    f"${{{reference}}} does not name a question of this form",
                )
        rows = sorted({row for row, _, _ in self.label_references})
        if rows:
            self.findings.note(
                "labels or hints show earlier answers with ${...} (survey rows "
                + _row_list(rows)
                + ")"
            )

    def _note_presentation(self) -> None:
        for appearance, rows in self.appearances.items():
            self.findings.note(
                f"appearance {appearance!r} (survey rows {_row_list(rows)}) is kept; the "
                "platform shows questions in its own accessible layout"
            )
        if self.formatted_label_rows:
            self.findings.note(
                "labels or hints use markdown or HTML formatting (survey rows "
                + _row_list(sorted(set(self.formatted_label_rows)))
                + "); the text is kept as written"
            )
        if self.smart_quote_rows:
            self.findings.note(
                "typographic quotes in expressions are read as plain quotes (survey rows "
                + _row_list(sorted(set(self.smart_quote_rows)))
                + ")"
            )

    # ---- pyxform's opinion

    def _check_with_pyxform(self) -> None:
        """Run pyxform's conversion over the same rows and report what it finds wrong.

        pyxform stops at the first error; an error on a row already reported here adds
        nothing, and an error without a row is only kept when nothing else was found.
        """
        from pyxform.errors import PyXFormError
        from pyxform.xls2xform import convert

        pyxform_warnings: list[str] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                convert(
                    self._pyxform_definition(),
                    warnings=pyxform_warnings,
                    form_name="data",
                )
        except PyXFormError as error:
            self._add_pyxform_problem(str(error), getattr(error, "context", {}) or {})
        except Exception as error:  # pyxform failing on a workbook is itself a finding
            self._add_pyxform_problem(
                f"pyxform could not check the form ({type(error).__name__}: {error})", {}
            )
        for message in pyxform_warnings:
            self.findings.note(f"XLSForm check: {_shorten(' '.join(message.split()), 300)}")

    def _add_pyxform_problem(self, message: str, context: Mapping[str, object]) -> None:
        row_match = re.search(r"\[row : (\d+)\]", message)
        row = context.get("row") if isinstance(context.get("row"), int) else None
        if row is None and row_match:
            row = int(row_match.group(1))
        sheet_match = re.search(r"'(survey|choices|settings)' sheet", message)
        sheet = str(context.get("sheet") or (sheet_match.group(1) if sheet_match else SURVEY))
        column = context.get("column")
        reason = re.sub(r"\s*\[row : \d+\]\s*", " ", message).strip()
        reason = " ".join(reason.split())
        if row is None:
            if self.findings.problems:
                return
        elif row in self.findings.rows_with_problems(sheet):
            return
        self.findings.problem(
            sheet,
            row,
            str(column) if column else None,
            None,
            f"the XLSForm check (pyxform) reports: {_shorten(reason, 400)}",
        )

    def _pyxform_definition(self) -> dict[str, object]:
        definition: dict[str, object] = {"sheet_names": list(self.workbook.sheet_titles)}
        definition["fallback_form_name"] = "data"
        for role, sheet in self.workbook.sheets.items():
            rows: list[dict[str, str]] = [{} for _ in range(max(sheet.last_row - 1, 0))]
            for row in sheet.rows:
                cells = dict(row.cells)
                if role == SURVEY and row.number in self.normalized_types:
                    type_header = self.survey_headers.get("type")
                    if type_header:
                        cells[type_header] = self.normalized_types[row.number]
                rows[row.number - 2] = cells
            definition[role] = rows
            definition[f"{role}_header"] = [dict.fromkeys(sheet.headers)]
        return definition


def _row_list(rows: list[int], limit: int = 12) -> str:
    shown = ", ".join(str(row) for row in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _code_summary(dimension: Dimension, limit: int = 12) -> str:
    codes = dimension.code_list
    summary = ", ".join(codes[:limit]) + (", …" if len(codes) > limit else "")
    if dimension.open_code_pattern:
        summary += f" (and codes matching {dimension.open_code_pattern})"
    return summary


def _feeds(dimension: Dimension) -> str:
    if dimension.name == "age_band":
        return "use an integer age (or birth year) or a select of its codes"
    return "use a select_one or select_multiple whose choice names are its codes"


@cache
def _standard() -> Standard:
    from workforce.standard import load_standard

    return load_standard()
