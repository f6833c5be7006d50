"""Category values as text, the one way every estimate compares codes.

A column read from CSV may arrive as text, as integers, or as floats (``1.0`` when a blank
made pandas widen it); margins files and ``--by`` values are text. Everything is compared as
stripped text, whole floats without their ``.0``, and a missing value as the empty string.
Vectorized: this runs over every respondent of every grouping column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def category_text(values: pd.Series) -> pd.Series:
    """The values as stripped text, ``""`` where missing."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        return values.astype(str)
    if pd.api.types.is_float_dtype(values):
        present = values.to_numpy()[~missing]
        if len(present) and np.all(np.mod(present, 1) == 0):
            text = values.fillna(0).astype(np.int64).astype(str)
        else:
            text = values.astype(str)
    else:
        text = values.astype(str).str.strip()
    return text.where(~missing, "")


def code_text(value) -> str:
    """One value (a `--by` category, a proportion's value) as its column's cells read."""
    return str(category_text(pd.Series([value])).iloc[0])


def contains_code(text: pd.Series, code: str) -> np.ndarray:
    """Whether each cell is `code` or, for a multi-select cell (``a;b``), includes it."""
    hit = (text == code).to_numpy().copy()
    multi = text.str.contains(";", regex=False).to_numpy()
    if multi.any():
        pattern = rf"(?:^|;)\s*{re.escape(code)}\s*(?:;|$)"
        hit[multi] = text[multi].str.contains(pattern, regex=True).to_numpy()
    return hit
