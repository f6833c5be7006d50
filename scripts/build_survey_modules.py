"""Build the consortium's standard survey modules as XLSForm workbooks.

    .venv/bin/python scripts/build_survey_modules.py           # rewrite the shipped workbooks
    .venv/bin/python scripts/build_survey_modules.py --check   # fail if they are out of date

The workbooks in ``workforce/survey/modules/`` are generated, never edited by hand: the
choice lists of every question that feeds the data standard are written from the standard's
YAML (``workforce/standard/data/v1``), so a choice's name is the standard's code and its
label the standard's label. The demographics module therefore says exactly what
STANDARD.md says, and a change of the standard shows up here as a rebuild.

Two choices are not the standard's own words. ``declined`` is offered as "Prefer not to say"
(the standard's own definition of declined); ``unknown`` is never offered: it is what a
skipped question becomes in a standard record (``workforce.survey.records``).

Question wording follows the sources the standard cites: OMB SPD-15 (2024) for race and
ethnicity, NASEM (2022) for sex, gender and sexual orientation, the Washington Group Short
Set for functioning, NIH NOT-OD-20-031 for a disadvantaged background, and, in the
experiences module, the Sexual Experiences Questionnaire as used in NASEM (2018), "Sexual
Harassment of Women".

The output is byte-for-byte reproducible: the workbook's creation date is fixed, and
xlsxwriter stamps every part of the zip file with the same date.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from workforce.standard import DECLINED, Standard, load_standard

MODULES_DIR = Path(__file__).resolve().parent.parent / "workforce" / "survey" / "modules"
MODULE_NAMES = ("demographics", "climate", "harassment")

DECLINED_LABEL = "Prefer not to say"
# Each module's version: a module whose content changes gets a new one, since the platform
# refuses to import a form again under a version it holds with different content.
VERSIONS = {"demographics": "2", "climate": "1", "harassment": "1"}
# A fixed creation date keeps two builds byte-identical.
CREATED = datetime.datetime(2025, 1, 1, 0, 0, 0)
AUTHOR = "Workforce consortium"

# Texts are English, in unsuffixed columns: a translation adds `label::Español (es)` columns
# beside them. (pyxform advises against `or_other` in a form with language suffixes.)
# Survey sheet columns in the order they are written; a module writes the ones it uses.
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "relevant",
    "constraint",
    "constraint_message",
    "choice_filter",
    "calculation",
    "appearance",
    "standard",
    "scale",
)
CHOICE_COLUMNS = ("list_name", "name", "label", "parent")

# SPD-15 minimum categories, in the order the standard lists them.
RACE_CATEGORIES = ("aian", "asian", "black", "hispanic", "mena", "nhpi", "white")
# A codes-only choice of race_ethnicity that no respondent can pick: the coarse 1977
# category exists for legacy sources, never as an answer to the SPD-15 question.
RACE_CODES_NOT_OFFERED = ("asian_or_pi",)
UNITED_STATES = "US"


@dataclass
class Module:
    """One XLSForm workbook being assembled: survey rows, choice rows and settings."""

    form_id: str
    title: str
    survey: list[dict[str, str]] = field(default_factory=list)
    choices: list[dict[str, str]] = field(default_factory=list)
    lists: set[str] = field(default_factory=set)

    def question(self, type_: str, name: str, label: str = "", **columns: str) -> None:
        row = {"type": type_, "name": name}
        if label:
            row["label"] = label
        for key, value in columns.items():
            row[key] = value
        self.survey.append(row)

    def note(self, name: str, text: str, **columns: str) -> None:
        self.question("note", name, text, **columns)

    def begin_page(self, name: str, label: str, relevant: str = "") -> None:
        columns = {"appearance": "field-list"}
        if relevant:
            columns["relevant"] = relevant
        self.question("begin_group", name, label, **columns)

    def end_page(self) -> None:
        self.survey.append({"type": "end_group"})

    def choice_list(self, list_name: str, options: Iterable[tuple[str, str]]) -> None:
        """Add a choice list once; a list used by several questions is written once."""
        if list_name in self.lists:
            return
        self.lists.add(list_name)
        for name, label in options:
            self.choices.append({"list_name": list_name, "name": name, "label": label})

    @property
    def settings(self) -> dict[str, str]:
        return {
            "form_id": self.form_id,
            "form_title": self.title,
            "version": VERSIONS[self.form_id],
        }


def standard_options(standard: Standard, dimension: str) -> list[tuple[str, str]]:
    """The answers a respondent can give for a dimension: its answer codes, then declined."""
    found = standard.dimension(dimension)
    options = [
        (code.code, code.label)
        for code in found.codes
        if code.code not in found.missing_codes and code.code not in RACE_CODES_NOT_OFFERED
    ]
    if DECLINED in found.missing_codes:
        options.append((DECLINED, DECLINED_LABEL))
    return options


def definitions_hint(standard: Standard, dimension: str) -> str:
    """A hint spelling out the answers whose meaning is not plain from the label alone.

    Only answers the respondent is offered: the missing-data codes' definitions are written
    for data stewards ("not collected, blank, or a source value that cannot be mapped"), and
    declined is offered as plainly as "Prefer not to say".
    """
    found = standard.dimension(dimension)
    offered = {code for code, _ in standard_options(standard, dimension)}
    parts = [
        f"{code.label}: {code.definition.rstrip('.')}."
        for code in found.codes
        if code.code in offered
        and code.code not in found.missing_codes
        and code.definition
        and code.definition.rstrip(".") != code.label
    ]
    return " ".join(parts)


def only_alone(choice: str) -> tuple[str, str]:
    """A constraint (and its message) keeping a choice such as declined from being combined."""
    return (
        f"not(selected(., '{choice}')) or count-selected(.) = 1",
        f"'{DECLINED_LABEL}' cannot be chosen together with another answer.",
    )


def any_selected(question: str, choices: Iterable[str]) -> str:
    return " or ".join(f"selected(${{{question}}}, '{choice}')" for choice in choices)


# --------------------------------------------------------------------------- demographics


def demographics(standard: Standard) -> Module:
    """Who answers: the data standard's dimensions, one question each, nothing required."""
    module = Module("demographics", "About you")

    module.begin_page("about_you", "About you")
    module.note(
        "demographics_intro",
        "These questions help us see who works in our field and whether everyone is treated "
        "fairly. Every question is optional: skip any you do not want to answer, or choose "
        f"'{DECLINED_LABEL}'. Results are only ever reported for groups, never for one person.",
    )
    module.question(
        "integer",
        "age",
        "How old are you?",
        hint="In whole years. Leave blank if you prefer not to say.",
        constraint=". >= 14 and . <= 110",
        constraint_message="Please enter your age in whole years, from 14 to 110.",
        standard="age_band",
    )
    countries = sorted(standard.countries.items(), key=lambda item: item[1])
    country_options = [(UNITED_STATES, standard.countries[UNITED_STATES])] + [
        (code, name) for code, name in countries if code != UNITED_STATES
    ]
    module.question(
        "select_one country",
        "country",
        "In which country do you mainly work?",
        hint="Type to search the list.",
        appearance="autocomplete",
        standard="country",
    )
    module.choice_list("country", [*country_options, (DECLINED, DECLINED_LABEL)])
    module.question(
        "select_one citizenship",
        "citizenship",
        "What is your U.S. citizenship or immigration status?",
        standard="citizenship",
    )
    module.choice_list("citizenship", standard_options(standard, "citizenship"))
    module.end_page()

    # On its own page: the platform shows a page at a time, so a question depending on an
    # answer of the same page would not appear until the page is saved.
    module.begin_page(
        "us_location", "Where in the United States", f"${{country}} = '{UNITED_STATES}'"
    )
    module.question(
        "select_one us_state",
        "us_state",
        "In which U.S. state do you mainly work?",
        hint="Used only to find your Census region (Northeast, Midwest, South or West).",
        appearance="autocomplete",
    )
    states = sorted(standard.us_states, key=lambda state: state.name)
    module.choice_list(
        "us_state", [(state.postal, state.name) for state in states] + [(DECLINED, DECLINED_LABEL)]
    )
    module.end_page()

    module.begin_page("race", "Race and ethnicity")
    constraint, message = only_alone(DECLINED)
    module.question(
        "select_multiple race_ethnicity",
        "race_ethnicity",
        "What is your race and/or ethnicity?",
        hint="Select all that apply.",
        constraint=constraint,
        constraint_message=message,
        standard="race_ethnicity",
    )
    module.choice_list("race_ethnicity", standard_options(standard, "race_ethnicity"))
    module.end_page()

    detailed = sorted(
        {code.code.split(".", 1)[0] for code in standard.dimension("race_ethnicity_detail").codes}
    )
    module.begin_page(
        "race_detail",
        "Race and ethnicity: more detail",
        any_selected("race_ethnicity", RACE_CATEGORIES),
    )
    module.question(
        "select_multiple race_ethnicity_detail",
        "race_ethnicity_detail",
        "Which of these describe you?",
        hint="Select all that apply. The options follow the categories you chose.",
        relevant=any_selected("race_ethnicity", detailed),
        choice_filter="selected(${race_ethnicity}, parent)",
        standard="race_ethnicity_detail",
    )
    module.lists.add("race_ethnicity_detail")
    for code in standard.dimension("race_ethnicity_detail").codes:
        module.choices.append(
            {
                "list_name": "race_ethnicity_detail",
                "name": code.code,
                "label": code.label,
                "parent": code.code.split(".", 1)[0],
            }
        )
    module.question(
        "text",
        "race_aian_tribe",
        "American Indian or Alaska Native: enter your enrolled or principal tribe, if you wish.",
        hint="For example, Navajo Nation, Blackfeet Tribe, Mayan, Aztec, Native Village of "
        "Barrow Inupiat Traditional Government, Nome Eskimo Community.",
        relevant="selected(${race_ethnicity}, 'aian')",
    )
    module.end_page()

    module.begin_page("sex_gender", "Sex and gender")
    module.question(
        "select_one sex_at_birth",
        "sex_at_birth",
        "What sex were you assigned at birth, on your original birth certificate?",
    )
    module.choice_list(
        "sex_at_birth", [("female", "Female"), ("male", "Male"), (DECLINED, DECLINED_LABEL)]
    )
    module.question(
        "select_one gender",
        "gender",
        "What is your current gender?",
        hint=definitions_hint(standard, "gender"),
        standard="gender",
    )
    module.choice_list("gender", standard_options(standard, "gender"))
    module.question(
        "select_one transgender",
        "transgender",
        "Are you transgender?",
        hint="Transgender describes people whose gender is different from the sex they were "
        "assigned at birth.",
        standard="transgender",
    )
    module.choice_list("transgender", standard_options(standard, "transgender"))
    module.question(
        "select_one intersex",
        "intersex",
        "Have you ever been diagnosed with an intersex condition or a difference of sex "
        "development (DSD), or were you born with (or developed naturally in puberty) "
        "reproductive or sexual anatomy or chromosomes that do not fit typical definitions "
        "of female or male?",
        standard="intersex",
    )
    module.choice_list("intersex", standard_options(standard, "intersex"))
    module.end_page()

    module.begin_page("orientation", "Sexual orientation")
    module.question(
        "select_one sexual_orientation",
        "sexual_orientation",
        "Which of the following best represents how you think of yourself?",
        hint=definitions_hint(standard, "sexual_orientation"),
        standard="sexual_orientation",
    )
    module.choice_list("sexual_orientation", standard_options(standard, "sexual_orientation"))
    module.end_page()

    # Washington Group Short Set: the WG's own questions and answer categories.
    washington_group = (
        ("wg_seeing", "Do you have difficulty seeing, even if wearing glasses?"),
        ("wg_hearing", "Do you have difficulty hearing, even if using a hearing aid?"),
        ("wg_walking", "Do you have difficulty walking or climbing steps?"),
        ("wg_cognition", "Do you have difficulty remembering or concentrating?"),
        (
            "wg_selfcare",
            "Do you have difficulty (with self-care such as) washing all over or dressing?",
        ),
        (
            "wg_communication",
            "Using your usual language, do you have difficulty communicating, for example "
            "understanding or being understood?",
        ),
    )
    for page, (first, last) in enumerate(((0, 3), (3, 6)), start=1):
        module.begin_page(f"functioning_{page}", f"Everyday activities ({page} of 2)")
        module.note(
            f"functioning_intro_{page}",
            "The next questions ask about difficulties you may have doing certain activities "
            "because of a health problem.",
        )
        for name, label in washington_group[first:last]:
            module.question("select_one washington_group", name, label, standard=name)
        module.end_page()
    module.choice_list("washington_group", standard_options(standard, "wg_seeing"))

    # NIH NOT-OD-20-031, the criteria for a disadvantaged background, in NIH's words.
    nih_criteria = (
        (
            "dis_homeless",
            "I was or currently am homeless, as defined by the McKinney-Vento Homeless "
            "Assistance Act.",
            "",
        ),
        (
            "dis_foster_care",
            "I was or currently am in the foster care system, as defined by the "
            "Administration for Children and Families.",
            "",
        ),
        (
            "dis_free_lunch",
            "I was eligible for the Federal Free and Reduced Lunch Program for two or more years.",
            "",
        ),
        (
            "dis_first_gen",
            "I have (or had) no parents or legal guardians who completed a bachelor's degree.",
            "",
        ),
        ("dis_pell", "I was or currently am eligible for Federal Pell grants.", ""),
        (
            "dis_wic",
            "I received support from the Special Supplemental Nutrition Program for Women, "
            "Infants and Children (WIC) as a parent or child.",
            "",
        ),
        (
            "dis_rural_or_shortage",
            "I grew up in a U.S. rural area, or in a low-income and health professional "
            "shortage area.",
            "Rural areas as designated by the Health Resources and Services Administration "
            "(HRSA) Rural Health Grants Eligibility Analyzer; shortage areas as designated by "
            "the Centers for Medicare and Medicaid Services.",
        ),
    )
    for page, (first, last) in enumerate(((0, 4), (4, 7)), start=1):
        module.begin_page(f"background_{page}", f"Your background ({page} of 2)")
        module.note(
            f"background_intro_{page}",
            "Does each statement describe you? These are the criteria the National Institutes "
            "of Health uses for a disadvantaged background.",
        )
        for name, label, hint in nih_criteria[first:last]:
            columns = {"standard": name}
            if hint:
                columns["hint"] = hint
            module.question("select_one yes_no", name, label, **columns)
        module.end_page()
    module.choice_list("yes_no", standard_options(standard, "dis_homeless"))

    module.begin_page("work", "Your work")
    for name, label in (
        ("career_stage", "What is your current career stage?"),
        ("sector", "In which sector is your main job?"),
        ("role", "What is your primary professional role?"),
    ):
        columns = {"standard": name}
        hint = definitions_hint(standard, name)
        if hint:
            columns["hint"] = hint
        module.question(f"select_one {name}", name, label, **columns)
        module.choice_list(name, standard_options(standard, name))
    module.end_page()
    return module


