"""Fixtures for the actions tests."""

from __future__ import annotations

import pytest

from burgernet.actions import outbox


class Recorder:
    """Stands in for reach + send: people at fixed points, sent messages recorded."""

    def __init__(self, people: dict[int, tuple[float, float]]) -> None:
        self.people = people
        self.sent: list[tuple[str, str, list[tuple[str, str, int]]]] = []

    def reach(self, *, area, channels, at, category):
        return [
            outbox.Recipient(pid, ch, f"+3160000{pid:04d}", 0.0)
            for pid, (lat, lon) in self.people.items()
            if area.contains(lat, lon)
            for ch in channels
        ]

    def send(self, *, source_id, kind, text, recipients, exercise, urgent):
        self.sent.append((kind, text, list(recipients)))
        return len(self.sent)


@pytest.fixture
def recorder(monkeypatch):
    people = {1: (52.371, 4.891), 2: (52.375, 4.90), 3: (52.40, 4.95)}  # 3 is ~5 km away
    rec = Recorder(people)
    monkeypatch.setattr(outbox, "reach", rec.reach)
    monkeypatch.setattr(outbox, "send", rec.send)
    return rec
