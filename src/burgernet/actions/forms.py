from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from burgernet.actions.models import ActionType, Outcome
from burgernet.core.images import CleanImage, ImageError, image_clean, upload_read
from burgernet.geo.area import Area, AreaError, parse_area

CHANNEL_CHOICES = [
    ("voice", _("voice call")),
    ("sms", _("SMS")),
    ("broadcast", _("broadcast (social and group channels)")),
]


class AreaField(forms.CharField):
    """A GeoJSON area (circle Feature or polygon) drawn on the map."""

    widget = forms.HiddenInput

    def to_python(self, value: Any) -> Area | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_area(json.loads(value))
        except (ValueError, AreaError) as exc:
            message = exc.message if isinstance(exc, AreaError) else str(exc)
            raise forms.ValidationError(
                _("The area is not valid: %(m)s"), params={"m": message}
            ) from None


class PhotoField(forms.FileField):
    """A photo for the app and the public page: sniffed and re-encoded on upload (EXIF and GPS
    removed), so `cleaned_data` holds a `CleanImage`, never the file as sent."""

    widget = forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> CleanImage | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return image_clean(data=upload_read(upload))
        except ImageError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


PHOTO_HELP = _("JPEG, PNG or WebP, at most 10 MB. Location and camera data are removed.")


class ActionForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ActionType.choices)
    title = forms.CharField(label=_("Title (internal)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description (who or what to look for)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
    )
    omit_offence = forms.BooleanField(
        label=_("Leave the offence out of the message"), required=False
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=CHANNEL_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    exercise = forms.BooleanField(label=_("Exercise (mock provider only)"), required=False)
    photo = PhotoField(
        label=_("Photo for the app and the public page (optional)"),
        help_text=PHOTO_HELP,
        required=False,
    )
    area = AreaField(
        label=_("Area"),
        error_messages={"required": _("Click the map to set the incident and area.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from burgernet.actions.announce import broadcast_targets_for

        if not broadcast_targets_for(exercise=False):
            # Nothing configured to broadcast to: no checkbox that can only fail.
            field = self.fields["channels"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [c for c in CHANNEL_CHOICES if c[0] != "broadcast"]


class ExpandForm(forms.Form):
    area = AreaField(label=_("New area"))


class FollowUpForm(forms.Form):
    text = forms.CharField(
        label=_("Follow-up message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=600
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    participant_contributed = forms.BooleanField(
        label=_("Information from a participant contributed"), required=False
    )
    closing_text = forms.CharField(
        label=_("Closing message (empty: the standard text for the outcome)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=600,
    )


class PublishForm(forms.Form):
    public_summary = forms.CharField(
        label=_("Public summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


class PhotoForm(forms.Form):
    photo = PhotoField(label=_("Photo"), help_text=PHOTO_HELP)
