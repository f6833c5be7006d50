"""Filters of the focus-group pages."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def iso_time(value: str) -> str:
    """An ISO date-time as the core keeps it (``2025-03-04T10:15:00+01:00``), readable; the
    zone as written, since it is the author's."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or "—"
    zone = moment.strftime(" %z") if moment.tzinfo else ""
    return f"{moment.day} {moment:%b %Y, %H:%M}{zone}"
