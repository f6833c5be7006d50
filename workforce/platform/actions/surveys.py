"""Actions of member surveys: instruments, waves, frames, sending, answering, exporting.

Two kinds of caller use this module. Staff pages call the ``do_*`` functions, which write in
one transaction and record an ``AuditEvent`` like every other action. The respondent pages
call ``enter_with_token`` … ``complete_response``, which move one respondent through the
instrument with the pure core's ``workforce.survey.flow``.

In an anonymous wave nothing written on the respondent's side may tie their response to
their invitation: the response is found again only through ``resume_key`` (an HMAC of the
link they hold), the invitation learns only that it was started and later done, and no
audit event names either.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from workforce.platform.accounts.models import User, normalize_email
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can
from workforce.platform.surveys import lookups
from workforce.platform.surveys.models import (
    Export,
    FrameMember,
    Instrument,
    Invitation,
    Mailing,
    Response,
    Wave,
    hash_token,
    new_secret,
    resume_key_for,
)
from workforce.survey import flow
from workforce.survey.flow import FieldError, PageOutcome
from workforce.survey.instrument import Instrument as InstrumentDefinition

# Slugs the staff pages use for themselves under /organizations/<code>/surveys/.
RESERVED_SLUGS = frozenset({"new", "instruments"})
# A frame file's problems are all returned; the audit event keeps the first ones.
AUDITED_PROBLEMS = 50


class SurveyVerb(StrEnum):
    """Audit verbs of this module (kept in ``AuditEvent.verb``)."""

    INSTRUMENT_IMPORTED = "survey_instrument_imported"
    WAVE_CREATED = "survey_wave_created"
    WAVE_CHANGED = "survey_wave_changed"
    WAVE_OPENED = "survey_wave_opened"
    WAVE_CLOSED = "survey_wave_closed"
    OPEN_LINK_CREATED = "survey_open_link_created"
    FRAME_LOADED = "survey_frame_loaded"
    INVITATIONS_QUEUED = "survey_invitations_queued"
    REMINDERS_QUEUED = "survey_reminders_queued"
    REMINDERS_SCHEDULED = "survey_reminders_scheduled"
    MAILING_CANCELLED = "survey_mailing_cancelled"
    BOUNCE_RECORDED = "survey_bounce_recorded"
    MEMBER_OPTED_OUT = "survey_member_opted_out"
    RESPONSE_STARTED = "survey_response_started"  # confidential waves only
    RESPONSE_COMPLETED = "survey_response_completed"  # confidential waves only
    EXPORT_REQUESTED = "survey_export_requested"
    TEST_MESSAGE_SENT = "survey_test_message_sent"


# --- Respondents ------------------------------------------------------------------------------


class SurveyLinkError(Exception):
    """A link that does not open the survey, with a message fit to show the person holding it.

    ``kind`` is ``not_found``, ``not_open``, ``closed``, ``used`` or ``opted_out``; ``wave``
    is known for every kind but ``not_found`` (so the page can name whom to write to).
    """

    def __init__(self, kind: str, wave: Wave | None = None) -> None:
        self.kind = kind
        self.wave = wave
        super().__init__(self.message)

    @property
    def message(self) -> str:
        wave = self.wave
        contact = (
            f" Questions? Write to {wave.contact_email}." if wave and wave.contact_email else ""
        )
        if self.kind == "not_open" and wave is not None:
            return f"{wave.name} is not open yet. It opens on {wave.opens_on:%-d %B %Y}.{contact}"
        if self.kind == "closed" and wave is not None:
            return (
                f"{wave.name} closed on {wave.closes_on:%-d %B %Y}, so it no longer takes "
                f"answers. Thank you for your interest.{contact}"
            )
        if self.kind == "used":
            return (
                "This survey has already been completed with this invitation. "
                f"Thank you for taking part.{contact}"
            )
        if self.kind == "opted_out":
            return (
                "You asked not to take part in this survey, so this link no longer opens it. "
                f"If you change your mind, please let us know.{contact}"
            )
        return (
            "This survey link is not valid. Please check that the whole address was copied "
            "from the e-mail, or ask the survey team for a new link."
        )


class IncompleteResponse(Exception):
    """Raised by ``complete_response`` while required questions are still unanswered."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{error.question}: {error.message}" for error in errors))


