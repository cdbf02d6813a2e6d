"""Views of Burgernetmail: the staff composer and inbox, the public reply and unsubscribe
pages, and the bounce webhook. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import mimetypes
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from burgernet.accounts.models import Role
from burgernet.accounts.permissions import staff_required, staff_user
from burgernet.core import clock
from burgernet.core.models import AccessLogEntry
from burgernet.mailings import rendering, selectors, services
from burgernet.mailings.forms import (
    ComposeForm,
    MailPreferenceForm,
    ReplyForm,
    ScheduleForm,
    TargetForm,
    TemplateForm,
)
from burgernet.mailings.models import MailingKind, MailPreference, MailTemplate
from burgernet.participants.models import Participant
from burgernet.participants.session import participant_required

SENDERS = (Role.COMMUNICATIONS_OFFICER, Role.BASIC_TEAM_OFFICER)


def _compose_form(request: HttpRequest, data: Any = None) -> ComposeForm:
    user = staff_user(request)
    regions = list(selectors.sending_regions(user.organisation)) if user.organisation else []
    return ComposeForm(data, templates=selectors.templates_visible(user=user), regions=regions)


@staff_required(*SENDERS)
def mailing_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    services.mailings_mark_due_sent()
    return render(
        request,
        "mailings/list.html",
        {"mailings": selectors.mailings_visible(user=user)[:100]},
    )


@staff_required(*SENDERS)
@require_http_methods(["GET", "POST"])
def mailing_compose(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    reach: int | None = None
    if request.method == "POST":
        form = _compose_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            mailing_data = services.MailingData(
                kind=data["kind"],
                subject=data["subject"],
                body=data["body"],
                subject_en=data["subject_en"],
                body_en=data["body_en"],
                target=data["target"],
                allow_replies=data["allow_replies"],
                reply_days=data["reply_days"],
                template=data["template"],
            )
            if request.POST.get("action") == "reach":
                services.target_check(by=user, target=mailing_data.target)
                reach = len(
                    selectors.mailing_recipients(
                        target=mailing_data.target,
                        organisation=user.organisation,  # type: ignore[arg-type]
                        category=selectors.KIND_CATEGORY.get(data["kind"]),
                        at=clock.now(),
                    )
                )
            else:
                try:
                    mailing = services.mailing_create(by=user, data=mailing_data)
                except services.MailingError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    return HttpResponseRedirect(reverse("mailings:detail", args=[mailing.pk]))
    else:
        initial: dict[str, Any] = {"target_kind": "postcodes", "allow_replies": True}
        template_id = request.GET.get("template", "")
        if template_id.isdigit():
            template = selectors.templates_visible(user=user).filter(pk=int(template_id)).first()
            if template is not None:
                initial.update(template=template, subject=template.subject, body=template.body)
        form = _compose_form(request)
        form.initial.update(initial)
    return render(request, "mailings/compose.html", {"form": form, "reach": reach})


@staff_required(*SENDERS)
@require_POST
def mailing_reach_count(request: HttpRequest) -> JsonResponse:
    """The live recipient count while composing: the target fields of the compose form in,
    `{"count": n, "text": "..."}` out, or problem+json naming the field that is wrong."""
    user = staff_user(request)
    regions = list(selectors.sending_regions(user.organisation)) if user.organisation else []
    form = TargetForm(request.POST, regions=regions)
    if not form.is_valid() or "target" not in form.cleaned_data:
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        first = next(iter(errors.values()), [_("Choose who the mailing goes to.")])[0]
        response = _problem(400, first)
        response.content = json.dumps(
            {**json.loads(response.content), "errors": errors}, ensure_ascii=False
        ).encode()
        return response
    target = form.cleaned_data["target"]
    try:
        services.target_check(by=user, target=target)
    except PermissionDenied:
        return _problem(403, _("This target lies outside your municipality."))
    kind = request.POST.get("kind", "")
    count = len(
        selectors.mailing_recipients(
            target=target,
            organisation=user.organisation,  # type: ignore[arg-type]
            category=selectors.KIND_CATEGORY.get(kind) if kind in MailingKind.values else None,
            at=clock.now(),
        )
    )
    text = ngettext(
        "This mailing would reach %(n)s participant.",
        "This mailing would reach %(n)s participants.",
        count,
    ) % {"n": count}
    return JsonResponse({"count": count, "text": text})


def _mailing_or_404(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(selectors.mailings_visible(user=staff_user(request)), pk=pk)


@staff_required(*SENDERS)
@require_http_methods(["GET", "POST"])
def mailing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    services.mailings_mark_due_sent()
    mailing = _mailing_or_404(request, pk)
    schedule = ScheduleForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "test":
                services.mailing_send_test(by=user, mailing=mailing)
                messages.success(
                    request, _("A test mail is on its way to %(email)s.") % {"email": user.email}
                )
                return HttpResponseRedirect(request.path)
            if action == "send" and schedule.is_valid():
                services.mailing_send(
                    by=user, mailing=mailing, send_at=schedule.cleaned_data["send_at"]
                )
                messages.success(request, _("The mailing is sent or scheduled."))
                return HttpResponseRedirect(request.path)
        except services.MailingError as exc:
            schedule.add_error(exc.field if exc.field in schedule.fields else None, exc.message)
    return render(
        request,
        "mailings/detail.html",
        {
            "mailing": mailing,
            "schedule": schedule,
            "reach": selectors.mailing_reach(mailing=mailing)
            if mailing.status == "draft"
            else None,
            "progress": selectors.mailing_progress(mailing=mailing),
            "replies": selectors.replies_visible(user=user, mailing_id=mailing.pk).count(),
        },
    )


@staff_required(*SENDERS)
def mailing_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML mail as a recipient sees it (sample name; links lead to sample pages)."""
    mailing = _mailing_or_404(request, pk)
    language = "en" if request.GET.get("lang") == "en" else "nl"
    _subject, text, html = rendering.sample_mail(
        mailing=mailing, name="Anna de Vries", language=language
    )
    if request.GET.get("format") == "text":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return HttpResponse(html)


