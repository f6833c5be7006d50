"""The demo's survey: the standard modules as one instrument, a wave per society, answered by
the synthetic respondents through the links e-mailed to them.

Each society of the synthetic consortium runs its own anonymous wave of the consortium's
member survey (demographics, climate and culture, experiences at work). Its frame is the
society's part of `survey/frame.csv`; e-mails go out through the mail framework (the demo
writes them as files under the data directory). Every synthetic response in
`survey/responses.csv` is answered through the invitation of the member who gave it
(`truth/survey_respondents.csv`): the link is read back from the e-mail, and each page is
submitted with `submit_synthetic_response`, the path a respondent's browser takes.

The wave's weeks are replayed as the synthetic survey drew them (`survey` in the synthetic
profile): the wave opened as many days ago as the synthetic one ran, invitations went out on
its first day and reminders on its reminder days (to those who had not finished by then),
and each response is answered on its own day after opening (its `submitted_on`). So the
staff's page shows responses arriving over the weeks, with a burst after each e-mail. The
mailings' dates are set to their replayed days; the audit log keeps when the demo sent them.
The wave stays open a week more, and one extra member (`DEMO_MEMBER`) is invited and left
unanswered, so that a person can open that link.

The synthetic answers are standard codes; `synthetic_answers` turns one row into answers to
the modules' questions (`ADAPTER` says how, item by item). Two things cannot be carried
over exactly: an age band becomes an age inside it, and a declined age or country stays
unanswered (the age question takes a number only), so those records say `unknown`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pandas as pd

from workforce.survey.instrument import Instrument as InstrumentDefinition

Progress = Callable[[str, int, int], None]

DEMO_MEMBER = ("DEMO-0001", "you@members.example")
STILL_OPEN = timedelta(weeks=1)  # after the replayed weeks: the demo's own link still works
FRAME_ATTRIBUTES = ("career_stage", "sector", "role")
CONSENT = (
    "The consortium asks every member of its societies who they are, how they are treated "
    "at work, and what they have experienced, so that it can see whether the genomics "
    "workforce is becoming more diverse and its workplaces fairer. The survey takes about "
    "fifteen minutes. Every question may be skipped, and you can stop and come back later "
    "through the same link."
)  # the page itself explains what anonymous means

# The societies' own notes opening their e-mails: synthetic words, in the voice a society's
# leaders would use.
INVITATION_NOTE = (
    "What we learn from this survey will shape our programs for members at every stage of "
    "their careers. Please take fifteen minutes to add your voice.\n\n"
    "The Board of Directors, {name}"
)
REMINDER_NOTE = (
    "Many members have already answered, and every answer counts: we would like to hear "
    "from you too."
)

# Synthetic climate items (1–5 agreement) → module question; the module asks three items per
# scale and the synthetic data one, so each feeds the first item of its scale (voice is a
# form of respect in the module's wording).
CLIMATE_ITEMS = {
    "climate_belonging": "clim_belong_1",
    "climate_respect": "clim_respect_1",
    "climate_voice": "clim_respect_2",
    "climate_fairness": "clim_fair_1",
    "intent_to_stay": "clim_stay_1",
}
AGREEMENT = {
    "1": "strongly_disagree",
    "2": "disagree",
    "3": "neither",
    "4": "agree",
    "5": "strongly_agree",
}
# Synthetic experience items (how often, past 12 months) → the module's behaviour items.
EXPERIENCE_ITEMS = {
    "hx_sexist_remarks": "sexp_gh_1",
    "hx_exclusion": "sexp_gh_5",
    "hx_unwanted_attention": "sexp_usa_1",
    "hx_coercion": "sexp_sc_1",
}
FREQUENCY = {
    "never": "never",
    "once": "once_or_twice",
    "sometimes": "sometimes",
    "often": "often",
    "declined": "declined",
}
# One age inside each band, and one state inside each Census region.
AGE_IN_BAND = {"under_25": 23, "25_34": 30, "35_44": 40, "45_54": 50, "55_64": 60, "65_plus": 70}
STATE_IN_REGION = {"northeast": "NY", "midwest": "IL", "south": "TX", "west": "CA"}
# Standard dimensions asked by a module question of the same name.
SAME_NAME = [
    "citizenship",
    "gender",
    "transgender",
    "intersex",
    "sexual_orientation",
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_cognition",
    "wg_selfcare",
    "wg_communication",
    "dis_homeless",
    "dis_foster_care",
    "dis_free_lunch",
    "dis_first_gen",
    "dis_pell",
    "dis_wic",
    "dis_rural_or_shortage",
    "career_stage",
    "sector",
    "role",
]
ADAPTER = {
    "same name": SAME_NAME,
    "age_band": "age: an age inside the band (AGE_IN_BAND); declined/unknown unanswered",
    "country": "country; unknown unanswered",
    "us_region": "us_state: a state inside the region (STATE_IN_REGION); declined as declined",
    "race_ethnicity": "race_ethnicity (select all that apply); unknown unanswered",
    "race_ethnicity_detail": "race_ethnicity_detail",
    "climate": CLIMATE_ITEMS,
    "experiences": EXPERIENCE_ITEMS,
    "comment": "clim_comment",
}
MISSING = ("", "unknown")


@dataclass(frozen=True)
class DemoWave:
    slug: str
    organization: str
    invited: int
    answered: int
    failed: tuple[str, ...]
    records: Path | None  # the wave's standard records, exported as a person would
    # Response → the synthetic response it answered, known only to this process (as a
    # respondent knows what they answered); nothing of it is stored.
    answered_as: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class DemoSurvey:
    instrument: str  # "form_id version"
    waves: list[DemoWave] = field(default_factory=list)
    open_link: str = ""
    records_equal: int = 0
    records_compared: int = 0
    columns_differing: dict[str, int] = field(default_factory=dict)


def demo_instrument() -> InstrumentDefinition:
    """The three standard modules as one instrument, asked in order."""
    from workforce.survey.modules import standard_instrument

    return standard_instrument()


def synthetic_answers(row: Mapping[str, str], instrument: InstrumentDefinition) -> dict:
    """One synthetic response (standard codes) as answers to the instrument's questions."""
    answers: dict[str, str | list[str]] = {}
    for name in SAME_NAME:
        if row.get(name, "") not in MISSING:
            answers[name] = row[name]
    if row.get("age_band") in AGE_IN_BAND:
        answers["age"] = str(AGE_IN_BAND[row["age_band"]])
    if row.get("country", "") not in MISSING:
        answers["country"] = row["country"]
    region = row.get("us_region", "")
    if region in STATE_IN_REGION:
        answers["us_state"] = STATE_IN_REGION[region]
    elif region == "declined":
        answers["us_state"] = "declined"
    races = [code for code in row.get("race_ethnicity", "").split(";") if code not in MISSING]
    if races:
        answers["race_ethnicity"] = races
    details = [code for code in row.get("race_ethnicity_detail", "").split(";") if code]
    if details:
        answers["race_ethnicity_detail"] = details
    for item, question in CLIMATE_ITEMS.items():
        if row.get(item) in AGREEMENT:
            answers[question] = AGREEMENT[row[item]]
    for item, question in EXPERIENCE_ITEMS.items():
        if row.get(item) in FREQUENCY:
            answers[question] = FREQUENCY[row[item]]
    if row.get("comment"):
        answers["clim_comment"] = row["comment"]
    return answers


