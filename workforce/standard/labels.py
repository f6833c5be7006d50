"""Normalize free-text source labels so that spelling variants compare equal.

"Latino/a", " LATINO A " and "Latino-a" all become "latino a"; "65+" becomes "65 plus" and
"<25" becomes "under 25", because those symbols carry meaning that plain punctuation
stripping would lose ("65+" and "65" are different answers).
"""

from __future__ import annotations

import re
import unicodedata

# Symbols that carry meaning in survey answer labels, spelled out before punctuation goes.
_MEANINGFUL_SYMBOLS = (("+", " plus "), ("<", " under "), (">", " over "), ("&", " and "))
# Dropped without a space so that "Don't", "U.S." and "Ph.D." stay one word.
_JOINING_PUNCTUATION = re.compile(r"[.'’`´]")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def normalize_label(label: object) -> str:
    """Lowercase, strip accents, spell out meaningful symbols, reduce the rest to single spaces."""
    if label is None:
        return ""
    text = unicodedata.normalize("NFKD", str(label))
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    for symbol, words in _MEANINGFUL_SYMBOLS:
        text = text.replace(symbol, words)
    text = _JOINING_PUNCTUATION.sub("", text)
    return _NOT_ALPHANUMERIC.sub(" ", text).strip()
