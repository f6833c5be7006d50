"""Actions on accounts: create a person, set their password, record admin changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from workforce.platform.accounts.models import User, normalize_email
from workforce.platform.audit.models import AuditEvent


@transaction.atomic
def do_create_user(
    email: str,
    *,
    full_name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
    acting_user: User | None,
) -> User:
    """Create an account; without a password it cannot sign in until one is set."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError(f"There is already an account for {email}.")
    user = User(email=email, full_name=full_name, is_staff=is_staff, is_superuser=is_superuser)
    user.set_password(password)
    user.full_clean()
    user.save()
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.USER_CREATED,
        obj=user,
        details={"is_staff": is_staff, "is_superuser": is_superuser},
    )
    return user


@transaction.atomic
def do_set_password(user: User, password: str, *, acting_user: User | None) -> None:
    """Set a new password (hashed with Argon2); the event records that it changed, not what to."""
    user.set_password(password)
    user.save(update_fields=["password"])
    AuditEvent.record(actor=acting_user, verb=AuditEvent.Verb.PASSWORD_SET, obj=user)


@transaction.atomic
def do_record_user_change(
    user: User, changed_fields: Iterable[str], *, created: bool, acting_user: User | None
) -> None:
    """Record a change the Django admin made to an account with its own forms.

    The admin's user forms (creation, password change) save the account themselves; this
    gives those saves the same audit event as every other write. Password values are never
    recorded, only that the password changed.
    """
    fields = sorted(set(changed_fields))
    password_fields = [field for field in fields if "password" in field.lower()]
    if created:
        verb = AuditEvent.Verb.USER_CREATED
    elif fields and fields == password_fields:
        verb = AuditEvent.Verb.PASSWORD_SET
    else:
        verb = AuditEvent.Verb.USER_CHANGED
    safe_fields = [field for field in fields if field not in password_fields]
    AuditEvent.record(actor=acting_user, verb=verb, obj=user, details={"fields": safe_fields})
