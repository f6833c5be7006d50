"""The actions layer: every write validates, happens in one transaction, and is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from workforce.platform.actions.organizations import (
    do_create_organization,
    do_grant_role,
    do_rename_organization,
    do_revoke_role,
)
from workforce.platform.actions.users import do_create_user, do_set_password
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Membership, Organization, Role

pytestmark = pytest.mark.platform

Verb = AuditEvent.Verb


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def test_creating_an_organization_records_who_did_it(staff, consortium):
    society = do_create_organization(
        "asbmb",
        "American Society for Biochemistry",
        "society",
        parent=consortium,
        acting_user=staff,
    )
    event = last_event()
    assert (event.verb, event.actor, event.organization) == (
        Verb.ORGANIZATION_CREATED,
        staff,
        society,
    )
    assert (event.object_type, event.object_id) == ("organizations.organization", str(society.pk))
    assert event.details == {
        "code": "asbmb",
        "name": "American Society for Biochemistry",
        "kind": "society",
        "parent": "consortium",
    }


def test_organization_codes_must_be_snake_case(consortium):
    with pytest.raises(ValidationError, match="lower-case"):
        do_create_organization("ASHG-2", "Bad", "society", parent=consortium, acting_user=None)
    assert not Organization.objects.filter(name="Bad").exists()


def test_organization_codes_are_unique(ashg, consortium):
    with pytest.raises(ValidationError):
        do_create_organization("ashg", "Again", "society", parent=consortium, acting_user=None)


def test_a_society_can_only_belong_to_a_consortium(ashg):
    with pytest.raises(ValidationError, match="only belong to a consortium"):
        do_create_organization("sub", "Sub-society", "society", parent=ashg, acting_user=None)


def test_a_consortium_belongs_to_no_one(consortium):
    with pytest.raises(ValidationError, match="cannot belong"):
        do_create_organization("other", "Other", "consortium", parent=consortium, acting_user=None)


def test_renaming_records_the_previous_name(staff, ashg):
    do_rename_organization(ashg, "ASHG (renamed)", acting_user=staff)
    event = last_event()
    assert event.verb == Verb.ORGANIZATION_CHANGED
    assert event.details == {
        "name": "ASHG (renamed)",
        "previous_name": "American Society of Human Genetics",
    }


def test_granting_a_role_records_the_person_by_id_and_the_role(staff, outsider, nsgc):
    membership = do_grant_role(outsider, nsgc, Role.ANALYST, acting_user=staff)
    event = last_event()
    assert (event.verb, event.actor, event.organization) == (Verb.ROLE_GRANTED, staff, nsgc)
    assert event.object_id == str(membership.pk)
    assert event.details == {"user_id": outsider.pk, "role": "analyst", "previous_role": None}
    assert outsider.email not in str(event.details)


def test_granting_another_role_replaces_the_first(staff, ashg_analyst, ashg):
    do_grant_role(ashg_analyst, ashg, Role.DATA_STEWARD, acting_user=staff)
    assert Membership.objects.get(user=ashg_analyst, organization=ashg).role == Role.DATA_STEWARD
    assert last_event().details["previous_role"] == "analyst"


def test_granting_the_same_role_again_changes_and_records_nothing(ashg_analyst, ashg):
    before = AuditEvent.objects.count()
    do_grant_role(ashg_analyst, ashg, Role.ANALYST, acting_user=None)
    assert AuditEvent.objects.count() == before
    assert Membership.objects.filter(user=ashg_analyst).count() == 1


def test_a_person_may_hold_roles_in_several_organizations(ashg_steward, nsgc):
    do_grant_role(ashg_steward, nsgc, Role.VIEWER, acting_user=None)
    assert Membership.objects.filter(user=ashg_steward).count() == 2


def test_consortium_staff_is_not_a_society_role(outsider, ashg):
    with pytest.raises(ValidationError, match="role in the consortium"):
        do_grant_role(outsider, ashg, Role.CONSORTIUM_STAFF, acting_user=None)
    assert not Membership.objects.filter(user=outsider).exists()


def test_revoking_a_role_records_which_role_it_was(staff, ashg_steward, ashg):
    assert do_revoke_role(ashg_steward, ashg, acting_user=staff) is True
    event = last_event()
    assert (event.verb, event.actor) == (Verb.ROLE_REVOKED, staff)
    assert event.details == {"user_id": ashg_steward.pk, "role": "data_steward"}
    assert not Membership.objects.filter(user=ashg_steward).exists()


def test_revoking_a_role_no_one_holds_does_nothing(outsider, ashg):
    before = AuditEvent.objects.count()
    assert do_revoke_role(outsider, ashg, acting_user=None) is False
    assert AuditEvent.objects.count() == before


def test_creating_a_user_is_recorded_without_the_password(staff):
    user = do_create_user(
        "New.Person@Example.org", password="a long synthetic pass", acting_user=staff
    )
    event = last_event()
    assert (event.verb, event.actor, event.object_id) == (Verb.USER_CREATED, staff, str(user.pk))
    assert "a long synthetic pass" not in str(event.details)
    assert user.email == "new.person@example.org"


def test_an_e_mail_address_has_one_account_whatever_its_case(outsider):
    with pytest.raises(ValidationError, match="already an account"):
        do_create_user(outsider.email.upper(), acting_user=None)


def test_setting_a_password_is_recorded_but_not_the_password(staff, outsider):
    do_set_password(outsider, "another synthetic pass", acting_user=staff)
    event = last_event()
    assert (event.verb, event.actor, event.details) == (Verb.PASSWORD_SET, staff, {})
    outsider.refresh_from_db()
    assert outsider.check_password("another synthetic pass")


def test_an_action_that_cannot_record_its_event_changes_nothing(consortium, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(AuditEvent, "record", fail)
    with pytest.raises(RuntimeError):
        do_create_organization("asbmb", "ASBMB", "society", parent=consortium, acting_user=None)
    assert not Organization.objects.filter(code="asbmb").exists()


def test_changes_made_by_the_command_line_have_no_actor(consortium):
    event = AuditEvent.objects.get(verb=Verb.ORGANIZATION_CREATED, object_id=str(consortium.pk))
    assert event.actor is None