@dataclass(frozen=True)
class Entry:
    """A respondent let into a wave.

    ``token`` is the e-mailed link's token (None for the open link); ``resume_key`` is what
    their response is stored under; ``invitation_id`` is set in confidential waves only.
    """

    wave: Wave
    token: str | None
    resume_key: str
    invitation_id: int | None = None
    # The unfinished responses as read together with the link (None: not read with it).
    unfinished: tuple[Response, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SaveOutcome:
    """What saving one page did.

    ``stale``: the page had already been saved from another window; when it was not the
    current page any more nothing from this submission was saved. ``next_page`` is the page
    to show next (None once the form is done), ``finished`` that the review step comes next.
    """

    response: Response
    outcome: PageOutcome
    stale: bool
    next_page: int | None
    finished: bool


# The day a synthetic response is answered on, when the demo replays a wave's past weeks
# (`submit_synthetic_response(on=...)`); unset, every date the survey keeps is today's.
_ANSWERED_ON: ContextVar[date | None] = ContextVar("answered_on", default=None)


def _today() -> date:
    return _ANSWERED_ON.get() or timezone.localdate()


def _check_open(wave: Wave) -> None:
    today = _today()
    if wave.status == Wave.Status.DRAFT or today < wave.opens_on:
        raise SurveyLinkError("not_open", wave)
    if wave.status == Wave.Status.CLOSED or today > wave.closes_on:
        raise SurveyLinkError("closed", wave)


def _invitation_for(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link belongs to; any problem with the link is a SurveyLinkError."""
    if not _could_be_a_token(token):
        raise SurveyLinkError("not_found")
    return _usable(lookups.invitation_by_token_hash(hash_token(token), lock=lock))


def _could_be_a_token(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 100


def _usable(invitation: Invitation | None) -> Invitation:
    """The invitation a link found, if its wave is open and it may still be answered."""
    if invitation is None:
        raise SurveyLinkError("not_found")
    _check_open(invitation.wave)
    if invitation.status == Invitation.Status.DONE:
        raise SurveyLinkError("used", invitation.wave)
    if invitation.member.opted_out:
        raise SurveyLinkError("opted_out", invitation.wave)
    return invitation


def _entry_for(
    invitation: Invitation,
    token: str,
    resume_key: str,
    unfinished: tuple[Response, ...] | None = None,
) -> Entry:
    """The entry of the link `token` (whose resume key is `resume_key_for(token)`)."""
    wave = invitation.wave
    return Entry(
        wave=wave,
        token=token,
        resume_key=resume_key,
        invitation_id=None if wave.is_anonymous else invitation.pk,
        unfinished=unfinished,
    )


def enter_with_token(token: str) -> Entry:
    """Let in the holder of an e-mailed link, and mark their invitation started."""
    with transaction.atomic():
        invitation = _invitation_for(token, lock=True)
        if invitation.status != Invitation.Status.STARTED:
            # A bounced address that still opened its link was delivered after all.
            invitation.status = Invitation.Status.STARTED
            invitation.save(update_fields=["status"])
    return _entry_for(invitation, token, resume_key_for(token))


def enter_open_link(slug: str, key: str) -> Entry:
    """Let in someone with the wave's open link; they get a fresh random resume secret."""
    wave = _wave_with_open_link(slug)
    if wave is None or not isinstance(key, str) or wave.open_link_hash != hash_token(key):
        raise SurveyLinkError("not_found")
    _check_open(wave)
    return Entry(wave=wave, token=None, resume_key=new_secret())


def _wave_with_open_link(slug: str) -> Wave | None:
    return Wave.objects.for_respondents().filter(slug=slug, open_link_hash__isnull=False).first()


def resume_entry(wave_slug: str, token: str | None, resume_key: str) -> Entry:
    """Let back in a respondent whose cookie holds their link's token or open-link secret.

    With a token the resume key is derived from it (``resume_key`` may be empty, and must
    match when given); without one, the wave must have an open link and ``resume_key`` is
    the secret ``enter_open_link`` gave.
    """
    if token:
        if not _could_be_a_token(token):
            raise SurveyLinkError("not_found")
        # The link's invitation and the response it continues, in one statement.
        link_key = resume_key_for(token)
        found = lookups.invitation_and_unfinished(hash_token(token), link_key)
        if found is None:
            raise SurveyLinkError("not_found")
        invitation, unfinished = found
        entry = _entry_for(_usable(invitation), token, link_key, tuple(unfinished))
        if entry.wave.slug != wave_slug or (resume_key and resume_key != entry.resume_key):
            raise SurveyLinkError("not_found")
        return entry
    wave = _wave_with_open_link(wave_slug)
    if wave is None or not isinstance(resume_key, str) or len(resume_key) < 32:
        raise SurveyLinkError("not_found")
    _check_open(wave)
    return Entry(wave=wave, token=None, resume_key=resume_key)


def current_response(entry: Entry) -> Response | None:
    """The respondent's unfinished response, if they have started one (as read with their
    link, when it was)."""
    if entry.unfinished is not None:
        return entry.unfinished[0] if entry.unfinished else None
    return _stored_response(entry)


def _stored_response(entry: Entry) -> Response | None:
    """The respondent's unfinished response, read now."""
    if entry.invitation_id is not None:
        # Confidential: any of the invitation's links (a reminder's too) finds it.
        found = lookups.partial_responses(entry.wave, invitation_id=entry.invitation_id)
    else:
        found = lookups.partial_responses(entry.wave, resume_key=entry.resume_key)
    return found[0] if found else None


def start_response(entry: Entry, *, language: str) -> Response:
    """The respondent's response, created on their first page if they have none yet."""
    _check_open(entry.wave)
    with transaction.atomic():
        if entry.token is not None:
            # Two first requests from one link (a double click) start one response, not two;
            # and a link used up since it was let in starts nothing.
            _invitation_for(entry.token, lock=True)
        existing = _stored_response(entry)  # read under the lock, not the one read before it
        if existing is not None:
            return existing
        wave = entry.wave
        stored = wave.instrument
        instrument = stored.load()
        if language not in instrument.languages:
            language = instrument.default_language
        # The core fills the form's start/today/end fields, as days, when pages are saved.
        first = flow.first_page(instrument, {}, today=_today())
        response = Response.objects.create(
            wave=wave,
            instrument=stored,
            started_on=_today(),
            updated_on=_today(),
            answers={},
            page=first or 0,
            language=language,
            resume_key=entry.resume_key,
            invitation_id=None if wave.is_anonymous else entry.invitation_id,
        )
        if not wave.is_anonymous:
            AuditEvent.record(
                actor=None,
                verb=SurveyVerb.RESPONSE_STARTED,
                obj=response,
                organization=wave.organization,
                details={"wave_id": wave.pk, "invitation_id": entry.invitation_id},
            )
    return response


def save_page(
    response: Response,
    *,
    page: int,
    revision: int,
    form: Mapping[str, list[str]],
    direction: Literal["next", "back", "save"],
) -> SaveOutcome:
    """Save one submitted page and say which page comes next.

    ``revision`` is the one the page was shown with. If the response moved on since (the
    same link open in two windows), a page other than the current one saves nothing, so an
    old window cannot overwrite newer answers; the current page is saved as usual and the
    outcome says it was stale. At the current revision any reachable page may be saved (a
    change made from the review page). "next" stays on a page with errors (keeping what validated),
    "back" keeps what validated and moves back regardless, "save" keeps what validated and
    stays.
    """
    if direction not in ("next", "back", "save"):
        raise ValueError(f"direction must be 'next', 'back' or 'save', not {direction!r}")
    today = _today()
    current = response
    while True:
        if current.status == Response.Status.COMPLETE:
            raise SurveyLinkError("used", current.wave)
        _check_open(current.wave)
        instrument = current.instrument.load()
        stale = revision != current.revision
        if stale and page != current.page:
            unchanged = PageOutcome(answers=dict(current.answers), errors=(), drafts={})
            shown = None if current.page >= len(instrument.pages) else current.page
            return SaveOutcome(current, unchanged, stale=True, next_page=shown, finished=False)
        outcome = flow.submit_page(
            instrument, page, form, current.answers, language=current.language, today=today
        )
        moved = flow.move(
            instrument,
            page=page,
            direction=direction,
            outcome=outcome,
            reached=current.page,
            today=today,
        )
        reached = moved.reached
        # Written only if nothing changed the response since it was read: no other window
        # saved a page (the revision), it was not submitted, and closing the wave did not cut
        # its key. Otherwise it is read again and the page judged against what is there now.
        # One UPDATE instead of a locked read and a write: pages are saved far more often than
        # two windows race.
        written = lookups.save_page_answers(
            current, answers=outcome.answers, page=reached, updated_on=today
        )
        if written:
            break
        current = Response.objects.for_respondents().get(pk=current.pk)
    current.answers = outcome.answers
    current.page = reached
    current.revision += 1
    current.updated_on = today
    return SaveOutcome(
        current, outcome, stale=stale, next_page=moved.target, finished=moved.finished
    )


def complete_response(response: Response, entry: Entry) -> Response:
    """Submit the response: checked complete, finalized, and its way back cut.

    Raises ``IncompleteResponse`` while required questions are unanswered. In an anonymous
    wave the invitation (found through the token the respondent holds, never through the
    response) becomes ``done`` and the response keeps no resume key.
    """
    today = _today()
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",)).for_respondents().get(pk=response.pk)
        )
        wave = locked.wave
        if locked.status == Response.Status.COMPLETE:
            return locked
        belongs = locked.wave_id == entry.wave.pk and (
            locked.resume_key == entry.resume_key
            or (entry.invitation_id is not None and locked.invitation_id == entry.invitation_id)
        )
        if not belongs:
            raise SurveyLinkError("not_found")
        _check_open(wave)
        instrument = locked.instrument.load()
        errors = flow.completion_errors(
            instrument, locked.answers, today=today, language=locked.language
        )
        if errors:
            raise IncompleteResponse(errors)
        locked.answers = flow.finalize(instrument, locked.answers, today=today)
        locked.status = Response.Status.COMPLETE
        locked.completed_on = today
        locked.updated_on = today
        locked.resume_key = None
        locked.save()
        invitation = None
        if entry.token is not None:
            invitation = lookups.invitation_by_token_hash(hash_token(entry.token), lock=True)
        elif locked.invitation_id is not None:
            invitation = Invitation.objects.select_for_update().get(pk=locked.invitation_id)
        if invitation is not None:
            invitation.status = Invitation.Status.DONE
            invitation.save(update_fields=["status"])
        if not wave.is_anonymous:
            AuditEvent.record(
                actor=None,
                verb=SurveyVerb.RESPONSE_COMPLETED,
                obj=locked,
                organization=wave.organization,
                details={"wave_id": wave.pk, "invitation_id": locked.invitation_id},
            )
    return locked


def opt_out(token: str) -> None:
    """Stop every further e-mail of this wave to the link's holder."""
    with transaction.atomic():
        invitation = _invitation_for(token, lock=True)
        member = FrameMember.objects.select_for_update().get(pk=invitation.member_id)
        member.opted_out = True
        member.save(update_fields=["opted_out"])
        AuditEvent.record(
            actor=None,
            verb=SurveyVerb.MEMBER_OPTED_OUT,
            obj=member,
            organization=invitation.wave.organization,
            details={"wave_id": invitation.wave_id},
        )


def submit_synthetic_response(
    wave: Wave,
    answers_by_page: Mapping[int, Mapping[str, str | list[str]]],
    *,
    token: str | None = None,
    language: str | None = None,
    on: date | None = None,
) -> Response:
    """Answer ``wave`` the way a respondent does, page by page (for the demo and tests).

    ``answers_by_page`` gives the submitted fields of each page by its index; pages not
    listed are submitted empty. With ``token`` the answers come through that e-mailed link.
    ``on`` answers on that day instead of today (the wave must have been open then): the
    demo replays a wave's weeks, each synthetic response on the day it was drawn for.
    """
    replayed = _ANSWERED_ON.set(on)
    try:
        return _submit_synthetic_response(wave, answers_by_page, token=token, language=language)
    finally:
        _ANSWERED_ON.reset(replayed)


def _submit_synthetic_response(
    wave: Wave,
    answers_by_page: Mapping[int, Mapping[str, str | list[str]]],
    *,
    token: str | None,
    language: str | None,
) -> Response:
    if token is not None:
        entry = enter_with_token(token)
    else:
        _check_open(wave)
        entry = Entry(wave=wave, token=None, resume_key=new_secret())
    instrument = wave.instrument.load()
    response = start_response(entry, language=language or instrument.default_language)
    for _ in range(len(instrument.pages) + 1):
        fields = answers_by_page.get(response.page, {})
        form = {
            name: list(value) if isinstance(value, list | tuple) else [value]
            for name, value in fields.items()
        }
        saved = save_page(
            response, page=response.page, revision=response.revision, form=form, direction="next"
        )
        if saved.outcome.errors:
            problems = "; ".join(f"{e.question}: {e.message}" for e in saved.outcome.errors)
            raise ValidationError(f"Page {response.page + 1} was not accepted: {problems}")
        response = saved.response
        if saved.finished:
            return complete_response(response, entry)
    raise ValidationError("The answers never reached the end of the form.")


# --- Instruments and waves --------------------------------------------------------------------


@transaction.atomic
def do_add_instrument(
    instrument: InstrumentDefinition,
    *,
    acting_user: User | None,
    workbook: bytes = b"",
    filename: str = "",
) -> Instrument:
    """Keep a core instrument (read from ``workbook`` or defined in code) as a new version.

    The same form and version imported again with identical content returns the stored one;
    different content under the same version is refused, because waves and their answers
    refer to a version and it must never change under them.
    """
    definition = instrument.to_dict()
    content = workbook or json.dumps(definition, sort_keys=True).encode()
    sha256 = hashlib.sha256(content).hexdigest()
    existing = Instrument.objects.filter(
        form_id=instrument.form_id, version=instrument.version
    ).first()
    if existing is not None:
        if existing.sha256 == sha256:
            return existing
        raise ValidationError(
            f"{filename or instrument.form_id}: form '{instrument.form_id}' version "
            f"'{instrument.version}' was already imported with different content on "
            f"{existing.imported_at:%-d %B %Y}; give the new form another version in its "
            "settings sheet."
        )
    stored = Instrument.objects.create(
        form_id=instrument.form_id,
        version=instrument.version,
        title=instrument.title or instrument.form_id,
        filename=filename,
        sha256=sha256,
        xlsform=workbook,
        definition=definition,
        imported_by=acting_user if acting_user is not None else None,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.INSTRUMENT_IMPORTED,
        obj=stored,
        details={
            "form_id": stored.form_id,
            "version": stored.version,
            "sha256": sha256,
            "filename": filename,
            "questions": len(instrument.questions),
        },
    )
    return stored


def do_import_instrument(workbook: bytes, *, filename: str, acting_user: User | None) -> Instrument:
    """Read an XLSForm workbook and keep it; every problem of the form in one ValidationError."""
    from workforce.survey.xlsform import InstrumentError, read_xlsform

    try:
        instrument = read_xlsform(workbook, name=filename)
    except InstrumentError as error:
        raise ValidationError([str(problem) for problem in error.problems] or str(error)) from None
    return do_add_instrument(
        instrument, acting_user=acting_user, workbook=workbook, filename=filename
    )


def _check_wave_fields(
    slug: str, opens_on: date, closes_on: date, mode: str, wave: Wave | None = None
) -> None:
    problems = {}
    if slug != slugify(slug) or not slug:
        problems["slug"] = (
            f"{slug!r} cannot be part of an address; use lower-case letters, digits and "
            f"hyphens, e.g. {slugify(slug) or 'climate-2025'!r}."
        )
    elif slug in RESERVED_SLUGS:
        problems["slug"] = f"{slug!r} is used by the survey pages themselves; choose another."
    elif Wave.objects.filter(slug=slug).exclude(pk=wave.pk if wave else None).exists():
        problems["slug"] = f"There is already a wave with the address {slug!r}."
    if closes_on < opens_on:
        problems["closes_on"] = (
            f"The wave would close ({closes_on:%-d %B %Y}) before it opens ({opens_on:%-d %B %Y})."
        )
    if mode not in Wave.Mode.values:
        problems["mode"] = f"{mode!r} is not a mode; use 'anonymous' or 'confidential'."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def do_create_wave(
    organization: Organization,
    *,
    name: str,
    slug: str,
    instrument: Instrument,
    mode: str,
    opens_on: date,
    closes_on: date,
    consent_text: str,
    contact_email: str = "",
    year: int | None = None,
    invitation_note: str = "",
    reminder_note: str = "",
    acting_user: User | None,
) -> Wave:
    """A draft wave of ``organization``; nobody can answer it until it is opened."""
    _check_wave_fields(slug, opens_on, closes_on, mode)
    wave = Wave(
        organization=organization,
        name=name.strip(),
        slug=slug,
        instrument=instrument,
        mode=mode,
        opens_on=opens_on,
        closes_on=closes_on,
        consent_text=consent_text.strip(),
        contact_email=contact_email.strip(),
        year=year or opens_on.year,
        invitation_note=invitation_note.strip(),
        reminder_note=reminder_note.strip(),
        created_by=acting_user,
    )
    wave.full_clean()
    wave.save()
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.WAVE_CREATED,
        obj=wave,
        organization=organization,
        details={
            "slug": slug,
            "mode": mode,
            "instrument_id": instrument.pk,
            "opens_on": opens_on,
            "closes_on": closes_on,
        },
    )
    return wave


