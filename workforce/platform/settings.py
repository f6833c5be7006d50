"""Django settings, read from the environment: SQLite in a data directory by default.

Environment variables:

- ``WORKFORCE_ENV``: ``development`` (default) or ``production``.
- ``WORKFORCE_DATA_DIR``: where the SQLite file, uploads, static files and the development
  secret key live; default ``./workforce-data``, created if missing.
- ``DATABASE_URL``: any database dj-database-url understands (``postgresql://...``); default
  the SQLite file ``<data dir>/workforce.sqlite3`` in WAL mode.
- ``WORKFORCE_SECRET_KEY``: required in production; in development a key is generated once
  and kept in ``<data dir>/secret_key``.
- ``WORKFORCE_ALLOWED_HOSTS``: comma-separated host names; required in production.
- ``WORKFORCE_CSRF_TRUSTED_ORIGINS``: comma-separated origins (``https://example.org``).
- ``WORKFORCE_DEBUG``: ``1`` to turn on Django's debug pages (development only).
- ``WORKFORCE_LOG_LEVEL``: ``INFO`` by default (``WARNING`` for ``workforce survey|org ...``
  and while ``workforce demo`` runs its stages).
- ``WORKFORCE_HSTS_SECONDS``, ``WORKFORCE_HSTS_INCLUDE_SUBDOMAINS``, ``WORKFORCE_HSTS_PRELOAD``:
  production HSTS; defaults (one year, subdomains, preload) are what ``check --deploy`` asks
  for. Turn subdomains or preload off if the domain is shared with sites not served over TLS.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from workforce.platform import logs

PLATFORM_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def default_data_dir() -> Path:
    if os.environ.get("WORKFORCE_DATA_DIR"):
        return Path(os.environ["WORKFORCE_DATA_DIR"])
    if "pytest" in sys.modules:
        # pytest-django loads these settings before any conftest can set the environment, so
        # without this the test run would write a database and a secret key into the
        # working tree. A throw-away directory per test process keeps tests hermetic.
        path = Path(tempfile.mkdtemp(prefix="workforce-test-data-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        return path
    return Path("workforce-data")


def development_secret_key(data_dir: Path) -> str:
    """The key kept in the data directory, created on first use, readable by its owner only."""
    from django.core.management.utils import get_random_secret_key

    path = data_dir / "secret_key"
    try:
        # O_EXCL: several server workers may start at once; exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
        if not key:
            raise ImproperlyConfigured(
                f"{path} is empty; delete it to generate a new key"
            ) from None
        return key
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(get_random_secret_key())
    return path.read_text(encoding="utf-8").strip()


WORKFORCE_ENV = os.environ.get("WORKFORCE_ENV", "development").strip().lower()
if WORKFORCE_ENV not in ("development", "production"):
    raise ImproperlyConfigured(
        f"WORKFORCE_ENV={WORKFORCE_ENV!r}: use 'development' or 'production'"
    )
PRODUCTION = WORKFORCE_ENV == "production"

WORKFORCE_DATA_DIR = default_data_dir().resolve()
WORKFORCE_DATA_DIR.mkdir(parents=True, exist_ok=True)
# Partner files, kept byte-for-byte (see workforce.platform.uploads.storage).
WORKFORCE_UPLOADS_DIR = WORKFORCE_DATA_DIR / "uploads"
# Published reports, kept byte-for-byte (see workforce.platform.reports.storage).
WORKFORCE_REPORTS_DIR = WORKFORCE_DATA_DIR / "reports"
WORKFORCE_MAX_UPLOAD_BYTES = int(os.environ.get("WORKFORCE_MAX_UPLOAD_BYTES", 512 * 1024 * 1024))

# --- Secrets, hosts, debug ------------------------------------------------------------------

if PRODUCTION:
    SECRET_KEY = os.environ.get("WORKFORCE_SECRET_KEY", "").strip()
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "WORKFORCE_SECRET_KEY is not set. Production needs a long random secret key, e.g. "
            "WORKFORCE_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    ALLOWED_HOSTS = env_list("WORKFORCE_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "WORKFORCE_ALLOWED_HOSTS is not set. Production needs the host names it serves, "
            "e.g. WORKFORCE_ALLOWED_HOSTS=workforce.example.org"
        )
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("WORKFORCE_SECRET_KEY", "").strip() or development_secret_key(
        WORKFORCE_DATA_DIR
    )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *env_list("WORKFORCE_ALLOWED_HOSTS")]
    DEBUG = env_bool("WORKFORCE_DEBUG", default=False)

CSRF_TRUSTED_ORIGINS = env_list("WORKFORCE_CSRF_TRUSTED_ORIGINS")

# --- Applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "workforce.platform.accounts",
    "workforce.platform.organizations",
    "workforce.platform.uploads",
    "workforce.platform.intake",
    "workforce.platform.reports",
    "workforce.platform.audit",
    "workforce.platform.surveys",
    "workforce.platform.qual",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so that the logged duration covers everything, static files included.
    "workforce.platform.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "workforce.platform.urls"
WSGI_APPLICATION = "workforce.platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PLATFORM_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # The respondent pages (`surveys/jinja2/`): see `workforce.platform.jinja2`.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "workforce.platform.jinja2.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{WORKFORCE_DATA_DIR / 'workforce.sqlite3'}",
        # Reuse connections across requests; health checks drop ones the server closed.
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a cursor for statements worth preparing (the respondent pages')
    # and a health check without a round trip.
    DATABASES["default"]["ENGINE"] = "workforce.platform.postgresql"
    if not env_bool("WORKFORCE_DATABASE_PREPARED_STATEMENTS", default=True):
        # For a pooler that cannot keep prepared statements (PgBouncer in transaction mode
        # before 1.21).
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer writes (several server workers share the
        # file); synchronous=NORMAL is durable in WAL mode and much faster than FULL.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        # Take the write lock at BEGIN, so concurrent writers wait (up to timeout) instead of
        # failing with "database is locked" when a read transaction tries to upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and passwords -----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept so that hashes made by the others still verify (and are upgraded on login).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalization -------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "static/"
# The site's own CSS (the platform package is not an app, so it is listed here).
STATICFILES_DIRS = [PLATFORM_DIR / "static"]
STATIC_ROOT = WORKFORCE_DATA_DIR / "static"
# WhiteNoise warns at start-up when STATIC_ROOT is missing, even while it serves from finders.
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed copies made by collectstatic (the server runs
        # it at start); development serves straight from the apps, no collectstatic needed.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Security -------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

if PRODUCTION:
    # Deployed behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips any
    # value a client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("WORKFORCE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WORKFORCE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("WORKFORCE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
else:
    # The demo serves plain HTTP on 127.0.0.1; secure-only cookies would never be sent back.
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = os.environ.get("WORKFORCE_LOG_LEVEL", "INFO").upper()
logs.configure_structlog()
LOGGING = logs.logging_config(LOG_LEVEL)

# --- Background tasks and e-mail ------------------------------------------------------------

# Invitations, reminders and exports run as background tasks so a send to 20,000 members
# never holds a request. Production and the demo use the database-backed queue (run
# `workforce manage db_worker`); WORKFORCE_TASKS=immediate runs each task at once, in the
# caller (tests, and a one-machine setup without a worker).
WORKFORCE_TASKS = os.environ.get(
    "WORKFORCE_TASKS", "immediate" if "pytest" in sys.modules else "database"
)
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if WORKFORCE_TASKS == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

# SMTP in production (EMAIL_HOST etc. from the environment); elsewhere each mail is a file in
# <data dir>/mail, where a person trying the demo can open the invitation link.
WORKFORCE_MAIL_DIR = WORKFORCE_DATA_DIR / "mail"
if PRODUCTION or os.environ.get("WORKFORCE_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("WORKFORCE_EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("WORKFORCE_EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("WORKFORCE_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("WORKFORCE_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("WORKFORCE_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = WORKFORCE_MAIL_DIR
DEFAULT_FROM_EMAIL = os.environ.get("WORKFORCE_FROM_EMAIL", "survey@workforce.invalid")
# The address respondents' links start with (the e-mails are sent outside any request).
WORKFORCE_BASE_URL = os.environ.get("WORKFORCE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