def _log_reply_access(request: HttpRequest, replies: Any, why: str) -> None:
    user = staff_user(request)
    now = clock.now()
    AccessLogEntry.objects.bulk_create(
        [
            AccessLogEntry(staff=user, participant_id=r.participant_id, at=now, why=why)
            for r in replies
            if r.participant_id is not None and r.may_contact
        ]
    )


@staff_required(*SENDERS)
def inbox(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    mailing_id = request.GET.get("mailing", "")
    replies = list(
        selectors.replies_visible(
            user=user, mailing_id=int(mailing_id) if mailing_id.isdigit() else None
        )[:200]
    )
    _log_reply_access(request, replies, "Burgernetmail inbox")
    return render(request, "mailings/inbox.html", {"replies": replies, "mailing_id": mailing_id})


@staff_required(*SENDERS)
def inbox_csv(request: HttpRequest) -> HttpResponse:
    """Every reply of the organisation as CSV; name and address only with consent."""
    user = staff_user(request)
    replies = list(selectors.replies_visible(user=user))
    _log_reply_access(request, replies, "Burgernetmail inbox CSV export")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="burgernetmail-reacties.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["received_at", "mailing", "subject", "text", "photo", "may_contact", "name", "email"]
    )
    for r in replies:
        contact = r.participant if r.may_contact else None
        writer.writerow(
            [
                r.received_at.isoformat(),
                r.mailing_id,
                r.mailing.subject,
                r.text,
                "yes" if r.photo else "",
                "yes" if r.may_contact else "no",
                contact.name if contact else "",
                contact.email if contact else "",
            ]
        )
    return response