def by_page(answers: Mapping[str, object], instrument: InstrumentDefinition) -> dict[int, dict]:
    """Answers grouped by the page that asks them, as `submit_synthetic_response` takes them."""
    page_of = {
        question.name: index
        for index, page in enumerate(instrument.pages)
        for question in page.questions
    }
    pages: dict[int, dict] = {}
    for name, value in answers.items():
        pages.setdefault(page_of[name], {})[name] = value
    return pages


class MailedLinks:
    """E-mail address → the survey token of the newest message sent to it in ``mail_dir``.

    Django's file backend writes each connection's messages to one file, separated by a line
    of 79 dashes. `read` takes in the files written since it last looked, so a replay that
    sends reminders between days reads each message once.
    """

    def __init__(self, mail_dir: Path) -> None:
        from workforce.platform.surveys.mail import survey_link

        self.mail_dir = Path(mail_dir)
        self.links: dict[str, str] = {}
        self.every_link: dict[str, list[str]] = {}  # address → each token mailed to it
        self._seen: set[Path] = set()
        self._pattern = re.compile(
            re.escape(survey_link("TOKEN")).replace("TOKEN", r"([A-Za-z0-9_-]+)")
        )

    def read(self) -> dict[str, str]:
        new = [path for path in self.mail_dir.glob("*.log") if path not in self._seen]
        parser = BytesParser(policy=policy.default)
        for path in sorted(new, key=lambda path: path.stat().st_mtime):
            self._seen.add(path)
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = parser.parsebytes(chunk)
                body = message.get_body(preferencelist=("plain",))
                found = self._pattern.search(body.get_content() if body is not None else "")
                if found and message["To"]:
                    address = str(message["To"]).strip().lower()
                    self.links[address] = found.group(1)
                    self.every_link.setdefault(address, []).append(found.group(1))
        return self.links

    def newest(self, address: str) -> str | None:
        """The token of the last e-mail sent to `address`, as the database knows it.

        Files written in the same instant sort in no set order, so when several mailings are
        read at once (the demo run again), the database's order of the links decides.
        """
        from workforce.platform.surveys.models import InvitationToken, hash_token

        tokens = {hash_token(token): token for token in self.every_link.get(address, [])}
        last = (
            InvitationToken.objects.filter(token_hash__in=list(tokens))
            .order_by("-pk")
            .values_list("token_hash", flat=True)
            .first()
        )
        return tokens.get(last) if last else None


