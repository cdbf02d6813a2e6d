"""Forms of Burgernetmail: compose, templates, schedule, and the public reply form."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from burgernet.geo.area import AreaError, parse_area
from burgernet.geo.models import Region
from burgernet.mailings.models import MailingKind, MailTemplate, TargetKind
from burgernet.mailings.selectors import Target, parse_postcode

INPUT = {"class": "utrecht-textbox"}
AREA_INPUT = {"class": "utrecht-textarea", "rows": "3"}


class TargetForm(forms.Form):
    """Who a mailing goes to: postcodes, a municipality or a drawn area. `cleaned_data["target"]`
    holds the parsed `Target`. Used alone by the live recipient count while composing."""

    target_kind = forms.ChoiceField(
        label=_("Send to"), choices=TargetKind.choices, widget=forms.RadioSelect
    )
    postcodes = forms.CharField(
        label=_("Postcodes"),
        help_text=_("Four digits (1234) or a full postcode (1234 AB), separated by commas."),
        required=False,
        widget=forms.TextInput(INPUT),
    )
    region = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Region.objects.none(), required=False
    )
    area = forms.CharField(
        label=_("Area (GeoJSON)"),
        help_text=_("Draw a circle or polygon on the map, or paste GeoJSON."),
        required=False,
        widget=forms.Textarea(AREA_INPUT),
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            # Any municipality is accepted here; the service refuses one outside the area (403).
            self.fields["region"].queryset = Region.objects.filter(kind="municipality")  # type: ignore[attr-defined]
            self.region_choices = regions
            self.fields["region"].choices = [("", "---------")] + [  # type: ignore[attr-defined]
                (r.pk, r.name) for r in regions
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("target_kind")
        if kind == TargetKind.POSTCODES:
            codes = []
            for raw in (data.get("postcodes") or "").replace(";", ",").split(","):
                if not raw.strip():
                    continue
                code = parse_postcode(raw)
                if code is None:
                    self.add_error(
                        "postcodes", _("Postcodes: %(value)s is not a postcode.") % {"value": raw}
                    )
                    return data
                codes.append(code)
            if not codes:
                self.add_error("postcodes", _("Postcodes: enter at least one postcode."))
            data["target"] = Target(kind=kind, postcodes=tuple(dict.fromkeys(codes)))
        elif kind == TargetKind.MUNICIPALITY:
            region = data.get("region")
            if region is None:
                self.add_error("region", _("Municipality: choose a municipality."))
            else:
                data["target"] = Target(kind=kind, region_id=region.pk)
        elif kind == TargetKind.AREA:
            raw = (data.get("area") or "").strip()
            if not raw:
                self.add_error("area", _("Area: draw a circle or polygon on the map."))
                return data
            try:
                area = parse_area(json.loads(raw))
            except json.JSONDecodeError:
                self.add_error("area", _("Area: this is not valid GeoJSON."))
                return data
            except AreaError as exc:
                self.add_error("area", _("Area: %(error)s") % {"error": exc})
                return data
            data["target"] = Target(kind=kind, area=area)
        return data


class ComposeForm(TargetForm):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=MailTemplate.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=MailingKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(INPUT))
    body = forms.CharField(
        label=_("Text"),
        help_text=_(
            "Placeholders: {{ naam }}, {{ gemeente }}, {{ reactielink }}, {{ afmeldlink }}."
        ),
        widget=forms.Textarea({"class": "utrecht-textarea", "rows": "10"}),
    )
    subject_en = forms.CharField(
        label=_("Subject (English)"), max_length=200, required=False, widget=forms.TextInput(INPUT)
    )
    body_en = forms.CharField(
        label=_("Text (English)"),
        help_text=_("Optional: sent to participants who chose English and not Dutch."),
        required=False,
        widget=forms.Textarea({"class": "utrecht-textarea", "rows": "4"}),
    )
    allow_replies = forms.BooleanField(label=_("Reply button"), required=False, initial=True)
    reply_days = forms.IntegerField(
        label=_("Replies accepted for (days)"), min_value=1, max_value=90, initial=14
    )

    def __init__(self, *args: Any, templates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if templates is not None:
            self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at (leave empty to send now)"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local", "class": "utrecht-textbox"}),
    )


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, widget=forms.TextInput(INPUT))
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(INPUT))
    body = forms.CharField(
        label=_("Text"),
        help_text=_(
            "Placeholders: {{ naam }}, {{ gemeente }}, {{ reactielink }}, {{ afmeldlink }}."
        ),
        widget=forms.Textarea({"class": "utrecht-textarea", "rows": "8"}),
    )
    logo = forms.ImageField(label=_("Logo"), required=False)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("What did you see or hear?"),
        max_length=5000,
        widget=forms.Textarea({"class": "utrecht-textarea", "rows": "6"}),
    )
    photo = forms.FileField(
        label=_("Photo (optional, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput({"accept": "image/jpeg,image/png"}),
    )
    may_contact = forms.BooleanField(
        label=_("The police may contact me about this"), required=False
    )


class MailPreferenceForm(forms.Form):
    """A participant's own Burgernetmail settings (My Burgernet)."""

    receive = forms.BooleanField(
        label=_("Send me Burgernetmail"),
        help_text=_(
            "Non-urgent messages from your municipality and the police, with a reply button. "
            "Burgernet actions (urgent calls and text messages) are not affected."
        ),
        required=False,
    )
    quiet_start = forms.TimeField(
        label=_("Quiet from"),
        help_text=_("No Burgernetmail between these times; it waits until they end."),
        required=False,
        widget=forms.TimeInput({"type": "time", "class": "utrecht-textbox"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"),
        required=False,
        widget=forms.TimeInput({"type": "time", "class": "utrecht-textbox"}, format="%H:%M"),
    )
