"""The e-mails of a wave: an invitation, and reminders, each carrying its own link.

Every message is plain text with an HTML alternative, says what the survey is about (from
the wave's consent text), until when it is open and whom to write to, and carries a second
link to stop further e-mails. The links are the only place a token ever appears in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.text import Truncator

from workforce.platform.surveys.models import Invitation, Wave

# Enough of the consent text to say what the survey is about; the full text is on the first
# page of the survey, before any question.
SUMMARY_WORDS = 90


def survey_link(token: str) -> str:
    return f"{settings.WORKFORCE_BASE_URL}/s/{token}/"


def opt_out_link(token: str) -> str:
    return f"{settings.WORKFORCE_BASE_URL}/s/{token}/opt-out/"


def consent_summary(wave: Wave) -> str:
    """The consent text's first paragraph, shortened to a few sentences."""
    first = wave.consent_text.strip().split("\n\n", 1)[0]
    return Truncator(" ".join(first.split())).words(SUMMARY_WORDS, truncate=" …")


def contact_address(wave: Wave) -> str:
    return wave.contact_email or settings.DEFAULT_FROM_EMAIL


def subject(wave: Wave, *, reminder: bool) -> str:
    if reminder:
        return f"Reminder: {wave.name} closes on {wave.closes_on:%-d %B %Y}"
    return f"Invitation: {wave.name}"


# What a preview shows where each member's message carries their own link.
PREVIEW_TOKEN = "each-members-own-link"


@dataclass(frozen=True)
class MessageContent:
    """An invitation's or reminder's words: the same for every member but for the links."""

    subject: str
    text: str
    html: str
    from_email: str
    reply_to: str
    opt_out_link: str


def message_content(wave: Wave, token: str, *, reminder: bool) -> MessageContent:
    """The message of ``wave`` whose links carry ``token`` (`PREVIEW_TOKEN` for a preview)."""
    context = {
        "wave": wave,
        "organization": wave.organization,
        "reminder": reminder,
        "link": survey_link(token),
        "opt_out_link": opt_out_link(token),
        "summary": consent_summary(wave),
        "contact": contact_address(wave),
        "anonymous": wave.is_anonymous,
        "note": wave.reminder_note if reminder else wave.invitation_note,
    }
    return MessageContent(
        subject=subject(wave, reminder=reminder),
        text=render_to_string("surveys/mail/message.txt", context),
        html=render_to_string("surveys/mail/message.html", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=context["contact"],
        opt_out_link=context["opt_out_link"],
    )


def survey_message(
    invitation: Invitation, token: str, *, reminder: bool, connection=None
) -> EmailMultiAlternatives:
    """The e-mail inviting (or reminding) ``invitation``'s member, with ``token``'s links."""
    content = message_content(invitation.wave, token, reminder=reminder)
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=content.from_email,
        to=[invitation.member.email],
        reply_to=[content.reply_to],
        headers={
            "List-Unsubscribe": f"<{content.opt_out_link}>",
            # RFC 8058 one-click: a mail program posts to the link without opening a page.
            # Large mailbox providers ask it of anyone sending thousands of messages a day.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
    message.attach_alternative(content.html, "text/html")
    return message