# A wave's settings as staff call them.
SETTING_LABELS = {
    "name": "name",
    "instrument": "questionnaire",
    "mode": "mode",
    "opens_on": "opening date",
    "closes_on": "closing date",
    "consent_text": "consent text",
    "contact_email": "contact address",
    "year": "year",
    "invitation_note": "invitation's note",
    "reminder_note": "reminder's note",
}
CHANGEABLE = tuple(SETTING_LABELS)
# What each setting means to members once the wave has opened, and so why it stays.
FROZEN_ONCE_OPEN = {
    "instrument": "answers already given refer to its questions; create a new wave instead",
    "mode": "members answered on the promise it made; create a new wave instead",
    "consent_text": "members have agreed to it as it reads",
    "opens_on": "the wave has opened",
}
FROZEN_ONCE_CLOSED = {
    "closes_on": "the wave has closed, and its dates are its record",
    "contact_email": "the wave has closed and sends no more e-mail",
    "invitation_note": "the wave has closed and sends no more e-mail",
    "reminder_note": "the wave has closed and sends no more e-mail",
}


def _changed_settings(wave: Wave, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in ``changes`` that differ from ``wave``'s, text stripped as stored."""
    stripped = {
        name: value.strip() if isinstance(value, str) else value for name, value in changes.items()
    }
    return {name: value for name, value in stripped.items() if value != getattr(wave, name)}


def settings_changing(wave: Wave, changes: Mapping[str, Any]) -> str:
    """What of ``wave`` ``changes`` would change, as staff read it ("" for nothing):
    ``closing date``, ``name and year``, ``questionnaire, mode and year``."""
    words = [SETTING_LABELS[name] for name in _changed_settings(wave, changes)]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def frozen_settings(wave: Wave) -> dict[str, str]:
    """The settings of ``wave`` that can no longer change, each with the reason why."""
    if wave.status == Wave.Status.DRAFT:
        return {}
    frozen = dict(FROZEN_ONCE_OPEN)
    if wave.status == Wave.Status.CLOSED:
        frozen |= FROZEN_ONCE_CLOSED
    return frozen


@transaction.atomic
def do_change_wave(wave: Wave, *, acting_user: User | None, **changes: Any) -> Wave:
    """Change a wave's settings: all of them while it is a draft, fewer once it opens.

    An open wave can still be renamed, point members to another address, or stay open
    longer (or, while its closing day is ahead, close sooner); what members have seen and
    agreed to stays as it was (`frozen_settings`). Settings given with their current value
    are no change and are allowed whatever the status, so a form can post all of them.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationError(f"These wave settings do not exist: {', '.join(sorted(unknown))}")
    changes = _changed_settings(wave, changes)
    if not changes:
        return wave
    frozen = frozen_settings(wave)
    refused = {
        name: f"The {SETTING_LABELS[name]} can no longer change: {frozen[name]}."
        for name in changes
        if name in frozen
    }
    if refused:
        raise ValidationError(refused)
    if "closes_on" in changes:
        _check_closing_day(wave, changes["closes_on"])
    before = {name: getattr(wave, name) for name in changes}
    for name, value in changes.items():
        setattr(wave, name, value)
    _check_wave_fields(wave.slug, wave.opens_on, wave.closes_on, wave.mode, wave)
    wave.full_clean()
    wave.save(update_fields=list(changes))
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.WAVE_CHANGED,
        obj=wave,
        organization=wave.organization,
        details={
            "changed": {
                name: {"from": _audited(before[name]), "to": _audited(getattr(wave, name))}
                for name in changes
            }
        },
    )
    return wave


def _check_closing_day(wave: Wave, closes_on: date) -> None:
    """An open wave closes today at the soonest, and never before reminders planned for it."""
    if wave.status == Wave.Status.OPEN and closes_on < _today():
        raise ValidationError(
            {
                "closes_on": f"{closes_on:%-d %B %Y} has passed; to stop the wave taking "
                "answers, close it."
            }
        )
    stranded = [
        f"{mailing.send_after:%-d %B}"
        for mailing in wave.mailings.planned().filter(send_after__date__gt=closes_on)
    ]
    if stranded:
        raise ValidationError(
            {
                "closes_on": f"Reminders are planned on {', '.join(stranded)}, after "
                f"{closes_on:%-d %B %Y}; cancel them first, or close later."
            }
        )


def _audited(value: Any) -> str:
    """A setting as the audit log keeps it: an instrument by its form and version."""
    if isinstance(value, Instrument):
        return f"{value.form_id} version {value.version}"
    return str(value)


@transaction.atomic
def do_open_wave(wave: Wave, *, acting_user: User | None) -> Wave:
    """Open a draft wave: from now on its instrument and mode are fixed."""
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status != Wave.Status.DRAFT:
        raise ValidationError(f"{wave.name} is {wave.get_status_display().lower()}, not a draft.")
    if wave.closes_on < _today():
        raise ValidationError(
            f"{wave.name} would close on {wave.closes_on:%-d %B %Y}, which has passed; "
            "move its closing date first."
        )
    wave.status = Wave.Status.OPEN
    wave.save(update_fields=["status"])
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.WAVE_OPENED,
        obj=wave,
        organization=wave.organization,
        details={"instrument_id": wave.instrument_id, "mode": wave.mode},
    )
    return wave


@transaction.atomic
def do_close_wave(wave: Wave, *, acting_user: User | None) -> Wave:
    """Close a wave. Unfinished responses lose their resume keys: nobody can come back."""
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status == Wave.Status.CLOSED:
        raise ValidationError(f"{wave.name} is already closed.")
    wave.status = Wave.Status.CLOSED
    wave.save(update_fields=["status"])
    unfinished = wave.responses.filter(status=Response.Status.PARTIAL).update(resume_key=None)
    # Reminders planned for later would carry links that no longer work.
    cancelled = wave.mailings.planned().update(
        status=Mailing.Status.CANCELLED,
        finished_at=timezone.now(),
        error="The wave closed before their day.",
    )
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.WAVE_CLOSED,
        obj=wave,
        organization=wave.organization,
        details={"unfinished_responses": unfinished, "scheduled_mailings_cancelled": cancelled},
    )
    return wave


@transaction.atomic
def do_create_open_link(wave: Wave, *, acting_user: User | None) -> str:
    """A link anyone may answer an anonymous wave through; the key is shown once, then hashed.

    A new link replaces the previous one, which stops working.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if not wave.is_anonymous:
        raise ValidationError(
            f"{wave.name} is confidential: every answer must come from an invited member, "
            "so it cannot have an open link."
        )
    key = new_secret()
    wave.open_link_hash = hash_token(key)
    wave.save(update_fields=["open_link_hash"])
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.OPEN_LINK_CREATED,
        obj=wave,
        organization=wave.organization,
    )
    return key


