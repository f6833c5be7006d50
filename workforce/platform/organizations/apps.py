"""App configuration for organizations."""

from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "workforce.platform.organizations"
    label = "organizations"
    verbose_name = "Consortium and societies"
