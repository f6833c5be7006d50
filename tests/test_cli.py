"""The command line as a person uses it: help, the standard, synth, and the demo end to end."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workforce.cli import app

runner = CliRunner()
COMMANDS = ["standard", "synth", "synth-wave", "serve", "manage", "demo", "ingest", "survey",
            "stats", "disclose", "report", "qual"]


def workforce_subprocess(
    args: list[str], tmp_path: Path, env_extra: dict[str, str] | None = None, **kwargs
) -> subprocess.Popen:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["WORKFORCE_DATA_DIR"] = str(tmp_path / "data")
    env.update(env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-m", "workforce.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_its_own_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_standard_show_prints_every_dimension():
    result = runner.invoke(app, ["standard", "show"], terminal_width=200)
    assert result.exit_code == 0
    for dimension in ("race_ethnicity", "gender", "sexual_orientation", "career_stage", "sector"):
        assert dimension in result.output


def test_standard_show_one_dimension_gives_codes_labels_and_source():
    result = runner.invoke(app, ["standard", "show", "race_ethnicity"], terminal_width=200)
    assert result.exit_code == 0
    assert "mena" in result.output
    assert "Middle Eastern or North African" in result.output
    assert "SPD-15" in result.output or "Statistical Policy Directive" in result.output


def test_standard_show_unknown_dimension_names_the_valid_ones():
    result = runner.invoke(app, ["standard", "show", "favourite_colour"])
    assert result.exit_code == 2
    assert "favourite_colour" in result.output
    assert "race_ethnicity" in result.output


def test_synth_same_seed_twice_writes_identical_files(tmp_path):
    digests = []
    for name in ("first", "second"):
        result = runner.invoke(
            app, ["synth", "--out", str(tmp_path / name), "--scale", "0.02", "--seed", "7"]
        )
        assert result.exit_code == 0, result.output
        files = sorted(p for p in (tmp_path / name).rglob("*") if p.is_file())
        digests.append(
            {
                str(p.relative_to(tmp_path / name)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in files
            }
        )
    assert digests[0] == digests[1]
    assert any(path.startswith("exports/") for path in digests[0])


@pytest.mark.long
def test_demo_no_serve_runs_every_stage_and_its_data_serves(tmp_path):
    """One demo (it takes a while): every stage's outputs, then the web app on its data."""
    process = workforce_subprocess(
        ["demo", "--no-serve", "--dir", str(tmp_path / "demo"), "--scale", "0.05"], tmp_path
    )
    stdout, stderr = process.communicate(timeout=400)
    assert process.returncode == 0, stderr
    # The person at the terminal reads progress and a summary, not the platform's JSON events.
    assert '"event":' not in stdout + stderr
    summary = json.loads((tmp_path / "demo" / "out" / "summary.json").read_text())
    names = [stage["name"] for stage in summary["stages"]]
    assert names == [
        "Synthetic consortium",
        "Standard records",
        "Web platform",
        "Intake",
        "Survey",
        "Estimates",
        "Disclosure",
        "Focus groups",
        "Benchmark report",
    ]
    validation = json.loads(
        (tmp_path / "demo" / "out" / "standard_records_validation.json").read_text()
    )
    assert validation["violations"] == 0
    # Every sign-in printed in full, whatever the terminal width.
    for email in ("staff@consortium.example", "steward@ashg.example", "viewer@acmg.example"):
        assert email in stdout
    assert "3 membership exports stored" in summary["stages"][2]["summary"]
    # The three exports went through intake, and every accepted record equals the truth.
    intake = json.loads((tmp_path / "demo" / "out" / "intake_against_truth.json").read_text())
    assert [entry["status"] for entry in intake] == ["ingested"] * 3
    for entry in intake:
        assert entry["accepted"] > 0
        assert entry["records_matching_truth"] == entry["accepted"], entry
    # Every synthetic response was answered through its e-mailed link and came out as the
    # standard record it was drawn as; one invitation is left open, and printed.
    survey = json.loads((tmp_path / "demo" / "out" / "survey_against_truth.json").read_text())
    responses = (tmp_path / "demo" / "synth" / "survey" / "responses.csv").read_text()
    assert survey["records_compared_with_truth"] == len(responses.splitlines()) - 1
    assert survey["records_equal_to_truth"] == survey["records_compared_with_truth"]
    assert all(wave["failed"] == [] for wave in survey["waves"])
    assert summary["survey_link"] in " ".join(stdout.split())
    # Weighting the responses to the frame brings the shares closer to the known truth.
    weighted = json.loads((tmp_path / "demo" / "out" / "estimates_against_truth.json").read_text())
    assert weighted["weighting"]["converged"]
    overall = weighted["overall"]
    assert overall["weighted_mean_distance_points"] < overall["unweighted_mean_distance_points"]
    # The published table passed the gate's audit; no hidden cell shows its count.
    gate = json.loads(
        (tmp_path / "demo" / "out" / "disclosure_society_race_gender.json").read_text()
    )
    assert gate["audit"]["passed"]
    assert all(c["count"] is None for c in gate["cells"] if c["status"] != "published")
    # The benchmark report: HTML, PDF and a data package that frictionless accepts, for the
    # consortium and for one society, over three waves.
    out = tmp_path / "demo" / "out"
    for where in (out, out / "societies" / "nsgc"):
        assert (where / "report.html").stat().st_size > 50_000
        assert (where / "report.pdf").read_bytes().startswith(b"%PDF")
        from workforce.reporting.datapackage import validate_data_package

        assert validate_data_package(where / "data" / "datapackage.json").valid
    report = json.loads((out / "report.json").read_text())
    assert report["wave"] == "2027" and all(gate["passed"] for gate in report["gates"])
    assert len(report["goals"]) == 3
    assert "2 reports published in the web platform" in summary["stages"][-1]["summary"]
    # The focus groups: coded by two coders, exported to REFI-QDA, in the report's section.
    focus = summary["stages"][-2]["summary"]
    assert "6 transcripts" in focus and "audit passed" in focus
    assert (out / "focus-groups.qdpx").stat().st_size > 10_000
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="focus-groups"' in page and 'id="open-text"' in page
    assert "coder.a@consortium.example" in stdout

    # What the demo serves at its end: the same data directory under `workforce serve`, with
    # a task worker beside it (the command the demo hands over to).
    port = free_port()
    server = workforce_subprocess(["serve", "--port", str(port), "--task-worker"], tmp_path,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert health == {"status": "ok", "database": "ok"}, server.poll()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "consortium" in response.read().decode().lower()
        # The invitation left open leads to the survey's first page, the consent.
        path = urllib.parse.urlsplit(summary["survey_link"]).path
        assert path.startswith("/s/")
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            assert "Before you start" in response.read().decode()
        # Staff follow a wave: its page draws responses over time, in a web worker.
        [password] = [
            line.split("│")[2].strip() for line in stdout.splitlines()
            if "staff@consortium.example" in line
        ]
        staff = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with staff.open(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                              response.read().decode()).group(1)
        form = {"username": "staff@consortium.example", "password": password,
                "csrfmiddlewaretoken": token}
        staff.open(f"http://127.0.0.1:{port}/login/",
                   data=urllib.parse.urlencode(form).encode(), timeout=10).close()
        with staff.open(f"http://127.0.0.1:{port}/organizations/ashg/surveys/ashg-2025/",
                        timeout=60) as response:
            assert 'aria-label="Completed responses, day by day"' in response.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)


