"""App configuration for uploads."""

from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "workforce.platform.uploads"
    label = "uploads"
    verbose_name = "Uploads"
