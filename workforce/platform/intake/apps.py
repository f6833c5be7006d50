"""App configuration for partner intake."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "workforce.platform.intake"
    label = "intake"
    verbose_name = "Partner intake"
