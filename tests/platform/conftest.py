"""Named people and organizations for platform tests, so permission tests read like sentences.

The consortium has three societies (ashg, nsgc, acmg). The people:

- ``staff``: consortium staff (a role in the consortium, which reaches every society)
- ``ashg_steward``, ``ashg_analyst``: a data steward and an analyst of ASHG
- ``nsgc_steward``: NSGC's data steward
- ``acmg_viewer``: a viewer of ACMG (published results only)
- ``outsider``: signed in, no role anywhere
- ``anonymous``: not signed in (``None``)

Users are created without passwords and signed in with ``force_login``, because hashing with
Argon2 takes a tenth of a second; the tests about passwords set real ones.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_pages import CHROMIUM
from django.test import Client

from workforce.platform.actions.organizations import do_create_organization, do_grant_role
from workforce.platform.actions.uploads import do_store_upload
from workforce.platform.actions.users import do_create_user
from workforce.platform.organizations.models import Organization, Role


@pytest.fixture(autouse=True)
def uploads_dir(settings, tmp_path) -> Path:
    """Every test keeps its uploaded files in its own temporary folder."""
    settings.WORKFORCE_UPLOADS_DIR = tmp_path / "uploads"
    return settings.WORKFORCE_UPLOADS_DIR


@pytest.fixture(autouse=True)
def reports_dir(settings, tmp_path) -> Path:
    """Every test keeps its published reports in its own temporary folder."""
    settings.WORKFORCE_REPORTS_DIR = tmp_path / "reports"
    return settings.WORKFORCE_REPORTS_DIR


# --- Organizations ----------------------------------------------------------------------------


@pytest.fixture
def consortium(db) -> Organization:
    return do_create_organization(
        "consortium",
        "Human Genetics & Genomics Workforce Consortium",
        Organization.Kind.CONSORTIUM,
        acting_user=None,
    )


def society(code: str, name: str, consortium: Organization) -> Organization:
    return do_create_organization(
        code, name, Organization.Kind.SOCIETY, parent=consortium, acting_user=None
    )


@pytest.fixture
def ashg(consortium) -> Organization:
    return society("ashg", "American Society of Human Genetics", consortium)


@pytest.fixture
def nsgc(consortium) -> Organization:
    return society("nsgc", "National Society of Genetic Counselors", consortium)


@pytest.fixture
def acmg(consortium) -> Organization:
    return society("acmg", "American College of Medical Genetics and Genomics", consortium)


@pytest.fixture
def orgs(consortium, ashg, nsgc, acmg) -> dict[str, Organization]:
    return {"consortium": consortium, "ashg": ashg, "nsgc": nsgc, "acmg": acmg}


# --- People -----------------------------------------------------------------------------------


def make_person(email: str, organization: Organization | None = None, role: Role | None = None):
    user = do_create_user(email, full_name=email.split("@")[0].title(), acting_user=None)
    if organization is not None:
        do_grant_role(user, organization, role, acting_user=None)
    return user


@pytest.fixture
def staff(consortium):
    return make_person("staff@consortium.example", consortium, Role.CONSORTIUM_STAFF)


@pytest.fixture
def ashg_steward(ashg):
    return make_person("steward@ashg.example", ashg, Role.DATA_STEWARD)


@pytest.fixture
def ashg_analyst(ashg):
    return make_person("analyst@ashg.example", ashg, Role.ANALYST)


@pytest.fixture
def nsgc_steward(nsgc):
    return make_person("steward@nsgc.example", nsgc, Role.DATA_STEWARD)


@pytest.fixture
def acmg_viewer(acmg):
    return make_person("viewer@acmg.example", acmg, Role.VIEWER)


@pytest.fixture
def outsider(db):
    return make_person("someone@elsewhere.example")


@pytest.fixture
def anonymous():
    return None


@pytest.fixture
def people(staff, ashg_steward, ashg_analyst, nsgc_steward, acmg_viewer, outsider, anonymous):
    return {
        "staff": staff,
        "ashg_steward": ashg_steward,
        "ashg_analyst": ashg_analyst,
        "nsgc_steward": nsgc_steward,
        "acmg_viewer": acmg_viewer,
        "outsider": outsider,
        "anonymous": anonymous,
    }


@pytest.fixture
def uploads(orgs):
    """One small synthetic file received from each organization, keyed by its code."""
    return {
        code: do_store_upload(
            organization,
            f"{code}_members_2024.csv",
            f"member_id,career_stage\n{code}-001,early_career\n".encode(),
            acting_user=None,
        )
        for code, organization in orgs.items()
    }


def sign_in(user) -> Client:
    """A test client signed in as ``user`` (or anonymous for ``None``)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return sign_in


