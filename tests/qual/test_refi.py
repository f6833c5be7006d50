"""REFI-QDA exchange: a project survives `.qdpx` and back, output is byte-reproducible, and
codebooks and projects written by other tools import with their hierarchy."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from workforce.qual.codings import Coding, QualError
from workforce.qual.project import (
    OPEN_TEXT,
    Code,
    CodebookVersion,
    Memo,
    Participant,
    QualProject,
    Source,
    Turn,
    code_id,
)
from workforce.qual.refi import (
    PROJECT_NS,
    read_qdc,
    read_qdpx,
    validate_codebook_xml,
    validate_project_xml,
    write_qdc,
    write_qdpx,
)

DATA = Path(__file__).parent / "data" / "refi"

TRANSCRIPT = ("Moderator: Welcome, everyone.\n"
              "[PARTICIPANT 1]: I feel I belong here 🙂 mostly; the café helps.\n"
              "[PARTICIPANT 2]: Respect is earned 👩‍🔬 slowly.\n")
ANSWER = "Mentoring made me stay 🧪 in science, thanks to Zoë."


def span(text: str, passage: str) -> tuple[int, int]:
    """Code-point offsets of a passage (end exclusive), as REFI-QDA counts them."""
    start = text.index(passage)
    return start, start + len(passage)


def line_turn(participant, speaker, line, begin=None, end=None):
    return Turn(participant, speaker, *span(TRANSCRIPT, line), begin, end)


CODES_V1 = (
    Code("climate", "Climate", codable=False),
    Code("climate/belonging", "Belonging", "climate"),
)
CODES = (
    Code("climate", "Climate", description="How welcome people feel.", color="#1F77B4",
         codable=False),
    Code("climate/belonging", "Belonging", "climate", "Feeling part of the field.",
         ("I finally felt I was one of them.", "Nobody asks where\nI am really from."),
         "#ff7f0e"),
    Code("climate/respect", "Respect", "climate", color="#2CA02C"),
    Code("support", "Support", examples=("My mentor believed in me.",)),
    Code("support/mentoring", "Mentoring", "support", "Someone senior helped."),
)


def a_project() -> QualProject:
    """Nested codes, a category, two coders, timestamps, emoji and accents, memos on all."""
    lines = TRANSCRIPT.splitlines()
    focus_group = Source(
        "fg-2026-1", TRANSCRIPT, group="fg1", origin="fg1.vtt", turns=(
            line_turn("", "Moderator", lines[0], 0.0, 4.25),
            line_turn("P01", "[PARTICIPANT 1]", lines[1], 4.25, 62.1),
            line_turn("P02", "[PARTICIPANT 2]", lines[2], 62.1, 3725.007),
        ))
    answer = Source("oe-12", ANSWER, kind=OPEN_TEXT, origin="survey.csv", deidentified=True,
                    turns=(Turn("P03", "", 0, len(ANSWER)),))  # a turn with no label
    project = QualProject(
        "Belonging 2026",
        participants=(
            Participant("P01", "fg1", {"career_stage": "early_career", "sector": "academia"},
                        response="r-17"),
            Participant("P02", "fg1", {"career_stage": "mid_career"}),
            Participant("P03", "", {}),
        ),
        sources=(focus_group, answer),
        lead="lee",
        description="Focus groups on belonging, wave 2026.",
    )
    project = project.with_codebook(CODES_V1, author="lee", saved="2026-10-01T09:00:00+00:00")
    project = project.with_codebook(CODES, author="ann", note="split climate",
                                    saved="2026-11-01T10:30:00+00:00")
    belong = span(TRANSCRIPT, "I belong here 🙂 mostly")
    cafe = span(TRANSCRIPT, "the café helps")
    respect = span(TRANSCRIPT, "Respect is earned 👩‍🔬 slowly")
    stay = span(ANSWER, "Mentoring made me stay 🧪 in science")
    zoe = span(ANSWER, "thanks to Zoë")
    project = project.with_codings([
        Coding("fg-2026-1", "ann", "climate/belonging", *belong),
        Coding("fg-2026-1", "ben", "climate/belonging", belong[0], belong[1] - 7),
        Coding("fg-2026-1", "ann", "climate/respect", *respect),
        Coding("fg-2026-1", "ben", "support", *cafe),
        Coding("fg-2026-1", "ben", "support", *cafe),  # the same passage twice stays twice
        Coding("oe-12", "ann", "support/mentoring", *stay),
        Coding("oe-12", "ben", "support/mentoring", *zoe),
    ])
    return replace(project, memos=(
        Memo("m1", "lee", "Compare with the 2024 wave.", created="2026-11-02T09:00:00+00:00"),
        Memo("m2", "ann", "Belonging overlaps respect;\nsee P02.", "code", "climate/belonging"),
        Memo("m3", "ben", "Audio was poor after minute 40.", "source", "fg-2026-1"),
        Memo("m4", "ann", "Strong statement 💬", "segment", "oe-12", *zoe,
             created="2026-11-03T12:00:00Z"),
    )).check()


def as_read_back(project: QualProject) -> QualProject:
    """What REFI-QDA carries: the codebook's versions collapse into the current one."""
    latest = project.codebook[-1]
    return replace(project, codebook=(CodebookVersion(1, latest.codes, latest.saved,
                                                      latest.author),))


