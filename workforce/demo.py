"""The one-command demo: generate the synthetic consortium and run every stage on it.

Each stage that exists is run in order and reports what it did; the result lists where every
output is so the demo can print a summary. Later stages append themselves to `STAGES`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, int, int], None]


@dataclass
class StageResult:
    name: str
    summary: str
    outputs: list[Path] = field(default_factory=list)


@dataclass
class DemoResult:
    directory: Path
    stages: list[StageResult]
    logins: list[tuple[str, str, str, str]]  # (e-mail, password, role, organization)
    survey_link: str = ""  # an invitation left unanswered, for a person to try


@dataclass
class DemoContext:
    directory: Path
    scale: float
    seed: int
    progress: Progress
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)
    ingests: list = field(default_factory=list)  # workforce.platform.demo.DemoIngest
    survey_link: str = ""
    focus_groups: Path | None = None  # the synthetic focus groups, once written
    open_text: Path | None = None  # the survey's open-text comments as a coded project

    @property
    def synth_dir(self) -> Path:
        return self.directory / "synth"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def out_dir(self) -> Path:
        return self.directory / "out"


def stage_synthesize(ctx: DemoContext) -> StageResult:
    from workforce.synth import generate

    manifest = generate(ctx.synth_dir, scale=ctx.scale, seed=ctx.seed, progress=ctx.progress)
    members = sum(f.rows for f in manifest.files if str(f.path).startswith("exports/"))
    return StageResult(
        "Synthetic consortium",
        f"{len(manifest.files)} files, {members:,} exported member rows (seed {ctx.seed})",
        [ctx.synth_dir],
    )


def stage_validate_standard_records(ctx: DemoContext) -> StageResult:
    """Check the ground-truth standard records against the standard and derive its views."""
    import pandas as pd

    from workforce.standard import validate_records
    from workforce.standard.views import derive_views

    ctx.progress("Validating standard records", 0, 1)
    records = pd.read_csv(
        ctx.synth_dir / "truth" / "standard_records.csv", dtype=str, keep_default_na=False
    )
    violations = validate_records(records)
    views = derive_views(records)
    report = {
        "file": "synth/truth/standard_records.csv",
        "rows": len(records),
        "violations": len(violations),
        "first_violations": [v.__dict__ for v in violations[:20]],
        "derived_view_columns": [c for c in views.columns if c not in records.columns],
    }
    path = ctx.out_dir / "standard_records_validation.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ctx.progress("Validating standard records", 1, 1)
    verdict = "valid" if not violations else f"{len(violations):,} violations"
    return StageResult(
        "Standard records",
        f"{len(records):,} records {verdict}; {len(report['derived_view_columns'])} derived views",
        [path],
    )


def stage_load_platform(ctx: DemoContext) -> StageResult:
    from workforce.platform.demo import load_demo

    ctx.progress("Loading the platform", 0, 1)
    summary = load_demo(ctx.synth_dir)
    ctx.logins = [(p.email, p.password, p.role_label, p.organization) for p in summary.people]
    ctx.ingests = list(summary.ingests)
    ctx.progress("Loading the platform", 1, 1)
    missing = (
        f"; no export found for {', '.join(summary.societies_without_exports)}"
        if summary.societies_without_exports
        else ""
    )
    return StageResult(
        "Web platform",
        f"{len(summary.organizations)} organizations, {len(summary.people)} demo people, "
        f"{len(summary.uploads)} membership exports stored with checksums{missing}",
        [ctx.data_dir],
    )


def stage_check_intake_against_truth(ctx: DemoContext) -> StageResult:
    """Compare what intake made of each export with what the generator knows it encodes."""
    import pandas as pd

    truth_dir = ctx.synth_dir / "truth"
    truth = pd.read_csv(truth_dir / "standard_records.csv", dtype=str, keep_default_na=False)
    where = pd.read_csv(truth_dir / "provenance.csv", dtype=str, keep_default_na=False)
    report = []
    for step, ingest in enumerate(ctx.ingests):
        ctx.progress("Checking intake against the truth", step, len(ctx.ingests))
        entry = {
            "organization": ingest.organization,
            "file": ingest.filename,
            "status": ingest.status,
            "rows_read": ingest.rows_read,
            "accepted": ingest.rows_accepted,
            "rejected": ingest.rows_rejected,
        }
        if ingest.records is not None:
            entry["records_matching_truth"] = records_matching_truth(ingest, truth, where)
        else:
            entry["error"] = ingest.error
        report.append(entry)
    ctx.progress("Checking intake against the truth", len(ctx.ingests), len(ctx.ingests))
    path = ctx.out_dir / "intake_against_truth.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    accepted = sum(entry["accepted"] for entry in report)
    matching = sum(entry.get("records_matching_truth", 0) for entry in report)
    failed = [entry["file"] for entry in report if entry["status"] != "ingested"]
    summary = (
        f"{len(report) - len(failed)} exports ingested with saved mappings: "
        f"{accepted:,} records accepted, {matching:,} equal to the truth, "
        f"{sum(entry['rejected'] for entry in report):,} rows rejected"
    )
    if failed:
        summary += f"; failed: {', '.join(failed)}"
    return StageResult("Intake", summary, [path])


def stage_survey(ctx: DemoContext) -> StageResult:
    """A wave per society from the standard modules, answered through the e-mailed links."""
    from workforce.platform.surveys.demo import load_demo_survey

    survey = load_demo_survey(ctx.synth_dir, ctx.out_dir, ctx.progress)
    ctx.survey_link = survey.open_link
    report = {
        "instrument": survey.instrument,
        "waves": [
            {
                "wave": wave.slug,
                "organization": wave.organization,
                "invited": wave.invited,
                "answered": wave.answered,
                "failed": list(wave.failed),
                "records": str(wave.records) if wave.records else None,
            }
            for wave in survey.waves
        ],
        "records_compared_with_truth": survey.records_compared,
        "records_equal_to_truth": survey.records_equal,
        "columns_differing": survey.columns_differing,
    }
    path = ctx.out_dir / "survey_against_truth.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    invited = sum(wave.invited for wave in survey.waves)
    answered = sum(wave.answered for wave in survey.waves)
    failed = sum(len(wave.failed) for wave in survey.waves)
    summary = (
        f"{len(survey.waves)} anonymous waves of {survey.instrument}: {invited:,} invited, "
        f"{answered:,} answered page by page through their links"
    )
    if survey.records_compared:
        summary += (
            f"; {survey.records_equal:,} of {survey.records_compared:,} standard records equal "
            "to the synthetic answers"
        )
    if failed:
        summary += f"; {failed:,} not answered (see the report)"
    outputs = [path, *(wave.records for wave in survey.waves if wave.records)]
    return StageResult("Survey", summary, outputs)


def records_matching_truth(ingest, truth, where) -> int:
    """How many accepted records equal, column by column, the truth of their source row.

    `person_key` is left out (exports carry none) and `record_id` is compared with the
    member ID the export wrote; the truth numbers its rows 1, 2, … per export, and intake
    numbers them as a person sees them in the file, so both are aligned on the first row.
    """
    import pandas as pd

    records = pd.read_csv(ingest.records, dtype=str, keep_default_na=False)
    provenance = pd.read_csv(
        ingest.records.with_name("records.provenance.csv"), dtype=str, keep_default_na=False
    )
    rejects = pd.read_csv(ingest.records.with_name("rejects.csv"), dtype=str)
    rows = provenance["source_row"].astype(int)
    # Nothing is lost, so the first data row is among the accepted or the rejected rows.
    first_row = min([rows.min(), *rejects["source_row"].astype(int)])
    own = where["source"].str.endswith("/" + ingest.filename).to_numpy()
    expected = truth[own].reset_index(drop=True).iloc[rows - first_row].reset_index(drop=True)
    source_ids = where[own]["source_id"].reset_index(drop=True).iloc[rows - first_row]
    columns = [c for c in truth.columns if c not in ("record_id", "person_key")]
    same = records[columns].eq(expected[columns]).all(axis=1)
    same &= records["record_id"].to_numpy() == source_ids.str.removesuffix(".0").to_numpy()
    return int(same.sum())


def stage_estimates(ctx: DemoContext) -> StageResult:
    """Weight the survey responses to the frame, and compare the shares with the truth."""
    ctx.progress("Weighting the survey to its frame", 0, 1)
    comparison = estimates_against_truth(ctx.synth_dir)
    path = ctx.out_dir / "estimates_against_truth.json"
    path.write_text(json.dumps(comparison, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ctx.progress("Weighting the survey to its frame", 1, 1)
    weighting, overall = comparison["weighting"], comparison["overall"]
    others = comparison["other_shares"]
    summary = (
        f"raked {weighting['n']:,} responses to {comparison['frame_members']:,} frame members "
        f"on {len(comparison['raking_variables'])} margins (deff {weighting['deff']:.2f}); "
        f"weighted shares within {overall['weighted_mean_distance_points']:.1f} points of "
        f"the truth on average, unweighted within "
        f"{overall['unweighted_mean_distance_points']:.1f}; 95% CIs cover the truth for "
        f"{others['covered']} of {others['shares']} shares not raked on"
    )
    return StageResult("Estimates", summary, [path])


# The variables that drive response in the synthetic survey and that the frame also holds.
RAKING_VARIABLES = ("org", "career_stage", "sector", "gender")
# Shares compared with the truth: categories of the raking variables (org is left out: it is
# never misreported, so raking reproduces it exactly) and attributes nobody raked on.
SHARE_CATEGORIES = ("career_stage", "sector", "gender")
# Derived yes/no items: name -> (source item, answers counted as yes); `declined` is no answer.
DERIVED_ITEMS = {
    "belonging_agree": ("climate_belonging", ("4", "5")),
    "sexist_remarks_any": ("hx_sexist_remarks", ("once", "sometimes", "often")),
    "exclusion_any": ("hx_exclusion", ("once", "sometimes", "often")),
}
# Categories with fewer respondents than this are pooled before raking (small demo scales).
MIN_RESPONDENTS_PER_CATEGORY = 5


def estimates_against_truth(synth_dir: Path) -> dict:
    """Weighted and unweighted shares of the synthetic survey next to the known truth.

    The consortium-wide survey is raked to the whole frame on `RAKING_VARIABLES`, and each
    society's responses to its own part of the frame on the others (as a society's wave
    would be). The truth is the share among *all* invited members, taken from the population
    the generator drew (drawn again from the manifest's seed and scale): their own answers
    for the demographics, and for the climate and harassment items the share the generator's
    model expects from each member (those items are drawn only for respondents), among the
    members expected to answer the item rather than decline it.
    """
    import numpy as np
    import pandas as pd

    from workforce.synth.profiles import ORGS

    def read(relative: str) -> pd.DataFrame:
        return pd.read_csv(synth_dir / relative, dtype=str, keep_default_na=False)

    frame = read("survey/frame.csv")
    responses = read("survey/responses.csv")
    links = read("truth/survey_respondents.csv")
    truth = frame_truth(synth_dir, frame)
    answers = _with_derived_items(responses)

    # Check the redrawn truth against what the respondents said before trusting it.
    position = pd.Series(np.arange(len(frame)), index=frame["frame_id"])
    frame_rows = position[
        links.set_index("response_id")["frame_id"][responses["response_id"]].to_numpy()
    ].to_numpy()
    for column in (*SHARE_CATEGORIES, "race_ethnicity"):
        differing = int((truth[column].to_numpy()[frame_rows] != responses[column]).sum())
        if differing:
            raise RuntimeError(
                f"the population drawn again from the manifest disagrees with {differing} "
                f"responses on {column}; the synthetic files do not come from this generator"
            )

    result = {
        "frame_members": len(frame),
        "responses": len(responses),
        "raking_variables": list(RAKING_VARIABLES),
        **_weighted_against_truth(answers, frame, truth, frame_rows, RAKING_VARIABLES),
        "self_report_against_frame": _self_report_against_frame(responses, frame, frame_rows),
        "societies": {},
        "truth_is": "the share among all invited frame members: their own answers, and for "
        "the climate and harassment items the share the generator's model expects among the "
        "members expected to answer the item",
        "unweighted_is": "the plain share among respondents who answered",
        "unweighted_expected_is": "for the modelled items, the unweighted share averaged over "
        "the answers the same respondents could have given (its distance to the truth is the "
        "nonresponse bias without the noise of the answers)",
        "coverage_note": "a share of a raking variable is fixed by the frame's records, so it "
        "has no sampling error and its interval has no width (unless its category was pooled); "
        "it misses the truth wherever the records differ from the members' own answers",
    }
    variables = tuple(v for v in RAKING_VARIABLES if v != "org")
    for org in ORGS:
        members = frame["org"].to_numpy() == org
        answered = responses["org"].to_numpy() == org
        if not answered.any():
            continue
        # Frame rows renumbered within the society's part of the frame.
        renumbered = np.cumsum(members) - 1
        result["societies"][org] = {
            "frame_members": int(members.sum()),
            "responses": int(answered.sum()),
            "raking_variables": list(variables),
            **_weighted_against_truth(
                answers[answered].reset_index(drop=True),
                frame[members].reset_index(drop=True),
                truth[members].reset_index(drop=True),
                renumbered[frame_rows[answered]],
                variables,
            ),
        }
    return result


def _weighted_against_truth(answers, frame, truth, frame_rows, variables) -> dict:
    """Rake `answers` to `frame` on `variables` and compare every share with the truth."""
    import numpy as np

    from workforce.stats.estimates import proportion
    from workforce.stats.frame_weights import pool_small_categories, weight_to_frame
    from workforce.synth import codes

    pooled_responses, pooled_frame, pooled = pool_small_categories(
        answers, frame, variables, minimum=MIN_RESPONDENTS_PER_CATEGORY
    )
    raked = weight_to_frame(
        pooled_responses, pooled_frame, variables, source="survey/responses.csv", notes=pooled
    )
    # Estimates use the respondents' own answers; the pooled categories served the raking.
    design = dataclasses.replace(raked, data=answers)
    report = raked.weighting.as_dict()
    shares = []

    def compare(column: str, value: str, true_share: float, raked_on: bool, expected=None):
        estimate = proportion(design, column, value)[0]
        if estimate.estimate is None:
            return
        covers = estimate.ci_low is not None and estimate.ci_low <= true_share <= estimate.ci_high
        shares.append(
            {
                "variable": column,
                "value": value,
                "raking_variable": raked_on,
                "truth": true_share,
                "unweighted": float(np.nanmean(_indicator(answers[column], value))),
                "weighted": estimate.estimate,
                "weighted_se": estimate.se,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "ci_covers_truth": bool(covers),
                "respondents": estimate.n,
                "reliability": estimate.reliability,
                **({} if expected is None else {"unweighted_expected": expected}),
            }
        )

    for column in SHARE_CATEGORIES:
        for value in sorted(truth[column].unique()):
            compare(column, value, float((truth[column] == value).mean()), column in variables)
    for value in (*codes.RACE_CATEGORIES, "declined"):
        true_share = float(np.nanmean(_indicator(truth["race_ethnicity"], value)))
        if true_share > 0:
            compare("race_ethnicity", value, true_share, False)
    for item in DERIVED_ITEMS:
        answering = truth[f"{item}_answers"].to_numpy()
        yes = truth[f"{item}_yes"].to_numpy()
        true_share = float(np.sum(answering * yes) / np.sum(answering))
        # What the unweighted share comes to on average over the answers these respondents
        # could have given: its distance to the truth is the nonresponse bias alone.
        expected = float(
            np.sum(answering[frame_rows] * yes[frame_rows]) / np.sum(answering[frame_rows])
        )
        compare(item, "yes", true_share, False, expected)

    def distance(rows: list[dict], key: str) -> float:
        return float(np.mean([abs(r[key] - r["truth"]) for r in rows]) * 100) if rows else 0.0

    def summary_of(rows: list[dict]) -> dict:
        return {
            "shares": len(rows),
            "weighted_mean_distance_points": distance(rows, "weighted"),
            "unweighted_mean_distance_points": distance(rows, "unweighted"),
            "covered": sum(r["ci_covers_truth"] for r in rows),
        }

    keys = (
        "converged",
        "iterations",
        "deff",
        "n_eff",
        "n",
        "weight_min",
        "weight_max",
        "largest_margin_difference",
        "margins",
    )
    return {
        "weighting": {key: report[key] for key in keys}
        | {"changes_to_categories": report.get("collapsed", [])},
        "shares": shares,
        "overall": summary_of(shares),
        "raking_variable_shares": summary_of([r for r in shares if r["raking_variable"]]),
        "other_shares": summary_of([r for r in shares if not r["raking_variable"]]),
    }


def frame_truth(synth_dir: Path, frame) -> pd.DataFrame:
    """Every frame member's true attributes, from the population drawn again.

    The generator's populations follow from the seed, scale and year in `manifest.json`, and
    every frame member is found in them by society and e-mail. Besides the demographics, each
    derived yes/no item gets the member's chance of answering it (`<item>_answers`, one
    minus the chance to decline) and of answering yes (`<item>_yes`) under the survey model
    of `profiles.yaml`.
    """
    import numpy as np
    import pandas as pd

    from workforce.synth import codes
    from workforce.synth.population import assign_emails, draw_society
    from workforce.synth.profiles import ORGS, load_profiles, society_size
    from workforce.synth.survey import survey_groups
    from workforce.synth.waves import expected_answers

    manifest = json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))
    seed, scale, year = manifest["seed"], manifest["scale"], manifest["year"]
    profiles = load_profiles()
    populations = {
        org: draw_society(profiles, org, society_size(profiles, org, scale), seed=seed, year=year)
        for org in ORGS
    }
    assign_emails(populations, seed=seed)
    columns = (
        "career_stage",
        "sector",
        "gender",
        "transgender",
        "sexual_orientation",
        "race_mask",
        "private",
        *codes.WG_DOMAINS,
    )
    people = {name: np.empty(len(frame), dtype=object) for name in columns}
    for org, population in populations.items():
        rows = np.flatnonzero(frame["org"].to_numpy() == org)
        where = pd.Series(np.arange(len(population)), index=population["email"])
        person = where.reindex(frame["email"].to_numpy()[rows]).to_numpy()
        if np.isnan(person.astype(float)).any():
            raise RuntimeError(f"frame members of {org} are missing from the redrawn population")
        person = person.astype(np.int64)
        for name in columns:
            people[name][rows] = population[name][person]
    masks = people["race_mask"].astype(np.int64)
    truth = pd.DataFrame(
        {
            "frame_id": frame["frame_id"].to_numpy(),
            "org": frame["org"].to_numpy(),
            **{name: people[name] for name in ("career_stage", "sector", "gender")},
            "race_ethnicity": codes.race_text(masks),
        }
    )

    # Each member's chance to answer each derived item and to say yes, under the survey
    # model that drew the answers (the groups whose climate and harassment differ).
    groups = survey_groups({**people, "race_mask": masks})
    expected = expected_answers(profiles, groups, people["private"].astype(bool),
                                items=DERIVED_ITEMS)
    for item in DERIVED_ITEMS:
        truth[f"{item}_yes"] = expected[f"{item}_yes"].to_numpy()
        truth[f"{item}_answers"] = expected[f"{item}_answers"].to_numpy()
    return truth


def _with_derived_items(responses) -> pd.DataFrame:
    """The responses with each derived yes/no item ("" where the item was declined)."""
    import numpy as np

    answers = responses.copy()
    for item, (source, yes_values) in DERIVED_ITEMS.items():
        values = answers[source]
        answers[item] = np.where(
            values.isin(("declined", "")), "", np.where(values.isin(yes_values), "yes", "no")
        )
    return answers


def _indicator(values, value: str):
    """1 where the (possibly multi-select) value includes `value`, 0 else, NaN when blank."""
    import re

    import numpy as np

    pattern = rf"(?:^|;){re.escape(value)}(?:;|$)"
    hit = values.str.contains(pattern, regex=True).to_numpy(dtype=float)
    return np.where(values.to_numpy() == "", np.nan, hit)


def _self_report_against_frame(responses, frame, frame_rows) -> dict:
    """How often a respondent's own answer differs from their frame record, per variable."""
    out = {}
    for column in RAKING_VARIABLES:
        said = responses[column].to_numpy()
        recorded = frame[column].to_numpy()[frame_rows]
        differ = said != recorded
        out[column] = {
            "respondents": len(said),
            "differing": int(differ.sum()),
            "share_differing": float(differ.mean()),
            "of_which_record_unknown": int((differ & (recorded == "unknown")).sum()),
            "of_which_record_declined": int((differ & (recorded == "declined")).sum()),
            "of_which_answer_declined": int((differ & (said == "declined")).sum()),
        }
    return out


