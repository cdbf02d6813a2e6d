"""Turning a mailing into one recipient's mail: placeholders, HTML + text, links, headers.

Tokens are signed (Django signing, own salts) and deterministic, so a retried delivery builds
exactly the same mail. The reply link expires with the mailing (`reply_days` after sending),
checked on use; the unsubscribe link does not expire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from burgernet.dispatch.models import Delivery, Message
from burgernet.dispatch.personalize import PersonalMail
from burgernet.mailings.models import Mailing
from burgernet.participants.models import Location, LocationKind, Participant

REPLY_SALT = "burgernet.mailings.reply"
UNSUBSCRIBE_SALT = "burgernet.mailings.unsubscribe"

#: Placeholders staff may use in templates and mailings (Dutch, as the staff write Dutch).
PLACEHOLDERS = ("naam", "gemeente", "reactielink", "afmeldlink")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*(naam|gemeente|reactielink|afmeldlink)\s*\}\}")
# Markers for per-recipient values in the cached HTML/text frame (private-use characters
# survive HTML escaping and never occur in staff text).
_MARK = "\ue000{}\ue000"


def reply_token(*, mailing_id: int, participant_id: int) -> str:
    return signing.dumps([mailing_id, participant_id], salt=REPLY_SALT, compress=True)


def read_reply_token(token: str) -> tuple[int, int]:
    """(mailing id, participant id); raises signing.BadSignature."""
    value = signing.loads(token, salt=REPLY_SALT)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise signing.BadSignature("malformed reply token")
    return int(value[0]), int(value[1])


def unsubscribe_token(*, participant_id: int) -> str:
    return signing.dumps(participant_id, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int:
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(value, int):
        raise signing.BadSignature("malformed unsubscribe token")
    return value


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_mailto() -> str:
    if settings.MAILINGS_UNSUBSCRIBE_ADDRESS:
        return str(settings.MAILINGS_UNSUBSCRIBE_ADDRESS)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ")
    return f"afmelden@{domain}"


@dataclass(frozen=True)
class Frame:
    """A mailing rendered once, with markers where each recipient's values go."""

    subject: str
    text: str
    html: str


def _language(mailing: Mailing, languages: list[str]) -> str:
    if mailing.body_en and "en" in languages and "nl" not in languages:
        return "en"
    return "nl"


def render_frame(*, mailing: Mailing, language: str) -> Frame:
    """The mail in `language` with markers for name, municipality and the two links."""
    subject = mailing.subject_en if language == "en" and mailing.subject_en else mailing.subject
    body = mailing.body_en if language == "en" and mailing.body_en else mailing.body

    def text_sub(match: re.Match[str]) -> str:
        return _MARK.format(match.group(1))

    text_body = _PLACEHOLDER_RE.sub(text_sub, body)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", escape(body)) if p.strip()]

    def html_sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("reactielink", "afmeldlink"):
            label = _MARK.format(f"{name}_label")
            return f'<a href="{_MARK.format(name)}">{label}</a>'
        return _MARK.format(name)

    html_paragraphs = [
        mark_safe(_PLACEHOLDER_RE.sub(html_sub, p).replace("\n", "<br>\n"))  # noqa: S308 - escaped above
        for p in paragraphs
    ]
    template = mailing.template
    logo_url = (
        absolute(reverse("mailings:logo", args=[template.pk])) if template and template.logo else ""
    )
    context = {
        "mailing": mailing,
        "subject": subject,
        "paragraphs": html_paragraphs,
        "organisation": mailing.organisation.name,
        "logo_url": logo_url,
        "language": language,
        "reply_url": _MARK.format("reactielink") if mailing.allow_replies else "",
        "unsubscribe_url": _MARK.format("afmeldlink"),
    }
    from django.utils import translation

    with translation.override(language):
        html = render_to_string("mailings/email/mailing.html", context)
        text = render_to_string(
            "mailings/email/mailing.txt", {**context, "body": text_body}
        ).strip()
    return Frame(subject=_PLACEHOLDER_RE.sub(text_sub, subject), text=text, html=html)


def fill(frame: Frame, values: dict[str, str]) -> tuple[str, str, str]:
    """Put one recipient's values into the frame: (subject, text, html)."""

    def put(value: str, *, html: bool) -> str:
        for key, replacement in values.items():
            value = value.replace(_MARK.format(key), escape(replacement) if html else replacement)
        return value

    return put(frame.subject, html=False), put(frame.text, html=False), put(frame.html, html=True)