# --- The frame --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameProblem:
    """A row of a frame file that was not loaded, and why."""

    filename: str
    row: int
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.filename}, row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            return f"{where}: {self.value!r} {self.reason}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class FrameLoad:
    """What ``do_load_frame`` did: members added, and every row it could not take."""

    added: int
    problems: list[FrameProblem] = field(default_factory=list)


FRAME_COLUMNS = ("member_id", "email")


def _read_frame(content: bytes | str, filename: str) -> tuple[list[str], list[list[str]]]:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            row = content.count(b"\n", 0, error.start) + 1
            column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
            raise ValidationError(
                f"{filename}, row {row}: character {column} ({content[error.start]:#04x}) is "
                "not UTF-8 text; save the file as 'CSV UTF-8' and upload it again."
            ) from None
    rows = list(csv.reader(io.StringIO(content)))
    if not rows:
        raise ValidationError(f"{filename}: the file is empty; it needs a header row.")
    header = [name.strip() for name in rows[0]]
    keys = [name.lower() for name in header]
    missing = [name for name in FRAME_COLUMNS if name not in keys]
    if missing:
        raise ValidationError(
            f"{filename}: the header has no {' or '.join(repr(m) for m in missing)} column; a "
            f"frame needs 'member_id' and 'email' (found: {', '.join(map(repr, header))})."
        )
    repeated = sorted({name for name in keys if name and keys.count(name) > 1})
    if repeated:
        raise ValidationError(
            f"{filename}: the header names {', '.join(map(repr, repeated))} more than once."
        )
    return keys, rows[1:]


