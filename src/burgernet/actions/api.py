"""The control-room API (`/api/v1/`), for dispatch systems: create, preview, start, expand,
follow up, close, and read progress and responses. OpenAPI at `/api/v1/openapi.json`.

Authentication: `Authorization: Bearer <token>`, one token per dispatch centre, acting as the
staff account it was issued for. `Idempotency-Key` on create and start makes retries safe.
Errors are problem+json (RFC 9457) with the offending field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, NinjaAPI, Schema, UploadedFile
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from burgernet.actions import outbox, selectors, services, texts
from burgernet.actions.models import Action, ActionType, ControlRoomToken, IdempotentRequest
from burgernet.core import clock
from burgernet.core.images import ImageError, upload_read
from burgernet.geo.area import AreaError, parse_area


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ControlRoomToken | None:
        found = (
            ControlRoomToken.objects.select_related("user", "user__organisation", "organisation")
            .filter(token_hash=token_hash(token), revoked_at=None)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        request.user = found.user
        return found


api = NinjaAPI(
    title="Burgernet control-room API",
    version="1",
    urls_namespace="api-v1",
    docs_url=None,  # the bundled docs page loads from a CDN; the OpenAPI JSON is served
    auth=TokenAuth(),
)


def problem(
    status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, content_type="application/problem+json")


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        # Ninja reports ("body", "<argument name>", field, ...): keep the field path only.
        loc = [str(p) for p in error.get("loc", [])]
        path = loc[2:] if loc[:1] == ["body"] else loc[1:]
        errors.append({"field": ".".join(path) or "body", "message": error["msg"]})
    return problem(422, "Invalid request", errors=errors)


@api.exception_handler(ValidationError)
def _domain_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": " ".join(m)} for f, m in exc.message_dict.items()]
    else:
        errors = [{"field": "body", "message": " ".join(exc.messages)}]
    status = 409 if any(e["field"] == "status" for e in errors) else 422
    return problem(status, "Request cannot be carried out", errors=errors)


@api.exception_handler(AreaError)
def _area_error(request: HttpRequest, exc: AreaError) -> HttpResponse:
    return problem(
        422, "Invalid area", errors=[{"field": f"area.{exc.field}", "message": exc.message}]
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, "Forbidden", str(exc) or "Not allowed for this token.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(401, "Unauthorized", "Send a valid token as 'Authorization: Bearer <token>'.")


@api.exception_handler(Action.DoesNotExist)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, "Not found", "No such action for this token.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, str(exc))


class ActionIn(Schema):
    type: str
    description: str
    area: dict[str, Any]
    title: str = ""
    channels: list[str] | None = None
    omit_offence: bool = False
    exercise: bool = False


class AreaIn(Schema):
    area: dict[str, Any]


class ReachIn(Schema):
    area: dict[str, Any]
    type: str = ActionType.MISSING_CHILD


class FollowUpIn(Schema):
    text: str


class CloseIn(Schema):
    outcome: str
    participant_contributed: bool = False
    closing_text: str = ""


class ResponseOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    text: str
    distance_m: float | None


def _action_out(action: Action) -> dict[str, Any]:
    progress = outbox.progress(action_id=action.pk) if action.started_at else {}
    return {
        "id": action.pk,
        "type": action.type,
        "status": action.status,
        "exercise": action.exercise,
        "title": action.title,
        "description": action.description,
        "area": action.area,
        "channels": action.channels,
        "sms_text": action.sms_text,
        "outcome": action.outcome or None,
        "participant_contributed": action.participant_contributed,
        "created_at": action.created_at,
        "started_at": action.started_at,
        "closed_at": action.closed_at,
        "reached": selectors.reach_summary(action=action),
        "progress": progress,
        "photo_url": action.photo.url if action.photo else None,
        "photo_withdrawn": action.photo_withdrawn,
    }


def _user(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _idempotent(request: HttpRequest, endpoint: str, run: Any) -> HttpResponse:
    """Replay the stored answer for a repeated Idempotency-Key, else run and store it."""
    key = request.headers.get("Idempotency-Key", "").strip()[:100]
    token: ControlRoomToken = request.auth  # type: ignore[attr-defined]
    if key:
        stored = IdempotentRequest.objects.filter(token=token, key=key, endpoint=endpoint).first()
        if stored:
            return JsonResponse(stored.body, status=stored.status)
    status, body = run(key)
    response = JsonResponse(body, status=status, json_dumps_params={"default": str})
    if key and status < 500:
        import json

        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(
                    token=token,
                    key=key,
                    endpoint=endpoint,
                    status=status,
                    body=json.loads(response.content),
                    created_at=clock.now(),
                )
        except IntegrityError:
            pass
    return response


@api.post("/actions", response={201: dict[str, Any]}, summary="Create a draft action")
def create_action(request: HttpRequest, payload: ActionIn) -> HttpResponse:
    area = parse_area(payload.area)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        action = services.action_create(
            by=_user(request),
            type=payload.type,
            title=payload.title,
            description=payload.description,
            area=area,
            channels=payload.channels,
            omit_offence=payload.omit_offence,
            exercise=payload.exercise,
            idempotency_key=key,
        )
        return 201, _action_out(action)

    return _idempotent(request, "create", run)


@api.post("/reach", response=dict[str, Any], summary="Preview how many would be reached now")
def reach(request: HttpRequest, payload: ReachIn) -> dict[str, Any]:
    area = parse_area(payload.area)
    if payload.type not in texts.TYPE_DEFAULTS:
        raise ValidationError({"type": "Unknown action type."})
    counts = outbox.reach_counts(
        area=area, at=clock.now(), category=texts.TYPE_DEFAULTS[payload.type].category
    )
    return {"counts": counts, "area_km2": round(area.area_m2() / 1e6, 3)}


def _get(request: HttpRequest, action_id: int) -> Action:
    return selectors.action_get(user=_user(request), pk=action_id)


@api.get("/actions/{action_id}", response=dict[str, Any], summary="Action with progress")
def get_action(request: HttpRequest, action_id: int) -> dict[str, Any]:
    return _action_out(_get(request, action_id))


@api.post("/actions/{action_id}/start", response=dict[str, Any], summary="Start the action")
def start_action(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _get(request, action_id)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        return 200, _action_out(services.action_start(action=action, by=_user(request)))

    return _idempotent(request, f"start:{action_id}", run)


@api.post("/actions/{action_id}/expand", response=dict[str, Any], summary="Enlarge the area")
def expand_action(request: HttpRequest, action_id: int, payload: AreaIn) -> dict[str, Any]:
    action = _get(request, action_id)
    area = parse_area(payload.area)
    return _action_out(services.action_expand(action=action, by=_user(request), area=area))


@api.post("/actions/{action_id}/follow-up", response=dict[str, Any], summary="Follow-up message")
def follow_up(request: HttpRequest, action_id: int, payload: FollowUpIn) -> dict[str, Any]:
    action = _get(request, action_id)
    return _action_out(
        services.action_follow_up(action=action, by=_user(request), text=payload.text)
    )


@api.post("/actions/{action_id}/close", response=dict[str, Any], summary="Close with outcome")
def close_action(request: HttpRequest, action_id: int, payload: CloseIn) -> dict[str, Any]:
    action = _get(request, action_id)
    return _action_out(
        services.action_close(
            action=action,
            by=_user(request),
            outcome=payload.outcome,
            participant_contributed=payload.participant_contributed,
            closing_text=payload.closing_text,
        )
    )


@api.get("/actions/{action_id}/responses", response=list[ResponseOut], summary="Responses")
def responses(request: HttpRequest, action_id: int, since: int = 0) -> list[Any]:
    action = _get(request, action_id)
    return list(selectors.responses_for(action=action, since_id=since))


@api.post(
    "/actions/{action_id}/photo",
    response=dict[str, Any],
    summary="Attach or replace the photo (multipart field `photo`: JPEG, PNG or WebP, ≤ 10 MB)",
)
def set_photo(request: HttpRequest, action_id: int, photo: File[UploadedFile]) -> HttpResponse:
    action = _get(request, action_id)
    try:
        data = upload_read(photo)
    except ImageError as exc:
        raise ValidationError({"photo": exc.message}) from None
    clean = services.photo_clean(data=data)

    def run(key: str) -> tuple[int, dict[str, Any]]:
        return 200, _action_out(
            services.action_photo_set(action=action, by=_user(request), photo=clean)
        )

    return _idempotent(request, f"photo:{action_id}", run)


@api.delete("/actions/{action_id}/photo", response=dict[str, Any], summary="Remove the photo")
def remove_photo(request: HttpRequest, action_id: int) -> dict[str, Any]:
    action = _get(request, action_id)
    return _action_out(services.action_photo_remove(action=action, by=_user(request)))
