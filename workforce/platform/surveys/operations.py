"""What `workforce survey ...` does: look up by name, call the survey actions, say what happened.

The command line addresses instruments by form id (and version) and waves by their slug,
where the web pages use database ids. Each function here finds what it was given, calls one
action of `workforce.platform.actions.surveys` (so the command line writes exactly what the
web pages write, audited the same way) and returns what a person needs to know.

Errors a person can fix (an unknown wave, a form that does not import, a frame row with a
bad address) are raised as `OperationError` with every message; the command line prints
them and exits non-zero.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from workforce.platform.operations import OperationError, setup, validation_messages
from workforce.platform.organizations.operations import find_organization
from workforce.survey.bounces import BounceFileError, Bounces, read_bounces

if TYPE_CHECKING:  # the actions import the models, which need Django configured first
    from workforce.platform.actions.surveys import BouncesRecorded


@dataclass(frozen=True)
class ImportedForm:
    form_id: str
    version: str
    title: str
    pages: int
    questions: int
    languages: tuple[str, ...]
    notes: tuple[str, ...]
    sha256: str


def _imported(stored, instrument) -> ImportedForm:
    """What a person is told about a stored instrument version."""
    return ImportedForm(
        form_id=stored.form_id,
        version=stored.version,
        title=stored.title,
        pages=len(instrument.pages),
        questions=len([q for q in instrument.questions if q.answered]),
        languages=instrument.languages,
        notes=instrument.notes,
        sha256=stored.sha256,
    )


def import_form(path: Path) -> ImportedForm:
    """Import an XLSForm workbook as an instrument version (the same file twice is one)."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_import_instrument

    try:
        workbook = Path(path).read_bytes()
    except OSError as error:
        raise OperationError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        stored = do_import_instrument(workbook, filename=Path(path).name, acting_user=None)
    except ValidationError as error:
        name = Path(path).name
        raise OperationError(
            [m if m.startswith(name) else f"{name}: {m}" for m in validation_messages(error)]
        ) from None
    instrument = stored.load()
    return _imported(stored, instrument)


def import_standard_modules() -> ImportedForm:
    """The standard modules as one instrument (`standard_instrument`), kept like an import."""
    setup()
    from workforce.platform.actions.surveys import do_add_instrument
    from workforce.survey.modules import standard_instrument

    instrument = standard_instrument()
    stored = do_add_instrument(instrument, acting_user=None)
    return _imported(stored, instrument)


def find_instrument(form_id: str, version: str | None = None):
    """The instrument `form_id` (its newest import when no version is given)."""
    from workforce.platform.surveys.models import Instrument

    found = Instrument.objects.filter(form_id=form_id)
    if version is not None:
        found = found.filter(version=version)
    instrument = found.order_by("-imported_at", "-pk").first()
    if instrument is None:
        known = sorted(
            {f"{i.form_id} (version {i.version})" for i in Instrument.objects.all()[:50]}
        )
        which = f"{form_id!r}" + (f" version {version!r}" if version else "")
        hint = f"; imported forms: {', '.join(known)}" if known else "; none is imported yet"
        raise OperationError(f"no instrument {which}{hint} (workforce survey import FORM.xlsx)")
    return instrument


def find_wave(slug: str):
    from workforce.platform.surveys.models import Wave

    wave = Wave.objects.filter(slug=slug).select_related("organization", "instrument").first()
    if wave is None:
        known = list(Wave.objects.order_by("slug").values_list("slug", flat=True)[:50])
        hint = f"; waves: {', '.join(known)}" if known else "; there are no waves yet"
        raise OperationError(f"no survey wave {slug!r}{hint}")
    return wave


