"""Read a partner's export (CSV, XLSX, SPSS, Stata, Parquet) into a table of raw text cells.

Every cell is read as text and kept as it was written (spaces and case included), because the
raw value is what provenance and the mapping file refer to; normalization happens in
`mapping`. Numbers from binary formats become their shortest text ("1", not "1.0"). Anything
that cannot be read raises `IntakeError` naming the file, never a library traceback.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.intake.allocator import jemalloc_while_running
from workforce.intake.errors import IntakeError

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class SourceTable:
    """One export as read: its bytes' checksum, how it was decoded and its cells as text.

    `frame` holds one text column per source column ("" for an empty cell): str, or a
    categorical of str for the CSV columns asked for as such (`read_source`). `rows` gives, for
    each frame row, its row number as a person sees it in the file (the header is row 1 of a
    CSV; a spreadsheet's own row numbers; the case number of an SPSS or Stata file).
    `value_labels` maps a column to {code text: label}; `user_missing` to the codes declared
    user-missing.

    A CSV read with `read_source(columns=...)` may hold only those columns in `frame`;
    `columns` still names every column of the file, and `whole_rows` gives every cell of the
    rows that must be shown whole.
    """

    path: Path
    sha256: str
    format: str
    encoding: str | None
    sheet: str | None
    header_row: int
    frame: pd.DataFrame
    rows: np.ndarray
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    user_missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # Where `frame` holds only some columns: where every record lies in the file.
    lines: _Lines | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def columns(self) -> list[str]:
        """Every column of the file, in order, whether or not `frame` holds it."""
        return list(self.lines.names) if self.lines else list(self.frame.columns)

    def whole_rows(self, positions: np.ndarray) -> pd.DataFrame:
        """Every column of the frame rows at ascending `positions`, with a fresh index: taken
        from `frame`, or read again from the file's lines where `frame` holds only some."""
        if self.lines is None:
            return take_rows(self.frame, positions)
        return self.lines.whole_rows(self, positions)


@jemalloc_while_running()
def read_source(
    path: Path | str,
    *,
    sheet: str | None = None,
    categorical: Collection[str] = (),
    columns: Collection[str] | None = None,
) -> SourceTable:
    """Read one export; the format comes from the file name's extension.

    The CSV columns named in `categorical` (those a mapping decides value by value) are read
    as pandas categoricals: the parser finds each distinct value as it reads, and no text is
    held per row.

    With `columns` (those a mapping reads), a CSV read in one streamed pass holds only those
    of them the file has: the others are parsed for no row but the few shown whole
    (`SourceTable.whole_rows`), and an export's other personal data (e-mail addresses,
    employers) is never held for the rest. Other files are read whole.
    """
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(set(FORMATS)))
        raise IntakeError(f"{path.name}: unsupported file type {path.suffix!r}; use one of {known}")
    if kind == "csv":
        streamed = _stream_csv(path, categorical, columns)
        if streamed is not None:
            return streamed
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IntakeError(f"{path.name}: cannot be read ({error.strerror or error})") from None
    if not data:
        raise IntakeError(f"{path.name}: the file is empty")
    # hashlib releases the GIL on large inputs, so the checksum overlaps with parsing.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checksum = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        table = _read_kind(path, data, kind, sheet, categorical)
        digest = checksum.result()
    return replace(table, sha256=digest)


def _read_kind(
    path: Path, data: bytes, kind: str, sheet: str | None, categorical: Collection[str] = ()
) -> SourceTable:
    digest = ""
    reader = {
        "csv": functools.partial(_read_csv, categorical=categorical),
        "xlsx": _read_xlsx,
        "sav": _read_stats,
        "dta": _read_stats,
        "parquet": _read_parquet,
    }[kind]
    try:
        table = reader(path, data, digest, kind, sheet)
    except IntakeError:
        raise
    except Exception as error:  # a library's own error on a corrupt file: say it plainly
        raise IntakeError(
            f"{path.name}: cannot be read as {kind.upper()}: {_short(error)}"
        ) from None
    if table.frame.shape[1] == 0:
        raise IntakeError(f"{path.name}: no columns found")
    return table


# --- CSV ------------------------------------------------------------------------------------


def decode_text(name: str, data: bytes) -> tuple[bytes, str, list[str]]:
    """UTF-8 bytes of a text file, the encoding it was read with and notes on the choice."""
    body, encoding, notes = _utf8_body(name, data)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return _legacy_body(name, body, encoding)
    return body, encoding, notes


