"""View guards for the staff portal: signed in with the second factor, and the right role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from burgernet.accounts.models import StaffUser

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def staff_user(request: HttpRequest) -> StaffUser:
    """The signed-in staff member (only call behind `staff_required`)."""
    user = request.user
    if not isinstance(user, StaffUser):
        raise PermissionDenied
    return user


def staff_required(*roles: str) -> Callable[[V], V]:
    """Require a signed-in, second-factor-verified staff member with one of `roles` (any role
    when none are given)."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            verified = getattr(user, "is_verified", lambda: False)()
            if not user.is_authenticated or not verified:
                return redirect_to_login(request.get_full_path())
            if roles and not any(isinstance(user, StaffUser) and user.has_role(r) for r in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
