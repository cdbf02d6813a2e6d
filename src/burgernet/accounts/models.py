"""Organisations (police units, dispatch centres, basic teams, municipalities) and their staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    NATIONAL = "national", _("national programme office")
    POLICE_UNIT = "police_unit", _("police unit")
    DISPATCH_CENTRE = "dispatch_centre", _("dispatch centre")
    BASIC_TEAM = "basic_team", _("basic team")
    MUNICIPALITY = "municipality", _("municipality")
    PARTNER = "partner", _("partner")


class Organisation(models.Model):
    """An organisation staff belong to.

    Dispatch centres and basic teams have their police unit as parent; a municipality has the
    police unit it belongs to as parent. A municipality links to its boundary `Region`.
    """

    kind = models.CharField(max_length=20, choices=OrganisationKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("e.g. GM0363"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.OneToOneField(
        "geo.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="organisation"
    )
    inhabitants = models.PositiveIntegerField(_("inhabitants"), null=True, blank=True)
    safety_region = models.CharField(_("safety region"), max_length=100, blank=True)
    phone_number = models.CharField(
        _("phone number"), max_length=20, blank=True, help_text=_("E.164; dispatch centres")
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def police_unit_id(self) -> int | None:
        """The police unit this organisation is, or belongs to (None for national/partner)."""
        if self.kind == OrganisationKind.POLICE_UNIT:
            return self.pk
        if self.kind in (
            OrganisationKind.DISPATCH_CENTRE,
            OrganisationKind.BASIC_TEAM,
            OrganisationKind.MUNICIPALITY,
        ):
            return self.parent_id
        return None


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", _("dispatcher")
    BASIC_TEAM_OFFICER = "basic_team_officer", _("basic-team officer")
    REGISTRY_OFFICER = "registry_officer", _("registry officer")
    COMMUNICATIONS_OFFICER = "communications_officer", _("communications officer")
    DASHBOARD_VIEWER = "dashboard_viewer", _("policy officer (dashboard)")
    ADMINISTRATOR = "administrator", _("administrator")


class StaffUser(AbstractUser):
    """A staff member of one organisation, with one or more roles and a TOTP second factor."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    roles = models.JSONField(_("roles"), default=list, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Created by `burgernet demo`; only these may use the demo TOTP bypass, and only in DEMO_MODE.
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("staff user")

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def role_labels(self) -> list[str]:
        """The roles as people read them, in the active language."""
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]
