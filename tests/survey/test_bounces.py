"""Bounces reported after sending: a mail service's list, or the undeliverable reports."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.survey.bounces import BounceFileError, read_bounces


def delivery_report(*recipients: tuple[str, str, str], subject: str = "Undelivered") -> bytes:
    """A delivery status notification (RFC 3464): (address, action, status) per recipient."""
    blocks = "".join(
        f"\nFinal-Recipient: rfc822; {address}\nAction: {action}\nStatus: {code}\n"
        for address, action, code in recipients
    )
    return (
        "From: MAILER-DAEMON@mx.example\n"
        f"Subject: {subject}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n'
        "\n--b1\nContent-Type: text/plain\n\n"
        "This is the mail system. Your message could not be delivered.\n"
        "\n--b1\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example\n{blocks}"
        "\n--b1--\n"
    ).encode()


def auto_reply() -> Message:
    reply = EmailMessage()
    reply["Subject"] = "Out of office"
    reply.set_content("I am away until Monday.")
    return reply


def write_mbox(path: Path, *messages: Message | bytes) -> Path:
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    return path


def test_a_mail_services_csv_export_gives_its_address_column(tmp_path):
    path = tmp_path / "bounces.csv"
    path.write_text(
        "Bounced At,Email,Type\n"
        "2026-02-01,Ada@Members.example,Permanent\n"
        "2026-02-02,grace@members.example,Permanent\n"
        "2026-02-03,ada@members.example,Permanent\n"
        "2026-02-04,Barbara Liskov <barbara@members.example>,Permanent\n",
        encoding="utf-8",
    )
    found = read_bounces(path)
    assert found.addresses == [
        "ada@members.example",
        "grace@members.example",
        "barbara@members.example",
    ]
    assert found.skipped == []


def test_a_plain_list_skips_blank_and_comment_lines_and_names_what_is_not_an_address(tmp_path):
    path = tmp_path / "bounced.txt"
    path.write_text(
        "# from the list server, 3 February\nada@members.example\n\nnot an address\n",
        encoding="utf-8",
    )
    found = read_bounces(path)
    assert found.addresses == ["ada@members.example"]
    [skipped] = found.skipped
    assert (skipped.where, skipped.value, skipped.reason) == (
        "row 4",
        "not an address",
        "not an e-mail address",
    )


def test_a_csv_without_an_address_column_says_which_columns_would_do(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("name,when\nAda,2026-02-01\n", encoding="utf-8")
    with pytest.raises(BounceFileError, match=r"export.csv, row 1: no column for the address"):
        read_bounces(path)


def test_only_permanent_failures_in_the_reports_count(tmp_path):
    path = write_mbox(
        tmp_path / "bounces.mbox",
        delivery_report(("ada@members.example", "failed", "5.1.1")),
        delivery_report(("grace@members.example", "delayed", "4.4.7")),
        auto_reply(),
        delivery_report(
            ("barbara@members.example", "failed", "5.2.2"),
            ("katherine@members.example", "delivered", "2.0.0"),
        ),
    )
    found = read_bounces(path)
    assert found.addresses == ["ada@members.example", "barbara@members.example"]
    assert [(s.where, s.value, s.reason) for s in found.skipped] == [
        ("message 2", "grace@members.example",
         "not a permanent failure (action delayed, status 4.4.7)"),
        ("message 3", "Out of office", "not a delivery status notification (an auto-reply?)"),
        ("message 4", "katherine@members.example",
         "not a permanent failure (action delivered, status 2.0.0)"),
    ]  # fmt: skip


def test_one_saved_report_is_read_as_well(tmp_path):
    path = tmp_path / "undeliverable.eml"
    path.write_bytes(delivery_report(("Ada@Members.example", "failed", "5.1.1")))
    assert read_bounces(path).addresses == ["ada@members.example"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "bounces.txt: the file is empty"),
        (b"ada@members.example\x00\x01", "bounces.txt: not a text file"),
        (b"caf\xe9@members.example\n", r"bounces.txt: not UTF-8 text \(byte 0xe9 at offset 3\)"),
    ],
)
def test_a_file_that_cannot_be_read_as_bounces_says_why(tmp_path, content, message):
    path = tmp_path / "bounces.txt"
    path.write_bytes(content)
    with pytest.raises(BounceFileError, match=message):
        read_bounces(path)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(str.encode),
        # Through the report reader: a report's marker, or an mbox's first line, then anything.
        st.binary(max_size=400).map(lambda body: b"Content-Type: multipart/report\n" + body),
        st.binary(max_size=400).map(lambda body: b"From MAILER-DAEMON\n" + body),
        st.builds(
            lambda address, action, junk: delivery_report((address, action, "5.1.1")) + junk,
            st.text(max_size=30),
            st.sampled_from(["failed", "delayed", "", "FAILED"]),
            st.binary(max_size=60),
        ),
    )
)
def test_any_file_is_read_or_refused_with_its_name(tmp_path, content):
    path = tmp_path / "bounces.txt"
    path.write_bytes(content)
    try:
        found = read_bounces(path)
    except BounceFileError as error:
        assert str(error).startswith("bounces.txt")
    else:
        assert all("@" in address and address == address.lower() for address in found.addresses)
