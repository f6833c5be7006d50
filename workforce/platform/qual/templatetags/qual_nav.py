"""``{% may_see_focus_groups %}``: whether the navigation offers the "Focus groups" link."""

from __future__ import annotations

from typing import Any

from django import template

from workforce.platform.organizations.models import Membership, Role
from workforce.platform.permissions import ROLE_ACTIONS, Action

register = template.Library()


@register.simple_tag
def may_see_focus_groups(user: Any) -> bool:
    """True for people whose role somewhere lets them take part in focus-group projects."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    roles = [role for role in Role if Action.CODE_QUALITATIVE in ROLE_ACTIONS[role]]
    return Membership.objects.filter(user=user, role__in=roles).exists()