def qde_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


@pytest.fixture
def written(tmp_path) -> Path:
    path = tmp_path / "belonging.qdpx"
    write_qdpx(a_project(), path)
    return path


def test_a_written_project_validates_against_the_refi_schema(written):
    assert validate_project_xml(qde_of(written)) == []
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
    assert names[0] == "project.qde"
    assert len([n for n in names if n.startswith("sources/") and n.endswith(".txt")]) == 2


def test_a_project_reads_back_equal_through_qdpx(written):
    result = read_qdpx(written)
    assert result.project == as_read_back(a_project())
    assert result.skipped == () and result.warnings == ()


def test_offsets_in_the_file_are_code_points_of_the_stored_text(written):
    root = etree.fromstring(qde_of(written))
    ns = {"q": PROJECT_NS}
    source = root.find("q:Sources/q:TextSource[@name='oe-12']", ns)
    member = "sources/" + source.get("plainTextPath").removeprefix("internal://")
    with zipfile.ZipFile(written) as archive:
        text = archive.read(member).decode("utf-8")
    assert text == ANSWER
    coded = [s for s in source.findall("q:PlainTextSelection", ns)
             if s.find("q:Coding", ns) is not None]
    passages = [text[int(s.get("startPosition")):int(s.get("endPosition"))] for s in coded]
    assert passages == ["Mentoring made me stay 🧪 in science", "thanks to Zoë"]


def test_examples_and_timestamps_are_written_where_other_tools_show_them(written):
    root = etree.fromstring(qde_of(written))
    ns = {"q": PROJECT_NS}
    belonging = root.find(".//q:Code[@name='Belonging']", ns)
    assert belonging.findtext("q:Description", namespaces=ns) == (
        "Feeling part of the field.\n\nExamples:\n- I finally felt I was one of them.\n"
        "- Nobody asks where\n  I am really from.")
    turn = root.find(".//q:PlainTextSelection[@name='[PARTICIPANT 2]']", ns)
    assert turn.findtext("q:Description", namespaces=ns) == "00:01:02.100 --> 01:02:05.007"


def test_writing_twice_gives_identical_bytes(tmp_path):
    write_qdpx(a_project(), tmp_path / "one.qdpx")
    write_qdpx(a_project(), tmp_path / "two.qdpx")
    assert (tmp_path / "one.qdpx").read_bytes() == (tmp_path / "two.qdpx").read_bytes()


def test_a_failed_write_leaves_no_file_behind(tmp_path):
    bad = replace(a_project(), codebook=(CodebookVersion(1, (Code("x", "X", color="red"),)),),
                  codings=(), memos=())
    with pytest.raises(QualError, match="would not be valid REFI-QDA"):
        write_qdpx(bad, tmp_path / "bad.qdpx")
    assert list(tmp_path.iterdir()) == []


def test_a_codebook_written_as_qdc_validates_and_reads_back_equal(tmp_path):
    path = tmp_path / "codebook.qdc"
    write_qdc(CODES, path)
    assert validate_codebook_xml(path.read_bytes()) == []
    assert read_qdc(path) == CODES


def test_a_code_has_the_same_guid_in_a_codebook_and_a_project(tmp_path, written):
    write_qdc(CODES, tmp_path / "codebook.qdc")
    in_codebook = {c.get("name"): c.get("guid")
                   for c in etree.parse(tmp_path / "codebook.qdc").iter("{*}Code")}
    in_project = {c.get("name"): c.get("guid")
                  for c in etree.fromstring(qde_of(written)).iter("{*}Code")}
    assert in_codebook == in_project and len(in_codebook) == len(CODES)


def test_a_foreign_codebook_imports_with_its_hierarchy():
    codes = {c.id: c for c in read_qdc(DATA / "maxqda_codebook.qdc")}
    assert list(codes) == [
        "climate", "climate/belonging", "climate/respect-recognition", "career-barriers",
        "career-barriers/funding", "career-barriers/funding-2", "sonstiges-ärger"]
    assert codes["climate"].codable is False
    assert codes["climate/belonging"].parent == "climate"
    assert codes["climate/belonging"].description == "Feeling part of the community."
    assert codes["climate/belonging"].examples == (
        '"I finally felt I was one of them."', '"Nobody asks where I am\nreally from."')
    assert codes["career-barriers/funding-2"].name == "funding"
    assert codes["career-barriers"].color == "#d62728"
    assert codes["sonstiges-ärger"].color == "#AABBCC"
    assert all(c.id == code_id(c.name, c.parent) for c in codes.values()
               if not c.id.endswith("-2"))


