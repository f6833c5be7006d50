"""Reading what `workforce stats estimate` is given: the respondents' CSV and the margins CSV.

Every value is read as text first, so that codes such as ``01`` keep their leading zero and a
bad cell can be named exactly (file, line, column, value); numbers are parsed only where a
number is needed. Line numbers count the header as line 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from workforce.stats.errors import StatsError
from workforce.stats.weighting import Margin

MARGIN_COLUMNS = ("variable", "category", "total")


def read_data(path: Path) -> pd.DataFrame:
    """The respondents' table, all columns as text, blanks as missing."""
    try:
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
            low_memory=False,
        )
    except FileNotFoundError:
        raise StatsError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise StatsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except pd.errors.EmptyDataError:
        raise StatsError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as error:
        raise StatsError(f"{path}: not a readable CSV file ({error})") from None


def read_margins(path: Path) -> list[Margin]:
    """Frame totals from a CSV with columns ``variable,category,total``.

    Variables keep the order of their first appearance (raking matches them in that order).
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise StatsError(f"{path}: no such file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StatsError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return parse_margins(text, str(path))


def parse_margins(text: str, source: str = "margins") -> list[Margin]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise StatsError(
            f"{source}: the file is empty; it needs the columns variable,category,total"
        )
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in MARGIN_COLUMNS if name not in header]
    if missing:
        raise StatsError(
            f"{source}: line 1: missing column(s) {', '.join(missing)}; the header must name "
            f"variable,category,total (it reads {','.join(rows[0])!r})"
        )
    where = {name: header.index(name) for name in MARGIN_COLUMNS}
    totals: dict[str, dict[str, float]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {}
        for name, index in where.items():
            cells[name] = row[index].strip() if index < len(row) else ""
            if not cells[name]:
                raise StatsError(f"{source}: line {line}, column {name!r}: the value is blank")
        try:
            total = float(cells["total"])
        except ValueError:
            raise StatsError(
                f"{source}: line {line}, column 'total': {cells['total']!r} is not a number"
            ) from None
        if not math.isfinite(total) or total < 0:
            raise StatsError(
                f"{source}: line {line}, column 'total': {cells['total']!r} must be a "
                "non-negative number"
            )
        by_category = totals.setdefault(cells["variable"], {})
        if cells["category"] in by_category:
            raise StatsError(
                f"{source}: line {line}: {cells['variable']} = {cells['category']!r} is listed "
                "twice"
            )
        by_category[cells["category"]] = total
    if not totals:
        raise StatsError(f"{source}: no margins below the header")
    return [Margin(variable, categories) for variable, categories in totals.items()]
