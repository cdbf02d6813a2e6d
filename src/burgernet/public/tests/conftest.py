"""Fixtures for the public app's tests: actions made through the real lifecycle services, with
the registry and dispatch engine replaced by a recorder (nobody is really reached)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from burgernet.actions import outbox, services
from burgernet.actions.tests.factories import dispatcher
from burgernet.geo.area import Circle

AMSTERDAM = (52.3731, 4.8922)
GRONINGEN = (53.2194, 6.5665)


@pytest.fixture(autouse=True)
def _quiet_outbox(monkeypatch):
    monkeypatch.setattr(outbox, "reach", lambda *, area, channels, at, category: [])
    monkeypatch.setattr(outbox, "send", lambda **kwargs: 1)
    # The console's live panel asks the dispatch engine for delivery progress.
    monkeypatch.setattr(outbox, "progress", lambda *, action_id: {})
    cache.clear()
    yield
    cache.clear()


class Actions:
    """Builds actions through the services, as a dispatcher would."""

    def __init__(self) -> None:
        self.user = dispatcher()

    def draft(
        self,
        *,
        title="Vermist kind",
        where=AMSTERDAM,
        radius=2000,
        exercise=False,
        type="missing_child",
        description="Jongen, 8 jaar, blauwe pet, rode fiets.",
    ):
        return services.action_create(
            by=self.user,
            type=type,
            title=title,
            description=description,
            area=Circle(lat=where[0], lon=where[1], radius_m=radius),
            channels=["sms"],
            exercise=exercise,
        )

    def active(self, **kwargs):
        action = self.draft(**kwargs)
        return services.action_start(action=action, by=self.user)

    def closed(self, *, outcome="found", **kwargs):
        action = self.active(**kwargs)
        return services.action_close(
            action=action, by=self.user, outcome=outcome, participant_contributed=True
        )

    def published(self, *, summary="Het kind is dankzij een tip gevonden.", **kwargs):
        action = self.closed(**kwargs)
        return services.action_publish(action=action, by=self.user, public_summary=summary)


@pytest.fixture
def actions(db) -> Actions:
    return Actions()


# The dispatch engine's real mock provider on loopback, and accounts pointing at it (app push).
from burgernet.dispatch.tests.conftest import configure_accounts, mock_provider  # noqa: E402,F401