@transaction.atomic
def do_load_frame(
    wave: Wave, content: bytes | str, *, filename: str, acting_user: User | None
) -> FrameLoad:
    """Add the members of a CSV file (``member_id``, ``email``, attribute columns) to the frame.

    Every good row is added, with a pending invitation; every other row is returned as a
    problem naming its row, column and value, and nothing already in the frame changes.
    Other columns (society, career_stage, sector…) are kept as the member's attributes.
    """
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status == Wave.Status.CLOSED:
        raise ValidationError(f"{wave.name} is closed; its frame can no longer change.")
    keys, rows = _read_frame(content, filename)
    seen_ids = dict.fromkeys(wave.frame.values_list("member_id", flat=True), 0)
    seen_emails = dict.fromkeys(wave.frame.values_list("email", flat=True), 0)
    problems: list[FrameProblem] = []
    members: list[FrameMember] = []
    for number, values in enumerate(rows, start=2):  # row 1 is the header
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(keys):
            problems.append(
                FrameProblem(
                    filename,
                    number,
                    None,
                    None,
                    f"has {len(values)} values but the header has {len(keys)} columns",
                )
            )
            continue
        row = {key: value.strip() for key, value in zip(keys, values, strict=True)}
        member_id, email = row["member_id"], normalize_email(row["email"])
        row_problems = []
        if not member_id:
            row_problems.append(FrameProblem(filename, number, "member_id", "", "is empty"))
        elif member_id in seen_ids:
            where = f"row {seen_ids[member_id]}" if seen_ids[member_id] else "the frame"
            row_problems.append(
                FrameProblem(filename, number, "member_id", member_id, f"is already in {where}")
            )
        try:
            validate_email(email)
        except ValidationError:
            row_problems.append(
                FrameProblem(filename, number, "email", row["email"], "is not an e-mail address")
            )
        else:
            if email in seen_emails:
                where = f"row {seen_emails[email]}" if seen_emails[email] else "the frame"
                row_problems.append(
                    FrameProblem(filename, number, "email", row["email"], f"is already in {where}")
                )
        if row_problems:
            problems.extend(row_problems)
            continue
        seen_ids[member_id] = number
        seen_emails[email] = number
        attributes = {
            key: value for key, value in row.items() if key not in FRAME_COLUMNS and key and value
        }
        members.append(
            FrameMember(wave=wave, member_id=member_id, email=email, attributes=attributes)
        )
    created = FrameMember.objects.bulk_create(members, batch_size=500)
    Invitation.objects.bulk_create(
        [Invitation(wave=wave, member=member) for member in created], batch_size=500
    )
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.FRAME_LOADED,
        obj=wave,
        organization=wave.organization,
        details={
            "filename": filename,
            "added": len(created),
            "problems": len(problems),
            # Row and column only: the values may be e-mail addresses.
            "first_problems": [
                {"row": p.row, "column": p.column, "reason": p.reason}
                for p in problems[:AUDITED_PROBLEMS]
            ],
        },
    )
    return FrameLoad(added=len(created), problems=problems)


