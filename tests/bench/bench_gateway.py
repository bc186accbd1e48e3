"""The gateway's own overhead per call: ``get_llm(...).ask`` vs a bare boto3 ``converse``.

A plain script (``make bench``), not a test. It sets Django up on a temporary
SQLite database, migrates it, starts the fake Bedrock server from the tests and
times both paths against it, interleaved, printing median and p95, the ratio and
the milliseconds our layer adds (target: under 2 ms at the median).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WARMUP, ROUNDS = 50, 500


def _environment(tmp: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "backend.settings", "BUILDER_VAR_DIR": tmp,
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "BUILDER_MODE": "live",
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
        "ANTHROPIC_API_KEY": "sk-ant-fake", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "LOG_LEVEL": "WARNING",
    })
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("CACHE_URL", None)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def _time(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _environment(tmp)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(tmp)


def run(tmp: str) -> None:
    import boto3
    from botocore.config import Config

    from backend.llm.capabilities import capability_for
    from backend.llm.gateway import get_llm
    from backend.llm.models import ModelRoute
    from backend.llm.providers.bedrock import converse_arguments
    from backend.llm.types import LLMRequest, Tool
    from tests.llm.fakes.bedrock import FakeBedrock

    server = FakeBedrock().start()
    os.environ["BEDROCK_ENDPOINT_URL"] = server.url
    try:
        route = ModelRoute.objects.get(tier__name="fast", position=0)
        request = LLMRequest(system="You answer briefly.", context="A stable prefix.", prompt="ping",
                             tool=Tool("record_answer", "Record.", {"type": "object", "properties": {}}))
        bare = boto3.session.Session().client("bedrock-runtime", endpoint_url=server.url, config=Config(
            region_name="us-east-1", retries={"total_max_attempts": 1}, read_timeout=route.timeout_s))
        arguments = converse_arguments(request, route, capability_for(route.model_id))
        client = get_llm("sql_generation")
        ours: list[float] = []
        baseline: list[float] = []
        for i in range(WARMUP + ROUNDS):
            a, b = _time(lambda: client.ask(request, dict)), _time(lambda: bare.converse(**arguments))
            if i >= WARMUP:
                ours.append(a)
                baseline.append(b)
        report(ours, baseline)
    finally:
        server.stop()


def report(ours: list[float], baseline: list[float]) -> None:
    (our_p50, our_p95), (base_p50, base_p95) = _percentiles(ours), _percentiles(baseline)
    print(f"{ROUNDS} calls each against the local fake Converse server")
    print(f"{'':<22}{'median ms':>10}{'p95 ms':>10}")
    print(f"{'bare boto3 converse':<22}{base_p50:>10.3f}{base_p95:>10.3f}")
    print(f"{'get_llm(...).ask':<22}{our_p50:>10.3f}{our_p95:>10.3f}")
    added = our_p50 - base_p50
    print(f"ratio (median) {our_p50 / base_p50:.2f}x; added {added:.3f} ms at the median "
          f"({'within' if added < 2 else 'OVER'} the 2 ms target), {our_p95 - base_p95:.3f} ms at p95")


if __name__ == "__main__":
    main()
