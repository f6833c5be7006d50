"""Staff pages of surveys: instruments, waves, monitoring, sending, exports.

Views only look things up, check the form and call actions. Every page is guarded by
``organization_view`` and finds a wave within the organization of the URL, so another
society's wave is simply not found. Nothing here shows an answer next to a person.
"""

from __future__ import annotations

import datetime

import structlog
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from workforce.platform.actions.surveys import (
    SCHEDULED_HOUR,
    SETTING_LABELS,
    can_schedule,
    do_add_instrument,
    do_cancel_mailing,
    do_change_wave,
    do_close_wave,
    do_create_open_link,
    do_create_wave,
    do_export_responses,
    do_import_instrument,
    do_load_frame,
    do_open_wave,
    do_record_bounces,
    do_schedule_reminders,
    do_send_invitations,
    do_send_reminders,
    do_send_test_message,
    frozen_settings,
    settings_changing,
)
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can, organization_view
from workforce.platform.surveys.mail import PREVIEW_TOKEN, message_content
from workforce.platform.surveys.models import (
    NOTE_MAX_CHARACTERS,
    Export,
    Instrument,
    Mailing,
    Response,
    Wave,
)
from workforce.platform.surveys.monitoring import (
    ResponseTimeline,
    groupings,
    overall_rates,
    response_rates,
    response_timeline,
)
from workforce.survey.bounces import BounceFileError, Bounces, bounces_from

log = structlog.get_logger(__name__)

# How long a new wave is proposed to stay open: member surveys run six to eight weeks, time
# for the invitation and two or three reminders.
OPEN_WEEKS = 6
# Enough for a frame of tens of thousands of members, or a bounce list as long.
MAX_LIST_BYTES = 50 * 1024 * 1024
MAX_XLSFORM_BYTES = 10 * 1024 * 1024


class InstrumentForm(forms.Form):
    file = forms.FileField(
        label="XLSForm workbook",
        help_text="An .xlsx file with survey, choices and settings sheets.",
    )


class WaveForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="As members will see it, e.g. “Climate 2025”.")
    slug = forms.SlugField(
        max_length=80, help_text="Part of the survey's address: lower-case, e.g. climate-2025."
    )
    instrument = forms.ModelChoiceField(
        queryset=Instrument.objects.all(),
        label="Questionnaire",
        empty_label="Choose a questionnaire",
        help_text="An imported XLSForm; the consortium member survey combines the standard "
        "modules.",
    )
    mode = forms.ChoiceField(
        choices=Wave.Mode.choices,
        help_text="Anonymous: nothing links an answer to a member. Confidential: consortium "
        "staff can see who answered what.",
    )
    opens_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Member surveys usually stay open six to eight weeks.",
    )
    consent_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Shown before the first question; its first paragraph goes in the e-mails.",
    )
    contact_email = forms.EmailField(
        required=False, help_text="Whom members write to with questions."
    )
    invitation_note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Note at the top of the invitation",
        help_text="Optional: the society's own words before the invitation, e.g. why its "
        "leaders ask members to answer, signed by them. A blank line starts a paragraph.",
    )
    reminder_note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Note at the top of the reminders",
        help_text="Optional, as above, for the reminders.",
    )