def recipient_values(
    *, mailing: Mailing, participant_id: int | None, name: str, municipality: str, language: str
) -> dict[str, str]:
    reply = ""
    unsubscribe = ""
    if participant_id is not None:
        if mailing.allow_replies:
            reply = absolute(
                reverse(
                    "mailings:reply",
                    args=[reply_token(mailing_id=mailing.pk, participant_id=participant_id)],
                )
            )
        unsubscribe = absolute(
            reverse("mailings:unsubscribe", args=[unsubscribe_token(participant_id=participant_id)])
        )
    english = language == "en"
    return {
        "naam": name,
        "gemeente": municipality,
        "reactielink": reply,
        "reactielink_label": "Reply to this mail" if english else "Reageer op deze mail",
        "afmeldlink": unsubscribe,
        "afmeldlink_label": "Unsubscribe" if english else "Afmelden",
    }


def list_unsubscribe_headers(*, participant_id: int) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (mailto and https) with RFC 8058 one-click."""
    token = unsubscribe_token(participant_id=participant_id)
    url = absolute(reverse("mailings:unsubscribe", args=[token]))
    return {
        "List-Unsubscribe": f"<mailto:{unsubscribe_mailto()}?subject=afmelden%20{token}>, <{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _batch_people(*, delivery: Delivery, mailing: Mailing) -> dict[int, tuple[str, list[str], str]]:
    """participant id → (name, languages, home municipality) for every delivery of this
    message in the same claimed batch (one claim token): two queries per batch, not per mail."""
    ids: list[int] = [delivery.recipient_ref] if delivery.recipient_ref is not None else []
    if delivery.claimed_by:
        batch = Delivery.objects.filter(
            message_id=delivery.message_id,
            claimed_by=delivery.claimed_by,
            recipient_ref__isnull=False,
        ).values_list("recipient_ref", flat=True)
        ids.extend(ref for ref in batch if ref is not None and ref != delivery.recipient_ref)
    home: dict[int, str] = {}
    first: dict[int, str] = {}
    for participant_id, kind, region_name in (
        Location.objects.filter(participant_id__in=ids, region__isnull=False)
        .order_by("id")
        .values_list("participant_id", "kind", "region__name")
    ):
        first.setdefault(participant_id, str(region_name))
        if kind == LocationKind.HOME:
            home.setdefault(participant_id, str(region_name))
    municipality = {**first, **home}  # the home location's municipality wins
    return {
        pid: (name, list(languages or ["nl"]), municipality.get(pid, mailing.organisation.name))
        for pid, name, languages in Participant.objects.filter(pk__in=ids).values_list(
            "id", "name", "languages"
        )
    }


def personalize_mailing(delivery: Delivery, message: Message) -> PersonalMail:
    """dispatch.personalize hook for source "mailing": this recipient's mail."""
    cache: dict[str, object] = message.__dict__.setdefault("_mailing_cache", {})
    mailing = cache.get("mailing")
    if not isinstance(mailing, Mailing):
        mailing = Mailing.objects.select_related("organisation", "template").get(
            pk=int(message.source_id)
        )
        cache["mailing"] = mailing
    participant_id = delivery.recipient_ref
    name, languages, municipality = "", ["nl"], mailing.organisation.name
    if participant_id is not None:
        people = cache.get(f"batch:{delivery.claimed_by}")
        if not isinstance(people, dict) or participant_id not in people:
            people = _batch_people(delivery=delivery, mailing=mailing)
            cache[f"batch:{delivery.claimed_by}"] = people
        if participant_id in people:
            name, languages, municipality = people[participant_id]
    language = _language(mailing, languages)
    frame = cache.get(f"frame:{language}")
    if not isinstance(frame, Frame):
        frame = render_frame(mailing=mailing, language=language)
        cache[f"frame:{language}"] = frame
    values = recipient_values(
        mailing=mailing,
        participant_id=participant_id,
        name=name,
        municipality=municipality,
        language=language,
    )
    subject, text, html = fill(frame, values)
    headers = (
        list_unsubscribe_headers(participant_id=participant_id)
        if participant_id is not None
        else {}
    )
    return PersonalMail(subject=subject, text=text, html=html, headers=headers)


def sample_mail(*, mailing: Mailing, name: str, language: str = "nl") -> tuple[str, str, str]:
    """The mail as a sample recipient would get it (preview, test send): links are inert."""
    frame = render_frame(mailing=mailing, language=language)
    values = recipient_values(
        mailing=mailing,
        participant_id=None,
        name=name,
        municipality=mailing.organisation.name,
        language=language,
    )
    values["reactielink"] = absolute(reverse("mailings:reply", args=["voorbeeld"]))
    values["afmeldlink"] = absolute(reverse("mailings:unsubscribe", args=["voorbeeld"]))
    return fill(frame, values)
