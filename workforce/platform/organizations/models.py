"""Organizations (the consortium and its societies) and memberships (who holds which role)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

snake_case_code = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    "Use lower-case letters, digits and underscores, starting with a letter (e.g. 'nsgc').",
)


class Role(models.TextChoices):
    """What a person may do in one organization; ``workforce.platform.permissions`` decides."""

    CONSORTIUM_STAFF = "consortium_staff", "Consortium staff"
    DATA_STEWARD = "data_steward", "Society data steward"
    ANALYST = "analyst", "Analyst"
    VIEWER = "viewer", "Viewer"


class Organization(models.Model):
    """The consortium, or one society that belongs to it (``parent``)."""

    class Kind(models.TextChoices):
        CONSORTIUM = "consortium", "Consortium"
        SOCIETY = "society", "Society"

    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[snake_case_code],
        help_text="Short snake_case name used in URLs and file names, e.g. 'ashg'.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="societies",
        help_text="The consortium a society belongs to.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="consortium") | Q(parent__isnull=True),
                name="consortium_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_consortium(self) -> bool:
        return self.kind == self.Kind.CONSORTIUM

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.kind == self.Kind.CONSORTIUM:
            raise ValidationError(
                {"parent": f"The consortium '{self.code}' cannot belong to another organization."}
            )
        if not self.parent.is_consortium:
            raise ValidationError(
                {
                    "parent": f"'{self.code}' can only belong to a consortium, "
                    f"not to '{self.parent.code}'."
                }
            )


class Membership(models.Model):
    """One person's role in one organization; a person may hold roles in several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_role_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.organization}"

    def clean(self) -> None:
        if (
            self.role == Role.CONSORTIUM_STAFF
            and self.organization_id is not None
            and not self.organization.is_consortium
        ):
            raise ValidationError(
                {
                    "role": f"'{Role.CONSORTIUM_STAFF.label}' is a role in the consortium, "
                    f"not in the society '{self.organization.code}'."
                }
            )
