"""Database values as JSON, and a result as one reply frame that stays under the output limit."""
from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from sql_gen.box.protocol import BoxFailure, encode_raw


def json_safe(value: Any) -> Any:
    """Return ``value`` as something ``json.dumps`` accepts without losing its meaning.

    Decimal becomes float, dates and times ISO strings, intervals seconds, bytes hex, UUIDs
    strings; NaN and infinities become None because JSON has no spelling for them. A finite
    decimal too large for a float stays exact, as a string, rather than turning into a silent null.
    A NUL character in text becomes U+FFFD: PostgreSQL's jsonb, where results are stored, refuses it.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if math.isfinite(number):
            return number
        return str(value) if isinstance(value, Decimal) and value.is_finite() else None
    if isinstance(value, (datetime, date, time_of_day)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def rows_frame(columns: list[str], rows: Sequence[Sequence[Any]], *, max_bytes: int) -> bytes:
    """Return the reply frame for a result, each row encoded once.

    Raises:
        BoxFailure: ("limit", "output") when the rows come to more than ``max_bytes`` of JSON.
    """
    encoded, size = [], 0
    for row in rows:
        text = json.dumps([json_safe(v) for v in row], ensure_ascii=False, default=str).encode()
        size += len(text)
        if size > max_bytes:
            raise BoxFailure("limit", f"the result is larger than {max_bytes} bytes", limit="output")
        encoded.append(text)
    head = json.dumps({"event": "done", "ok": True, "columns": columns}, ensure_ascii=False)
    body = head[:-1].encode() + b', "rows": [' + b", ".join(encoded) + b"]}"
    return encode_raw(body)
