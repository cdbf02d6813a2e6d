"""The action dossier as a PDF for the investigation (ReportLab, ADR 0083).

One document: the action header, the chain check, every dossier event (seq, time in UTC and
local time, actor, kind, payload summary, counts, hash prefix), reach per channel and the
responses, with page numbers and who generated it when. It holds personal data (responses,
phone numbers): the view that serves it writes access log entries. Text is set in Bitstream
Vera, which ReportLab ships, so no system fonts are needed and Dutch characters render.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from burgernet.accounts.models import StaffUser
from burgernet.actions import selectors
from burgernet.actions.dossier import ChainCheck, dossier_verify
from burgernet.actions.models import Action, ActionEvent, Response
from burgernet.core import clock
from burgernet.geo.area import AreaError, Circle, parse_area

FONT, FONT_BOLD = "BurgernetVera", "BurgernetVera-Bold"
HASH_PREFIX = 12
MAX_TEXT = 300


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))


def _style(size: float = 8.5, *, bold: bool = False, leading: float | None = None) -> Any:
    return ParagraphStyle(
        f"s{size}{bold}",
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        leading=leading or size * 1.25,
    )


def _p(text: object, size: float = 8.5, *, bold: bool = False) -> Any:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _style(size, bold=bold))


def _mono(text: str, size: float = 7) -> Any:
    style = ParagraphStyle(f"mono{size}", fontName="Courier", fontSize=size, leading=size * 1.25)
    return Paragraph(escape(text), style)


def _local(at: dt.datetime | None) -> str:
    if at is None:
        return "—"
    utc = at.astimezone(dt.UTC)
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    word = _("local")
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC · {local:%d-%m-%Y %H:%M:%S} {word}"


def _stamp(at: dt.datetime) -> str:
    """A table cell's time: UTC on the first line, local time below it."""
    utc = at.astimezone(dt.UTC)
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    word = _("local")
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC\n{local:%d-%m %H:%M:%S} {word}"


def area_summary(area: Any) -> str:
    """A line describing an area: a circle's radius and centre, or a polygon's size."""
    try:
        parsed = parse_area(area)
    except (AreaError, ValueError, TypeError, KeyError):
        return _("unreadable area")
    if isinstance(parsed, Circle):
        return _("circle of %(km).2f km around %(lat).5f, %(lon).5f") % {
            "km": parsed.radius_m / 1000,
            "lat": parsed.lat,
            "lon": parsed.lon,
        }
    return _("polygon of %(km2).2f km² around %(lat).5f, %(lon).5f") % {
        "km2": parsed.area_m2() / 1e6,
        "lat": parsed.centre[0],
        "lon": parsed.centre[1],
    }


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def payload_summary(payload: dict[str, Any]) -> str:
    """Event details in one readable block: areas summarised, long values shortened."""
    lines = []
    for key, value in sorted(payload.items()):
        if key == "reached":
            continue
        if key in ("area", "from", "to") and isinstance(value, dict):
            lines.append(f"{key}: {area_summary(value)}")
        else:
            lines.append(f"{key}: {_short(value)}")
    return "\n".join(lines)


def counts_summary(payload: dict[str, Any]) -> str:
    reached = payload.get("reached")
    if not isinstance(reached, dict):
        return ""
    return "\n".join(f"{k} {v}" for k, v in sorted(reached.items()))


def chain_text(check: ChainCheck) -> str:
    if check.ok:
        text = _("Chain intact: all %(n)d events verified.") % {"n": check.events}
    else:
        text = _("Chain broken at event %(seq)s: %(reason)s.") % {
            "seq": check.first_broken_seq,
            "reason": check.reason,
        }
    if check.redacted_through:
        text += " " + _(
            "Events 1–%(n)d were redacted at the end of the retention period; they are checked "
            "by their links and the seal in the purge event."
        ) % {"n": check.redacted_through}
    return text


def _table(rows: list[list[Any]], widths: list[float], *, header: bool = True) -> Any:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")))
    table.setStyle(TableStyle(style))
    return table


