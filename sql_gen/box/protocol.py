"""What the web process and a box worker say to each other over a pair of pipes.

Each message is a frame: a 4-byte big-endian length, then that many bytes of UTF-8 JSON. JSON
rather than pickle because a worker runs untrusted SQL and must not be able to make the web process
run code by what it writes back. Nothing here imports Django: the worker does not load it.
"""
from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

HEADER = struct.Struct(">I")
# A request is a statement (at most 20,000 characters) and a source description; anything near
# this is a bug, not a request.
MAX_REQUEST_BYTES = 2**20
# Besides the rows (bounded by Limits.output_bytes), a reply holds column names and an error text.
REPLY_OVERHEAD_BYTES = 2**20

ENGINES = ("duckdb", "sqlite", "postgresql")
OPS = ("run", "prove", "schema")
# What BoxFailure.kind says: the statement was refused by the database, the source could not be
# opened, the statement hit a limit and was stopped, or the box itself could not serve the call.
KINDS = ("statement", "source", "limit", "box")
LIMITS = ("time", "cpu", "memory", "output", "crash")


@dataclass(frozen=True)
class Target:
    """Where a worker connects: ``location`` is a file path (DuckDB, SQLite) or a DSN (PostgreSQL)."""

    engine: str
    location: str


@dataclass(frozen=True)
class Limits:
    """What one statement may use. ``memory_bytes`` bounds the worker's resident memory; the
    worker gives DuckDB three quarters of it and caps its address space at one and a half times it."""

    time_s: float
    cpu_s: int
    memory_bytes: int
    output_bytes: int


class BoxFailure(Exception):
    """A call into the box did not return rows; ``kind`` is one of KINDS.

    ``limit`` names the limit a stopped statement hit (one of LIMITS) when ``kind`` is "limit";
    ``message`` is the database's own text for "statement" and a short reason otherwise, never a DSN.
    """

    def __init__(self, kind: str, message: str, *, limit: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.limit = kind, message, limit

    def to_wire(self) -> dict[str, Any]:
        return {"event": "done", "ok": False, "kind": self.kind, "message": self.message, "limit": self.limit}

    @classmethod
    def from_wire(cls, reply: dict[str, Any]) -> BoxFailure:
        kind = reply.get("kind") if reply.get("kind") in KINDS else "box"
        limit = reply.get("limit") if reply.get("limit") in LIMITS else None
        return cls(kind, str(reply.get("message") or "The query failed."), limit=limit)


def request(*, op: str, target: Target, limits: Limits, sql: str = "", fetch: int = 0,
            params: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Return the request message for one call.

    ``params`` are the values of the statement's named placeholders, each an ISO date (or None for
    SQL NULL), already in the engine's placeholder form in ``sql``; the worker binds them through the
    driver as dates (DuckDB, PostgreSQL) or as the ISO text SQLite stores dates as. Raises ValueError
    for an unknown op or engine, a parameter name that is not an identifier or a value that is not
    an ISO date.
    """
    if op not in OPS or target.engine not in ENGINES:
        raise ValueError(f"unknown op {op!r} or engine {target.engine!r}")
    values = dict(params or {})
    for name, value in values.items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"parameter name {name!r} is not an identifier")
        if value is not None and not _is_iso_date(value):
            raise ValueError(f"parameter {name} must be an ISO date or None, not {value!r}")
    return {"op": op, "target": vars(target), "limits": vars(limits), "sql": sql, "fetch": fetch, "params": values}


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 10:  # YYYY-MM-DD only: fromisoformat takes 20260101 too
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def encode(message: dict[str, Any]) -> bytes:
    return encode_raw(json.dumps(message, ensure_ascii=False, default=str).encode())


def encode_raw(body: bytes) -> bytes:
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (a pipe may take less than all of it per call)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_message(fd: int, *, max_bytes: int) -> dict[str, Any] | None:
    """Block until one whole frame has arrived on ``fd`` and return it; None at end of file.

    Raises ValueError for a frame larger than ``max_bytes`` or one that is not a JSON object.
    """
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ValueError(f"a frame of {size} bytes is larger than {max_bytes}")
    body = _read_exactly(fd, size)
    if body is None:
        return None
    return _decoded(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, wanted = [], size
    while wanted:
        chunk = os.read(fd, wanted)
        if not chunk:
            return None
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def _decoded(body: bytes) -> dict[str, Any]:
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ValueError("a frame must hold a JSON object")
    return message


class FrameTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"a frame of {size} bytes")
        self.size = size


class FrameReader:
    """Collect frames from bytes read without blocking, as they come; refuse oversized ones early."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def wanted(self) -> int:
        """Return how many bytes to ask the pipe for: the rest of the frame under way, in reads of
        64 KB to 4 MB (a small reply should not cost a large buffer)."""
        if len(self._buffer) < HEADER.size:
            return 1 << 16
        (size,) = HEADER.unpack_from(self._buffer)
        return min(max(HEADER.size + size - len(self._buffer), 1 << 16), 1 << 22)

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Return the frames that ``data`` completes. Raises FrameTooLarge as soon as a header
        announces more than ``max_bytes`` and ValueError for a body that is not a JSON object."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > self.max_bytes:
                raise FrameTooLarge(size)
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append(_decoded(bytes(self._buffer[HEADER.size:end])))
            del self._buffer[:end]
        return frames
