"""CAP 1.2 (OASIS Common Alerting Protocol) messages derived from the action dossier.

One CAP document per public message of an action: start → Alert, expansion and follow-up →
Update, closing → Cancel when the action was cancelled, else Update (with responseType
AllClear). Each later message references every earlier one of the same action
("sender,identifier,sent", space separated), so a consumer can follow the chain. Exercise
actions are not published, so every message has status Actual. Each message carries one
`info` block in Dutch and one in English.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from burgernet.actions import public_selectors
from burgernet.actions.models import Action, ActionEvent, ActionType, Outcome
from burgernet.actions.texts import TYPE_DEFAULTS
from burgernet.geo.area import Circle, Polygon, parse_area

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
# ElementTree cannot use a default namespace with unqualified attributes (href, rel), so the
# Atom index uses a prefix: `<atom:feed xmlns:atom=...>` is the same Atom document.
ET.register_namespace("atom", ATOM_NS)

_MISSING = {ActionType.MISSING_CHILD, ActionType.MISSING_ELDERLY, ActionType.MISSING_OTHER}
_CRIME = {
    ActionType.ROBBERY,
    ActionType.THEFT,
    ActionType.BURGLARY,
    ActionType.HIT_AND_RUN,
    ActionType.PURSE_SNATCHING,
    ActionType.VIOLENCE,
    ActionType.SUSPICIOUS_VEHICLE,
}
INSTRUCTION = {
    "nl": "Ziet u iets? Bel gratis {number} en blijf aan de lijn. Bel bij direct gevaar 112.",
    "en": "Did you see something? Call {number} free of charge and stay on the line. "
    "In an emergency call 112.",
}


@dataclass(frozen=True)
class CapMessage:
    action: Action
    seq: int
    step: str  # start | expansion | follow_up | closing
    msg_type: str  # Alert | Update | Cancel
    sent: dt.datetime
    text: str
    area: dict[str, Any]

    @property
    def identifier(self) -> str:
        return f"nl.burgernet.action.{self.action.pk}.{self.seq}"

    @property
    def reference(self) -> str:
        return f"{sender()},{self.identifier},{cap_time(self.sent)}"


def sender() -> str:
    return f"burgernet@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def cap_time(at: dt.datetime) -> str:
    """CAP's dateTime form: seconds, explicit offset, no "Z"."""
    return at.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def category(action_type: str) -> str:
    if action_type in _MISSING:
        return "Rescue"
    if action_type in _CRIME:
        return "Security"
    return "Safety"


def cap_messages(*, action: Action, events: list[ActionEvent]) -> list[CapMessage]:
    """The public messages of one action, oldest first, from its dossier events (which must
    include the `expanding` events, they carry the areas)."""
    expansions = [e for e in events if e.kind == "expanding"]
    area: dict[str, Any] = expansions[0].payload.get("from") if expansions else action.area
    messages: list[CapMessage] = []
    for event in events:
        if event.kind == "expanding":
            area = event.payload.get("to") or area
            continue
        payload = event.payload
        if event.kind == "started":
            step, msg_type, text = "start", "Alert", action.description
        elif event.kind == "expanded":
            step, msg_type, text = "expansion", "Update", action.description
        elif event.kind == "follow_up":
            step, msg_type, text = "follow_up", "Update", str(payload.get("text", ""))
        elif event.kind == "closed":
            if not messages:  # closed before it ever started: nothing was public
                continue
            cancelled = payload.get("outcome") == Outcome.CANCELLED
            step, msg_type = "closing", "Cancel" if cancelled else "Update"
            text = str(payload.get("text", "")) or action.closing_text
        else:
            continue
        messages.append(CapMessage(action, event.seq, step, msg_type, event.at, text, area))
    return messages