def foreign_qdpx(tmp_path: Path, *, beside: bool = True) -> Path:
    """The hand-written MAXQDA-style project zipped, one text inside, one beside it."""
    path = tmp_path / "retention.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(DATA / "foreign_project.qde", "project.qde")
        archive.writestr("Sources/50000002-0000-4000-8000-000000000002.txt",
                         "Focus group notes: the lab felt cold 🥶 at first; later, the café "
                         "chats helped.")
    if beside:
        shutil.copy(DATA / "interview_03.txt", tmp_path / "interview_03.txt")
    return path


def test_a_foreign_project_with_nested_codings_and_a_relative_source_imports(tmp_path):
    result = read_qdpx(foreign_qdpx(tmp_path), outside_files=True)
    project = result.project
    assert [c.id for c in project.codes] == [
        "mentoring", "barriers", "barriers/funding", "climate"]
    assert project.codes[2].color == "#CC0033"
    assert [s.id for s in project.sources] == ["interview_03", "Group notes", "Open answer 12"]
    interview = project.source("interview_03")
    assert interview.text.startswith("Interviewer:")
    assert interview.turns == (Turn("", "Interviewer", 0, 38),
                               Turn("Respondent 3", "Respondent", 39, 109))
    assert project.source("Open answer 12").kind == OPEN_TEXT
    assert project.source("Open answer 12").turns == (Turn("Survey 12", "Survey 12", 0, 29),)
    assert project.participant("Respondent 3").attributes == {
        "Career stage": "early_career", "Years in field": "4"}
    assert project.codings == (
        Coding("interview_03", "Dana", "mentoring", 51, 82),
        Coding("interview_03", "unknown", "barriers/funding", 83, 109),
        Coding("Group notes", "eli", "climate", 19, 47),
        Coding("Open answer 12", "eli", "climate", 0, 29),
    )
    assert interview.text[51:82] == "My mentor, Zoë, believed in me."
    assert project.coders == ("Dana", "eli", "unknown")
    assert project.lead == ""  # another tool's creator is not made the lead
    memos = {m.id: m for m in project.memos}
    assert memos["Project idea"].target == "project"
    assert memos["Project idea"].author == "Dana"
    assert (memos["Segment note"].target, memos["Segment note"].target_id,
            memos["Segment note"].start, memos["Segment note"].end) == \
        ("segment", "interview_03", 83, 109)
    assert (memos["About mentoring"].target, memos["About mentoring"].target_id) == \
        ("code", "mentoring")
    skipped = "\n".join(result.skipped)
    for what in ("PictureSource 'Whiteboard'", "Sets", "Links", "CodeRef",
                 "description of source 'interview_03'"):
        assert what in skipped


def test_a_text_outside_the_archive_is_read_only_when_allowed(tmp_path):
    with pytest.raises(QualError, match=r"line \d+: TextSource 'interview_03.txt'.*outside"):
        read_qdpx(foreign_qdpx(tmp_path))


def test_a_missing_outside_text_is_a_clear_error(tmp_path):
    with pytest.raises(QualError, match=r"relative://interview_03.txt.*looked for at"):
        read_qdpx(foreign_qdpx(tmp_path, beside=False), outside_files=True)