def stage_disclosure(ctx: DemoContext) -> StageResult:
    """Protect the consortium's society × race × gender table and audit it."""
    import pandas as pd

    from workforce.disclosure.gate import TableSpec, protect_tables
    from workforce.standard.views import derive_views

    ctx.progress("Protecting a published table", 0, 1)
    records = pd.read_csv(
        ctx.synth_dir / "truth" / "standard_records.csv", dtype=str, keep_default_na=False
    )
    views = derive_views(records)
    inner = (
        views.groupby(["org", "race_alone", "gender"]).size().rename("members").reset_index()
    )
    result = protect_tables(
        [TableSpec("society × race × gender", inner, "members", ("org", "race_alone", "gender"))],
        insiders="org",
    )
    path = ctx.out_dir / "disclosure_society_race_gender.json"
    path.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    ctx.progress("Protecting a published table", 1, 1)
    statuses = [cell["status"] for cell in result.cells()]
    summary = (
        f"society × race × gender: {len(statuses):,} cells, {statuses.count('primary')} under "
        f"{result.threshold} hidden and {statuses.count('secondary')} more to protect them; "
        f"audit {'passed' if result.publishable else 'FAILED'} against outsiders, members and "
        f"each society knowing its own counts"
    )
    return StageResult("Disclosure", summary, [path])


