"""The lead's identifying list and the quotes for the report: who opens them, editing the list
(audited without its terms), checking the stored texts again and re-applying
de-identification, and quotes checked against the list without the page repeating a refused
passage that names someone.

The people: ``lead`` (an ASHG analyst) leads; ASHG's analyst ``ana`` and steward ``ben``
code; consortium ``staff`` oversee; NSGC's steward is from another society.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workforce.platform.actions.organizations import do_grant_role
from workforce.platform.actions.qual import (
    do_add_codings,
    do_import_qual_project,
    do_set_blind,
    do_update_identifying_list,
)
from workforce.platform.actions.users import do_create_user, do_set_password
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Role
from workforce.platform.qual.models import (
    Coding,
    Memo,
    ProjectIdentifyingList,
    QualitativeProject,
    SourceOriginal,
)
from workforce.qual.deidentify import Original, Replacement
from workforce.qual.project import Code, Participant, QualProject, Source, Turn

pytestmark = pytest.mark.platform

TEXT = (
    "Moderator: Tell us how you came to this work.\n"
    "[PARTICIPANT 1]: I moved into genetic counseling because my mentor believed in me "
    "from the very first day.\n"
    "[PARTICIPANT 2]: At Mercy General I felt that nobody listened to what counselors had to "
    "say about it.\n"
    "[PARTICIPANT 3]: Honestly Whitfield from the lab was the only one who ever asked me "
    "what I thought.\n"
)
# What the lead uploaded: P1's name was taken out then; Mercy General was not yet listed.
ORIGINAL = TEXT.replace("[PARTICIPANT 1]", "Ana Ruiz")
NAME_AT = ORIGINAL.index("Ana Ruiz")


def turns_of(text: str) -> tuple[Turn, ...]:
    turns, start = [], 0
    for line in text.splitlines(keepends=True):
        speaker = line.split(":", 1)[0]
        participant = speaker.strip("[]").replace("PARTICIPANT ", "P") if "[" in speaker else ""
        turns.append(Turn(participant, speaker, start, start + len(line) - 1))
        start += len(line)
    return tuple(turns)


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def lead(ashg):
    user = do_create_user("lead@ashg.example", full_name="Lee Lead", acting_user=None)
    do_grant_role(user, ashg, Role.ANALYST, acting_user=None)
    return user


@pytest.fixture
def project(ashg, lead, ashg_analyst, ashg_steward) -> QualitativeProject:
    core = QualProject(
        "Career paths 2026",
        participants=tuple(Participant(f"P{n}", "group-1") for n in range(1, 6)),
        sources=(Source("group-1", TEXT, group="group-1", deidentified=True,
                        turns=turns_of(TEXT)),),
        coders=("ana", "ben"),
        lead="lee",
    ).with_codebook([Code("belonging", "Belonging"), Code("voice", "Voice")], author="lee")
    original = Original("group-1", ORIGINAL, (
        Replacement(NAME_AT, NAME_AT + 8, NAME_AT, NAME_AT + 15, "name", "Ana Ruiz", "P1"),))
    project = do_import_qual_project(
        ashg, core, {"group-1": original}, lead, {"ana": ashg_analyst, "ben": ashg_steward},
        acting_user=None,
    )
    ProjectIdentifyingList.objects.create(
        project=project, names={"P1": ["Ana Ruiz"]}, places=["Springfield"],
    )
    return project


def url(project, rest=""):
    return f"/organizations/{project.organization.code}/focus-groups/{project.pk}/{rest}"


# --- Who opens the pages ----------------------------------------------------------------------


def test_only_the_lead_opens_the_identifying_list(project, lead, ashg_analyst, staff,
                                                  nsgc_steward, client_for):
    page = client_for(lead).get(url(project, "identifying/"))
    assert page.status_code == 200
    assert "Ana Ruiz" in page.content.decode() and "Springfield" in page.content.decode()
    assert page["Content-Security-Policy"].startswith("default-src 'self'")
    for person in (ashg_analyst, staff, nsgc_steward):
        client = client_for(person)
        assert client.get(url(project, "identifying/")).status_code == 403
        assert client.get(url(project, "identifying/check/")).status_code == 403
        assert client.post(url(project, "identifying/reapply/")).status_code == 403
        assert client.post(url(project, "identifying/"), {"places": "x"}).status_code == 403
    assert ProjectIdentifyingList.objects.get(project=project).places == ["Springfield"]


def test_quotes_open_like_the_analysis(project, lead, ashg_analyst, staff, nsgc_steward,
                                       client_for):
    assert client_for(lead).get(url(project, "quotes/")).status_code == 200
    assert client_for(staff).get(url(project, "quotes/")).status_code == 200
    assert client_for(nsgc_steward).get(url(project, "quotes/")).status_code == 403
    assert client_for(ashg_analyst).get(url(project, "quotes/")).status_code == 403  # blind
    do_set_blind(project, False, acting_user=lead)
    assert client_for(ashg_analyst).get(url(project, "quotes/")).status_code == 200


def test_the_project_and_analysis_pages_link_the_new_pages(project, lead, staff, client_for):
    page = client_for(lead).get(url(project)).content.decode()
    assert url(project, "quotes/") in page and url(project, "identifying/") in page
    staff_page = client_for(staff).get(url(project)).content.decode()
    assert url(project, "identifying/") not in staff_page
    analysis = client_for(lead).get(url(project, "analysis/")).content.decode()
    assert url(project, "quotes/") in analysis


# --- Editing the list -------------------------------------------------------------------------


def test_the_lead_adds_and_removes_terms_audited_by_counts_only(project, lead, client_for):
    response = client_for(lead).post(url(project, "identifying/"), {
        "institutions": "Mercy General\n\n  St. Elsewhere Clinic \n",
        "places": "",
        "other": "",
        "names_0": "Ana Ruiz\nAnita",
        "names_3": "Dana Whitfield",
    })
    assert response.status_code == 302
    kept = ProjectIdentifyingList.objects.get(project=project)
    assert kept.institutions == ["Mercy General", "St. Elsewhere Clinic"]
    assert kept.places == []
    assert kept.names == {"P1": ["Ana Ruiz", "Anita"], "P4": ["Dana Whitfield"]}
    event = AuditEvent.objects.get(verb="qual_identifying_list_updated")
    assert event.details["institutions"] == {"added": 2, "removed": 0}
    assert event.details["places"] == {"added": 0, "removed": 1}
    assert event.details["names"] == {"added": 2, "removed": 0}
    logged = json.dumps(event.details)
    for term in ("Mercy", "Elsewhere", "Springfield", "Anita", "Whitfield"):
        assert term not in logged


def test_a_term_longer_than_allowed_saves_nothing(project, lead, client_for):
    response = client_for(lead).post(url(project, "identifying/"), {"other": "x" * 301})
    assert response.status_code == 400
    assert "longer than 300 characters" in response.content.decode()
    assert ProjectIdentifyingList.objects.get(project=project).places == ["Springfield"]


# --- Checking and re-applying -----------------------------------------------------------------


def test_the_check_finds_a_newly_listed_term_by_place_only(project, lead, client_for):
    client = client_for(lead)
    before = client.get(url(project, "identifying/check/")).content.decode()
    assert "No listed term is left" in before  # the earlier tag is not counted again
    do_update_identifying_list(project, names={"P1": ["Ana Ruiz"]}, institutions=[
        "Mercy General"], places=[], other=[], acting_user=lead)
    page = client.get(url(project, "identifying/check/")).content.decode()
    start, end = span(TEXT, "Mercy General")
    assert f"{start}–{end}" in page and "institution" in page
    assert page.count("Mercy General") == 1  # in the list's own textarea, nowhere else


def test_reapplying_replaces_the_term_and_moves_codings_and_the_original(
        project, lead, ashg_analyst, client_for):
    source = project.sources.get()
    passage = span(TEXT, "At Mercy General I felt that nobody listened")
    later = span(TEXT, "Honestly Whitfield from the lab")
    do_add_codings(source, ashg_analyst, ["voice"], [passage, later], acting_user=ashg_analyst)
    Memo.objects.create(project=project, key="m1", text="note", target="segment",
                        target_id="group-1", start=later[0], end=later[1])
    do_update_identifying_list(project, names={"P1": ["Ana Ruiz"], "P4": ["Dana Whitfield"]},
                               institutions=["Mercy General"], places=[], other=[],
                               acting_user=lead)
    response = client_for(lead).post(url(project, "identifying/reapply/"))
    assert response.status_code == 302
    source.refresh_from_db()
    assert "Mercy General" not in source.text and "Whitfield" not in source.text
    codings = list(Coding.objects.filter(source=source).order_by("start"))
    assert [source.text[c.start:c.end] for c in codings] == [
        "At [INSTITUTION] I felt that nobody listened", "Honestly [PARTICIPANT 4] from the lab"]
    memo = Memo.objects.get(key="m1")
    assert source.text[memo.start:memo.end] == "Honestly [PARTICIPANT 4] from the lab"
    third = source.turns[3]
    assert source.text[third["start"]:third["end"]].endswith("what I thought.")
    stored = SourceOriginal.objects.get(source=source)
    original = Original("group-1", stored.text,
                        tuple(Replacement(**r) for r in stored.replacements))
    assert original.original_passage(codings[0].start, codings[0].end) == (
        "At Mercy General I felt that nobody listened")
    assert original.original_passage(0, len(source.text)) == ORIGINAL
    event = AuditEvent.objects.get(verb="qual_deidentification_reapplied")
    assert event.details == {"sources": {"group-1": 2},
                             "replacements": {"institution": 1, "name": 1}}
    check = client_for(lead).get(url(project, "identifying/check/")).content.decode()
    assert "No listed term is left" in check


# --- Quotes -----------------------------------------------------------------------------------


def test_quotes_show_an_accepted_quote_and_withhold_a_refused_one_naming_someone(
        project, lead, ashg_analyst, ashg_steward, client_for):
    source = project.sources.get()
    accepted = span(TEXT, "I moved into genetic counseling because my mentor believed in me")
    naming = span(TEXT, "Honestly Whitfield from the lab was the only one who ever asked me")
    for coder in (ashg_analyst, ashg_steward):
        do_add_codings(source, coder, ["belonging"], [accepted], acting_user=coder)
    do_add_codings(source, ashg_analyst, ["belonging"], [naming], acting_user=ashg_analyst)
    do_update_identifying_list(project, names={"P1": ["Ana Ruiz"], "P4": ["Dana Whitfield"]},
                               institutions=[], places=[], other=[], acting_user=lead)
    page = client_for(lead).get(url(project, "quotes/")).content.decode()
    assert "I moved into genetic counseling because my mentor believed in me" in page
    assert "agreed by 2 coders" in page
    assert "withheld: names a listed identifier" in page.lower()
    assert f"characters {naming[0]}–{naming[1]}" in page
    assert "Whitfield" not in page and "only one who ever asked" not in page


# --- In a real browser ------------------------------------------------------------------------

SCREENS = Path("/tmp/qual_screens3")
CHROMIUM = "/usr/bin/chromium"
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def screened(project, lead, ashg_analyst, ashg_steward) -> dict[str, str]:
    """Codings, a list naming someone still in the text, and a password: made before the
    browser starts (no ORM while Playwright's event loop runs). The pages' paths."""
    source = project.sources.get()
    mentor = span(TEXT, "I moved into genetic counseling because my mentor believed")
    for coder in (ashg_analyst, ashg_steward):
        do_add_codings(source, coder, ["belonging"], [mentor], acting_user=coder)
    naming = span(TEXT, "Honestly Whitfield from the lab was the only one")
    do_add_codings(source, ashg_analyst, ["voice"], [naming], acting_user=ashg_analyst)
    do_update_identifying_list(project, names={"P1": ["Ana Ruiz"], "P4": ["Dana Whitfield"]},
                               institutions=["Mercy General"], places=["Springfield"],
                               other=[], acting_user=lead)
    do_set_password(lead, "a synthetic lead password", acting_user=None)
    return {"email": lead.email, "identifying": url(project, "identifying/check/"),
            "quotes": url(project, "quotes/")}


@pytest.mark.browser
@pytest.mark.xdist_group("platform-qual")
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"needs Chromium at {CHROMIUM}")
def test_the_two_pages_in_a_browser_pass_axe_on_a_desktop_and_a_phone(
        screened, live_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    base = live_server.url
    page = browser.new_context(viewport=VIEWPORTS["desktop"]).new_page()
    page.goto(base + "/login/")
    page.fill("#id_username", screened["email"])
    page.fill("#id_password", "a synthetic lead password")
    page.press("#id_password", "Enter")
    page.wait_for_url(base + "/dashboard/")
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name in ("identifying", "quotes"):
        page.goto(base + screened[name])
        for device, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            results = Axe().run(page, options=AXE_OPTIONS)
            assert results.violations_count == 0, results.generate_report()
            page.screenshot(path=str(SCREENS / f"{name}-{device}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert "agreed by 2 coders" in page.content()
    assert "Whitfield" not in page.content()
