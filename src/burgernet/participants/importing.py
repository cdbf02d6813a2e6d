"""Paper-card import: a CSV checked row by row (dry run), then committed all or nothing.

Columns (header row required, names as below, order free; UTF-8, `;` or `,` as separator):

    naam, email, postcode, huisnummer, woonplaats, telefoon, telefoon_2, spraak, sms,
    talen, categorieen

`spraak`/`sms` are ja/nee (empty: ja) and apply to every number of the row; `talen` and
`categorieen` are codes separated by spaces or `|` (nl en de fr; missing_persons crime
prevention crisis; empty: nl / all). Duplicates (same e-mail or number, in the file or already
registered) are errors: they are reported, never merged.

Between dry run and commit the file travels as a signed, compressed copy in the form (bound to
the staff member, valid one hour), and it is validated again before anything is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from burgernet.accounts.models import StaffUser
from burgernet.participants._phone_tmp import phone_hash
from burgernet.participants.forms import StaffParticipantForm
from burgernet.participants.models import Category, Participant, PhoneNumber, Source
from burgernet.participants.services import (
    ParticipantError,
    ParticipantInput,
    location_check_in_scope,
    location_locate,
    participant_create_by_staff,
)

COLUMNS = (
    "naam",
    "email",
    "postcode",
    "huisnummer",
    "woonplaats",
    "telefoon",
    "telefoon_2",
    "spraak",
    "sms",
    "talen",
    "categorieen",
)
REQUIRED_COLUMNS = ("naam", "postcode", "huisnummer", "woonplaats", "telefoon")
_FIELD_TO_COLUMN = {
    "name": "naam",
    "email": "email",
    "postcode": "postcode",
    "house_number": "huisnummer",
    "city": "woonplaats",
    "phone_1": "telefoon",
    "phone_2": "telefoon_2",
    "phone_1_voice": "spraak",
    "phone_2_voice": "spraak",
    "phone_1_sms": "sms",
    "phone_2_sms": "sms",
    "languages": "talen",
    "categories": "categorieen",
    "lat": "woonplaats",
    "lon": "woonplaats",
}
MAX_ROWS = 5000
_SALT = "burgernet.participants.import"
STAGED_MAX_AGE = 3600


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file (the header is line 1)
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    inputs: list[ParticipantInput] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not self.errors


def _yes(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("", "ja", "j", "yes", "y", "1", "true"):
        return True
    if v in ("nee", "n", "no", "0", "false"):
        return False
    return None


def _codes(value: str) -> list[str]:
    return [c for c in value.replace("|", " ").replace(",", " ").split() if c]


def _decode(content: bytes) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def registry_import_check(*, by: StaffUser, content: bytes) -> ImportReport:
    """Validate every row and field of a paper-card CSV without writing anything."""
    report = ImportReport()
    text = _decode(content)
    if text is None:
        report.errors.append(RowError(0, "", _("The file is not UTF-8 text.")))
        return report
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        report.errors.append(
            RowError(1, ", ".join(missing), _("Required column(s) missing from the header."))
        )
        return report
    seen_email: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(line, "", _("Too many rows (at most 5,000 per file).")))
            break
        errors: list[RowError] = []
        flags = {}
        for column in ("spraak", "sms"):
            flag = _yes(row.get(column, ""))
            if flag is None:
                errors.append(RowError(line, column, _("Enter ja or nee.")))
            flags[column] = bool(flag)
        data = {
            "name": row.get("naam", ""),
            "email": row.get("email", ""),
            "postcode": row.get("postcode", ""),
            "house_number": row.get("huisnummer", ""),
            "city": row.get("woonplaats", ""),
            "phone_1": row.get("telefoon", ""),
            "phone_2": row.get("telefoon_2", ""),
            "languages": _codes(row.get("talen", "")) or ["nl"],
            "categories": _codes(row.get("categorieen", "")) or [c.value for c in Category],
        }
        for n in ("1", "2"):
            if flags["spraak"]:
                data[f"phone_{n}_voice"] = "on"
            if flags["sms"]:
                data[f"phone_{n}_sms"] = "on"
        form = StaffParticipantForm(data)
        if not form.is_valid():
            for name, messages in form.errors.items():
                column = _FIELD_TO_COLUMN.get(name, name)
                if column in ("spraak", "sms") and any(e.column == column for e in errors):
                    continue
                errors.extend(RowError(line, column, str(m)) for m in messages)
            report.errors.extend(errors)
            continue
        inp = form.to_input()
        try:
            point = location_locate(data=inp.locations[0])
            location_check_in_scope(by=by, point=point, field_name="postcode")
        except ParticipantError as exc:
            column = _FIELD_TO_COLUMN.get(exc.field, exc.field)
            errors.append(RowError(line, column, exc.message))
        if inp.email:
            email = inp.email.lower()
            if email in seen_email:
                errors.append(
                    RowError(
                        line,
                        "email",
                        _("Duplicate: same e-mail address as line %(line)s.")
                        % {"line": seen_email[email]},
                    )
                )
            elif Participant.objects.filter(email__iexact=email).exists():
                errors.append(RowError(line, "email", _("Duplicate: already registered.")))
            seen_email.setdefault(email, line)
        for phone, column in zip(inp.phones, ("telefoon", "telefoon_2"), strict=False):
            if phone.e164 in seen_phone:
                errors.append(
                    RowError(
                        line,
                        column,
                        _("Duplicate: same number as line %(line)s.")
                        % {"line": seen_phone[phone.e164]},
                    )
                )
            elif PhoneNumber.objects.filter(number_hash=phone_hash(phone.e164)).exists():
                errors.append(RowError(line, column, _("Duplicate: already registered.")))
            seen_phone.setdefault(phone.e164, line)
        report.errors.extend(errors)
        if not errors:
            report.inputs.append(inp)
    if report.rows == 0 and not report.errors:
        report.errors.append(RowError(0, "", _("The file has no rows.")))
    return report


def registry_import_stage(*, by: StaffUser, content: bytes) -> str:
    """A signed copy of a checked file for the commit step (bound to `by`)."""
    return signing.dumps(
        {"by": by.pk, "csv": content.decode("utf-8-sig")}, salt=_SALT, compress=True
    )


class ImportRejected(ValueError):
    """The staged file is invalid, expired, or no longer passes the checks."""

    def __init__(self, report: ImportReport | None = None) -> None:
        super().__init__("import rejected")
        self.report = report


def registry_import_commit(*, by: StaffUser, staged: str) -> int:
    """Check the staged file again and register every row as a paper-card participant, in one
    transaction: all rows or none. Returns the number of participants created."""
    try:
        payload = signing.loads(staged, salt=_SALT, max_age=STAGED_MAX_AGE)
    except signing.BadSignature as exc:
        raise ImportRejected() from exc
    if payload.get("by") != by.pk:
        raise ImportRejected()
    with transaction.atomic():
        report = registry_import_check(by=by, content=payload["csv"].encode())
        if not report.ok:
            raise ImportRejected(report)
        for inp in report.inputs:
            participant_create_by_staff(by=by, data=inp, source=Source.IMPORT)
    return len(report.inputs)
