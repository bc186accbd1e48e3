"""A box worker: ``python -m sql_gen.box.worker``, started by ``pool.py`` and spoken to over its
stdin and stdout (see ``protocol.py``). It runs one statement at a time for as long as its parent
keeps the pipe open, and never loads Django.

Before each statement it resets its own limits: the CPU limit counts the process's CPU over its
whole life, so the soft limit moves to what it has used so far plus the statement's allowance
(the hard limit stays unlimited, so that it can be raised again next time); the address space is
capped at one and a half times the memory limit. Nothing may be written to a file at all.
"""
from __future__ import annotations

import math
import os
import resource
import select
import signal
import sys

from sql_gen.box.engines import Engines
from sql_gen.box.protocol import MAX_REQUEST_BYTES, Limits, encode, read_message, write_all

# RLIMIT_AS over the memory limit. Measured on this machine (Python 3.11, DuckDB 2.0, glibc with
# MALLOC_ARENA_MAX=2): a worker with DuckDB and psycopg loaded and a warehouse open has a virtual
# size of 138 MB and 73 MB resident; the heaviest demo queries over the 1M-claim warehouse take
# it to ~275 MB virtual for ~200 MB resident. The margin covers that gap; the resident limit
# itself is the parent's watchdog, and DuckDB's own memory_limit is lower still.
ADDRESS_SPACE_FACTOR = 1.5
# An idle worker closes its DuckDB files: their read lock and buffer memory are released, and
# the next statement pays one reconnect.
IDLE_CLOSE_S = 120.0


def main() -> None:
    requests, replies = _claim_pipes()
    _lock_down()
    engines = Engines(send=lambda message: write_all(replies, encode(message)))
    write_all(replies, encode({"event": "ready", "pid": os.getpid()}))
    waiting = select.poll()
    waiting.register(requests, select.POLLIN)
    while True:
        if not waiting.poll(IDLE_CLOSE_S * 1000):
            engines.close_idle()
            continue
        try:
            message = read_message(requests, max_bytes=MAX_REQUEST_BYTES)
        except ValueError:
            return  # the protocol broke: exit, and the parent sees the pipe close
        if message is None:
            return  # the parent closed the pipe or is gone
        _arm(Limits(**message["limits"]))
        write_all(replies, engines.handle(message))


def _claim_pipes() -> tuple[int, int]:
    """Keep stdin and stdout for the protocol; a stray print from a library then goes to stderr."""
    requests, replies = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    return requests, replies


def _lock_down() -> None:
    # Ctrl-C in the terminal of a dev server reaches the whole process group; the worker ends when
    # its parent closes the pipe instead, without a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # Python ignores SIGXFSZ: a write fails with EFBIG


def _arm(limits: Limits) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _set_soft(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime) + limits.cpu_s)
    _set_soft(resource.RLIMIT_AS, int(limits.memory_bytes * ADDRESS_SPACE_FACTOR))


def _set_soft(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the parent went away mid-reply
        pass
    sys.exit(0)
