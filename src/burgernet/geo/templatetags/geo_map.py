"""Template tags for maps: settings the map script needs."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def map_tile_url() -> str:
    """settings.MAP_TILE_URL (empty: no tiles, municipality outlines only)."""
    return str(getattr(settings, "MAP_TILE_URL", ""))


@register.simple_tag
def map_tile_attribution() -> str:
    return str(getattr(settings, "MAP_TILE_ATTRIBUTION", ""))
