"""Message texts for actions: the standard Burgernet frame around the description.

Participants receive Dutch texts (as the real Burgernet does); the frame and the per-type
headline live here so the console preview and the sent message are the same function.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from burgernet.actions.models import ActionType

INTRO = "Dit is een oproep van Burgernet."
EXERCISE_PREFIX = "OEFENING - "


@dataclass(frozen=True)
class TypeDefaults:
    headline: str  # names the offence; left out when the dispatcher chooses so
    category: str  # participants' category that must be subscribed
    channels: tuple[str, ...]  # preselected by urgency; the dispatcher can change them
    radius_m: int
    urgent: bool = True


TYPE_DEFAULTS: dict[str, TypeDefaults] = {
    ActionType.MISSING_CHILD: TypeDefaults(
        "Vermist kind.", "missing_persons", ("voice", "sms"), 2000
    ),
    ActionType.MISSING_ELDERLY: TypeDefaults(
        "Vermiste oudere (dementie).", "missing_persons", ("voice", "sms"), 2000
    ),
    ActionType.MISSING_OTHER: TypeDefaults(
        "Vermiste persoon.", "missing_persons", ("voice", "sms"), 2000
    ),
    ActionType.ROBBERY: TypeDefaults("Overval.", "crime", ("voice", "sms"), 3000),
    ActionType.THEFT: TypeDefaults("Diefstal.", "crime", ("sms",), 1500),
    ActionType.BURGLARY: TypeDefaults("Inbraak.", "crime", ("sms",), 1000),
    ActionType.HIT_AND_RUN: TypeDefaults(
        "Doorrijden na aanrijding.", "crime", ("voice", "sms"), 3000
    ),
    ActionType.PURSE_SNATCHING: TypeDefaults("Tasjesroof.", "crime", ("sms",), 1500),
    ActionType.VIOLENCE: TypeDefaults("Geweldsincident.", "crime", ("voice", "sms"), 2000),
    ActionType.SUSPICIOUS_VEHICLE: TypeDefaults("Verdacht voertuig.", "crime", ("sms",), 3000),
    ActionType.PREVENTION: TypeDefaults(
        "Preventie-oproep.", "prevention", ("sms",), 2000, urgent=False
    ),
    ActionType.CRISIS: TypeDefaults("Crisisbericht.", "crisis", ("voice", "sms"), 5000),
}


def outro() -> str:
    return f"Heeft u informatie? Bel gratis {settings.CALLBACK_NUMBER} en blijf aan de lijn."


def compose(
    *, action_type: str, description: str, omit_offence: bool = False, exercise: bool = False
) -> str:
    """The start message: "Dit is een oproep van Burgernet." + headline + description + outro."""
    parts = [INTRO]
    if not omit_offence:
        parts.append(TYPE_DEFAULTS[action_type].headline)
    parts.append(description.strip())
    parts.append(outro())
    text = " ".join(p for p in parts if p)
    return f"{EXERCISE_PREFIX}{text}" if exercise else text


def compose_follow_up(*, text: str, exercise: bool = False) -> str:
    body = f"Burgernet, aanvulling: {text.strip()} {outro()}"
    return f"{EXERCISE_PREFIX}{body}" if exercise else body


CLOSING_DEFAULTS = {
    "found": "De persoon is gevonden. Bedankt voor uw hulp!",
    "apprehended": "Er is een verdachte aangehouden. Bedankt voor uw hulp!",
    "no_result": "De actie is beëindigd zonder resultaat. Bedankt voor uw hulp.",
    "cancelled": "De actie is ingetrokken. U hoeft niet meer uit te kijken.",
}


def compose_closing(*, outcome: str, text: str = "", exercise: bool = False) -> str:
    body = f"Burgernet: de actie is beëindigd. {(text or CLOSING_DEFAULTS[outcome]).strip()}"
    return f"{EXERCISE_PREFIX}{body}" if exercise else body


def voice_script(sms_text: str) -> str:
    """What the voice call reads (the provider adapter reads it twice)."""
    return sms_text
