"""The offline SQL for the widget language, run through the real check and box on DuckDB and SQLite.

Time buckets are written per engine (SQLite has no ``date_trunc``): the same claims give the same
buckets on both. Windows are bound, never written: the statement carries the placeholders and no date.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from backend.llm.types import OfflineQuery
from sql_gen.services import generate_offline
from sql_gen.services.execute import sql_execute
from sql_gen.services.safety import sql_check
from tests.sql_gen.conftest import duck_source, sqlite_source

WINDOW = {"window_start": dt.date(2025, 6, 1), "window_end": dt.date(2026, 3, 1)}
_TABLE = {"name": "claims", "description": "", "columns": [
    {"name": n, "type": t, "description": "", "references": ""}
    for n, t in [("claim_id", "BIGINT"), ("customer_id", "INTEGER"), ("status", "VARCHAR"), ("cause", "VARCHAR"),
                 ("filed_date", "DATE"), ("paid_amount", "DOUBLE")]]}
_COUNT = {"key": "claim_count", "name": "Claim count", "kind": "simple", "base_table": "claims",
          "expression": "COUNT(*)", "time_column": "filed_date", "default_filters": ""}
_CAUSE = {"key": "claims.cause", "table": "claims", "column": "cause", "label": "cause"}


def _sql(spec: dict[str, Any], dialect: str, metrics: list[dict[str, Any]] | None = None) -> str:
    context = {"metric": (metrics or [_COUNT])[0], "metrics": metrics or [_COUNT], "tables": [_TABLE],
               "dimensions": [_CAUSE], "dialect": dialect}
    return generate_offline.answer(OfflineQuery(context=context, prompt={"spec": spec}, corrections=()))["sql"]


def _run(source: Any, spec: dict[str, Any], metrics: list[dict[str, Any]] | None = None,
         params: dict[str, Any] | None = None) -> list[list[Any]]:
    checked = sql_check(sql=_sql(spec, source.dialect, metrics), dialect=source.dialect, allowed_tables=["claims"],
                        row_cap=source.row_cap, time_columns=["filed_date"], require_window=True)
    return sql_execute(source=source, sql=checked.sql, params=params or WINDOW).rows


def _spec(**fields: Any) -> dict[str, Any]:
    return {"kind": "chart", "metric": {"key": "claim_count"}, "dimensions": [], "filters": [], **fields}


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_buckets_are_the_same_on_sqlite_as_on_duckdb(grain, warehouse_file: Path, claims_sqlite_file: Path):
    duck = duck_source(warehouse_file, row_cap=1000)
    lite = sqlite_source(claims_sqlite_file, row_cap=1000)
    on_duck = [[str(p)[:10], n] for p, n in _run(duck, _spec(grain=grain))]
    on_lite = [[str(p)[:10], n] for p, n in _run(lite, _spec(grain=grain))]
    assert on_duck and on_duck == on_lite
    starts = [dt.date.fromisoformat(p) for p, _ in on_duck]
    if grain == "week":
        assert all(d.weekday() == 0 for d in starts)  # ISO weeks start on Monday
    if grain in ("month", "quarter", "year"):
        assert all(d.day == 1 for d in starts)
    if grain == "quarter":
        assert all(d.month in (1, 4, 7, 10) for d in starts)


def test_the_statement_holds_placeholders_and_no_date(warehouse_file: Path):
    sql = _sql(_spec(grain="month"), "duckdb")
    assert "window_start" in sql and "window_end" in sql
    assert "CURRENT_DATE" not in sql.upper() and "2026" not in sql


def test_another_window_is_the_same_statement_bound_again(warehouse_file: Path):
    duck = duck_source(warehouse_file)
    spec = _spec(kind="kpi")
    whole = _run(duck, spec, params={"window_start": None, "window_end": None})[0][0]
    first = _run(duck, spec, params={"window_start": None, "window_end": dt.date(2026, 1, 1)})[0][0]
    rest = _run(duck, spec, params={"window_start": dt.date(2026, 1, 1), "window_end": None})[0][0]
    assert whole == first + rest and first > 0 and rest > 0


def test_filters_rankings_and_exclusions(warehouse_file: Path, claims_sqlite_file: Path):
    for source in (duck_source(warehouse_file), sqlite_source(claims_sqlite_file)):
        by_cause = dict(_run(source, _spec(dimensions=["claims.cause"])))
        top = _run(source, _spec(dimensions=["claims.cause"], ranking={"direction": "top", "n": 3}))
        bottom = _run(source, _spec(dimensions=["claims.cause"], ranking={"direction": "bottom", "n": 2}))
        assert [n for _, n in top] == sorted(by_cause.values(), reverse=True)[:3]
        assert [n for _, n in bottom] == sorted(by_cause.values())[:2]
        without = dict(_run(source, _spec(dimensions=["claims.cause"], filters=[
            {"dimension": "claims.cause", "op": "not_in", "values": ["Storm", "Fire"]}])))
        assert set(without) == set(by_cause) - {"Storm", "Fire"}
        over = _run(source, _spec(kind="kpi", filters=[{"dimension": "claims.paid_amount", "op": ">", "values": [5000]}]))
        assert 0 < over[0][0] < sum(by_cause.values())


def test_a_ranking_over_a_series_keeps_every_period_of_the_top_values(warehouse_file: Path,
                                                                     claims_sqlite_file: Path):
    """"Top 3 causes per month": the 3 causes with the most claims over the whole window, each with all its
    months; not the 3 largest (month, cause) rows."""
    for source in (duck_source(warehouse_file, row_cap=1000), sqlite_source(claims_sqlite_file, row_cap=1000)):
        by_cause = dict(_run(source, _spec(dimensions=["claims.cause"])))
        series = _run(source, _spec(dimensions=["claims.cause"], grain="month"))
        top = _run(source, _spec(dimensions=["claims.cause"], grain="month", ranking={"direction": "top", "n": 3}))
        bottom = _run(source, _spec(dimensions=["claims.cause"], grain="month",
                                    ranking={"direction": "bottom", "n": 2}))
        best = set(sorted(by_cause, key=by_cause.get, reverse=True)[:3])
        worst = set(sorted(by_cause, key=by_cause.get)[:2])
        assert {cause for _, cause, _ in top} == best
        assert {cause for _, cause, _ in bottom} == worst
        assert sorted(map(tuple, top)) == sorted(tuple(r) for r in series if r[1] in best)  # every month of each
        assert [str(r[0])[:10] for r in top] == sorted(str(r[0])[:10] for r in top)  # in period order


def test_two_metrics_each_over_its_own_rows(warehouse_file: Path):
    paid = {**_COUNT, "key": "total_paid", "expression": "SUM(paid_amount)", "default_filters": "status = 'closed'"}
    duck = duck_source(warehouse_file)
    rows = _run(duck, _spec(kind="table", dimensions=["claims.cause"]), metrics=[_COUNT, paid])
    counts = dict(_run(duck, _spec(dimensions=["claims.cause"])))
    assert {cause: n for cause, n, _ in rows} == counts
    assert all(p is None or p >= 0 for _, _, p in rows)


_PAID = {**_COUNT, "key": "total_paid", "expression": "SUM(paid_amount)", "default_filters": "status = 'closed'"}


def test_a_group_only_a_later_metric_has_keeps_its_row(warehouse_file: Path, claims_sqlite_file: Path):
    """Paid first, counted second: a cause with claims filed but none paid is still a row of the table, its
    paid a 0 (a sum), so that each column adds up to its totals row."""
    never_paid = {**_PAID, "default_filters": "status = 'closed' AND cause <> 'Theft'", "additive": True}
    average = {**_PAID, "key": "avg_paid", "expression": "AVG(paid_amount)", "default_filters": never_paid["default_filters"]}
    for source in (duck_source(warehouse_file), sqlite_source(claims_sqlite_file)):
        counts = dict(_run(source, _spec(dimensions=["claims.cause"])))
        assert counts.get("Theft")
        rows = _run(source, _spec(kind="table", dimensions=["claims.cause"]), metrics=[never_paid, _COUNT])
        assert {cause: n for cause, _, n in rows} == counts
        assert [paid for cause, paid, _ in rows if cause == "Theft"] == [0]
        rows = _run(source, _spec(kind="table", dimensions=["claims.cause"]), metrics=[average, _COUNT])
        assert [paid for cause, paid, _ in rows if cause == "Theft"] == [None]  # an average of nothing is no 0


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_a_table_sorted_by_its_second_metric_comes_in_that_order(warehouse_file: Path, claims_sqlite_file: Path,
                                                                 direction: str):
    """"Claim count and paid by cause, sorted by paid": the rows by paid, not by the claim count."""
    spec = _spec(kind="table", dimensions=["claims.cause"], sort={"by": "total_paid", "direction": direction})
    for source in (duck_source(warehouse_file), sqlite_source(claims_sqlite_file)):
        rows = _run(source, spec, metrics=[_COUNT, _PAID])
        paid = [p for _, _, p in rows if p is not None]
        assert len(paid) > 2 and paid == sorted(paid, reverse=direction == "desc")
        assert all(p is not None for _, _, p in rows[:len(paid)])  # a cause with nothing paid comes last
        by_count = [n for _, n, _ in _run(source, _spec(kind="table", dimensions=["claims.cause"]),
                                          metrics=[_COUNT, _PAID])]
        assert by_count == sorted(by_count, reverse=True)  # without a sort: the primary metric, highest first
        assert [n for _, n, _ in rows] != by_count


def test_a_breakdown_sorted_by_its_dimension_is_alphabetical(warehouse_file: Path, claims_sqlite_file: Path):
    for source in (duck_source(warehouse_file), sqlite_source(claims_sqlite_file)):
        a_to_z = [c for c, _ in _run(source, _spec(dimensions=["claims.cause"],
                                                   sort={"by": "claims.cause", "direction": "asc"}))]
        z_to_a = [c for c, _ in _run(source, _spec(dimensions=["claims.cause"],
                                                   sort={"by": "claims.cause", "direction": "desc"}))]
        assert len(a_to_z) > 2 and a_to_z == sorted(a_to_z) and z_to_a == a_to_z[::-1]
        lowest = [n for _, n in _run(source, _spec(dimensions=["claims.cause"],
                                                   sort={"by": "claim_count", "direction": "asc"}))]
        assert lowest == sorted(lowest)
