"""Staff sessions expire after a period without activity."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from burgernet.core import clock

_KEY = "last_activity"


class IdleTimeoutMiddleware:
    """Signs a staff member out after SESSION_IDLE_TIMEOUT seconds without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = clock.now().timestamp()
            last = request.session.get(_KEY)
            if last is not None and now - float(last) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            else:
                request.session[_KEY] = now
        return self.get_response(request)
