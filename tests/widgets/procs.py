"""Real processes for the recovery tests: workers and ``serve`` against the test database, a private Redis.

A subprocess reads the same database as the test (the test's own, committed: these tests use
``transaction=True``), the same small warehouse, fake credentials, and a fake model in the test process.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test runs on (its test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def app_env(**extra: Any) -> dict[str, str]:
    """The environment a subprocess of the app runs with; ``extra`` adds to it (None removes)."""
    env = {**os.environ, "DATABASE_URL": database_url(), "WAREHOUSE_PATH": str(settings.WAREHOUSE_PATH),
           "BUILDER_VAR_DIR": str(settings.VAR_DIR), "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def read_until(process: subprocess.Popen[str], needle: str, timeout: float = 60) -> str:
    """Return the output line containing ``needle``; raise AssertionError with what was read otherwise."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            seen.append(line)
            if needle in line:
                return line
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.05)
    raise AssertionError(f"no {needle!r} in the output within {timeout}s:\n{''.join(seen[-40:])}")


def stop(process: subprocess.Popen[str]) -> None:
    """End a process and everything it started (its session)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextmanager
def private_redis() -> Iterator[tuple[str, Any]]:
    """Yield (url, restart) for a Redis server of this test's own, on a free port; None without redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = {"now": subprocess.Popen(command, stdout=subprocess.DEVNULL)}
    _wait_listening(port)

    def restart() -> None:
        process["now"].kill()
        process["now"].wait()
        process["now"] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _wait_listening(port)

    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        process["now"].kill()
        process["now"].wait()


def _wait_listening(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"redis-server did not listen on {port}")
