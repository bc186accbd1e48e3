"""A per-process snapshot of the routing rows, reloaded whenever the database says they changed.

Reading five tables on every call would cost more than the rest of the gateway
together. Instead each call reads one value, ``llm_configversion.version``, which
database triggers change on any write to those tables (admin saves, ``update()``,
raw SQL alike). When it differs from the snapshot's, the rows are read again.
Without the version row (a database without the triggers, or a flushed test
database) every call reads the rows afresh.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection

from backend.llm.models import GatewaySettings, ModelCapability, ModelRoute, PurposeBinding, Tier
from backend.llm.triggers import ROUTING


@dataclass(frozen=True)
class Snapshot:
    tiers: dict[str, Tier]
    routes: dict[str, list[ModelRoute]]  # enabled routes per tier name, in chain order
    routes_by_id: dict[int, ModelRoute]  # every route, enabled or not, for overrides
    bindings: dict[str, str]  # purpose → tier name
    capabilities: list[ModelCapability]
    settings: GatewaySettings


_lock = threading.Lock()
_held: dict[str, tuple[int, Snapshot]] = {}  # database alias → (version, snapshot)
_pinned: ContextVar[Snapshot | None] = ContextVar("llm_snapshot_pinned", default=None)


def current() -> Snapshot:
    """Return the routing rows as they are in the database now (inside ``pinned``, the pinned ones)."""
    if (pin := _pinned.get()) is not None:
        return pin
    version = _version()
    held = _held.get(connection.alias)
    if version is not None and held is not None and held[0] == version:
        return held[1]
    # The version is read before the rows: a write landing in between changes it again,
    # so the next call reloads rather than trusting rows older than their version.
    snapshot = _load()
    if version is not None:
        with _lock:
            _held[connection.alias] = (version, snapshot)
    return snapshot


@contextmanager
def pinned() -> Iterator[Snapshot]:
    """Read the rows once and serve that snapshot to every ``current()`` in the block: one model call
    sees one configuration (its route, capabilities and knobs), and reads the version once, not once a lookup."""
    rows = current()
    token = _pinned.set(rows)
    try:
        yield rows
    finally:
        _pinned.reset(token)


def _version() -> int | None:
    return ROUTING.read(connection)


def _load() -> Snapshot:
    tiers = {t.name: t for t in Tier.objects.select_related("escalates_to", "degrades_to")}
    all_routes = list(ModelRoute.objects.select_related("tier").order_by("position", "id"))
    routes: dict[str, list[ModelRoute]] = {name: [] for name in tiers}
    for route in all_routes:
        if route.enabled:
            routes[route.tier.name].append(route)
    return Snapshot(
        tiers=tiers,
        routes=routes,
        routes_by_id={r.pk: r for r in all_routes},
        bindings=dict(PurposeBinding.objects.values_list("purpose", "tier__name")),
        capabilities=list(ModelCapability.objects.all()),
        settings=GatewaySettings.current(),
    )
