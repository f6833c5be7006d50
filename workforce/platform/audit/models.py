"""Audit events: who changed what, when, on which object, with details as JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One change of state. Written by ``workforce.platform.actions``; never edited."""

    class Verb(models.TextChoices):
        ORGANIZATION_CREATED = "organization_created", "Organization created"
        ORGANIZATION_CHANGED = "organization_changed", "Organization changed"
        ROLE_GRANTED = "role_granted", "Role granted"
        ROLE_REVOKED = "role_revoked", "Role revoked"
        UPLOAD_STORED = "upload_stored", "Upload stored"
        MAPPING_PROPOSED = "mapping_proposed", "Mapping proposed"
        MAPPING_SAVED = "mapping_saved", "Mapping saved"
        UPLOAD_INGESTED = "upload_ingested", "Upload ingested"
        UPLOAD_SET_ASIDE = "upload_set_aside", "Upload set aside"
        UPLOAD_TAKEN_BACK = "upload_taken_back", "Upload taken back"
        INGEST_FAILED = "ingest_failed", "Ingest failed"
        REPORT_PUBLISHED = "report_published", "Report published"
        USER_CREATED = "user_created", "User created"
        USER_CHANGED = "user_changed", "User changed"
        PASSWORD_SET = "password_set", "Password set"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null when the change came from the command line (migrations, the demo loader).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(max_length=40, choices=Verb)
    # The organization the change concerns, so each society's trail can be listed.
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    object_type = models.CharField(max_length=100, help_text="app_label.model of the object.")
    object_id = models.CharField(max_length=64)
    # Never passwords; user ids rather than e-mail addresses.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_verb_display()} {self.object_label}"

    @property
    def object_label(self) -> str:
        return f"{self.object_type}#{self.object_id}"

    @classmethod
    def record(
        cls,
        *,
        actor: Any,
        verb: str,
        obj: models.Model,
        organization: Any = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Write one event about ``obj``; call inside the action's transaction."""
        return cls.objects.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            verb=verb,
            organization=organization,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            details=details or {},
        )
