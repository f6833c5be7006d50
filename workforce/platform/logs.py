"""Structured logs: one JSON object per line on stderr, for Django, granian and our own code.

structlog renders our events; the stdlib ``ProcessorFormatter`` renders every other library's
log records the same way, so an operator can pipe stderr straight into a log store.
Never log passwords or e-mail addresses: log user ids. Survey links are secrets too: the
token of an e-mailed link (``/s/<token>/``) and the key of an open link lead to a response, so
every line has them replaced by ``[token]`` and ``[key]``, whichever logger wrote it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

# A path at the start of a text, after a space, quote or bracket, or after a scheme and host;
# not a "/s/" in the middle of some other path ("/static/s/...").
_LINK_START = r"(^|[^\w.~%-]|https?://[^/\s\"']+)"
RESPONDENT_SECRETS = [
    (re.compile(_LINK_START + r"/s/[^/?#\s\"']+"), r"\1/s/[token]"),
    (re.compile(_LINK_START + r"(/survey/[^/?#\s\"']+/open/)[^/?#\s\"']+"), r"\1\2[key]"),
]


def redact_respondent_paths(text: str) -> str:
    """``text`` with every survey link's token or open-link key replaced."""
    # Every value of every log line passes through here; most hold no survey path at all,
    # and a substring test is far cheaper than the two patterns.
    if "/s/" not in text and "/open/" not in text:
        return text
    for pattern, replacement in RESPONDENT_SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_respondent_paths(value)
    if isinstance(value, list | tuple):
        return type(value)(_redacted(item) for item in value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


def redact_event(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: no value of an event carries a survey link's secret."""
    return {key: _redacted(value) for key, value in event_dict.items()}


class RespondentPathFilter(logging.Filter):
    """Rewrites a stdlib record's message before any handler (or test) sees it.

    Set on the loggers that write request paths themselves (``django.request`` logs "Not
    Found: /s/…", the development server and granian log request lines) and on the handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            message = record.getMessage()
            redacted = redact_respondent_paths(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True


_access_log = structlog.get_logger("workforce.access")


class AccessEvent(logging.Filter):
    """Turns granian's access record into the platform's ``http.access`` event.

    granian hands its access logger a dict of the request's parts; only method, path, status
    and duration are kept. Not the client address, the query string or any header, which
    together with a timestamp could link an anonymous survey response back to a person. The
    record itself is dropped: the event is written in its place.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        parts = record.args if isinstance(record.args, dict) else {}
        duration = parts.get("dt_ms")
        _access_log.info(
            "http.access",
            method=parts.get("method"),
            path=parts.get("path"),
            status=parts.get("status"),
            duration_ms=round(duration, 2) if isinstance(duration, int | float) else None,
        )
        return False


# Applied to structlog events and, through ``foreign_pre_chain``, to stdlib log records.
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_event,
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
        # granian configures its loggers before the application (and Django) is loaded in a
        # worker; keep them.
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "filters": {
            "respondent_paths": {"()": RespondentPathFilter},
            "access_event": {"()": AccessEvent},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["respondent_paths"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # Replace Django's plain-text default handlers so every line stays JSON.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {
                "handlers": [],
                "level": level,
                "propagate": True,
                "filters": ["respondent_paths"],
            },
            "django.db.backends": {"handlers": [], "level": "WARNING", "propagate": True},
            # 4xx answers are in the http.request events already; Django would add a
            # traceback for every 403 and 404. Server errors (5xx) are still logged in full.
            "django.request": {
                "handlers": [],
                "level": "ERROR",
                "propagate": True,
                "filters": ["respondent_paths"],
            },
            # granian's own lines (starting, listening, workers) and, with `workforce serve
            # --access-log`, its access lines, rewritten as the platform's events.
            "_granian": {"filters": ["respondent_paths"]},
            "granian.access": {"handlers": [], "propagate": False, "filters": ["access_event"]},
        },
    }
