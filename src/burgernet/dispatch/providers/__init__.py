"""Provider adapters, registered by name. Adding a provider is adding one module here.

Every module in this package is imported once (`adapter_class` does it lazily) and registers
its classes with `@register`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from burgernet.dispatch.providers.base import Adapter

A = TypeVar("A", bound=type[Adapter])

_REGISTRY: dict[str, type[Adapter]] = {}
_loaded = False


def register(cls: A) -> A:
    """Class decorator: make an adapter available under its `name`."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two provider adapters are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def adapter_class(name: str) -> type[Adapter]:
    """The adapter class registered as `name` (KeyError if none)."""
    _load_all()
    return _REGISTRY[name]


def adapter_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)
