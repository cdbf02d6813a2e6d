"""Forms of the registry: public sign-up, self-service and staff. Every message names its field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from burgernet.participants._phone_tmp import PhoneError, is_mobile, parse_phone
from burgernet.participants.models import (
    Category,
    Language,
    LocationKind,
    ParticipantStatus,
    Source,
)
from burgernet.participants.services import LocationInput, ParticipantInput, PhoneInput

POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
HOUSE_NUMBER_RE = re.compile(r"^\s*[0-9]{1,5}\s*[A-Za-z0-9 \-/]{0,8}$")


def _msgs(required: Any, invalid: Any = None) -> dict[str, Any]:
    messages = {"required": required}
    if invalid is not None:
        messages["invalid"] = invalid
    return messages


def normalise_postcode(value: str) -> str:
    match = POSTCODE_RE.match(value or "")
    if not match:
        raise forms.ValidationError(_("Postcode: enter four digits and two letters, e.g. 1234 AB."))
    return f"{match.group(1)} {match.group(2).upper()}"


def clean_house_number(value: str) -> str:
    if not HOUSE_NUMBER_RE.match(value or ""):
        raise forms.ValidationError(_("House number: start with a number, e.g. 12 or 12a."))
    return value.strip()


def clean_phone(value: str, *, mobile_only: bool) -> str:
    try:
        e164 = parse_phone(value)
    except PhoneError as exc:
        raise forms.ValidationError(
            _("Phone number: enter a valid number, e.g. 06 12345678 or +32 470 12 34 56.")
        ) from exc
    if mobile_only and not is_mobile(e164):
        raise forms.ValidationError(
            _("Phone number: enter a mobile number; we check it with a code by SMS.")
        )
    return e164


class AccessibleForm(forms.Form):
    """Links each field's error message to its input (`aria-describedby`), beside the help
    text, so screen readers read the error when the field gets focus."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name not in self.fields:
                continue
            auto_id = self[name].auto_id
            ids = [f"{auto_id}_error"]
            if self.fields[name].help_text:
                ids.append(f"{auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


class _TimeInput(forms.TimeInput):
    input_type = "time"


class _DateInput(forms.DateInput):
    input_type = "date"


def _language_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Languages for messages"),
        choices=Language.choices,
        initial=[Language.NL],
        widget=forms.CheckboxSelectMultiple,
        error_messages=_msgs(_("Languages: choose at least one language.")),
    )


def _category_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("What may we ask you to look out for?"),
        choices=Category.choices,
        initial=[c.value for c in Category],
        widget=forms.CheckboxSelectMultiple,
        error_messages=_msgs(_("Subjects: choose at least one subject.")),
    )


