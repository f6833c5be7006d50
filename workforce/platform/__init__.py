"""The Django platform: entry points the CLI calls to set up, manage, migrate and serve it.

Importing this package stays cheap and side-effect free (Django loads it to find
``workforce.platform.settings``); every function below sets Django up on first use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

SETTINGS_MODULE = "workforce.platform.settings"


def django_setup() -> None:
    """Configure Django with the platform settings; safe to call more than once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def manage(argv: Sequence[str]) -> None:
    """Run a Django management command line, as ``workforce manage ARGS...``.

    ``argv`` holds only the arguments (``["migrate"]``, ``["check", "--deploy"]``); may exit
    the process through ``SystemExit`` like Django's own ``manage.py``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["workforce manage", *argv])


def call_command(name: str, *args: Any, **options: Any) -> Any:
    """Call one management command from Python (``call_command("createsuperuser", ...)``)."""
    django_setup()
    from django.core import management

    return management.call_command(name, *args, **options)


def migrate(verbosity: int = 0) -> None:
    """Bring the database schema up to date; a no-op when it already is."""
    call_command("migrate", interactive=False, verbosity=verbosity)


def collect_static(verbosity: int = 0) -> None:
    """Copy static files (admin CSS, the site's CSS) into the data directory for serving."""
    call_command("collectstatic", interactive=False, verbosity=verbosity)