def _utf8_body(name: str, data: bytes) -> tuple[bytes, str, list[str]]:
    """The bytes to parse as UTF-8 (BOM removed, UTF-16 transcoded); not yet validated."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise IntakeError(
                f"{name}: starts with a UTF-16 byte-order mark but is not "
                f"UTF-16 text (byte {error.start})"
            ) from None
        return text.encode("utf-8"), "utf-16", []
    body, encoding = data, "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        body, encoding = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    if b"\x00" in body[:65536]:
        raise IntakeError(f"{name}: looks like a binary file, not CSV text (it contains NUL bytes)")
    return body, encoding, []


def _legacy_body(name: str, body: bytes, encoding: str) -> tuple[bytes, str, list[str]]:
    """Some export tools write a UTF-8 byte-order mark and then the Windows code page anyway."""
    try:
        body.decode("utf-8")
        first_bad = None
    except UnicodeDecodeError as error:
        first_bad = error.start
    for fallback in ("cp1252", "latin-1"):
        try:
            text = body.decode(fallback)
        except UnicodeDecodeError:
            continue
        where = "after a UTF-8 byte-order mark " if encoding == "utf-8-sig" else ""
        notes = [
            f"not valid UTF-8 {where}(first bad byte at offset {first_bad}); read as {fallback}"
        ]
        return text.encode("utf-8"), fallback, notes
    raise IntakeError(f"{name}: the text encoding could not be recognized")  # pragma: no cover


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of fields."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]  # the last sampled line may be cut short
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        if not counts or counts[0] < 2:
            continue
        agreeing = sum(count == counts[0] for count in counts)
        score = (agreeing, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


SAMPLE_BYTES = 65536  # what the delimiter and the header are read from


NEWLINE = np.uint8(ord("\n"))
RETURN = np.uint8(ord("\r"))


def count_newlines(data: bytes) -> int:
    """How many b"\\n" the bytes hold, a megabyte at a time.

    numpy compares a block's bytes in vector instructions without the GIL: a third of the
    time `bytes.count` takes (0.04 against 0.13 s of CPU for the benchmark's 144 MiB).
    """
    view = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 20
    return sum(
        int(np.count_nonzero(view[start : start + step] == NEWLINE))
        for start in range(0, len(view), step)
    )


@dataclass(frozen=True)
class LineBreaks:
    """Where the lines of a text lie: from `start` to `end`, ended by the line breaks at
    `breaks`, the lines numbered `blank` being blank (as a CSV parser skips them: nothing,
    or only a carriage return)."""

    start: int
    end: int
    breaks: np.ndarray
    blank: np.ndarray

    @property
    def count(self) -> int:
        """How many lines are not blank."""
        return len(self.breaks) + 1 - len(self.blank)

    def spans(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the lines that are not blank, numbered from 0 in order, start and stop
        (before their line break)."""
        numbers = np.asarray(numbers, dtype=np.int64)
        if len(self.blank):  # the line counting the blank ones: one more for each before it
            numbers = numbers + np.searchsorted(
                self.blank - np.arange(len(self.blank)), numbers, side="right"
            )
        starts = np.full(len(numbers), self.start, dtype=np.int64)
        after = numbers > 0  # a line after the first starts after the line break before it
        starts[after] = self.breaks[numbers[after] - 1] + 1
        stops = np.full(len(numbers), self.end, dtype=np.int64)
        ended = numbers < len(self.breaks)  # every line but the last ends at a line break
        stops[ended] = self.breaks[numbers[ended]]
        return starts, stops


class _HashingStream(io.RawIOBase):
    """A file read once, front to back, by the CSV parser, counted and hashed on the way.

    The parser reads the file in blocks on a thread of its own while other threads parse the
    blocks before; the checksum and the line count ride along on each block (hashlib releases
    the GIL), so the file is never held whole in memory, never read twice, and the checksum
    is of exactly the bytes parsed. The first `SAMPLE_BYTES` are read ahead for sniffing; the
    parser is then handed the file from `start` on, after any byte-order mark.

    From `start` on, the stream checks that every byte is UTF-8, so the parser need not: its
    check covers only the columns it reads, and costs more (0.06 s of CPU against 0.02 s for
    the benchmark's export, whose blocks each hold a few accented letters). Where the parser
    is to skip columns (`start(skipping=True)`, known once the header has been read), the
    stream also keeps where each line break is, and which lines are blank, for `_Lines`
    (`line_breaks`).
    """

    def __init__(self, raw) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.newlines = 0
        self.offset = 0
        self.last = b""
        self.text: codecs.IncrementalDecoder | None = None
        self.utf8 = True
        self.breaks: list[np.ndarray] | None = None
        self.blank: list[np.ndarray] = []  # the numbers of the blank lines, block by block
        self.first = 0  # where the first line starts
        self.previous = -1  # where the last line break so far is
        self.head = self._take(SAMPLE_BYTES)
        self.pending = b""

    def _take(self, size: int) -> bytes:
        block = _read_exactly(self.raw, size)
        self.sha256.update(block)
        if self.breaks is None:
            self.newlines += count_newlines(block)
        else:
            self._keep_breaks(block)
        self._check_text(block)
        self.offset += len(block)
        self.last = block[-1:] or self.last
        return block

    def _keep_breaks(self, block: bytes) -> None:
        """Count the block's line breaks, keeping where they are and which of the lines they
        end are blank; `offset` and `last` are still those of the block before."""
        view = np.frombuffer(block, dtype=np.uint8)
        found = np.flatnonzero(view == NEWLINE)
        if not len(found):
            return
        ends = found + self.offset
        length = np.diff(ends, prepend=self.previous) - 1
        returns = view[np.maximum(found - 1, 0)] == RETURN
        if found[0] == 0:  # the byte before is the last of the block before
            returns[0] = self.last == b"\r"
        # Blank, as the parser skips it: nothing between two line breaks, or only the
        # carriage return of a "\r\n".
        blank = np.flatnonzero((length == 0) | ((length == 1) & returns))
        if len(blank):
            self.blank.append(blank + self.newlines)
        self.breaks.append(ends)
        self.newlines += len(found)
        self.previous = int(ends[-1])

    def _check_text(self, block: bytes, final: bool = False) -> None:
        # An ASCII block is checked at memory speed; only other text goes through the decoder.
        if self.text is None or not self.utf8:
            return
        if block.isascii() and not self.text.getstate()[0] and not final:
            return
        try:
            self.text.decode(block, final=final)
        except UnicodeDecodeError:
            self.utf8 = False

    def start(self, offset: int, *, skipping: bool = False) -> None:
        """Hand the parser the file from `offset` on; `skipping`: see the class."""
        self.pending = self.head[offset:]
        self.text = codecs.getincrementaldecoder("utf-8")()
        self._check_text(self.head)  # read ahead before the check began
        if skipping:  # the head, read ahead and counted, is now taken in as a first block
            self.breaks, self.blank = [], []
            self.newlines, self.offset, self.last = 0, 0, b""
            self.first, self.previous = offset, offset - 1
            self._keep_breaks(self.head)
            self.offset, self.last = len(self.head), self.head[-1:]

    def text_is_utf8(self) -> bool:
        """Whether every byte read was UTF-8 (true when not checked, before `start`); call
        at the end."""
        self._check_text(b"", final=True)
        return self.utf8

    def line_breaks(self) -> LineBreaks:
        """Where the lines are, for a stream started `skipping` and read to the end."""
        last = self.offset - self.previous - 1  # the length of the line after the last break
        blank = self.blank
        if last == 0 or (last == 1 and self.last == b"\r"):
            blank = [*blank, np.array([self.newlines])]
        return LineBreaks(
            self.first,
            self.offset,
            np.concatenate([np.array([], dtype=np.int64), *self.breaks]),
            np.concatenate([np.array([], dtype=np.int64), *blank]),
        )

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (fewer only at the end of the file); everything left without it."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 24), b""))
        block, self.pending = self.pending[:size], self.pending[size:]
        if len(block) < size:
            block += self._take(size - len(block))
        return block

    @property
    def lines(self) -> int:
        return self.newlines + (0 if self.last == b"\n" else 1)


def _stream_csv(
    path: Path, categorical: Collection[str] = (), columns: Collection[str] | None = None
) -> SourceTable | None:
    """The usual CSV export (UTF-8, no line break inside a cell) read in one streamed pass.

    None for anything else (an empty, UTF-16, binary or not-UTF-8 file, a cell holding a line
    break, a parse error), which `_read_csv` then reads from memory and explains. With
    `columns`, only those the file has are parsed (see `read_source`).
    """
    import pyarrow as pa

    if columns is not None and not path.is_file():
        columns = None  # a named pipe cannot be read again for the rows shown whole
    try:
        with open(path, "rb", buffering=0) as raw:
            stream = _HashingStream(raw)
            if not stream.head:
                return None
            try:  # the same checks of its start as a file read whole
                body_head, encoding, notes = _utf8_body(path.name, stream.head)
            except IntakeError:
                return None
            if encoding == "utf-16":
                return None
            delimiter, names = _csv_layout(path.name, body_head, notes)
            wanted = None
            if columns is not None:
                asked = set(columns)
                wanted = [name for name in names if name in asked]
                wanted = None if len(wanted) in (0, len(names)) else wanted
            body_start = len(stream.head) - len(body_head)  # after a byte-order mark
            stream.start(body_start, skipping=wanted is not None)
            try:
                table = _arrow_csv(
                    stream,
                    names,
                    delimiter,
                    newlines_in_values=False,
                    categorical=categorical,
                    include=wanted,
                    check_utf8=False,  # the stream checks every byte (`text_is_utf8`)
                )
            except pa.ArrowInvalid:
                return None
            stream.read()  # to the end, should the parser have stopped short of it
            if not stream.text_is_utf8():
                return None  # a skipped column is not UTF-8: read whole, as a code page
    except OSError as error:
        raise IntakeError(f"{path.name}: cannot be read ({error.strerror or error})") from None
    source = _csv_source(
        path,
        stream.sha256.hexdigest(),
        encoding,
        table,
        stream.lines,
        delimiter,
        notes,
        newlines=False,
    )
    if wanted is None:
        return source
    return replace(source, lines=_Lines(path, stream.line_breaks(), names, delimiter))


class _Lines:
    """Where each record of a CSV read in one streamed pass lies in its file.

    That read allows no line break inside a cell, so each record is one line, once the blank
    lines the parser skips are left out (`LineBreaks`). The rows wanted whole are
    read again from their lines and parsed with the same options, and their cells in the
    columns already read must come out as they did. Should they not (the file has changed,
    or holds a line break the parser reads and this count does not, a lone carriage return),
    the whole file is read again, every column, and its checksum must still be the one
    recorded.

    The file must stay where it was read until the rows are asked for.
    """

    FEW_ROWS = 1000  # or a tenth of the records: read from their lines; more, the whole file

    def __init__(self, path: Path, breaks: LineBreaks, names: list[str], delimiter: str) -> None:
        self.path, self.breaks = path, breaks
        self.names, self.delimiter = names, delimiter
        self._lock = threading.Lock()
        self._whole: SourceTable | None = None

    def whole_rows(self, table: SourceTable, positions: np.ndarray) -> pd.DataFrame:
        positions = np.asarray(positions, dtype=np.int64)
        with self._lock:
            many = len(positions) > self.FEW_ROWS and len(positions) * 10 > len(table.frame)
            if self._whole is None and many:
                # Many rows (a file mostly rejected): their lines would take longer than
                # reading the file again (a tenth of a million-row export, 0.34 s against
                # about 0.6 s, and all of it 3.1 s, when each line was read alone).
                self._whole = self._read_whole(table)
            if self._whole is None:
                try:
                    rows = self._reread(len(table.frame), positions)
                except OSError as error:
                    raise IntakeError(
                        f"{table.name}: cannot be read again for its rejected rows "
                        f"({error.strerror or error})"
                    ) from None
                if rows is not None and _same_cells(rows, table.frame, positions):
                    return rows
                self._whole = self._read_whole(table)
            return take_rows(self._whole.frame, positions)

    def _reread(self, records: int, positions: np.ndarray) -> pd.DataFrame | None:
        """The rows at `positions` parsed from their lines; None where lines and records
        do not pair up, or the lines do not parse as one record each."""
        import pyarrow as pa

        if self.breaks.count != records + 1:  # the header's line, then a line per record
            return None
        lines = _read_lines(self.path, *self.breaks.spans(positions + 1))
        text = b"\n".join([*lines, b""])  # each line's own line break was left out
        try:
            parsed = _arrow_csv(
                text, self.names, self.delimiter, newlines_in_values=False, skip_rows=0
            )
        except pa.ArrowInvalid:
            return None
        if parsed.num_rows != len(positions):
            return None
        if len(positions) and positions[-1] == records - 1 and _holds_line_break(parsed):
            # A quote left open in the file's last line: what follows it there (nothing,
            # or blank lines) is not what follows it here. Elsewhere a quoted line break
            # would have made more lines than records.
            return None
        frame = parsed.to_pandas(types_mapper=_str_types)
        frame.columns = self.names
        return frame

    def _read_whole(self, table: SourceTable) -> SourceTable:
        whole = read_source(self.path)
        if whole.sha256 != table.sha256 or len(whole.frame) != len(table.frame):
            raise IntakeError(
                f"{table.name}: the file changed while it was being ingested; ingest it again"
            )
        return whole


READ_SPAN = 8 << 20  # the most bytes `_read_lines` reads at once
READ_GAP = 64 << 10  # lines further apart than this are read apart


def _read_lines(path: Path, starts: np.ndarray, stops: np.ndarray) -> list[bytes]:
    """The bytes from each start to its stop, for ascending spans that do not overlap.

    Lines lying near each other (less than `READ_GAP` apart) are read together, up to
    `READ_SPAN` bytes at a time, and cut apart in memory; lines far apart are read alone.
    This runs beside the main line, and every read hands the GIL over and back: one read
    per line (13,948 rejected rows spread through a million) let the two threads hand it
    back and forth tens of thousands of times, each time perhaps after a wait.
    """
    lines: list[bytes] = []
    apart = (np.flatnonzero(starts[1:] - stops[:-1] > READ_GAP) + 1).tolist()
    with open(path, "rb", buffering=0) as file:
        for first, end in zip([0, *apart], [*apart, len(starts)], strict=True):
            while first < end:
                # The lines ending within READ_SPAN of this one's start (at least this one).
                last = int(np.searchsorted(stops, starts[first] + READ_SPAN, "right"))
                last = min(max(last, first + 1), end)
                begin = int(starts[first])
                file.seek(begin)
                data = _read_exactly(file, int(stops[last - 1]) - begin)
                lines += [
                    data[start:stop]
                    for start, stop in zip(
                        (starts[first:last] - begin).tolist(),
                        (stops[first:last] - begin).tolist(),
                        strict=True,
                    )
                ]
                first = last
    return lines


def _read_exactly(file, size: int) -> bytes:
    """`size` bytes from an unbuffered file, fewer only where the file ends sooner."""
    pieces = []
    while size > 0:
        piece = file.read(size)
        if not piece:
            break
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)


