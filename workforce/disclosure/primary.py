"""Primary suppression: the cells that may not be published as they are.

- A count from 1 to threshold − 1 people (default threshold 5) identifies a small group of
  colleagues. A count of 0 may be shown: nobody is identified by it.
- A percentage or mean rests on its base: when the base is under the threshold, the
  percentage gives the count back (4 of a base of 4 is 100%), so it is suppressed with its
  base.
- A weighted estimate whose reliability verdict is `suppress` (see `workforce.stats`) is
  not published either: it is too uncertain to say anything.
"""

from __future__ import annotations

import numpy as np

from workforce.disclosure.errors import DisclosureError

DEFAULT_THRESHOLD = 5


def small_counts(values: np.ndarray, threshold: int = DEFAULT_THRESHOLD) -> np.ndarray:
    """Cells counting 1 to threshold − 1 people."""
    if threshold < 1:
        raise DisclosureError(f"the threshold must be at least 1, not {threshold}")
    values = np.asarray(values, dtype=float)
    return (values > 0) & (values < threshold)


def small_bases(bases: np.ndarray, threshold: int = DEFAULT_THRESHOLD) -> np.ndarray:
    """Percentages or means whose base (the people they are computed over) is too small."""
    bases = np.asarray(bases, dtype=float)
    return (bases > 0) & (bases < threshold)


def unreliable(verdicts) -> np.ndarray:
    """Weighted estimates whose reliability verdict is `suppress`."""
    return np.asarray([v == "suppress" for v in verdicts], dtype=bool)
