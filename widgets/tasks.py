"""Dramatiq actors: thin wrappers over plain functions, safe to run twice."""
from __future__ import annotations

import dramatiq

from widgets.services import resolve, runner


@dramatiq.actor(actor_name="run_step", max_retries=0, time_limit=runner.STEP_TIME_LIMIT_S * 1000)
def run_step(step_id: int) -> None:
    # Retries are the step's own (requeued with a backoff, attempts counted on its row), not Dramatiq's.
    runner.step_run(step_id=step_id)


@dramatiq.actor(max_retries=0, time_limit=120_000)
def refresh_widget(widget_id: int, force: bool = False) -> None:
    # Failures are recorded on the widget; the next stale dashboard load queues another try. ``force``: the
    # analyst asked (Refresh all), so a widget that is not stale runs again too.
    resolve.widget_refresh(widget_id=widget_id, force=force)
