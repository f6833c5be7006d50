"""What intake raises: a bad file (`IntakeError`) or a mapping that still needs a decision.

Both carry a message meant for the data steward who uploaded the file, naming the file and,
where known, the row and column, so the command line and the web page can show it as is.
"""

from __future__ import annotations

from dataclasses import dataclass


class IntakeError(Exception):
    """A file that cannot be read or ingested; the message names the file (and row/column)."""


@dataclass(frozen=True)
class UndecidedValue:
    """A source value no confirmed mapping decision covers yet, and how many rows carry it."""

    column: str
    value: str
    rows: int
    proposal: str | None = None
    reason: str = "unmapped"


class MappingIncomplete(IntakeError):
    """Values of mapped columns that a person still has to decide on, per column."""

    def __init__(self, source: str, undecided: list[UndecidedValue]) -> None:
        self.source = source
        self.undecided = undecided
        lines = [
            f"{source}: {len(undecided)} value(s) need a decision in the mapping file "
            "before this file can be ingested:"
        ]
        for item in undecided[:50]:
            hint = f" (proposed {item.proposal!r}, {item.reason})" if item.proposal else ""
            lines.append(
                f"  column {item.column!r}: {item.value!r} in {item.rows} row(s){hint}; "
                "map it in the mapping file or mark it unknown"
            )
        if len(undecided) > 50:
            lines.append(f"  ... and {len(undecided) - 50} more")
        super().__init__("\n".join(lines))

    def by_column(self) -> dict[str, list[UndecidedValue]]:
        result: dict[str, list[UndecidedValue]] = {}
        for item in self.undecided:
            result.setdefault(item.column, []).append(item)
        return result
