"""Burgernet actions: one time-critical search request, its dossier and what comes back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionType(models.TextChoices):
    MISSING_CHILD = "missing_child", _("missing child")
    MISSING_ELDERLY = "missing_elderly", _("missing elderly person (dementia)")
    MISSING_OTHER = "missing_other", _("missing person")
    ROBBERY = "robbery", _("robbery")
    THEFT = "theft", _("theft")
    BURGLARY = "burglary", _("burglary or sneak theft")
    HIT_AND_RUN = "hit_and_run", _("hit-and-run")
    PURSE_SNATCHING = "purse_snatching", _("purse snatching")
    VIOLENCE = "violence", _("violence")
    SUSPICIOUS_VEHICLE = "suspicious_vehicle", _("suspicious vehicle")
    PREVENTION = "prevention", _("prevention (modus operandi)")
    CRISIS = "crisis", _("crisis alert")


class ActionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")
    PUBLISHED = "published", _("published")


class Outcome(models.TextChoices):
    FOUND = "found", _("found")
    APPREHENDED = "apprehended", _("apprehended")
    NO_RESULT = "no_result", _("no result")
    CANCELLED = "cancelled", _("cancelled")


class Action(models.Model):
    """A Burgernet action. Changed only through `actions.services`; every step is a dossier
    event."""

    type = models.CharField(_("type"), max_length=30, choices=ActionType.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ActionStatus.choices,
        default=ActionStatus.DRAFT,
        db_index=True,
    )
    dispatch_centre = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="actions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exercise = models.BooleanField(_("exercise"), default=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    omit_offence = models.BooleanField(_("leave the offence out of the message"), default=False)
    area = models.JSONField(_("area"))
    incident_lat = models.FloatField()
    incident_lon = models.FloatField()
    channels = models.JSONField(_("channels"), default=list)
    sms_text = models.TextField(_("SMS text"), blank=True)
    voice_text = models.TextField(_("voice text"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    participant_contributed = models.BooleanField(
        _("a participant's information contributed"), default=False
    )
    closing_text = models.TextField(_("closing message"), blank=True)
    public_summary = models.TextField(_("public summary"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="actions/", blank=True)
    photo_withdrawn = models.BooleanField(default=False)
    # Municipalities the area touches: control rooms of their police units may read the action.
    regions = models.ManyToManyField("geo.Region", blank=True, related_name="actions")
    idempotency_key = models.CharField(max_length=100, blank=True)
    # Hash and length of the dossier chain as last appended: a deleted tail shows up too.
    dossier_head = models.CharField(max_length=64, blank=True)
    dossier_length = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Retention (`services.dossiers_purge_expired`): when the personal parts were deleted, and
    # the counts the dashboard needs that it can no longer compute from the deleted rows.
    purged_at = models.DateTimeField(null=True, blank=True)
    retained_figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("action")
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch_centre", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="actions_action_idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} #{self.pk}"


class ActionEvent(models.Model):
    """One entry of the append-only dossier. Each row carries the hash of its predecessor and
    its own, so any later change, insertion or deletion is detectable (`dossier_verify`)."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["action", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["action", "seq"], name="actions_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action_id}#{self.seq} {self.kind}"


class ActionRecipient(models.Model):
    """Who was reached by an action, on which channel and address: expansion contacts only the
    new ones, the closing message goes to all of them on the channel they were reached on."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="recipients")
    participant_id = models.BigIntegerField()
    channel = models.CharField(max_length=10)
    address = models.CharField(max_length=254)
    distance_m = models.FloatField(null=True, blank=True)
    reached_in = models.PositiveIntegerField(help_text="dossier seq of the start or expansion")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "channel", "address"], name="actions_recipient_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} recipient of action {self.action_id}"


class ResponseKind(models.TextChoices):
    CALL = "call", _("call")
    SMS = "sms", _("SMS reply")
    APP_TIP = "app_tip", _("app tip")
    MAIL_REPLY = "mail_reply", _("mail reply")


class Response(models.Model):
    """What comes back from the public during an action."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="responses")
    kind = models.CharField(max_length=10, choices=ResponseKind.choices)
    at = models.DateTimeField(db_index=True)
    participant_id = models.BigIntegerField(null=True, blank=True)
    from_number = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    media = models.FileField(upload_to="responses/", blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind} for action {self.action_id}"


class ControlRoomToken(models.Model):
    """An API token of one dispatch centre for the control-room API. Only its hash is kept."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text=_("the staff account the control-room system acts as"),
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class IdempotentRequest(models.Model):
    """The stored answer to an API request made with an Idempotency-Key, replayed on repeat."""

    token = models.ForeignKey(ControlRoomToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key", "endpoint"], name="actions_idempotent_request_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
