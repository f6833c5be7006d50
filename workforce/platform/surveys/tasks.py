"""Background work of surveys: sending a mailing in batches, writing an export file.

Both run in the task queue (``workforce manage db_worker``), so a send to 20,000 members or
an export of a large wave never holds a request. Each records its progress on its own row
(``Mailing``, ``Export``) for the staff pages; task arguments are those rows' ids only, so
the queue's table never holds an address, a token or a response.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path

import structlog
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from workforce.platform.surveys.mail import survey_message
from workforce.platform.surveys.models import (
    Export,
    Invitation,
    InvitationToken,
    Mailing,
    Response,
    Wave,
    hash_token,
    new_secret,
)
from workforce.survey.exports import response_table, write_responses
from workforce.survey.records import standard_records

log = structlog.get_logger(__name__)

# Who watches a mailing sent in this process and context: the command line's progress bar,
# told (sent and refused so far, total) after every batch. Unset in a worker or a request.
_WATCHER: ContextVar[Callable[[int, int], None] | None] = ContextVar("watcher", default=None)


@contextmanager
def watching_mailings(report: Callable[[int, int], None]) -> Iterator[None]:
    """Call `report(done, total)` after each batch of a mailing sent within the block."""
    token = _WATCHER.set(report)
    try:
        yield
    finally:
        _WATCHER.reset(token)

# Messages sent over one connection, and progress saved after each batch.
BATCH_SIZE = 200


class AddressRefused(Exception):
    """The mail server refused this one address; the rest of the mailing goes on."""


def _send_one(message) -> None:
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise AddressRefused(str(error)) from error
    except smtplib.SMTPSenderRefused:
        raise  # our own address is refused: no further message would go either
    except smtplib.SMTPResponseException as error:
        # 5xx: permanent for this message (unknown mailbox, rejected content).
        if 500 <= error.smtp_code < 600:
            raise AddressRefused(f"{error.smtp_code}") from error
        raise


def _candidates(mailing: Mailing):
    from workforce.platform.actions.surveys import invitations_to_remind, invitations_to_send

    if mailing.kind == Mailing.Kind.INVITATIONS:
        return invitations_to_send(mailing.wave)
    return invitations_to_remind(mailing.wave)


def _send_batch(mailing: Mailing, batch: list[Invitation]) -> tuple[int, int]:
    reminder = mailing.kind == Mailing.Kind.REMINDERS
    tokens = {invitation.pk: new_secret() for invitation in batch}
    # The links are committed before any message leaves: a link in an inbox always works.
    with transaction.atomic():
        InvitationToken.objects.bulk_create(
            InvitationToken(invitation=invitation, token_hash=hash_token(tokens[invitation.pk]))
            for invitation in batch
        )
    sent: list[int] = []
    refused: list[int] = []
    connection = get_connection()
    connection.open()
    try:
        for invitation in batch:
            message = survey_message(
                invitation, tokens[invitation.pk], reminder=reminder, connection=connection
            )
            try:
                _send_one(message)
            except AddressRefused as error:
                refused.append(invitation.pk)
                log.warning("survey.mail_refused", mailing_id=mailing.pk, reason=str(error)[:200])
            else:
                sent.append(invitation.pk)
    finally:
        connection.close()
    today = timezone.localdate()
    with transaction.atomic():
        delivered = Invitation.objects.filter(pk__in=sent)
        if reminder:
            delivered.update(reminders=F("reminders") + 1, last_reminded_on=today)
        else:
            delivered.update(sent_on=today)
            delivered.filter(status=Invitation.Status.PENDING).update(status=Invitation.Status.SENT)
        Invitation.objects.filter(pk__in=refused).exclude(status=Invitation.Status.DONE).update(
            status=Invitation.Status.BOUNCED
        )
        Mailing.objects.filter(pk=mailing.pk).update(
            sent=F("sent") + len(sent), failed=F("failed") + len(refused)
        )
    return len(sent), len(refused)


# A scheduled mailing whose wave is still sending another waits this long and looks again.
PUT_OFF = timedelta(minutes=5)


def _start_scheduled(mailing: Mailing) -> bool:
    """A scheduled mailing on its day: queued for the members it reaches now; put off while
    another mailing of its wave goes out; cancelled when its wave no longer takes answers.
    Whether it goes out now."""
    from workforce.platform.actions.surveys import invitations_to_remind

    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=mailing.wave_id)
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status != Mailing.Status.SCHEDULED:
            return mailing.active  # cancelled meanwhile, or started by another worker
        today = timezone.localdate()
        if wave.status != Wave.Status.OPEN or today > wave.closes_on:
            mailing.status = Mailing.Status.CANCELLED
            mailing.error = f"{wave.name} was not open on {today:%-d %B %Y}."
            mailing.finished_at = timezone.now()
            mailing.save(update_fields=["status", "error", "finished_at"])
            log.info("survey.mailing_cancelled", mailing_id=mailing.pk, wave_status=wave.status)
            return False
        if not wave.mailings.filter(status__in=Mailing.IN_PROGRESS).exists():
            mailing.status = Mailing.Status.QUEUED
            mailing.total = invitations_to_remind(wave).count()
            mailing.save(update_fields=["status", "total"])
            return True
    # Two mailings at once could remind a member twice: this one waits for the other.
    send_mailing.using(run_after=timezone.now() + PUT_OFF).enqueue(mailing.pk)
    return False


@task()
def send_mailing(mailing_id: int) -> dict[str, int]:
    """Send a queued mailing, batch by batch; an address refused is marked bounced.

    A scheduled mailing runs on its day (the queue holds it until then) and first decides
    whom it reaches (`_start_scheduled`).
    """
    mailing = Mailing.objects.select_related("wave__organization").get(pk=mailing_id)
    if mailing.status == Mailing.Status.SCHEDULED:
        if not _start_scheduled(mailing):
            return {"sent": 0, "failed": 0}
        mailing.refresh_from_db()
    if not mailing.active:
        return {"sent": mailing.sent, "failed": mailing.failed}
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.SENDING)
    last = done = 0
    try:
        while True:
            batch = list(
                _candidates(mailing)
                .filter(pk__gt=last)
                .select_related("member", "wave__organization")[:BATCH_SIZE]
            )
            if not batch:
                break
            last = batch[-1].pk
            sent, refused = _send_batch(mailing, batch)
            log.info("survey.mailing_batch", mailing_id=mailing.pk, sent=sent, refused=refused)
            watcher = _WATCHER.get()
            if watcher is not None:
                done += sent + refused
                watcher(done, max(mailing.total, done))
    except Exception as error:
        Mailing.objects.filter(pk=mailing.pk).update(
            status=Mailing.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        log.exception("survey.mailing_failed", mailing_id=mailing.pk)
        raise
    mailing.refresh_from_db()
    mailing.status = Mailing.Status.DONE
    mailing.total = max(mailing.total, mailing.sent + mailing.failed)
    mailing.finished_at = timezone.now()
    mailing.save(update_fields=["status", "total", "finished_at"])
    log.info("survey.mailing_done", mailing_id=mailing.pk, sent=mailing.sent, failed=mailing.failed)
    return {"sent": mailing.sent, "failed": mailing.failed}


# --- Exports ----------------------------------------------------------------------------------

EXTENSIONS = {
    Export.Format.CSV: "csv",
    Export.Format.XLSX: "xlsx",
    Export.Format.SAV: "sav",
    Export.Format.DTA: "dta",
    Export.Format.RECORDS: "records.csv",
}


def export_rows(responses: Iterable[Response]) -> list[dict]:
    """The responses as the core's ``response_table`` reads them."""
    return [
        {
            "response_id": str(response.id),
            "status": response.status,
            "submitted_on": response.completed_on,
            "answers": response.answers,
        }
        for response in responses
    ]


