"""What the command line's platform commands share: setting Django up, and errors a person fixes.

Each `operations` module (`surveys.operations`, `organizations.operations`) finds what it was
given by name, calls one action (so the command line writes what the web pages write, audited
the same way) and returns what a person needs to know; a problem the person can fix is raised
as `OperationError`, which the command line prints line by line before exiting non-zero.
"""

from __future__ import annotations

from workforce.platform import django_setup, migrate


class OperationError(Exception):
    """A problem a person can fix; `messages` lists each one."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


def setup() -> None:
    """Django set up and the schema current (a fresh data directory works at once).

    Every operation calls it first, before it imports what it needs: the platform's models
    and actions can be imported only once Django is configured.
    """
    django_setup()
    migrate()


def validation_messages(error) -> list[str]:
    """A Django `ValidationError` as lines a person reads: "field: message" or the message."""
    if hasattr(error, "message_dict"):
        return [
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
