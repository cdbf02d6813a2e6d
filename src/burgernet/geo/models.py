"""Regions (municipality and neighbourhood boundaries) and their H3 cover for point lookup."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("municipality")
    NEIGHBOURHOOD = "neighbourhood", _("neighbourhood")


class Region(models.Model):
    """A boundary with its inhabitants; GeoJSON geometry in WGS84 ([lon, lat])."""

    kind = models.CharField(max_length=20, choices=RegionKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("CBS statcode"))
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    inhabitants = models.PositiveIntegerField(_("inhabitants"), null=True, blank=True)
    geometry = models.JSONField(_("geometry"))
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")

    def __str__(self) -> str:
        return self.name


class RegionCell(models.Model):
    """A finest-resolution cell that touches a region: the candidate index for point lookup."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="cells")
    cell = models.BigIntegerField(db_index=True)
    # True when the cell lies wholly inside the region, so no exact test is needed.
    interior = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "cell"], name="geo_regioncell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cell:x} in region {self.region_id}"
