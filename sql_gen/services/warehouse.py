"""The deterministic demo warehouse: two years of insurance claims in a DuckDB file.

Building, checking and rebuilding the file lives here; how the rows are made lives in
``warehouse_generator``. The same (claims, seed, anchor) always gives the same rows.

The window is the 24 calendar months ending with the anchor's month: it starts on the first
day of the month 23 months before the anchor's and ends on the anchor day. Monthly charts have
no partial first month, and ``earned_premium_monthly`` has exactly one row per month of data.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sql_gen.services.warehouse_generator import WAREHOUSE_VERSION, Plan, generate, window_start


@dataclass(frozen=True)
class WarehouseInfo:
    path: Path
    claims: int
    seed: int
    anchor: date
    version: int
    built: bool  # False when warehouse_ensure() kept an existing file

    @property
    def window_start(self) -> date:
        """Return the first day with data: the 1st of the month 23 months before the anchor's."""
        return window_start(self.anchor)


def warehouse_build(*, path: Path, claims: int = 1_000_000, seed: int = 7, anchor: date | None = None) -> WarehouseInfo:
    """Build the warehouse into a temporary file beside ``path``, then move it into place atomically.

    Returns the info of the new file (``built=True``). Raises ``ValueError`` for a non-positive
    ``claims`` and ``duckdb.Error`` if DuckDB fails; ``path`` is untouched on failure.
    """
    if claims < 1:
        raise ValueError(f"claims must be positive, got {claims}")
    plan = Plan(claims=claims, seed=seed, anchor=anchor or date.today())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        with duckdb.connect(str(tmp)) as con:
            generate(con, plan)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    return WarehouseInfo(path=path, claims=claims, seed=seed, anchor=plan.anchor, version=WAREHOUSE_VERSION, built=True)


def warehouse_ensure(*, path: Path, claims: int = 1_000_000, seed: int = 7, anchor: date | None = None) -> WarehouseInfo:
    """Return the info of the warehouse at ``path``, building it only if it is missing or differs.

    A file whose ``_meta`` matches (claims, seed, anchor, version) is left untouched and
    reported with ``built=False``. Raises what ``warehouse_build`` raises.
    """
    anchor = anchor or date.today()
    info = warehouse_info(path=path)
    if info and (info.claims, info.seed, info.anchor, info.version) == (claims, seed, anchor, WAREHOUSE_VERSION):
        return info
    return warehouse_build(path=path, claims=claims, seed=seed, anchor=anchor)


def warehouse_info(*, path: Path) -> WarehouseInfo | None:
    """Return what the ``_meta`` table of the file at ``path`` says, or None if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
        return WarehouseInfo(
            path=path, claims=int(meta["claims"]), seed=int(meta["seed"]),
            anchor=date.fromisoformat(meta["anchor"]), version=int(meta["version"]), built=False,
        )
    except (duckdb.Error, KeyError, ValueError):
        return None


def _remove(tmp: Path) -> None:
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
