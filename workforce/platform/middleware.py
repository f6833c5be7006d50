"""Request logging: one structured event per request, with its status, duration and user id."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from workforce.platform.logs import redact_respondent_paths

log = structlog.get_logger("workforce.request")


class RequestLogMiddleware:
    """Log ``http.request`` events; path only, because query strings may carry personal data.

    A survey link's token in the path is replaced by ``[token]``: it leads to a response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            log.info(
                "http.request",
                method=request.method,
                path=redact_respondent_paths(request.path),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - start) * 1000, 2),
                user_id=user.pk if user is not None and user.is_authenticated else None,
            )
            return response
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
