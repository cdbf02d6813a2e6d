"""Burgernetmail: templates, mailings, replies, participants' mail preferences and bounces.

A `Mailing` belongs to the organisation that sends it (a municipality or a basic team) and is
sent through the dispatch engine's e-mail channel on the bulk lane: one dispatch `Message`
(source "mailing", id = mailing id) with one `Delivery` per recipient; each recipient's
personal text (name, reply link, unsubscribe link) is filled in when the delivery is built
(`mailings.personalize`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MailingKind(models.TextChoices):
    INQUIRY = "inquiry", _("digital neighbourhood inquiry")
    PREVENTION = "prevention", _("prevention and information")
    INVITATION = "invitation", _("invitation")
    NEWSLETTER = "newsletter", _("newsletter")


class MailingStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENT = "sent", _("sent")


class TargetKind(models.TextChoices):
    POSTCODES = "postcodes", _("postcodes")
    MUNICIPALITY = "municipality", _("whole municipality")
    AREA = "area", _("drawn area (circle or polygon)")


class MailTemplate(models.Model):
    """An organisation's template (sjabloon): subject, body with placeholders, logo."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="mail_templates"
    )
    name = models.CharField(_("name"), max_length=120)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    logo = models.ImageField(_("logo"), upload_to="mailings/logos/", blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("mail template")

    def __str__(self) -> str:
        return self.name


class Mailing(models.Model):
    """One Burgernetmail: what, to whom (target), when, and from which organisation."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="mailings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mailings"
    )
    template = models.ForeignKey(
        MailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="mailings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MailingKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    # Optional English version, sent to participants who chose English and not Dutch.
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    target_kind = models.CharField(max_length=20, choices=TargetKind.choices)
    postcodes = models.JSONField(default=list, blank=True)
    target_region = models.ForeignKey(
        "geo.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.JSONField(null=True, blank=True)  # GeoJSON circle or polygon
    category = models.CharField(max_length=30, blank=True)  # participants' interest, or all
    allow_replies = models.BooleanField(_("reply button"), default=True)
    reply_days = models.PositiveSmallIntegerField(_("replies accepted for (days)"), default=14)
    status = models.CharField(
        max_length=12, choices=MailingStatus.choices, default=MailingStatus.DRAFT
    )
    send_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    message_id = models.BigIntegerField(null=True, blank=True)  # dispatch.Message
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Burgernetmail")
        indexes = [models.Index(fields=["organisation", "-created_at"], name="mailing_org")]

    def __str__(self) -> str:
        return self.subject


class MailReply(models.Model):
    """A participant's answer through the reply link, in the sending organisation's inbox."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="replies")
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_replies",
    )
    text = models.TextField(_("your message"))
    photo = models.ImageField(upload_to="mailings/replies/", blank=True)
    may_contact = models.BooleanField(_("the police may contact me"), default=False)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("reply")

    def __str__(self) -> str:
        return f"reply {self.pk} to mailing {self.mailing_id}"


class MailPreference(models.Model):
    """A participant's Burgernetmail preferences: quiet hours (local time) and unsubscribe."""

    participant = models.OneToOneField(
        "participants.Participant", on_delete=models.CASCADE, related_name="mail_preference"
    )
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mail preference of participant {self.participant_id}"


class BounceKind(models.TextChoices):
    HARD = "hard", _("hard (permanent)")
    SOFT = "soft", _("soft (temporary)")


class MailBounce(models.Model):
    """A bounce report for an address (from the signed webhook or the bounce mailbox)."""

    address = models.EmailField(db_index=True)
    kind = models.CharField(max_length=4, choices=BounceKind.choices)
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_bounces",
    )
    reason = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=200, blank=True)  # Message-ID or report id
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["address", "reference"],
                condition=~models.Q(reference=""),
                name="mailbounce_once_per_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} bounce {self.pk}"