@pytest.fixture
def steward_client(ashg_steward):
    """A test client signed in as ASHG's data steward."""
    return sign_in(ashg_steward)


# --- Written reports ---------------------------------------------------------------------------
# A small synthetic consortium (scale 0.1, one survey wave) and its reports as `workforce
# report` writes them: the consortium's and each society's, without PDFs (WeasyPrint is slow;
# the PDF download is tested with a stand-in file). Building takes about half a minute, so the
# folders are made once under pytest's shared temporary root, behind a lock, and every xdist
# worker reads the same ones.

REPORT_SCALE = 0.1
REPORT_SEED = 2025
REPORT_ORGANIZATIONS = ("consortium", "ashg", "nsgc", "acmg")


@contextmanager
def locked(path: Path):
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_reports(root: Path) -> dict[str, Path]:
    """``{organization: report folder}``, written under ``root`` unless already there."""
    folders = {code: root / code for code in REPORT_ORGANIZATIONS}
    done = root / "complete"
    root.mkdir(parents=True, exist_ok=True)
    with locked(root.parent / f"{root.name}.lock"):
        if not done.exists():
            from workforce.reporting.build import build_report, for_organization
            from workforce.reporting.inputs import load_inputs
            from workforce.reporting.write import write_report
            from workforce.synth import generate
            from workforce.synth.report_inputs import write_report_inputs

            synth = root / "synth"
            generate(synth, scale=REPORT_SCALE, seed=REPORT_SEED)
            config = write_report_inputs(synth, synth / "report" / "report.yaml")
            report = build_report(load_inputs(config))
            write_report(report, folders["consortium"], pdf=False)
            for code in REPORT_ORGANIZATIONS[1:]:
                write_report(for_organization(report, code), folders[code], pdf=False)
            done.write_text("ok\n")
    return folders


@pytest.fixture(scope="session")
def report_dirs(tmp_path_factory, request) -> dict[str, Path]:
    """The folders ``workforce report`` wrote for each organization (see above)."""
    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # an xdist worker: share with the others
        root = root.parent
    return build_reports(root / "platform-reports")


# --- A real browser --------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium. Request it after the fixtures that create data.

    Playwright's sync API runs an event loop in this thread. ORM calls made while it runs
    are plain synchronous code, so Django's async-safety guard must stand aside; but they
    would open a connection kept per asyncio context, which the test database teardown
    never closes (PostgreSQL then refuses to drop the test database).
    """
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


# --- Fresh platform processes -----------------------------------------------------------------


class FreshPlatform:
    """Runs Python in a new process against its own data directory (SQLite by default).

    For what a test process cannot show: settings read at start-up, a real SQLite file,
    a real server. Nothing inherited points it at the test database.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"

    def env(self, **overrides: str | None) -> dict[str, str]:
        """The environment; an override of ``None`` removes that variable."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("WORKFORCE_")
            and key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env["WORKFORCE_DATA_DIR"] = str(self.data_dir)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, code: str, timeout: int = 120, **env: str | None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=self.env(**env),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, code: str, **env: str | None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            env=self.env(**env),
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )


@pytest.fixture
def fresh_platform(tmp_path) -> FreshPlatform:
    return FreshPlatform(tmp_path)


@pytest.fixture
def production_env() -> dict[str, str]:
    """What an operator sets for production (behind a TLS proxy at example.org)."""
    return {
        "WORKFORCE_ENV": "production",
        "WORKFORCE_SECRET_KEY": secrets.token_urlsafe(64),
        "WORKFORCE_ALLOWED_HOSTS": "example.org",
    }


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
