"""Pages of the registry: public sign-up, self-service (magic link) and the staff registry.

Views are thin: parse the form, call one service or selector, render.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from burgernet.accounts.models import Role
from burgernet.accounts.permissions import staff_required, staff_user
from burgernet.participants import forms, importing, ratelimit, selectors, services
from burgernet.participants.models import Participant
from burgernet.participants.session import (
    participant_required,
    sign_in,
    sign_out,
)


def _limit(request: HttpRequest, *, scope: str, address: str = "") -> bool:
    """True when this IP (or this submitted address) has tried too often."""
    per_ip = int(getattr(settings, "PARTICIPANTS_RATE_PER_IP", 20))
    per_address = int(getattr(settings, "PARTICIPANTS_RATE_PER_ADDRESS", 5))
    window = int(getattr(settings, "PARTICIPANTS_RATE_WINDOW", 3600))
    limited = ratelimit.hit(
        scope=f"{scope}:ip", key=ratelimit.client_ip(request), limit=per_ip, window_s=window
    )
    if address:
        limited = (
            ratelimit.hit(scope=f"{scope}:addr", key=address, limit=per_address, window_s=window)
            or limited
        )
    return limited


def _posted(request: HttpRequest) -> Any:
    """The POST data when posted (even if empty, so the form is bound and shows errors)."""
    return request.POST if request.method == "POST" else None


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "participants/rate_limited.html", status=429)


def _apply_error(form: Any, exc: services.ParticipantError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- public sign-up -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = forms.SignUpForm(_posted(request))
    if request.method == "POST":
        if _limit(request, scope="signup", address=request.POST.get("email", "")):
            return _too_many(request)
        if form.is_valid():
            try:
                services.participant_sign_up(data=form.to_input())
            except services.ParticipantError as exc:
                _apply_error(form, exc)
            else:
                return redirect("participants:signup_done")
    return render(request, "participants/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "participants/signup_done.html")


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    if request.method == "POST":
        try:
            participant = services.participant_confirm_email(token=token)
        except services.TokenError:
            return render(request, "participants/link_invalid.html", status=400)
        sign_in(request, participant)
        messages.success(request, _("Your e-mail address is confirmed."))
        pending = services.first_unverified_phone(participant=participant)
        if pending is not None:
            return redirect("participants:phone_verify", pk=pending.pk)
        return redirect("participants:manage")
    return render(request, "participants/confirm.html", {"action": request.path})


# --- self-service -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manage_request(request: HttpRequest) -> HttpResponse:
    form = forms.EmailForm(_posted(request))
    if request.method == "POST":
        if _limit(request, scope="manage", address=request.POST.get("email", "")):
            return _too_many(request)
        if form.is_valid():
            services.participant_request_manage_link(email=form.cleaned_data["email"])
            return render(request, "participants/link_sent.html")
    return render(request, "participants/manage_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def manage_login(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            participant = services.participant_sign_in(token=token)
        except services.TokenError:
            return render(request, "participants/link_invalid.html", status=400)
        sign_in(request, participant)
        return redirect("participants:manage")
    return render(request, "participants/confirm.html", {"action": request.path, "login": True})


@require_POST
def manage_logout(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect("participants:manage_request")


def _manage_context(participant: Participant, **extra: Any) -> dict[str, Any]:
    context = {
        "participant": participant,
        "phones": participant.phones.order_by("id"),
        "locations": participant.locations.select_related("region").order_by("id"),
        "preferences_form": forms.PreferencesForm(
            initial={
                "name": participant.name,
                "languages": participant.languages,
                "categories": participant.categories,
            }
        ),
        "email_form": forms.EmailForm(initial={"email": participant.email}),
        "pause_form": forms.PauseForm(initial={"until": participant.paused_until}),
    }
    context.update(extra)
    return context


@participant_required
def manage(request: HttpRequest, participant: Participant) -> HttpResponse:
    return render(request, "participants/manage.html", _manage_context(participant))


@participant_required
@require_POST
def manage_preferences(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = forms.PreferencesForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "participants/manage.html",
            _manage_context(participant, preferences_form=form),
            status=400,
        )
    services.participant_update(participant=participant, **form.cleaned_data)
    messages.success(request, _("Your details are saved."))
    return redirect("participants:manage")


@participant_required
@require_POST
def manage_email(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = forms.EmailForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "participants/manage.html",
            _manage_context(participant, email_form=form),
            status=400,
        )
    services.participant_request_email_change(
        participant=participant, new_email=form.cleaned_data["email"]
    )
    messages.success(request, _("We sent a link to the new address. Follow it to confirm."))
    return redirect("participants:manage")


@require_http_methods(["GET", "POST"])
def confirm_email_change(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            services.participant_confirm_email_change(token=token)
        except services.TokenError:
            return render(request, "participants/link_invalid.html", status=400)
        messages.success(request, _("Your new e-mail address is confirmed."))
        return redirect("participants:manage")
    return render(request, "participants/confirm.html", {"action": request.path})


@participant_required
@require_POST
def manage_pause(request: HttpRequest, participant: Participant) -> HttpResponse:
    if "resume" in request.POST:
        services.participant_pause(participant=participant, until=None)
        messages.success(request, _("You receive messages again."))
        return redirect("participants:manage")
    form = forms.PauseForm(request.POST)
    if form.is_valid():
        try:
            services.participant_pause(participant=participant, until=form.cleaned_data["until"])
        except services.ParticipantError as exc:
            form.add_error("until", exc.message)
        else:
            messages.success(request, _("Messages are paused."))
            return redirect("participants:manage")
    return render(
        request,
        "participants/manage.html",
        _manage_context(participant, pause_form=form),
        status=400,
    )


@participant_required
@require_http_methods(["GET", "POST"])
def location_add(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = forms.LocationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.location_add(participant=participant, data=form.to_input())
        except services.ParticipantError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("The place is added."))
            return redirect("participants:manage")
    return render(request, "participants/location_form.html", {"form": form})


@participant_required
@require_POST
def location_remove(request: HttpRequest, participant: Participant, pk: int) -> HttpResponse:
    try:
        services.location_remove(participant=participant, location_id=pk)
    except services.ParticipantError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The place is removed."))
    return redirect("participants:manage")


@participant_required
@require_http_methods(["GET", "POST"])
def phone_add(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = forms.PhoneForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            phone = services.phone_add(participant=participant, data=form.to_input())
        except services.ParticipantError as exc:
            _apply_error(form, exc)
        else:
            return redirect("participants:phone_verify", pk=phone.pk)
    return render(request, "participants/phone_form.html", {"form": form})


@participant_required
@require_POST
def phone_channels(request: HttpRequest, participant: Participant, pk: int) -> HttpResponse:
    phone = get_object_or_404(participant.phones.all(), pk=pk)
    voice, sms = "voice" in request.POST, "sms" in request.POST
    if not (voice or sms):
        messages.error(request, _("Phone number: choose call, SMS or both for this number."))
    else:
        services.phone_update_channels(phone=phone, voice=voice, sms=sms)
        messages.success(request, _("Your details are saved."))
    return redirect("participants:manage")


@participant_required
@require_POST
def phone_remove(request: HttpRequest, participant: Participant, pk: int) -> HttpResponse:
    try:
        services.phone_remove(participant=participant, phone_id=pk)
    except services.ParticipantError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The number is removed."))
    return redirect("participants:manage")


@participant_required
@require_http_methods(["GET", "POST"])
def phone_verify(request: HttpRequest, participant: Participant, pk: int) -> HttpResponse:
    phone = get_object_or_404(participant.phones.all(), pk=pk)
    if phone.verified_at is not None:
        return redirect("participants:manage")
    form = forms.CodeForm(_posted(request))
    if request.method == "POST":
        if "resend" in request.POST:
            if services.phone_send_code(phone=phone):
                messages.success(request, _("We sent a new code."))
            else:
                messages.error(request, _("Wait a minute before asking for a new code."))
            return redirect("participants:phone_verify", pk=phone.pk)
        if _limit(request, scope="code"):
            return _too_many(request)
        if form.is_valid():
            result = services.phone_verify_code(phone=phone, code=form.cleaned_data["code"])
            if result == services.CodeResult.OK:
                messages.success(request, _("Your number is verified."))
                return redirect("participants:manage")
            form.add_error(
                "code",
                {
                    services.CodeResult.WRONG: _("Code: this code is not right. Try again."),
                    services.CodeResult.EXPIRED: _(
                        "Code: this code has expired. Ask for a new code."
                    ),
                    services.CodeResult.LOCKED: _(
                        "Code: too many wrong attempts. Ask for a new code."
                    ),
                }[result],
            )
    return render(request, "participants/phone_verify.html", {"form": form, "phone": phone})


@participant_required
def manage_export(request: HttpRequest, participant: Participant) -> HttpResponse:
    data = services.participant_export(participant=participant)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="burgernet-mijn-gegevens.json"'
    return response


@participant_required
@require_http_methods(["GET", "POST"])
def manage_erase(request: HttpRequest, participant: Participant) -> HttpResponse:
    form = forms.EraseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.participant_erase(participant=participant)
        request.session.flush()
        return render(request, "participants/erased.html")
    return render(request, "participants/erase.html", {"form": form})


# --- staff registry -----------------------------------------------------------------------------

_REGISTRY = (Role.REGISTRY_OFFICER,)


@staff_required(*_REGISTRY)
def registry(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = forms.RegistryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.participant_registry_list(
        user=user,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        source=filters.get("source", ""),
        category=filters.get("category", ""),
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "participants/registry_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _scoped(request: HttpRequest, pk: int) -> Participant:
    try:
        return selectors.participant_for_staff(user=staff_user(request), pk=pk)
    except Participant.DoesNotExist as exc:
        raise Http404 from exc


@staff_required(*_REGISTRY)
def registry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _scoped(request, pk)
    services.participant_access_log(
        by=staff_user(request), participant=participant, why="registry: detail view"
    )
    return render(request, "participants/registry_detail.html", {"participant": participant})


@staff_required(*_REGISTRY)
@require_http_methods(["GET", "POST"])
def registry_create(request: HttpRequest) -> HttpResponse:
    form = forms.StaffParticipantForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_create_by_staff(
                by=staff_user(request), data=form.to_input()
            )
        except services.ParticipantError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("The participant is registered."))
            return redirect("participants:registry_detail", pk=participant.pk)
    return render(request, "participants/registry_form.html", {"form": form, "create": True})


@staff_required(*_REGISTRY)
@require_http_methods(["GET", "POST"])
def registry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _scoped(request, pk)
    initial = {
        "name": participant.name,
        "email": participant.email,
        "languages": participant.languages,
        "categories": participant.categories,
    }
    form = forms.StaffEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        services.participant_staff_update(
            by=staff_user(request), participant=participant, **form.cleaned_data
        )
        messages.success(request, _("The changes are saved."))
        return redirect("participants:registry_detail", pk=participant.pk)
    services.participant_access_log(
        by=staff_user(request), participant=participant, why="registry: edit form"
    )
    return render(
        request,
        "participants/registry_form.html",
        {"form": form, "participant": participant, "create": False},
    )


@staff_required(*_REGISTRY)
@require_POST
def registry_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _scoped(request, pk)
    services.participant_deactivate(by=staff_user(request), participant=participant)
    messages.success(request, _("The participant is deactivated."))
    return redirect("participants:registry_detail", pk=pk)


@staff_required(*_REGISTRY)
@require_POST
def registry_unreachable(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _scoped(request, pk)
    services.participant_mark_unreachable(by=staff_user(request), participant=participant)
    messages.success(request, _("The participant is marked unreachable."))
    return redirect("participants:registry_detail", pk=pk)


@staff_required(*_REGISTRY)
@require_http_methods(["GET", "POST"])
def registry_import(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    context: dict[str, Any] = {"columns": importing.COLUMNS}
    if request.method == "POST" and "staged" in request.POST:
        commit = forms.ImportCommitForm(request.POST)
        if commit.is_valid():
            try:
                created = importing.registry_import_commit(
                    by=user, staged=commit.cleaned_data["staged"]
                )
            except importing.ImportRejected as exc:
                context["report"] = exc.report
                messages.error(request, _("Nothing was imported: the file no longer passes."))
            else:
                messages.success(
                    request, _("%(count)d participants imported.") % {"count": created}
                )
                return redirect("participants:registry")
        context["form"] = forms.ImportForm()
        return render(request, "participants/registry_import.html", context)
    form = forms.ImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        report = importing.registry_import_check(by=user, content=content)
        context["report"] = report
        if report.ok:
            context["commit_form"] = forms.ImportCommitForm(
                initial={"staged": importing.registry_import_stage(by=user, content=content)}
            )
    context["form"] = form
    return render(request, "participants/registry_import.html", context)


@staff_required(*_REGISTRY)
def registry_recruitment(request: HttpRequest) -> HttpResponse:
    rows = selectors.recruitment_by_municipality(user=staff_user(request))
    return render(request, "participants/registry_recruitment.html", {"rows": rows})
