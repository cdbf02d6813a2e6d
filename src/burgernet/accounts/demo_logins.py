"""Demo logins printed by `serve` and `demo` (demo mode only)."""

from __future__ import annotations

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import StaffUser

DEMO_PASSWORD = "burgernet-demo"  # noqa: S105 - only for is_demo users in DEMO_MODE


def demo_login_lines(limit: int = 12) -> list[str]:
    """One line per demo role: username, password, TOTP secret."""
    users = StaffUser.objects.filter(is_demo=True).select_related("organisation").order_by("pk")
    lines = [
        f"Demo logins (password for all: {DEMO_PASSWORD}; second step: the TOTP code from the "
        "secret below, or 000000 in demo mode):"
    ]
    for user in users[:limit]:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        secret = base64.b32encode(device.bin_key).decode() if device else "-"
        org = user.organisation.name if user.organisation else "-"
        lines.append(f"  {user.username:<28} {', '.join(user.roles):<36} {org:<28} TOTP {secret}")
    more = users.count() - limit
    if more > 0:
        lines.append(f"  … and {more} more (burgernet demo_logins --all)")
    return lines
