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


def gunicorn_options(
    host: str, port: int, workers: int, threads: int, timeout: int, access_log: bool
) -> dict[str, Any]:
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        # Threads keep a slow client from holding a whole worker when no proxy buffers.
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
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
    access_log: bool = True,
    migrate_first: bool = True,
    task_worker: bool = False,
) -> None:
    """Serve the platform until interrupted (Ctrl-C or SIGTERM); blocks.

    Brings the database up to date first (unless ``migrate_first`` is False) and, in
    production, collects static files into the data directory so WhiteNoise can serve them.
    With ``task_worker`` a task worker runs beside the web server and stops with it: one
    command for a small installation (a larger one runs `workforce manage db_worker` as a
    service of its own).
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
        task_worker=task_worker,
        environment=settings.WORKFORCE_ENV,
        data_dir=str(settings.WORKFORCE_DATA_DIR),
    )
    worker = start_task_worker() if task_worker else None
    try:
        WorkforceServer(gunicorn_options(host, port, workers, threads, timeout, access_log)).run()
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
