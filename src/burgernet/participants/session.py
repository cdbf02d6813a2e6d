"""The participant's self-service session (opened by a magic link), for every app's pages
under /mijn-burgernet/: sign in, who is signed in, and a decorator for views that need one."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from burgernet.participants.models import Participant

SESSION_KEY = "participant_id"
SINCE_KEY = "participant_since"


def sign_in(request: HttpRequest, participant: Participant) -> None:
    """Open a self-service session for `participant` (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = participant.pk
    # With the id alone, a session outliving an erased participant could open a later one that
    # got the same id (SQLite reuses the highest rowid).
    request.session[SINCE_KEY] = participant.created_at.isoformat()


def current_participant(request: HttpRequest) -> Participant | None:
    """The participant signed in on this session, if still active."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    participant = Participant.objects.filter(pk=pk, deactivated_at__isnull=True).first()
    if participant is None or participant.created_at.isoformat() != request.session.get(SINCE_KEY):
        return None
    return participant


ParticipantView = Callable[..., HttpResponse]


def participant_required(view: ParticipantView) -> Callable[..., HttpResponse]:
    """The participant signed in through a magic link, else the page to request one."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        participant = current_participant(request)
        if participant is None:
            return redirect("participants:manage_request")
        return view(request, participant, *args, **kwargs)

    return wrapped


def sign_out(request: HttpRequest) -> None:
    """Close the self-service session."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SINCE_KEY, None)
    request.session.cycle_key()