def _holds_line_break(parsed) -> bool:
    """Whether any cell of an Arrow table of text holds a line break."""
    import pyarrow.compute as pc

    return any(
        pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py() for column in parsed.columns
    )


def _same_cells(rows: pd.DataFrame, frame: pd.DataFrame, positions: np.ndarray) -> bool:
    """Whether the rows read again hold, in the columns `frame` has, what `frame` holds at
    `positions`, cell for cell as text.

    Compared with Arrow kernels, a few calls a column (this runs beside the main line, see
    `_read_lines`): a categorical's codes at the rows against the rows' text looked up in its
    categories, a text column's cells taken at the rows against the rows' text. Both frames
    come from `_arrow_csv`, so every column is Arrow-backed text or a categorical.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in frame.columns:
        held, again = frame[name], _arrow_of(rows[name])
        if isinstance(held.dtype, pd.CategoricalDtype):
            categories = pa.array(held.cat.categories.astype(str), type=pa.large_string())
            found = pc.index_in(again, value_set=categories)
            codes = held.cat.codes.to_numpy()[positions]
            same = not found.null_count and np.array_equal(found.to_numpy(), codes)
        else:
            taken = take_ascending(_arrow_of(held), positions)
            same = pc.all(pc.equal(taken.cast(again.type), again)).as_py()
        if not same:
            return False
    return True


def _arrow_of(column: pd.Series):
    """The Arrow array holding an Arrow-backed text column; None for any other column."""
    if isinstance(column.dtype, pd.StringDtype):
        return getattr(column.array, "_pa_array", None)
    return None


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """`frame.iloc[rows]` for ascending `rows`, with a fresh index.

    Arrow-backed text columns are taken with Arrow in one call each (see `take_ascending`);
    other columns (categoricals, numbers) go through pandas.
    """
    columns = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        data = _arrow_of(column)
        if data is not None:
            columns[position] = pd.Series(take_ascending(data, rows), dtype=column.dtype)
        else:
            columns[position] = column.iloc[rows].reset_index(drop=True)
    result = pd.DataFrame(columns, copy=False)
    result.columns = frame.columns
    return result


def take_ascending(data, rows: np.ndarray):
    """`data.take(rows)` of an Arrow chunked array for ascending `rows`, in one Arrow call.

    One call, not one per chunk: this runs on threads beside a main line that holds the GIL
    (the rows read again, the member IDs), and each hand-over of the GIL can keep the waiting
    thread waiting a switch interval (5 ms). A take per chunk of a million-row CSV (144
    chunks) took 1.4-1.7 s there for 13,948 rows, against 0.02 s as one call; alone, the one
    call is as quick (pyarrow 26 takes from the chunks without joining them first: 3.5
    against 5.6 ms). Most of the rows, each once (many rows wanted whole), are kept by a
    filter: a mask costs a byte a row where take's indices cost eight (10 against 13 ms for
    986,000 of a million IDs).
    """
    import pyarrow as pa

    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):  # a take of no row from 144 chunks still costs ms (9.6 on a first call)
        return pa.chunked_array([], type=data.type)
    if 2 * len(rows) > len(data) and bool(np.all(rows[1:] > rows[:-1])):
        keep = np.zeros(len(data), dtype=bool)
        keep[rows] = True
        return data.filter(pa.array(keep))
    return data.take(pa.array(rows, type=pa.int64()))


def _csv_layout(name: str, body_head: bytes, notes: list[str]) -> tuple[str, list[str]]:
    """The delimiter and the column names, from the first `SAMPLE_BYTES` of the text."""
    sample = body_head[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    delimiter = sniff_delimiter(sample)
    lines = sample.splitlines()
    try:
        header = next(csv.reader([lines[0]], delimiter=delimiter)) if lines else []
    except csv.Error:
        header = []
    if not any(name.strip() for name in header):
        raise IntakeError(f"{name}, row 1: no header row (the first line is empty)")
    return delimiter, _unique_names(header, notes)


def _csv_source(
    path: Path,
    digest: str,
    encoding: str,
    table,
    lines: int,
    delimiter: str,
    notes: list[str],
    *,
    newlines: bool,
) -> SourceTable:
    if newlines or lines > table.num_rows + 1:
        notes.append(
            "the file has more lines than records (blank lines, or line breaks inside "
            "cells): row numbers count records, the header being row 1"
        )
    frame = table.to_pandas(types_mapper=_str_types)
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    rows = np.arange(2, len(frame) + 2)
    return SourceTable(path, digest, "csv", encoding, None, 1, frame, rows, notes=tuple(notes))


def _read_csv(
    path: Path,
    data: bytes,
    digest: str,
    kind: str,
    sheet: str | None,
    categorical: Collection[str] = (),
) -> SourceTable:
    import pyarrow as pa

    body, encoding, notes = _utf8_body(path.name, data)
    delimiter, names = _csv_layout(path.name, body, notes)
    newlines, decoded = False, False
    while True:
        try:
            table = _arrow_csv(
                body, names, delimiter, newlines_in_values=newlines, categorical=categorical
            )
            break
        except pa.ArrowInvalid as error:
            message = str(error)
            if "utf8" in message.lower() and not decoded:
                # Not UTF-8 after all: decode with the Windows code page and read again.
                body, encoding, fallback_notes = _legacy_body(path.name, body, encoding)
                notes += fallback_notes
                decoded = True
            elif not newlines:
                # A quoted cell may hold a line break; the slower parser allows for it.
                newlines = True
            else:
                raise IntakeError(
                    f"{path.name}: not a readable CSV file: {_arrow_message(error)}"
                ) from None
    lines = count_newlines(body) + (0 if body.endswith(b"\n") else 1)
    return _csv_source(path, digest, encoding, table, lines, delimiter, notes, newlines=newlines)


def _arrow_csv(
    body: bytes | io.RawIOBase,
    names: list[str],
    delimiter: str,
    *,
    newlines_in_values: bool,
    categorical: Collection[str] = (),
    include: list[str] | None = None,
    skip_rows: int = 1,
    check_utf8: bool = True,
):
    """The CSV text parsed with Arrow, every cell as text; only the `include` columns, if
    given; `skip_rows` 1 skips the header row, which `names` already holds; `check_utf8`
    False where the caller checks the text itself."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    coded = pa.dictionary(pa.int32(), pa.large_string())

    return pacsv.read_csv(
        io.BytesIO(body) if isinstance(body, bytes) else body,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip_rows),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=newlines_in_values
        ),
        convert_options=pacsv.ConvertOptions(
            # large_string is what pandas' str dtype holds, so no copy on the way to pandas.
            column_types={
                name: coded if name in categorical else pa.large_string() for name in names
            },
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            include_columns=include or [],
            check_utf8=check_utf8,
        ),
    )


