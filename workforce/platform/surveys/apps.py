"""App configuration for member surveys."""

from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "workforce.platform.surveys"
    label = "surveys"
    verbose_name = "Member surveys"
