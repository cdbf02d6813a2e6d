"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import StaffUser


@pytest.fixture
def login_client() -> Callable[[StaffUser], Client]:
    """A test client signed in as `user`, second factor verified (as after a TOTP step)."""

    def make(user: StaffUser) -> Client:
        client = Client()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make
