"""What the command line calls: manage, call_command, migrate; and migrations kept in step."""

from __future__ import annotations

import pytest

from workforce.platform import call_command, django_setup, manage

pytestmark = pytest.mark.platform


def test_manage_runs_a_django_command_line(capsys):
    manage(["check"])
    assert "System check identified no issues" in capsys.readouterr().out


def test_manage_names_itself_in_help(capsys):
    manage(["help", "migrate"])
    assert "usage: workforce manage migrate" in capsys.readouterr().out


def test_django_setup_can_be_called_again():
    django_setup()
    django_setup()


def test_the_migrations_match_the_models(db):
    # Fails when a model changed without `workforce manage makemigrations`.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
