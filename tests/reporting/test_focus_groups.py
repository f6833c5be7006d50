"""The report's focus-group section: themes by group through the gate, agreement in the
methods, and only quotes that passed the checks."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from workforce.qual.agreement import agreement
from workforce.qual.codings import Coding
from workforce.qual.project import Code, Participant, Source, Turn
from workforce.reporting.focus_groups import build_focus_groups
from workforce.reporting.html import render_html
from workforce.reporting.tables import PUBLISHED

pytestmark = pytest.mark.xdist_group("benchmark-report")


def focus_section(report):
    return next(s for s in report.qualitative if s.kind.key == "focus_groups")


def open_text_section(report):
    return next(s for s in report.qualitative if s.kind.key == "open_text")


def test_every_theme_count_is_published_only_with_its_group_size(report_2027):
    section = focus_section(report_2027)
    assert {t.name for t in section.tables} == {"focus_group_themes_by_career_stage",
                                                 "focus_group_themes_by_sector"}
    for table in section.tables:
        shown = table.data[table.data["status"] == PUBLISHED]
        assert shown["count"].notna().all() and shown["participants"].notna().all()
        hidden = table.data[table.data["status"] != PUBLISHED]
        assert hidden[["count", "participants", "share"]].isna().all().all()
        totals = table.data[table.data["group"] == "Total"]
        assert (totals["participants"] == section.participants).all()
    assert section.passed


def test_a_career_stage_smaller_than_the_threshold_is_never_shown(report_2027):
    table = report_2027.table("focus_group_themes_by_career_stage")
    students = table.data[table.data["group"] == "student"]  # three in the synthetic groups
    assert not students.empty and (students["status"] == "primary").all()


def test_the_agreement_in_the_methods_is_the_agreement_of_the_codings(report_2027, inputs):
    project = inputs.focus_groups.project
    expected = {(a.code, a.basis): a.kappa for a in agreement(project.codings,
                                                              project.lengths())}
    shown = {(a.code, a.basis): a.kappa for a in focus_section(report_2027).agreement}
    assert shown == pytest.approx(expected)


def test_the_section_is_in_the_report_with_agreement_and_quotes(written, report_2027):
    page = written.html.read_text(encoding="utf-8")
    assert 'id="focus-groups"' in page and "In their own words" in page
    first = next(iter(focus_section(report_2027).quotes.values()))[0]
    assert first.text in html.unescape(page)
    assert "Agreement between coder_a, coder_b" in page


def test_no_participant_name_or_listed_term_reaches_the_report(written, inputs):
    page = written.html.read_text(encoding="utf-8")
    terms = inputs.focus_groups.identifying
    for term in [*(n for names in terms.names.values() for n in names),
                 *terms.institutions, *terms.places]:
        assert not re.search(rf"\b{re.escape(term)}\b", page), term


def planted(inputs, text: str, *, group_size: int | None = None):
    """The project with a new source whose one passage, coded by both coders with a new
    theme of its own (so it is the theme's only candidate quote), says `text`; its speaker is
    in a new focus group of `group_size` (or an existing participant's group when None)."""
    fg = inputs.focus_groups
    project = fg.project
    code = "planted"
    project = project.with_codebook([*project.codes, Code(code, "Planted")])
    line = f"[PARTICIPANT 99]: {text}"
    if group_size is None:
        speaker = project.participants[0]
        people = ()
    else:
        people = tuple(Participant(f"X{i}", "planted_group", {}) for i in range(group_size))
        speaker = people[0]
    source = Source("planted", line, group=speaker.group,
                    turns=(Turn(speaker.id, "[PARTICIPANT 99]", 0, len(line)),))
    start = line.index(text)
    project = replace(project, participants=(*project.participants, *people),
                      sources=(*project.sources, source))
    project = project.with_codings([Coding("planted", coder, code, start, start + len(text))
                                    for coder in ("coder_a", "coder_b")])
    return replace(fg, project=project, by=("career_stage",), quotes=3), code


def test_a_planted_quote_naming_a_participant_is_refused(inputs, report_2027):
    name = next(iter(inputs.focus_groups.identifying.names.values()))[0].split()[0]
    text = (f"Honestly {name} told me the lab manager keeps making those comments about "
            "my accent during our weekly meetings.")
    fg, code = planted(inputs, text)
    section = build_focus_groups(fg, threshold=5)
    assert code not in section.quotes
    assert section.withheld.get("identifier", 0) == 1
    page = render_html(replace(report_2027, qualitative=[section]))
    assert text not in page and name not in re.sub(r"<[^>]+>", " ", page).split()


def test_a_planted_quote_from_a_group_smaller_than_the_threshold_is_refused(inputs):
    text = ("Nobody in my small unit ever says anything when the jokes about people like me "
            "start, and I stopped expecting them to.")
    fg, code = planted(inputs, text, group_size=3)
    section = build_focus_groups(fg, threshold=5)
    assert code not in section.quotes
    assert section.withheld.get("small_group", 0) == 1


def test_open_text_answers_have_their_own_section_coded_by_one_coder(report_2027, written):
    section = open_text_section(report_2027)
    assert section.open_text == section.participants > 100
    assert section.agreement == () and section.coders == ("coder_a",)
    table = report_2027.table("open_text_themes_by_career_stage")
    total = table.data[(table.data["group"] == "Total") & (table.data["status"] == PUBLISHED)]
    assert (total["participants"] == section.participants).all()
    page = written.html.read_text(encoding="utf-8")
    assert 'id="open-text"' in page and "One coder coded these" in page
