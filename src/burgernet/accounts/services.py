"""Staff sign-in: password, then a TOTP second factor, with lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import StaffUser
from burgernet.core import clock

DEMO_TOTP_CODE = "000000"


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never tells whether a user exists)."""


def _is_locked(user: StaffUser) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


@transaction.atomic
def _record_failure(user_id: int) -> None:
    user = StaffUser.objects.select_for_update().get(pk=user_id)
    user.failed_logins += 1
    if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
        user.locked_until = clock.now() + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        user.failed_logins = 0
    user.save(update_fields=["failed_logins", "locked_until"])


def staff_check_password(*, request: HttpRequest, username: str, password: str) -> StaffUser:
    """First step: the password. Counts failures against a known user and locks it out."""
    generic = SignInError("wrong-credentials")
    known = StaffUser.objects.filter(username=username).first()
    if known is not None and _is_locked(known):
        raise SignInError("locked")
    user = authenticate(request, username=username, password=password)
    if user is None or not isinstance(user, StaffUser):
        if known is not None:
            _record_failure(known.pk)
            known.refresh_from_db(fields=["locked_until"])
            if _is_locked(known):
                raise SignInError("locked")
        raise generic
    return user


def staff_device(*, user: StaffUser) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def staff_verify_totp(*, user: StaffUser, code: str, device: TOTPDevice) -> None:
    """Second step: the TOTP code. Demo users may use 000000, only in DEMO_MODE."""
    if _is_locked(user):
        raise SignInError("locked")
    code = code.strip().replace(" ", "")
    if settings.DEMO_MODE and user.is_demo and code == DEMO_TOTP_CODE:
        ok = True
    else:
        ok = code.isdigit() and device.verify_token(code)
    if not ok:
        _record_failure(user.pk)
        user.refresh_from_db(fields=["locked_until"])
        if _is_locked(user):
            raise SignInError("locked")
        raise SignInError("wrong-code")
    StaffUser.objects.filter(pk=user.pk).update(failed_logins=0)


def staff_enrol_device(*, user: StaffUser) -> TOTPDevice:
    """An unconfirmed TOTP device for first sign-in; confirmed once a code verifies."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def staff_confirm_device(*, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])


@transaction.atomic
def staff_reset_second_factor(*, user: StaffUser) -> int:
    """Forget `user`'s authenticators (lost phone): the next sign-in enrols a new one.

    Also lifts a lockout, since the usual reason is a staff member who could not sign in.
    Returns the number of devices removed.
    """
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    StaffUser.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    return removed
