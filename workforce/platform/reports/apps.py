"""App configuration for published reports."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "workforce.platform.reports"
    label = "reports"
    verbose_name = "Published reports"