@staff_required(*SENDERS)
def reply_photo(request: HttpRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(selectors.replies_visible(user=staff_user(request)), pk=pk)
    if not reply.photo:
        raise Http404
    content_type = mimetypes.guess_type(reply.photo.name)[0] or "application/octet-stream"
    with reply.photo.open("rb") as photo:
        return HttpResponse(photo.read(), content_type=content_type)


@staff_required(*SENDERS)
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = TemplateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_create(
                by=user,
                name=form.cleaned_data["name"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                logo=form.cleaned_data["logo"],
            )
        except services.MailingError as exc:
            form.add_error("logo", exc.message)
        else:
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "mailings/templates.html",
        {"templates": selectors.templates_visible(user=user), "form": form},
    )


def template_logo(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: the logo shown in sent mails (re-encoded on upload)."""
    template = get_object_or_404(MailTemplate, pk=pk)
    if not template.logo:
        raise Http404
    content_type = mimetypes.guess_type(template.logo.name)[0] or "image/jpeg"
    with template.logo.open("rb") as logo:
        return HttpResponse(logo.read(), content_type=content_type)


# --- Public pages ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def reply(request: HttpRequest, token: str) -> HttpResponse:
    try:
        mailing, _participant = services.reply_link_check(token=token)
    except services.LinkInvalid:
        return render(request, "mailings/link_invalid.html", status=404)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_submit(
                token=token,
                text=form.cleaned_data["text"],
                photo=form.cleaned_data["photo"],
                may_contact=form.cleaned_data["may_contact"],
            )
        except services.MailingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except services.LinkInvalid:
            return render(request, "mailings/link_invalid.html", status=404)
        else:
            return render(request, "mailings/reply_done.html", {"mailing": mailing})
    return render(request, "mailings/reply.html", {"form": form, "mailing": mailing})


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners must not unsubscribe anyone); POST does it."""
    if request.method == "GET":
        try:
            rendering.read_unsubscribe_token(token)
        except signing.BadSignature:
            return render(request, "mailings/link_invalid.html", status=404)
        return render(request, "mailings/unsubscribe.html", {"token": token})
    try:
        services.participant_unsubscribe(token=token)
    except services.LinkInvalid:
        return render(request, "mailings/link_invalid.html", status=404)
    return render(request, "mailings/unsubscribed.html")


@participant_required
@require_http_methods(["GET", "POST"])
def my_preferences(request: HttpRequest, participant: Participant) -> HttpResponse:
    """My Burgernet → Burgernetmail: receive it or not, and quiet hours."""
    if request.method == "POST":
        form = MailPreferenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.mail_preference_set(
                    participant=participant,
                    quiet_start=data["quiet_start"],
                    quiet_end=data["quiet_end"],
                    receive=data["receive"],
                )
            except services.MailingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your Burgernetmail settings are saved."))
                return HttpResponseRedirect(reverse("mailings:my_preferences"))
        status = 400
    else:
        preference = MailPreference.objects.filter(participant=participant).first()
        form = MailPreferenceForm(
            initial={
                "receive": preference is None or preference.unsubscribed_at is None,
                "quiet_start": preference.quiet_start if preference else None,
                "quiet_end": preference.quiet_end if preference else None,
            }
        )
        status = 200
    return render(request, "mailings/my_preferences.html", {"form": form}, status=status)


@csrf_exempt  # authenticated by an HMAC signature instead
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    """Bounce reports as JSON {"address", "kind": hard|soft, "reason", "reference"} (or a list),
    signed: header X-Burgernet-Signature = hex HMAC-SHA256 of the body with
    MAILINGS_BOUNCE_SECRET."""
    secret = settings.MAILINGS_BOUNCE_SECRET
    if not secret:
        return _problem(503, "bounce webhook not configured (MAILINGS_BOUNCE_SECRET)")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Burgernet-Signature", "")
    if not hmac.compare_digest(expected, given.removeprefix("sha256=")):
        return _problem(403, "bad signature")
    try:
        payload = json.loads(request.body)
    except json.JSONDecodeError:
        return _problem(400, "body is not JSON")
    reports = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(report, dict) for report in reports):
        return _problem(400, "each report must be an object")
    try:
        with transaction.atomic():  # all reports or none
            for index, report in enumerate(reports):
                try:
                    services.bounce_record(
                        address=str(report.get("address", "")),
                        kind=str(report.get("kind", "")),
                        reason=str(report.get("reason", "")),
                        reference=str(report.get("reference", "")),
                    )
                except services.MailingError as exc:
                    raise _BadReport(f"[{index}].{exc.field}: {exc}") from None
    except _BadReport as exc:
        return _problem(400, str(exc))
    return JsonResponse({"recorded": len(reports)})


class _BadReport(Exception):
    pass


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": detail, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )
