"""Bounced addresses, from what the mail side reports after it accepted the invitations.

A mail server that refuses an address while the invitations are sent has it marked bounced
at once. Most bounces come later: the receiving side accepts the message, then mails back an
"undeliverable" report, or the mail service (SES, Mailgun, a society's own server) lists the
address as bounced. Staff bring those back in one of two shapes, told apart by content:

- a list: a mail service's bounce or suppression export, a CSV file with a column named for
  the address (``email``, ``e-mail``, ``email_address``, ``address``, ``recipient``), or plain
  text with one address per line (blank lines and lines starting with ``#`` are skipped);
- the reports themselves: delivery status notifications (RFC 3464), saved from the mailbox
  as an mbox file or as one message (.eml). Only permanent failures count (``Action:
  failed``, or a 5.x.x status): a delayed message may still arrive, and an auto-reply is
  not a bounce.

Nothing here touches the database; `workforce survey bounces` marks the invitations. Every
line or message not taken is reported with where it is and why, never dropped silently.
"""

from __future__ import annotations

import csv
import email
import email.policy
import email.utils
import io
import re
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

# Loose on purpose: the address was good enough to be sent to; this only keeps out what is
# plainly not an address (a header line, a name, a stray word).
_ADDRESS = re.compile(r"^[^@\s<>\",;]+@[^@\s<>\",;]+\.[^@\s<>\",;]+$")
ADDRESS_COLUMNS = ("email", "e-mail", "email_address", "email address", "address", "recipient")
_REPORT_MARKERS = (b"multipart/report", b"message/delivery-status")
_MBOX_SEPARATOR = re.compile(rb"(?:\A|\r?\n)From [^\n]*\n")


class BounceFileError(Exception):
    """A file that cannot be read as bounces at all; the message names it and says why."""


@dataclass(frozen=True)
class Skipped:
    """A line or message not taken, with where it is (``row 4``, ``message 2``) and why."""

    where: str
    value: str
    reason: str


@dataclass
class Bounces:
    """The addresses that bounced for good (lower-cased, each once, in the order first seen)."""

    file: str
    skipped: list[Skipped] = field(default_factory=list)
    # A dict keeps each address once, in the order first seen, with a constant-time check
    # (a service's list can hold tens of thousands).
    _seen: dict[str, None] = field(default_factory=dict, repr=False)

    @property
    def addresses(self) -> list[str]:
        return list(self._seen)

    def add(self, address: str) -> None:
        self._seen.setdefault(address.strip().lower())


def read_bounces(path: Path | str) -> Bounces:
    """The permanently bounced addresses in one file (a list or delivery status reports)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BounceFileError(f"{path.name}: cannot be read ({error.strerror or error})") from None
    return bounces_from(data, path.name)


def bounces_from(data: bytes, name: str) -> Bounces:
    """The same from a file's bytes (an upload, say); `name` is what messages call it."""
    if not data.strip():
        raise BounceFileError(f"{name}: the file is empty")
    if b"\x00" in data:
        raise BounceFileError(f"{name}: not a text file (it holds NUL bytes)")
    if any(marker in data[:1 << 20].lower() for marker in _REPORT_MARKERS):
        return _from_reports(name, data)
    return _from_list(name, data)


# --- Lists ------------------------------------------------------------------------------------


def _from_list(name: str, data: bytes) -> Bounces:
    text = _text(name, data)
    found = Bounces(name)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise BounceFileError(f"{name}: not a readable list ({error})") from None
    # The first row that is neither blank nor a comment may name the columns.
    top = next((n for n, row in enumerate(rows) if _is_content(row)), len(rows))
    header = [cell.strip().lower() for cell in rows[top]] if top < len(rows) else []
    column = next((header.index(c) for c in ADDRESS_COLUMNS if c in header), None)
    if column is None and len(header) > 1 and not any(_ADDRESS.match(c) for c in header):
        raise BounceFileError(
            f"{name}, row {top + 1}: no column for the address; name one of "
            f"{', '.join(ADDRESS_COLUMNS)} (the columns are {', '.join(map(repr, rows[top]))})"
        )
    first = top + 2 if column is not None else 1
    for number, row in enumerate(rows[first - 1 :], start=first):
        if not _is_content(row):
            continue
        cells = [cell.strip() for cell in row]
        value = cells[column] if column is not None and column < len(cells) else cells[0]
        if column is None and len(cells) > 1:
            value = ",".join(row).strip()
        if "<" in value:  # "Ada Lovelace <ada@members.example>"
            value = email.utils.parseaddr(value)[1] or value
        if _ADDRESS.match(value):
            found.add(value)
        else:
            found.skipped.append(Skipped(f"row {number}", value, "not an e-mail address"))
    return found


def _is_content(row: list[str]) -> bool:
    cells = [cell.strip() for cell in row]
    return any(cells) and not cells[0].startswith("#")


def _text(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BounceFileError(
            f"{name}: not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})"
        ) from None
    return text


# --- Delivery status notifications ------------------------------------------------------------


def _from_reports(name: str, data: bytes) -> Bounces:
    found = Bounces(name)
    saved = _mbox_messages(data) if data.startswith(b"From ") else [data]
    messages = [_parse(raw) for raw in saved]
    for number, message in enumerate(messages, start=1):
        where = f"message {number}" if len(messages) > 1 else "the message"
        _take_report(found, message, where)
    return found


def _mbox_messages(data: bytes) -> list[bytes]:
    """The messages of an mbox file: each begins with a line starting "From " (a body line
    that starts so is written ">From " by the program that saved it)."""
    return [raw for raw in _MBOX_SEPARATOR.split(data) if raw.strip()]


def _parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _take_report(found: Bounces, message: Message, where: str) -> None:
    subject = str(message.get("Subject", ""))[:80]
    statuses = [
        part for part in message.walk() if part.get_content_type() == "message/delivery-status"
    ]
    if not statuses:
        found.skipped.append(
            Skipped(where, subject, "not a delivery status notification (an auto-reply?)")
        )
        return
    for part in statuses:
        for fields in _recipient_fields(part):
            recipient = _address_of(
                fields.get("Final-Recipient") or fields.get("Original-Recipient")
            )
            action = str(fields.get("Action", "")).strip().lower()
            status = str(fields.get("Status", "")).strip()
            if recipient is None:
                continue  # the per-message block, or a block without a recipient
            if action == "failed" or (not action and status.startswith("5")):
                found.add(recipient)
            else:
                said = f"action {action or '?'}" + (f", status {status}" if status else "")
                found.skipped.append(
                    Skipped(where, recipient, f"not a permanent failure ({said})")
                )


def _recipient_fields(part: Message) -> list[Message]:
    """The blocks of a delivery-status part: the message's, then one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some servers send the part unparsed: its blocks are separated by blank lines.
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(block) for block in re.split(r"\r?\n\s*\r?\n", text)]


def _address_of(value: object) -> str | None:
    """The address of ``rfc822; someone@example.org`` (the type before the ``;`` is optional)."""
    if value is None:
        return None
    text = str(value).split(";", 1)[-1].strip().strip("<>").strip()
    return text if _ADDRESS.match(text) else None
