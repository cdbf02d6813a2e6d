"""Staff sign-in: password then TOTP, lockout, and the portal behind it."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import Role, StaffUser
from burgernet.accounts.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def current_code(user: StaffUser) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client: Client, username: str, password: str) -> object:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_password_then_totp_reaches_the_portal() -> None:
    user = StaffUserFactory(roles=[Role.REGISTRY_OFFICER])
    client = Client()
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:verify")
    # Not signed in yet: the portal still redirects to the login page.
    assert client.get(reverse("portal:home")).status_code == 302
    response = client.post(reverse("accounts:verify"), {"code": current_code(user)})
    assert response.status_code == 302
    page = client.get(reverse("portal:home"))
    assert page.status_code == 200
    assert user.organisation.name in page.content.decode()


def test_wrong_password_says_so_without_revealing_the_user() -> None:
    user = StaffUserFactory()
    for username in (user.username, "nobody-by-this-name"):
        response = sign_in(Client(), username, "wrong password!")
        assert response.status_code == 200
        assert "Onjuiste gebruikersnaam of wachtwoord" in response.content.decode()


def test_wrong_code_does_not_sign_in() -> None:
    user = StaffUserFactory()
    client = Client()
    sign_in(client, user.username, PASSWORD)
    response = client.post(reverse("accounts:verify"), {"code": "123456"})
    assert response.status_code == 200
    assert client.get(reverse("portal:home")).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password() -> None:
    user = StaffUserFactory()
    for _ in range(3):
        sign_in(Client(), user.username, "wrong password!")
    response = sign_in(Client(), user.username, PASSWORD)
    assert "geblokkeerd" in response.content.decode()
    user.refresh_from_db()
    assert user.locked_until is not None


def test_first_sign_in_enrols_an_authenticator() -> None:
    user = StaffUserFactory(with_device=False)
    client = Client()
    response = sign_in(client, user.username, PASSWORD)
    assert response["Location"] == reverse("accounts:setup_2fa")
    page = client.get(reverse("accounts:setup_2fa"))
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{totp(device.bin_key):06d}"
    assert client.post(reverse("accounts:setup_2fa"), {"code": code}).status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get(reverse("portal:home")).status_code == 200


@pytest.mark.parametrize("demo_mode", [True, False])
def test_demo_code_only_works_for_demo_users_in_demo_mode(demo_mode: bool, settings) -> None:
    settings.DEMO_MODE = demo_mode
    user = StaffUserFactory(is_demo=True)
    client = Client()
    sign_in(client, user.username, PASSWORD)
    client.post(reverse("accounts:verify"), {"code": "000000"})
    expected = 200 if demo_mode else 302
    assert client.get(reverse("portal:home")).status_code == expected


def test_idle_session_expires(login_client, settings) -> None:
    import time_machine

    settings.SESSION_IDLE_TIMEOUT = 60
    user = StaffUserFactory()
    client = login_client(user)
    with time_machine.travel("2026-01-01 10:00:00+00:00", tick=False):
        assert client.get(reverse("portal:home")).status_code == 200
    with time_machine.travel("2026-01-01 10:05:00+00:00", tick=False):
        assert client.get(reverse("portal:home")).status_code == 302


def test_navigation_follows_roles(login_client) -> None:
    dispatcher = StaffUserFactory(roles=[Role.DISPATCHER])
    page = login_client(dispatcher).get(reverse("portal:home")).content.decode()
    assert "Overzicht" in page


def test_after_a_second_factor_reset_the_next_sign_in_enrols_a_new_authenticator() -> None:
    from django.core.management import CommandError, call_command

    user = StaffUserFactory()
    old = TOTPDevice.objects.get(user=user)
    call_command("staff_reset_2fa", user.username, stdout=io.StringIO())
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    response = sign_in(Client(), user.username, PASSWORD)
    assert response["Location"] == reverse("accounts:setup_2fa")
    with pytest.raises(CommandError, match="nobody"):
        call_command("staff_reset_2fa", "nobody")
