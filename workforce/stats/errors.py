"""What the estimates raise: `StatsError`, with a message meant for the analyst.

Bad input is never allowed to turn into a NaN further down: a weight of zero, a margin total
of zero, a category the margins do not know, an outcome with no answers at all are each
stopped here with the file (or data name), the column, the row or category, and the value.
"""


class StatsError(ValueError):
    """Input the estimates cannot use; the message says where and why."""
