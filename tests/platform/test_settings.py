"""Settings from the environment: data directory, SQLite in WAL mode, secrets, production."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.platform

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_DEPLOY = "from workforce.platform import manage; manage(['check', '--deploy'])"
PRINT = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'workforce.platform.settings'; "
    "from django.conf import settings; print({})"
)


def test_tests_keep_their_data_outside_the_working_tree():
    assert not settings.WORKFORCE_DATA_DIR.is_relative_to(REPO_ROOT)
    assert not (REPO_ROOT / "workforce-data").exists()


def test_the_default_database_is_sqlite_in_wal_mode(fresh_platform):
    result = fresh_platform.run("from workforce.platform import migrate; migrate()")
    assert result.returncode == 0, result.stderr
    database = fresh_platform.data_dir / "workforce.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_connection_asks_for_wal_and_immediate_transactions(fresh_platform):
    result = fresh_platform.run(
        "from workforce.platform import django_setup; django_setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA synchronous'); print(c.fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    assert result.stdout.split() == ["wal", "1", "IMMEDIATE"], result.stderr


def test_the_data_directory_defaults_to_workforce_data_in_the_current_directory(fresh_platform):
    result = fresh_platform.run(
        PRINT.format("settings.WORKFORCE_DATA_DIR"), WORKFORCE_DATA_DIR=None
    )
    assert result.stdout.strip() == str(fresh_platform.root / "workforce-data"), result.stderr
    assert (fresh_platform.root / "workforce-data").is_dir()


def test_development_generates_a_secret_key_once_and_keeps_it_private(fresh_platform):
    first = fresh_platform.run(PRINT.format("settings.SECRET_KEY"))
    second = fresh_platform.run(PRINT.format("settings.SECRET_KEY"))
    key_file = fresh_platform.data_dir / "secret_key"
    assert first.stdout == second.stdout == key_file.read_text() + "\n"
    assert len(key_file.read_text()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_cookies_work_over_plain_http(fresh_platform):
    result = fresh_platform.run(
        PRINT.format("settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE")
    )
    assert result.stdout.split() == ["False", "False", "False"], result.stderr


def test_production_passes_the_deployment_checks_without_warnings(fresh_platform, production_env):
    result = fresh_platform.run(CHECK_DEPLOY, **production_env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(fresh_platform, production_env):
    del production_env["WORKFORCE_SECRET_KEY"]
    result = fresh_platform.run(CHECK_DEPLOY, **production_env)
    assert result.returncode != 0
    assert "WORKFORCE_SECRET_KEY is not set" in result.stderr
    assert not (fresh_platform.data_dir / "secret_key").exists()


def test_production_refuses_to_start_without_allowed_hosts(fresh_platform, production_env):
    del production_env["WORKFORCE_ALLOWED_HOSTS"]
    result = fresh_platform.run(CHECK_DEPLOY, **production_env)
    assert result.returncode != 0
    assert "WORKFORCE_ALLOWED_HOSTS is not set" in result.stderr


def test_production_never_debugs_even_when_asked(fresh_platform, production_env):
    result = fresh_platform.run(
        PRINT.format("settings.DEBUG"), WORKFORCE_DEBUG="1", **production_env
    )
    assert result.stdout.strip() == "False", result.stderr


def test_an_unknown_environment_name_is_refused(fresh_platform):
    result = fresh_platform.run(CHECK_DEPLOY, WORKFORCE_ENV="staging")
    assert "WORKFORCE_ENV='staging': use 'development' or 'production'" in result.stderr


def test_passwords_are_hashed_with_argon2_first():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_django_password_validators_are_on():
    names = [validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


def test_postgresql_runs_on_the_platforms_backend_with_prepared_statements(fresh_platform):
    result = fresh_platform.run(
        PRINT.format("settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']"),
        DATABASE_URL="postgresql://workforce@db.example/workforce",
    )
    assert result.stdout.startswith("workforce.platform.postgresql "), result.stderr
    assert "prepare_threshold" not in result.stdout  # the backend's default: prepared


def test_prepared_statements_can_be_turned_off_for_a_pooler(fresh_platform):
    result = fresh_platform.run(
        PRINT.format("settings.DATABASES['default']['OPTIONS']"),
        DATABASE_URL="postgresql://workforce@db.example/workforce",
        WORKFORCE_DATABASE_PREPARED_STATEMENTS="off",
    )
    assert result.stdout.strip() == "{'prepare_threshold': None}", result.stderr
