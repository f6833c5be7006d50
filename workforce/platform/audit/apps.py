"""App configuration for the audit trail."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "workforce.platform.audit"
    label = "audit"
    verbose_name = "Audit trail"
