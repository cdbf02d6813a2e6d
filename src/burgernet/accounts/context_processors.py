"""The portal navigation for every staff page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from burgernet.accounts.models import StaffUser
from burgernet.accounts.navigation import nav_for


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if isinstance(user, StaffUser) and getattr(user, "is_verified", lambda: False)():
        return {"portal_nav": nav_for(user, request.path)}
    return {"portal_nav": []}
