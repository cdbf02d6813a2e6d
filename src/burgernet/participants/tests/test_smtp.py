"""The confirmation mail through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Collect, int]]:
    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_confirmation_mail_arrives_over_smtp(
    client: Client,
    regions: Any,
    signup_data: dict[str, Any],
    settings: Any,
    smtp_server: tuple[_Collect, int],
    run_on_commit: Any,
) -> None:
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    with run_on_commit():
        response = client.post(reverse("participants:signup"), signup_data)
    assert response.status_code == 302
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message["To"] == "anna@example.nl"
    assert message["Subject"] == "Bevestig uw aanmelding bij Burgernet"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode(message.get_content_charset() or "utf-8")
    assert "/aanmelden/bevestigen/" in body
    link = "/" + body.split("/aanmelden/bevestigen/", 1)[1].split()[0]
    assert client.get("/aanmelden/bevestigen/" + link.lstrip("/")).status_code == 200
