"""The permission table and the one check, ``can``: which role may do what, and where."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from workforce.platform.actions.organizations import do_grant_role, do_revoke_role
from workforce.platform.organizations.models import Role
from workforce.platform.permissions import (
    ROLE_ACTIONS,
    Action,
    can,
    require,
    visible_organizations,
)

pytestmark = pytest.mark.platform

A = Action
# What each role may do in the organization where it is held, as a table to read.
EXPECTED_TABLE = {
    Role.CONSORTIUM_STAFF: {
        A.VIEW_ORGANIZATION,
        A.VIEW_ORG_DATA,
        A.UPLOAD_DATA,
        A.MANAGE_MEMBERS,
        A.VIEW_CONSORTIUM,
        A.MANAGE_SURVEYS,
        A.VIEW_SURVEY_MONITORING,
        A.EXPORT_SURVEY_RESPONSES,
        A.VIEW_IDENTIFIED_RESPONSES,
        A.CODE_QUALITATIVE,
        A.OVERSEE_QUALITATIVE,
    },
    Role.DATA_STEWARD: {
        A.VIEW_ORGANIZATION,
        A.VIEW_ORG_DATA,
        A.UPLOAD_DATA,
        A.VIEW_SURVEY_MONITORING,
        A.CODE_QUALITATIVE,
    },
    Role.ANALYST: {
        A.VIEW_ORGANIZATION,
        A.VIEW_ORG_DATA,
        A.VIEW_SURVEY_MONITORING,
        A.EXPORT_SURVEY_RESPONSES,
        A.CODE_QUALITATIVE,
    },
    Role.VIEWER: {A.VIEW_ORGANIZATION, A.VIEW_SURVEY_MONITORING},
}


def test_the_declared_table_is_the_one_documented_here():
    assert {role: set(actions) for role, actions in ROLE_ACTIONS.items()} == EXPECTED_TABLE


def test_every_role_has_a_row():
    assert set(ROLE_ACTIONS) == set(Role)


@pytest.mark.parametrize("action", list(Action))
def test_consortium_staff_may_do_everything_in_every_society(action, staff, orgs):
    assert all(can(staff, action, organization) for organization in orgs.values())


@pytest.mark.parametrize("action", list(Action))
def test_a_steward_may_do_nothing_in_another_society(action, ashg_steward, nsgc, acmg, consortium):
    assert not any(can(ashg_steward, action, org) for org in (nsgc, acmg, consortium))


def test_a_data_steward_sees_and_uploads_for_their_own_society(ashg_steward, ashg):
    assert can(ashg_steward, Action.VIEW_ORG_DATA, ashg)
    assert can(ashg_steward, Action.UPLOAD_DATA, ashg)
    assert not can(ashg_steward, Action.MANAGE_MEMBERS, ashg)


def test_an_analyst_reads_but_does_not_upload(ashg_analyst, ashg):
    assert can(ashg_analyst, Action.VIEW_ORG_DATA, ashg)
    assert not can(ashg_analyst, Action.UPLOAD_DATA, ashg)


def test_a_viewer_sees_the_organization_but_not_its_raw_data(acmg_viewer, acmg):
    assert can(acmg_viewer, Action.VIEW_ORGANIZATION, acmg)
    assert not can(acmg_viewer, Action.VIEW_ORG_DATA, acmg)


@pytest.mark.parametrize("action", list(Action))
def test_an_outsider_and_anonymous_may_do_nothing(action, outsider, orgs):
    from django.contrib.auth.models import AnonymousUser

    for organization in orgs.values():
        assert not can(outsider, action, organization)
        assert not can(AnonymousUser(), action, organization)
        assert not can(None, action, organization)


def test_a_role_held_in_a_society_does_not_reach_the_consortium_or_its_siblings(ashg_steward, orgs):
    do_grant_role(ashg_steward, orgs["nsgc"], Role.VIEWER, acting_user=None)
    assert can(ashg_steward, Action.VIEW_ORGANIZATION, orgs["nsgc"])
    assert not can(ashg_steward, Action.VIEW_ORG_DATA, orgs["nsgc"])
    assert not can(ashg_steward, Action.VIEW_ORGANIZATION, orgs["acmg"])
    assert not can(ashg_steward, Action.VIEW_ORGANIZATION, orgs["consortium"])


def test_a_viewer_of_the_consortium_does_not_see_the_societies(outsider, orgs):
    do_grant_role(outsider, orgs["consortium"], Role.VIEWER, acting_user=None)
    assert can(outsider, Action.VIEW_ORGANIZATION, orgs["consortium"])
    assert not can(outsider, Action.VIEW_ORGANIZATION, orgs["ashg"])


def test_a_revoked_role_gives_nothing(ashg_steward, ashg):
    do_revoke_role(ashg_steward, ashg, acting_user=None)
    assert not can(ashg_steward, Action.VIEW_ORGANIZATION, ashg)


def test_a_deactivated_person_may_do_nothing(ashg_steward, ashg):
    ashg_steward.is_active = False
    assert not can(ashg_steward, Action.VIEW_ORGANIZATION, ashg)


def test_being_a_django_superuser_grants_no_data_access(outsider, ashg):
    outsider.is_superuser = True
    outsider.is_staff = True
    assert not can(outsider, Action.VIEW_ORG_DATA, ashg)


def test_require_raises_permission_denied(acmg_viewer, acmg):
    require(acmg_viewer, Action.VIEW_ORGANIZATION, acmg)
    with pytest.raises(PermissionDenied):
        require(acmg_viewer, Action.VIEW_ORG_DATA, acmg)


def test_staff_see_the_consortium_first_then_every_society(staff, orgs):
    visible = visible_organizations(staff)
    assert [v.organization.code for v in visible] == ["consortium", "acmg", "ashg", "nsgc"]
    assert all(v.role == Role.CONSORTIUM_STAFF for v in visible)
    assert visible[0].via is None
    assert all(v.via.code == "consortium" for v in visible[1:])


def test_a_steward_sees_only_their_society(ashg_steward):
    assert [(v.organization.code, v.role) for v in visible_organizations(ashg_steward)] == [
        ("ashg", Role.DATA_STEWARD)
    ]


def test_an_outsider_sees_no_organization(outsider):
    assert visible_organizations(outsider) == []
