"""What the disclosure gate raises: `DisclosureError`, with a message naming what and where."""


class DisclosureError(ValueError):
    """Input the gate cannot use (a table, a record file, a setting); the message says where."""
