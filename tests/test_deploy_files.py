"""The production files in deploy/ agree with the platform they front (docs/deploying.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workforce.platform.serving_defaults import KEEPALIVE_BEHIND_PROXY

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS_SOURCE = (ROOT / "workforce" / "platform" / "settings.py").read_text(encoding="utf-8")


def default_upload_limit() -> int:
    """WORKFORCE_MAX_UPLOAD_BYTES's default, as settings.py writes it (a product of numbers)."""
    found = re.search(
        r'os\.environ\.get\("WORKFORCE_MAX_UPLOAD_BYTES", ([\d *]+)\)', SETTINGS_SOURCE
    )
    limit = 1
    for factor in found.group(1).split("*"):
        limit *= int(factor)
    return limit


def text(name: str) -> str:
    return (DEPLOY / name).read_text(encoding="utf-8")


def without_comments(source: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m|h)?", value).groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600, None: 1}[unit]


def size_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*([kmgKMG]i?[bB]?)?", value).groups()
    powers = {"k": 1, "m": 2, "g": 3}
    if unit is None:
        return int(number)
    base = 1000 if len(unit) > 1 and unit[1] in "bB" and "i" not in unit else 1024
    return int(number) * base ** powers[unit[0].lower()]


@pytest.fixture
def nginx() -> str:
    return without_comments(text("nginx.conf"))


@pytest.fixture
def caddy() -> str:
    return without_comments(text("Caddyfile"))


def test_both_proxies_close_an_idle_connection_before_the_platform_does(nginx, caddy):
    upstream = re.search(r"upstream workforce \{(.*?)\}", nginx, re.S).group(1)
    assert re.search(r"^\s*keepalive \d+;", upstream, re.M)  # a pool, not a connection each
    nginx_idle = seconds(re.search(r"keepalive_timeout (\w+);", upstream).group(1))
    caddy_idle = seconds(re.search(r"transport http \{[^}]*keepalive (\w+)", caddy).group(1))
    assert nginx_idle < KEEPALIVE_BEHIND_PROXY and caddy_idle < KEEPALIVE_BEHIND_PROXY


def test_nginx_keeps_the_pooled_connection_and_says_the_request_came_over_https(nginx):
    location = re.search(r"location / \{(.*?)\}", nginx, re.S).group(1)
    assert "proxy_pass http://workforce;" in location
    assert "proxy_http_version 1.1;" in location
    assert 'proxy_set_header Connection "";' in location
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in location
    assert "proxy_set_header Host $host;" in location


def test_neither_proxy_logs_or_passes_on_a_members_address(nginx, caddy):
    assert "access_log off;" in nginx and "access_log /" not in nginx
    assert 'proxy_set_header X-Forwarded-For "";' in nginx
    assert not re.search(r"^\s*log\b", caddy, re.M)
    assert "header_up -X-Forwarded-For" in caddy


def test_both_proxies_accept_an_export_as_large_as_the_platform_does(nginx, caddy):
    nginx_limit = size_bytes(re.search(r"client_max_body_size (\w+);", nginx).group(1))
    caddy_limit = size_bytes(re.search(r"max_size (\w+)", caddy).group(1))
    assert nginx_limit >= default_upload_limit() and caddy_limit >= default_upload_limit()


def test_the_services_run_the_server_and_the_task_worker_with_the_settings_file():
    web, tasks = text("workforce-web.service"), text("workforce-tasks.service")
    assert re.search(r"^ExecStart=\S+/workforce serve --host 127\.0\.0\.1 --port 8000", web, re.M)
    assert re.search(r"^ExecStart=\S+/workforce manage db_worker$", tasks, re.M)
    for unit in (web, tasks):
        assert "EnvironmentFile=/etc/workforce/workforce.env" in unit
        assert "ReadWritePaths=/var/lib/workforce" in unit


def test_the_example_settings_name_only_variables_the_platform_reads():
    example = text("workforce.env.example")
    names = re.findall(r"^([A-Z_]+)=", example, re.M)
    read = set(re.findall(r"""["'](WORKFORCE_[A-Z_]+)["']""", SETTINGS_SOURCE))
    read.add("DATABASE_URL")  # read by dj_database_url.config()
    assert "dj_database_url.config(" in SETTINGS_SOURCE
    assert names and set(names) <= read, set(names) - read
    # What production refuses to start without, and where its links and files go.
    required = {"WORKFORCE_ENV", "WORKFORCE_SECRET_KEY", "WORKFORCE_ALLOWED_HOSTS"}
    assert required | {"WORKFORCE_BASE_URL", "DATABASE_URL", "WORKFORCE_DATA_DIR"} <= set(names)
    assert re.search(r"^WORKFORCE_ENV=production$", example, re.M)
    assert re.search(r"^WORKFORCE_SECRET_KEY=$", example, re.M)  # never a shipped secret


@pytest.mark.parametrize(
    ("value", "expected"),
    [("512m", 512 * 2**20), ("512MiB", 512 * 2**20), ("1g", 2**30), ("600MB", 600 * 10**6)],
)
def test_sizes_are_read_as_the_proxies_read_them(value, expected):
    assert size_bytes(value) == expected
