"""Demo logins printed by `serve` and `demo` (demo mode only)."""

from __future__ import annotations

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.models import StaffUser

DEMO_PASSWORD = "burgernet-demo"  # noqa: S105 - only for is_demo users in DEMO_MODE


def demo_login_lines(limit: int = 12) -> list[str]:
    """One line per demo role: username, password, TOTP secret."""
    users = (
        StaffUser.objects.filter(is_demo=True, is_active=True)
        .select_related("organisation")
        .order_by("pk")
    )
    lines = [
        f"Demo logins (password for all: {DEMO_PASSWORD}; second step: the TOTP code from the "
        "secret below, or 000000 in demo mode):"
    ]
    rows = []
    for user in users[:limit]:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        secret = base64.b32encode(device.bin_key).decode() if device else "-"
        org = user.organisation.name if user.organisation else "-"
        rows.append((user.username, ", ".join(user.roles), org, secret))
    if rows:
        # Columns as wide as their longest value, so the secrets line up for copying.
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for *columns, secret in rows:
            padded = "  ".join(
                value.ljust(width) for value, width in zip(columns, widths, strict=True)
            )
            lines.append(f"  {padded}  TOTP {secret}")
    more = users.count() - limit
    if more > 0:
        lines.append(f"  … and {more} more (burgernet demo_logins --all)")
    return lines