def _str_types(arrow_type):
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        return None  # pandas' own conversion: a categorical
    return pd.StringDtype("pyarrow", na_value=np.nan)


# --- XLSX -----------------------------------------------------------------------------------


def sheet_names(path: Path | str) -> list[str]:
    """The sheets of a workbook, in order, without reading their cells; [] for other formats.

    For choosing which sheet of a steward's workbook holds the members.
    """
    path = Path(path)
    if FORMATS.get(path.suffix.lower()) != "xlsx":
        return []
    try:
        # From the path: only the zip's directory and the workbook part are read, not the
        # whole file, which an upload's page would otherwise read on every visit.
        return list(_workbook(path, path).sheet_names)
    except OSError as error:
        raise IntakeError(f"{path.name}: cannot be read ({error.strerror or error})") from None


def _workbook(path: Path, source: bytes | Path):
    """The workbook in ``source`` (its bytes, or the file itself), or a plain error."""
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(io.BytesIO(source) if isinstance(source, bytes) else source):
        raise IntakeError(
            f"{path.name}: not a readable XLSX workbook (the zip container is truncated or corrupt)"
        )
    try:
        if isinstance(source, bytes):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        return CalamineWorkbook.from_path(str(source))
    except Exception as error:
        raise IntakeError(f"{path.name}: not a readable XLSX workbook: {_short(error)}") from None