# --------------------------------------------------------------------------- climate

AGREE5 = (
    ("strongly_disagree", "Strongly disagree"),
    ("disagree", "Disagree"),
    ("neither", "Neither agree nor disagree"),
    ("agree", "Agree"),
    ("strongly_agree", "Strongly agree"),
)

# Scale, page label, items (name, statement, reverse-worded). A reverse-worded item is
# marked `<scale>_reversed` in the `scale` column: agreeing with it means less of the scale.
CLIMATE_SCALES = (
    (
        "belonging",
        "Belonging",
        (
            ("clim_belong_1", "I feel that I belong in my field.", False),
            ("clim_belong_2", "People in my workplace care about me as a person.", False),
            ("clim_belong_3", "I often feel like an outsider at work.", True),
        ),
    ),
    (
        "respect",
        "Respect",
        (
            ("clim_respect_1", "My colleagues treat me with respect.", False),
            ("clim_respect_2", "My ideas are taken seriously.", False),
            ("clim_respect_3", "People at work talk down to me.", True),
        ),
    ),
    (
        "fairness",
        "Fairness",
        (
            (
                "clim_fair_1",
                "Decisions about hiring and promotion in my workplace are made fairly.",
                False,
            ),
            (
                "clim_fair_2",
                "Opportunities such as projects, funding and recognition are shared fairly.",
                False,
            ),
            (
                "clim_fair_3",
                "Some people get ahead in my workplace because of who they are, not what they do.",
                True,
            ),
        ),
    ),
    (
        "intent_to_stay",
        "Staying in the field",
        (
            ("clim_stay_1", "I expect to be working in my field five years from now.", False),
            (
                "clim_stay_2",
                "I would recommend a career in my field to someone like me.",
                False,
            ),
            (
                "clim_stay_3",
                "In the past 12 months, I have seriously considered leaving my field.",
                True,
            ),
        ),
    ),
)


