"""Focus-group projects made on the web: creating one, assigning coders, uploading transcripts
(de-identified before anything is stored), codebooks and `.qdpx` files, and the analysis page
that shows only what the disclosure gate publishes.

The people come from ``test_qual``: ``lead`` (an ASHG analyst) leads, ``ana`` and ``ben``
code; consortium ``staff`` oversee; ACMG's viewer may not take part.
"""

from __future__ import annotations

import re
from dataclasses import replace as dataclass_replace
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import html

from workforce.platform.actions.organizations import do_grant_role
from workforce.platform.actions.qual import (
    do_add_coder,
    do_add_codings,
    do_create_qual_project,
    do_import_qual_project,
    do_set_blind,
    keep_code_ids,
)
from workforce.platform.actions.users import do_create_user
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Role
from workforce.platform.qual.models import (
    CodebookVersion,
    Coding,
    ProjectCoder,
    ProjectIdentifyingList,
    QualitativeProject,
    Source,
    SourceOriginal,
)
from workforce.qual.analysis import PARTICIPANTS, theme_by_group
from workforce.qual.codings import Coding as CoreCoding
from workforce.qual.project import Code, Memo, Participant, QualProject, Turn
from workforce.qual.project import Source as CoreSource
from workforce.qual.refi import write_qdc, write_qdpx

pytestmark = pytest.mark.platform

PARTICIPANTS_CSV = (
    "id,group,name,speaker,career_stage\n"
    "P1,g1,Ana Ruiz,Ana,early\n"
    "P2,g1,Bob Stone,,mid\n"
)
IDENTIFYING_YAML = "institutions:\n  - Acme Labs\nplaces:\n  - Springfield\n"
GROUP_1_TXT = (
    "Moderator: Welcome to the group.\n"
    "Ana: I work at Acme Labs in Springfield and I feel like an outsider.\n"
    "P2: Bob Stone here; pay is what I notice most.\n"
)
NAMES_AND_TERMS = ("Ana Ruiz", "Ruiz", "Bob Stone", "Acme Labs", "Springfield")


def make_person(email: str, organization, role):
    user = do_create_user(email, full_name=email.split("@")[0].title(), acting_user=None)
    do_grant_role(user, organization, role, acting_user=None)
    return user


@pytest.fixture
def lead(ashg):
    return make_person("lead@ashg.example", ashg, Role.ANALYST)


@pytest.fixture
def ana(ashg_analyst):  # named "analyst" in projects made here (her e-mail's local part)
    return ashg_analyst


@pytest.fixture
def ben(ashg_steward):
    return ashg_steward


TEXT = "Moderator: Welcome.\n[PARTICIPANT 1]: Pay is the reason I almost left R&D.\n"


def core_project(codings=()) -> QualProject:
    """One coded source, as a desktop tool (or this platform) would hand it over."""
    first = TEXT.index("[PARTICIPANT 1]")
    return QualProject(
        "Climate", participants=(Participant("P1", "group-1"),),
        sources=(CoreSource("group-1", TEXT, group="group-1",
                            turns=(Turn("", "Moderator", 0, first - 1),
                                   Turn("P1", "[PARTICIPANT 1]", first, len(TEXT) - 1))),),
        coders=("analyst", "ben"), lead="lee",
    ).with_codebook([Code("climate", "Climate", codable=False),
                     Code("climate/belonging", "Belonging", "climate", "Part of the field."),
                     Code("pay", "Pay")], author="lee",
                    saved="2026-01-05T10:00:00+00:00").with_codings(codings)


@pytest.fixture
def project(ashg, lead, ana, ben) -> QualitativeProject:
    return do_import_qual_project(ashg, core_project(), {}, lead,
                                  {"analyst": ana, "ben": ben}, acting_user=None)


def url(project, rest=""):
    return f"/organizations/{project.organization.code}/focus-groups/{project.pk}/{rest}"


def upload(name: str, text: str | bytes) -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data)


@pytest.fixture
def empty_project(ashg, lead, ana):
    project, _ = do_create_qual_project(
        ashg, name="Belonging 2027", description="Two groups.", lead=lead, acting_user=lead
    )
    do_add_coder(project, ana, acting_user=lead)
    return project


