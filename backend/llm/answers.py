"""Cleaning a model's text field before it is checked: fences and the prose around code.

Models often wrap code in Markdown fences or add a sentence before and after it, also inside a
tool call. Neither is a mistake worth a correction (a paid try), so a step strips them first.
"""
from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
_UNCLOSED_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*[\w+#.-]*[^\n]*\n", re.MULTILINE)


def unfence(text: str, *, starts: tuple[str, ...], continues: tuple[str, ...] = (),
            trailing_prose: bool = True) -> str:
    """Return the code in ``text``: the body of its first fenced block when it has one, else the text
    from the first line that starts like code (one of ``starts``, case-blind) up to a paragraph of
    prose after it (kept when ``trailing_prose`` is False). A paragraph whose first word is one of
    ``continues`` (``WHERE``, ``ORDER``, ...) carries the code on and is never taken for prose. Text with
    neither comes back stripped, for the check to judge.
    """
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(3).strip()
    text = _UNCLOSED_FENCE.sub("", text, count=1) if text.lstrip().startswith(("```", "~~~")) else text
    lines = text.strip().splitlines()
    first = next((i for i, line in enumerate(lines) if _starts_like_code(line, starts)), None)
    if first is None:
        return text.strip()
    if not trailing_prose:
        return "\n".join(lines[first:]).strip()
    return "\n".join(_without_trailing_prose(lines[first:], starts + continues)).strip()


def _starts_like_code(line: str, starts: tuple[str, ...]) -> bool:
    """Whether the line begins with one of ``starts``: a keyword as a whole first word, anything else
    (``//``, ``(``, ``function ``) as a prefix; case-blind."""
    head = line.lstrip().lower()
    first_word = re.split(r"\W", head, maxsplit=1)[0]
    return any(first_word == word.lower() if word.isalpha() else head.startswith(word.lower()) for word in starts)


def _without_trailing_prose(lines: list[str], starts: tuple[str, ...]) -> list[str]:
    """Cut at the first blank line followed by a sentence (a capital letter, no code-like start) that
    runs to the end without another line of code."""
    for i, line in enumerate(lines):
        if line.strip() or i + 1 >= len(lines):
            continue
        rest = [candidate for candidate in lines[i + 1:] if candidate.strip()]
        if rest and _is_prose(rest[0]) and not any(_starts_like_code(r, starts) for r in rest):
            return lines[:i]
    return lines


def _is_prose(line: str) -> bool:
    words = line.strip()
    return bool(re.match(r"^[A-Z][a-z']+\b", words)) and not re.search(r"[;{}()=<>]\s*$", words)