def stage_focus_groups(ctx: DemoContext) -> StageResult:
    """Six synthetic focus groups, imported de-identified, coded by two coders; agreement,
    themes through the gate, a REFI-QDA export, and the project on the platform; and the
    survey's open-text comments imported and coded as a project of their own."""
    from workforce.platform.qual.demo import load_demo_focus_groups
    from workforce.qual.agreement import CODED, agreement
    from workforce.qual.analysis import theme_by_group
    from workforce.qual.project import load_project
    from workforce.qual.refi import write_qdpx
    from workforce.synth.focus_groups import write_focus_group_project
    from workforce.synth.open_text import write_open_text_project

    ctx.progress("Focus groups", 0, 3)
    directory = ctx.synth_dir / "focus-groups"
    write_focus_group_project(directory, seed=ctx.seed)
    ctx.focus_groups = directory
    ctx.open_text = write_open_text_project(ctx.synth_dir, ctx.synth_dir / "open-text")
    project = load_project(directory / "project")
    coded = [a for a in agreement(project.codings, project.lengths()) if a.basis == CODED]
    ctx.progress("Focus groups", 1, 3)
    themes = theme_by_group(project, by="career_stage")
    qdpx = ctx.out_dir / "focus-groups.qdpx"
    write_qdpx(project, qdpx)
    ctx.progress("Focus groups", 2, 3)
    loaded = load_demo_focus_groups(directory / "project")
    ctx.logins += [(p.email, p.password, p.role_label, p.organization) for p in loaded.people]
    ctx.progress("Focus groups", 3, 3)
    kappas = [a.kappa for a in coded if a.kappa is not None]
    summary = (
        f"{len(project.sources)} transcripts (txt, docx, vtt, srt), "
        f"{len(project.participants)} participants, {len(project.codings)} codings by "
        f"{len(project.coders)} coders; Cohen's kappa on coded text {min(kappas):.2f}-"
        f"{max(kappas):.2f} across {len(kappas)} codes; themes by career stage audit "
        f"{'passed' if themes.publishable else 'FAILED'}; {qdpx.name} written; on the "
        f"platform at {loaded.url}"
    )
    return StageResult("Focus groups", summary, [qdpx])


# The society whose own report the demo writes beside the consortium's.
DEMO_SOCIETY_REPORT = "nsgc"


def stage_report(ctx: DemoContext) -> StageResult:
    """Two later survey waves, then the consortium's benchmark report and one society's."""
    from workforce.reporting.build import build_report, for_organization
    from workforce.reporting.datapackage import validate_data_package
    from workforce.reporting.inputs import load_inputs
    from workforce.reporting.write import write_report
    from workforce.synth.report_inputs import write_report_inputs
    from workforce.synth.waves import draw_demo_waves

    waves = draw_demo_waves(ctx.synth_dir, progress=ctx.progress)
    # The membership records are what intake made of the societies' exports.
    records = [ingest.records for ingest in ctx.ingests if ingest.records is not None]
    mappings = ", ".join(f"{i.organization} version {i.mapping_version}" for i in ctx.ingests)
    config = write_report_inputs(ctx.synth_dir, ctx.directory / "report_inputs" / "report.yaml",
                                 membership=records or None,
                                 versions={"mappings": mappings} if mappings else None,
                                 focus_groups=ctx.focus_groups, open_text=ctx.open_text)
    inputs = load_inputs(config)
    report = build_report(inputs, progress_report=ctx.progress)
    ctx.progress("Writing the reports", 0, 2)
    written = write_report(report, ctx.out_dir)
    ctx.progress("Writing the reports", 1, 2)
    society = write_report(for_organization(report, DEMO_SOCIETY_REPORT),
                           ctx.out_dir / "societies" / DEMO_SOCIETY_REPORT)
    ctx.progress("Writing the reports", 2, 2)
    from workforce.platform.reports.demo import publish_demo_reports

    published = publish_demo_reports(ctx.out_dir, {DEMO_SOCIETY_REPORT: society.html.parent})
    valid = all(validate_data_package(w.package).valid for w in (written, society))
    withheld = sum(int((t.data["status"] != "published").sum()) for t in report.tables)
    verdicts = "; ".join(
        f"{p.goal.id}: " + ("no change yet" if p.distinguishable is None else
                            "real change" if p.distinguishable else "noise")
        for p in report.goals
    )
    summary = (
        f"waves {', '.join(inputs.waves)} ({len(waves)} drawn now); report {report.wave}: "
        f"{len(report.tables)} tables, {withheld:,} values withheld by the gate, audits "
        f"{'passed' if all(g.passed for g in report.gates) else 'FAILED'}; data package "
        f"{'valid' if valid else 'INVALID'}; goals: {verdicts}; "
        f"and {DEMO_SOCIETY_REPORT.upper()}'s own report; {len(published)} reports "
        "published in the web platform"
    )
    outputs = [written.html, written.pdf, written.package, society.html]
    return StageResult("Benchmark report", summary, [p for p in outputs if p])


