"""In a real browser: two coders code one focus group, the lead compares them, axe agrees.

Coder A selects a passage with a text selection (after an emoji, so the page must count
code points, not UTF-16 units) and applies a code; coder B codes an overlapping whole turn
with the keyboard only; the lead's comparison shows both and the kappa ``agreement()`` gives.
axe-core finds no WCAG 2.2 A/AA or best-practice violation on the coding page and the
comparison (and the edit, original, codebook and project pages), on a desktop and a
390-pixel phone. Screenshots go to ``/tmp/qual_screens/``. A lead also creates a project,
assigns a coder and uploads a transcript through the forms, and opens the analysis
(screenshots in ``/tmp/qual_screens2/``).

Nothing here touches the ORM while Playwright runs (its event loop would leave a database
connection open that PostgreSQL's test teardown trips over): data is made before the
browser starts, and what is checked is read from the pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, sign_in

from workforce.platform.actions.organizations import do_grant_role
from workforce.platform.actions.qual import do_import_qual_project
from workforce.platform.actions.users import do_create_user, do_set_password
from workforce.platform.organizations.models import Role
from workforce.qual.agreement import ALL_TEXT, agreement
from workforce.qual.codings import Coding
from workforce.qual.deidentify import Original, Replacement
from workforce.qual.project import Code, Participant, QualProject, Source, Turn

PASSWORD = "a synthetic coder password"
SCREENS = Path("/tmp/qual_screens")
SCREENS_WEB_IMPORT = Path("/tmp/qual_screens2")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [*BROWSER_TESTS, pytest.mark.xdist_group("platform-qual")]

MODERATOR = "Moderator: How welcome do you feel at the annual meeting?"
FIRST = "[PARTICIPANT 1]: I 🌱 started out hopeful, but I often feel like an outsider there."
SECOND = "[PARTICIPANT 2]: The pay gap is what I notice most."
TEXT = f"{MODERATOR}\n{FIRST}\n{SECOND}\n"
PASSAGE = "I often feel like an outsider there."


def turn(participant: str, line: str) -> Turn:
    start = TEXT.index(line)
    return Turn(participant, line.split(":")[0], start, start + len(line))


def core_project() -> QualProject:
    return QualProject(
        "Belonging groups",
        participants=(Participant("P1", "group-1"), Participant("P2", "group-1")),
        sources=(
            Source("group-1", TEXT, group="group-1", deidentified=True,
                   turns=(turn("", MODERATOR), turn("P1", FIRST), turn("P2", SECOND))),
        ),
        coders=("ana", "ben"),
        lead="lee",
    ).with_codebook(
        [
            Code("climate", "Climate", codable=False),
            Code("climate/belonging", "Belonging", "climate", "Feeling (not) part of the field."),
            Code("pay", "Pay", description="Salary, benefits and their fairness."),
        ],
        author="lee", note="First draft", saved="2026-01-05T10:00:00+00:00",
    )


def person(email: str, organization, role):
    user = do_create_user(email, full_name=email.split("@")[0].title(), acting_user=None)
    do_grant_role(user, organization, role, acting_user=None)
    do_set_password(user, PASSWORD, acting_user=None)
    return user


@pytest.fixture
def people(ashg):
    return {
        "ana": person("ana@ashg.example", ashg, Role.ANALYST),
        "ben": person("ben@ashg.example", ashg, Role.DATA_STEWARD),
        "lee": person("lee@ashg.example", ashg, Role.ANALYST),
    }


@pytest.fixture
def project(ashg, people):
    original = Original("group-1", TEXT.replace("[PARTICIPANT 1]", "Ana Ruiz"), (
        Replacement(58, 66, 58, 73, "name", "Ana Ruiz", "P1"),))
    return do_import_qual_project(
        ashg, core_project(), {"group-1": original}, people["lee"],
        {"ana": people["ana"], "ben": people["ben"]}, acting_user=None,
    )


def check(page, what: str, screens: Path = SCREENS) -> None:
    """axe and a screenshot on a desktop, then the same on a phone (nothing wider than it)."""
    screens.mkdir(parents=True, exist_ok=True)
    for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        assert_accessible(page, f"{what} on a {device}")
        page.screenshot(path=str(screens / f"{what}-{device}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], what
    page.set_viewport_size(DESKTOP)


def signed_in(browser, base: str, user):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, base, user.email, PASSWORD)
    return page


def open_source(page, base: str, project) -> None:
    page.get_by_role("link", name="Focus groups").click()
    page.get_by_role("link", name=project.name).click()
    page.get_by_role("link", name="group-1").click()
    page.wait_for_url(f"{base}/organizations/ashg/focus-groups/{project.pk}/sources/*/")


SELECT = """([fromPhrase, toPhrase, fromElement]) => {
    const pieces = [...document.querySelectorAll('#transcript .piece')];
    const find = phrase => {
        const node = pieces.find(p => p.textContent.includes(phrase)).firstChild;
        return [node, node.data.indexOf(phrase)];
    };
    const range = document.createRange();
    if (fromElement) {
        range.setStartBefore(document.getElementById(fromElement));
    } else {
        const [node, at] = find(fromPhrase);
        range.setStart(node, at);
    }
    const [node, at] = find(toPhrase);
    range.setEnd(node, at + toPhrase.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
}"""


def select(page, from_phrase: str, to_phrase: str, from_element: str = "") -> tuple[str, str]:
    """Select text as a mouse drag would; the offsets the page's script put in the form."""
    before = page.input_value("#id_start"), page.input_value("#id_end")
    page.evaluate(SELECT, [from_phrase, to_phrase, from_element])
    page.wait_for_function(
        "([s, e]) => document.getElementById('id_start').value !== s"
        " || document.getElementById('id_end').value !== e",
        arg=list(before),
    )
    return page.input_value("#id_start"), page.input_value("#id_end")


def test_two_coders_code_and_the_lead_compares(project, people, live_server, browser):
    base = live_server.url
    start = TEXT.index(PASSAGE)

    # Coder A selects a passage after the emoji (two UTF-16 units, one code point).
    ana = signed_in(browser, base, people["ana"])
    open_source(ana, base, project)
    # Across turns, and from the edge of a turn (outside any text): exact code points.
    across = select(ana, "welcome", "outsider")
    assert across == (str(TEXT.index("welcome")), str(TEXT.index("outsider") + 8))
    from_edge = select(ana, "", "pay gap", from_element="turn-2")
    assert from_edge == (str(TEXT.index(SECOND)), str(TEXT.index("pay gap") + 7))
    assert select(ana, PASSAGE, PASSAGE) == (str(start), str(start + len(PASSAGE)))
    status = ana.locator("#selection-status")
    status.get_by_text(f"Selected characters {start}–{start + len(PASSAGE)}").wait_for()
    ana.get_by_label("Belonging").check()
    ana.get_by_role("button", name="Apply codes").click()
    row = ana.locator("table.codings tbody tr")
    assert row.count() == 1
    assert "Belonging" in row.inner_text() and PASSAGE in row.inner_text()
    assert ana.locator("mark.piece").inner_text() == PASSAGE
    check(ana, "coding-page")
    ana.get_by_role("link", name="Edit").click()
    assert ana.input_value("#id_start") == str(start)
    check(ana, "coding-edit")
    ana.get_by_role("link", name="Cancel").click()

    # Coder B, blind to A's coding, selects the whole turn and a code with the keyboard only.
    ben = signed_in(browser, base, people["ben"])
    open_source(ben, base, project)
    assert ben.locator("mark.piece").count() == 0
    ben.locator("#turn-check-1").focus()
    ben.keyboard.press("Space")
    assert ben.locator("#turn-check-1").is_checked()
    ben.locator("#turn-check-2").focus()
    ben.keyboard.press("Enter")  # Enter selects a turn too, and does not submit
    assert ben.locator("#turn-check-2").is_checked()
    ben.keyboard.press("Space")
    assert not ben.locator("#turn-check-2").is_checked()
    ben.get_by_label("Belonging").focus()
    ben.keyboard.press("Space")
    ben.get_by_role("button", name="Apply codes").focus()
    ben.keyboard.press("Enter")
    ben.wait_for_url("**#your-codings")
    assert ben.locator("table.codings tbody tr").count() == 1
    assert FIRST in ben.locator("mark.piece").inner_text()

    # The lead compares: both coders, and the kappa the core computes from these codings
    # (written out here: an ORM query from inside Playwright's event loop would leave a
    # connection open that PostgreSQL's test teardown trips over).
    first = TEXT.index(FIRST)
    codings = [
        Coding("group-1", "ana", "climate/belonging", start, start + len(PASSAGE)),
        Coding("group-1", "ben", "climate/belonging", first, first + len(FIRST)),
    ]
    (expected,) = [
        a for a in agreement(codings, {"group-1": len(TEXT)}) if a.basis == ALL_TEXT
    ]
    lee = signed_in(browser, base, people["lee"])
    lee.goto(f"{base}/organizations/ashg/focus-groups/{project.pk}/")
    lee.get_by_role("link", name="group-1").click()
    lee.get_by_role("link", name="Original wording").click()
    assert "Ana Ruiz" in lee.locator("main").inner_text()
    check(lee, "original")
    lee.goto(f"{base}/organizations/ashg/focus-groups/{project.pk}/codebook/")
    check(lee, "codebook")
    lee.goto(f"{base}/organizations/ashg/focus-groups/{project.pk}/")
    check(lee, "project")
    lee.get_by_role("link", name="Compare coders and agreement").click()
    kappa = lee.locator(
        "table.agreement[data-basis='all_text'] tr[data-code='climate/belonging'] td.kappa"
    )
    assert kappa.inner_text() == f"{expected.kappa:.3f}"
    aligned = lee.locator("table.aligned")
    assert aligned.locator("th", has_text="ana").count() == 1
    assert aligned.locator("th", has_text="ben").count() == 1
    assert aligned.locator("tr.agree").count() == 1 and aligned.locator("tr.differ").count() == 1
    check(lee, "comparison")


UPLOADED = (
    "Moderator: What brought you to the field?\n"
    "Ana Ruiz: A teacher at Acme Labs, honestly.\n"
    "Bob: The pay, at first.\n"
)


def test_a_lead_creates_a_project_and_uploads_a_transcript(project, people, live_server,
                                                          browser):
    base = live_server.url
    lee = signed_in(browser, base, people["lee"])
    lee.goto(f"{base}/organizations/ashg/focus-groups/")
    lee.get_by_role("link", name="New project").click()
    check(lee, "project-new", SCREENS_WEB_IMPORT)
    lee.get_by_label("Name").fill("Retention groups 2027")
    lee.get_by_role("button", name="Create the project").click()
    lee.get_by_role("heading", name="Retention groups 2027").wait_for()

    lee.get_by_label("Add a coder").select_option(label="Ana <ana@ashg.example>")
    lee.get_by_role("button", name="Add coder").click()
    assert "(ana)" in lee.locator("ul.coder-list").inner_text()

    lee.get_by_role("link", name="Upload files").first.click()
    check(lee, "files", SCREENS_WEB_IMPORT)
    # A file in another encoding is named with its line, next to the form; nothing is kept.
    lee.get_by_label("Transcripts").set_input_files([
        {"name": "latin.txt", "mimeType": "text/plain", "buffer": b"Moderator: caf\xe9\n"},
    ])
    lee.get_by_role("button", name="Upload and de-identify").click()
    refused = lee.locator(".form-errors").inner_text()
    assert "latin.txt: line 1: byte 0xe9 is not UTF-8" in refused
    assert "choose its text encoding in the form" in refused
    check(lee, "files-refused", SCREENS_WEB_IMPORT)
    lee.get_by_label("Transcripts").set_input_files([
        {"name": "group-a.txt", "mimeType": "text/plain", "buffer": UPLOADED.encode()},
    ])
    lee.get_by_label("Participants list (CSV)").set_input_files([{
        "name": "people.csv", "mimeType": "text/csv",
        "buffer": b"id,group,name,speaker\nP1,a,Ana Ruiz,\nP2,a,Bob Stone,Bob\n",
    }])
    lee.get_by_label("Identifying list (YAML)").set_input_files([{
        "name": "identifying.yaml", "mimeType": "text/yaml",
        "buffer": b"institutions: [Acme Labs]\n",
    }])
    lee.get_by_role("button", name="Upload and de-identify").click()
    lee.get_by_role("link", name="group-a").wait_for()
    listed = lee.locator("main").inner_text()
    assert "Added 1 source and 2 participants" in listed and "Acme" not in listed
    # Both participants speak, named in the file and linked through the participants list.
    row = lee.locator("table tr", has_text="group-a")
    assert "P1, P2" in row.inner_text() and "Ruiz" not in row.inner_text()
    check(lee, "project-after-upload", SCREENS_WEB_IMPORT)

    # The analysis of the coded project: two participants, so every group count is withheld.
    lee.goto(f"{base}/organizations/ashg/focus-groups/{project.pk}/analysis/")
    assert "—" in lee.locator("table.themes").inner_text()
    check(lee, "analysis", SCREENS_WEB_IMPORT)
