"""The organization page: what a society (or the consortium) has, for those allowed to see it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from workforce.platform.intake.models import awaiting_decision
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can, organization_view, roles_in


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def organization_detail(request: HttpRequest, organization: Organization) -> HttpResponse:
    user = request.user
    allowed = {action: can(user, action, organization) for action in Action}
    context = {
        "organization": organization,
        "roles": roles_in(user, organization),
        "latest_report": organization.reports.first(),
        "can_view_data": allowed[Action.VIEW_ORG_DATA],
        "can_upload": allowed[Action.UPLOAD_DATA],
        "upload_count": organization.uploads.count() if allowed[Action.VIEW_ORG_DATA] else None,
        "awaiting_decision": (
            list(awaiting_decision().filter(organization=organization))
            if allowed[Action.VIEW_ORG_DATA]
            else []
        ),
        "can_see_surveys": allowed[Action.VIEW_SURVEY_MONITORING],
        "can_manage_surveys": allowed[Action.MANAGE_SURVEYS],
        "wave_count": (
            organization.waves.count() if allowed[Action.VIEW_SURVEY_MONITORING] else None
        ),
        "memberships": (
            organization.memberships.select_related("user")
            if allowed[Action.MANAGE_MEMBERS]
            else None
        ),
        "societies": (
            organization.societies.all()
            if organization.is_consortium and allowed[Action.VIEW_CONSORTIUM]
            else None
        ),
    }
    return render(request, "organizations/detail.html", context)