def _numbered_canvas(header: str, footer: str) -> type:
    """A canvas that writes the header, footer and 'page X of Y' once the page count is known."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                width, height = A4
                self.drawString(15 * mm, height - 10 * mm, header)
                self.drawString(15 * mm, 8 * mm, footer)
                self.drawRightString(
                    width - 15 * mm,
                    8 * mm,
                    _("Page %(page)d of %(pages)d") % {"page": number, "pages": total},
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def dossier_pdf(*, action: Action, by: StaffUser) -> bytes:
    """Render the dossier of `action` as PDF bytes for `by` (who may read the dossier)."""
    _fonts()
    check = dossier_verify(action=action)
    events: list[ActionEvent] = list(selectors.dossier_events(action=action))
    responses: list[Response] = list(Response.objects.filter(action=action).order_by("at"))
    reach = (
        dict(action.retained_figures.get("reached") or {})
        if action.purged_at
        else selectors.reach_summary(action=action)
    )
    title = _("Action dossier #%(id)d: %(type)s") % {
        "id": action.pk,
        "type": capfirst(action.get_type_display()),
    }
    generated = _("Generated at %(at)s by %(who)s") % {
        "at": _local(clock.now()),
        "who": f"{by.get_full_name() or by.username} ({by.username})",
    }
    story: list[Any] = [
        _p(title, 15, bold=True),
        Spacer(1, 2 * mm),
        _p(_("Confidential: contains personal data. For the investigation only."), 8),
        Spacer(1, 4 * mm),
    ]

    status = action.get_status_display()
    if action.exercise:
        status += " · " + _("EXERCISE")
    outcome = action.get_outcome_display() if action.outcome else "—"
    if action.participant_contributed:
        outcome += " · " + _("a participant's information contributed")
    header_rows = [
        [_("Title"), action.title],
        [_("Type"), capfirst(action.get_type_display())],
        [_("Status"), status],
        [_("Control room"), action.dispatch_centre.name],
        [_("Created"), _local(action.created_at)],
        [_("Started"), _local(action.started_at)],
        [_("Closed"), _local(action.closed_at)],
        [_("Published"), _local(action.published_at)],
        [_("Outcome"), outcome],
        [_("Area"), area_summary(action.area)],
        [_("Municipalities"), ", ".join(r.name for r in action.regions.all()) or "—"],
        [_("Channels"), ", ".join(action.channels) or "—"],
        [_("Description"), action.description or "—"],
    ]
    if action.purged_at:
        header_rows.append(
            [
                _("Retention"),
                _("Personal data deleted on %(at)s") % {"at": _local(action.purged_at)},
            ]
        )
    story.append(
        _table(
            [[_p(k, bold=True), _p(v)] for k, v in header_rows],
            [35 * mm, 145 * mm],
            header=False,
        )
    )
    story += [
        Spacer(1, 5 * mm),
        _p(_("Chain check"), 11, bold=True),
        Spacer(1, 1 * mm),
        _p(chain_text(check), 9, bold=not check.ok),
        Spacer(1, 5 * mm),
        _p(_("Reach per channel"), 11, bold=True),
        Spacer(1, 1 * mm),
    ]
    reach_rows = [[_p(_("Channel"), bold=True), _p(_("Reached"), bold=True)]]
    reach_rows += [[_p(k), _p(v)] for k, v in sorted(reach.items())]
    story.append(_table(reach_rows, [60 * mm, 30 * mm]))

    story += [Spacer(1, 5 * mm), _p(_("Events"), 11, bold=True), Spacer(1, 1 * mm)]
    event_rows = [
        [
            _p("#", bold=True),
            _p(_("Time (UTC · local)"), bold=True),
            _p(_("Actor"), bold=True),
            _p(_("Kind"), bold=True),
            _p(_("Details"), bold=True),
            _p(_("Counts"), bold=True),
            _p(_("Hash"), bold=True),
        ]
    ]
    for event in events:
        event_rows.append(
            [
                _p(event.seq, 7.5),
                _p(_stamp(event.at), 7),
                _p(event.actor.username if event.actor else _("system"), 7.5),
                _p(event.kind, 7.5),
                _p(payload_summary(event.payload), 7.5),
                _p(counts_summary(event.payload), 7.5),
                _mono(event.hash[:HASH_PREFIX]),
            ]
        )
    story.append(_table(event_rows, [8 * mm, 35 * mm, 18 * mm, 21 * mm, 55 * mm, 21 * mm, 22 * mm]))

    story += [Spacer(1, 5 * mm), _p(_("Responses"), 11, bold=True), Spacer(1, 1 * mm)]
    if responses:
        response_rows = [
            [
                _p(_("Time (UTC · local)"), bold=True),
                _p(_("Kind"), bold=True),
                _p(_("Participant"), bold=True),
                _p(_("Phone"), bold=True),
                _p(_("Text"), bold=True),
                _p(_("Distance"), bold=True),
            ]
        ]
        for r in responses:
            response_rows.append(
                [
                    _p(_stamp(r.at), 7),
                    _p(r.get_kind_display(), 7.5),
                    _p(r.participant_id or "—", 7.5),
                    _p(r.from_number or "—", 7.5),
                    _p(_short(r.text) + (" " + _("[with photo/video]") if r.media else ""), 7.5),
                    _p(f"{r.distance_m:.0f} m" if r.distance_m is not None else "—", 7.5),
                ]
            )
        story.append(_table(response_rows, [35 * mm, 24 * mm, 22 * mm, 25 * mm, 56 * mm, 18 * mm]))
    else:
        story.append(_p(_("No responses.") if not action.purged_at else _("Deleted at retention.")))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="Burgernet",
        subject=_("Action dossier"),
    )
    doc.build(
        story,
        canvasmaker=_numbered_canvas(f"Burgernet · {title}", generated),
    )
    return out.getvalue()