def create_wave(
    *,
    org: str,
    slug: str,
    name: str,
    form_id: str,
    version: str | None,
    mode: str,
    opens_on: date,
    closes_on: date,
    consent_text: str,
    contact_email: str = "",
    year: int | None = None,
):
    """A draft wave of organization `org` on instrument `form_id`."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_create_wave

    organization = find_organization(org)
    instrument = find_instrument(form_id, version)
    try:
        return do_create_wave(
            organization,
            name=name,
            slug=slug,
            instrument=instrument,
            mode=mode,
            opens_on=opens_on,
            closes_on=closes_on,
            consent_text=consent_text,
            contact_email=contact_email,
            year=year,
            acting_user=None,
        )
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def change_wave(
    slug: str, *, form_id: str | None = None, version: str | None = None, **changes
) -> tuple[object, str]:
    """Change the settings of wave ``slug``; returns it and what changed, as staff read it.

    ``changes`` are the wave's settings by field name; the questionnaire is named by form id
    (and version, the newest without one).
    """
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_change_wave, settings_changing

    wave = find_wave(slug)
    if form_id is not None:
        changes["instrument"] = find_instrument(form_id, version)
    changed = settings_changing(wave, changes)
    try:
        return do_change_wave(wave, acting_user=None, **changes), changed
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def load_frame(slug: str, path: Path):
    """Add the members listed in a CSV file to a wave's frame; returns the `FrameLoad`."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_load_frame

    wave = find_wave(slug)
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise OperationError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return do_load_frame(wave, content, filename=Path(path).name, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def change_status(slug: str, *, open_it: bool):
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_close_wave, do_open_wave

    wave = find_wave(slug)
    try:
        if open_it:
            return do_open_wave(wave, acting_user=None)
        return do_close_wave(wave, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def send(slug: str, *, reminders: bool, progress: Callable[[int, int], None] | None = None):
    """Send the wave's invitations (or reminders); returns the `Mailing` as it stands after.

    With the database task queue the mailing is queued for `workforce manage db_worker`;
    with WORKFORCE_TASKS=immediate it has been sent when this returns, and `progress(done,
    total)` was told after every batch.
    """
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_send_invitations, do_send_reminders
    from workforce.platform.surveys.tasks import watching_mailings

    wave = find_wave(slug)
    action = do_send_reminders if reminders else do_send_invitations
    try:
        with watching_mailings(progress) if progress else contextlib.nullcontext():
            mailing = action(wave, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None
    mailing.refresh_from_db()
    return mailing


def export(slug: str, *, format: str, out: Path) -> tuple[Path, int]:
    """Write the wave's responses to `out` in `format`; returns the path and the row count.

    The export runs as the same task the web pages queue, in this process, so the command
    returns when the file is complete (and leaves nothing at `out` when it fails).
    """
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_export_responses
    from workforce.platform.surveys.models import Export
    from workforce.platform.surveys.tasks import write_export

    wave = find_wave(slug)
    try:
        job = do_export_responses(wave, format, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None
    job.refresh_from_db()
    if job.status not in (Export.Status.DONE, Export.Status.FAILED):
        # Queued for a worker: run it here instead, so the command can hand over the file.
        write_export.call(job.pk)
        job.refresh_from_db()
    if job.status != Export.Status.DONE:
        raise OperationError(f"the export of {slug!r} failed: {job.error or job.status}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    shutil.copyfile(job.file, partial)
    partial.replace(out)
    return out, job.rows or 0


def wave_summary(slug: str) -> dict:
    """The wave's settings, response rates overall and by each frame attribute, and its
    completed responses day by day."""
    setup()
    from workforce.platform.surveys.models import Mailing
    from workforce.platform.surveys.monitoring import (
        groupings,
        response_rates,
        response_timeline,
    )

    wave = find_wave(slug)
    return {
        "wave": wave,
        "overall": response_rates(wave),
        "by": {attribute: response_rates(wave, by=attribute) for attribute in groupings(wave)},
        "timeline": response_timeline(wave),
        "planned": list(wave.mailings.planned()),
        "queued": list(wave.mailings.filter(status=Mailing.Status.QUEUED)),
    }


def schedule_reminders(slug: str, *, on: date):
    """Reminders of wave ``slug`` to go out on ``on`` (held by the database queue until then)."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_schedule_reminders

    wave = find_wave(slug)
    try:
        return do_schedule_reminders(wave, on=on, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def cancel_reminders(slug: str, *, on: date):
    """Cancel the reminders of wave ``slug`` planned for ``on``."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_cancel_mailing

    wave = find_wave(slug)
    planned = wave.mailings.planned()
    mailing = planned.filter(send_after__date=on).first()
    if mailing is None:
        days = [f"{m.send_after:%Y-%m-%d}" for m in planned]
        hint = f"; planned: {', '.join(days)}" if days else "; none is planned"
        raise OperationError(f"{slug} has no reminders planned on {on}{hint}")
    try:
        return do_cancel_mailing(mailing, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def record_bounces(paths: list[Path]) -> list[tuple[Bounces, BouncesRecorded]]:
    """Mark bounced the unfinished invitations to every address the files report as bounced;
    each file's `Bounces` and `BouncesRecorded`.

    Every file is read before anything is marked, so a file that cannot be read changes
    nothing; each address is marked in every running wave it was invited to.
    """
    setup()
    from workforce.platform.actions.surveys import do_record_bounces

    read, problems = [], []
    for path in paths:
        try:
            read.append(read_bounces(path))
        except BounceFileError as error:
            problems.append(str(error))
    if problems:
        raise OperationError(problems)
    return [(bounces, do_record_bounces(bounces.addresses)) for bounces in read]


def preview_message(slug: str, *, reminder: bool, send_to: str | None = None):
    """The wave's invitation (or reminder) as members get it; with `send_to`, also sent there
    as a test (see `do_send_test_message`). Returns the content and the address sent to."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import do_send_test_message
    from workforce.platform.surveys.mail import PREVIEW_TOKEN, message_content

    wave = find_wave(slug)
    content = message_content(wave, PREVIEW_TOKEN, reminder=reminder)
    sent = None
    if send_to is not None:
        try:
            sent = do_send_test_message(wave, reminder=reminder, acting_user=None, to=send_to)
        except ValidationError as error:
            raise OperationError(validation_messages(error)) from None
    return content, sent