class _PersonFields(AccessibleForm):
    """Name, home address, numbers, languages and subjects: shared by sign-up and staff."""

    mobile_only = True

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages=_msgs(_("Name: enter your name.")),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        error_messages=_msgs(
            _("E-mail address: enter your e-mail address."),
            _("E-mail address: enter a valid address, e.g. name@example.nl."),
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        error_messages=_msgs(_("Postcode: enter your postcode.")),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
    )
    house_number = forms.CharField(
        label=_("House number"),
        max_length=20,
        error_messages=_msgs(_("House number: enter your house number.")),
    )
    city = forms.CharField(
        label=_("Town or city"),
        max_length=100,
        error_messages=_msgs(_("Town or city: enter the name of your town or city.")),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    phone_1 = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        help_text=_("Dutch, Belgian or German number; other countries with +country code."),
        error_messages=_msgs(_("Phone number: enter your mobile number.")),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    phone_1_voice = forms.BooleanField(label=_("Call me"), required=False, initial=True)
    phone_1_sms = forms.BooleanField(label=_("Send me an SMS"), required=False, initial=True)
    phone_2 = forms.CharField(
        label=_("Second number (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    phone_2_voice = forms.BooleanField(label=_("Call me"), required=False, initial=True)
    phone_2_sms = forms.BooleanField(label=_("Send me an SMS"), required=False, initial=True)
    languages = _language_field()
    categories = _category_field()

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    def clean_house_number(self) -> str:
        return clean_house_number(self.cleaned_data["house_number"])

    def clean_phone_1(self) -> str:
        return clean_phone(self.cleaned_data["phone_1"], mobile_only=self.mobile_only)

    def clean_phone_2(self) -> str:
        value = self.cleaned_data.get("phone_2", "")
        return clean_phone(value, mobile_only=self.mobile_only) if value.strip() else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in ("1", "2"):
            if data.get(f"phone_{n}") and not (
                data.get(f"phone_{n}_voice") or data.get(f"phone_{n}_sms")
            ):
                self.add_error(
                    f"phone_{n}_sms",
                    _("Phone number: choose call, SMS or both for this number."),
                )
        return data

    def extra_locations(self) -> list[LocationInput]:
        return []

    def to_input(self) -> ParticipantInput:
        d = self.cleaned_data
        phones = [
            PhoneInput(e164=d[f"phone_{n}"], voice=d[f"phone_{n}_voice"], sms=d[f"phone_{n}_sms"])
            for n in ("1", "2")
            if d.get(f"phone_{n}")
        ]
        home = LocationInput(
            kind=LocationKind.HOME,
            postcode=d["postcode"],
            house_number=d["house_number"],
            city=d["city"].strip(),
            lat=d.get("lat"),
            lon=d.get("lon"),
        )
        return ParticipantInput(
            name=d["name"],
            email=d.get("email", ""),
            languages=list(d["languages"]),
            categories=list(d["categories"]),
            phones=phones,
            locations=[home, *self.extra_locations()],
        )


class SignUpForm(_PersonFields):
    """The public sign-up: one page, the second place optional."""

    work_label = forms.CharField(
        label=_("Name of the place"),
        max_length=100,
        required=False,
        help_text=_("e.g. work, school, sports club"),
    )
    work_postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    work_house_number = forms.CharField(label=_("House number"), max_length=20, required=False)
    work_city = forms.CharField(label=_("Town or city"), max_length=100, required=False)
    work_window_start = forms.TimeField(
        label=_("From (time)"),
        required=False,
        widget=_TimeInput,
        error_messages={"invalid": _("From: enter a time, e.g. 08:30.")},
    )
    work_window_end = forms.TimeField(
        label=_("Until (time)"),
        required=False,
        widget=_TimeInput,
        error_messages={"invalid": _("Until: enter a time, e.g. 17:00.")},
    )
    age_confirmed = forms.BooleanField(
        label=_("I am 16 years or older."),
        error_messages=_msgs(_("Age: you can take part from 16 years.")),
    )
    consent = forms.BooleanField(
        label=_("I agree that Burgernet stores and uses my data as described above."),
        error_messages=_msgs(_("Consent: we need your consent to register you.")),
    )

    PERSON = ("name", "email")
    HOME = ("postcode", "house_number", "city", "lat", "lon")
    PHONES = ("phone_1", "phone_1_voice", "phone_1_sms", "phone_2", "phone_2_voice", "phone_2_sms")
    SECOND_PLACE = (
        "work_label",
        "work_postcode",
        "work_house_number",
        "work_city",
        "work_window_start",
        "work_window_end",
    )
    PREFERENCES = ("languages", "categories")
    AGREEMENT = ("age_confirmed", "consent")

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        groups = [
            (_("About you"), self.PERSON),
            (_("Your home address"), self.HOME),
            (_("Your phone numbers"), self.PHONES),
            (_("Another place where you regularly are (optional)"), self.SECOND_PLACE),
            (_("Your preferences"), self.PREFERENCES),
            (_("Agreement"), self.AGREEMENT),
        ]
        return [(title, [self[name] for name in names]) for title, names in groups]

    def clean_work_postcode(self) -> str:
        value = self.cleaned_data.get("work_postcode", "")
        return normalise_postcode(value) if value.strip() else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = any(data.get(f) for f in ("work_postcode", "work_house_number", "work_city"))
        if given:
            for name, message in (
                ("work_postcode", _("Postcode of the other place: enter the postcode.")),
                ("work_house_number", _("House number of the other place: enter the number.")),
                ("work_city", _("Town or city of the other place: enter the town or city.")),
            ):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        if bool(data.get("work_window_start")) != bool(data.get("work_window_end")):
            self.add_error(
                "work_window_end", _("Time window: enter both a start and an end time, or none.")
            )
        return data

    def extra_locations(self) -> list[LocationInput]:
        d = self.cleaned_data
        if not d.get("work_postcode"):
            return []
        return [
            LocationInput(
                kind=LocationKind.WORK,
                label=d.get("work_label", "").strip(),
                postcode=d["work_postcode"],
                house_number=d["work_house_number"].strip(),
                city=d["work_city"].strip(),
                window_start=d.get("work_window_start"),
                window_end=d.get("work_window_end"),
                field_prefix="work_",
            )
        ]


class StaffParticipantForm(_PersonFields):
    """A participant from a paper card (landlines allowed: the card is signed)."""

    mobile_only = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        self.fields["phone_1"].label = _("Phone number")


class EmailForm(AccessibleForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        error_messages=_msgs(
            _("E-mail address: enter your e-mail address."),
            _("E-mail address: enter a valid address, e.g. name@example.nl."),
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PreferencesForm(AccessibleForm):
    name = forms.CharField(
        label=_("Name"), max_length=200, error_messages=_msgs(_("Name: enter your name."))
    )
    languages = _language_field()
    categories = _category_field()


class StaffEditForm(PreferencesForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        error_messages={"invalid": _("E-mail address: enter a valid address.")},
    )


class LocationForm(AccessibleForm):
    kind = forms.ChoiceField(label=_("Kind of place"), choices=LocationKind.choices)
    label = forms.CharField(label=_("Name of the place"), max_length=100, required=False)
    postcode = forms.CharField(
        label=_("Postcode"), max_length=10, error_messages=_msgs(_("Postcode: enter the postcode."))
    )
    house_number = forms.CharField(
        label=_("House number"),
        max_length=20,
        error_messages=_msgs(_("House number: enter the house number.")),
    )
    city = forms.CharField(
        label=_("Town or city"),
        max_length=100,
        error_messages=_msgs(_("Town or city: enter the town or city.")),
    )
    window_start = forms.TimeField(
        label=_("From (time)"),
        required=False,
        widget=_TimeInput,
        error_messages={"invalid": _("From: enter a time, e.g. 08:30.")},
    )
    window_end = forms.TimeField(
        label=_("Until (time)"),
        required=False,
        widget=_TimeInput,
        error_messages={"invalid": _("Until: enter a time, e.g. 17:00.")},
    )

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    def clean_house_number(self) -> str:
        return clean_house_number(self.cleaned_data["house_number"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("window_start")) != bool(data.get("window_end")):
            self.add_error(
                "window_end", _("Time window: enter both a start and an end time, or none.")
            )
        return data

    def to_input(self) -> LocationInput:
        d = self.cleaned_data
        return LocationInput(
            kind=d["kind"],
            label=d.get("label", "").strip(),
            postcode=d["postcode"],
            house_number=d["house_number"],
            city=d["city"].strip(),
            window_start=d.get("window_start"),
            window_end=d.get("window_end"),
        )


class PhoneForm(AccessibleForm):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        error_messages=_msgs(_("Phone number: enter the mobile number.")),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    voice = forms.BooleanField(label=_("Call me"), required=False, initial=True)
    sms = forms.BooleanField(label=_("Send me an SMS"), required=False, initial=True)

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"], mobile_only=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("voice") or data.get("sms")):
            self.add_error("sms", _("Phone number: choose call, SMS or both for this number."))
        return data

    def to_input(self) -> PhoneInput:
        d = self.cleaned_data
        return PhoneInput(e164=d["phone"], voice=d["voice"], sms=d["sms"])


class CodeForm(AccessibleForm):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        error_messages=_msgs(_("Code: enter the 6-digit code from the SMS.")),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class PauseForm(AccessibleForm):
    until = forms.DateField(
        label=_("Pause until and including"),
        widget=_DateInput,
        error_messages=_msgs(
            _("Pause: enter the last day of the pause."),
            _("Pause: enter a date, e.g. 2026-12-31."),
        ),
    )

    def clean_until(self) -> dt.date:
        value: dt.date = self.cleaned_data["until"]
        return value


class EraseForm(AccessibleForm):
    confirm = forms.BooleanField(
        label=_("Yes, delete all my data and sign me off."),
        error_messages=_msgs(_("Confirmation: tick the box to sign off.")),
    )


class RegistryFilterForm(AccessibleForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *ParticipantStatus.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("all")), *Source.choices]
    )
    category = forms.ChoiceField(
        label=_("Subject"), required=False, choices=[("", _("all")), *Category.choices]
    )


class ImportForm(AccessibleForm):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, separated by ; or , — see the column list below."),
        error_messages=_msgs(_("CSV file: choose a file.")),
    )

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("CSV file: the file is larger than 2 MB; split it."))
        return upload


class ImportCommitForm(AccessibleForm):
    staged = forms.CharField(widget=forms.HiddenInput)
