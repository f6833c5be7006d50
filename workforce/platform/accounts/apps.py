"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "workforce.platform.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from workforce.platform.accounts import sessions  # noqa: F401 - connects its receiver
