"""The participant registry: participants, their phone numbers and their locations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("website")
    PAPER = "paper", _("paper card")
    STAFF = "staff", _("staff")
    IMPORT = "import", _("import")
    DEMO = "demo", _("demo")


class Category(models.TextChoices):
    MISSING_PERSONS = "missing_persons", _("missing persons")
    CRIME = "crime", _("crime")
    PREVENTION = "prevention", _("prevention")
    CRISIS = "crisis", _("crisis")


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"
    DE = "de", "Deutsch"
    FR = "fr", "Français"


class Channel(models.TextChoices):
    VOICE = "voice", _("voice call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


#: Each category's bit in `Location.reach_categories`. Adding a category means a migration that
#: redefines the database function `participants_reach_categories` (migration 0005).
CATEGORY_BITS: dict[str, int] = {
    Category.MISSING_PERSONS.value: 1,
    Category.CRIME.value: 2,
    Category.PREVENTION.value: 4,
    Category.CRISIS.value: 8,
}


def all_categories() -> list[str]:
    return [c.value for c in Category]


def default_languages() -> list[str]:
    return [Language.NL.value]


class Participant(models.Model):
    """A registered citizen. Reachable only once confirmed, not paused and not deactivated."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A new address waiting for its confirmation link to be followed (self-service change).
    pending_email = models.EmailField(blank=True)
    email_unreachable = models.BooleanField(default=False)
    languages = models.JSONField(_("languages"), default=default_languages)
    categories = models.JSONField(_("categories"), default=all_categories)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, db_index=True)
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("participant")
        # No index for the reach selector here: it reads the locations' reach columns (ADR 0086).

    def __str__(self) -> str:
        return f"participant {self.pk}"

    @property
    def status(self) -> str:
        """One of `ParticipantStatus` (the registry's status filter uses the same rules)."""
        if self.deactivated_at is not None:
            return ParticipantStatus.DEACTIVATED
        if self.confirmed_at is None:
            return ParticipantStatus.UNCONFIRMED
        if self.paused_until is not None and self.paused_until >= timezone.localdate():
            return ParticipantStatus.PAUSED
        return ParticipantStatus.ACTIVE

    def get_status_display(self) -> str:
        return str(ParticipantStatus(self.status).label)

    def category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(c, c)) for c in self.categories or []]

    def language_labels(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(c, c)) for c in self.languages or []]


class ParticipantStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("not yet confirmed")
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    DEACTIVATED = "deactivated", _("deactivated")


class PhoneNumber(models.Model):
    """A number in E.164 with its keyed hash (for caller lookup without scanning)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="phones")
    e164 = models.CharField(_("phone number"), max_length=20)
    number_hash = models.CharField(max_length=64, db_index=True)
    voice = models.BooleanField(_("voice call"), default=True)
    sms = models.BooleanField(_("SMS"), default=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "e164"], name="participants_phone_unique_per_participant"
            )
        ]
        indexes = [
            models.Index(
                fields=["participant"],
                include=["sms", "voice", "verified_at"],
                name="participants_phone_reach",
            )
        ]

    def __str__(self) -> str:
        return self.e164


class LocationKind(models.TextChoices):
    HOME = "home", _("home")
    WORK = "work", _("work")
    OTHER = "other", _("other place")


class LocationPrecision(models.TextChoices):
    ADDRESS = "address", _("address")
    APPROXIMATE = "approximate", _("approximate (postcode area)")
    MAP = "map", _("point on the map")
    MUNICIPALITY = "municipality", _("centre of the municipality")


class Location(models.Model):
    """A place the participant regularly is, geocoded, with its H3 cells and a time window.

    With `window_start`/`window_end` set, the location only counts between those local times
    (a window may cross midnight, e.g. 22:00–06:00 for a night shift).
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="locations")
    kind = models.CharField(max_length=10, choices=LocationKind.choices, default=LocationKind.HOME)
    label = models.CharField(_("label"), max_length=100, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("house number"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NL")
    lat = models.FloatField()
    lon = models.FloatField()
    # Indexed by the covering indexes in Meta.
    h3_r5 = models.BigIntegerField()
    h3_r7 = models.BigIntegerField()
    h3_r9 = models.BigIntegerField()
    region = models.ForeignKey(
        "geo.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    # How exact lat/lon are: geocoded from the address (or only approximately, by the offline
    # geocoder), picked on the map, or only the centre of the municipality (no geocoder);
    # see docs/participants.md.
    precision = models.CharField(
        max_length=12, choices=LocationPrecision.choices, default=LocationPrecision.ADDRESS
    )
    # The participant's reachability, copied onto every location of theirs by database
    # triggers (migration 0005, ADR 0086) so the reach selector and its live counts read one
    # index and never visit the participant or phone tables. Application code never writes
    # these: whatever it saves, the triggers recompute them from the participant and phones.
    #: Confirmed and not deactivated.
    reach_active = models.BooleanField(default=False, editable=False)
    #: The participant's `paused_until` (paused while it is on or after the local date).
    reach_paused_until = models.DateField(null=True, blank=True, editable=False)
    #: The participant's categories as `CATEGORY_BITS`.
    reach_categories = models.SmallIntegerField(default=0, editable=False)
    #: Verified numbers with SMS on, and with voice on.
    reach_sms = models.SmallIntegerField(default=0, editable=False)
    reach_voice = models.SmallIntegerField(default=0, editable=False)
    #: A confirmed e-mail address that does not bounce.
    reach_email = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("location")
        indexes = [
            # Covering cell indexes (PostgreSQL; elsewhere plain indexes). The reach selector
            # reads the whole cover as range scans of the r9 one, index-only, reachability
            # included (ADR 0023, 0086); r5 and r7 serve the mailings' and dashboard's lookups.
            *(
                models.Index(
                    fields=[f"h3_r{res}"],
                    include=["participant", "window_start", "window_end"],
                    name=f"participants_loc_r{res}_cover",
                )
                for res in (5, 7)
            ),
            models.Index(
                fields=["h3_r9"],
                include=[
                    "participant",
                    "window_start",
                    "window_end",
                    "lat",
                    "lon",
                    "id",
                    "reach_active",
                    "reach_paused_until",
                    "reach_categories",
                    "reach_sms",
                    "reach_voice",
                    "reach_email",
                ],
                name="participants_loc_r9_reachable",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class PhoneVerification(models.Model):
    """The pending SMS code of one number: only its keyed hash is stored, with an expiry and
    a count of wrong attempts (after `MAX_ATTEMPTS` the code is dead; request a new one)."""

    MAX_ATTEMPTS = 5

    phone = models.OneToOneField(PhoneNumber, on_delete=models.CASCADE, related_name="verification")
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"verification of phone {self.phone_id}"


class CounterKind(models.TextChoices):
    SIGNUP = "signup", _("sign-up")
    CONFIRMED = "confirmed", _("confirmed")
    SIGNOFF = "signoff", _("sign-off")
    PURGED = "purged", _("unconfirmed, purged")
    DEACTIVATED = "deactivated", _("deactivated")


class RegistryCounter(models.Model):
    """Anonymous daily counts per region (sign-ups, sign-offs, ...) that outlive erasure,
    for trend reporting. Holds no personal data."""

    date = models.DateField()
    # The region's CBS code ("" outside any region): a code, not a key, so counts survive a
    # re-import of the boundaries and NULLs never defeat the unique constraint.
    region_code = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=12, choices=CounterKind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["date", "region_code", "kind"], name="participants_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.region_code} {self.kind}={self.count}"
