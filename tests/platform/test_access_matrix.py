"""Who sees what: every person against every organization's pages, read from tables.

Each table says, for a person (row) and an organization (column), what that page answers:
``200`` it is shown, ``403`` not allowed, ``login`` sent to the sign-in page, ``302`` (for
sending a file) stored and sent back to the list. No society's steward, analyst or viewer
sees another society's data; consortium staff see every society; viewers see no raw uploads.
"""

from __future__ import annotations

import pytest
from django.utils.html import escape

from workforce.platform.actions.intake import (
    do_ingest_upload,
    do_propose_mapping,
    do_save_mapping,
)
from workforce.platform.actions.reports import do_publish_report
from workforce.platform.intake.models import IngestRun
from workforce.platform.uploads.models import Upload

pytestmark = pytest.mark.platform


def table(text: str) -> list[tuple[str, str, str]]:
    header, *rows = [line.split() for line in text.strip().splitlines()]
    return [
        (row[0], org, expected)
        for row in rows
        for org, expected in zip(header, row[1:], strict=True)
    ]


ORGANIZATION_PAGE = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         200    403    403
ashg_analyst    403         200    403    403
nsgc_steward    403         403    200    403
acmg_viewer     403         403    403    200
outsider        403         403    403    403
anonymous       login       login  login  login
""")

# The list of files received, and downloading one of them: raw data.
UPLOADS = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         200    403    403
ashg_analyst    403         200    403    403
nsgc_steward    403         403    200    403
acmg_viewer     403         403    403    403
outsider        403         403    403    403
anonymous       login       login  login  login
""")

# Opening the form to send a file.
UPLOAD_FORM = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         200    403    403
ashg_analyst    403         403    403    403
nsgc_steward    403         403    200    403
acmg_viewer     403         403    403    403
outsider        403         403    403    403
anonymous       login       login  login  login
""")

# Sending a file: 302 means it was stored and its page (with the proposed mapping) is next.
SEND_FILE = table("""
                consortium  ashg   nsgc   acmg
staff           302         302    302    302
ashg_steward    403         302    403    403
ashg_analyst    403         403    403    403
nsgc_steward    403         403    302    403
acmg_viewer     403         403    403    403
outsider        403         403    403    403
anonymous       login       login  login  login
""")


# Published reports (the list, a report, a table, the downloads): what an organization has
# published, so everyone with a role there, and consortium staff. The consortium's report is
# for consortium staff only; no society sees another's.
REPORTS = ORGANIZATION_PAGE

# Partner intake, to read: an upload's page with its mapping, the validation report, the
# standard records and rejects, the mapping versions and their YAML. Raw data, like uploads.
INTAKE_PAGES = UPLOADS

# Partner intake, to act: propose a mapping, confirm one. 302 means it was done.
INTAKE_STEPS = SEND_FILE


def ids(rows):
    return [f"{person}-{org}-{expected}" for person, org, expected in rows]


def assert_answer(response, expected: str) -> None:
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    else:
        assert response.status_code == int(expected), response.content[:300]


@pytest.mark.parametrize(
    ("person", "org", "expected"), ORGANIZATION_PAGE, ids=ids(ORGANIZATION_PAGE)
)
def test_organization_page(person, org, expected, people, orgs, client_for):
    response = client_for(people[person]).get(f"/organizations/{org}/")
    assert_answer(response, expected)
    if expected == "200":
        assert escape(orgs[org].name) in response.content.decode()


@pytest.mark.parametrize(("person", "org", "expected"), UPLOADS, ids=ids(UPLOADS))
def test_upload_list(person, org, expected, people, uploads, client_for):
    response = client_for(people[person]).get(f"/organizations/{org}/uploads/")
    assert_answer(response, expected)
    if expected == "200":
        assert uploads[org].original_filename.encode() in response.content
        others = [upload for code, upload in uploads.items() if code != org]
        assert not any(upload.original_filename.encode() in response.content for upload in others)


@pytest.mark.parametrize(("person", "org", "expected"), UPLOADS, ids=ids(UPLOADS))
def test_upload_download(person, org, expected, people, uploads, client_for):
    upload = uploads[org]
    response = client_for(people[person]).get(f"/organizations/{org}/uploads/{upload.pk}/download/")
    assert_answer(response, expected)
    if expected == "200":
        assert b"".join(response.streaming_content) == upload.path.read_bytes()


@pytest.mark.parametrize(("person", "org", "expected"), UPLOAD_FORM, ids=ids(UPLOAD_FORM))
def test_upload_form(person, org, expected, people, orgs, client_for):
    response = client_for(people[person]).get(f"/organizations/{org}/uploads/new/")
    assert_answer(response, expected)


@pytest.mark.parametrize(("person", "org", "expected"), SEND_FILE, ids=ids(SEND_FILE))
def test_send_file(person, org, expected, people, orgs, client_for, tmp_path):
    export = tmp_path / f"{org}_members_2025.csv"
    export.write_bytes(b"member_id\nx-1\n")
    with export.open("rb") as handle:
        response = client_for(people[person]).post(
            f"/organizations/{org}/uploads/new/", {"file": handle, "kind": "membership_export"}
        )
    assert_answer(response, expected)
    stored = Upload.objects.filter(organization__code=org, original_filename=export.name)
    if expected == "302":
        assert stored.count() == 1
        assert response["Location"] == f"/organizations/{org}/uploads/{stored.get().pk}/"
    else:
        assert not stored.exists()


def test_an_upload_of_another_society_is_not_found_under_your_own(
    ashg_steward, uploads, client_for
):
    nsgc_upload = uploads["nsgc"]
    response = client_for(ashg_steward).get(
        f"/organizations/ashg/uploads/{nsgc_upload.pk}/download/"
    )
    assert response.status_code == 404


def test_an_unknown_organization_is_not_found_for_signed_in_people(staff, client_for):
    assert client_for(staff).get("/organizations/no_such_society/").status_code == 404


def test_an_unknown_organization_sends_anonymous_people_to_sign_in(db, client_for):
    response = client_for(None).get("/organizations/no_such_society/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.fixture
def ingested(uploads):
    """Each organization's upload mapped (its proposal confirmed as is) and ingested."""
    runs = {}
    for code, upload in uploads.items():
        proposal = do_propose_mapping(upload, acting_user=None).proposal
        mapping = do_save_mapping(upload.organization, proposal.yaml, acting_user=None)
        runs[code] = do_ingest_upload(upload, acting_user=None, mapping=mapping)
        assert runs[code].status == "ingested"
    return runs


