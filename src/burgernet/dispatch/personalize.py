"""Per-recipient e-mail content: a registry of personalisers by message source.

Dispatch knows no other app. An app that owns messages (e.g. mailings, source_type "mailing")
registers a function that, given a delivery and its message, returns the subject, plain text,
HTML and extra headers for that one recipient (their name, a personal reply link, a
List-Unsubscribe header). `_item` in dispatch.services calls `personalize` for e-mail
deliveries; messages whose source has no personaliser go out as stored.

A personaliser runs in the worker, once per delivery and send attempt, so it must be
deterministic (a retry must produce the same mail) and cheap; it may cache per message on
the `message` instance it gets (one instance per claimed batch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from burgernet.dispatch.models import Delivery, Message


class PersonalMail(NamedTuple):
    subject: str
    text: str
    html: str
    headers: dict[str, str]


Personaliser = Callable[[Delivery, Message], PersonalMail]

_registry: dict[str, Personaliser] = {}


def register(source_type: str, personaliser: Personaliser) -> None:
    """Use `personaliser` for every e-mail delivery of messages with `source_type`."""
    _registry[source_type] = personaliser


def personalize(delivery: Delivery, message: Message) -> PersonalMail | None:
    """The recipient's own mail, or None when the message's source has no personaliser."""
    personaliser = _registry.get(message.source_type)
    if personaliser is None or not message.source_type:
        return None
    return personaliser(delivery, message)
