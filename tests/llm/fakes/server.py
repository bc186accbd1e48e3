"""A scriptable local HTTP server the real SDK clients talk to in tests.

Each request takes the next behaviour from a queue (or the default when the
queue is empty) and is recorded, so a test can assert on exactly what boto3 or
the anthropic SDK sent over the wire.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request.

    ``kind`` is one of: ``ok``, ``throttle``, ``server_error``, ``slow``,
    ``no_tool``, ``malformed``, ``access_denied``, ``validation``,
    ``not_found``, ``not_ready``, or ``raw``: ``body`` sent as is with ``status``
    (what a proxy in between may send).
    """

    kind: str = "ok"
    payload: dict[str, Any] | None = None
    usage: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0
    status: int = 500
    message: str = ""
    body: bytes = b""
    content_type: str = "application/json"
    stop_reason: str = ""  # ``stopped``: how the answer ends (max_tokens, refusal, ...)
    compute: Any = None  # ``computed``: a function of the Received request that returns the payload
    hold: object = None  # a threading.Event the reply waits for (``held``): to prove two calls overlap


def ok(payload: dict[str, Any] | None = None, **usage: int) -> Behaviour:
    return Behaviour("ok", payload=payload, usage=usage)


def throttle() -> Behaviour:
    return Behaviour("throttle")


def server_error(status: int = 500) -> Behaviour:
    return Behaviour("server_error", status=status)


def slow(delay_s: float, payload: dict[str, Any] | None = None) -> Behaviour:
    return Behaviour("slow", delay_s=delay_s, payload=payload)


def stopped(stop_reason: str, payload: dict[str, Any] | None = None, **usage: int) -> Behaviour:
    """An answer that ends with ``stop_reason``: a tool call with ``payload`` (cut short, say) or, without
    one, a sentence of text."""
    return Behaviour("stopped", payload=payload, stop_reason=stop_reason, usage=usage)


def computed(compute: Any, *, delay_s: float = 0.0) -> Behaviour:
    """An answer whose payload ``compute(received)`` works out from the request (like a real model)."""
    return Behaviour("computed", compute=compute, delay_s=delay_s)


def held(event: Any, payload: dict[str, Any] | None = None) -> Behaviour:
    """An answer sent only once ``event`` is set (or after 30 s, failing the test that forgot it)."""
    return Behaviour("ok", payload=payload, hold=event)


def raw(status: int, body: bytes, content_type: str = "application/json") -> Behaviour:
    return Behaviour("raw", status=status, body=body, content_type=content_type)


def no_tool() -> Behaviour:
    return Behaviour("no_tool")


def malformed() -> Behaviour:
    return Behaviour("malformed")


def access_denied(message: str = "You don't have access to the model with the specified model ID.") -> Behaviour:
    return Behaviour("access_denied", message=message)


def validation(message: str = "The model returned the following errors: invalid request") -> Behaviour:
    return Behaviour("validation", message=message)


def not_found() -> Behaviour:
    return Behaviour("not_found", message="The provided model identifier is invalid.")


def not_ready() -> Behaviour:
    return Behaviour("not_ready", message="Model is not ready to serve inference requests.")


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


class FakeServer:
    """Base class: subclasses turn a behaviour into a wire-format reply with ``render``."""

    default_payload: dict[str, Any] = {"ok": True}

    def __init__(self) -> None:
        self.queue: list[Behaviour] = []
        self.default = Behaviour("ok")
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._count = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self.queue.extend(behaviours)

    def next_request_id(self) -> str:
        with self._lock:
            self._count += 1
            return f"fake-req-{self._count:04d}"

    def take(self, received: Received) -> Behaviour:
        with self._lock:
            self.requests.append(received)
            return self.queue.pop(0) if self.queue else self.default

    def render(self, behaviour: Behaviour, received: Received) -> Reply:
        raise NotImplementedError

    def decode(self, raw: bytes) -> dict[str, Any]:
        """Return a request body as a dict (JSON here; a query-protocol fake overrides it)."""
        return json.loads(raw or b"{}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One buffered write per reply and no Nagle delay: separate header and body packets
            # would meet the client's delayed ACK and add ~40 ms to every call.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                received = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                    server.decode(raw))
                behaviour = server.take(received)
                if behaviour.kind == "computed":
                    behaviour = Behaviour("ok", payload=behaviour.compute(received), delay_s=behaviour.delay_s)
                if behaviour.delay_s:
                    time.sleep(behaviour.delay_s)
                if behaviour.hold is not None:
                    behaviour.hold.wait(30)
                reply = (Reply(behaviour.status, behaviour.body, {"Content-Type": behaviour.content_type})
                         if behaviour.kind == "raw" else server.render(behaviour, received))
                try:
                    self.send_response(reply.status)
                    for name, value in {**reply.headers, "Content-Length": str(len(reply.body))}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout): that is the point of a slow reply

        return Handler