@dataclass(frozen=True)
class Replay:
    """The synthetic survey's calendar: its first day, its length and its reminder days."""

    first_day: date
    days: int
    reminders: tuple[int, ...]  # days after the first

    @classmethod
    def of_year(cls, year: int) -> Replay:
        from workforce.synth.profiles import load_profiles

        survey = load_profiles()["survey"]
        month, day = (int(part) for part in survey["opens"].split("-"))
        return cls(
            date(year, month, day), 7 * survey["window_weeks"], tuple(survey["reminders_days"])
        )


def load_demo_survey(synth_dir: Path, out_dir: Path, progress: Progress) -> DemoSurvey:
    """Create, invite and answer the demo waves; see the module docstring."""
    from django.conf import settings
    from django.db import transaction

    from workforce.platform.actions.surveys import (
        do_add_instrument,
        do_create_wave,
        do_load_frame,
        do_open_wave,
    )
    from workforce.platform.organizations.models import Organization
    from workforce.platform.surveys.mail import survey_link
    from workforce.platform.surveys.models import Wave

    synth_dir = Path(synth_dir)
    frame = pd.read_csv(synth_dir / "survey" / "frame.csv", dtype=str, keep_default_na=False)
    responses = pd.read_csv(
        synth_dir / "survey" / "responses.csv", dtype=str, keep_default_na=False
    )
    who = pd.read_csv(
        synth_dir / "truth" / "survey_respondents.csv", dtype=str, keep_default_na=False
    )
    responses = responses.merge(who, on="response_id", how="left", validate="one_to_one")
    email_of = dict(zip(frame["frame_id"], frame["email"].str.lower(), strict=True))
    year = int(responses["wave"].iloc[0]) if len(responses) else date.today().year

    definition = demo_instrument()
    stored = do_add_instrument(definition, acting_user=None)
    summary = DemoSurvey(instrument=f"{stored.form_id} {stored.version}")
    today = date.today()
    replay = Replay.of_year(year)
    mail = MailedLinks(settings.WORKFORCE_MAIL_DIR)
    societies = sorted(frame["org"].unique())
    for position, code in enumerate(societies):
        slug = f"{code}-{year}"
        organization = Organization.objects.get(code=code)
        wave = Wave.objects.filter(slug=slug).first()
        if wave is None:
            with transaction.atomic():
                wave = do_create_wave(
                    organization,
                    name=f"{organization.name} member survey {year}",
                    slug=slug,
                    instrument=stored,
                    mode=Wave.Mode.ANONYMOUS,
                    opens_on=today - timedelta(days=replay.days),
                    closes_on=today + STILL_OPEN,
                    consent_text=CONSENT,
                    contact_email=f"survey@{code}.example",
                    year=year,
                    invitation_note=INVITATION_NOTE.format(name=organization.name),
                    reminder_note=REMINDER_NOTE,
                    acting_user=None,
                )
                members = frame[frame["org"] == code]
                do_load_frame(
                    wave,
                    frame_csv(members, demo_member=position == 0),
                    filename="frame.csv",
                    acting_user=None,
                )
                do_open_wave(wave, acting_user=None)
        summary.waves.append(
            answer_wave(
                wave,
                responses[responses["org"] == code],
                email_of,
                definition,
                progress,
                replay=replay,
                mail=mail,
            )
        )
    mail.read()
    newest = mail.newest(DEMO_MEMBER[1])
    if newest is not None:
        summary.open_link = survey_link(newest)
    summary.waves = [export_records(wave, out_dir) for wave in summary.waves]
    compare_with_truth(summary, responses)
    return summary


