"""The demo loader: the consortium, its societies, demo people and their exports, idempotently."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import authenticate

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.demo import load_demo
from workforce.platform.intake.models import IngestRun
from workforce.platform.intake.models import Mapping as IntakeMapping
from workforce.platform.organizations.models import Membership, Organization
from workforce.platform.uploads.models import Upload
from workforce.synth import generate

pytestmark = pytest.mark.platform

EXPORT_NAMES = [
    ("acmg", "acmg_membership_2025.sav"),
    ("ashg", "ashg_members_2025.xlsx"),
    ("nsgc", "nsgc_roster_2025.csv"),
]


@pytest.fixture(scope="module")
def synthetic_exports(tmp_path_factory) -> Path:
    """The real synthetic consortium, small: the demo ingests its exports."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, scale=0.02, seed=11)
    return out / "exports"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Ten demo people per run: Argon2 would make these tests slow, and hashing is tested in
    # test_accounts; here only whether the passwords work matters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def synth_dir(tmp_path, synthetic_exports):
    exports = tmp_path / "synth" / "exports"
    shutil.copytree(synthetic_exports, exports)
    (exports / "README.txt").write_text("not a society's export")
    (exports / "ashgx_other.csv").write_text("no underscore right after the code")
    return tmp_path / "synth"


def test_it_creates_the_consortium_and_its_three_societies(db, synth_dir):
    summary = load_demo(synth_dir)
    assert summary.organizations == ("consortium", "ashg", "nsgc", "acmg")
    consortium = Organization.objects.get(code="consortium")
    assert consortium.name == "Human Genetics & Genomics Workforce Consortium"
    assert sorted(consortium.societies.values_list("code", flat=True)) == ["acmg", "ashg", "nsgc"]
    assert Organization.objects.get(code="nsgc").name == "National Society of Genetic Counselors"


def test_it_creates_one_person_per_role_with_a_working_random_password(db, synth_dir):
    summary = load_demo(synth_dir)
    emails = [person.email for person in summary.people]
    assert emails == [
        "staff@consortium.example",
        "steward@ashg.example",
        "analyst@ashg.example",
        "viewer@ashg.example",
        "steward@nsgc.example",
        "analyst@nsgc.example",
        "viewer@nsgc.example",
        "steward@acmg.example",
        "analyst@acmg.example",
        "viewer@acmg.example",
    ]
    steward = summary.people[1]
    assert (steward.organization, steward.role_label) == ("ashg", "Society data steward")
    assert authenticate(username=steward.email, password=steward.password) is not None
    assert len({person.password for person in summary.people}) == len(summary.people)
    assert User.objects.get(email="staff@consortium.example").is_staff


def test_it_stores_each_societys_export_byte_for_byte(db, synth_dir):
    summary = load_demo(synth_dir)
    assert sorted((u.organization, u.filename) for u in summary.uploads) == EXPORT_NAMES
    for upload in Upload.objects.all():
        sent = (synth_dir / "exports" / upload.original_filename).read_bytes()
        assert upload.path.read_bytes() == sent
        assert upload.sha256 == hashlib.sha256(sent).hexdigest()
        assert upload.organization.code == upload.original_filename.split("_")[0]
    assert summary.societies_without_exports == ()


def test_running_it_twice_duplicates_nothing_and_resets_the_passwords(db, synth_dir):
    first = load_demo(synth_dir)
    counts = [
        Organization.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Upload.objects.count(),
    ]
    second = load_demo(synth_dir)
    assert (
        [
            Organization.objects.count(),
            User.objects.count(),
            Membership.objects.count(),
            Upload.objects.count(),
        ]
        == counts
        == [4, 10, 10, 3]
    )
    assert [u.created for u in second.uploads] == [False, False, False]
    old, new = first.people[0], second.people[0]
    assert old.password != new.password
    assert authenticate(username=new.email, password=new.password) is not None
    assert authenticate(username=old.email, password=old.password) is None


def test_a_new_export_is_stored_on_the_next_run(db, synth_dir):
    load_demo(synth_dir)
    (synth_dir / "exports" / "ashg_members_2026.xlsx").write_bytes(b"not a workbook")
    summary = load_demo(synth_dir)
    assert [u.filename for u in summary.uploads if u.created] == ["ashg_members_2026.xlsx"]
    # A file intake cannot read is reported, not fatal: the other exports still went through.
    failed = [i for i in summary.ingests if i.status == "failed"]
    assert [i.filename for i in failed] == ["ashg_members_2026.xlsx"]
    assert "ashg_members_2026.xlsx" in failed[0].error
    assert sum(i.status == "ingested" for i in summary.ingests) == 3


def test_a_society_without_an_export_is_reported(db, synth_dir):
    (synth_dir / "exports" / "acmg_membership_2025.sav").unlink()
    assert load_demo(synth_dir).societies_without_exports == ("acmg",)


def test_a_missing_exports_folder_is_a_clear_error(db, tmp_path):
    with pytest.raises(FileNotFoundError, match="no exports folder"):
        load_demo(tmp_path / "nowhere")


def test_everything_it_does_is_in_the_audit_trail(db, synth_dir):
    load_demo(synth_dir)
    verbs = AuditEvent.objects.values_list("verb", flat=True)
    assert verbs.filter(verb="organization_created").count() == 4
    assert verbs.filter(verb="user_created").count() == 10
    assert verbs.filter(verb="role_granted").count() == 10
    assert verbs.filter(verb="upload_stored").count() == 3


def test_each_export_goes_through_intake_with_its_societys_saved_mapping(db, synth_dir):
    summary = load_demo(synth_dir)
    assert sorted((i.organization, i.filename) for i in summary.ingests) == EXPORT_NAMES
    for ingest in summary.ingests:
        assert ingest.status == "ingested", ingest.error
        assert ingest.rows_accepted + ingest.rows_rejected == ingest.rows_read > 0
        header = ingest.records.read_text(encoding="utf-8").splitlines()[0]
        assert header.replace('"', "").startswith("record_id,source,org,year")
    assert IngestRun.objects.filter(status="ingested").count() == 3
    assert IntakeMapping.objects.filter(confirmed=True).count() == 3


def test_a_second_run_ingests_nothing_again(db, synth_dir):
    load_demo(synth_dir)
    load_demo(synth_dir)
    assert IngestRun.objects.count() == 3
    assert IntakeMapping.objects.count() == 3
