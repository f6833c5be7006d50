"""``workforce serve``: granian serving the platform, with migrations first and JSON logs."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import time
import urllib.error
import urllib.request

import pytest

from workforce.platform.serving_defaults import KEEPALIVE_DIRECT

pytestmark = pytest.mark.platform


def serve_code(port: int, **options) -> str:
    extra = "".join(f", {name}={value!r}" for name, value in options.items())
    return (
        "from workforce.platform.server import serve; "
        f"serve(port={port}, workers=1, threads=2{extra})"
    )


def get(url: str, headers: dict[str, str] | None = None):
    """(status, headers, body) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_until_healthy(process, port: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        with contextlib.suppress(OSError):  # not listening yet
            status, _, body = get(f"http://127.0.0.1:{port}/healthz")
            if status == 200:
                return json.loads(body)
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz in time")


@pytest.fixture
def server(fresh_platform, free_port):
    """Start a server with the given environment; stop it and hand back its stderr lines."""
    started = []

    def start(options: dict | None = None, **env):
        process = fresh_platform.start(serve_code(free_port, **(options or {})), **env)
        started.append(process)
        wait_until_healthy(process, free_port)
        return f"http://127.0.0.1:{free_port}"

    def stop() -> list[str]:
        process = started.pop()
        os.killpg(process.pid, signal.SIGTERM)
        # The server may give a stopping worker up to 30 s to finish its requests
        # (`workers_kill_timeout`); waiting exactly that long raced it on a loaded machine.
        _, stderr = process.communicate(timeout=60)
        return [line for line in stderr.splitlines() if line.strip()]

    start.stop = stop
    start.processes = started
    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)


def test_it_migrates_serves_pages_and_admin_css_in_development(server, fresh_platform):
    base = server()
    status, _, body = get(base + "/")
    assert status == 200 and b"consortium" in body.lower()
    status, headers, body = get(base + "/static/admin/css/base.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert get(base + "/organizations/ashg/uploads/")[0] == 302
    lines = server.stop()
    assert (fresh_platform.data_dir / "workforce.sqlite3").exists()
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert any(r["event"] == "http.request" and r["path"] == "/" for r in records)
    assert any(r["logger"] == "_granian" and "Listening at" in r["event"] for r in records)
    # Each request is logged once: granian's access line would only say it again.
    assert not [r for r in records if r["event"] == "http.access"]


def test_the_access_line_when_asked_names_no_client_and_hides_survey_links(server):
    base = server({"access_log": True})
    assert get(base + "/?member=someone", {"User-Agent": "a-phone"})[0] == 200
    assert get(base + "/s/a-secret-token/")[0] in (200, 404, 410)
    records = [json.loads(line) for line in server.stop()]
    access = [r for r in records if r["event"] == "http.access"]
    home = next(r for r in access if r["path"] == "/")
    assert home["method"] == "GET" and home["status"] == 200 and home["duration_ms"] > 0
    assert any(r["path"] == "/s/[token]/" for r in access)
    assert "a-secret-token" not in json.dumps(records)
    # No client address, query string or user agent: nothing that could identify a respondent.
    assert set(home) == {
        "method",
        "path",
        "status",
        "duration_ms",
        "event",
        "logger",
        "level",
        "timestamp",
    }


def test_production_serves_collected_static_files_over_https_only(
    server, fresh_platform, production_env
):
    production_env["WORKFORCE_ALLOWED_HOSTS"] = "127.0.0.1"
    base = server(**production_env)
    https = {"X-Forwarded-Proto": "https"}
    status, headers, _ = get(base + "/", https)
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    status, headers, _ = get(base + "/")
    assert status == 301 and headers["Location"].startswith("https://127.0.0.1:")
    assert get(base + "/static/admin/css/base.css", https)[0] == 200
    assert (fresh_platform.data_dir / "static" / "staticfiles.json").exists()
    server.stop()


def test_production_keeps_the_proxys_idle_connection_open_for_its_next_request(
    server, production_env
):
    """Behind the TLS proxy the connections are the proxy's pool: one left idle longer than
    a browser's would be is still there for the next request, and the server says for how
    long it keeps them (longer than the proxy's 60 s in docs/deploying.md)."""
    production_env["WORKFORCE_ALLOWED_HOSTS"] = "127.0.0.1"
    base = server(**production_env)
    port = int(base.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    https = {"X-Forwarded-Proto": "https"}
    try:
        connection.request("GET", "/healthz", headers=https)
        first = connection.getresponse()
        assert first.status == 200 and not first.will_close
        first.read()
        used = connection.sock.getsockname()
        time.sleep(KEEPALIVE_DIRECT + 0.5)  # longer than a server facing browsers keeps one
        connection.request("GET", "/healthz", headers=https)
        second = connection.getresponse()
        assert second.status == 200
        second.read()
        assert connection.sock.getsockname() == used  # the same connection, not a new one
    finally:
        connection.close()
    records = [json.loads(line) for line in server.stop()]
    starting = next(r for r in records if r["event"] == "server.starting")
    assert starting["keepalive_seconds"] > 60


def test_an_idle_connection_is_closed_once_its_keepalive_has_passed(server):
    """The server, not the client, ends a connection left idle: granian is given the
    keep-alive as the time it waits for the next request."""
    base = server({"keepalive": 1})
    port = int(base.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        time.sleep(2)
        assert connection.sock.recv(1) == b""  # the server has closed its end
    finally:
        connection.close()
    server.stop()


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
        return {int(child) for child in listing.read().split()}


def test_a_worker_that_dies_is_replaced(server):
    base = server()
    main = server.processes[-1].pid
    (worker,) = children(main)
    os.kill(worker, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replacement = children(main) - {worker}
        if replacement:
            break
        time.sleep(0.2)
    assert replacement, "no worker took the dead one's place"
    wait_until_healthy(server.processes[-1], int(base.rsplit(":", 1)[1]))
    server.stop()


def test_a_task_worker_beside_the_server_runs_what_is_queued_and_stops_with_it(
    fresh_platform, free_port
):
    process = fresh_platform.start(
        "from workforce.platform.server import serve; "
        f"serve(port={free_port}, workers=1, threads=2, task_worker=True)"
    )
    try:
        wait_until_healthy(process, free_port)
        # A mailing task for a mailing that does not exist: the worker runs it, and it fails.
        queued = fresh_platform.run(
            "import time\n"
            "from workforce.platform import django_setup\n"
            "django_setup()\n"
            "from django_tasks_db.models import DBTaskResult\n"
            "from workforce.platform.surveys.tasks import send_mailing\n"
            "task_id = send_mailing.enqueue(404).id\n"
            "for _ in range(300):\n"
            "    result = DBTaskResult.objects.get(id=task_id)\n"
            "    if result.status in ('SUCCESSFUL', 'FAILED'):\n"
            "        break\n"
            "    time.sleep(0.1)\n"
            "print(result.status, result.exception_class_path)\n"
        )
        assert queued.returncode == 0, queued.stderr
        assert queued.stdout.split() == [
            "FAILED",
            "workforce.platform.surveys.models.Mailing.DoesNotExist",
        ]
    finally:
        # Only the server is told to stop, as a service manager stopping it would.
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of it is left: the worker stopped with it
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(r["event"] == "server.starting" and r["task_worker"] for r in records)