def cap_messages_for(*, action_ids: list[int]) -> list[CapMessage]:
    """The public CAP messages of the given actions (drafts and exercises have none)."""
    by_action: dict[int, list[ActionEvent]] = {}
    for event in public_selectors.public_action_messages(action_ids=action_ids):
        by_action.setdefault(event.action_id, []).append(event)
    messages: list[CapMessage] = []
    for events in by_action.values():
        messages.extend(cap_messages(action=events[0].action, events=events))
    return messages


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _area_element(info: ET.Element, area_geojson: dict[str, Any], desc: str) -> None:
    area_el = _sub(info, "area")
    _sub(area_el, "areaDesc", desc)
    area = parse_area(area_geojson)
    if isinstance(area, Circle):
        _sub(area_el, "circle", f"{area.lat:.6f},{area.lon:.6f} {area.radius_m / 1000:.3f}")
    elif isinstance(area, Polygon):
        for polygon in area.polygons:
            ring = list(polygon[0])
            if ring[0] != ring[-1]:
                ring.append(ring[0])
            _sub(area_el, "polygon", " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring))


def cap_document(
    *, message: CapMessage, earlier: list[CapMessage], status: str = "Actual"
) -> bytes:
    """One CAP 1.2 alert document (UTF-8 XML bytes); `status` "Exercise" for exercises (only
    partner webhooks marked exercise get those, the public feed has none)."""
    from burgernet.actions.announce import public_title

    action = message.action
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", message.identifier)
    _sub(alert, "sender", sender())
    _sub(alert, "sent", cap_time(message.sent))
    _sub(alert, "status", status)
    _sub(alert, "msgType", message.msg_type)
    _sub(alert, "scope", "Public")
    if earlier:
        _sub(alert, "references", " ".join(m.reference for m in earlier))
    web = settings.SITE_URL.rstrip("/") + reverse("public:action", args=[action.pk])
    urgent = TYPE_DEFAULTS[action.type].urgent
    closing = message.step == "closing"
    for language in ("nl", "en"):
        with translation.override(language):
            info = _sub(alert, "info")
            _sub(info, "language", "nl-NL" if language == "nl" else "en-GB")
            _sub(info, "category", category(action.type))
            # The type names the offence: left out when the dispatcher chose so.
            event = _("Burgernet action") if action.omit_offence else ActionType(action.type).label
            _sub(info, "event", str(event))
            _sub(info, "responseType", "AllClear" if closing else "Monitor")
            _sub(info, "urgency", "Past" if closing else ("Immediate" if urgent else "Expected"))
            _sub(info, "severity", "Minor" if closing else ("Severe" if urgent else "Moderate"))
            _sub(info, "certainty", "Observed")
            _sub(info, "senderName", "Burgernet")
            headline = public_title(action) or str(ActionType(action.type).label)
            _sub(info, "headline", headline[:160])
            _sub(info, "description", message.text or action.description)
            if not closing:
                number = settings.CALLBACK_NUMBER
                _sub(info, "instruction", INSTRUCTION[language].format(number=number))
            _sub(info, "web", web)
            _sub(info, "contact", settings.CALLBACK_NUMBER)
            desc = ", ".join(r.name for r in action.regions.all()) or "Burgernet"
            _area_element(info, message.area, desc)
    return bytes(
        ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)
    )


def cap_index(*, messages: list[CapMessage], self_url: str) -> bytes:
    """An Atom feed listing the CAP documents, newest first, each linked as application/cap+xml."""

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    base = settings.SITE_URL.rstrip("/")
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", base + reverse("public:cap_index"))
    sub(feed, "title", "Burgernet CAP")
    newest = max((m.sent for m in messages), default=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    sub(feed, "updated", cap_time(newest))
    author = sub(feed, "author")
    sub(author, "name", "Burgernet")
    sub(feed, "link", href=self_url, rel="self")
    for m in sorted(messages, key=lambda m: (m.sent, m.seq), reverse=True):
        url = base + reverse("public:cap_message", args=[m.action.pk, m.seq])
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:burgernet:cap:{m.identifier}")
        sub(entry, "title", f"{m.msg_type}: {m.action.title}")
        sub(entry, "updated", cap_time(m.sent))
        sub(entry, "link", href=url, rel="alternate", type="application/cap+xml")
        sub(entry, "summary", m.text[:500])
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