class WaveSettingsForm(WaveForm):
    """A wave's settings after it was created: its address stays, what has frozen is shown."""

    slug = None  # the address is in every e-mailed link
    year = forms.IntegerField(
        min_value=1900, max_value=2200, help_text="The year the standard records describe."
    )
    field_order = [
        "name",
        "instrument",
        "mode",
        "opens_on",
        "closes_on",
        "consent_text",
        "contact_email",
        "invitation_note",
        "reminder_note",
        "year",
    ]

    def __init__(self, *args, frozen: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for name, reason in frozen.items():
            field = self.fields[name]
            # A disabled field keeps its value whatever is posted, and says why it stays.
            field.disabled = True
            field.help_text = f"Can no longer change: {reason}."


class FrameForm(forms.Form):
    file = forms.FileField(
        label="Frame (CSV)",
        help_text="Columns member_id and email, plus any attributes such as society, "
        "career_stage or sector.",
    )


class BouncesForm(forms.Form):
    file = forms.FileField(
        label="Bounce list or reports",
        help_text="Your mail service's list of bounced addresses (CSV with an email column, "
        "or one address a line), or the undeliverable reports saved from the mailbox (mbox "
        "or .eml). Only permanent failures count.",
    )


class ScheduleForm(forms.Form):
    on = forms.DateField(
        label="Send reminders on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"They go out at {SCHEDULED_HOUR:02d}:00 that day, to the members who have "
        "not finished by then.",
    )


# Reminders are proposed two weeks after the wave's last e-mail, as member surveys space them.
REMINDER_SPACING = datetime.timedelta(weeks=2)


def proposed_reminder_day(wave: Wave) -> datetime.date:
    """Two weeks after the last e-mail sent or planned (or after opening), by the closing day.

    A Saturday or Sunday gives way to the Monday after (or, past the closing day, the Friday
    before): people answer work surveys on working days, and a reminder read on Monday
    morning is not buried under a weekend's mail.
    """
    last_mail = wave.mailings.with_went_out().aggregate(last=Max("went_out"))["last"]
    latest = max(wave.opens_on, timezone.localdate(last_mail)) if last_mail else wave.opens_on
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    day = max(tomorrow, min(latest + REMINDER_SPACING, wave.closes_on))
    return working_day(day, earliest=tomorrow, latest=max(day, wave.closes_on))


def working_day(
    day: datetime.date, *, earliest: datetime.date, latest: datetime.date
) -> datetime.date:
    """`day`, or the nearest Monday to Friday after it (else before it) within the bounds."""
    if day.weekday() < 5:
        return day
    monday = day + datetime.timedelta(days=7 - day.weekday())
    if monday <= latest:
        return monday
    friday = day - datetime.timedelta(days=day.weekday() - 4)
    return friday if friday >= earliest else day


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=Export.Format.choices)


def _wave(organization: Organization, slug: str) -> Wave:
    return get_object_or_404(
        Wave.objects.select_related("instrument", "organization"),
        slug=slug,
        organization=organization,
    )


@organization_view(Action.VIEW_SURVEY_MONITORING)
@require_safe
def wave_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    waves = list(organization.waves.select_related("instrument"))
    rates = overall_rates(waves)
    for wave in waves:
        wave.overall = rates[wave.pk]
    return render(
        request,
        "surveys/staff/wave_list.html",
        {
            "organization": organization,
            "waves": waves,
            "can_manage": can(request.user, Action.MANAGE_SURVEYS, organization),
        },
    )


@organization_view(Action.MANAGE_SURVEYS)
@require_http_methods(["GET", "HEAD", "POST"])
def instrument_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = InstrumentForm()
    problems: list[str] = []
    if request.method == "POST" and request.POST.get("standard_modules"):
        from workforce.survey.modules import standard_instrument

        instrument = do_add_instrument(standard_instrument(), acting_user=request.user)
        messages.success(
            request,
            f"Imported {instrument.title} (form {instrument.form_id}, "
            f"version {instrument.version}).",
        )
        return redirect("survey_instruments", code=organization.code)
    if request.method == "POST":
        form = InstrumentForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_XLSFORM_BYTES:
                form.add_error("file", f"{upload.name} is larger than 10 MB; is it a form?")
            else:
                try:
                    instrument = do_import_instrument(
                        upload.read(), filename=upload.name, acting_user=request.user
                    )
                except ValidationError as error:
                    problems = error.messages
                    form.add_error("file", f"{upload.name} was not imported; see the problems.")
                else:
                    messages.success(
                        request,
                        f"Imported {instrument.title} (form {instrument.form_id}, "
                        f"version {instrument.version}).",
                    )
                    return redirect("survey_instruments", code=organization.code)
    return render(
        request,
        "surveys/staff/instrument_list.html",
        {
            "organization": organization,
            "instruments": Instrument.objects.select_related("imported_by"),
            "form": form,
            "problems": problems,
        },
        status=400 if problems else 200,
    )


