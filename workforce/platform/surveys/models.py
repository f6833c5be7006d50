"""Instruments, waves, the frame of invited members, invitations, responses and exports.

Anonymity is a property of the schema, not of good intentions: in an anonymous wave a
``Response`` has no column that leads back to an ``Invitation``, an ``InvitationToken`` or a
``FrameMember``. Its key is a random UUID (a sequence would tell which invitation answered
last), it carries dates but never a time of day, and the only way back to it is
``resume_key``, an HMAC of the respondent's link that the server cannot recompute from what
it stores (tokens are kept as SHA-256 hashes only) and that is cleared on completion.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from workforce.survey.instrument import Instrument as InstrumentDefinition


def new_secret() -> str:
    """256 random bits, URL-safe: an e-mailed link, an open-link key or a resume secret."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored for a link: its SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def resume_key_for(token: str) -> str:
    """The key a response started from ``token`` is found by.

    An HMAC under the secret key rather than the token's plain hash: the stored token hashes
    must not lead to a response, and without the token itself this cannot be recomputed.
    """
    message = f"resume:{token}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


class Instrument(models.Model):
    """One version of a questionnaire, frozen as read from its XLSForm."""

    form_id = models.CharField(max_length=100)
    version = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    filename = models.CharField(max_length=255, blank=True)
    # Of the workbook's bytes; for an instrument defined in code, of its JSON definition.
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    xlsform = models.BinaryField(blank=True, help_text="The workbook exactly as imported.")
    definition = models.JSONField(help_text="workforce.survey.instrument.Instrument.to_dict()")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["form_id", "-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["form_id", "version"], name="one_instrument_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.form_id} v{self.version})"

    def load(self) -> InstrumentDefinition:
        """The core instrument every page of a response is checked against.

        A stored version never changes, so each process reads its definition once (keyed by
        id and checksum) instead of on every page a respondent submits; queries on the
        respondent's path leave the definition and workbook out (`INSTRUMENT_BULK`).
        """
        key = (self.pk, self.sha256)
        loaded = _LOADED_INSTRUMENTS.get(key) if self.pk is not None else None
        if loaded is None:
            loaded = InstrumentDefinition.from_dict(self.definition)
            if self.pk is not None:
                if len(_LOADED_INSTRUMENTS) >= LOADED_INSTRUMENTS_KEPT:
                    _LOADED_INSTRUMENTS.pop(next(iter(_LOADED_INSTRUMENTS)))
                _LOADED_INSTRUMENTS[key] = loaded
        return loaded


# Parsed instrument definitions by (id, checksum), oldest dropped first.
_LOADED_INSTRUMENTS: dict[tuple[int, str], InstrumentDefinition] = {}
LOADED_INSTRUMENTS_KEPT = 32
# An instrument's bulk (definition JSON, workbook), left out of the rows a respondent's pages
# read: `load()` keeps the parsed definition per process. The fields, and the paths to them
# from a model with an `instrument` key.
INSTRUMENT_BULK = ("definition", "xlsform")
INSTRUMENT_BULK_PATHS = tuple(f"instrument__{name}" for name in INSTRUMENT_BULK)


class WaveQuerySet(models.QuerySet):
    def for_respondents(self) -> WaveQuerySet:
        """With what every respondent page names: the organization and the instrument, the
        instrument without its bulk."""
        return self.select_related("organization", "instrument").defer(*INSTRUMENT_BULK_PATHS)


class ResponseQuerySet(models.QuerySet):
    def for_respondents(self) -> ResponseQuerySet:
        """With the wave and the instrument a page is checked against, without its bulk."""
        return self.select_related("wave", "instrument").defer(*INSTRUMENT_BULK_PATHS)


# A note in an e-mail is a few short paragraphs, not a newsletter.
NOTE_MAX_CHARACTERS = 2000


class Wave(models.Model):
    """One round of a survey: an instrument sent to a frame of members between two dates."""

    class Mode(models.TextChoices):
        ANONYMOUS = "anonymous", "Anonymous"
        CONFIDENTIAL = "confidential", "Confidential"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="waves"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Part of the address respondents open."
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="waves")
    mode = models.CharField(max_length=20, choices=Mode, default=Mode.ANONYMOUS)
    opens_on = models.DateField()
    closes_on = models.DateField()
    consent_text = models.TextField()
    contact_email = models.EmailField(
        blank=True, help_text="Whom respondents write to with questions about the survey."
    )
    year = models.PositiveIntegerField(help_text="The year the standard records describe.")
    # A society's own words at the top of its e-mails: who asks, and why it matters to them.
    # Members answer a request from their society's leaders more than one from a platform.
    invitation_note = models.TextField(
        blank=True, validators=[MaxLengthValidator(NOTE_MAX_CHARACTERS)]
    )
    reminder_note = models.TextField(
        blank=True, validators=[MaxLengthValidator(NOTE_MAX_CHARACTERS)]
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    # SHA-256 of the key of the open link (/survey/<slug>/open/<key>/), when it has one.
    open_link_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WaveQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="wave_closes_after_it_opens",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_anonymous(self) -> bool:
        return self.mode == self.Mode.ANONYMOUS


class FrameMember(models.Model):
    """A member the wave may invite, with the attributes monitoring groups them by."""

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="frame")
    member_id = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, db_index=True)
    # society, career_stage, sector… as the membership records give them.
    attributes = models.JSONField(default=dict, blank=True)
    opted_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["wave", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "member_id"], name="one_member_id_per_wave"),
            models.UniqueConstraint(fields=["wave", "email"], name="one_email_per_wave"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.wave}"


