"""Text the app database can store, whatever a model or a warehouse sent."""
from __future__ import annotations

from typing import Any


def storable(value: Any) -> Any:
    """Return ``value`` with every NUL character replaced by U+FFFD, through dicts and lists.

    PostgreSQL refuses NUL in text and ``\\u0000`` in jsonb, and a model's answer, a database's error
    message or a warehouse's text may hold one.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value
