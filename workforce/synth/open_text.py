"""The synthetic survey's open-text comments as a coded qualitative project.

Each comment of `survey/responses.csv` becomes a source (one per answer, the respondent's
career stage and sector carried along) through the same import a researcher runs
(`workforce qual import --responses ... --column comment`), and is coded by one synthetic
coder who marks each theme sentence exactly where the generator put it: the truth of
`truth/comment_themes.csv`, located sentence by sentence. Open-text answers are often coded
by one person; the report then gives no agreement for them, and says so.
"""

from __future__ import annotations

from pathlib import Path

from workforce.qual.codings import Coding
from workforce.qual.workspace import OpenTextAnswers, import_into, save_workspace
from workforce.synth.comments import PLACE_BY_SECTOR, THEMES
from workforce.synth.focus_groups import DATA as FOCUS_GROUP_DATA

CODER = "coder_a"
# The comment generator's themes, as codes of the focus groups' codebook.
THEME_CODES = {
    "belonging": "climate/belonging",
    "harassment": "harassment/behaviours",
    "mentorship": "career/mentorship",
    "pay": "career/pay",
    "flexibility": "work-life/flexibility",
    "career_pathways": "career/advancement",
}
PLACES = (*PLACE_BY_SECTOR.values(), "my workplace")


def write_open_text_project(synth_dir: Path, directory: Path, *, lead: str = "lead") -> Path:
    """The comments of the base wave imported and coded into the project `directory`."""
    synth_dir, directory = Path(synth_dir), Path(directory)
    project, originals, _ = import_into(
        None, name="Open-text comments of the member survey (synthetic)",
        open_text=OpenTextAnswers(synth_dir / "survey" / "responses.csv", "comment",
                                  "response_id", ("career_stage", "sector"), "survey"),
        codebook=FOCUS_GROUP_DATA / "codebook.yaml", lead=lead, author="synthetic")
    sentences = {
        template.replace("{place}", place): THEME_CODES[theme]
        for theme, templates in THEMES.items() for template in templates for place in PLACES
    }
    codings = []
    for source in project.sources:
        for sentence, code in sentences.items():
            start = source.text.find(sentence)
            if start >= 0:
                codings.append(Coding(source.id, CODER, code, start, start + len(sentence)))
    project = project.with_codings(codings)
    save_workspace(project, originals, directory)
    return directory
