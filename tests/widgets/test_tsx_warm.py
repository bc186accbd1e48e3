"""The warm TSX checker: one long-lived Node process per app process, reused across checks, each check
bounded in time and memory, and the process replaced when it dies or hangs, with no process left behind.

The expensive types here sit in ``props_ts``, which is ours and not subject to the component's rules
(the same types in the component are refused before the type check: see test_tsx_check.py), so they
reach the compiler and show what bounds it from outside.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing
from tests.widgets.test_tsx_check import GOOD_TSX, PROPS_TS
from widgets.services import tsx, tsx_checker
from widgets.services.tsx import (
    TsxCheckerUnavailable,
    TsxRejected,
    tsx_checker_available,
    tsx_checker_pid,
    tsx_checker_warm,
    tsx_compile,
)

# Minutes of work for the compiler (2 GB with no heap cap), growing slowly in memory.
SLOW_PROPS_TS = PROPS_TS + """\
type Exp<T, N extends unknown[]> = N extends [unknown, ...infer R] ? Exp<T | [T], R> | Exp<{ a: T }, R> : T;
type Boom = Exp<0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]>;
declare const boom: Boom;
const text: string = boom;
"""
# 10,000 properties of 10,000 properties each, compared: the heap fills fast.
HUNGRY_PROPS_TS = PROPS_TS + """\
type D = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type U = `${D}${D}${D}${D}`;
type V = { [K in U]: { [J in U]: K } };
declare const v: V;
const w: { [K in U]: { [J in U]: string } } = v;
"""


@pytest.fixture(autouse=True)
def _checker() -> Iterator[None]:
    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")
    yield


@pytest.fixture
def fresh() -> Iterator[None]:
    """A test that changes how the checker runs starts and leaves with none running."""
    tsx_checker.checker_shutdown()
    yield
    tsx_checker.checker_shutdown()


def warm_pid() -> int:
    """Run one good check and return the pid of the process that ran it."""
    tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)
    pid = tsx_checker_pid()
    assert pid is not None
    return pid


def gone(pid: int) -> bool:
    """True when ``pid`` has exited and been reaped (no zombie left)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "X"


def zombie_children() -> list[int]:
    zombies = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(int(stat.parent.name))
    return zombies


def test_the_checker_is_reused_across_checks() -> None:
    pid = warm_pid()

    for title in ("one", "two", "three"):
        compiled = tsx_compile(tsx=GOOD_TSX.replace("props.title", f'"{title}"'), props_ts=PROPS_TS)
        assert f'"{title}"' in compiled.js

    assert tsx_checker_pid() == pid
    assert "widgets/tsx/server.mjs" in Path(f"/proc/{pid}/cmdline").read_text()


def test_the_checker_runs_in_a_session_of_its_own_with_nothing_of_the_apps_environment() -> None:
    pid = warm_pid()

    assert os.getsid(pid) == pid  # Ctrl-C in the app's terminal does not reach it
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert sorted(e.split(b"=")[0] for e in environ if e) == [b"LANG", b"PATH"]


def test_a_check_past_its_deadline_is_refused_and_the_next_runs_in_the_same_process(monkeypatch) -> None:
    pid = warm_pid()
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 1)

    started = time.monotonic()
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=SLOW_PROPS_TS)
    took = time.monotonic() - started

    assert caught.value.errors == ["The type check took too long (over 1 s); simplify the component's types."]
    assert took < 1 + tsx_checker.GRACE_S  # stopped by the server's own deadline, not by this side's watch
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 10)
    assert tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS).js  # a fresh thread in the same process
    assert tsx_checker_pid() == pid


@pytest.mark.slow
def test_a_check_over_its_memory_cap_is_refused_and_the_next_runs_in_the_same_process(monkeypatch, fresh) -> None:
    monkeypatch.setattr(tsx, "HEAP_MB", 192)  # a warm thread holds ~70 MB
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 110)  # what stops it is the cap, even on a loaded machine
    monkeypatch.setattr(tsx, "TIMEOUT_S", 120)
    pid = warm_pid()

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=HUNGRY_PROPS_TS, timeout_s=120)

    assert caught.value.errors == [
        "The component's types are too complex to check (the checker ran out of its 192 MB); simplify them."]
    assert tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS).js
    assert tsx_checker_pid() == pid


def test_a_checker_that_died_while_idle_is_restarted_for_the_next_check() -> None:
    pid = warm_pid()
    os.kill(pid, signal.SIGKILL)

    assert tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS).js  # no error: the check had not reached it

    assert tsx_checker_pid() not in (None, pid)
    assert gone(pid)


def test_a_hung_checker_is_killed_and_replaced(monkeypatch) -> None:
    pid = warm_pid()
    monkeypatch.setattr(tsx_checker, "BOOT_TIMEOUT_S", 2.0)
    os.kill(pid, signal.SIGSTOP)  # alive, and answering nothing

    with pytest.raises(TsxCheckerUnavailable) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)

    assert caught.value.retryable is True
    assert "did not start within 2 s" in caught.value.message
    assert gone(pid)
    monkeypatch.setattr(tsx_checker, "BOOT_TIMEOUT_S", 60)  # the successor is given the usual time to load
    assert warm_pid() != pid


