"""The circuit breaker's states, in one process (local memory) and across two (Redis)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from backend.llm.breaker import Admission, Breaker
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]


def _breaker() -> Breaker:
    return Breaker(key=f"test-{uuid.uuid4().hex}", failures=3, open_s=300)


def test_it_stays_closed_below_the_threshold() -> None:
    breaker = _breaker()
    assert [breaker.failed(admission=Admission.CLOSED, now=0) for _ in range(2)] == [False, False]
    assert breaker.admit(now=1) is Admission.CLOSED


def test_the_threshold_th_consecutive_failure_opens_it_for_the_open_time() -> None:
    breaker = _breaker()
    assert [breaker.failed(admission=Admission.CLOSED, now=100) for _ in range(3)] == [False, False, True]
    assert breaker.admit(now=399) is Admission.OPEN
    assert breaker.state(now=401) == "half_open"


def test_a_success_resets_the_consecutive_count() -> None:
    breaker = _breaker()
    breaker.failed(admission=Admission.CLOSED, now=0)
    breaker.failed(admission=Admission.CLOSED, now=0)
    breaker.succeeded()
    assert breaker.failed(admission=Admission.CLOSED, now=0) is False


def test_half_open_admits_one_probe_at_a_time() -> None:
    breaker = _breaker()
    for _ in range(3):
        breaker.failed(admission=Admission.CLOSED, now=0)
    assert [breaker.admit(now=301), breaker.admit(now=301)] == [Admission.PROBE, Admission.OPEN]
    breaker.released(admission=Admission.PROBE)
    assert breaker.admit(now=302) is Admission.PROBE


def test_a_failed_probe_reopens_for_the_full_time() -> None:
    breaker = _breaker()
    for _ in range(3):
        breaker.failed(admission=Admission.CLOSED, now=0)
    assert breaker.admit(now=301) is Admission.PROBE
    assert breaker.failed(admission=Admission.PROBE, now=301) is True
    assert breaker.admit(now=600) is Admission.OPEN and breaker.admit(now=602) is Admission.PROBE


@pytest.fixture
def redis_cache(settings, tmp_path) -> str:
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/15"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # any failure means "not usable here"
        service_missing(f"Redis not reachable at {url} ({exc.__class__.__name__})")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    return url


def _other_process(url: str, tmp_path: Path, key: str, *steps: str) -> list[object]:
    env = {**os.environ, "CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "backend.settings",
           "BUILDER_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("breaker_script.py")), key, *steps],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_open_half_open_and_close(redis_cache, tmp_path) -> None:
    here = _breaker()
    here.failed(admission=Admission.CLOSED, now=0)
    here.failed(admission=Admission.CLOSED, now=0)
    # The other process's failure is the third in a row: it opens the route for both.
    assert _other_process(redis_cache, tmp_path, here.key, "fail@0", "admit@10") == [True, "open"]
    assert here.admit(now=10) is Admission.OPEN
    # Half-open: this process takes the probe, so the other one is kept out ...
    assert here.admit(now=1000) is Admission.PROBE
    assert _other_process(redis_cache, tmp_path, here.key, "admit@1000") == ["open"]
    # ... and the probe's success closes the route for everyone.
    here.succeeded()
    assert _other_process(redis_cache, tmp_path, here.key, "admit@1000") == ["closed"]
