"""An upload: one file a society sent, where it is kept, and its checksum."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

SET_ASIDE_REASON_MAX = 500


class Upload(models.Model):
    """A file as received. Nothing a partner sends is lost: rows are never deleted."""

    class Kind(models.TextChoices):
        MEMBERSHIP_EXPORT = "membership_export", "Membership export"
        OTHER = "other", "Other file"

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="uploads"
    )
    kind = models.CharField(max_length=32, choices=Kind, default=Kind.MEMBERSHIP_EXPORT)
    original_filename = models.CharField(max_length=255)
    # Relative to settings.WORKFORCE_UPLOADS_DIR, so the data directory can move.
    stored_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.BigIntegerField(help_text="Bytes.")
    # Null for files stored by the command line (the demo loader) rather than a person.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uploads",
    )
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A file sent by mistake (last year's export, another society's, a test file) is set
    # aside rather than deleted: it stays stored and listed, says why, and nothing maps or
    # ingests it until a steward takes it back.
    set_aside_at = models.DateTimeField(null=True, blank=True)
    set_aside_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    set_aside_reason = models.TextField(blank=True, max_length=SET_ASIDE_REASON_MAX)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(set_aside_at__isnull=True, set_aside_reason="")
                | (models.Q(set_aside_at__isnull=False) & ~models.Q(set_aside_reason="")),
                name="a_set_aside_upload_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.organization.code})"

    @classmethod
    def first_with_checksum(cls, organization, sha256: str) -> Upload | None:
        """The earliest upload of ``organization`` with exactly these bytes, if any."""
        return (
            cls.objects.filter(organization=organization, sha256=sha256)
            .select_related("uploaded_by")
            .order_by("uploaded_at", "id")
            .first()
        )

    @property
    def is_set_aside(self) -> bool:
        return self.set_aside_at is not None

    @property
    def path(self) -> Path:
        return Path(settings.WORKFORCE_UPLOADS_DIR) / self.stored_name

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12]
