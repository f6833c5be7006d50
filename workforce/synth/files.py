"""Byte-reproducible writers for the synthetic consortium's CSV, XLSX and SPSS files.

Same inputs must give the same bytes. CSVs are written with "\\n" (or the export's own line
ending) and fixed formatting; XLSX and SPSS files embed a creation time, which is pinned to a
date derived from the reference year instead of the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import xlsxwriter

Progress = Callable[[str, int, int], None]
CSV_CHUNK_ROWS = 100_000
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included


def pinned_time(year: int) -> dt.datetime:
    """The creation time every generated binary file claims: 15 January of the year."""
    return dt.datetime(year, 1, 15, 0, 0, 0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_csv(
    path: Path,
    columns: Mapping[str, np.ndarray] | Iterable[Mapping[str, np.ndarray]],
    *,
    total_rows: int | None = None,
    progress: Progress | None = None,
    step: str = "",
    encode: Callable[[str], bytes] = lambda text: text.encode("utf-8"),
    preamble: bytes = b"",
    line_end: str = "\n",
) -> int:
    """Write columns (or several parts with the same columns, one after the other) as CSV
    in chunks, so memory stays bounded; returns the number of rows.

    Values are written as given (the generator passes text), so no float formatting or
    locale can change the bytes. `total_rows` is only for progress reports on parts.
    """
    parts = [columns] if isinstance(columns, Mapping) else columns
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    header = True
    with path.open("wb") as handle:
        handle.write(preamble)
        for part in parts:
            names = list(part)
            size = len(part[names[0]])
            total = total_rows or size
            for start in range(0, max(size, 1), CSV_CHUNK_ROWS):
                stop = min(size, start + CSV_CHUNK_ROWS)
                frame = pd.DataFrame(
                    {name: pd.Series(part[name][start:stop], dtype=object) for name in names}
                )
                buffer = io.StringIO()
                frame.to_csv(buffer, index=False, header=header, lineterminator=line_end)
                handle.write(encode(buffer.getvalue()))
                header = False
                written += stop - start
                if progress:
                    progress(step, written, max(total, written))
    return written


def write_xlsx(
    path: Path,
    sheet: str,
    headers: Sequence[str],
    columns: Sequence[Sequence[object]],
    *,
    notes: Sequence[str],
    year: int,
    title: str,
    progress: Progress | None = None,
    step: str = "",
) -> int:
    """Write one table (plus a "Notes" sheet) with xlsxwriter in constant-memory mode.

    xlsxwriter stamps every zip member with 1980-01-01; the workbook's own creation time is
    pinned here, so two runs give identical bytes. A table longer than Excel's row limit
    continues on "<sheet> (2)", "<sheet> (3)", ... as real exports do.
    """
    size = len(columns[0]) if columns else 0
    per_sheet = XLSX_MAX_ROWS - 1
    sheets = max(1, -(-size // per_sheet))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties(
        {"title": title, "author": "workforce.synth", "created": pinned_time(year)}
    )
    bold = workbook.add_format({"bold": True})
    report_every = 50_000
    written = 0
    for index in range(sheets):
        worksheet = workbook.add_worksheet(sheet if index == 0 else f"{sheet} ({index + 1})")
        worksheet.freeze_panes(1, 0)
        worksheet.set_column(0, len(headers) - 1, 22)
        worksheet.write_row(0, 0, headers, bold)
        start, stop = index * per_sheet, min(size, (index + 1) * per_sheet)
        rows = zip(*(column[start:stop] for column in columns), strict=True)
        for offset, row in enumerate(rows, start=1):
            worksheet.write_row(offset, 0, row)
            written += 1
            if progress and written % report_every == 0:
                progress(step, written, size)
    notes_sheet = workbook.add_worksheet("Notes")
    notes_sheet.set_column(0, 0, 80)
    notes_sheet.write_string(0, 0, "Notes", bold)
    for offset, line in enumerate(notes, start=1):
        notes_sheet.write_string(offset, 0, line)
    workbook.close()
    if progress:
        progress(step, size, size)
    return size


def write_sav(
    path: Path,
    frame: pd.DataFrame,
    *,
    year: int,
    file_label: str,
    column_labels: Mapping[str, str],
    value_labels: Mapping[str, Mapping[float, str]],
    missing_codes: Mapping[str, Sequence[float]],
    formats: Mapping[str, str] | None = None,
    measures: Mapping[str, str] | None = None,
) -> int:
    """Write an SPSS .sav with pyreadstat, then pin the header's creation date and time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=file_label,
        column_labels=dict(column_labels),
        variable_value_labels={k: dict(v) for k, v in value_labels.items()},
        missing_ranges={k: list(v) for k, v in missing_codes.items()},
        variable_format=dict(formats or {}),
        variable_measure=dict(measures or {}),
        row_compress=True,
    )
    pin_sav_creation_time(path, pinned_time(year))
    return len(frame)


# The SAV file header (ReadStat's `sav_file_header_record_t`): record type (4 bytes), product
# name (60), layout code (4), nominal case size (4), compression (4), weight index (4), case
# count (4), compression bias (8), then the creation date "dd Mon yy" (9 bytes, offset 92) and
# time "hh:mm:ss" (8 bytes, offset 101). ReadStat writes the clock there and pyreadstat offers
# no way to set it, so the only way to byte-identical files is to overwrite those 17 bytes.
SAV_DATE_OFFSET = 92
SAV_TIME_OFFSET = 101
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pin_sav_creation_time(path: Path, when: dt.datetime) -> None:
    date = f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year % 100:02d}".encode("ascii")
    time = when.strftime("%H:%M:%S").encode("ascii")
    with path.open("r+b") as handle:
        header = handle.read(SAV_TIME_OFFSET + len(time))
        # Refuse to patch unless the bytes there look like ReadStat's "dd Mon yy" + "hh:mm:ss".
        stamp = header[SAV_DATE_OFFSET : SAV_TIME_OFFSET + len(time)]
        if not header.startswith(b"$FL2") or stamp[2:3] != b" " or stamp[11:12] != b":":
            raise ValueError(f"{path}: no SPSS creation date where expected; not patched")
        handle.seek(SAV_DATE_OFFSET)
        handle.write(date)
        handle.seek(SAV_TIME_OFFSET)
        handle.write(time)
