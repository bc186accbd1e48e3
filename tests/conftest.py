"""Test-wide set-up: fake credentials, a small warehouse, and service checks.

Fake AWS and Anthropic credentials pointing at a closed local port are set
before anything runs, so a call that escapes the fakes fails loudly instead of
reaching a real account. ``BUILDER_MODE=offline`` unless a test says otherwise.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE",
    "AWS_SECRET_ACCESS_KEY": "fake-secret-for-tests-only",
    "AWS_SESSION_TOKEN": "fake-session-token",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "BEDROCK_ENDPOINT_URL": "http://127.0.0.1:9",
    "ANTHROPIC_API_KEY": "sk-ant-fake-key-for-tests",
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
    "BUILDER_MODE": "offline",
}
for _name, _value in _FAKE_ENV.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_WAREHOUSE_CLAIMS = 20_000


def service_missing(what: str) -> None:
    """Skip the current test because ``what`` is unavailable, or fail under CI where it must exist."""
    if IN_CI:
        pytest.fail(f"{what} (required under CI=true)")
    pytest.skip(what)


def _postgres_reachable() -> str | None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    try:
        import psycopg

        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, user=db.get("USER") or None,
            dbname=db.get("NAME"), password=db.get("PASSWORD") or None, connect_timeout=3,
        ).close()
    except Exception as exc:  # any failure means "not usable here"
        return f"PostgreSQL not reachable at {db.get('HOST')}:{db.get('PORT')} ({exc.__class__.__name__})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        problem = _postgres_reachable()
        if problem and IN_CI:
            raise pytest.UsageError(f"{problem}; CI=true requires it")
        if problem:
            for item in items:
                item.add_marker(pytest.mark.skip(reason=f"{problem}: the PostgreSQL pass is skipped"))
        for item in items:
            if item.get_closest_marker("once"):
                item.add_marker(pytest.mark.skip(reason="runs once, in the SQLite pass"))
        return
    for item in items:
        if item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.skip(reason="needs the app database on PostgreSQL: runs in `make test-pg`"))


@pytest.fixture(scope="session")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo warehouse built by the real generator, shared by the session."""
    from sql_gen.services.warehouse import warehouse_build

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    warehouse_build(path=path, claims=TEST_WAREHOUSE_CLAIMS)
    return path


@pytest.fixture
def warehouse(settings: Any, warehouse_file: Path) -> Path:
    settings.WAREHOUSE_PATH = warehouse_file
    return warehouse_file


@pytest.fixture
def llm_routing(db: None) -> None:
    """The seeded tiers and purposes. A data migration creates them, but a transactional
    test flushes the database afterwards, so tests that need them ask for them."""
    from django.apps import apps

    from backend.llm.seed import seed_routing

    seed_routing(apps)


@pytest.fixture
def demo_source(llm_routing: None, warehouse: Path) -> Any:
    """The demo data source with its dictionary and metrics, over the small warehouse."""
    from sql_gen.services.demo import demo_source_seed

    return demo_source_seed()


@pytest.fixture
def analyst(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="ana", password="pw-ana-123456")


@pytest.fixture
def other_analyst(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="bob", password="pw-bob-123456")


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """Return a function that makes an API client logged in as a user."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def dashboard(analyst: Any) -> Any:
    from widgets.models import Dashboard

    return Dashboard.objects.create(owner=analyst, name="Claims")


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    # Hashing passwords properly is slow on purpose; tests need it fast, not strong.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The API's per-user throttles count in a cache the whole process shares: off, but where a test turns
    # them on (tests/api/test_throttles.py).
    settings.API_THROTTLE_ENABLED = False
    yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the SQLite test database's WAL and shared-memory files, which Django's teardown leaves."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


# Property tests check what holds, not how fast: hypothesis's default 200 ms deadline per example is a timed
# assertion that a loaded 2-core machine trips (speed is measured by `make bench`).
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")