def test_serve_in_production_without_a_secret_key_says_so_in_one_line(tmp_path):
    process = workforce_subprocess(["serve"], tmp_path, env_extra={"WORKFORCE_ENV": "production"})
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "WORKFORCE_SECRET_KEY" in stderr
    assert "Traceback" not in stderr


def test_manage_runs_a_django_management_command(tmp_path):
    process = workforce_subprocess(["manage", "check"], tmp_path)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "System check identified no issues" in stdout


def test_the_survey_and_org_commands_work_in_a_shell_of_their_own(tmp_path):
    """As a person types them: a process of its own, Django not configured beforehand."""

    def workforce(*args: str) -> subprocess.CompletedProcess:
        process = workforce_subprocess(list(args), tmp_path)
        stdout, stderr = process.communicate(timeout=120)
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)

    def run(*args: str) -> subprocess.CompletedProcess:
        return workforce("survey", *args)

    imported = run("modules", "--import")
    assert imported.returncode == 0, imported.stderr
    assert "Imported consortium_member_survey" in imported.stdout
    missing = run("wave", "status", "no-such-wave")
    assert missing.returncode == 1
    assert "no survey wave 'no-such-wave'" in missing.stdout + missing.stderr
    assert "settings are not configured" not in missing.stdout + missing.stderr
    # A fresh data directory has no organization yet: the message says where they are added.
    consent = tmp_path / "consent.txt"
    consent.write_text("Taking part is voluntary.", encoding="utf-8")
    no_org = run("wave", "create", "pulse", "--org", "consortium", "--form",
                 "consortium_member_survey", "--opens", "2027-03-01", "--closes", "2027-04-12",
                 "--consent", str(consent))
    assert no_org.returncode == 1
    said = " ".join((no_org.stdout + no_org.stderr).split())
    assert "no organization 'consortium': this data directory has none yet" in said
    assert "workforce org add CODE --name NAME --consortium" in said
    # Set up from the shell as the message says; then the wave is created.
    added = workforce("org", "add", "consortium", "--name", "Genomics Workforce", "--consortium")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Added consortium (Genomics Workforce), the consortium." in added.stdout
    created = run("wave", "create", "pulse", "--org", "consortium", "--form",
                  "consortium_member_survey", "--opens", "2027-03-01", "--closes", "2027-04-12",
                  "--consent", str(consent))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Created wave pulse (anonymous) of consortium" in created.stdout


def test_the_demo_hands_over_to_a_server_that_logs_and_queues_as_in_production(monkeypatch):
    from workforce.cli import demo_server_command

    # As the demo leaves its own environment: quiet stages, mailings at once.
    monkeypatch.setenv("WORKFORCE_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("WORKFORCE_TASKS", "immediate")
    argv, env = demo_server_command("127.0.0.1", 8123, {})
    assert argv[1:] == [
        "-m", "workforce.cli", "serve", "--host", "127.0.0.1", "--port", "8123",
        "--task-worker",
    ]
    assert "WORKFORCE_LOG_LEVEL" not in env and "WORKFORCE_TASKS" not in env
    # What the person chose before starting the demo is theirs to keep.
    chosen = {"WORKFORCE_TASKS": "immediate", "WORKFORCE_LOG_LEVEL": "DEBUG"}
    argv, env = demo_server_command("127.0.0.1", 8123, chosen)
    assert "--task-worker" not in argv
    assert (env["WORKFORCE_TASKS"], env["WORKFORCE_LOG_LEVEL"]) == ("immediate", "DEBUG")