def errors_of(response) -> list[str]:
    """The problems a refused form lists, for a failing assertion's message."""
    return html.fromstring(response.content).xpath("//ul[@class='errorlist']/li/text()")


def upload_sources(client, project, **files):
    return client.post(url(project, "files/sources/"), files)


# --- Creating a project and assigning coders ----------------------------------------------------


def test_a_steward_creates_a_project_and_leads_it(ashg_steward, client_for):
    response = client_for(ashg_steward).post(
        "/organizations/ashg/focus-groups/new/", {"name": "Retention 2027", "description": "Why"}
    )
    project = QualitativeProject.objects.get(name="Retention 2027")
    assert response.status_code == 302 and response["Location"] == url(project)
    assert project.lead == ashg_steward and project.lead_name == "steward"
    assert AuditEvent.objects.filter(verb="qual_project_created").exists()


def test_a_viewer_cannot_create_a_project(acmg_viewer, client_for):
    client = client_for(acmg_viewer)
    assert client.get("/organizations/acmg/focus-groups/new/").status_code == 403
    response = client.post("/organizations/acmg/focus-groups/new/", {"name": "Mine"})
    assert response.status_code == 403
    assert not QualitativeProject.objects.exists()


def test_a_project_name_is_unique_in_its_organization(empty_project, lead, client_for):
    response = client_for(lead).post(
        "/organizations/ashg/focus-groups/new/", {"name": "Belonging 2027"}
    )
    assert response.status_code == 400
    assert "already has a focus-group project named" in response.content.decode()


def test_the_lead_assigns_a_coder_named_after_their_e_mail(empty_project, lead, ben, client_for):
    client = client_for(lead)
    page = client.get(url(empty_project)).content.decode()
    assert "steward@ashg.example" in page  # Ben is offered; Ana codes already
    response = client.post(url(empty_project, "coders/"), {"user": ben.pk})
    assert response.status_code == 302
    assert ProjectCoder.objects.get(project=empty_project, user=ben).name == "steward"


def test_only_people_who_may_code_are_offered_and_accepted(empty_project, lead, acmg_viewer,
                                                           ashg, client_for):
    viewer = make_person("viewer2@ashg.example", ashg, Role.VIEWER)
    client = client_for(lead)
    assert "viewer2@ashg.example" not in client.get(url(empty_project)).content.decode()
    client.post(url(empty_project, "coders/"), {"user": viewer.pk})
    assert not ProjectCoder.objects.filter(user=viewer).exists()


def test_a_coder_cannot_assign_coders_or_upload(empty_project, ana, ben, client_for):
    client = client_for(ana)
    assert client.post(url(empty_project, "coders/"), {"user": ben.pk}).status_code == 403
    assert client.get(url(empty_project, "files/")).status_code == 403
    response = upload_sources(client, empty_project, transcripts=[upload("g1.txt", GROUP_1_TXT)])
    assert response.status_code == 403
    assert not empty_project.sources.exists()


def test_a_coder_who_has_coded_stays(project, lead, ana, client_for):
    source = project.sources.get(key="group-1")
    do_add_codings(source, ana, ["pay"], [(0, 5)], acting_user=ana)
    coders = {c.user_id: c for c in project.projectcoder_set.all()}
    client = client_for(lead)
    ana_coder = coders.pop(ana.pk)
    client.post(url(project, f"coders/{ana_coder.pk}/remove/"))
    assert ProjectCoder.objects.filter(pk=ana_coder.pk).exists()
    (ben_coder,) = coders.values()
    client.post(url(project, f"coders/{ben_coder.pk}/remove/"))
    assert not ProjectCoder.objects.filter(pk=ben_coder.pk).exists()


# --- Uploading sources ---------------------------------------------------------------------------


