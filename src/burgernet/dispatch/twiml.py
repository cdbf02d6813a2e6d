"""TwiML documents we serve or send: the voice alert and incoming-call routing."""

from __future__ import annotations

from django.conf import settings
from twilio.twiml.voice_response import VoiceResponse

LANGUAGE = "nl-NL"


def spoken_number(number: str) -> str:
    """Digits spaced out, so text-to-speech reads 0800-0011 as digits, not as a large number."""
    return " ".join(c for c in number if c.isdigit())


def alert_twiml(text: str) -> str:
    """Read the message twice, then the number to call back on."""
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    response.pause(length=1)
    response.say(text, language=LANGUAGE)
    response.pause(length=1)
    response.say(
        f"Heeft u iets gezien? Bel gratis {spoken_number(settings.CALLBACK_NUMBER)}.",
        language=LANGUAGE,
    )
    return str(response)


def dial_twiml(number: str) -> str:
    """Put the caller through to `number`."""
    response = VoiceResponse()
    response.dial(number)
    return str(response)


def empty_twiml() -> str:
    return str(VoiceResponse())
