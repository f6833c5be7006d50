"""The demo loader: the consortium, its societies, demo people and their exports, idempotently."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import authenticate

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.demo import load_demo
from workforce.platform.organizations.models import Membership, Organization
from workforce.platform.uploads.models import Upload

pytestmark = pytest.mark.platform

EXPORTS = {
    "ashg_members_2024.xlsx": b"PK\x03\x04 synthetic xlsx bytes",
    "nsgc_roster_2024.csv": b"member_id,gender\r\nN-1,woman\r\n",
    "acmg_membership_2024.sav": b"$FL2 synthetic spss bytes",
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Ten demo people per run: Argon2 would make these tests slow, and hashing is tested in
    # test_accounts; here only whether the passwords work matters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def synth_dir(tmp_path):
    exports = tmp_path / "synth" / "exports"
    exports.mkdir(parents=True)
    for name, content in EXPORTS.items():
        (exports / name).write_bytes(content)
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
    assert sorted((u.organization, u.filename) for u in summary.uploads) == [
        ("acmg", "acmg_membership_2024.sav"),
        ("ashg", "ashg_members_2024.xlsx"),
        ("nsgc", "nsgc_roster_2024.csv"),
    ]
    for upload in Upload.objects.all():
        assert upload.path.read_bytes() == EXPORTS[upload.original_filename]
        assert upload.sha256 == hashlib.sha256(EXPORTS[upload.original_filename]).hexdigest()
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
    (synth_dir / "exports" / "ashg_members_2025.xlsx").write_bytes(b"next year")
    summary = load_demo(synth_dir)
    assert [u.filename for u in summary.uploads if u.created] == ["ashg_members_2025.xlsx"]


def test_a_society_without_an_export_is_reported(db, synth_dir):
    (synth_dir / "exports" / "acmg_membership_2024.sav").unlink()
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
