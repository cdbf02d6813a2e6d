"""The demo logins printed for newcomers: only in demo mode, with secrets that really work."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_printed_secret_gives_codes_the_device_accepts(settings) -> None:
    settings.DEMO_MODE = True
    user = StaffUserFactory(is_demo=True, username="centralist.test", roles=["dispatcher"])
    StaffUserFactory(username="not.a.demo.user")
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "burgernet-demo" in text
    assert "not.a.demo.user" not in text
    secret = re.search(r"centralist\.test\s.*TOTP ([A-Z2-7]+)$", text, re.M).group(1)
    device = TOTPDevice.objects.get(user=user)
    assert device.verify_token(f"{totp(base64.b32decode(secret)):06d}")


def test_no_demo_logins_outside_demo_mode(settings) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("demo_logins")
