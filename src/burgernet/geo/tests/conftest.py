"""Fixtures of the geo tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from burgernet.geo import demo
from burgernet.geo.models import Region


@pytest.fixture(scope="module")
def municipalities(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The real 342 municipalities, loaded once per test module (committed, removed after)."""
    with django_db_blocker.unblock():
        demo.load_municipalities()
    yield
    with django_db_blocker.unblock():
        Region.objects.all().delete()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The outlines are cached; each test starts and ends without a stale copy."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
