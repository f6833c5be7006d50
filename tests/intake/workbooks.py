"""Small .xlsx exports for intake tests: named sheets of text cells."""

from __future__ import annotations

import io

import xlsxwriter


def workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    """A workbook with ``sheets`` (name: rows of text cells), in order."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()