def test_uploaded_transcripts_are_stored_de_identified(empty_project, lead, ana, client_for):
    response = upload_sources(
        client_for(lead), empty_project,
        transcripts=[upload("g1.txt", GROUP_1_TXT)],
        participants=upload("people.csv", PARTICIPANTS_CSV),
        identifying=upload("identifying.yaml", IDENTIFYING_YAML),
    )
    assert response.status_code == 302, errors_of(response)
    source = Source.objects.get(project=empty_project, key="g1")
    assert "[PARTICIPANT 1]" in source.text and "[INSTITUTION]" in source.text
    for term in NAMES_AND_TERMS:
        assert term not in source.text and term not in str(source.turns)
    assert source.group == "g1" and source.deidentified
    assert [t["participant"] for t in source.turns] == ["", "P1", "P2"]
    assert "Acme Labs" in SourceOriginal.objects.get(source=source).text
    empty_project.refresh_from_db()
    assert [p["id"] for p in empty_project.participants] == ["P1", "P2"]
    assert "Ruiz" not in str(empty_project.participants)
    kept = ProjectIdentifyingList.objects.get(project=empty_project)
    assert kept.names["P1"][0] == "Ana Ruiz" and "Acme Labs" in kept.institutions
    assert "Ruiz" not in str(AuditEvent.objects.filter(verb="qual_sources_uploaded").get().details)
    # What the coder sees: the project page and the coding page carry no name.
    client = client_for(ana)
    for page in (url(empty_project), url(empty_project, f"sources/{source.pk}/")):
        text = client.get(page).content.decode()
        assert "[PARTICIPANT 1]" in text or "P1" in text
        for term in NAMES_AND_TERMS:
            assert term not in text, (page, term)
    assert client.get(url(empty_project, f"sources/{source.pk}/original/")).status_code == 403
    original = client_for(lead).get(url(empty_project, f"sources/{source.pk}/original/"))
    assert original.status_code == 200 and "Acme Labs" in original.content.decode()


def test_a_later_upload_reuses_the_names_and_labels_kept(empty_project, lead, client_for):
    client = client_for(lead)
    upload_sources(client, empty_project, transcripts=[upload("g1.txt", GROUP_1_TXT)],
                   participants=upload("people.csv", PARTICIPANTS_CSV),
                   identifying=upload("identifying.yaml", IDENTIFYING_YAML))
    later = "Moderator: Back again.\nAna: Still at Acme Labs, says Ana Ruiz.\n"
    response = upload_sources(client, empty_project, transcripts=[upload("g1-b.txt", later)])
    assert response.status_code == 302
    source = Source.objects.get(project=empty_project, key="g1-b")
    assert "Acme" not in source.text and "Ruiz" not in source.text
    assert source.turns[1]["participant"] == "P1" and source.group == "g1"