def _write_records(export: Export, target: Path) -> int:
    """Completed responses as standard records, in the standard's CSV layout."""
    wave = export.wave
    complete = wave.responses.filter(status=Response.Status.COMPLETE).order_by("id")
    # Read in chunks: a wave of 20,000 responses never sits in memory as model objects.
    records = standard_records(
        wave.instrument.load(),
        (
            (str(response_id), answers)
            for response_id, answers in complete.values_list("id", "answers").iterator(
                chunk_size=2000
            )
        ),
        source=f"survey:{wave.slug}",
        org=wave.organization.code,
        year=wave.year,
    )
    # Written beside its final name and moved into place: a download never sees half a file.
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        records.to_csv(partial, index=False, encoding="utf-8", lineterminator="\n")
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return len(records)


def _write_responses(export: Export, target: Path) -> int:
    """Every response (partial ones too, with their status), one column per question."""
    wave = export.wave
    instrument = wave.instrument.load()
    responses = list(wave.responses.select_related("invitation__member").order_by("id"))
    table = response_table(instrument, export_rows(responses))
    if export.identified:
        # Only a confidential wave has the link, and only staff allowed to follow it get it.
        members = [r.invitation.member.member_id if r.invitation else "" for r in responses]
        table.insert(1, "member_id", members)
    # The core writes under a temporary name and renames, so the file appears complete.
    write_responses(
        instrument, table, target, format=export.format, language=instrument.default_language
    )
    return len(table)


@task()
def write_export(export_id: int) -> str:
    """Write an export file under ``<data dir>/exports/<wave>/`` and record where."""
    export = Export.objects.select_related("wave__organization", "wave__instrument").get(
        pk=export_id
    )
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)
    folder = Path(settings.WORKFORCE_DATA_DIR) / "exports" / export.wave.slug
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localdate().isoformat()
    target = folder / f"{export.wave.slug}-{stamp}-{export.pk}.{EXTENSIONS[export.format]}"
    try:
        if export.format == Export.Format.RECORDS:
            rows = _write_records(export, target)
        else:
            rows = _write_responses(export, target)
    except Exception as error:
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        log.exception("survey.export_failed", export_id=export.pk)
        raise
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE,
        path=str(target.relative_to(settings.WORKFORCE_DATA_DIR)),
        rows=rows,
        finished_at=timezone.now(),
    )
    log.info("survey.export_done", export_id=export.pk, rows=rows)
    return str(target)
