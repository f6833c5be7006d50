"""What `workforce org ...` does: the consortium, its societies, and who holds which role.

A fresh data directory has no organization, and every survey wave and upload belongs to one;
these let an analyst set the consortium up from a shell, as the web admin does. Each function
calls one action of `workforce.platform.actions` (audited like the admin's changes, with no
acting user: the command line runs as the site's operator).
"""

from __future__ import annotations

from dataclasses import dataclass

from workforce.platform.operations import OperationError, setup, validation_messages


@dataclass(frozen=True)
class OrganizationLine:
    """One organization as `workforce org list` shows it."""

    code: str
    name: str
    kind: str
    parent: str  # the consortium's code for a society, "" for the consortium
    people: dict[str, int]  # role label → how many hold it there, in the roles' order


def list_organizations() -> list[OrganizationLine]:
    """Every organization: each consortium, then its societies, by code; then any left over."""
    setup()
    from django.db.models import Count

    from workforce.platform.organizations.models import Membership, Organization, Role

    counts: dict[int, dict[str, int]] = {}
    for row in Membership.objects.values("organization", "role").annotate(n=Count("id")):
        counts.setdefault(row["organization"], {})[row["role"]] = row["n"]
    organizations = list(Organization.objects.select_related("parent").order_by("code"))
    ordered = []
    for consortium in (o for o in organizations if o.is_consortium):
        ordered.append(consortium)
        ordered += [o for o in organizations if o.parent_id == consortium.pk]
    ordered += [o for o in organizations if o not in ordered]
    return [
        OrganizationLine(
            code=o.code,
            name=o.name,
            kind=o.get_kind_display(),
            parent=o.parent.code if o.parent else "",
            people={
                role.label: counts[o.pk][role.value]
                for role in Role
                if counts.get(o.pk, {}).get(role.value)
            },
        )
        for o in ordered
    ]


def find_organization(code: str):
    """The organization with this code, or an error naming those there are."""
    from workforce.platform.organizations.models import Organization

    organization = Organization.objects.filter(code=code).first()
    if organization is None:
        known = list(Organization.objects.order_by("code").values_list("code", flat=True))
        if not known:
            raise OperationError(
                f"no organization {code!r}: this data directory has none yet. Add the "
                "consortium with `workforce org add CODE --name NAME --consortium`, then its "
                "societies with `workforce org add CODE --name NAME` (or try everything on "
                "`workforce demo`'s data)."
            )
        raise OperationError(f"no organization {code!r}; organizations: {', '.join(known)}")
    return organization


def add_organization(code: str, name: str, *, consortium: bool = False, parent: str | None = None):
    """Create the consortium, or a society of `parent` (of the only consortium when omitted)."""
    setup()
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.organizations import do_create_organization
    from workforce.platform.organizations.models import Organization

    if consortium and parent:
        raise OperationError("a consortium belongs to no other organization: drop --parent")
    owner = None
    if not consortium:
        if parent is not None:
            owner = find_organization(parent)
        else:
            consortia = list(Organization.objects.filter(kind=Organization.Kind.CONSORTIUM))
            if not consortia:
                raise OperationError(
                    f"{code!r} would be a society, and a society belongs to the consortium, "
                    "which does not exist yet: add it first with `workforce org add CODE "
                    "--name NAME --consortium`"
                )
            if len(consortia) > 1:
                codes = ", ".join(sorted(c.code for c in consortia))
                raise OperationError(f"which consortium does {code!r} belong to? --parent {codes}")
            owner = consortia[0]
    if Organization.objects.filter(code=code).exists():
        raise OperationError(f"there is already an organization {code!r}")
    try:
        return do_create_organization(
            code,
            name,
            Organization.Kind.CONSORTIUM if consortium else Organization.Kind.SOCIETY,
            parent=owner,
            acting_user=None,
        )
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None


def role_named(name: str):
    """A role from its code (`data_steward`) or its label ("Society data steward")."""
    setup()
    from workforce.platform.organizations.models import Role

    for role in Role:
        if name.strip().casefold() in (role.value, role.label.casefold()):
            return role
    known = ", ".join(role.value for role in Role)
    raise OperationError(f"no role {name!r}; roles: {known}")


def needs_password(email: str, org: str, role: str) -> bool:
    """Whether granting this would create an account (so a password is asked for first).

    The role and the organization are checked here too, so that a mistake is said before
    anyone types a password.
    """
    setup()
    from workforce.platform.accounts.models import User, normalize_email

    role_named(role)
    find_organization(org)
    return not User.objects.filter(email=normalize_email(email)).exists()


@dataclass(frozen=True)
class Granted:
    email: str
    organization: str  # its name
    role: str  # the role's label
    previous_role: str | None  # the label of the role held there before, if any
    account_created: bool
    can_sign_in: bool


def grant_role(
    email: str, org: str, role: str, *, full_name: str = "", password: str | None = None
) -> Granted:
    """Give a person a role in an organization, creating their account if they have none.

    A new account gets `password` (checked against the site's password rules); without one
    it cannot sign in until a password is set.
    """
    setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from workforce.platform.accounts.models import User, normalize_email
    from workforce.platform.actions.organizations import do_grant_role
    from workforce.platform.actions.users import do_create_user
    from workforce.platform.organizations.models import Membership, Role

    chosen = role_named(role)
    organization = find_organization(org)
    address = normalize_email(email)
    user = User.objects.filter(email=address).first()
    created = user is None
    try:
        with transaction.atomic():  # no account left behind when the role is refused
            if user is None:
                if password is not None:
                    validate_password(password, User(email=address, full_name=full_name))
                user = do_create_user(
                    address, full_name=full_name, password=password, acting_user=None
                )
            held = Membership.objects.filter(user=user, organization=organization).first()
            do_grant_role(user, organization, chosen, acting_user=None)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None
    return Granted(
        email=user.email,
        organization=organization.name,
        role=chosen.label,
        previous_role=Role(held.role).label if held else None,
        account_created=created,
        can_sign_in=user.has_usable_password(),
    )


def revoke_role(email: str, org: str) -> str | None:
    """Take away the role a person holds in an organization; its label, or None if none."""
    setup()
    from workforce.platform.accounts.models import User, normalize_email
    from workforce.platform.actions.organizations import do_revoke_role
    from workforce.platform.organizations.models import Membership, Role

    organization = find_organization(org)
    user = User.objects.filter(email=normalize_email(email)).first()
    held = (
        Membership.objects.filter(user=user, organization=organization).first() if user else None
    )
    if held is None:
        return None
    do_revoke_role(user, organization, acting_user=None)
    return Role(held.role).label


def _account(email: str):
    from workforce.platform.accounts.models import User, normalize_email

    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        raise OperationError(
            f"no account {email!r}; `workforce org grant EMAIL ORG ROLE` creates one"
        )
    return user


def require_account(email: str) -> None:
    """An error naming what to do when nobody has an account with this address."""
    setup()
    _account(email)


def set_password(email: str, password: str) -> str:
    """Give an existing account a new password, checked by the site's password rules.

    Recorded as the web's password changes are (that it changed, never what to).
    """
    setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.users import do_set_password

    user = _account(email)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise OperationError(validation_messages(error)) from None
    do_set_password(user, password, acting_user=None)
    return user.email