def _read_xlsx(path: Path, data: bytes, digest: str, kind: str, sheet: str | None) -> SourceTable:
    workbook = _workbook(path, data)
    names = workbook.sheet_names
    if not names:
        raise IntakeError(f"{path.name}: the workbook has no sheets")
    chosen = sheet if sheet is not None else names[0]
    if chosen not in names:
        raise IntakeError(f"{path.name}: no sheet named {chosen!r}; sheets: {', '.join(names)}")
    grid = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    grid = [[_cell_text(value) for value in row] for row in grid]
    if not grid or not any(any(cell.strip() for cell in row) for row in grid):
        raise IntakeError(f"{path.name}, sheet {chosen!r}: the sheet is empty")
    width = max(len(row) for row in grid)
    grid = [row + [""] * (width - len(row)) for row in grid]
    header_index, header, notes = _find_header(grid)
    names_ = _unique_names(header, notes)
    body = grid[header_index + 1 :]
    rows = np.arange(header_index + 2, header_index + 2 + len(body))
    frame = (
        pd.DataFrame(body, columns=names_, dtype=object)
        if body
        else pd.DataFrame({name: [] for name in names_}, dtype=object)
    )
    # Spreadsheets end with empty rows; they are formatting, not members.
    filled = (
        frame.apply(lambda column: column.str.strip().ne("")).any(axis=1).to_numpy()
        if len(frame)
        else np.zeros(0, dtype=bool)
    )
    if len(frame) and not filled.all():
        notes.append(f"{int((~filled).sum())} empty row(s) skipped")
        frame, rows = frame[filled].reset_index(drop=True), rows[filled]
    frame = frame.astype(pd.StringDtype("pyarrow", na_value=np.nan))
    return SourceTable(
        path, digest, kind, None, chosen, header_index + 1, frame, rows, notes=tuple(notes)
    )


