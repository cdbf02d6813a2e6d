"""The public site, feeds and the app (PWA). Thin: parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from burgernet.actions import public_selectors
from burgernet.public import cap, selectors, services
from burgernet.public.media import MAX_MEDIA_BYTES
from burgernet.public.ratelimit import rate_limited

STATIC_DIR = Path(__file__).resolve().parent / "static" / "public"


def _signup_url() -> str | None:
    try:
        return reverse("participants:signup")
    except NoReverseMatch:
        return None


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def problem(status: int, title: str, errors: dict[str, Any] | None = None) -> JsonResponse:
    """An RFC 9457 problem+json answer naming the fields that are wrong."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, content_type="application/problem+json")


# --- Site -----------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/home.html",
        {"signup_url": _signup_url(), "active": selectors.active_actions_data()[:5]},
    )


@require_GET
def actions(request: HttpRequest) -> HttpResponse:
    return render(request, "public/actions.html", {"active": selectors.active_actions_data()})


@require_GET
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.public_action_cached(pk=pk)
    if action is None:
        raise Http404
    url = _absolute(reverse("public:action", args=[action.pk]))
    share_text = f"Burgernet: {action.title} {url}"
    photo = action.photo.url if action.photo and not action.photo_withdrawn else None
    return render(
        request,
        "public/action.html",
        {
            "action": action,
            "regions": getattr(action, "region_list", []),
            "photo_url": photo,
            "og_image": _absolute(photo) if photo else None,
            "canonical_url": url,
            "whatsapp_url": "https://wa.me/?text=" + quote(share_text),
            "mail_url": "mailto:?subject="
            + quote(f"Burgernet: {action.title}")
            + "&body="
            + quote(url),
            "area_json": json.dumps(action.area),
            "radius_km": _radius_km(action.area),
            "ended": action.status != "active",
        },
    )


def _radius_km(area: Any) -> float | None:
    """The radius of a circular area in km (for the text beside the map), else None."""
    try:
        return (
            float(area["properties"]["radius"]) / 1000
            if area["geometry"]["type"] == "Point"
            else None
        )
    except (KeyError, TypeError, ValueError):
        return None


@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/archive.html",
        {
            "municipalities": selectors.municipalities_with_actions(),
            "recent": public_selectors.public_ended_actions()[:20],
        },
    )


@require_GET
def municipality(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.municipality_get(code=code)
    if region is None:
        raise Http404
    return render(
        request,
        "public/municipality.html",
        {
            "region": region,
            "stats": selectors.municipality_stats(region=region),
            "active": public_selectors.public_active_actions().filter(regions=region)[:50],
            "ended": public_selectors.public_ended_actions(region_id=region.pk)[:100],
        },
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "public/privacy.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html")


# --- CAP ------------------------------------------------------------------------------------


@require_GET
@cache_control(max_age=10, public=True)
def cap_index(request: HttpRequest) -> HttpResponse:
    recent = list(public_selectors.public_action_list().order_by("-started_at")[:50])
    messages = cap.cap_messages_for(action_ids=[a.pk for a in recent])
    body = cap.cap_index(messages=messages, self_url=_absolute(reverse("public:cap_index")))
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@require_GET
@cache_control(max_age=10, public=True)
def cap_message(request: HttpRequest, action_id: int, seq: int) -> HttpResponse:
    messages = cap.cap_messages_for(action_ids=[action_id])
    for i, message in enumerate(messages):
        if message.seq == seq:
            body = cap.cap_document(message=message, earlier=messages[:i])
            return HttpResponse(body, content_type="application/cap+xml; charset=utf-8")
    raise Http404


# --- App (PWA) ------------------------------------------------------------------------------


@require_GET
def app(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/app/app.html",
        {"vapid_public_key": settings.VAPID_PUBLIC_KEY, "max_media_mb": MAX_MEDIA_BYTES // 2**20},
    )


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    from django.templatetags.static import static

    data = {
        "name": "Burgernet",
        "short_name": "Burgernet",
        "description": _("Help the police search in your neighbourhood."),
        "start_url": reverse("public:app"),
        "scope": reverse("public:app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#00467f",
        "lang": "nl",
        "icons": [
            {
                "src": static(f"public/icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    body = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("public:app")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def api_actions(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"actions": selectors.active_actions_data()})
    response["Cache-Control"] = f"public, max-age={selectors.CACHE_SECONDS}"
    return response


def _time(value: Any, field: str) -> dt.time | None:
    if value in (None, ""):
        return None
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Give a time like 22:00.")}) from None


@require_http_methods(["POST", "DELETE"])
def api_subscription(request: HttpRequest) -> HttpResponseBase:
    if rate_limited(request, name="subscription"):
        return problem(429, _("Too many requests; try again later."))
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        return problem(400, _("The request is not valid JSON."))
    endpoint = str(data.get("endpoint", ""))
    if request.method == "DELETE":
        services.app_subscription_delete(endpoint=endpoint)
        return HttpResponse(status=204)
    keys = data.get("keys") or {}
    try:
        places = [
            services.Place(lat=float(p["lat"]), lon=float(p["lon"]))
            for p in data.get("places") or []
        ]
    except (TypeError, KeyError, ValueError):
        return problem(400, _("Invalid input."), {"places": _("Give places as lat and lon.")})
    try:
        sub = services.app_subscription_upsert(
            endpoint=endpoint,
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            places=places,
            languages=[str(x) for x in data.get("languages") or ["nl"]],
            quiet_start=_time(data.get("quiet_start"), "quiet_start"),
            quiet_end=_time(data.get("quiet_end"), "quiet_end"),
        )
    except ValidationError as exc:
        return problem(400, _("Invalid input."), _errors(exc))
    return JsonResponse({"expires_at": sub.expires_at.isoformat(), "cells": sub.cells.count()})


def _errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {
            k: " ".join(str(m) for e in v for m in e.messages) for k, v in exc.error_dict.items()
        }
    return {"__all__": " ".join(exc.messages)}


@require_POST
def api_tip(request: HttpRequest, pk: int) -> HttpResponseBase:
    if rate_limited(request, name="tip"):
        return problem(429, _("Too many tips from this connection; call us instead."))
    action = public_selectors.public_action_get(pk=pk)
    if action is None:
        return problem(404, _("This action does not exist."))
    upload = request.FILES.get("media")
    if upload is not None and upload.size is not None and upload.size > MAX_MEDIA_BYTES:
        return problem(
            400, _("Invalid input."), {"media": _("The file is too large: at most 10 MB.")}
        )
    try:
        response = services.app_tip_submit(
            action=action,
            text=request.POST.get("text", ""),
            media=upload.read() if upload is not None else None,
            phone=request.POST.get("phone", ""),
        )
    except ValidationError as exc:
        errors = _errors(exc)
        status = 409 if "action" in errors else 400
        return problem(status, errors.get("action") or _("Invalid input."), errors)
    return JsonResponse(
        {"id": response.pk, "message": _("Thank you, your tip was passed on.")}, status=201
    )
