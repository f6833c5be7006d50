"""Standard records in memory: the conventions every module that reads or writes them shares.

Standard records are a pandas DataFrame with one string column per record column, in the
standard's order (``Standard.record_columns``). A multi-select value (``race_ethnicity``,
``race_ethnicity_detail``) is its codes sorted and joined with ``;``, exactly its CSV form,
e.g. ``"black;hispanic"``. Blank is allowed only in ``person_key``,
``race_ethnicity_detail`` and ``us_region`` (for records outside the United States);
everywhere else a value that was not collected is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workforce.standard.loader import load_standard
from workforce.standard.model import MULTI_SEPARATOR, Standard


def join_codes(codes: Iterable[str]) -> str:
    """The stored form of a multi-select answer: codes sorted, duplicates dropped, ';'-joined."""
    return MULTI_SEPARATOR.join(sorted(set(codes)))


def split_codes(value: object) -> tuple[str, ...]:
    """The codes of a stored multi-select value; blank or missing gives no codes."""
    if not isinstance(value, str) or not value.strip():
        return ()
    return tuple(part.strip() for part in value.split(MULTI_SEPARATOR) if part.strip())


def empty_records(standard: Standard | None = None) -> pd.DataFrame:
    """A frame with no rows and every record column, as strings, in the standard's order."""
    standard = standard or load_standard()
    return pd.DataFrame({column: pd.Series([], dtype="str") for column in standard.record_columns})


def order_columns(records: pd.DataFrame, standard: Standard | None = None) -> pd.DataFrame:
    """The same frame with record columns first in the standard's order, other columns after."""
    standard = standard or load_standard()
    known = [column for column in standard.record_columns if column in records.columns]
    extra = [column for column in records.columns if column not in set(standard.record_columns)]
    return records[known + extra]


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a value is missing (NaN/None) or only whitespace."""
    text = values.astype("str")
    return (values.isna() | text.str.strip().eq("")).to_numpy(dtype=bool)


def string_column(
    per_value: list[str], positions: np.ndarray, index: pd.Index | None = None,
    name: str | None = None,
) -> pd.Series:
    """A string column holding ``per_value[position]`` on each row, built by Arrow.

    The fast way to spread results computed once per distinct value back over millions of
    rows: no Python loop over rows and no per-row string objects.
    """
    taken = pc.take(pa.array(per_value, type=pa.string()), pa.array(positions))
    return pd.Series(taken, index=index, name=name, dtype="str")
