"""Reading a bounce mailbox (mbox): delivery status notifications (RFC 3464) become bounce
records; mails to the List-Unsubscribe mailto address unsubscribe their sender's participant.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from burgernet.mailings import rendering, services
from burgernet.mailings.models import BounceKind

_TOKEN_RE = re.compile(r"afmelden\s+(\S+)", re.IGNORECASE)


@dataclass
class MailboxResult:
    hard: int = 0
    soft: int = 0
    unsubscribed: int = 0
    skipped: int = 0
    unreachable: set[str] = field(default_factory=set)


def _status_blocks(message: Message) -> list[Message]:
    """The per-message and per-recipient field blocks of a message/delivery-status part."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                return [p for p in payload if isinstance(p, Message)]
    return []


def _dsn_bounces(message: Message) -> list[tuple[str, str, str]]:
    """(address, hard|soft, reason) per failed or delayed recipient of a DSN."""
    found = []
    for block in _status_blocks(message):
        recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
        action = (block.get("Action") or "").strip().lower()
        status = (block.get("Status") or "").strip()
        if not recipient or action not in ("failed", "delayed"):
            continue
        address = recipient.split(";", 1)[-1].strip()
        kind = BounceKind.HARD if status.startswith("5") and action == "failed" else BounceKind.SOFT
        reason = (block.get("Diagnostic-Code") or status)[:300]
        found.append((address, str(kind), reason))
    return found


def mailbox_process(*, path: Path) -> MailboxResult:
    """Process every message of the mbox at `path` (the caller archives or truncates it)."""
    result = MailboxResult()
    unsubscribe_address = rendering.unsubscribe_mailto().lower()
    for message in mailbox.mbox(path):
        bounces = _dsn_bounces(message)
        reference = (message.get("Message-ID") or "").strip()
        for address, kind, reason in bounces:
            if services.bounce_record(
                address=address, kind=kind, reason=reason, reference=reference
            ):
                result.unreachable.add(address)
            if kind == BounceKind.HARD:
                result.hard += 1
            else:
                result.soft += 1
        if bounces:
            continue
        to = (message.get("To") or "").lower()
        match = _TOKEN_RE.search(message.get("Subject") or "")
        if unsubscribe_address in to and match:
            try:
                services.participant_unsubscribe(token=match.group(1))
            except services.LinkInvalid:
                result.skipped += 1
            else:
                result.unsubscribed += 1
            continue
        result.skipped += 1
    return result
