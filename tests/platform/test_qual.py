"""Focus-group projects on the platform: who sees what, coding by offsets, the codebook's
versions, and a project that goes through the platform and comes back equal.

The people: ASHG's analyst ``ana`` and steward ``ben`` code; ``lead`` (an ASHG analyst)
leads; consortium ``staff`` oversee; NSGC's steward is from another society.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from workforce.platform.actions.organizations import do_grant_role
from workforce.platform.actions.qual import (
    do_add_codings,
    do_add_memo,
    do_import_qual_project,
    do_set_blind,
)
from workforce.platform.actions.users import do_create_user
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Role
from workforce.platform.qual.convert import to_core
from workforce.platform.qual.models import CodebookVersion, Coding, QualitativeProject
from workforce.qual.agreement import ALL_TEXT, agreement
from workforce.qual.codings import Coding as CoreCoding
from workforce.qual.deidentify import Original, Replacement
from workforce.qual.project import (
    Code,
    Memo,
    Participant,
    QualProject,
    Source,
    Turn,
    save_project,
)

pytestmark = pytest.mark.platform

# "🌱" is one code point but two UTF-16 units: offsets after it tell the two counts apart.
GROUP_1 = (
    "Moderator: Welcome, everyone.\n"
    "[PARTICIPANT 1]: I 🌱 grew into this field, but I often feel like an outsider.\n"
    "[PARTICIPANT 2]: Pay is the reason I almost left R&D <for good>.\n"
)
GROUP_2 = "Moderator: What keeps you here?\n[PARTICIPANT 3]: My mentor.\n"


def turns_of(text: str, participants: dict[str, str]) -> tuple[Turn, ...]:
    turns, start = [], 0
    for line in text.splitlines(keepends=True):
        speaker = line.split(":", 1)[0]
        turns.append(Turn(participants.get(speaker, ""), speaker, start, start + len(line) - 1))
        start += len(line)
    return tuple(turns)


def core_project(codings=()) -> QualProject:
    project = QualProject(
        "Climate focus groups 2026",
        participants=(
            Participant("P1", "group-1", {"career_stage": "early_career"}),
            Participant("P2", "group-1", {"career_stage": "mid_career"}),
            Participant("P3", "group-2"),
        ),
        sources=(
            Source("group-1", GROUP_1, group="group-1", origin="group-1.docx", deidentified=True,
                   turns=turns_of(GROUP_1, {"[PARTICIPANT 1]": "P1", "[PARTICIPANT 2]": "P2"})),
            Source("group-2", GROUP_2, group="group-2",
                   turns=turns_of(GROUP_2, {"[PARTICIPANT 3]": "P3"})),
        ),
        coders=("ana", "ben"),
        lead="lee",
        description="Two groups of early- and mid-career members.",
    ).with_codebook(
        [
            Code("climate", "Climate", codable=False),
            Code("climate/belonging", "Belonging", "climate", "Feeling part of the field.",
                 ("I feel like an outsider.",)),
            Code("pay", "Pay"),
        ],
        author="lee", note="First draft", saved="2026-01-05T10:00:00+00:00",
    )
    return project.with_codings(codings)


def make_person(email: str, organization, role):
    user = do_create_user(email, full_name=email.split("@")[0].title(), acting_user=None)
    do_grant_role(user, organization, role, acting_user=None)
    return user


ORIGINAL_1 = GROUP_1.replace("[PARTICIPANT 1]", "Ana Ruiz")


@pytest.fixture
def lead(ashg):
    return make_person("lead@ashg.example", ashg, Role.ANALYST)


@pytest.fixture
def ana(ashg_analyst):
    return ashg_analyst


@pytest.fixture
def ben(ashg_steward):
    return ashg_steward


@pytest.fixture
def project(ashg, lead, ana, ben) -> QualitativeProject:
    original = Original("group-1", ORIGINAL_1, (
        Replacement(30, 38, 30, 45, "name", "Ana Ruiz", "P1"),))
    return do_import_qual_project(
        ashg, core_project(), {"group-1": original}, lead, {"ana": ana, "ben": ben},
        acting_user=None,
    )


def url(project, rest=""):
    return f"/organizations/{project.organization.code}/focus-groups/{project.pk}/{rest}"


def source_url(project, key="group-1", rest=""):
    source = project.sources.get(key=key)
    return url(project, f"sources/{source.pk}/{rest}")


def phrase_offsets(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


# --- Who sees what ----------------------------------------------------------------------------


def test_a_coder_of_the_project_opens_its_coding_page(project, ana, client_for):
    response = client_for(ana).get(source_url(project))
    assert response.status_code == 200
    page = response.content.decode()
    assert "[PARTICIPANT 1]" in page and "Apply codes" in page
    assert "Ana Ruiz" not in page  # the de-identified text only
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_steward_of_another_society_is_refused(project, nsgc_steward, client_for):
    client = client_for(nsgc_steward)
    assert client.get(url(project)).status_code == 403
    assert client.get(source_url(project)).status_code == 403
    assert client.get("/organizations/ashg/focus-groups/").status_code == 403


def test_a_colleague_not_in_the_project_does_not_find_it(project, ashg, client_for):
    colleague = make_person("colleague@ashg.example", ashg, Role.ANALYST)
    client = client_for(colleague)
    assert client.get(url(project)).status_code == 404
    assert project.name not in client.get("/organizations/ashg/focus-groups/").content.decode()


def test_a_viewer_cannot_take_part_in_focus_groups(project, acmg_viewer, ashg, client_for):
    assert client_for(acmg_viewer).get("/organizations/acmg/focus-groups/").status_code == 403


def test_project_lists_show_the_project_to_its_people(project, ana, staff, client_for):
    for person in (ana, staff):
        page = client_for(person).get("/focus-groups/").content.decode()
        assert project.name in page
        assert 'href="/focus-groups/"' in page  # the navigation's link


def test_a_blind_coder_sees_only_their_own_codings(project, ana, ben, client_for):
    source = project.sources.get(key="group-1")
    ana_passage = phrase_offsets(GROUP_1, "I often feel like an outsider")
    ben_passage = phrase_offsets(GROUP_1, "Pay is the reason I almost left")
    do_add_codings(source, ana, ["climate/belonging"], [ana_passage], acting_user=ana)
    do_add_codings(source, ben, ["pay"], [ben_passage], acting_user=ben)
    page = client_for(ana).get(source_url(project)).content.decode()
    assert f"{ana_passage[0]}–{ana_passage[1]}" in page
    assert f"{ben_passage[0]}–{ben_passage[1]}" not in page
    assert client_for(ana).get(url(project, "compare/")).status_code == 403
    # Nor can Ana change or delete Ben's coding by its number.
    bens = Coding.objects.get(coder=ben)
    client = client_for(ana)
    assert client.get(source_url(project, rest=f"codings/{bens.pk}/")).status_code == 404
    assert client.post(source_url(project, rest=f"codings/{bens.pk}/delete/")).status_code == 404
    assert Coding.objects.filter(pk=bens.pk).exists()


def test_once_unblinded_coders_may_compare(project, ana, lead, client_for):
    do_set_blind(project, False, acting_user=lead)
    assert client_for(ana).get(url(project, "compare/")).status_code == 200


def test_only_the_lead_unblinds(project, ana, lead, client_for):
    assert client_for(ana).post(url(project, "blind/"), {"blind": "0"}).status_code == 403
    assert client_for(lead).post(url(project, "blind/"), {"blind": "0"}).status_code == 302
    project.refresh_from_db()
    assert not project.blind


def test_only_the_lead_sees_the_original_wording(project, lead, ana, staff, client_for):
    original = source_url(project, rest="original/")
    response = client_for(lead).get(original)
    assert response.status_code == 200
    assert "Ana Ruiz" in response.content.decode()
    # Coders, and consortium staff who oversee every project, are refused.
    for person in (ana, staff):
        response = client_for(person).get(original)
        assert response.status_code == 403
        assert b"Ana Ruiz" not in response.content
    assert "Ana Ruiz" not in client_for(staff).get(source_url(project)).content.decode()


def test_staff_oversee_without_coding(project, staff, client_for):
    client = client_for(staff)
    assert client.get(url(project, "compare/")).status_code == 200
    response = client.post(
        source_url(project, rest="codings/"), {"codes": ["pay"], "start": 0, "end": 5}
    )
    assert response.status_code == 403


# --- Coding -----------------------------------------------------------------------------------


def test_a_coding_posted_with_offsets_is_saved_in_code_points(project, ana, client_for):
    start, end = phrase_offsets(GROUP_1, "grew into this field")
    response = client_for(ana).post(
        source_url(project, rest="codings/"),
        {"codes": ["climate/belonging", "pay"], "start": start, "end": end},
    )
    assert response.status_code == 302
    saved = Coding.objects.filter(coder=ana).order_by("code")
    assert [(c.code, c.start, c.end) for c in saved] == [
        ("climate/belonging", start, end), ("pay", start, end)
    ]
    assert saved[0].passage == "grew into this field"
    assert AuditEvent.objects.filter(verb="qual_codings_added", actor=ana).count() == 1


def test_a_passage_outside_the_text_is_refused_with_a_clear_message(project, ana, client_for):
    response = client_for(ana).post(
        source_url(project, rest="codings/"),
        {"codes": ["pay"], "start": 10, "end": len(GROUP_1) + 5},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert f"ends at {len(GROUP_1):,} at most" in page
    assert not Coding.objects.exists()


def test_a_category_cannot_be_applied(project, ana, client_for):
    response = client_for(ana).post(
        source_url(project, rest="codings/"), {"codes": ["climate"], "start": 0, "end": 5}
    )
    assert response.status_code == 400
    assert not Coding.objects.exists()


def test_ticking_turns_codes_each_whole_turn(project, ana, client_for):
    response = client_for(ana).post(
        source_url(project, rest="codings/"), {"codes": ["pay"], "turns": ["1", "2"]}
    )
    assert response.status_code == 302
    turns = project.sources.get(key="group-1").turns
    assert sorted((c.start, c.end) for c in Coding.objects.all()) == [
        (turns[1]["start"], turns[1]["end"]), (turns[2]["start"], turns[2]["end"])
    ]


def test_a_coder_changes_and_deletes_a_coding(project, ana, client_for):
    source = project.sources.get(key="group-1")
    (coding,) = do_add_codings(source, ana, ["pay"], [(10, 20)], acting_user=ana)
    client = client_for(ana)
    response = client.post(
        source_url(project, rest=f"codings/{coding.pk}/"),
        {"code": "climate/belonging", "start": 12, "end": 25},
    )
    assert response.status_code == 302
    coding.refresh_from_db()
    assert (coding.code, coding.start, coding.end) == ("climate/belonging", 12, 25)
    client.post(source_url(project, rest=f"codings/{coding.pk}/delete/"))
    assert not Coding.objects.exists()


def test_the_page_renders_every_character_in_pieces_with_offsets(project, ana, client_for):
    import re
    from html import unescape

    page = client_for(ana).get(source_url(project)).content.decode()
    pieces = re.findall(
        r'class="piece" data-start="(\d+)" data-end="(\d+)"[^>]*>(.*?)</(?:span|mark)>',
        page, re.S,
    )
    assert "".join(unescape(text) for _, _, text in pieces) == GROUP_1
    assert all(GROUP_1[int(a):int(b)] == unescape(t) for a, b, t in pieces)


# --- Codebook and memos -----------------------------------------------------------------------


def test_adding_a_code_saves_version_2_and_keeps_version_1(project, lead, client_for):
    client = client_for(lead)
    response = client.post(
        url(project, "codebook/"),
        {"name": "Mentoring", "parent": "climate", "description": "Someone who helped.",
         "examples": "My mentor.\n", "codable": "on", "note": "Mentoring came up in group 2"},
    )
    assert response.status_code == 302
    versions = list(CodebookVersion.objects.filter(project=project).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert [c["id"] for c in versions[0].codes] == ["climate", "climate/belonging", "pay"]
    assert versions[1].code("climate/mentoring")["examples"] == ["My mentor."]
    assert versions[1].note == "Mentoring came up in group 2"
    assert client.get(url(project, "codebook/v1/")).status_code == 200


def test_renaming_a_code_keeps_its_id_and_its_codings(project, lead, ana, client_for):
    source = project.sources.get(key="group-1")
    do_add_codings(source, ana, ["pay"], [(10, 20)], acting_user=ana)
    response = client_for(lead).post(
        url(project, "codebook/codes/pay"),
        {"name": "Pay and benefits", "parent": "", "description": "", "examples": "",
         "codable": "on", "note": ""},
    )
    assert response.status_code == 302
    assert project.current_codebook.code("pay")["name"] == "Pay and benefits"
    to_core(project).check()


def test_only_the_lead_changes_the_codebook(project, ana, client_for):
    response = client_for(ana).post(url(project, "codebook/"), {"name": "Sneaky"})
    assert response.status_code == 403
    assert project.codebook_versions.count() == 1


def test_a_blind_coder_does_not_read_another_coders_memos(project, ana, ben, lead, client_for):
    do_add_memo(project, author=ben, text="Ben's hunch", acting_user=ben)
    do_add_memo(project, author=lead, text="Lead's guidance", acting_user=lead)
    page = client_for(ana).get(url(project)).content.decode()
    assert "Lead&#x27;s guidance" in page and "Ben&#x27;s hunch" not in page


def test_a_memo_on_a_passage_is_saved_with_its_offsets(project, ana, client_for):
    response = client_for(ana).post(
        url(project, "memos/"),
        {"text": "Outsider again", "target": "segment", "target_id": "group-1",
         "start": 5, "end": 20, "next": source_url(project)},
    )
    assert response.status_code == 302 and response["Location"] == source_url(project)
    memo = project.memos.get()
    assert (memo.target, memo.start, memo.end, memo.author_name) == ("segment", 5, 20, "ana")


# --- Through the core and back ----------------------------------------------------------------


def test_a_project_goes_through_the_platform_and_comes_back_equal(ashg, lead, ana, ben):
    start, end = phrase_offsets(GROUP_1, "I often feel like an outsider")
    core = core_project([
        CoreCoding("group-1", "ana", "climate/belonging", start, end),
        CoreCoding("group-1", "ben", "climate/belonging", start - 4, end),
        CoreCoding("group-2", "ben", "pay", 3, 9),
    ])
    core = QualProject(**{**core.__dict__, "memos": (
        Memo("m1", "lee", "Watch for belonging.", "code", "climate/belonging",
             created="2026-01-06T09:00:00+00:00"),
        Memo("m2", "ana", "Strong passage.", "segment", "group-1", start, end),
    )})
    stored = do_import_qual_project(
        ashg, core, {}, lead, {"ana": ana, "ben": ben}, acting_user=None
    )
    assert to_core(stored) == core


def test_the_agreement_of_platform_codings_is_the_cores(project, ana, ben, lead, client_for):
    source = project.sources.get(key="group-1")
    start, end = phrase_offsets(GROUP_1, "I often feel like an outsider")
    do_add_codings(source, ana, ["climate/belonging"], [(start, end)], acting_user=ana)
    do_add_codings(source, ben, ["climate/belonging"], [(start - 20, end)], acting_user=ben)
    core = to_core(project)
    (expected,) = [a for a in agreement(core.codings, core.lengths()) if a.basis == ALL_TEXT]
    page = client_for(lead).get(url(project, "compare/")).content.decode()
    assert f"{expected.kappa:.3f}" in page
    assert "each character of all sources, coded or not" in page


def test_the_command_imports_a_project_folder(tmp_path, ashg, lead, ana, ben):
    save_project(core_project([CoreCoding("group-2", "ana", "pay", 3, 9)]), tmp_path / "p")
    call_command(
        "import_qual_project", str(tmp_path / "p"), "--org", "ashg", "--lead", lead.email,
        "--coders", f"ana={ana.email},ben={ben.email}",
    )
    stored = QualitativeProject.objects.get(organization=ashg)
    assert to_core(stored) == core_project([CoreCoding("group-2", "ana", "pay", 3, 9)])


def test_the_command_names_a_coder_without_a_user(tmp_path, ashg, lead, ana):
    save_project(core_project(), tmp_path / "p")
    with pytest.raises(CommandError, match="No platform user given for coder"):
        call_command(
            "import_qual_project", str(tmp_path / "p"), "--org", "ashg", "--lead", lead.email,
            "--coders", f"ana={ana.email}",
        )
    assert not QualitativeProject.objects.exists()


def test_the_qdpx_export_reads_back_as_the_same_project(project, lead, client_for, tmp_path):
    from workforce.qual.refi import read_qdpx

    response = client_for(lead).get(url(project, "export.qdpx"))
    assert response.status_code == 200
    path = tmp_path / "export.qdpx"
    path.write_bytes(b"".join(response.streaming_content))
    result = read_qdpx(path)
    read_back = getattr(result, "project", result)
    assert [s.text for s in read_back.sources] == [GROUP_1, GROUP_2]
    assert read_back.codes == to_core(project).codes


def test_the_command_imports_a_qdpx_file(tmp_path, nsgc, ana, ben, lead):
    from workforce.qual.refi import read_qdpx, write_qdpx

    do_grant_role(lead, nsgc, Role.ANALYST, acting_user=None)
    do_grant_role(ana, nsgc, Role.ANALYST, acting_user=None)
    do_grant_role(ben, nsgc, Role.ANALYST, acting_user=None)
    core = core_project([CoreCoding("group-1", "ben", "pay", 3, 9)])
    write_qdpx(core, tmp_path / "groups.qdpx")
    call_command(
        "import_qual_project", str(tmp_path / "groups.qdpx"), "--org", "nsgc", "--lead",
        lead.email, "--coders", f"ana={ana.email},ben={ben.email}",
    )
    stored = QualitativeProject.objects.get(organization=nsgc)
    assert to_core(stored) == read_qdpx(tmp_path / "groups.qdpx").project


@pytest.mark.parametrize("model", ["qualitativeproject", "source", "codebookversion", "coding",
                                   "memo"])
def test_every_model_has_a_read_only_admin_page(model, project, staff, client_for):
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = client_for(staff)
    assert client.get(f"/admin/qual/{model}/").status_code == 200
    assert client.get(f"/admin/qual/{model}/add/").status_code == 403


def test_the_originals_are_not_in_the_admin(project, staff, client_for):
    staff.is_staff = staff.is_superuser = True
    staff.save()
    assert client_for(staff).get("/admin/qual/sourceoriginal/").status_code == 404


def test_the_command_deidentifies_and_keeps_the_originals_for_the_lead(
    tmp_path, ashg, lead, ana, ben, client_for
):
    raw = "Moderator: Welcome.\nAna Ruiz: I moved here from Baylor for the lab.\n"
    core = QualProject(
        "Raw groups",
        participants=(Participant("P1", "group-3"),),
        sources=(Source("group-3", raw, turns=turns_of(raw, {"Ana Ruiz": "P1"})),),
        coders=("ana",),
        lead="lee",
    ).with_codebook([Code("pay", "Pay")], saved="2026-01-05T10:00:00+00:00")
    save_project(core, tmp_path / "raw")
    (tmp_path / "identifying.yaml").write_text(
        "names:\n  P1: Ana Ruiz\ninstitutions: [Baylor]\n", encoding="utf-8"
    )
    call_command(
        "import_qual_project", str(tmp_path / "raw"), "--org", "ashg", "--lead", lead.email,
        "--coders", f"ana={ana.email}", "--identifying", str(tmp_path / "identifying.yaml"),
    )
    stored = QualitativeProject.objects.get(name="Raw groups")
    source = stored.sources.get()
    assert source.deidentified and "Ana Ruiz" not in source.text and "Baylor" not in source.text
    assert source.original.text == raw
    assert {r["value"] for r in source.original.replacements} >= {"Ana Ruiz", "Baylor"}
    page = f"/organizations/ashg/focus-groups/{stored.pk}/sources/{source.pk}/"
    assert "Baylor" not in client_for(ana).get(page).content.decode()
    assert client_for(ana).get(page + "original/").status_code == 403
    assert "Baylor" in client_for(lead).get(page + "original/").content.decode()


def test_a_code_cannot_move_under_its_own_child(project, lead, client_for):
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.qual import do_change_code

    # The form does not offer it ...
    response = client_for(lead).post(
        url(project, "codebook/codes/climate"),
        {"name": "Climate", "parent": "climate/belonging", "codable": ""},
    )
    assert response.status_code == 400
    # ... and the action refuses it.
    with pytest.raises(ValidationError, match="under itself or its own children"):
        do_change_code(
            project, "climate", name="Climate", parent="climate/belonging", description="",
            examples=(), codable=False, note="", author=lead, acting_user=lead,
        )
    assert project.codebook_versions.count() == 1


def test_a_blind_coder_cannot_export_everyones_codings(project, ana, client_for):
    assert client_for(ana).get(url(project, "export.qdpx")).status_code == 403