# --- Sending ----------------------------------------------------------------------------------


def invitations_to_send(wave: Wave):
    """Members not invited yet (and not opted out)."""
    return wave.invitations.filter(
        status=Invitation.Status.PENDING, member__opted_out=False
    ).order_by("pk")


def invitations_to_remind(wave: Wave):
    """Invited members who have not finished, whose address works and who did not opt out."""
    return wave.invitations.filter(
        status__in=(Invitation.Status.SENT, Invitation.Status.STARTED),
        member__opted_out=False,
    ).order_by("pk")


def _queue_mailing(wave: Wave, kind: str, acting_user: User | None) -> Mailing:
    from workforce.platform.surveys.tasks import send_mailing

    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != Wave.Status.OPEN:
            raise ValidationError(
                f"{wave.name} is {wave.get_status_display().lower()}: e-mails go out only "
                "while a wave is open, so that every link works."
            )
        if wave.mailings.filter(status__in=Mailing.IN_PROGRESS).exists():
            raise ValidationError(
                f"A mailing of {wave.name} is still going out; wait until it has finished."
            )
        invitations = (
            invitations_to_send(wave)
            if kind == Mailing.Kind.INVITATIONS
            else invitations_to_remind(wave)
        )
        total = invitations.count()
        if total == 0:
            nobody = (
                "Every member of the frame has been invited already."
                if kind == Mailing.Kind.INVITATIONS
                else "Nobody is waiting for a reminder: everyone has finished, opted out, "
                "or has an address that does not work."
            )
            raise ValidationError(nobody)
        mailing = Mailing.objects.create(wave=wave, kind=kind, total=total, created_by=acting_user)
        AuditEvent.record(
            actor=acting_user,
            verb=SurveyVerb.INVITATIONS_QUEUED
            if kind == Mailing.Kind.INVITATIONS
            else SurveyVerb.REMINDERS_QUEUED,
            obj=mailing,
            organization=wave.organization,
            details={"wave_id": wave.pk, "total": total},
        )
    # Enqueued after the rows are committed, so a worker never looks for a missing mailing.
    send_mailing.enqueue(mailing.pk)
    mailing.refresh_from_db()
    return mailing


