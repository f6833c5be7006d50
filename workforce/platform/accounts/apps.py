"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "workforce.platform.accounts"
    label = "accounts"
    verbose_name = "Accounts"
