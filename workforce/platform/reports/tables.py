"""One published table as the page shows it: read from the stored data package, formatted.

Nothing is computed: each cell is the CSV's text, shown with the schema's help — a coded
value by its label, a proportion as a percentage, a count with thousands separators. An empty
cell (a value the disclosure gate withheld, or one that does not apply) is shown as "—" with
a footnote: the label of the row's ``status`` from the schema, so the page says why.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workforce.platform.reports.models import PACKAGE_FILE, PublishedReport

PUBLISHED = "published"
# The footnote of an empty cell in a published row (nothing was withheld there).
NOT_APPLICABLE = "No value in the published table for this row (it does not apply)."


@dataclass(frozen=True)
class Cell:
    text: str  # what the page shows; "—" when empty
    column: str  # the column's title, for phones (where each row becomes a card)
    numeric: bool = False
    empty: bool = False
    note: int | None = None  # the footnote number of an empty cell


@dataclass
class Note:
    number: int
    status: str
    label: str


@dataclass
class RenderedTable:
    name: str
    title: str
    description: str
    headers: list[dict[str, Any]]  # {"name", "title", "description", "numeric", "unit"}
    rows: list[list[Cell]]
    notes: list[Note] = field(default_factory=list)
    withheld_rows: int = 0


def read_member(report: PublishedReport, member: str) -> bytes:
    """One file of the stored data package (``data/<table>.csv``, ``datapackage.json``, …)."""
    with zipfile.ZipFile(report.path(PACKAGE_FILE)) as archive:
        return archive.read(member)


def table_member(resource: dict[str, Any]) -> str:
    return str(resource["path"])


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def format_value(text: str, spec: dict[str, Any]) -> str:
    """The CSV text of one non-empty cell as the page shows it."""
    kind = spec.get("type")
    labels = {item["value"]: item["label"] for item in spec.get("categories") or []}
    if text in labels:
        return labels[text]
    if kind == "integer":
        number = _number(text)
        return f"{int(number):,}" if number is not None else text
    if kind == "number":
        number = _number(text)
        if number is None:
            return text
        if spec.get("x-unit") == "proportion":
            return f"{number * 100:,.1f}%"
        return f"{number:,.2f}"
    if kind == "boolean":
        return {"true": "Yes", "false": "No"}.get(text, text)
    return text


def render_table(report: PublishedReport, resource: dict[str, Any]) -> RenderedTable:
    fields = list(resource.get("schema", {}).get("fields") or [])
    text = read_member(report, table_member(resource)).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    specs = {spec["name"]: spec for spec in fields}
    columns = [specs.get(name, {"name": name, "type": "string"}) for name in header]
    status_at = header.index("status") if "status" in header else None
    status_labels = {
        item["value"]: item["label"]
        for item in (specs.get("status", {}).get("categories") or [])
    }
    notes: dict[str, Note] = {}

    def note_for(status: str) -> int:
        if status not in notes:
            label = (
                NOT_APPLICABLE if status == PUBLISHED else status_labels.get(status, status)
            )
            notes[status] = Note(len(notes) + 1, status, label)
        return notes[status].number

    rows: list[list[Cell]] = []
    withheld = 0
    for values in reader:
        status = values[status_at] if status_at is not None else PUBLISHED
        withheld += status != PUBLISHED
        row = []
        for spec, value in zip(columns, values, strict=True):
            numeric = spec.get("type") in ("integer", "number")
            if value == "":
                title = spec.get("title") or spec["name"]
                row.append(Cell("—", title, numeric, empty=True, note=note_for(status)))
            else:
                title = spec.get("title") or spec["name"]
                row.append(Cell(format_value(value, spec), title, numeric))
        rows.append(row)
    headers = [
        {
            "name": spec["name"],
            "title": spec.get("title") or spec["name"],
            "description": spec.get("description", ""),
            "numeric": spec.get("type") in ("integer", "number"),
            "unit": "%" if spec.get("x-unit") == "proportion" else "",
        }
        for spec in columns
    ]
    return RenderedTable(
        name=resource["name"],
        title=resource.get("title") or resource["name"],
        description=resource.get("description", ""),
        headers=headers,
        rows=rows,
        notes=sorted(notes.values(), key=lambda note: note.number),
        withheld_rows=withheld,
    )