@organization_view(Action.MANAGE_SURVEYS)
@require_http_methods(["GET", "HEAD", "POST"])
def wave_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    today = timezone.localdate()
    form = WaveForm(
        initial={"opens_on": today, "closes_on": today + datetime.timedelta(weeks=OPEN_WEEKS)}
    )
    if request.method == "POST":
        form = WaveForm(request.POST)
        if form.is_valid():
            try:
                wave = do_create_wave(organization, acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Created {wave.name} as a draft.")
                return redirect("survey_wave", code=organization.code, slug=wave.slug)
    return render(
        request, "surveys/staff/wave_new.html", {"organization": organization, "form": form}
    )


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """An action's refusal shown on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@organization_view(Action.MANAGE_SURVEYS)
@require_http_methods(["GET", "HEAD", "POST"])
def wave_settings(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    wave = _wave(organization, slug)
    frozen = frozen_settings(wave)
    current = {name: getattr(wave, name) for name in SETTING_LABELS}
    form = WaveSettingsForm(initial=current, frozen=frozen)
    if request.method == "POST":
        form = WaveSettingsForm(request.POST, initial=current, frozen=frozen)
        if form.is_valid():
            changed = settings_changing(wave, form.cleaned_data)
            try:
                do_change_wave(wave, acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if changed:
                    messages.success(request, f"Saved: the {changed} of {wave.name}.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect("survey_wave", code=organization.code, slug=wave.slug)
    return render(
        request,
        "surveys/staff/wave_settings.html",
        {"organization": organization, "wave": wave, "form": form},
    )


def _wave_page(
    request: HttpRequest,
    organization: Organization,
    wave: Wave,
    *,
    frame_form: FrameForm | None = None,
    frame_problems=None,
    bounces_form: BouncesForm | None = None,
    bounces_skipped: Bounces | None = None,
    schedule_form: ScheduleForm | None = None,
    open_link: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_export = can(user, Action.EXPORT_SURVEY_RESPONSES, organization)
    can_identify = can(user, Action.VIEW_IDENTIFIED_RESPONSES, organization)
    exports = []
    if can_export:
        exports = wave.exports.select_related("created_by")
        if not can_identify:
            exports = exports.filter(identified=False)
    responses = wave.responses.values_list("status", flat=True)
    tables = [
        {"by": by, "label": by.replace("_", " "), "rows": response_rates(wave, by)}
        for by in groupings(wave)
    ]
    timeline = response_timeline(wave)
    context = {
        "organization": organization,
        "wave": wave,
        "timeline": timeline,
        "timeline_chart": _timeline_chart(timeline),
        "overall": response_rates(wave),
        "tables": tables,
        "mailings": wave.mailings.exclude(status=Mailing.Status.SCHEDULED)[:10],
        "scheduled": wave.mailings.planned(),
        "can_schedule": can_schedule(),
        "schedule_form": schedule_form
        or ScheduleForm(initial={"on": proposed_reminder_day(wave)}),
        "active_mailing": wave.mailings.filter(status__in=Mailing.IN_PROGRESS).first(),
        "frame_size": wave.frame.count(),
        "opted_out": wave.frame.filter(opted_out=True).count(),
        "complete_responses": sum(1 for s in responses if s == Response.Status.COMPLETE),
        "partial_responses": sum(1 for s in responses if s == Response.Status.PARTIAL),
        "can_manage": can(user, Action.MANAGE_SURVEYS, organization),
        "can_export": can_export,
        "exports": exports,
        "export_form": ExportForm(),
        "frame_form": frame_form or FrameForm(),
        "frame_problems": frame_problems,
        "bounces_form": bounces_form or BouncesForm(),
        "bounces_skipped": bounces_skipped,
        "open_link": open_link,
    }
    return render(request, "surveys/staff/wave_detail.html", context, status=status)


def _timeline_chart(timeline: ResponseTimeline) -> str:
    """The responses-over-time chart as inline SVG, or "" while there is too little to draw."""
    if not timeline.drawable:
        return ""
    # Altair and vl-convert load on the first chart drawn, not with every worker.
    from workforce.reporting.charts import responses_over_time_chart

    svg = responses_over_time_chart(
        [(day.day, day.completed) for day in timeline.days],
        [(day.day, day.mailed) for day in timeline.days if day.mailed],
        title="Completed responses, day by day",
        description=timeline.description(),
    )
    return mark_safe(svg)  # noqa: S308 - drawn by vl-convert from numbers and escaped labels


@organization_view(Action.VIEW_SURVEY_MONITORING)
@require_safe
def wave_detail(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    return _wave_page(request, organization, _wave(organization, slug))


# The e-mails a wave sends, by the name in the preview's address.
EMAIL_KINDS = {"invitation": False, "reminder": True}  # kind → is a reminder


def _is_reminder(kind: str) -> bool:
    """Whether the e-mail named in the address is the reminder; not found if it is neither."""
    if kind not in EMAIL_KINDS:
        raise Http404("No such e-mail.")
    return EMAIL_KINDS[kind]


@organization_view(Action.VIEW_SURVEY_MONITORING)
@require_safe
def email_preview(
    request: HttpRequest, organization: Organization, slug: str, kind: str
) -> HttpResponse:
    """The invitation or the reminder as members get it, each member's own link aside."""
    reminder = _is_reminder(kind)
    wave = _wave(organization, slug)
    content = message_content(wave, PREVIEW_TOKEN, reminder=reminder)
    return render(
        request,
        "surveys/staff/email_preview.html",
        {
            "organization": organization,
            "wave": wave,
            "kind": kind,
            "message": content,
            "can_manage": can(request.user, Action.MANAGE_SURVEYS, organization),
        },
    )


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def email_test(
    request: HttpRequest, organization: Organization, slug: str, kind: str
) -> HttpResponse:
    """Send the previewed e-mail to the person looking at it, and only to them."""
    reminder = _is_reminder(kind)
    wave = _wave(organization, slug)
    try:
        to = do_send_test_message(wave, reminder=reminder, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"A test of the {kind} was sent to {to}.")
    return redirect("survey_email_preview", code=organization.code, slug=wave.slug, kind=kind)


def _uploaded(form: forms.Form):
    """The form's file when the form is valid and the file at most 50 MB; else None, and the
    form says why."""
    if not form.is_valid():
        return None
    upload = form.cleaned_data["file"]
    if upload.size > MAX_LIST_BYTES:
        form.add_error("file", f"{upload.name} is larger than 50 MB.")
        return None
    return upload


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def wave_frame(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    wave = _wave(organization, slug)
    form = FrameForm(request.POST, request.FILES)
    upload = _uploaded(form)
    if upload is None:
        return _wave_page(request, organization, wave, frame_form=form, status=400)
    try:
        load = do_load_frame(wave, upload.read(), filename=upload.name, acting_user=request.user)
    except ValidationError as error:
        form.add_error("file", error)
        return _wave_page(request, organization, wave, frame_form=form, status=400)
    messages.success(request, f"Added {load.added} member{'s' if load.added != 1 else ''}.")
    if load.problems:
        messages.error(
            request,
            f"{len(load.problems)} row{'s' if len(load.problems) != 1 else ''} of "
            f"{upload.name} could not be added; they are listed below.",
        )
        return _wave_page(request, organization, wave, frame_problems=load.problems)
    return redirect("survey_wave", code=organization.code, slug=wave.slug)


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def wave_bounces(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    """Bounces the mail side reported after sending: those invitations get no reminders."""
    wave = _wave(organization, slug)
    form = BouncesForm(request.POST, request.FILES)
    upload = _uploaded(form)
    if upload is None:
        return _wave_page(request, organization, wave, bounces_form=form, status=400)
    try:
        bounces = bounces_from(upload.read(), upload.name)
    except BounceFileError as error:
        form.add_error("file", str(error))
        return _wave_page(request, organization, wave, bounces_form=form, status=400)
    recorded = do_record_bounces(bounces.addresses, acting_user=request.user, wave=wave)
    count, changed, unmatched = (
        len(bounces.addresses), recorded.invitations, len(recorded.unmatched)
    )
    messages.success(
        request,
        f"{upload.name}: {count} bounced address{'' if count == 1 else 'es'}; {changed} "
        f"invitation{'' if changed == 1 else 's'} of this wave marked bounced"
        + (f"; {unmatched} matched no unfinished invitation here" if unmatched else "")
        + ". They get no reminders.",
    )
    if bounces.skipped:
        return _wave_page(request, organization, wave, bounces_skipped=bounces)
    return redirect("survey_wave", code=organization.code, slug=wave.slug)


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def wave_schedule_reminders(
    request: HttpRequest, organization: Organization, slug: str
) -> HttpResponse:
    wave = _wave(organization, slug)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            mailing = do_schedule_reminders(
                wave, on=form.cleaned_data["on"], acting_user=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Reminders will go out on {mailing.send_after:%-d %B %Y} to the members who "
                "have not finished by then.",
            )
            return redirect("survey_wave", code=organization.code, slug=wave.slug)
    return _wave_page(request, organization, wave, schedule_form=form, status=400)


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def mailing_cancel(
    request: HttpRequest, organization: Organization, slug: str, pk: int
) -> HttpResponse:
    wave = _wave(organization, slug)
    mailing = get_object_or_404(Mailing, pk=pk, wave=wave)
    try:
        do_cancel_mailing(mailing, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"The reminders of {mailing.send_after:%-d %B %Y} are cancelled."
        )
    return redirect("survey_wave", code=organization.code, slug=wave.slug)


def _wave_step(action, done: str):
    """A POST-only step on a wave: run the action, say what happened, back to the wave."""

    @organization_view(Action.MANAGE_SURVEYS)
    @require_POST
    def view(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
        wave = _wave(organization, slug)
        try:
            result = action(wave, acting_user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done.format(wave=wave, result=result))
        return redirect("survey_wave", code=organization.code, slug=wave.slug)

    return view


wave_open = _wave_step(do_open_wave, "{wave.name} is open.")
wave_close = _wave_step(do_close_wave, "{wave.name} is closed; it no longer takes answers.")
wave_invitations = _wave_step(
    do_send_invitations, "Sending {result.total} invitations; progress is shown below."
)
wave_reminders = _wave_step(
    do_send_reminders, "Sending {result.total} reminders; progress is shown below."
)


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def wave_open_link(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    wave = _wave(organization, slug)
    try:
        key = do_create_open_link(wave, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("survey_wave", code=organization.code, slug=wave.slug)
    # Shown on this one page and never again: only its hash is kept.
    link = request.build_absolute_uri(f"/survey/{wave.slug}/open/{key}/")
    return _wave_page(request, organization, wave, open_link=link)


@organization_view(Action.EXPORT_SURVEY_RESPONSES)
@require_POST
def export_new(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    wave = _wave(organization, slug)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the export formats.")
    else:
        export = do_export_responses(wave, form.cleaned_data["format"], acting_user=request.user)
        if export.status == Export.Status.FAILED:
            messages.error(request, f"The export could not be written: {export.error}")
        else:
            messages.success(request, f"{export.get_format_display()} export requested.")
    return redirect("survey_wave", code=organization.code, slug=wave.slug)


@organization_view(Action.EXPORT_SURVEY_RESPONSES)
@require_safe
def export_download(
    request: HttpRequest, organization: Organization, slug: str, pk: int
) -> FileResponse:
    wave = _wave(organization, slug)
    export = get_object_or_404(Export, pk=pk, wave=wave, status=Export.Status.DONE)
    if export.identified and not can(request.user, Action.VIEW_IDENTIFIED_RESPONSES, organization):
        raise Http404("No such export.")
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        log.error("survey.export_file_missing", export_id=export.pk)
        raise Http404("The export file is missing; please request it again.") from None
    return FileResponse(handle, as_attachment=True, filename=export.filename)
