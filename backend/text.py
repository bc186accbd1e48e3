"""Text the app database can store, whatever a model or a warehouse sent, and text a person may type."""
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


_LINE_BREAKS = frozenset("\t\n\r")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Return what makes ``value`` unfit as user-typed text, or None when it is fine.

    Refused: NUL and every other control character (tab, newline and carriage return are allowed
    when ``multiline``), and lone surrogates, which no database encoding can store."""
    for char in value:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            if multiline and char in _LINE_BREAKS:
                continue
            return "a NUL character" if code == 0 else f"a control character (U+{code:04X})"
        if 0xD800 <= code <= 0xDFFF:
            return "an unpaired surrogate"
    return None
