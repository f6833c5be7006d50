"""Structured logs: one JSON object per line on stderr, for Django, gunicorn and our own code.

structlog renders our events; the stdlib ``ProcessorFormatter`` renders every other library's
log records the same way, so an operator can pipe stderr straight into a log store.
Never log passwords or e-mail addresses: log user ids.
"""

from __future__ import annotations

from typing import Any

import structlog

# Applied to structlog events and, through ``foreign_pre_chain``, to stdlib log records.
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter that turns any log record into one line of JSON."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    )


def configure_structlog() -> None:
    """Make ``structlog.get_logger()`` hand events to the stdlib handlers configured below."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The ``LOGGING`` setting: everything propagates to one JSON handler on stderr."""
    return {
        "version": 1,
        # gunicorn's loggers exist before Django configures logging in a worker; keep them.
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # Replace Django's plain-text default handlers so every line stays JSON.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"handlers": [], "level": "WARNING", "propagate": True},
            # 4xx answers are in the http.request events already; Django would add a
            # traceback for every 403 and 404. Server errors (5xx) are still logged in full.
            "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
        },
    }