def do_send_invitations(wave: Wave, *, acting_user: User | None) -> Mailing:
    """Queue invitations to every member not invited yet; a task sends them in batches."""
    return _queue_mailing(wave, Mailing.Kind.INVITATIONS, acting_user)


def do_send_test_message(
    wave: Wave, *, reminder: bool, acting_user: User | None, to: str | None = None
) -> str:
    """Send the invitation (or the reminder) as members get it to one address: ``to``, or
    the acting person's own.

    To read it in a real mail program, and to see the mail server take it, before thousands
    go out. The subject starts "[Test]"; where each member's own link goes the message has
    the preview's placeholder, which opens no survey. Returns the address it went to.
    """
    import smtplib

    from workforce.platform.surveys.mail import PREVIEW_TOKEN, survey_message

    address = normalize_email(to) if to else acting_user.email if acting_user else ""
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(f"{address!r} is not an e-mail address.") from None
    stand_in = Invitation(wave=wave, member=FrameMember(wave=wave, email=address))
    message = survey_message(stand_in, PREVIEW_TOKEN, reminder=reminder)
    message.subject = f"[Test] {message.subject}"
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise ValidationError(
            f"The mail server did not take the test message to {address}: {error}"
        ) from None
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.TEST_MESSAGE_SENT,
        obj=wave,
        organization=wave.organization,
        details={"wave_id": wave.pk, "kind": "reminder" if reminder else "invitation"},
    )
    return address


def do_send_reminders(wave: Wave, *, acting_user: User | None) -> Mailing:
    """Queue reminders (each with a fresh link) to invited members who have not finished."""
    return _queue_mailing(wave, Mailing.Kind.REMINDERS, acting_user)


# Scheduled reminders go out at the start of the working day, where the platform is.
SCHEDULED_HOUR = 9


def can_schedule() -> bool:
    """Whether mailings can wait for their day: only with a task worker that keeps them.

    With tasks run at once (the command line, the demo, a one-machine setup) there is no
    process to send them later.
    """
    from workforce.platform.surveys.tasks import send_mailing

    return send_mailing.get_backend().supports_defer