INTAKE_URLS = {
    "upload page": "/organizations/{org}/uploads/{upload}/",
    "validation report": "/organizations/{org}/ingests/{run}/",
    "standard records": "/organizations/{org}/ingests/{run}/records.csv",
    "rejected rows": "/organizations/{org}/ingests/{run}/rejects.csv",
    "mapping versions": "/organizations/{org}/mappings/",
    "mapping yaml": "/organizations/{org}/mappings/v{version}.yaml",
}


@pytest.mark.parametrize("page", list(INTAKE_URLS))
@pytest.mark.parametrize(("person", "org", "expected"), INTAKE_PAGES, ids=ids(INTAKE_PAGES))
def test_intake_pages(page, person, org, expected, people, ingested, client_for):
    run = ingested[org]
    url = INTAKE_URLS[page].format(
        org=org, upload=run.upload_id, run=run.pk, version=run.mapping.version
    )
    response = client_for(people[person]).get(url)
    assert_answer(response, expected)


@pytest.mark.parametrize("step", ["propose", "columns", "confirm"])
@pytest.mark.parametrize(("person", "org", "expected"), INTAKE_STEPS, ids=ids(INTAKE_STEPS))
def test_intake_steps(step, person, org, expected, people, uploads, client_for):
    upload = uploads[org]
    response = client_for(people[person]).post(f"/organizations/{org}/uploads/{upload.pk}/{step}/")
    assert_answer(response, expected)
    proposed = IngestRun.objects.filter(upload=upload).exists()
    # Proposing is done by those allowed; the other steps, with no proposal open, do nothing.
    assert proposed == (expected == "302" and step == "propose")
    if expected == "302":
        assert response["Location"] == f"/organizations/{org}/uploads/{upload.pk}/"


@pytest.mark.parametrize(("person", "org", "expected"), INTAKE_STEPS, ids=ids(INTAKE_STEPS))
def test_setting_an_upload_aside_and_taking_it_back(person, org, expected, people, uploads,
                                                    client_for):
    upload = uploads[org]
    client = client_for(people[person])
    base = f"/organizations/{org}/uploads/{upload.pk}"
    response = client.post(f"{base}/set-aside/", {"reason": "sent by mistake"})
    assert_answer(response, expected)
    upload.refresh_from_db()
    assert upload.is_set_aside == (expected == "302")
    response = client.post(f"{base}/take-back/")
    assert_answer(response, expected)
    upload.refresh_from_db()
    assert not upload.is_set_aside


def test_intake_of_another_society_is_not_found_under_your_own(ashg_steward, ingested, client_for):
    client = client_for(ashg_steward)
    nsgc_run = ingested["nsgc"]
    assert client.get(f"/organizations/ashg/uploads/{nsgc_run.upload_id}/").status_code == 404
    assert client.get(f"/organizations/ashg/ingests/{nsgc_run.pk}/").status_code == 404
    assert client.get(f"/organizations/ashg/ingests/{nsgc_run.pk}/records.csv").status_code == 404


REPORT_URLS = {
    "report list": "/organizations/{org}/reports/",
    "report page": "/organizations/{org}/reports/{report}/",
    "table page": "/organizations/{org}/reports/{report}/tables/members_gender/",
    "table csv": "/organizations/{org}/reports/{report}/tables/members_gender.csv",
    "report html": "/organizations/{org}/reports/{report}/report.html",
    "data package": "/organizations/{org}/reports/{report}/datapackage.zip",
}


@pytest.mark.xdist_group("platform-reports")
@pytest.mark.parametrize(("person", "org", "expected"), REPORTS, ids=ids(REPORTS))
def test_report_pages(person, org, expected, people, orgs, report_dirs, client_for):
    # One report, of the organization in the URL (publishing validates the package: a second).
    report = do_publish_report(orgs[org], report_dirs[org], acting_user=None)
    client = client_for(people[person])
    for page, url in REPORT_URLS.items():
        response = client.get(url.format(org=org, report=report.pk))
        assert_answer(response, expected)
        if expected == "200" and page == "report page":
            assert escape(report.title) in response.content.decode()
