"""Serving the platform with granian, as ``workforce serve`` does: migrate, then serve.

granian, an HTTP server written in Rust, serves the Django WSGI application. It is started from
Python, not from its own command line, so that the settings, the migrations and the JSON
logging are the same ones the CLI uses. It took the place of gunicorn's threaded workers:
granian reads and writes connections in Rust and calls Python only to run a request, where
gunicorn's threads parse HTTP, wait on sockets and hand kept connections back and forth in
Python, a sixth of a worker's interpreter time on the survey pages under load. Measured on
two cores, PostgreSQL, 32 respondents on the proxy's kept connections: see
docs/performance.md.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
from typing import Any

import structlog

from workforce.platform import collect_static, django_setup, migrate
from workforce.platform.serving_defaults import (
    KEEPALIVE_BEHIND_PROXY,
    KEEPALIVE_DIRECT,
    THREADS,
    WORKERS,
)

log = structlog.get_logger("workforce.server")


def granian_options(
    host: str,
    port: int,
    workers: int,
    threads: int,
    access_log: bool,
    keepalive: int = KEEPALIVE_DIRECT,
) -> dict[str, Any]:
    """The keyword arguments of granian's ``Server`` for the platform's WSGI application."""
    from django.conf import settings
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    return {
        "target": "workforce.platform.wsgi:application",
        "address": host.strip("[]"),
        "port": port,
        "interface": Interfaces.WSGI,
        "workers": workers,
        # Threads run the application. Connections are read and written by granian's own
        # thread: an idle connection, or one still sending its headers, holds none of them
        # (a request's body is read by the thread running it, as under gunicorn).
        "blocking_threads": threads,
        # The proxy and the demo's browsers speak HTTP/1.1 to it; nothing upgrades.
        "http": HTTPModes.http1,
        "http1_settings": HTTP1Settings(header_read_timeout=keepalive * 1000),
        "websockets": False,
        # granian applies these in its own process and in every worker; a deep copy, since
        # it adds to the dict it is given.
        "log_dictconfig": copy.deepcopy(settings.LOGGING),
        "log_level": LogLevels(settings.LOG_LEVEL.lower()),
        "log_access": access_log,
        # A worker told to stop finishes the requests in hand for up to 30 s; a worker that
        # dies is replaced while the others go on serving.
        "workers_kill_timeout": 30,
        "respawn_failed_workers": True,
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
    workers: int = WORKERS,
    *,
    threads: int = THREADS,
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
    path with survey links redacted, status, duration, request id). granian's access line
    (``http.access``) says the same again; ``access_log`` adds it. ``keepalive`` is how
    many seconds an idle connection is kept: by default `KEEPALIVE_BEHIND_PROXY` in
    production, which runs behind a TLS proxy (docs/deploying.md), else `KEEPALIVE_DIRECT`.
    """
    django_setup()
    from django.conf import settings
    from django.db import connections
    from granian.server import Server

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
        options = granian_options(host, port, workers, threads, access_log, keepalive)
        Server(**options).serve()
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
