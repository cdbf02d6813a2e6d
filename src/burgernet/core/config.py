"""Typed access to configuration from the environment (12-factor).

`config("NAME", default)` reads the environment variable and casts it to the type of the
default, so `config("DEBUG", False)` is a bool and `config("PORT", 8000)` an int. A value that
cannot be cast stops start-up with a message that names the variable.
"""

from __future__ import annotations

import os
from typing import TypeVar, overload

T = TypeVar("T", str, int, float, bool, list[str])

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value from the environment is missing or malformed."""


@overload
def config(name: str, default: bool) -> bool: ...
@overload
def config(name: str, default: int) -> int: ...
@overload
def config(name: str, default: float) -> float: ...
@overload
def config(name: str, default: str) -> str: ...
@overload
def config(name: str, default: list[str]) -> list[str]: ...


def config(name: str, default: str | int | float | bool | list[str]) -> object:
    """Read `name` from the environment, cast to the type of `default`."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if isinstance(default, bool):
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw
