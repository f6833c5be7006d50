"""The benchmark report end to end: figures recomputed independently, the gate over every
table, goals across waves, reproducibility, a society's report, and the PDF."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.disclosure.audit import MEMBER, OUTSIDER, Attacker, audit
from workforce.disclosure.table import TOTAL, CellSpace
from workforce.reporting.build import for_organization
from workforce.reporting.datapackage import validate_data_package as validate
from workforce.reporting.tables import PUBLISHED
from workforce.reporting.write import write_report
from workforce.standard.views import derive_views

ORGS = ("ashg", "nsgc", "acmg")
# The reports these tests share take a minute to build: one worker builds them once.
pytestmark = pytest.mark.xdist_group("benchmark-report")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def package_table(written, name: str) -> pd.DataFrame:
    return read_csv(written.package.parent / "data" / f"{name}.csv")


# -- figures recomputed from the records ------------------------------------------------------


@pytest.mark.parametrize("dimension", ["gender", "career_stage", "sector", "role"])
def test_published_member_counts_equal_the_records(consortium, written, dimension):
    records = read_csv(consortium / "truth" / "standard_records.csv")
    records[dimension] = records[dimension].replace("", "unknown")
    table = package_table(written, f"members_{dimension}")
    shown = table[table["status"] == PUBLISHED]
    assert len(shown) > 0
    for row in shown.itertuples(index=False):
        mine = records if row.population == "consortium" else records[
            records["org"] == row.population]
        base = len(mine)
        true = base if row.category == "Total" else int(mine[dimension].eq(row.category).sum())
        assert int(row.count) == true, row
        if row.share:
            assert float(row.share) == pytest.approx(true / base, abs=1e-12)


def test_published_race_counts_use_the_spd15_alone_view(consortium, written):
    records = derive_views(read_csv(consortium / "truth" / "standard_records.csv"))
    table = package_table(written, "members_race_alone")
    for row in table[table["status"] == PUBLISHED].itertuples(index=False):
        mine = records if row.population == "consortium" else records[
            records["org"] == row.population]
        true = len(mine) if row.category == "Total" else (mine["race_alone"] == row.category).sum()
        assert int(row.count) == int(true), row


def test_response_rates_are_completed_over_invited_from_the_frame(consortium, written):
    frame = read_csv(consortium / "survey" / "waves" / "2027" / "frame.csv")
    done = set(read_csv(consortium / "truth" / "waves" / "2027" /
                        "survey_respondents.csv")["frame_id"])
    frame["done"] = frame["frame_id"].isin(done)
    table = package_table(written, "response_rates")
    checked = 0
    for row in table[table["status"] == PUBLISHED].itertuples(index=False):
        mine = frame if row.population == "consortium" else frame[frame["org"] == row.population]
        if row.category != "Total":
            mine = mine[mine[row.segment] == row.category]
        assert int(row.invited) == len(mine), row
        assert int(row.completed) == int(mine["done"].sum()), row
        checked += 1
    assert checked > 20


def raked_weights(responses: pd.DataFrame, frame: pd.DataFrame, variables) -> np.ndarray:
    """Plain iterative proportional fitting, written here apart from workforce.stats."""
    weights = np.full(len(responses), len(frame) / len(responses))
    margins = {}
    for variable in variables:
        targets = frame[variable].replace("", "unknown").value_counts()
        if "unknown" not in set(responses[variable]) and "unknown" in targets:
            # Members whose record is unknown, when no respondent says "unknown", are spread
            # over the known categories in proportion (as the report's methods say).
            targets = targets.drop("unknown") * len(frame) / targets.drop("unknown").sum()
        margins[variable] = targets
    for _ in range(200):
        for variable in variables:
            targets = margins[variable]
            current = pd.Series(weights).groupby(responses[variable].to_numpy()).sum()
            factor = (targets / current).reindex(responses[variable]).to_numpy()
            weights = weights * factor
    return weights


def test_weighted_shares_equal_an_independent_raking(consortium, report_2027):
    responses = read_csv(consortium / "survey" / "waves" / "2027" / "responses.csv")
    frame = read_csv(consortium / "survey" / "waves" / "2027" / "frame.csv")
    assert not any("pooled" in note for note in report_2027.weighting.get("collapsed", []))
    weights = raked_weights(responses, frame, ("org", "career_stage", "sector", "gender"))
    answered = ~responses["climate_belonging"].isin(("", "declined"))
    agree = responses["climate_belonging"].isin(("4", "5"))
    table = report_2027.table("climate_belonging").data
    for population in ("consortium", *ORGS):
        mine = answered & (population == "consortium" or responses["org"].eq(population))
        expected = float(np.sum(weights[mine & agree]) / np.sum(weights[mine]))
        row = table[(table["population"] == population) & (table["comparison"] == "all")]
        assert row["estimate"].iloc[0] == pytest.approx(expected, rel=1e-6), population


def test_a_gap_is_the_difference_of_the_two_published_figures(report_2027):
    table = report_2027.table("climate_scale").data
    mine = table[(table["population"] == "consortium") & (table["comparison"] == "gender")]
    woman = mine[mine["group"] == "woman"].iloc[0]
    man = mine[mine["group"] == "man"].iloc[0]
    assert woman["status"] == man["status"] == PUBLISHED
    assert woman["gap"] == pytest.approx(woman["estimate"] - man["estimate"], abs=1e-12)
    assert woman["gap_low"] < woman["gap"] < woman["gap_high"]


# -- the gate over every table -------------------------------------------------------------------


def test_every_withheld_value_is_empty_in_the_data_package(written):
    with open(written.package, encoding="utf-8") as handle:
        descriptor = json.load(handle)
    tables = [r for r in descriptor["resources"] if r.get("profile") == "tabular-data-resource"
              and r["path"].startswith("data/")]
    assert len(tables) >= 20
    withheld = 0
    for resource in tables:
        numeric = [f["name"] for f in resource["schema"]["fields"]
                   if f["type"] in ("integer", "number")]
        with open(written.package.parent / resource["path"], encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["status"] != PUBLISHED:
                    withheld += 1
                    # A benchmark's own share is public, not a figure about members.
                    assert all(row[n] == "" for n in numeric if n != "benchmark_share"), (
                        resource["name"], row)
    assert withheld > 0


def test_every_count_table_of_the_package_passes_the_attackers_audit(consortium, written):
    """Rebuild each published counts table from the records, hide what the package hides,
    and run the attacker's linear programs on it: outsiders, members, each society."""
    records = derive_views(read_csv(consortium / "truth" / "standard_records.csv"))
    audited = 0
    for name, dims in (("members_gender", ("gender",)), ("members_race_alone", ("race_alone",)),
                       ("members_career_stage", ("career_stage",)),
                       ("members_race_by_gender", ("race_alone", "gender"))):
        table = package_table(written, name)
        if "category" in table.columns:
            table = table.rename(columns={"category": dims[0]})
        table = table[~table[list(dims)].eq("Total").any(axis=1)]
        codes = [sorted(set(table[d])) for d in dims]
        inner = (records.assign(**{d: records[d].replace("", "unknown") for d in dims})
                 .groupby(["org", *dims]).size()
                 .reindex(pd.MultiIndex.from_product([list(ORGS), *codes],
                                                     names=["org", *dims]), fill_value=0)
                 .rename("n").reset_index())
        space = CellSpace(("org", *dims))
        space.add_table(name, inner, "n", ("org", *dims))
        published = package_table(written, name).rename(columns={"category": dims[0]})
        status = {
            tuple(TOTAL if v in ("consortium", "Total") else v for v in key): s
            for *key, s in published[["population", *dims, "status"]].itertuples(index=False)
        }
        suppressed = np.array([status[key] != PUBLISHED for key in space.keys])
        values = space.value_array()
        primary = (values > 0) & (values < 5)
        assert not (primary & ~suppressed).any(), f"{name}: a small count is published"
        insiders = [
            Attacker(f"org {org}", frozenset(i for i, key in enumerate(space.keys)
                                             if key[0] == org))
            for org in ORGS
        ]
        result = audit(space, suppressed, primary, 5.0, [OUTSIDER, MEMBER, *insiders])
        assert result.passed, (name, result.failures[:3])
        audited += 1
    assert audited == 4