@pytest.mark.slow
def test_a_checker_that_hangs_mid_check_is_killed_at_the_deadline_plus_a_grace(monkeypatch) -> None:
    pid = warm_pid()
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 2)
    monkeypatch.setattr(tsx_checker, "GRACE_S", 0.5)
    monkeypatch.setattr(tsx_checker, "BOOT_TIMEOUT_S", 3)  # were the stop to come before the check started
    threading.Timer(0.5, os.kill, (pid, signal.SIGSTOP)).start()  # while it works on the slow types

    started = time.monotonic()
    with pytest.raises(TsxCheckerUnavailable) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=SLOW_PROPS_TS)

    assert caught.value.retryable is True
    assert time.monotonic() - started < 2 + 0.5 + 3
    assert gone(pid)
    monkeypatch.setattr(tsx_checker, "BOOT_TIMEOUT_S", 60)
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 10)
    assert warm_pid() != pid


def test_checks_from_several_threads_share_the_one_process() -> None:
    pid = warm_pid()
    results: dict[int, Any] = {}

    def check(n: int) -> None:
        try:
            results[n] = tsx_compile(tsx=GOOD_TSX.replace("props.title", f'"thread {n}"'), props_ts=PROPS_TS).js
        except Exception as exc:  # noqa: BLE001 - shown by the assertion below
            results[n] = exc

    threads = [threading.Thread(target=check, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert all(f'"thread {n}"' in str(results[n]) for n in range(4)), results
    assert tsx_checker_pid() == pid


@pytest.mark.slow
def test_a_thread_that_cannot_have_the_checker_within_its_budget_is_told_to_try_again(monkeypatch) -> None:
    warm_pid()
    monkeypatch.setattr(tsx, "CHECK_TIME_S", 3)
    busy = threading.Thread(target=lambda: pytest.raises(TsxRejected, tsx_compile, tsx=GOOD_TSX,
                                                         props_ts=SLOW_PROPS_TS))
    busy.start()
    time.sleep(0.3)

    with pytest.raises(TsxCheckerUnavailable) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS, timeout_s=1)
    busy.join(30)

    assert caught.value.retryable is True and "busy" in caught.value.message


def test_shutdown_ends_the_checker_and_leaves_no_zombie(fresh) -> None:
    pid = warm_pid()

    tsx_checker.checker_shutdown()

    assert gone(pid)
    assert zombie_children() == []


def test_the_component_step_starts_the_checker_before_the_model_answers(fresh) -> None:
    assert tsx_checker_pid() is None

    tsx_checker_warm()

    assert tsx_checker_pid() is not None  # loading while the model writes; the check finds it ready


def test_the_checker_exits_when_its_app_process_dies() -> None:
    """A server whose app process was killed (no atexit) reads end-of-file and exits."""
    script = (
        "import sys, time; from pathlib import Path\n"
        "from widgets.services.tsx_checker import Config, WarmChecker\n"
        "c = WarmChecker(Config(node=sys.argv[1], root=Path('.'), heap_mb=256))\n"
        "v = c.check(props_ts='interface Props { title: string }\\n', "
        "tsx='function Widget(props: Props) { return <div>{props.title}</div>; }', time_s=10, "
        "ends_at=time.monotonic() + 60)\n"
        "print(c.pid, v.ok, flush=True)\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[2]
    app = subprocess.Popen([sys.executable, "-c", script, tsx._config().node], cwd=root, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        server_pid, ok = app.stdout.readline().split()  # type: ignore[union-attr]
        assert ok == "True"
        app.kill()
        app.wait()
        deadline = time.monotonic() + 10
        while not gone(int(server_pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(int(server_pid))
    finally:
        app.kill()
        app.wait()
        app.stdout.close()  # type: ignore[union-attr]


def test_a_forked_child_starts_a_checker_of_its_own() -> None:
    pid = warm_pid()
    read_end, write_end = os.pipe()

    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)
            os.write(write_end, str(tsx_checker_pid()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child_checker = pipe.read()
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert child_checker and int(child_checker) != pid
    assert tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS).js and tsx_checker_pid() == pid  # the parent's, untouched


def test_a_checker_that_cannot_start_says_why(settings, fresh, tmp_path) -> None:
    """node_modules present but its compiler broken: the server reports it and exits, no hang."""
    tsx_dir = tmp_path / "widgets" / "tsx"
    tsx_dir.mkdir(parents=True)
    real = Path(settings.BASE_DIR)
    for name in ("check.mjs", "server.mjs", "worker.mjs", "typings.json"):
        (tsx_dir / name).write_text((real / "widgets" / "tsx" / name).read_text())
    (tmp_path / "node_modules" / "typescript").mkdir(parents=True)
    (tmp_path / "node_modules" / "typescript" / "package.json").write_text('{"name": "broken", "main": "nowhere.js"}')
    settings.BASE_DIR = tmp_path

    with pytest.raises(TsxCheckerUnavailable) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)

    assert "the TypeScript checker could not start" in caught.value.message
    assert caught.value.retryable is False