def _find_header(grid: list[list[str]]) -> tuple[int, list[str], list[str]]:
    """The header row (0-based), its names and notes: skips title rows, joins two-row headers.

    The header is the first row filled in at least half the sheet's width; rows above it with
    a single cell in the first column are titles. A row just above it with group headings
    (merged cells, so gaps between them) is joined with it: "Demographics" over "Gender"
    gives "Demographics Gender".
    """
    width = len(grid[0])
    counts = [sum(bool(cell.strip()) for cell in row) for row in grid]
    widest = max(counts)
    index = next(
        i for i, count in enumerate(counts) if count >= max(2, (widest + 1) // 2) or count == widest
    )
    notes = []
    header = [cell.strip() for cell in grid[index]]
    above = index - 1
    while above >= 0 and counts[above] == 0:
        above -= 1
    # A title sits alone in the first column; group headings (merged over the columns they
    # group) are two or more, or start further right.
    if above >= 0 and (counts[above] >= 2 or not grid[above][0].strip()):
        group, current = [], ""
        for cell in grid[above]:
            current = cell.strip() or current  # a merged cell's value sits in its first cell
            group.append(current)
        header = [
            f"{upper} {lower}".strip() if upper and upper != lower else (lower or upper)
            for upper, lower in zip(group, header, strict=True)
        ]
        notes.append(f"two-row header: rows {above + 1} and {index + 1} combined")
        titles = above
    else:
        titles = index
    if titles > 0:
        notes.append(f"{titles} title row(s) above the header skipped")
    notes.append(f"header row {index + 1}")
    return index, header[:width], notes


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- SPSS and Stata -------------------------------------------------------------------------


def _read_stats(path: Path, data: bytes, digest: str, kind: str, sheet: str | None) -> SourceTable:
    import pyreadstat

    read = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        frame, meta = read(str(path), user_missing=True, apply_value_formats=False)
    except Exception as error:
        label = "SPSS" if kind == "sav" else "Stata"
        raise IntakeError(
            f"{path.name}: not a readable {label} file (truncated or corrupt?): {_short(error)}"
        ) from None
    text = pd.DataFrame({name: number_text(frame[name]) for name in frame.columns})
    labels = {
        name: {_code_text(code): str(label) for code, label in mapping.items()}
        for name, mapping in (meta.variable_value_labels or {}).items()
    }
    missing: dict[str, tuple[str, ...]] = {}
    for name, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        codes = []
        for entry in ranges:
            low, high = entry.get("lo"), entry.get("hi")
            if low == high:
                codes.append(_code_text(low))
            else:
                codes.append(f"{_code_text(low)}..{_code_text(high)}")
        missing[name] = tuple(codes)
    notes = [f"{len(missing)} variable(s) declare user-missing values"] if missing else []
    rows = np.arange(1, len(text) + 1)
    return SourceTable(
        path,
        digest,
        kind,
        getattr(meta, "file_encoding", None),
        None,
        0,
        text,
        rows,
        labels,
        missing,
        tuple(notes),
    )


def number_text(values: pd.Series) -> pd.Series:
    """Text of a numeric or text column, vectorized: 1.0 -> "1", NaN -> "", 2.5 -> "2.5"."""
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    if not pd.api.types.is_numeric_dtype(values):
        return values.astype(object).where(values.notna(), "").astype(str).astype(dtype)
    numbers = values.to_numpy(dtype=float)
    missing = np.isnan(numbers)
    whole = ~missing & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 1e15)
    result = numbers.astype(str).astype(object)
    result[whole] = numbers[whole].astype(np.int64).astype(str)
    result[missing] = ""
    return pd.Series(result, index=values.index, name=values.name).astype(dtype)


