"""Type-check and compile a custom widget's TSX with the real TypeScript compiler.

The compiler runs in Node (``widgets/tsx/check.mjs``, from the pinned ``node_modules`` that
``make setup`` installs with ``npm ci``), in a warm checker (``tsx_checker.py``: one long-lived
Node process per app process, the compiler and the typings loaded once) that bounds each check's
time and memory. It checks ``props_ts + tsx`` as one strict script, refuses constructs a widget
has no business using (imports, eval, network and page globals, timers, links and embeds, JSX
pragmas, type-level programming) and returns the JavaScript that the same program emits, which
defines ``Widget``. Those rules give the model a clear reason to fix its code; what keeps a
hostile component contained is the sandboxed iframe (``widgets/sandbox/``), not this check.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from backend.errors import ApplicationError, ErrorCode
from widgets.services.tsx_checker import CheckerFailure, Config, warm_checker

log = logging.getLogger(__name__)

MAX_TSX_CHARS = 20_000  # the same limit as check.mjs, checked here first to spare the checker
TIMEOUT_S = 30  # a whole check at most: waiting for the checker (to start, to be free) and checking
CHECK_TIME_S = 3  # the type check itself, stopped from outside past it (a good component: median 0.07 s warm, p95 0.13 s)
HEAP_MB = 512  # the checker thread's heap: ~70 MB hold the compiler and the typings, a good component adds little
SHOWN_ERRORS = 5
SETUP_HINT = "Run `make setup` (or `npm ci` in the project directory) to install it."


@dataclass(frozen=True)
class CompiledTsx:
    """The checked component as an ES2020 script whose top level defines ``Widget``."""

    js: str


class TsxRejected(ApplicationError):
    """The component failed the type check or a sandbox rule; ``errors`` lists each reason."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors) or ["The component was rejected."]
        shown = "; ".join(self.errors[:SHOWN_ERRORS])
        more = len(self.errors) - SHOWN_ERRORS
        suffix = f" (and {more} more)" if more > 0 else ""
        super().__init__(
            ErrorCode.TSX_REJECTED, f"The component did not pass the TypeScript check: {shown}{suffix}",
            {"errors": self.errors},
        )


class TsxCheckerUnavailable(ApplicationError):
    """The checker could not run here (no Node, no node_modules, or it crashed)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(ErrorCode.TSX_UNAVAILABLE, f"Custom widgets cannot be checked: {reason}")
        self.retryable = retryable  # stopped from outside, not broken: a later try may pass


def _tsx_dir() -> Path:
    return Path(settings.BASE_DIR) / "widgets" / "tsx"


def _node() -> str | None:
    """Return the Node executable's path, or None when it is not installed."""
    return shutil.which(settings.NODE_BINARY)


def _typing_packages() -> list[str]:
    """The npm packages the checker needs: the compiler, and what typings.json loads."""
    try:
        typings = json.loads((_tsx_dir() / "typings.json").read_text(encoding="utf-8"))
        return list(dict.fromkeys(["typescript", *typings.get("packages", [])]))
    except (OSError, ValueError):
        return ["typescript"]


def tsx_checker_available() -> str | None:
    """Return why the TSX checker cannot run here, or None when it can."""
    if _node() is None:
        return f"Node.js not found ({settings.NODE_BINARY!r}); install Node 20 or later."
    modules = Path(settings.BASE_DIR) / "node_modules"
    for package in _typing_packages():
        if not (modules / package / "package.json").exists():
            return f"node_modules/{package} is missing. {SETUP_HINT}"
    for name in ("check.mjs", "server.mjs", "worker.mjs", "typings.json"):
        if not (_tsx_dir() / name).exists():
            return f"{_tsx_dir() / name} is missing."
    return None


def _config() -> Config:
    return Config(node=_node() or settings.NODE_BINARY, root=Path(settings.BASE_DIR), heap_mb=HEAP_MB)


def tsx_checker_pid() -> int | None:
    """Return the pid of this process's running checker, or None (for tests and diagnostics)."""
    return warm_checker(_config()).pid


def tsx_checker_warm() -> None:
    """Start the warm checker now, when it can run and is not running, without waiting for it.

    The component step calls this before it asks the model, so that the checker loads while the
    model writes."""
    if tsx_checker_available() is None:
        warm_checker(_config()).prestart()


def tsx_compile(*, tsx: str, props_ts: str, timeout_s: float | None = None) -> CompiledTsx:
    """Type-check ``props_ts + tsx`` and return the script the same program emits for it.

    The type check stops after ``CHECK_TIME_S``; the whole call, waiting for the checker included,
    after ``TIMEOUT_S``, or ``timeout_s`` when that is sooner (what is left of a request's budget).

    Raises:
        TsxRejected: the component has type or syntax errors, breaks a sandbox rule, is too long,
            or its check ran past the time limit or out of memory; the message lists the first few reasons.
        TsxCheckerUnavailable: Node or the pinned TypeScript is not installed, or the checker could not
            give a verdict (``retryable`` when a later try may: it was busy, stopped, or restarted).
    """
    if len(tsx) > MAX_TSX_CHARS:
        raise TsxRejected([f"The component is {len(tsx)} characters long; the limit is {MAX_TSX_CHARS}."])
    problem = tsx_checker_available()
    if problem:
        raise TsxCheckerUnavailable(problem)
    limit = TIMEOUT_S if timeout_s is None else max(1.0, min(TIMEOUT_S, timeout_s))
    check_s = min(CHECK_TIME_S, limit)
    try:
        verdict = warm_checker(_config()).check(props_ts=props_ts, tsx=tsx, time_s=check_s,
                                                ends_at=time.monotonic() + limit)
    except CheckerFailure as failure:
        raise _failure_error(failure, check_s) from failure
    if not verdict.ok or verdict.js is None:
        raise TsxRejected(verdict.errors)
    return CompiledTsx(js=verdict.js)


def _failure_error(failure: CheckerFailure, check_s: float) -> ApplicationError:
    """Map a check without a verdict to what the model (over its limits) or the operator (the rest) can act on."""
    if failure.kind == "time":
        return TsxRejected([f"The type check took too long (over {check_s:.0f} s); simplify the component's types."])
    if failure.kind == "memory":
        return TsxRejected([f"The component's types are too complex to check (the checker ran out of its "
                            f"{HEAP_MB} MB); simplify them."])
    if failure.kind == "crash":
        return TsxCheckerUnavailable("the TypeScript checker crashed on this component.")
    return TsxCheckerUnavailable(f"{failure.detail}.", retryable=failure.retryable)