def test_a_truncated_qdpx_fails_with_a_clear_message(written):
    data = written.read_bytes()
    written.write_bytes(data[: len(data) // 2])
    with pytest.raises(QualError, match="belonging.qdpx: not a readable REFI-QDA project.*"
                                        "damaged or truncated"):
        read_qdpx(written)


def test_a_damaged_entry_fails_with_a_clear_message(written):
    data = bytearray(written.read_bytes())
    for i in range(200, 260):  # inside project.qde's compressed bytes, the first entry
        data[i] ^= 0xFF
    written.write_bytes(bytes(data))
    with pytest.raises(QualError, match="belonging.qdpx: project.qde cannot be read from the "
                                        "archive; it is damaged or truncated"):
        read_qdpx(written)


def test_a_file_that_is_not_a_zip_fails_with_a_clear_message(tmp_path):
    path = tmp_path / "notes.qdpx"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(QualError, match="notes.qdpx: not a readable REFI-QDA project"):
        read_qdpx(path)


def test_an_archive_without_project_qde_is_refused(tmp_path):
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sources/a.txt", "text")
    with pytest.raises(QualError, match="no project.qde in the archive"):
        read_qdpx(path)


def rewritten(tmp_path: Path, written: Path, edit) -> Path:
    """The written project with its project.qde edited."""
    path = tmp_path / "edited.qdpx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, edit(data) if name == "project.qde" else data)
    return path


def test_bad_xml_is_reported_with_its_line(tmp_path, written):
    path = rewritten(tmp_path, written, lambda xml: xml.replace(b"</Users>", b"</Usrs>"))
    with pytest.raises(QualError, match=r"edited.qdpx: project.qde: line \d+: not well-formed"):
        read_qdpx(path)


def test_a_coding_of_an_unknown_code_is_reported_with_its_line(tmp_path, written):
    xml = qde_of(written)
    code_guid = etree.fromstring(xml).find(f".//{{{PROJECT_NS}}}CodeRef").get("targetGUID")
    path = rewritten(tmp_path, written, lambda x: x.replace(
        f'CodeRef targetGUID="{code_guid}"'.encode(),
        b'CodeRef targetGUID="00000000-0000-4000-8000-000000000000"', 1))
    with pytest.raises(QualError, match=r"line \d+: source 'fg-2026-1': coding .* not in the "
                                        "codebook"):
        read_qdpx(path)


def test_offsets_outside_the_source_are_reported_with_their_line(tmp_path, written):
    length = len(TRANSCRIPT)
    path = rewritten(tmp_path, written, lambda xml: re.sub(
        rb'endPosition="\d+"', f'endPosition="{length + 5}"'.encode(), xml, count=1))
    with pytest.raises(QualError, match=rf"line \d+: source 'fg-2026-1': characters \d+-"
                                        rf"{length + 5} lie outside its {length} characters"):
        read_qdpx(path)


def test_schema_problems_fail_strictly_and_become_warnings_otherwise(tmp_path, written):
    path = rewritten(tmp_path, written, lambda xml: xml.replace(
        b'isCodable="false"', b'isCodable="no"', 1))
    with pytest.raises(QualError, match=r"schema.*\nline \d+: <Code> .*isCodable='no'"):
        read_qdpx(path)
    result = read_qdpx(path, strict=False)
    assert any("isCodable='no'" in w for w in result.warnings)
    assert result.project.codes[0].codable is False


def test_validation_names_the_line_of_each_problem():
    xml = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0">'
           b'\n<Users><User guid="not-a-guid"/></Users>\n</Project>')
    problems = validate_project_xml(xml)
    assert problems[0].startswith("line 2: <Project>") and "name" in problems[0]
    assert problems[1].startswith("line 3: <User>") and "guid" in problems[1]
    [problem] = validate_codebook_xml(b"<CodeBook")
    assert problem.startswith("line 1: not well-formed XML")


# --- Archives that would unpack to too much (zip bombs) ------------------------------------------


def with_entry(tmp_path: Path, written: Path, name: str, data: bytes) -> Path:
    """The written project with one more entry, compressed (zeros shrink a thousandfold)."""
    path = tmp_path / "bomb.qdpx"
    shutil.copy(written, path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return path


def test_a_source_that_would_unpack_past_its_limit_is_refused(tmp_path, written):
    path = with_entry(tmp_path, written, "sources/huge.txt", bytes(21 * 1024 * 1024))
    assert path.stat().st_size < 200_000  # small to send, 21 MB unpacked
    with pytest.raises(QualError, match=r"bomb.qdpx: sources/huge.txt would unpack to 21.0 MB"
                                        r", more than the 20 MB"):
        read_qdpx(path)


def test_too_many_entries_are_refused(tmp_path, written, monkeypatch):
    monkeypatch.setattr("workforce.qual.refi.MAX_ENTRIES", 3)
    with pytest.raises(QualError, match="bomb.qdpx: the archive holds 4 entries"):
        read_qdpx(with_entry(tmp_path, written, "sources/more.txt", b"x"))


def test_an_entry_whose_header_understates_its_size_is_read_no_further(tmp_path, written,
                                                                        monkeypatch):
    """The declared sizes pass; the bounded read still stops at the limit."""
    path = with_entry(tmp_path, written, "sources/huge.txt", bytes(2 * 1024 * 1024))
    monkeypatch.setattr("workforce.qual.refi._check_sizes", lambda archive, path: None)
    monkeypatch.setattr("workforce.qual.refi.MAX_SOURCE_BYTES", 1024 * 1024)
    monkeypatch.setattr("workforce.qual.refi.MAX_PROJECT_XML_BYTES", 1024 * 1024)
    with zipfile.ZipFile(path) as archive:
        from workforce.qual.refi import _read_member

        with pytest.raises(QualError, match="bomb.qdpx: sources/huge.txt unpacks to more than "
                                            "the 1 MB"):
            _read_member(archive, "sources/huge.txt", path)
    assert read_qdpx(written).project.name == "Belonging 2026"  # within limits, as before
