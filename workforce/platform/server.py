"""Serving the platform with gunicorn, as ``workforce serve`` does: migrate, then serve.

gunicorn is started from Python (a ``BaseApplication``), not from its own command line, so
that the settings, the migrations and the JSON logging are the same ones the CLI uses.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from datetime import timedelta
from typing import Any

import structlog
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from workforce.platform import collect_static, django_setup, migrate

log = structlog.get_logger("workforce.server")
access_log = structlog.get_logger("gunicorn.access")


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's logger, writing through the platform's JSON handler instead of its own.

    Access events carry method, path, status, size and duration; not the client address,
    the query string or the user agent, which together with a timestamp could link an
    anonymous survey response back to a person.
    """

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        self.loglevel = self.LOG_LEVELS.get(cfg.loglevel.lower(), logging.INFO)
        self.error_log.setLevel(self.loglevel)
        self.access_log.setLevel(logging.INFO)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True  # to the root handler configured by Django's LOGGING

    @property
    def access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)

    def access(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        access_log.info(
            "http.access",
            method=environ.get("REQUEST_METHOD"),
            path=environ.get("PATH_INFO"),
            status=int(status) if str(status).isdigit() else status,
            bytes=getattr(resp, "sent", None),
            duration_ms=round(request_time.total_seconds() * 1000, 2),
        )


class WorkforceServer(BaseApplication):
    """gunicorn serving the Django WSGI application with options given in Python."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


# How long an idle connection is kept open for the next request. Served directly (the demo,
# development) a couple of seconds, as gunicorn advises for clients on the other end of the
# line. Behind the TLS proxy of a production installation the connections are the proxy's
# pool: kept longer than the proxy keeps an idle one (60 s in docs/deploying.md), so that
# the proxy always closes first and never sends a request down a connection the server has
# just closed (a POST it could not safely send again would fail with a 502).
KEEPALIVE_DIRECT = 2
KEEPALIVE_BEHIND_PROXY = 75


def gunicorn_options(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    access_log: bool,
    keepalive: int = KEEPALIVE_DIRECT,
) -> dict[str, Any]:
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        # Threads keep a slow client from holding a whole worker when no proxy buffers.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "keepalive": keepalive,
        "graceful_timeout": 30,
        "proc_name": "workforce",
        "logger_class": JsonGunicornLogger,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        # No shared control socket under $HOME: several servers may run on one machine.
        "control_socket_disable": True,
    }


def start_task_worker() -> subprocess.Popen:
    """`workforce manage db_worker` beside the web server: it sends the mailings and writes
    the exports the web app queues, each when its time comes."""
    return subprocess.Popen(
        [sys.executable, "-c", "from workforce.platform import manage; manage(['db_worker'])"],
        env=os.environ | {"WORKFORCE_TASKS": "database"},
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    *,
    threads: int = 4,
    timeout: int = 120,
    access_log: bool = False,
    keepalive: int | None = None,
    migrate_first: bool = True,
    task_worker: bool = False,
) -> None:
    """Serve the platform until interrupted (Ctrl-C or SIGTERM); blocks.

    Brings the database up to date first (unless ``migrate_first`` is False) and, in
    production, collects static files into the data directory so WhiteNoise can serve them.
    With ``task_worker`` a task worker runs beside the web server and stops with it: one
    command for a small installation (a larger one runs `workforce manage db_worker` as a
    service of its own).

    Each request is logged once, by the platform's request log (``http.request``: method,
    path with survey links redacted, status, duration, request id). gunicorn's access line
    (``http.access``) says the same again and costs about 5% of the server's throughput on
    survey pages (docs/performance.md); ``access_log`` adds it back. ``keepalive`` is how
    many seconds an idle connection is kept: by default `KEEPALIVE_BEHIND_PROXY` in
    production, which runs behind a TLS proxy (docs/deploying.md), else `KEEPALIVE_DIRECT`.
    """
    django_setup()
    from django.conf import settings
    from django.db import connections

    if migrate_first:
        migrate()
    if settings.PRODUCTION:
        collect_static()
    # Workers are forked from this process: they must not inherit an open connection.
    connections.close_all()
    if keepalive is None:
        keepalive = KEEPALIVE_BEHIND_PROXY if settings.PRODUCTION else KEEPALIVE_DIRECT
    if task_worker and settings.WORKFORCE_TASKS != "database":
        log.warning(
            "server.task_worker_not_needed",
            reason="WORKFORCE_TASKS is not 'database': every task runs in its request",
        )
        task_worker = False
    log.info(
        "server.starting",
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        keepalive_seconds=keepalive,
        access_log=access_log,
        task_worker=task_worker,
        environment=settings.WORKFORCE_ENV,
        data_dir=str(settings.WORKFORCE_DATA_DIR),
    )
    worker = start_task_worker() if task_worker else None
    try:
        options = gunicorn_options(host, port, workers, threads, timeout, access_log, keepalive)
        WorkforceServer(options).run()
    finally:
        if worker is not None:
            _stop(worker)


def _stop(worker: subprocess.Popen) -> None:
    """Stop the task worker: it finishes the task in hand first, as on Ctrl-C."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