def test_a_bad_file_is_named_with_its_line_and_nothing_is_stored(empty_project, lead, client_for):
    response = upload_sources(
        client_for(lead), empty_project,
        transcripts=[upload("good.txt", GROUP_1_TXT),
                     upload("bad.txt", b"Moderator: Hello.\nP1: caf\xe9 au lait\n")],
        participants=upload("people.csv", PARTICIPANTS_CSV.replace("mid", "martian")),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert re.search(r"bad\.txt.{0,40}line 2", page), page
    assert re.search(r"people\.csv, line 3, column (&#x27;|')career_stage", page)
    assert "/tmp/" not in page  # the file's own name, not the server's temporary path
    assert not Source.objects.filter(project=empty_project).exists()
    assert not ProjectIdentifyingList.objects.filter(project=empty_project).exists()
    empty_project.refresh_from_db()
    assert empty_project.participants == []


def test_a_windows_encoded_transcript_is_read_when_its_encoding_is_chosen(empty_project, lead,
                                                                         client_for):
    windows = "Moderator: Welcome.\nP1: The café at Acme Labs.\n".encode("cp1252")
    client = client_for(lead)
    refused = upload_sources(client, empty_project, transcripts=[upload("g9.txt", windows)])
    assert "choose its text encoding in the form" in " ".join(errors_of(refused))
    response = upload_sources(client, empty_project, transcripts=[upload("g9.txt", windows)],
                              identifying=upload("id.yaml", IDENTIFYING_YAML),
                              encoding="cp1252")
    assert response.status_code == 302, errors_of(response)
    assert "The café at [INSTITUTION]." in Source.objects.get(key="g9").text


def test_a_file_named_after_a_participant_is_refused(empty_project, lead, client_for):
    response = upload_sources(
        client_for(lead), empty_project,
        transcripts=[upload("ana_ruiz-interview.txt", GROUP_1_TXT)],
        participants=upload("people.csv", PARTICIPANTS_CSV),
    )
    assert response.status_code == 400
    assert any("ana_ruiz-interview.txt: the file's name holds a name" in problem
               for problem in errors_of(response))
    assert not empty_project.sources.exists()


def test_too_large_or_too_many_files_are_refused_plainly(empty_project, lead, client_for,
                                                         monkeypatch):
    monkeypatch.setattr("workforce.platform.qual.forms.MAX_FILE_BYTES", 20)
    client = client_for(lead)
    page = upload_sources(client, empty_project,
                          transcripts=[upload("g1.txt", GROUP_1_TXT)]).content.decode()
    assert "g1.txt is 0.0 MB; a file may be 0 MB at most" in page
    monkeypatch.setattr("workforce.platform.qual.forms.MAX_FILE_BYTES", 10**7)
    monkeypatch.setattr("workforce.platform.qual.forms.MAX_FILES", 1)
    page = upload_sources(client, empty_project, transcripts=[
        upload("a.txt", GROUP_1_TXT), upload("b.txt", GROUP_1_TXT)]).content.decode()
    assert "2 files were chosen; upload 1 at most at a time." in page
    assert not empty_project.sources.exists()


def test_open_text_answers_become_sources_with_respondents(empty_project, lead, client_for):
    answers = ("response_id,why,career_stage\n"
               "r1,My mentor at Acme Labs kept me here.,early\n"
               "r2,Pay.,mid\n")
    response = upload_sources(
        client_for(lead), empty_project,
        identifying=upload("identifying.yaml", IDENTIFYING_YAML),
        open_text=upload("survey.csv", answers), open_text_column="why",
        open_text_id_column="response_id", open_text_attributes="career_stage",
    )
    assert response.status_code == 302, errors_of(response)
    texts = list(Source.objects.filter(project=empty_project).values_list("text", flat=True))
    assert len(texts) == 2 and not any("Acme" in text for text in texts)


# --- Codebooks ----------------------------------------------------------------------------------


CODEBOOK_YAML = """codes:
  - name: Climate
    codable: false
    codes:
      - name: Belonging
      - name: Respect
  - name: Pay
"""


def test_a_codebook_yaml_becomes_the_next_version(project, lead, client_for):
    response = client_for(lead).post(
        url(project, "files/codebook/"), {"codebook": upload("codebook.yaml", CODEBOOK_YAML)}
    )
    assert response.status_code == 302
    version = project.current_codebook
    assert version.number == 2
    assert [c["id"] for c in version.codes] == [
        "climate", "climate/belonging", "climate/respect", "pay"]
    assert CodebookVersion.objects.get(project=project, number=1).codes[1]["description"]


def test_a_qdc_upload_makes_version_2(project, lead, client_for, tmp_path):
    path = tmp_path / "codes.qdc"
    write_qdc([Code("pay", "Pay"), Code("support", "Support")], path)
    do_add_codings(project.sources.get(), project.projectcoder_set.first().user, ["pay"],
                   [(0, 5)], acting_user=None)
    response = client_for(lead).post(
        url(project, "files/codebook/"), {"codebook": upload("codes.qdc", path.read_bytes())}
    )
    # Belonging is coded nowhere, so it may go; pay keeps its codings.
    assert response.status_code == 302
    assert [c["id"] for c in project.current_codebook.codes] == ["pay", "support"]
    assert project.current_codebook.number == 2


def test_a_codebook_that_drops_a_coded_code_is_refused(project, lead, ana, client_for):
    source = project.sources.get(key="group-1")
    do_add_codings(source, ana, ["climate/belonging"], [(0, 5)], acting_user=ana)
    response = client_for(lead).post(
        url(project, "files/codebook/"),
        {"codebook": upload("codebook.yaml", "codes:\n  - name: Pay\n")},
    )
    assert response.status_code == 400
    assert "climate/belonging" in response.content.decode()
    assert project.current_codebook.number == 1


def test_codes_keep_their_ids_when_their_names_and_places_match():
    current = [Code("climate", "Climate", codable=False),
               Code("climate/fit", "Belonging", "climate")]  # renamed on the web, id kept
    uploaded = [Code("climate", "Climate", codable=False),
                Code("climate/belonging", "Belonging", "climate"), Code("pay", "Pay")]
    assert [c.id for c in keep_code_ids(current, uploaded)] == ["climate", "climate/fit", "pay"]
    # A new code "Fit" would take the renamed code's id; it gets one of its own instead.
    uploaded.append(Code("climate/fit", "Fit", "climate"))
    assert [c.id for c in keep_code_ids(current, uploaded)][-1] == "climate/fit-2"


def test_a_coder_cannot_upload_a_codebook(project, ana, client_for):
    response = client_for(ana).post(
        url(project, "files/codebook/"), {"codebook": upload("codebook.yaml", CODEBOOK_YAML)}
    )
    assert response.status_code == 403


# --- .qdpx ----------------------------------------------------------------------------------------


@pytest.fixture
def qdpx_file(tmp_path) -> Path:
    core = core_project([CoreCoding("group-1", "analyst", "pay", 0, 9),
                         CoreCoding("group-1", "ben", "pay", 0, 9)])
    core = dataclass_replace(core, memos=(Memo("m1", "lee", "Ask R&D about the pay."),))
    path = tmp_path / "climate.qdpx"
    write_qdpx(core, path)
    return path


def test_a_project_is_created_from_a_qdpx_led_by_its_creator(ashg_steward, client_for, qdpx_file):
    response = client_for(ashg_steward).post(
        "/organizations/ashg/focus-groups/new/",
        {"name": "From NVivo", "qdpx": upload("climate.qdpx", qdpx_file.read_bytes()),
         "identifying": upload("id.yaml", "other:\n  - R&D\n")},
        follow=True,
    )
    project = QualitativeProject.objects.get(name="From NVivo")
    assert project.lead == ashg_steward and project.lead_name == "steward"  # not "lee"
    assert list(project.sources.values_list("key", flat=True)) == ["group-1"]
    # De-identified with the identifying list sent along; the original kept for the lead.
    assert "R&D" not in project.sources.get().text
    assert "R&D" in SourceOriginal.objects.get(source__project=project).text
    assert project.memos.get().text == "Ask [REDACTED] about the pay."
    assert project.current_codebook is not None and not Coding.objects.exists()
    page = response.content.decode()
    assert "Left out: 1 coding by &#x27;analyst&#x27;" in page  # no coders here yet


def test_a_qdpx_keeps_the_codings_of_coders_named_here(empty_project, lead, client_for,
                                                       qdpx_file):
    response = client_for(lead).post(
        url(empty_project, "files/qdpx/"), {"qdpx": upload("climate.qdpx", qdpx_file.read_bytes())}
    )
    assert response.status_code == 302
    # Ana codes here as "analyst" (her e-mail's local part), so her coding comes along; Ben
    # is no coder of this project, so his is left out.
    assert list(Coding.objects.values_list("coder__email", "code")) == [
        ("analyst@ashg.example", "pay")]
    assert empty_project.sources.count() == 1
    assert empty_project.current_codebook.number == 1


def test_a_qdpx_goes_only_into_a_project_without_sources(project, lead, client_for,
                                                         qdpx_file):
    response = client_for(lead).post(
        url(project, "files/qdpx/"), {"qdpx": upload("climate.qdpx", qdpx_file.read_bytes())}
    )
    assert response.status_code == 400
    assert "has sources already" in response.content.decode()
    assert project.sources.count() == 1


def test_a_broken_qdpx_creates_no_project(ashg_steward, client_for):
    response = client_for(ashg_steward).post(
        "/organizations/ashg/focus-groups/new/",
        {"name": "Broken", "qdpx": upload("broken.qdpx", b"not a zip")},
    )
    assert response.status_code == 400
    assert "broken.qdpx: not a readable REFI-QDA project" in response.content.decode()
    assert not QualitativeProject.objects.filter(name="Broken").exists()


# --- Analysis -----------------------------------------------------------------------------------


def gated_project() -> QualProject:
    """Two focus groups of six and one of two; everyone in g1 raises pay, one in g2."""
    people = [Participant(f"P{i}", "g1" if i <= 6 else "g2" if i <= 12 else "g3",
                          {"career_stage": "early" if i % 2 else "mid"})
              for i in range(1, 15)]
    sources, codings = [], []
    for group in ("g1", "g2", "g3"):
        members = [p for p in people if p.group == group]
        lines = [f"{p.id}: I think pay matters a great deal to me." for p in members]
        text = "\n".join(lines) + "\n"
        turns, start = [], 0
        for person, line in zip(members, lines, strict=True):
            turns.append(Turn(person.id, person.id, start, start + len(line)))
            start += len(line) + 1
        sources.append(CoreSource(group, text, group=group, turns=tuple(turns)))
        raisers = turns if group == "g1" else turns[:1]
        codings += [CoreCoding(group, "ana", "pay", t.start, t.end) for t in raisers]
    return QualProject("Gated", participants=tuple(people), sources=tuple(sources),
                       coders=("ana",), lead="lee").with_codebook(
        [Code("pay", "Pay"), Code("respect", "Respect")], author="lee",
        saved="2026-01-05T10:00:00+00:00").with_codings(codings)


def cell_texts(page: str, row_name: str) -> list[str]:
    tree = html.fromstring(page)
    (row,) = [tr for tr in tree.xpath("//table[contains(@class,'themes')]//tr")
              if tr.xpath("string(th)").strip() == row_name]
    return [" ".join(td.text_content().split()) for td in row.xpath("td")]


def test_the_analysis_shows_only_what_the_gate_publishes(ashg, lead, ana, client_for):
    core = gated_project()
    project = do_import_qual_project(ashg, core, {}, lead, {"ana": ana}, acting_user=None)
    gated = theme_by_group(core, by="group")
    response = client_for(lead).get(url(project, "analysis/"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unit: a speaker's turn" in page and "Participants who raised it" in page
    columns = list(gated.counts.columns)
    for code, name in ((PARTICIPANTS, "Participants"), ("pay", "Pay")):
        cells = cell_texts(page, name)
        for column, text in zip(columns, cells, strict=True):
            count, status = gated.counts.at[code, column], gated.status.at[code, column]
            if count is None:
                assert text.startswith("—") and status in ("primary", "secondary")
            else:
                assert text.split()[0] == str(count)
    # The group of two is withheld, and its size appears nowhere in its cell.
    g3 = cell_texts(page, "Participants")[columns.index("g3")]
    assert g3.startswith("—") and "2" not in g3
    assert "never shown on its own: g3" in page
    csv_text = client_for(lead).get(url(project, "analysis/themes.csv")).content.decode()
    assert csv_text.splitlines()[0] == "code,code_name,group,count,share,status,threshold"
    g3_line = next(line for line in csv_text.splitlines() if line.startswith("_participants,")
                   and ",g3," in line)
    assert ",g3,,,primary," in g3_line


def test_the_analysis_groups_by_a_participant_attribute(ashg, lead, ana, client_for):
    project = do_import_qual_project(ashg, gated_project(), {}, lead, {"ana": ana},
                                     acting_user=None)
    page = client_for(lead).get(url(project, "analysis/?by=career_stage")).content.decode()
    assert "early" in page and "mid" in page


def test_a_blind_coder_does_not_see_the_analysis_until_unblinded(project, ana, lead, staff,
                                                                 client_for):
    assert client_for(staff).get(url(project, "analysis/")).status_code == 200  # oversees
    client = client_for(ana)
    assert client.get(url(project, "analysis/")).status_code == 403
    assert client.get(url(project, "analysis/themes.csv")).status_code == 403
    do_set_blind(project, False, acting_user=lead)
    assert client.get(url(project, "analysis/")).status_code == 200


def test_the_analysis_of_an_empty_project_says_what_is_missing(empty_project, lead, client_for):
    response = client_for(lead).get(url(empty_project, "analysis/"))
    assert response.status_code == 200
    assert "no participants to count yet" in response.content.decode()
    assert client_for(lead).get(url(empty_project, "analysis/themes.csv")).status_code == 404
