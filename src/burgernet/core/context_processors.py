"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Settings the base templates need: demo banner, callback number."""
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "CALLBACK_NUMBER": settings.CALLBACK_NUMBER,
    }
