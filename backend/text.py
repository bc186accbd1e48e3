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
# Invisible format characters that make text read otherwise than it is ("invoice\u202egpj.exe" shows as
# "invoiceexe.jpg"), or two names look alike: the bidi embeddings, overrides and isolates, zero-width
# space, word joiner and invisible operators, the byte-order mark. Zero-width (non-)joiners and the
# left-to-right/right-to-left marks stay: scripts such as Persian and emoji sequences need them.
_INVISIBLE = {
    **{code: "a bidirectional control character" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
    **{code: "an invisible character" for code in (0x200B, 0x180E, 0xFEFF, *range(0x2060, 0x2065))},
}
_SEPARATORS = frozenset({0x2028, 0x2029})  # Unicode's line and paragraph separators


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Return what makes ``value`` unfit as user-typed text, or None when it is fine.

    Refused: NUL and every other control character (tab, newline and carriage return are allowed
    when ``multiline``), Unicode's line separators on one line, invisible and bidirectional format
    characters (``_INVISIBLE``), and lone surrogates, which no database encoding can store."""
    for char in value:
        code = ord(char)
        if code in _INVISIBLE:
            return f"{_INVISIBLE[code]} (U+{code:04X})"
        if code in _SEPARATORS and not multiline:
            return f"a line separator (U+{code:04X})"
        if code < 0x20 or 0x7F <= code <= 0x9F:
            if multiline and char in _LINE_BREAKS:
                continue
            return "a NUL character" if code == 0 else f"a control character (U+{code:04X})"
        if 0xD800 <= code <= 0xDFFF:
            return "an unpaired surrogate"
    return None


def clipped(text: str, limit: int) -> str:
    """Return ``text`` cut to at most ``limit`` characters at a word's end, with "…" when it was cut: a
    title cut mid-word ("Total paid · Northeast, Southw") reads as a value that does not exist."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ·,;:-") + "…"
