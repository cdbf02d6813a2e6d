"""Other apps' copies of a participant's personal data, erased together with the participant.

The registry knows no app above it. An app that keeps its own copy of a participant's number
or e-mail address (mailings: bounce reports; actions: who an action reached) registers one
function here, by name; `services.participant_erase` calls every one inside its transaction,
so a sign-off is all or nothing. (The dispatch outbox is called directly: participants may
call dispatch.) A hook must be idempotent and must not send anything.
"""

from __future__ import annotations

from collections.abc import Callable

# (participant id, the participant's phone numbers and e-mail addresses)
ErasureHook = Callable[[int, list[str]], object]  # what it returns is ignored

_hooks: dict[str, ErasureHook] = {}


def register(name: str, hook: ErasureHook) -> None:
    """Call `hook` on every erasure; registering a name again replaces its hook."""
    _hooks[name] = hook


def erase_copies(*, participant_id: int, addresses: list[str]) -> list[str]:
    """Run every registered hook; returns the names of the hooks that ran."""
    for hook in _hooks.values():
        hook(participant_id, addresses)
    return list(_hooks)
