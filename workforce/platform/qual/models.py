"""Focus-group projects on the platform: the core's ``QualProject`` kept in tables.

A project belongs to one organization and has a lead and coders (platform users, each known
in the core project by a coder name). Its participants and each source's turns are JSON, as
the core holds them; sources, codebook versions, codings and memos are rows, because they
are looked up, listed and changed one at a time. ``workforce.platform.qual.convert`` turns
a project into the core's ``QualProject`` and back, so the core's agreement and REFI-QDA
exchange work on platform data.

Offsets are the core's: Unicode code points of the source's text, end exclusive (see
``workforce.qual.codings``). The text coders see is the de-identified text; the original
wording and its replacements sit in ``SourceOriginal``, a table of its own that only the
project's lead is shown (see ``permissions.ProjectRights.may_see_originals``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from workforce.qual.project import OPEN_TEXT, TRANSCRIPT


class QualitativeProject(models.Model):
    """A set of focus-group transcripts (or open-text answers) coded against one codebook."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="qual_projects"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_qual_projects"
    )
    # The lead's name in the core project (what `.qdpx` files and project.json carry).
    lead_name = models.CharField(max_length=200)
    coders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectCoder", related_name="qual_projects"
    )
    blind = models.BooleanField(
        default=True,
        help_text="Coders see only their own codings until the lead unblinds the project.",
    )
    # [{"id", "group", "attributes", "response"}, ...] in the core's order.
    participants = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="qual_project_name_unique_in_org"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_codebook(self) -> CodebookVersion | None:
        return self.codebook_versions.order_by("-number").first()


class ProjectCoder(models.Model):
    """A user who codes a project, and the name they have in the core project."""

    project = models.ForeignKey(QualitativeProject, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)  # the core project's order of coders

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="qual_coder_once"),
            models.UniqueConstraint(fields=["project", "name"], name="qual_coder_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user}) in {self.project}"


class Source(models.Model):
    """A transcript or a set of open-text answers; ``text`` is what coders read."""

    class Kind(models.TextChoices):
        TRANSCRIPT = TRANSCRIPT, "Transcript"
        OPEN_TEXT = OPEN_TEXT, "Open-text answers"

    project = models.ForeignKey(
        QualitativeProject, on_delete=models.CASCADE, related_name="sources"
    )
    key = models.CharField("source id", max_length=300)  # the core's Source.id
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.TRANSCRIPT)
    group = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=300, blank=True)
    deidentified = models.BooleanField(default=False)
    # [{"participant", "speaker", "start", "end", "begin_seconds", "end_seconds"}, ...]
    turns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="qual_source_key_unique")
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def length(self) -> int:
        """In code points, the unit of every offset (Python's ``len`` of a ``str``)."""
        return len(self.text)


class SourceOriginal(models.Model):
    """A de-identified source's original wording and what replaced what: for the lead only.

    Kept apart from ``Source`` so that no query for the coded text ever carries it along.
    """

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="original")
    text = models.TextField()
    replacements = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Original of {self.source}"


class CodebookVersion(models.Model):
    """The codebook as saved at one moment. A version is never edited: a change is a new one."""

    project = models.ForeignKey(
        QualitativeProject, on_delete=models.CASCADE, related_name="codebook_versions"
    )
    number = models.PositiveIntegerField()
    # [{"id", "name", "parent", "description", "examples", "color", "codable"}, ...], parents
    # before their children, as the core checks.
    codes = models.JSONField(default=list)
    saved = models.CharField(max_length=40, blank=True)  # ISO date-time, as the core keeps it
    author = models.CharField(max_length=200, blank=True)  # a coder or lead name
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="qual_codebook_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} codebook v{self.number}"

    def code(self, code_id: str) -> dict | None:
        return next((code for code in self.codes if code["id"] == code_id), None)


class Coding(models.Model):
    """A coder applied a code to characters ``start``–``end`` (end exclusive) of a source."""

    project = models.ForeignKey(
        QualitativeProject, on_delete=models.CASCADE, related_name="codings"
    )
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="codings")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qual_codings"
    )
    code = models.CharField(max_length=500)  # a code id of the codebook (its path)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source__position", "start", "end", "id"]
        indexes = [models.Index(fields=["project", "coder"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="qual_coding_not_empty")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.start}-{self.end} of {self.source} by {self.coder}"

    @property
    def passage(self) -> str:
        return self.source.text[self.start : self.end]


class Memo(models.Model):
    """A note on the project, a code, a source, or a segment of a source."""

    class Target(models.TextChoices):
        PROJECT = "project", "The project"
        CODE = "code", "A code"
        SOURCE = "source", "A source"
        SEGMENT = "segment", "A passage of a source"

    project = models.ForeignKey(QualitativeProject, on_delete=models.CASCADE, related_name="memos")
    key = models.CharField(max_length=200)  # the core's Memo.id
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(max_length=200, blank=True)  # the core's Memo.author
    text = models.TextField()
    target = models.CharField(max_length=20, choices=Target, default=Target.PROJECT)
    target_id = models.CharField(max_length=500, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    created = models.CharField(max_length=40, blank=True)  # ISO date-time, as the core keeps it
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="qual_memo_key_unique")
        ]

    def __str__(self) -> str:
        return f"Memo {self.key} on {self.target} {self.target_id}".strip()


class ProjectIdentifyingList(models.Model):
    """What identifies the people of a project, kept for its later uploads: for the lead only.

    Filled from the uploaded participants list (names, aliases, the labels transcripts use)
    and identifying list (institutions, places, other terms), so a transcript uploaded next
    month is de-identified with everything known so far and its speakers are linked to the
    same participants. Like ``SourceOriginal`` it is a table of its own that no page for
    coders or overseers reads, and it is not in the admin: these are the names the
    de-identification took out.
    """

    project = models.OneToOneField(
        QualitativeProject, on_delete=models.CASCADE, related_name="identifying_list"
    )
    names = models.JSONField(default=dict, blank=True)  # {participant id: [name, alias, ...]}
    institutions = models.JSONField(default=list, blank=True)
    places = models.JSONField(default=list, blank=True)
    other = models.JSONField(default=list, blank=True)
    speakers = models.JSONField(default=dict, blank=True)  # {transcript label: participant id}
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Identifying list of {self.project}"
