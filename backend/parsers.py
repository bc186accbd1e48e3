"""The API's JSON parser: a bounded nesting depth, and no text PostgreSQL cannot store.

Python's json module recurses once per nested array or object, so about a thousand of them (2 KB)
raise RecursionError, which DRF does not catch: a 500 from every POST endpoint, before any permission
check. The depth is counted on the raw bytes first, without parsing.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from backend.errors import ApplicationError, ErrorCode

_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def json_charset_ok(charset: str | None) -> bool:
    """Return True for a JSON body's declared charset we read: none, or UTF-8 (ASCII is a subset).

    JSON is UTF-8 (RFC 8259), and ``json_too_deep`` scans UTF-8 bytes: in UTF-16, U+2200 is the bytes
    ``00 22``, a quote to the scan, and every bracket after it would go uncounted."""
    return charset is None or charset.strip().strip('"').lower() in _UTF8_NAMES


def json_too_deep(body: bytes, *, limit: int) -> bool:
    """Return True when ``body`` (JSON, valid or not) nests arrays and objects more than ``limit`` deep.

    Brackets inside strings do not count. Linear in the length of ``body``."""
    depth, in_string, skip_at = 0, False, -1
    for match in _STRUCTURE.finditer(body):
        char, at = match.group(), match.start()
        if at == skip_at:  # the character after a backslash in a string
            continue
        if in_string:
            if char == b"\\":
                skip_at = at + 1
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def unstorable_text(value: Any) -> str | None:
    """Return a description of the first string in ``value`` (through dicts and lists, keys too) that the
    app database cannot store — a NUL or a lone surrogate — or None when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "a NUL character"
            if any("\ud800" <= c <= "\udfff" for c in item):
                return "an unpaired surrogate (\\ud800-\\udfff)"
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def too_deep_error() -> ApplicationError:
    limit = settings.API_MAX_JSON_DEPTH
    return ApplicationError(ErrorCode.JSON_TOO_DEEP, f"The JSON body nests more than {limit} levels deep.",
                            {"max_depth": limit})


class UnsupportedCharset(ApplicationError):
    http_status = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE


def charset_error(charset: str | None) -> ApplicationError:
    return UnsupportedCharset(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                              f"JSON bodies are UTF-8; the charset {charset!r} is not accepted.", {"charset": charset})


class GuardedJSONParser(JSONParser):
    """JSONParser that refuses a body nested past ``API_MAX_JSON_DEPTH`` (``json_too_deep``) and strings
    holding NUL or a lone surrogate (``invalid_text``), each a 400 instead of a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read() if stream is not None else b""
        if json_too_deep(body, limit=settings.API_MAX_JSON_DEPTH):
            raise too_deep_error()
        charset = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if not json_charset_ok(charset):
            raise charset_error(charset)
        try:
            data = json.loads(body.decode(charset), parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}"[:300]) from exc
        problem = unstorable_text(data)
        if problem:
            raise ApplicationError(ErrorCode.INVALID_TEXT, f"Text in the request holds {problem}.")
        return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
