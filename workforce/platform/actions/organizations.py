"""Actions on organizations and memberships: create, rename, grant and revoke roles."""

from __future__ import annotations

from django.db import transaction

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Membership, Organization, Role


@transaction.atomic
def do_create_organization(
    code: str,
    name: str,
    kind: Organization.Kind | str,
    *,
    parent: Organization | None = None,
    acting_user: User | None,
) -> Organization:
    """Create the consortium (no parent) or a society (usually with the consortium as parent)."""
    kind = Organization.Kind(kind)
    organization = Organization(code=code, name=name, kind=kind, parent=parent)
    organization.full_clean()  # the code's spelling, uniqueness, and who may be a parent
    organization.save()
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.ORGANIZATION_CREATED,
        obj=organization,
        organization=organization,
        details={
            "code": code,
            "name": name,
            "kind": kind.value,
            "parent": parent.code if parent else None,
        },
    )
    return organization


@transaction.atomic
def do_rename_organization(
    organization: Organization, name: str, *, acting_user: User | None
) -> Organization:
    """Change an organization's display name; its code never changes (URLs and files use it)."""
    previous = Organization.objects.select_for_update().get(pk=organization.pk).name
    if previous == name:
        return organization
    organization.name = name
    organization.full_clean()
    organization.save(update_fields=["name"])
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.ORGANIZATION_CHANGED,
        obj=organization,
        organization=organization,
        details={"name": name, "previous_name": previous},
    )
    return organization


@transaction.atomic
def do_grant_role(
    user: User, organization: Organization, role: Role | str, *, acting_user: User | None
) -> Membership:
    """Give ``user`` a role in ``organization``, replacing any role they held there.

    Granting the role a person already holds changes nothing and records nothing.
    """
    role = Role(role)
    Membership(user=user, organization=organization, role=role).clean()
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    )
    previous_role = membership.role if membership else None
    if membership is None:
        membership = Membership.objects.create(user=user, organization=organization, role=role)
    elif membership.role == role:
        return membership
    else:
        membership.role = role
        membership.save(update_fields=["role"])
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.ROLE_GRANTED,
        obj=membership,
        organization=organization,
        details={"user_id": user.pk, "role": role.value, "previous_role": previous_role},
    )
    return membership


@transaction.atomic
def do_revoke_role(user: User, organization: Organization, *, acting_user: User | None) -> bool:
    """Take away whatever role ``user`` holds in ``organization``; False if they held none."""
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    )
    if membership is None:
        return False
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.ROLE_REVOKED,
        obj=membership,
        organization=organization,
        details={"user_id": user.pk, "role": membership.role},
    )
    membership.delete()
    return True
