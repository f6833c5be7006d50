"""App configuration for focus-group coding (qualitative projects)."""

from django.apps import AppConfig


class QualConfig(AppConfig):
    name = "workforce.platform.qual"
    label = "qual"
    verbose_name = "Focus groups (qualitative projects)"