def do_schedule_reminders(wave: Wave, *, on: date, acting_user: User | None) -> Mailing:
    """Reminders to go out on ``on`` to the members who have not finished by then.

    Who gets one is decided on the day: a member who answers in the meantime is not
    reminded. A draft's reminders can be planned before it opens; on the day the wave must
    be open, or they are cancelled.
    """
    from workforce.platform.surveys.tasks import send_mailing

    if not can_schedule():
        raise ValidationError(
            "Reminders can be scheduled only where the task worker runs (`workforce manage "
            "db_worker`, with the database queue); here e-mails go out at once."
        )
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status == Wave.Status.CLOSED:
            raise ValidationError(f"{wave.name} is closed: it sends no more e-mail.")
        if on <= _today():
            raise ValidationError(
                {"on": f"{on:%-d %B %Y} is not ahead; to remind members today, send now."}
            )
        if not wave.opens_on <= on <= wave.closes_on:
            raise ValidationError(
                {
                    "on": f"{wave.name} is open from {wave.opens_on:%-d %B} to "
                    f"{wave.closes_on:%-d %B %Y}; a reminder on {on:%-d %B %Y} would carry "
                    "links that do not work."
                }
            )
        send_after = timezone.make_aware(
            datetime.combine(on, time(SCHEDULED_HOUR)), timezone.get_current_timezone()
        )
        if wave.mailings.planned().filter(send_after__date=on).exists():
            raise ValidationError({"on": f"Reminders are already scheduled on {on:%-d %B %Y}."})
        mailing = Mailing.objects.create(
            wave=wave,
            kind=Mailing.Kind.REMINDERS,
            status=Mailing.Status.SCHEDULED,
            send_after=send_after,
            created_by=acting_user,
        )
        AuditEvent.record(
            actor=acting_user,
            verb=SurveyVerb.REMINDERS_SCHEDULED,
            obj=mailing,
            organization=wave.organization,
            details={"wave_id": wave.pk, "send_after": send_after.isoformat()},
        )
    send_mailing.using(run_after=send_after).enqueue(mailing.pk)
    return mailing


@transaction.atomic
def do_cancel_mailing(mailing: Mailing, *, acting_user: User | None) -> Mailing:
    """Cancel a scheduled mailing before it goes out."""
    mailing = Mailing.objects.select_for_update().select_related("wave").get(pk=mailing.pk)
    if mailing.status != Mailing.Status.SCHEDULED:
        raise ValidationError(
            f"These {mailing.get_kind_display().lower()} are "
            f"{mailing.get_status_display().lower()}, not waiting for their day."
        )
    mailing.status = Mailing.Status.CANCELLED
    mailing.finished_at = timezone.now()
    mailing.save(update_fields=["status", "finished_at"])
    AuditEvent.record(
        actor=acting_user,
        verb=SurveyVerb.MAILING_CANCELLED,
        obj=mailing,
        organization=mailing.wave.organization,
        details={"wave_id": mailing.wave_id, "send_after": mailing.send_after.isoformat()},
    )
    return mailing


@transaction.atomic
def do_record_bounce(
    email: str, *, acting_user: User | None = None, wave: Wave | None = None
) -> int:
    """Mark the unfinished invitations to ``email`` bounced, in every wave still running
    (only in ``wave`` when given).

    For bounces the mail server reports after it accepted the message. Returns how many
    invitations changed.
    """
    address = normalize_email(email)
    invitations = Invitation.objects.select_for_update().select_related("wave__organization")
    if wave is not None:
        invitations = invitations.filter(wave=wave)
    invitations = list(
        invitations.filter(
            member__email=address,
            wave__status__in=(Wave.Status.DRAFT, Wave.Status.OPEN),
            status__in=(Invitation.Status.PENDING, Invitation.Status.SENT),
        )
    )
    for invitation in invitations:
        invitation.status = Invitation.Status.BOUNCED
        invitation.save(update_fields=["status"])
        AuditEvent.record(
            actor=acting_user,
            verb=SurveyVerb.BOUNCE_RECORDED,
            obj=invitation,
            organization=invitation.wave.organization,
            details={"wave_id": invitation.wave_id},
        )
    return len(invitations)


@dataclass(frozen=True)
class BouncesRecorded:
    """What recording a file's bounces did: how many invitations each address marked."""

    marked: dict[str, int]

    @property
    def invitations(self) -> int:
        return sum(self.marked.values())

    @property
    def unmatched(self) -> list[str]:
        """Addresses with no unfinished invitation to mark (already answered, or not invited)."""
        return [address for address, count in self.marked.items() if count == 0]


@transaction.atomic
def do_record_bounces(
    addresses: list[str], *, acting_user: User | None = None, wave: Wave | None = None
) -> BouncesRecorded:
    """`do_record_bounce` for every address of one file, all of them or none."""
    return BouncesRecorded(
        {
            address: do_record_bounce(address, acting_user=acting_user, wave=wave)
            for address in addresses
        }
    )


# --- Exports ----------------------------------------------------------------------------------


def do_export_responses(wave: Wave, format: str, *, acting_user: User | None) -> Export:
    """Queue a file of the wave's responses; a task writes it under the data directory.

    Member ids are included only for a confidential wave and a person allowed to see who
    answered what; an anonymous wave's export has nothing that names an invitation or a person.
    """
    from workforce.platform.surveys.tasks import write_export

    if format not in Export.Format.values:
        raise ValidationError(
            f"{format!r} is not an export format; use one of {', '.join(Export.Format.values)}."
        )
    identified = (
        not wave.is_anonymous
        and format != Export.Format.RECORDS
        and acting_user is not None
        and can(acting_user, Action.VIEW_IDENTIFIED_RESPONSES, wave.organization)
    )
    with transaction.atomic():
        export = Export.objects.create(
            wave=wave, format=format, identified=identified, created_by=acting_user
        )
        AuditEvent.record(
            actor=acting_user,
            verb=SurveyVerb.EXPORT_REQUESTED,
            obj=export,
            organization=wave.organization,
            details={"wave_id": wave.pk, "format": format, "identified": identified},
        )
    write_export.enqueue(export.pk)
    export.refresh_from_db()
    return export