def _code_text(code: object) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


# --- Parquet --------------------------------------------------------------------------------


def _read_parquet(
    path: Path, data: bytes, digest: str, kind: str, sheet: str | None
) -> SourceTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as error:
        raise IntakeError(f"{path.name}: not a readable Parquet file: {_short(error)}") from None
    frame = table.to_pandas()
    text = pd.DataFrame({str(name): number_text(frame[name]) for name in frame.columns})
    rows = np.arange(1, len(text) + 1)
    return SourceTable(path, digest, kind, None, None, 0, text, rows)


# --- shared ---------------------------------------------------------------------------------


# A byte-order mark that an export passed through twice: a second mark, or the first one
# read with a Windows code page and written out again as text ("ï»¿" is UTF-8's mark so read;
# "þÿ" and "ÿþ" are UTF-16's), once or more.
BOM_REMNANT = re.compile("^(?:\ufeff|\u00ef\u00bb\u00bf|\u00fe\u00ff|\u00ff\u00fe)+")


def _without_bom_remnant(header: list[str], notes: list[str]) -> list[str]:
    """The header with a stray byte-order mark taken off the first name, and a note saying so."""
    remnant = BOM_REMNANT.match(header[0]) if header else None
    if remnant is None:
        return header
    first = header[0][remnant.end() :]
    notes.append(
        f"column 1 renamed {first.strip()!r}: its header began with a byte-order mark "
        f"kept as text ({remnant.group()!r})"
    )
    return [first, *header[1:]]


def _unique_names(header: list[str], notes: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    header = _without_bom_remnant(header, notes)
    for position, raw in enumerate(header, start=1):
        name = raw.strip() or f"column {position}"
        base, suffix = name, 2
        while name in seen:
            name, suffix = f"{base} ({suffix})", suffix + 1
        if name != raw.strip() and raw.strip():
            notes.append(f"column {position} renamed {name!r}: its header repeats another")
        seen.add(name)
        names.append(name)
    return names


def _arrow_message(error: Exception) -> str:
    message = str(error).strip().splitlines()[0]
    return message.replace("CSV parse error: ", "")


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:300]
