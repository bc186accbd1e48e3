"""Dramatiq actors: thin wrappers over the pipeline's plain functions."""
from __future__ import annotations

import dramatiq
from dramatiq.middleware import CurrentMessage

from widgets.services import pipeline, resolve

MAX_RETRIES = 3
TIME_LIMIT_S = 180


@dramatiq.actor(max_retries=MAX_RETRIES, time_limit=TIME_LIMIT_S * 1000, min_backoff=2_000)
def run_widget_request(request_id: int) -> None:
    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message else MAX_RETRIES
    pipeline.run(request_id=request_id, final_attempt=retries >= MAX_RETRIES, time_limit_s=TIME_LIMIT_S)


@dramatiq.actor(max_retries=0, time_limit=120_000)
def refresh_widget(widget_id: int) -> None:
    # Failures are recorded on the widget; the next stale dashboard load queues another try.
    resolve.widget_refresh(widget_id=widget_id)
