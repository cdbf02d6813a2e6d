"""The staff portal's navigation, by role. Apps add their entries here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from burgernet.accounts.models import Role, StaffUser


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...]  # empty: every staff member


NAV: list[NavItem] = [
    NavItem(_("Overview"), "portal:home", ()),
    NavItem(_("Actions"), "actions:console", (Role.DISPATCHER,)),
    NavItem(_("Participants"), "participants:registry", (Role.REGISTRY_OFFICER,)),
    NavItem(
        _("Burgernetmail"),
        "mailings:list",
        (Role.COMMUNICATIONS_OFFICER, Role.BASIC_TEAM_OFFICER),
    ),
    NavItem(_("Dashboard"), "dashboard:home", (Role.DASHBOARD_VIEWER, Role.REGISTRY_OFFICER)),
    NavItem(_("Organisations"), "portal:organisations", ()),
    NavItem(_("Staff"), "portal:staff_list", (Role.ADMINISTRATOR,)),
]


def nav_for(user: StaffUser, current_path: str = "") -> list[dict[str, Any]]:
    """The items `user` may use, skipping those whose pages are not built yet."""
    items = []
    for item in NAV:
        if item.roles and not any(user.has_role(r) for r in item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "current": current_path == url})
    return items
