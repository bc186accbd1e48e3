"""The whole path through real services: PostgreSQL app database, a Redis broker, a Dramatiq worker."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dramatiq import Worker
from dramatiq.brokers.redis import RedisBroker
from rest_framework.test import APIClient

from tests.widgets.helpers import wait_for
from widgets.models import RequestStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_worker(redis_broker: RedisBroker) -> Iterator[RedisBroker]:
    """A worker on the real Redis broker, with the production middleware (the maintenance thread too)."""
    worker = Worker(redis_broker, worker_threads=2, worker_timeout=10)
    worker.start()
    try:
        yield redis_broker
    finally:
        worker.stop()


def test_a_kpi_is_built_by_a_worker_through_redis_on_postgres(redis_worker, demo_source, warehouse: Path,
                                                              analyst, dashboard):
    from django.db import connection

    assert connection.vendor == "postgresql"
    client = APIClient()
    client.force_login(analyst)
    response = client.post(f"/api/dashboards/{dashboard.id}/requests/",
                           {"prompt": "total paid amount over the last 30 days"}, format="json")
    assert response.status_code == 202
    request = wait_for(response.json()["id"], {RequestStatus.READY, RequestStatus.FAILED})
    assert request.status == RequestStatus.READY, request.error_message
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        expected = conn.execute("SELECT SUM(paid_amount) FROM claims WHERE status = 'closed' AND "
                                "closed_date > CURRENT_DATE - 30 AND closed_date <= CURRENT_DATE").fetchone()[0]
    body = client.get(f"/api/requests/{request.id}/").json()
    assert body["widget"]["result"]["rows"] == [[pytest.approx(float(expected))]]


def test_clarification_round_trip_through_the_worker(redis_worker, demo_source, analyst, dashboard):
    client = APIClient()
    client.force_login(analyst)
    created = client.post(f"/api/dashboards/{dashboard.id}/requests/", {"prompt": "the numbers by channel"},
                          format="json").json()
    waiting = wait_for(created["id"], {RequestStatus.NEEDS_CLARIFICATION, RequestStatus.FAILED})
    assert waiting.status == RequestStatus.NEEDS_CLARIFICATION
    client.post(f"/api/requests/{waiting.id}/answers/", {"answers": {"metric": "Claim count"}}, format="json")
    done = wait_for(waiting.id, {RequestStatus.READY, RequestStatus.FAILED})
    assert done.status == RequestStatus.READY, done.error_message
    assert done.widget.result["columns"] == ["channel", "claim_count"]