def test_survey_count_tables_behind_the_estimates_pass_the_audit(report_2027):
    gate = next(g for g in report_2027.gates if g.source == "Survey respondents")
    assert gate.passed and gate.primary > 0


# -- goals across waves ----------------------------------------------------------------------------


def goal(report, goal_id):
    return next(p for p in report.goals if p.goal.id == goal_id)


def test_a_real_change_shows_as_progress_toward_the_goal(report_2027):
    progress = goal(report_2027, "urm-belonging")
    assert [p.wave for p in progress.points] == ["2025", "2026", "2027"]
    assert progress.distinguishable is True
    assert progress.change > 0 and progress.change_low > 0
    assert progress.share_of_way > 0
    assert "real change toward the target" in progress.statement


def test_a_wave_without_real_change_is_not_distinguishable_from_noise(report_2026):
    progress = goal(report_2026, "urm-belonging")
    assert [p.wave for p in progress.points] == ["2025", "2026"]
    assert progress.distinguishable is False
    assert progress.change_low < 0 < progress.change_high
    assert "not distinguishable from noise" in progress.statement


def test_the_change_uses_the_uncertainty_of_both_waves(report_2027):
    progress = goal(report_2027, "urm-belonging")
    base, last = progress.points[0], progress.points[-1]
    assert progress.change_se == pytest.approx(np.hypot(base.se, last.se))


# -- the written report ------------------------------------------------------------------------


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self._inside, self.svgs = [], False, 0

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self._inside, self._text = True, ""
        if tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag):
        if tag == "td":
            self._inside = False
            self.cells.append(self._text)

    def handle_data(self, data):
        if self._inside:
            self._text += data


