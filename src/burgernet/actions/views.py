"""The dispatcher console: create, preview, start, follow, expand, close and publish actions."""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from burgernet.accounts.models import Role, StaffUser
from burgernet.accounts.permissions import staff_required, staff_user
from burgernet.actions import announce, outbox, selectors, services, texts
from burgernet.actions.forms import (
    ActionForm,
    CloseForm,
    ExpandForm,
    FollowUpForm,
    PhotoForm,
    PublishForm,
)
from burgernet.actions.models import Action, ActionStatus, ActionType
from burgernet.core import clock
from burgernet.geo.area import AreaError, Circle, parse_area


def _action_or_404(request: HttpRequest, pk: int) -> Action:
    try:
        return selectors.action_get(user=staff_user(request), pk=pk)
    except Action.DoesNotExist:
        raise Http404 from None


@staff_required(Role.DISPATCHER)
def console(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    actions = list(selectors.console_actions(user=user)[:50])
    return render(request, "actions/console.html", {"actions": actions})


def _type_defaults() -> str:
    return json.dumps(
        {
            key: {"channels": list(d.channels), "radius": d.radius_m, "headline": d.headline}
            for key, d in texts.TYPE_DEFAULTS.items()
        }
    )


@staff_required(Role.DISPATCHER)
@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    initial_type = request.GET.get("type", ActionType.MISSING_CHILD)
    if initial_type not in ActionType.values:
        initial_type = ActionType.MISSING_CHILD
    form = ActionForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "type": initial_type,
            "channels": list(texts.TYPE_DEFAULTS[initial_type].channels),
        },
    )
    if request.method == "POST" and form.is_valid():
        area = form.cleaned_data["area"]
        try:
            action = services.action_create(
                by=user,
                type=form.cleaned_data["type"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                area=area,
                channels=form.cleaned_data["channels"],
                omit_offence=form.cleaned_data["omit_offence"],
                exercise=form.cleaned_data["exercise"],
                idempotency_key=request.POST.get("idempotency_key", ""),
                photo=form.cleaned_data["photo"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("actions:detail", pk=action.pk)
    return render(
        request,
        "actions/new.html",
        {
            "form": form,
            "type_defaults": _type_defaults(),
            "intro": texts.INTRO,
            "outro": texts.outro(),
            "idempotency_key": request.POST.get("idempotency_key")
            or clock.now().strftime("%Y%m%d%H%M%S%f"),
        },
    )


@staff_required(Role.DISPATCHER)
@require_GET
def reach_preview(request: HttpRequest) -> JsonResponse:
    """How many would be reached now, per channel, for the area being drawn (JSON)."""
    try:
        if "area" in request.GET:
            area = parse_area(json.loads(request.GET["area"]))
        else:
            area = Circle(
                lat=float(request.GET["lat"]),
                lon=float(request.GET["lon"]),
                radius_m=float(request.GET.get("radius", 1000)),
            )
    except (KeyError, ValueError, AreaError) as exc:
        field = getattr(exc, "field", "area")
        return JsonResponse({"error": str(exc), "field": field}, status=400)
    action_type = request.GET.get("type", ActionType.MISSING_CHILD)
    defaults = texts.TYPE_DEFAULTS.get(action_type, texts.TYPE_DEFAULTS[ActionType.ROBBERY])
    counts = outbox.reach_counts(area=area, at=clock.now(), category=defaults.category)
    return JsonResponse({"counts": counts, "area_km2": round(area.area_m2() / 1e6, 2)})


@staff_required(Role.DISPATCHER)
@require_GET
def address_search(request: HttpRequest) -> JsonResponse:
    """Address or place search for the console map (the configured geocoder)."""
    from burgernet.geo.geocoding import GeocodingError, get_geocoder

    query = request.GET.get("q", "").strip()
    if len(query) < 2:
        return JsonResponse({"results": []})
    try:
        results = get_geocoder().search(query)[:8]
    except GeocodingError as exc:
        return JsonResponse({"results": [], "error": str(exc)}, status=502)
    return JsonResponse(
        {"results": [{"label": r.label, "lat": r.lat, "lon": r.lon} for r in results]}
    )


def _detail_context(request: HttpRequest, action: Action, **forms: Any) -> dict[str, Any]:
    user = staff_user(request)
    return {
        "action": action,
        "can_act": selectors.can_act(user=user, action=action),
        "reach": selectors.reach_summary(action=action),
        "area_json": json.dumps(action.area),
        "expand_form": forms.get("expand_form") or ExpandForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "publish_form": forms.get("publish_form")
        or PublishForm(initial={"public_summary": action.public_summary}),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "preview_counts": forms.get("preview_counts"),
    }


@staff_required()
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action_or_404(request, pk)
    preview = None
    if action.status == ActionStatus.DRAFT and selectors.can_act(
        user=staff_user(request), action=action
    ):
        preview = outbox.reach_counts(
            area=parse_area(action.area),
            at=clock.now(),
            category=texts.TYPE_DEFAULTS[action.type].category,
        )
        preview = {ch: n for ch, n in preview.items() if ch in action.channels}
    context = _detail_context(request, action, preview_counts=preview)
    if preview is not None and announce.BROADCAST in action.channels:
        # The dispatcher sees which public channels the start goes to before starting.
        context["broadcast_targets"] = announce.broadcast_targets_for(exercise=action.exercise)
    return render(request, "actions/detail.html", context)


def _run(request: HttpRequest, action: Action, step: str) -> HttpResponse:
    """Run one lifecycle step from a console form; on bad input show the form with errors."""
    user = staff_user(request)
    form_classes = {
        "expand": ExpandForm,
        "follow_up": FollowUpForm,
        "close": CloseForm,
        "publish": PublishForm,
    }
    form = form_classes[step](request.POST) if step in form_classes else None
    step_error = ""
    if form is None or form.is_valid():
        data = form.cleaned_data if form is not None else {}
        try:
            if step == "start":
                services.action_start(action=action, by=user)
            elif step == "expand":
                services.action_expand(action=action, by=user, area=data["area"])
            elif step == "follow_up":
                services.action_follow_up(action=action, by=user, text=data["text"])
            elif step == "close":
                services.action_close(action=action, by=user, **data)
            elif step == "publish":
                services.action_publish(
                    action=action, by=user, public_summary=data["public_summary"]
                )
            return redirect("actions:detail", pk=action.pk)
        except ValidationError as exc:
            messages: dict[str, list[str]] = (
                exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            )
            for field, errors in messages.items():
                if form is not None and field in form.fields:
                    form.add_error(field, errors)
                else:
                    step_error = " ".join(errors)
    action.refresh_from_db()
    context = _detail_context(request, action, **{f"{step}_form": form})
    context["step_error"] = step_error
    return render(request, "actions/detail.html", context, status=400)


@staff_required(Role.DISPATCHER)
@require_POST
def action_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    action = _action_or_404(request, pk)
    if step not in {"start", "expand", "follow_up", "close", "publish"}:
        raise Http404
    if not selectors.can_act(user=staff_user(request), action=action):
        raise PermissionDenied
    return _run(request, action, step)


@staff_required(Role.DISPATCHER)
@require_POST
def action_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach, replace (`photo` file) or remove (`remove`) the action's photo."""
    user = staff_user(request)
    action = _action_or_404(request, pk)
    if not selectors.can_act(user=user, action=action):
        raise PermissionDenied
    form = PhotoForm(request.POST, request.FILES)
    step_error = ""
    try:
        if "remove" in request.POST:
            services.action_photo_remove(action=action, by=user)
            return redirect("actions:detail", pk=action.pk)
        if form.is_valid():
            services.action_photo_set(action=action, by=user, photo=form.cleaned_data["photo"])
            return redirect("actions:detail", pk=action.pk)
    except ValidationError as exc:
        step_error = " ".join(exc.messages)
    action.refresh_from_db()
    context = _detail_context(request, action, photo_form=form)
    context["step_error"] = step_error
    return render(request, "actions/detail.html", context, status=400)


@require_GET
def photo_file(request: HttpRequest, name: str) -> FileResponse:
    """An action photo at its media URL (`/media/actions/<name>`): public while the action is
    public and the photo not withdrawn, otherwise only for staff who may open the action. The
    media directory itself is never served as a whole (it also holds tip photos)."""
    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    staff = user if isinstance(user, StaffUser) and verified else None
    stored = f"actions/{name}"
    action = selectors.photo_action(user=staff, name=stored)
    if action is None:
        raise Http404
    try:
        handle = action.photo.open("rb")
    except OSError:
        raise Http404 from None
    content_type = mimetypes.guess_type(stored)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    public = action.status != ActionStatus.DRAFT and not action.photo_withdrawn
    response["Cache-Control"] = "public, max-age=60" if public else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required()
def response_media(request: HttpRequest, pk: int, response_pk: int) -> FileResponse:
    """The photo or video sent with a tip, for staff who may open the action; never cached,
    and each opening of a participant's tip is access-logged."""
    action = _action_or_404(request, pk)
    response = get_object_or_404(action.responses.exclude(media=""), pk=response_pk)
    try:
        handle = response.media.open("rb")
    except OSError:
        raise Http404 from None
    if response.participant_id is not None:
        services.response_access_log(
            by=staff_user(request), response=response, why=f"tip media of action {action.pk}"
        )
    content_type = mimetypes.guess_type(response.media.name)[0] or "application/octet-stream"
    served = FileResponse(handle, content_type=content_type)
    served["Cache-Control"] = "private, no-store"
    served["X-Content-Type-Options"] = "nosniff"
    return served


@staff_required()
def action_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the console (progress and responses), polled by htmx every second."""
    action = _action_or_404(request, pk)
    progress: dict[str, dict[str, int]] = {}
    if action.status != ActionStatus.DRAFT:
        progress = outbox.progress_rows(action_id=action.pk)
    responses = list(selectors.responses_for(action=action)[:100])
    return render(
        request,
        "actions/_live.html",
        {
            "action": action,
            "progress": progress,
            "responses": responses,
            "reach": selectors.reach_summary(action=action),
        },
    )


@staff_required()
def dossier_view(request: HttpRequest, pk: int) -> HttpResponse:
    from burgernet.actions.dossier import dossier_verify

    action = _action_or_404(request, pk)
    services.dossier_access_log(
        by=staff_user(request), action=action, why=f"dossier of action {action.pk}"
    )
    return render(
        request,
        "actions/dossier.html",
        {
            "action": action,
            "events": selectors.dossier_events(action=action),
            "check": dossier_verify(action=action),
        },
    )


@staff_required()
def dossier_json(request: HttpRequest, pk: int) -> HttpResponse:
    action = _action_or_404(request, pk)
    body = json.dumps(
        selectors.dossier_export(action=action), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
    )
    services.dossier_access_log(
        by=staff_user(request), action=action, why=f"dossier export (JSON) of action {action.pk}"
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dossier-{action.pk}.json"'
    return response


@staff_required()
def dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier as PDF, for the same staff who may read the dossier (access-logged)."""
    from burgernet.actions.pdf import dossier_pdf as render_pdf

    user = staff_user(request)
    action = _action_or_404(request, pk)
    body = render_pdf(action=action, by=user)
    services.dossier_access_log(
        by=user, action=action, why=f"dossier export (PDF) of action {action.pk}"
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dossier-{action.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