def climate() -> Module:
    """How work feels: four short agree-disagree scales and one open comment."""
    module = Module("climate", "Your workplace")
    for position, (scale, page_label, items) in enumerate(CLIMATE_SCALES):
        module.begin_page(f"climate_{scale}", page_label)
        if position == 0:
            module.note(
                "climate_intro",
                "These questions ask how you experience your workplace and your field. There "
                "are no right or wrong answers, and you may skip any question.",
            )
        module.note(
            f"climate_{scale}_lead", "How much do you agree or disagree with each statement?"
        )
        for name, statement, reversed_ in items:
            module.question(
                "select_one agree5",
                name,
                statement,
                appearance="likert",
                scale=f"{scale}_reversed" if reversed_ else scale,
            )
        module.end_page()
    module.choice_list("agree5", AGREE5)
    module.begin_page("climate_comment_page", "Anything else")
    module.question(
        "text",
        "clim_comment",
        "Is there anything else you would like to tell us about your experience in your "
        "workplace or your field?",
        hint="Please do not include names or other details that could identify you or anyone else.",
        appearance="multiline",
    )
    module.end_page()
    return module


# --------------------------------------------------------------------------- experiences

FREQUENCY = (
    ("never", "Never"),
    ("once_or_twice", "Once or twice"),
    ("sometimes", "Sometimes"),
    ("often", "Often"),
    ("many_times", "Many times"),
    (DECLINED, DECLINED_LABEL),
)
# Sexual Experiences Questionnaire behaviours, grouped as in NASEM (2018): the respondent
# reads what happened, never a name for it.
EXPERIENCE_SCALES = (
    (
        "gender_harassment",
        (
            (
                "sexp_gh_1",
                "Treated you differently because of your sex or gender (for example, ignored, "
                "slighted or talked down to you)?",
            ),
            ("sexp_gh_2", "Told sexist jokes or stories?"),
            (
                "sexp_gh_3",
                "Made offensive remarks about your appearance, body or sexual activities?",
            ),
            (
                "sexp_gh_4",
                "Made remarks suggesting that people of your gender are not suited to the kind "
                "of work you do?",
            ),
            (
                "sexp_gh_5",
                "Displayed, used or shared sexist or sexually suggestive materials such as "
                "pictures, messages or videos?",
            ),
        ),
    ),
    (
        "unwanted_sexual_attention",
        (
            (
                "sexp_usa_1",
                "Made unwanted attempts to start a romantic or sexual relationship with you, "
                "despite your efforts to discourage it?",
            ),
            ("sexp_usa_2", "Kept asking you for dates, drinks or dinner even though you said no?"),
            ("sexp_usa_3", "Touched you in a way that made you feel uncomfortable?"),
            ("sexp_usa_4", "Made unwanted attempts to stroke, fondle or kiss you?"),
        ),
    ),
    (
        "sexual_coercion",
        (
            (
                "sexp_sc_1",
                "Made you feel that you would be rewarded or treated better if you took part in "
                "sexual behavior?",
            ),
            (
                "sexp_sc_2",
                "Made you feel that you would be treated badly if you did not take part in "
                "sexual behavior (for example, through a review, a reference or an assignment)?",
            ),
            ("sexp_sc_3", "Treated you badly for refusing to have sex?"),
        ),
    ),
)
WHO = (
    ("peer", "A colleague or peer at my level"),
    ("supervisor", "My supervisor, manager or principal investigator"),
    ("senior", "Someone else more senior than me"),
    ("junior", "Someone I supervise, teach or mentor"),
    ("student", "A student or trainee"),
    ("patient", "A patient, client or research participant, or their family"),
    ("outside", "Someone from outside my organization, for example at a conference"),
    (DECLINED, DECLINED_LABEL),
)
TOLD = (("yes", "Yes"), ("no", "No"), (DECLINED, DECLINED_LABEL))


def harassment() -> Module:
    """Experiences at work: behaviour-based items, follow-ups only for those affected."""
    module = Module("harassment", "Experiences at work")
    stem = "In the past 12 months, how often has someone in your work or training environment:"
    items = [name for _scale, scale_items in EXPERIENCE_SCALES for name, _label in scale_items]
    for page, (scale, scale_items) in enumerate(EXPERIENCE_SCALES, start=1):
        module.begin_page(f"experiences_{page}", f"Experiences at work ({page} of 3)")
        if page == 1:
            module.note(
                "experiences_intro",
                "Thank you for staying with us. The next questions ask about things that people "
                "in your work or training environment may have said or done: colleagues, "
                "supervisors, faculty, students, staff, patients or clients, and people you met "
                "at conferences or other professional events. Some questions are personal. You "
                f"may skip any of them or choose '{DECLINED_LABEL}'.",
            )
        module.note(f"experiences_stem_{page}", stem)
        for name, label in scale_items:
            module.question("select_one frequency", name, label, appearance="likert", scale=scale)
        if page == len(EXPERIENCE_SCALES):
            # 1 when any behaviour happened at least once; the follow-ups depend on it.
            happened = " or ".join(
                f"(${{{name}}} != '' and ${{{name}}} != 'never' and ${{{name}}} != '{DECLINED}')"
                for name in items
            )
            module.question("calculate", "sexp_any", calculation=f"if({happened}, 1, 0)")
        module.end_page()
    module.choice_list("frequency", FREQUENCY)

    module.begin_page("experiences_followup", "About these experiences", "${sexp_any} = 1")
    module.note(
        "experiences_followup_intro",
        "You told us that at least one of these things happened to you. Thank you for "
        "sharing it. Two more questions about it; skip either if you prefer.",
    )
    constraint, message = only_alone(DECLINED)
    module.question(
        "select_multiple experience_who or_other",
        "sexp_who",
        "Who did these things?",
        hint="Select all that apply.",
        constraint=constraint,
        constraint_message=message,
    )
    module.choice_list("experience_who", WHO)
    module.question(
        "select_one experience_told",
        "sexp_told",
        "Did you tell someone in an official role about any of these experiences, for example "
        "a supervisor, human resources, an ombuds office or an equity office?",
    )
    module.choice_list("experience_told", TOLD)
    module.end_page()

    module.begin_page("experiences_support", "Support")
    module.note(
        "experiences_support_note",
        "If these questions have brought up something difficult, support is available. You "
        "can talk in confidence with your organization's employee assistance program or ombuds "
        "office. In the United States, RAINN's National Sexual Assault Hotline is open 24 "
        "hours a day at 1-800-656-4673 and online at rainn.org. Thank you for your answers.",
    )
    module.end_page()
    return module


# --------------------------------------------------------------------------- writing


def module(name: str, standard: Standard | None = None) -> Module:
    if name == "demographics":
        return demographics(standard or load_standard())
    if name == "climate":
        return climate()
    if name == "harassment":
        return harassment()
    raise ValueError(f"no survey module {name!r}; modules: {', '.join(MODULE_NAMES)}")


def write_workbook(built: Module, path: Path) -> Path:
    """Write the XLSForm workbook (sheets survey, choices, settings) with fixed metadata."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties(
        {"title": built.title, "author": AUTHOR, "company": AUTHOR, "created": CREATED}
    )
    bold = workbook.add_format({"bold": True})
    survey_columns = [
        column for column in SURVEY_COLUMNS if any(row.get(column) for row in built.survey)
    ]
    choice_columns = [
        column for column in CHOICE_COLUMNS if any(row.get(column) for row in built.choices)
    ]
    settings = built.settings
    for title, columns, rows in (
        ("survey", survey_columns, built.survey),
        ("choices", choice_columns, built.choices),
        ("settings", list(settings), [settings]),
    ):
        sheet = workbook.add_worksheet(title)
        sheet.freeze_panes(1, 0)
        for column_index, column in enumerate(columns):
            sheet.write_string(0, column_index, column, bold)
            width = 40 if column.startswith(("label", "hint", "constraint_message")) else 16
            sheet.set_column(column_index, column_index, width)
            for row_index, row in enumerate(rows, start=1):
                value = row.get(column, "")
                if value:
                    sheet.write_string(row_index, column_index, value)
    workbook.close()
    return path


def build(name: str, out_dir: Path, standard: Standard | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_workbook(module(name, standard), out_dir / f"{name}.xlsx")


def build_all(out_dir: Path) -> list[Path]:
    standard = load_standard()
    return [build(name, out_dir, standard) for name in MODULE_NAMES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODULES_DIR, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="only check that the shipped files are current"
    )
    arguments = parser.parse_args(argv)
    if not arguments.check:
        for path in build_all(arguments.out):
            print(f"wrote {path}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        stale = [
            path.name
            for path in build_all(Path(scratch))
            if not (arguments.out / path.name).is_file()
            or (arguments.out / path.name).read_bytes() != path.read_bytes()
        ]
    if stale:
        print(f"out of date: {', '.join(stale)}; run scripts/build_survey_modules.py")
        return 1
    print("survey modules are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