def test_the_html_is_self_contained_with_a_chart_per_indicator(written, report_2027):
    page = written.html.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.split("<body")[0]
    assert not re.search(r'<(link|img)[^>]+(href|src)="https?:', page)
    parser = _Cells()
    parser.feed(page)
    charted = [i for i in report_2027.catalog.indicators if i.display != "table"]
    assert parser.svgs >= len(charted) + len(report_2027.goals)
    # Withheld values are dashes with a footnote, never a number.
    assert "—" in parser.cells and "nan" not in " ".join(parser.cells).lower()


def test_the_methods_are_generated_from_what_ran(written, report_2027, inputs):
    page = written.html.read_text(encoding="utf-8")
    for source in inputs.sources:
        assert source.sha256[:16] in page
    assert f"Kish design effect of {report_2027.weighting['deff']:.2f}" in page
    assert page.count("passed</td>") == len(report_2027.gates)
    assert f"workforce: {report_2027.versions['workforce']}" in page


def test_the_data_package_validates_with_frictionless(written):
    validation = validate(written.package)
    assert validation.valid, validation.errors[:5]
    assert validation.resources >= 25


def test_the_pdf_renders_every_page_with_content(written):
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(written.pdf))
    assert len(document) > 10
    blank = []
    for index in range(len(document)):
        image = np.asarray(document[index].render(scale=0.4).to_pil().convert("L"))
        if (image < 200).mean() < 0.005:
            blank.append(index + 1)
    assert not blank, f"blank pages: {blank}"


def test_the_pdf_draws_every_chart_of_the_html(written):
    """Each chart's axis titles are drawn text: the PDF holds at least as many of each as the
    HTML's charts do, so no chart went missing between the page and the print."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(written.pdf))
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    charts = re.findall(r"<svg.*?</svg>", written.html.read_text(encoding="utf-8"), flags=re.S)
    titles = [t for chart in charts for t in
              re.findall(r"role-axis-title.*?<text[^>]*>([^<]*)</text>", chart, flags=re.S)]
    assert len(charts) >= 20 and len(titles) >= len(charts)
    for title in set(titles):
        assert text.count(title) >= titles.count(title), title


def test_same_inputs_give_byte_identical_html_and_data(inputs, report_2027, written, tmp_path):
    from workforce.reporting.build import build_report

    write_report(build_report(inputs, wave="2027"), tmp_path, pdf=False)

    def digests(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".pdf"}

    assert digests(written.html.parent) == digests(tmp_path)


def test_a_society_report_shows_only_it_and_the_consortium(report_2027, tmp_path):
    society = for_organization(report_2027, "nsgc")
    for table in society.tables:
        assert set(table.data["population"]) <= {"consortium", "nsgc"}, table.name
    written = write_report(society, tmp_path, pdf=False)
    page = written.html.read_text(encoding="utf-8")
    assert "ASHG" not in page and "ACMG" not in page
    assert validate(written.package).valid
    # The consortium's figures are the same in both reports: one protection for all.
    whole = report_2027.table("members_gender").data
    mine = society.table("members_gender").data
    pd.testing.assert_frame_equal(
        whole[whole["population"] == "consortium"].reset_index(drop=True),
        mine[mine["population"] == "consortium"].reset_index(drop=True))


def test_every_count_the_report_shows_is_one_the_gate_published(written):
    """Each whole number in the report's tables and headline (outside the methods) must be a
    published count of the data package: nothing reaches the page around the gate."""
    published = set()
    for path in (written.package.parent / "data").glob("*.csv"):
        table = read_csv(path)
        for column in ("count", "invited", "completed", "participants"):
            if column in table.columns:
                shown = table[(table["status"] == PUBLISHED) & (table[column] != "")]
                published |= {int(v) for v in shown[column]}
    page = written.html.read_text(encoding="utf-8")
    body = page.split('id="summary"', 1)[1].split('id="methods"', 1)[0]
    body = re.sub(r"<svg.*?</svg>", "", body, flags=re.S)  # charts draw shares, not counts
    shown = _Cells()
    shown.feed(body)
    text = " ".join(shown.cells) + " " + " ".join(
        re.findall(r'<span class="figure">([^<]*)</span>', body))
    # Whole numbers: not part of a decimal, a percentage, a year or a score.
    numbers = re.findall(r"(?<![\d.,+-])(\d{1,3}(?:,\d{3})+|\d+)(?![\d.%,])", text)
    counts = {int(n.replace(",", "")) for n in numbers}
    assert counts, "the report shows no counts at all"
    assert counts <= published, sorted(counts - published)[:10]


def test_an_earlier_wave_beside_a_goal_is_what_its_own_report_published(report_2026,
                                                                        report_2027):
    """Two suppression patterns of one wave could be differenced: the 2026 figures in the
    2027 report's goals are those of the 2026 report."""
    for tracked in report_2027.goals:
        earlier = next(p for p in report_2026.goals if p.goal.id == tracked.goal.id)
        for mine, theirs in zip(tracked.points[:2], earlier.points, strict=True):
            assert (mine.wave, mine.estimate, mine.status) == (theirs.wave, theirs.estimate,
                                                               theirs.status)
