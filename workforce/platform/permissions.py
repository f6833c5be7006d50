"""Who may do what: the one permission check every view goes through.

A role is held in one organization and applies there. The exception is consortium staff:
a ``consortium_staff`` membership in the consortium also applies to every society that
belongs to it. Nothing else crosses between organizations, so a society's steward, analyst
or viewer never sees another society's data. Django's ``is_superuser`` grants nothing here:
access to data follows roles only (the admin site is a separate tool for operators).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from workforce.platform.organizations.models import Membership, Organization, Role


class Action(StrEnum):
    VIEW_ORGANIZATION = "view_organization"  # its page and what it has published
    VIEW_ORG_DATA = "view_org_data"  # raw uploads and record-level data
    UPLOAD_DATA = "upload_data"  # send a membership export
    MANAGE_MEMBERS = "manage_members"  # see and change who holds which role
    VIEW_CONSORTIUM = "view_consortium"  # the consortium's view across its societies
    MANAGE_SURVEYS = "manage_surveys"  # instruments, waves, frames, sending invitations
    VIEW_SURVEY_MONITORING = "view_survey_monitoring"  # waves and their response rates
    EXPORT_SURVEY_RESPONSES = "export_survey_responses"  # response files for analysis
    # Which member gave which answers, in confidential waves (never exists for anonymous ones).
    VIEW_IDENTIFIED_RESPONSES = "view_identified_responses"
    # Take part in the focus-group projects one is the lead or a coder of (see ProjectRights).
    CODE_QUALITATIVE = "code_qualitative"
    # Every focus-group project of the organization: all codings and the comparison, never the
    # originals of de-identified transcripts (only a project's lead sees those).
    OVERSEE_QUALITATIVE = "oversee_qualitative"


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.CONSORTIUM_STAFF: frozenset(Action),
    Role.DATA_STEWARD: frozenset(
        {
            Action.VIEW_ORGANIZATION,
            Action.VIEW_ORG_DATA,
            Action.UPLOAD_DATA,
            Action.VIEW_SURVEY_MONITORING,
            Action.CODE_QUALITATIVE,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Action.VIEW_ORGANIZATION,
            Action.VIEW_ORG_DATA,
            Action.VIEW_SURVEY_MONITORING,
            Action.EXPORT_SURVEY_RESPONSES,
            Action.CODE_QUALITATIVE,
        }
    ),
    Role.VIEWER: frozenset({Action.VIEW_ORGANIZATION, Action.VIEW_SURVEY_MONITORING}),
}


def roles_in(user: Any, organization: Organization) -> list[Role]:
    """The roles that apply to ``user`` in ``organization`` (held there or via the consortium)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    reach = Q(organization=organization)
    if organization.parent_id is not None:
        reach |= Q(organization_id=organization.parent_id, role=Role.CONSORTIUM_STAFF)
    memberships = Membership.objects.filter(reach, user=user).values_list("role", flat=True)
    return [Role(role) for role in memberships]


def can(user: Any, action: Action, organization: Organization) -> bool:
    """True if ``user`` may do ``action`` in ``organization``."""
    return any(action in ROLE_ACTIONS[role] for role in roles_in(user, organization))


def require(user: Any, action: Action, organization: Organization) -> None:
    """Raise ``PermissionDenied`` (a 403 page) unless ``user`` may do ``action`` there."""
    if not can(user, action, organization):
        raise PermissionDenied(f"Not allowed to {action.value} in {organization.code}")


@dataclass(frozen=True)
class VisibleOrganization:
    organization: Organization
    role: Role
    via: Organization | None = None  # the consortium, when the role is held there

    def can(self, action: Action) -> bool:
        return action in ROLE_ACTIONS[self.role]

    @property
    def can_view_data(self) -> bool:
        return self.can(Action.VIEW_ORG_DATA)


def visible_organizations(user: Any) -> list[VisibleOrganization]:
    """Every organization ``user`` may see, with the role that lets them: consortium first."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    visible: dict[int, VisibleOrganization] = {}
    memberships = list(Membership.objects.filter(user=user).select_related("organization"))
    for membership in memberships:
        organization = membership.organization
        visible[organization.pk] = VisibleOrganization(organization, Role(membership.role))
    for membership in memberships:
        if membership.role == Role.CONSORTIUM_STAFF:
            for society in membership.organization.societies.all():
                # A role held in the society itself is listed as such.
                visible.setdefault(
                    society.pk,
                    VisibleOrganization(society, Role.CONSORTIUM_STAFF, membership.organization),
                )
    return sorted(
        visible.values(),
        key=lambda v: (not v.organization.is_consortium, v.organization.name.lower()),
    )


# --- Focus-group projects -----------------------------------------------------------------------
# Rights on one project come from being its lead or one of its coders, on top of a role that
# lets one take part in the project's organization (``CODE_QUALITATIVE``): a revoked role ends
# the access even while the assignment stays.


@dataclass(frozen=True)
class ProjectRights:
    """What one person may do in one focus-group project."""

    is_lead: bool = False
    is_coder: bool = False
    oversees: bool = False  # OVERSEE_QUALITATIVE there: consortium staff
    blind: bool = True  # the project's flag: coders see only their own codings

    @property
    def may_open(self) -> bool:
        return self.is_lead or self.is_coder or self.oversees

    @property
    def may_code(self) -> bool:
        return self.is_coder

    @property
    def may_compare(self) -> bool:
        """Everyone's codings side by side: the lead and overseers; coders once unblinded."""
        return self.is_lead or self.oversees or (self.is_coder and not self.blind)

    @property
    def may_edit_codebook(self) -> bool:
        return self.is_lead

    @property
    def may_unblind(self) -> bool:
        return self.is_lead

    @property
    def may_see_originals(self) -> bool:
        """The words of a transcript before de-identification: the lead and no one else, not
        even consortium staff; they hold the key to who said what."""
        return self.is_lead


def project_rights(user: Any, project: Any) -> ProjectRights:
    """``user``'s rights in a focus-group project (``workforce.platform.qual.models``)."""
    organization = project.organization
    if not can(user, Action.CODE_QUALITATIVE, organization):
        return ProjectRights(blind=project.blind)
    return ProjectRights(
        is_lead=project.lead_id == user.pk,
        is_coder=project.coders.filter(pk=user.pk).exists(),
        oversees=can(user, Action.OVERSEE_QUALITATIVE, organization),
        blind=project.blind,
    )


# --- Views ------------------------------------------------------------------------------------
# Every view declares its access with one of the three decorators below; a test walks the URL
# configuration and fails on any view that does not.

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Anyone may open this page, signed in or not."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    """Any signed-in person may open this page; it shows only what they may see."""
    wrapped = login_required(view)
    wrapped.access = "signed_in"  # type: ignore[attr-defined]
    return wrapped


def organization_view(action: Action) -> Callable[[View], View]:
    """For views under ``/organizations/<code>/``: check ``action`` there, pass the organization.

    Anonymous people go to the sign-in page (before the code is even looked up, so the URL
    says nothing about which codes exist); signed-in people without the right get a 403.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organization = get_object_or_404(Organization, code=code)
            require(request.user, action, organization)
            return view(request, organization, *args, **kwargs)

        wrapped.access = action  # type: ignore[attr-defined]
        return wrapped

    return decorator
