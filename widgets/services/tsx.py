"""Type-check and transpile a custom widget's TSX with the real TypeScript compiler.

The compiler runs in Node (``widgets/tsx/check.mjs``, from the pinned ``node_modules`` that
``make setup`` installs with ``npm ci``). It checks ``props_ts + tsx`` as one strict script,
refuses constructs a widget has no business using (imports, eval, network and page globals,
timers, links and embeds) and returns the component as plain JavaScript that defines
``Widget``. Those rules give the model a clear reason to fix its code; what keeps a hostile
component contained is the sandboxed iframe (``widgets/sandbox/``), not this check.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from backend.errors import ApplicationError, ErrorCode

log = logging.getLogger(__name__)

MAX_TSX_CHARS = 20_000  # the same limit as check.mjs, checked here first to spare a Node start
TIMEOUT_S = 30
HEAP_MB = 1024
# V8 aborts (SIGABRT: -6 from subprocess, 134 through a shell) when the heap limit is reached.
_OUT_OF_MEMORY_STATUSES = (-6, 134)
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


def _script() -> Path:
    return Path(settings.BASE_DIR) / "widgets" / "tsx" / "check.mjs"


def _node() -> str | None:
    """Return the Node executable's path, or None when it is not installed."""
    return shutil.which(settings.NODE_BINARY)


def tsx_checker_available() -> str | None:
    """Return why the TSX checker cannot run here, or None when it can."""
    if _node() is None:
        return f"Node.js not found ({settings.NODE_BINARY!r}); install Node 20 or later."
    modules = Path(settings.BASE_DIR) / "node_modules"
    for package in ("typescript", "@types/react"):
        if not (modules / package / "package.json").exists():
            return f"node_modules/{package} is missing. {SETUP_HINT}"
    if not _script().exists():
        return f"{_script()} is missing."
    return None


def _run_checker(node: str, payload: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run check.mjs with ``payload`` on stdin; raise TsxRejected when it runs past ``timeout_s``."""
    # The compiler needs no credentials: it gets PATH and nothing else from our environment.
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    try:
        return subprocess.run(
            [node, f"--max-old-space-size={HEAP_MB}", str(_script())], input=payload, capture_output=True,
            text=True, encoding="utf-8", timeout=timeout_s, cwd=settings.BASE_DIR, env=env, check=False,
            start_new_session=True,  # Ctrl-C in the app's terminal stops the app, not a check half-way
        )
    except subprocess.TimeoutExpired as exc:
        raise TsxRejected([f"The TypeScript check ran past {timeout_s:.0f} s; simplify the component's types."]) from exc
    except OSError as exc:
        raise TsxCheckerUnavailable(f"Node.js could not be started ({exc.strerror or exc}).") from exc


def tsx_compile(*, tsx: str, props_ts: str, timeout_s: float | None = None) -> CompiledTsx:
    """Type-check ``props_ts + tsx`` and return the tsx transpiled to JavaScript.

    The check stops after ``TIMEOUT_S``, or ``timeout_s`` when that is sooner (what is left of a
    request's budget).

    Raises:
        TsxRejected: the component has type or syntax errors, breaks a sandbox rule, is too long,
            or its check ran past the time limit or out of memory; the message lists the first few reasons.
        TsxCheckerUnavailable: Node or the pinned TypeScript is not installed, or the checker crashed.
    """
    if len(tsx) > MAX_TSX_CHARS:
        raise TsxRejected([f"The component is {len(tsx)} characters long; the limit is {MAX_TSX_CHARS}."])
    problem = tsx_checker_available()
    if problem:
        raise TsxCheckerUnavailable(problem)
    limit = TIMEOUT_S if timeout_s is None else max(1.0, min(TIMEOUT_S, timeout_s))
    done = _run_checker(_node() or settings.NODE_BINARY, json.dumps({"props_ts": props_ts, "tsx": tsx}), limit)
    if done.returncode in _OUT_OF_MEMORY_STATUSES or "heap out of memory" in done.stderr:
        # The component's types made the compiler exhaust its heap: the model can simplify them.
        log.warning("check.mjs ran out of memory (exit status %s): %s", done.returncode, done.stderr[-500:])
        raise TsxRejected([f"The component's types are too complex to check (the checker ran out of its "
                           f"{HEAP_MB} MB); simplify them."])
    if done.returncode < 0:  # killed by a signal from outside (a shutdown): the same check may pass again
        log.warning("check.mjs was stopped by signal %s", -done.returncode)
        raise TsxCheckerUnavailable(f"the TypeScript checker was stopped (signal {-done.returncode}); it is "
                                    "tried again.", retryable=True)
    if done.returncode != 0:
        log.error("check.mjs exited with %s: %s", done.returncode, done.stderr[-2000:])
        raise TsxCheckerUnavailable(f"the TypeScript checker crashed (exit status {done.returncode}).")
    try:
        verdict = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        log.error("check.mjs wrote no JSON: %r", done.stdout[:500])
        raise TsxCheckerUnavailable("the TypeScript checker gave no verdict.") from exc
    if not verdict.get("ok") or not isinstance(verdict.get("js"), str):
        raise TsxRejected([str(e) for e in verdict.get("errors") or []])
    return CompiledTsx(js=verdict["js"])
