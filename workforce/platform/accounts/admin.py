"""Admin for accounts, adapted to e-mail login; every save is recorded in the audit trail."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from workforce.platform.accounts.models import User
from workforce.platform.actions.users import do_record_user_change


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def changed_fields(message) -> list[str]:
    """Field labels from the admin's change message (a list of dicts, or a plain string)."""
    if isinstance(message, str):
        return []
    return [field for item in message for field in item.get("changed", {}).get("fields", [])]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name"]}),
        (
            "Access to this admin site",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]

    # Django's user forms save accounts themselves (they hash the password); the admin's log
    # hooks run right after each save and give it an audit event.
    def log_addition(self, request, obj, message):
        do_record_user_change(obj, [], created=True, acting_user=request.user)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        do_record_user_change(obj, changed_fields(message), created=False, acting_user=request.user)
        return super().log_change(request, obj, message)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the audit trail keeps its actors