class Invitation(models.Model):
    """Whether and when a frame member was asked, reminded, and how far they got."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENT = "sent", "Sent"
        STARTED = "started", "Started"
        DONE = "done", "Done"
        BOUNCED = "bounced", "Bounced"

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="invitations")
    member = models.OneToOneField(FrameMember, on_delete=models.PROTECT, related_name="invitation")
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    sent_on = models.DateField(null=True, blank=True)
    reminders = models.PositiveIntegerField(default=0)
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["wave", "id"]
        indexes = [models.Index(fields=["wave", "status"])]

    def __str__(self) -> str:
        return f"Invitation of {self.member.member_id} ({self.get_status_display()})"


class InvitationToken(models.Model):
    """The SHA-256 of one e-mailed link; the link itself is never stored."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"Link of invitation {self.invitation_id}"


def _today():
    return timezone.localdate()


class Response(models.Model):
    """One respondent's answers, saved page by page.

    No ``auto_now`` timestamps: a time of day stored next to an anonymous response could be
    matched to the moment an invitation link was opened.
    """

    class Status(models.TextChoices):
        PARTIAL = "partial", "Partial"
        COMPLETE = "complete", "Complete"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict, blank=True)
    page = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=0, help_text="+1 for every saved page.")
    status = models.CharField(max_length=20, choices=Status, default=Status.PARTIAL)
    language = models.CharField(max_length=50)
    started_on = models.DateField(default=_today)
    updated_on = models.DateField(default=_today)
    completed_on = models.DateField(null=True, blank=True)
    # HMAC of the respondent's link (or of an open-link respondent's secret); cleared once
    # the response is complete, so a finished anonymous response leads nowhere. NULL, not "",
    # so that "no way back" can never be mistaken for a key.
    resume_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, db_index=True
    )
    # Confidential waves only; always NULL in an anonymous wave.
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        # Ordered by a random key on purpose: no listing reveals the order of arrival.
        ordering = ["wave", "id"]
        indexes = [models.Index(fields=["wave", "status"])]

    def __str__(self) -> str:
        return f"Response to {self.wave} ({self.get_status_display()})"


# A worker takes a due task within seconds; a mailing still waiting this long after its time
# has none running (a scheduled one put off behind another mailing waits five minutes).
WORKER_GRACE = datetime.timedelta(minutes=10)


class MailingQuerySet(models.QuerySet):
    def planned(self) -> MailingQuerySet:
        """Mailings waiting for their day (scheduled), the soonest first."""
        return self.filter(status=Mailing.Status.SCHEDULED).order_by("send_after")

    def with_went_out(self) -> MailingQuerySet:
        """Each annotated with ``went_out``, as `Mailing.went_out` gives it for one."""
        return self.annotate(went_out=Coalesce("send_after", "created_at"))


class Mailing(models.Model):
    """One run of invitations or reminders for a wave, and how far it has got."""

    class Kind(models.TextChoices):
        INVITATIONS = "invitations", "Invitations"
        REMINDERS = "reminders", "Reminders"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Going out now: one at a time per wave, or a member could be reminded twice.
    IN_PROGRESS = (Status.QUEUED, Status.SENDING)

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="mailings")
    kind = models.CharField(max_length=20, choices=Kind)
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0, help_text="Addresses the server refused.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When a scheduled mailing goes out; members are chosen then, not when it was scheduled.
    send_after = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = MailingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.wave} ({self.get_status_display()})"

    @property
    def went_out(self) -> datetime.datetime:
        """When it went out (or goes out): its scheduled time, else when it was queued."""
        return self.send_after or self.created_at

    @property
    def waiting_for_worker(self) -> bool:
        """Whether it is still waiting well after its time: no task worker is sending it."""
        waiting = self.status in (self.Status.QUEUED, self.Status.SCHEDULED)
        return waiting and timezone.now() - self.went_out > WORKER_GRACE

    @property
    def active(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def percent(self) -> int:
        return round(100 * (self.sent + self.failed) / self.total) if self.total else 100


class Export(models.Model):
    """A file of a wave's responses written in the background for staff and analysts."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel workbook"
        SAV = "sav", "SPSS (.sav)"
        DTA = "dta", "Stata (.dta)"
        RECORDS = "records", "Standard records (CSV)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="exports")
    format = models.CharField(max_length=20, choices=Format)
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    # Whether the file carries member ids (confidential waves, for those allowed to see them).
    identified = models.BooleanField(default=False)
    # Relative to settings.WORKFORCE_DATA_DIR, so the data directory can move.
    path = models.CharField(max_length=500, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.wave}"

    @property
    def file(self) -> Path:
        return Path(settings.WORKFORCE_DATA_DIR) / self.path

    @property
    def filename(self) -> str:
        return Path(self.path).name
