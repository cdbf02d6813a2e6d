"""E-mail through Django's mail backend (SMTP when EMAIL_HOST is set), HTML with a text part."""

from __future__ import annotations

import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from burgernet.dispatch.providers import register
from burgernet.dispatch.providers.base import (
    EmailAdapter,
    ItemResult,
    OutgoingItem,
    ProviderError,
)


@register
class DjangoMail(EmailAdapter):
    name = "django_mail"

    def send_batch(self, items: list[OutgoingItem]) -> list[ItemResult]:
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ")
        messages: list[EmailMultiAlternatives] = []
        ids: list[str] = []
        for item in items:
            # A stable Message-ID from the idempotency key lets receiving systems drop a resend.
            message_id = (
                f"<{hashlib.sha256(item.idempotency_key.encode()).hexdigest()[:32]}@{domain}>"
            )
            mail = EmailMultiAlternatives(
                subject=item.email_subject,
                body=item.email_text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[item.address],
                headers={**dict(item.email_headers), "Message-ID": message_id},
            )
            if item.email_html:
                mail.attach_alternative(item.email_html, "text/html")
            messages.append(mail)
            ids.append(message_id)
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages(messages)
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
            raise ProviderError(f"smtp: {exc!r}", ambiguous=True) from None
        except smtplib.SMTPException as exc:
            raise ProviderError(f"smtp: {exc!r}") from None
        return [
            ItemResult(item.idempotency_key, "accepted", provider_message_id=mid)
            for item, mid in zip(items, ids, strict=True)
        ]