def frame_csv(members: pd.DataFrame, *, demo_member: bool) -> bytes:
    """The society's frame rows as the CSV a steward uploads (member_id, email, attributes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["member_id", "email", *FRAME_ATTRIBUTES])
    for row in members.itertuples(index=False):
        writer.writerow([row.frame_id, row.email, *(getattr(row, a) for a in FRAME_ATTRIBUTES)])
    if demo_member:
        writer.writerow([*DEMO_MEMBER, "early", "academia", "researcher"])
    return buffer.getvalue().encode("utf-8")


def answer_wave(
    wave,
    responses: pd.DataFrame,
    email_of: Mapping[str, str],
    definition: InstrumentDefinition,
    progress: Progress,
    *,
    replay: Replay,
    mail: MailedLinks,
) -> DemoWave:
    """Replay ``wave``'s weeks: its e-mails on their days, and each synthetic response on its
    day, through its respondent's newest e-mailed link (see the module docstring)."""
    from django.core.exceptions import ValidationError

    from workforce.platform.actions.surveys import (
        SurveyLinkError,
        do_send_invitations,
        do_send_reminders,
        submit_synthetic_response,
    )
    from workforce.platform.surveys.models import Response

    already = Response.objects.filter(wave=wave, status=Response.Status.COMPLETE).count()
    if already:  # answered by an earlier run of the demo
        return DemoWave(
            wave.slug, wave.organization.code, wave.invitations.count(), already, (), None
        )
    code = wave.organization.code
    offsets = (
        pd.to_datetime(responses["submitted_on"]) - pd.Timestamp(replay.first_day)
    ).dt.days.clip(0, replay.days - 1)
    by_day = {day: rows for day, rows in responses.groupby(offsets.to_numpy())}
    failed: list[str] = []
    answered_as: dict[str, str] = {}
    step = f"Answering {code} survey"
    done, total = 0, len(responses)
    for offset in range(replay.days):
        day = wave.opens_on + timedelta(days=offset)
        if offset == 0 and not wave.mailings.exists():
            progress(f"Inviting {code} members", 0, 1)
            _sent_on(do_send_invitations(wave, acting_user=None), day)
            progress(f"Inviting {code} members", 1, 1)
        elif offset in replay.reminders:
            # A small demo may have nobody left to remind.
            with contextlib.suppress(ValidationError):
                _sent_on(do_send_reminders(wave, acting_user=None), day)
        links = mail.read() if offset == 0 or offset in replay.reminders else mail.links
        for row in by_day.get(offset, pd.DataFrame()).to_dict("records"):
            if done % 25 == 0:
                progress(step, done, total)
            done += 1
            token = links.get(email_of.get(row.get("frame_id") or "", ""))
            if token is None:
                failed.append(f"{row['response_id']}: no invitation e-mail for its respondent")
                continue
            answers = synthetic_answers(row, definition)
            try:
                response = submit_synthetic_response(
                    wave, by_page(answers, definition), token=token, on=day
                )
            except (SurveyLinkError, ValidationError) as error:
                failed.append(f"{row['response_id']}: {error}")
                continue
            answered_as[str(response.pk)] = row["response_id"]
    progress(step, total, total)
    return DemoWave(
        wave.slug,
        code,
        wave.invitations.count(),
        len(answered_as),
        tuple(failed),
        None,
        answered_as,
    )


def _sent_on(mailing, day: date) -> None:
    """Date a mailing the demo just sent (and its invitations) to the replayed day it stands for."""
    from datetime import datetime, time

    from django.utils import timezone

    from workforce.platform.surveys.models import Invitation, Mailing

    moment = timezone.make_aware(datetime.combine(day, time(9, 0)))
    Mailing.objects.filter(pk=mailing.pk).update(created_at=moment, finished_at=moment)
    today = timezone.localdate()
    sent = Invitation.objects.filter(wave_id=mailing.wave_id)
    if mailing.kind == Mailing.Kind.INVITATIONS:
        sent.filter(sent_on=today).update(sent_on=day)
    else:
        sent.filter(last_reminded_on=today).update(last_reminded_on=day)


def export_records(demo_wave: DemoWave, out_dir: Path) -> DemoWave:
    """The wave's standard records, exported the way staff export them."""
    from workforce.platform.surveys.operations import export

    path = Path(out_dir) / f"survey_{demo_wave.slug}_records.csv"
    export(demo_wave.slug, format="records", out=path)
    return dataclasses.replace(demo_wave, records=path)


def compare_with_truth(summary: DemoSurvey, responses: pd.DataFrame) -> None:
    """How many exported records equal the synthetic answers on every dimension asked."""
    records = [
        pd.read_csv(wave.records, dtype=str, keep_default_na=False).assign(
            response_id=lambda frame, wave=wave: frame["record_id"].map(wave.answered_as)
        )
        for wave in summary.waves
        if wave.records is not None and wave.answered_as
    ]
    if not records:
        return
    got = pd.concat(records, ignore_index=True).set_index("response_id")
    columns = [
        column
        for column in responses.columns
        if column in got.columns and column not in ("record_id", "org", "year", "source")
    ]
    expected = responses.set_index("response_id").loc[got.index, columns].copy()
    # What the questions cannot carry (see the module docstring) is expected as unknown.
    expected.loc[~expected["age_band"].isin(list(AGE_IN_BAND)), "age_band"] = "unknown"
    same = got[columns].eq(expected)
    summary.records_compared = len(got)
    summary.records_equal = int(same.all(axis=1).sum())
    summary.columns_differing = {
        column: int((~same[column]).sum()) for column in columns if not same[column].all()
    }