STAGES: list[Callable[[DemoContext], StageResult]] = [
    stage_synthesize,
    stage_validate_standard_records,
    stage_load_platform,
    stage_check_intake_against_truth,
    stage_survey,
    stage_estimates,
    stage_disclosure,
    stage_focus_groups,
    stage_report,
]


def run_demo(
    directory: Path, *, scale: float = 1.0, seed: int = 2025, progress: Progress | None = None
) -> DemoResult:
    directory = Path(directory).resolve()
    ctx = DemoContext(directory, scale, seed, progress or (lambda step, done, total: None))
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    # The platform reads its data directory when Django starts, so set it before any stage
    # imports Django; an explicit WORKFORCE_DATA_DIR or DATABASE_URL from the caller wins.
    os.environ.setdefault("WORKFORCE_DATA_DIR", str(ctx.data_dir))
    # The demo is one process: its mailings and exports run in it rather than wait for a
    # worker.
    os.environ.setdefault("WORKFORCE_TASKS", "immediate")
    stages = [stage(ctx) for stage in STAGES]
    summary = {
        "directory": str(directory),
        "scale": scale,
        "seed": seed,
        "survey_link": ctx.survey_link,
        "stages": [
            {"name": s.name, "summary": s.summary, "outputs": [str(p) for p in s.outputs]}
            for s in stages
        ],
    }
    (ctx.out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return DemoResult(directory, stages, ctx.logins, ctx.survey_link)


def print_summary(console: Console, result: DemoResult, url: str | None) -> None:
    stages = Table(title="workforce demo", title_justify="left", show_lines=False)
    stages.add_column("stage", style="bold")
    stages.add_column("what it did")
    stages.add_column("where", overflow="fold")
    for stage in result.stages:
        where = ", ".join(_relative(p, result.directory) for p in stage.outputs)
        stages.add_row(stage.name, stage.summary, where)
    console.print(stages)

    if result.logins:
        people = Table(title="Demo sign-ins (new passwords each run)", title_justify="left")
        # A sign-in is useless when truncated: these two columns never wrap or shorten.
        people.add_column("e-mail", no_wrap=True, min_width=26)
        people.add_column("password", no_wrap=True, min_width=16)
        people.add_column("role")
        people.add_column("organization")
        for login in result.logins:
            people.add_row(*login)
        console.print(people)

    if result.survey_link:
        console.print(
            "Answer the survey as a member would (an invitation left open for you):\n"
            f"  [bold]{result.survey_link}[/bold]",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"Everything is under [bold]{result.directory}[/bold]")
    if url:
        console.print(f"Serving the web app at [bold]{url}[/bold]  (Ctrl+C to stop)")


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)
