"""Admin for organizations and memberships; saves go through the actions layer."""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.actions.organizations import (
    do_create_organization,
    do_grant_role,
    do_rename_organization,
    do_revoke_role,
)
from workforce.platform.organizations.models import Membership, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Codes name upload folders and URLs; kind and parent shape who sees what.
        return ["code", "kind", "parent", "created_at"] if obj else ["created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            do_rename_organization(obj, obj.name, acting_user=request.user)
        else:
            created = do_create_organization(
                obj.code, obj.name, obj.kind, parent=obj.parent, acting_user=request.user
            )
            obj.pk, obj.created_at = created.pk, created.created_at

    def has_delete_permission(self, request, obj=None):
        return False  # uploads and the audit trail refer to organizations forever


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "granted_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "user__full_name", "organization__code"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organization", "granted_at"] if obj else ["granted_at"]

    def save_model(self, request, obj, form, change):
        membership = do_grant_role(obj.user, obj.organization, obj.role, acting_user=request.user)
        obj.pk, obj.granted_at = membership.pk, membership.granted_at

    def delete_model(self, request, obj):
        do_revoke_role(obj.user, obj.organization, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "organization"):
            do_revoke_role(membership.user, membership.organization, acting_user=request.user)
