"""Dramatiq actors: thin wrappers over the pipeline's plain functions."""
from __future__ import annotations

import dramatiq

from widgets.services import pipeline


@dramatiq.actor(max_retries=3, time_limit=180_000, min_backoff=2_000)
def run_widget_request(request_id: int) -> None:
    pipeline.run(request_id=request_id)
