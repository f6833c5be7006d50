"""Structured logs: JSON lines with the request's method, path, status, duration and user id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from workforce.platform import logs
from workforce.platform.actions.users import do_set_password

pytestmark = pytest.mark.platform

PASSWORD = "a synthetic password for logging tests"


@pytest.fixture
def log_lines():
    """Everything logged during the test, formatted the way the platform formats stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [line for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)


def events(lines, name):
    return [record for record in map(json.loads, lines) if record["event"] == name]


def test_every_log_line_is_one_json_object(db, client, log_lines):
    client.get("/")
    client.get("/no-such-page/")
    logging.getLogger("some.library").warning("a plain %s message", "stdlib")
    lines = log_lines()
    assert len(lines) >= 3
    for line in lines:
        record = json.loads(line)
        assert {"event", "level", "timestamp", "logger"} <= set(record)


def test_a_request_is_logged_with_method_path_status_duration_and_user_id(
    ashg_steward, client_for, log_lines
):
    client_for(ashg_steward).get("/organizations/ashg/?q=secret")
    [request] = events(log_lines(), "http.request")
    assert request["method"] == "GET"
    assert request["path"] == "/organizations/ashg/"
    assert request["status"] == 200
    assert request["duration_ms"] >= 0
    assert request["user_id"] == ashg_steward.pk
    assert len(request["request_id"]) == 32


def test_anonymous_requests_have_no_user_id(db, client, log_lines):
    client.get("/healthz")
    [request] = events(log_lines(), "http.request")
    assert request["user_id"] is None


def test_signing_in_logs_neither_the_password_nor_the_e_mail_address(
    ashg_steward, client, log_lines
):
    do_set_password(ashg_steward, PASSWORD, acting_user=None)
    client.post("/login/", {"username": ashg_steward.email, "password": PASSWORD})
    client.post("/login/", {"username": ashg_steward.email, "password": "wrong " + PASSWORD})
    client.get("/dashboard/")
    text = "\n".join(log_lines())
    assert "http.request" in text
    assert PASSWORD not in text
    assert ashg_steward.email not in text
    assert ashg_steward.email.split("@")[0] not in text


def test_a_forbidden_page_is_logged_without_personal_data(
    ashg_steward, nsgc, client_for, log_lines
):
    client_for(ashg_steward).get("/organizations/nsgc/uploads/")
    lines = log_lines()
    assert events(lines, "http.request")[0]["status"] == 403
    assert ashg_steward.email not in "\n".join(lines)


def test_a_refusal_is_one_line_without_a_traceback(ashg_steward, nsgc, client_for, log_lines):
    client_for(ashg_steward).get("/organizations/nsgc/uploads/")
    assert [json.loads(line)["event"] for line in log_lines()] == ["http.request"]


def test_a_server_error_is_logged_with_its_traceback(
    ashg_steward, client_for, log_lines, monkeypatch
):
    from workforce.platform.organizations import views

    def broken(*args, **kwargs):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(views, "render", broken)
    client = client_for(ashg_steward)
    client.raise_request_exception = False
    assert client.get("/organizations/ashg/").status_code == 500
    errors = [json.loads(line) for line in log_lines() if '"django.request"' in line]
    assert errors[0]["level"] == "error"
    assert "RuntimeError: synthetic failure" in errors[0]["exception"]
