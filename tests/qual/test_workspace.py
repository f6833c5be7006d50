"""A project directory from the command line: import de-identified, originals kept apart,
export to REFI-QDA, agreement and themes from the project."""

from __future__ import annotations

import json
import re
import stat
import zipfile

import pytest
from typer.testing import CliRunner

from workforce.cli import app
from workforce.qual.project import load_project
from workforce.qual.refi import read_qdpx
from workforce.qual.workspace import load_originals
from workforce.synth.focus_groups import write_focus_groups


@pytest.fixture(scope="module")
def focus_groups(tmp_path_factory):
    return write_focus_groups(tmp_path_factory.mktemp("focus-groups"))


@pytest.fixture(scope="module")
def imported(focus_groups, tmp_path_factory):
    directory = tmp_path_factory.mktemp("project") / "climate"
    result = CliRunner().invoke(app, [
        "qual", "import", str(focus_groups.directory / "transcripts"),
        "--project", str(directory), "--participants", str(focus_groups.participants),
        "--identifying", str(focus_groups.identifying), "--codebook",
        str(focus_groups.codebook), "--codings", str(focus_groups.codings),
        "--lead", "lead", "--json"])
    assert result.exit_code == 0, result.output
    return directory, json.loads(result.output)


def test_import_reads_every_format_and_links_speakers_to_participants(imported, focus_groups):
    directory, summary = imported
    project = load_project(directory)
    assert sorted(summary["sources"]) == sorted(focus_groups.groups)
    assert {s.origin.rsplit("(", 1)[1] for s in project.sources} == {"txt)", "vtt)", "srt)",
                                                                     "docx)"}
    # Only the moderator speaks without being a participant.
    assert {tuple(v) for v in summary["unlinked_speakers"].values()} == {("Moderator",)}
    assert summary["participants"] == len(project.participants) == 38


def test_no_name_email_or_listed_place_is_left_in_the_project(imported, focus_groups):
    directory, summary = imported
    text = (directory / "project.json").read_text(encoding="utf-8")
    identifying = focus_groups.identifying_list()
    terms = [*(n for names in identifying.names.values() for n in names),
             *identifying.institutions, *identifying.places]
    for term in terms:
        assert not re.search(rf"\b{re.escape(term)}\b", text), term
    assert "@" not in text
    assert summary["replacements"]["name"] > 100 and summary["replacements"]["email"] > 0


def test_originals_are_kept_apart_readable_by_their_owner_only(imported):
    directory, _ = imported
    kept = directory / "originals"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept.iterdir())
    project = load_project(directory)
    originals = load_originals(directory)
    source = project.sources[0]
    original = originals[source.id]
    tag = original.replacements[0]
    assert source.text[tag.start:tag.end].startswith("[")
    assert original.text[tag.original_start:tag.original_end] == tag.value


def test_codings_move_with_their_words_through_de_identification(imported, focus_groups):
    directory, _ = imported
    project = load_project(directory)
    originals = load_originals(directory)
    raw = focus_groups.project()
    for before, after in zip(raw.codings[:40], project.codings[:40], strict=True):
        original = originals[after.source]
        # The de-identified passage maps back to exactly the words the coder marked.
        assert original.original_passage(after.start, after.end) == \
            raw.source(before.source).text[before.start:before.end]


def test_export_writes_a_qdpx_that_reads_back_to_the_project(imported, tmp_path):
    directory, _ = imported
    target = tmp_path / "climate.qdpx"
    result = CliRunner().invoke(app, ["qual", "export", "--project", str(directory),
                                      "--qdpx", str(target)])
    assert result.exit_code == 0, result.output
    back = read_qdpx(target).project
    project = load_project(directory)
    assert sorted(back.codings, key=repr) == sorted(project.codings, key=repr)
    assert [c.id for c in back.codes] == [c.id for c in project.codes]
    with zipfile.ZipFile(target) as archive:
        assert not any("original" in name for name in archive.namelist())


def test_a_qdpx_imports_as_a_new_project(imported, tmp_path):
    directory, _ = imported
    target = tmp_path / "climate.qdpx"
    CliRunner().invoke(app, ["qual", "export", "--project", str(directory), "--qdpx",
                             str(target)])
    again = tmp_path / "again"
    result = CliRunner().invoke(app, ["qual", "import", str(target), "--project", str(again)])
    assert result.exit_code == 0, result.output
    assert load_project(again).codings and len(load_project(again).sources) == 6


