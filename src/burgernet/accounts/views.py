"""Staff sign-in (password, then TOTP; first sign-in enrols an authenticator) and the portal."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts import selectors, services
from burgernet.accounts.forms import CodeForm, PasswordForm
from burgernet.accounts.models import Organisation, Role, StaffUser
from burgernet.accounts.navigation import nav_for
from burgernet.accounts.permissions import staff_required, staff_user
from burgernet.core import clock

_PENDING = "pending_user_id"
_NEXT = "pending_next"

_MESSAGES = {
    "wrong-credentials": lambda: _("Wrong username or password."),
    "locked": lambda: _(
        "Too many failed attempts: this account is locked for a while. Try again later or "
        "ask your administrator."
    ),
    "wrong-code": lambda: _("That code is not right. Use the current code from your app."),
}


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("portal:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_check_password(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.SignInError as exc:
            error = _MESSAGES[str(exc)]()
        else:
            request.session.cycle_key()
            request.session[_PENDING] = user.pk
            request.session[_NEXT] = _safe_next(request, request.GET.get("next"))
            if services.staff_device(user=user) is None:
                return redirect("accounts:setup_2fa")
            return redirect("accounts:verify")
    return render(request, "accounts/login.html", {"form": form, "error": error})


def _pending_user(request: HttpRequest) -> StaffUser | None:
    user_id = request.session.get(_PENDING)
    return StaffUser.objects.filter(pk=user_id, is_active=True).first() if user_id else None


def _finish(request: HttpRequest, user: StaffUser, device: TOTPDevice) -> HttpResponse:
    next_url = request.session.get(_NEXT) or reverse("portal:home")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    return HttpResponseRedirect(next_url)


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    device = services.staff_device(user=user)
    if device is None:
        return redirect("accounts:setup_2fa")
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_verify_totp(user=user, code=form.cleaned_data["code"], device=device)
        except services.SignInError as exc:
            error = _MESSAGES[str(exc)]()
            if str(exc) == "locked":
                request.session.pop(_PENDING, None)
        else:
            return _finish(request, user, device)
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "error": error, "demo_user": user.is_demo},
    )


@require_http_methods(["GET", "POST"])
def setup_2fa_view(request: HttpRequest) -> HttpResponse:
    """First sign-in: enrol an authenticator app by scanning a QR code, confirm with a code."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if services.staff_device(user=user) is not None:
        return redirect("accounts:verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = services.staff_enrol_device(user=user)
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            services.staff_confirm_device(device=device)
            return _finish(request, user, device)
        error = _MESSAGES["wrong-code"]()
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/setup_2fa.html",
        {
            "form": form,
            "error": error,
            "qr_svg_data": base64.b64encode(buffer.getvalue()).decode(),
            "secret": secret,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@staff_required()
def portal_home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "accounts/portal_home.html",
        {"nav_items": nav_for(user, request.path), "organisation": user.organisation},
    )


@staff_required()
def organisation_list_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "accounts/organisation_list.html",
        {"organisations": selectors.organisation_list(user=user)},
    )


@staff_required()
def organisation_detail_view(request: HttpRequest, organisation_id: int) -> HttpResponse:
    user = staff_user(request)
    try:
        organisation = selectors.organisation_get(user=user, organisation_id=organisation_id)
    except Organisation.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": organisation,
            "parent_visible": selectors.organisation_parent_visible(
                user=user, organisation=organisation
            ),
        },
    )


@staff_required(Role.ADMINISTRATOR)
def staff_list_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "accounts/staff_list.html",
        {"staff": selectors.staff_list(user=user), "now": clock.now()},
    )