def test_agreement_and_themes_read_the_project(imported):
    directory, _ = imported
    result = CliRunner().invoke(app, ["qual", "agreement", "--project", str(directory),
                                      "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {f["basis"] for f in figures} == {"all_text", "coded"}
    assert all(f["coders"] == ["coder_a", "coder_b"] for f in figures)
    result = CliRunner().invoke(app, ["qual", "themes", "--project", str(directory), "--by",
                                      "career_stage", "--json"])
    assert result.exit_code == 0, result.output
    themes = json.loads(result.output)
    assert themes["passed"] is True
    totals = [c for c in themes["cells"] if c["career_stage"] == "Total"
              and c["code"] == "_participants"]
    assert totals[0]["count"] == 38


def test_a_transcript_already_in_the_project_is_refused_and_nothing_changes(imported,
                                                                           focus_groups):
    directory, _ = imported
    before = (directory / "project.json").read_bytes()
    result = CliRunner().invoke(app, ["qual", "import", str(focus_groups.transcripts["lgbtq"]),
                                      "--project", str(directory)])
    assert result.exit_code == 2
    assert "already has a source 'lgbtq'" in result.output
    assert (directory / "project.json").read_bytes() == before


def test_codings_outside_a_source_are_named_with_the_file(focus_groups, tmp_path):
    bad = tmp_path / "codings.csv"
    bad.write_text("source,coder,code,start,end\nlgbtq,ann,climate/belonging,0,999999\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, [
        "qual", "import", str(focus_groups.transcripts["lgbtq"]), "--project",
        str(tmp_path / "p"), "--participants", str(focus_groups.participants), "--codebook",
        str(focus_groups.codebook), "--codings", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "999999" in result.output
    assert not (tmp_path / "p" / "project.json").exists()


def test_open_text_answers_become_one_de_identified_source_per_answer(tmp_path):
    responses = tmp_path / "responses.csv"
    responses.write_text(
        "response_id,career_stage,sector,comment\n"
        "r1,early,academia,My mentor at Northfield University changed everything.\n"
        "r2,mid,clinical,\n"
        "r3,senior,industry,Write to me at jo@example.org if you want to talk.\n",
        encoding="utf-8")
    identifying = tmp_path / "identifying.yaml"
    identifying.write_text("institutions: [Northfield University]\n", encoding="utf-8")
    result = CliRunner().invoke(app, [
        "qual", "import", "--project", str(tmp_path / "p"), "--responses", str(responses),
        "--column", "comment", "--attributes", "career_stage,sector", "--identifying",
        str(identifying), "--json"])
    assert result.exit_code == 0, result.output
    project = load_project(tmp_path / "p")
    assert [s.id for s in project.sources] == ["comment-r1", "comment-r3"]  # r2 left it blank
    assert [s.kind for s in project.sources] == ["open_text", "open_text"]
    assert project.sources[0].text == "My mentor at [INSTITUTION] changed everything."
    assert "[EMAIL]" in project.sources[1].text
    respondent = project.participant(project.sources[0].turns[0].participant)
    assert respondent.attributes == {"career_stage": "early", "sector": "academia"}
    assert respondent.response == "r1"


def test_open_text_without_its_column_is_refused_naming_the_file(tmp_path):
    responses = tmp_path / "responses.csv"
    responses.write_text("response_id,comment\nr1,Fine.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["qual", "import", "--project", str(tmp_path / "p"),
                                      "--responses", str(responses), "--column", "remarks"])
    assert result.exit_code == 2
    assert str(responses) in result.output and "'remarks'" in result.output


def test_a_transcript_whose_file_name_names_a_participant_is_refused(focus_groups, tmp_path):
    listed = focus_groups.participant_list()
    first = next(iter(listed.names.values()))[0].split()[0]
    target = tmp_path / f"interview_{first.lower()}.txt"
    target.write_text("Moderator: Welcome.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["qual", "import", str(target), "--project",
                                      str(tmp_path / "p"), "--participants",
                                      str(focus_groups.participants)])
    assert result.exit_code == 2
    assert "rename the file" in result.output and not (tmp_path / "p" / "project.json").exists()


def test_a_participant_linked_to_a_survey_response_takes_its_attributes(tmp_path):
    participants = tmp_path / "participants.csv"
    participants.write_text("id,group,speaker,response,career_stage\n"
                            "P1,g1,Ana,r7,\nP2,g1,Ben,,mid\n", encoding="utf-8")
    responses = tmp_path / "responses.csv"
    responses.write_text("response_id,career_stage,sector,gender\n"
                         "r7,early,clinical,woman\n", encoding="utf-8")
    transcript = tmp_path / "g1.txt"
    transcript.write_text("Ana: Fine.\nBen: Also fine.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["qual", "import", str(transcript), "--project",
                                      str(tmp_path / "p"), "--participants", str(participants),
                                      "--link-responses", str(responses)])
    assert result.exit_code == 0, result.output
    project = load_project(tmp_path / "p")
    assert project.participant("P1").attributes == {
        "career_stage": "early", "sector": "clinical", "gender": "woman"}
    assert project.participant("P2").attributes == {"career_stage": "mid"}


def test_codings_export_as_the_csv_agreement_and_import_read(imported, tmp_path):
    from workforce.qual.files import read_codings

    directory, _ = imported
    target = tmp_path / "codings.csv"
    result = CliRunner().invoke(app, ["qual", "export", "--project", str(directory),
                                      "--codings", str(target)])
    assert result.exit_code == 0, result.output
    assert read_codings(target) == list(load_project(directory).codings)


def test_quotes_command_prints_checked_quotes_and_never_a_withheld_name(imported,
                                                                       focus_groups):
    directory, _ = imported
    result = CliRunner().invoke(app, [
        "qual", "quotes", "--project", str(directory), "--participants",
        str(focus_groups.participants), "--identifying", str(focus_groups.identifying),
        "--per-code", "3", "--json"])
    assert result.exit_code == 0, result.output
    quotes = json.loads(result.output)
    assert all(found["accepted"] for found in quotes.values())
    terms = focus_groups.identifying_list()
    printed = " ".join(q["text"] for found in quotes.values() for q in found["accepted"])
    for names in terms.names.values():
        for name in names:
            assert not re.search(rf"\b{re.escape(name)}\b", printed)


def test_another_tools_qdc_codebook_imports_as_a_new_version(imported, tmp_path):
    directory, _ = imported
    codebook = tmp_path / "from-maxqda.qdc"
    CliRunner().invoke(app, ["qual", "export", "--project", str(directory), "--qdc",
                             str(codebook)])
    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(app, ["qual", "import", "--project", str(fresh), "--codebook",
                                      str(codebook), "--name", "From a .qdc"])
    assert result.exit_code == 0, result.output
    assert [c.id for c in load_project(fresh).codes] == [
        c.id for c in load_project(directory).codes]
    assert load_project(fresh).codebook[-1].note == "read from from-maxqda.qdc"
