"""A ranking's "all others" statement on DuckDB, SQLite and PostgreSQL: the groups it takes as shown are the
ranked statement's rows, and its row is every other group added up, NULL groups and ties included.

The expected figures are worked out here in Python from the rows the tables were filled with, not by SQL.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.llm.types import OfflineQuery
from sql_gen.box.pool import Pool
from sql_gen.models import DataSource
from sql_gen.services import generate_offline
from sql_gen.services.binding import COMPARE, WINDOW
from sql_gen.services.execute import sql_execute
from sql_gen.services.generate_offline import OTHERS_GROUPS
from sql_gen.services.safety import SqlRejected, dialect_name, sql_check
from sql_gen.services.safety_spec import spec_check
from tests.sql_gen.conftest import claims_duckdb, claims_postgres, claims_sqlite

PG_COLUMNS = "claim_id INT, cause TEXT, filed_date DATE, paid_amount NUMERIC(12, 2)"
DSN_VAR = "TEST_PG_WAREHOUSE_DSN_FOR_OTHERS"
NOW = {"window_start": dt.date(2026, 3, 1), "window_end": dt.date(2026, 4, 1)}
BEFORE = {"compare_start": dt.date(2026, 2, 1), "compare_end": dt.date(2026, 3, 1)}
# (cause, claims in March, paid per claim, claims in February); the February rows are outside the window.
# By count Hail and Theft tie at 7 (Hail first by name); the NULL cause has the most paid.
GROUPS = [("Fire", 10, 100.0, 2), ("Hail", 7, 50.0, 9), ("Theft", 7, 40.0, 1), ("Flood", 3, 10.0, 0),
          (None, 5, 900.0, 4), ("Wind", 1, 5.0, 3)]
COUNT = {"key": "claim_count", "name": "Claim count", "kind": "simple", "base_table": "claims",
         "expression": "COUNT(*)", "time_column": "filed_date", "default_filters": "", "additive": True}
PAID = {**COUNT, "key": "total_paid", "name": "Total paid", "expression": "SUM(paid_amount)"}
CAUSE = {"key": "claims.cause", "table": "claims", "column": "cause", "label": "cause"}
BAND = {"key": "claims.size_band", "table": "claims", "label": "size band",
        "expression": "CASE WHEN paid_amount >= 100 THEN 'large' WHEN paid_amount >= 40 THEN 'medium' ELSE 'small' END"}
TABLE = {"name": "claims", "description": "", "columns": [
    {"name": n, "type": t, "description": "", "references": ""}
    for n, t in [("claim_id", "INTEGER"), ("cause", "VARCHAR"), ("filed_date", "DATE"), ("paid_amount", "DOUBLE")]]}


def claim_rows() -> list[tuple[int, str | None, str, float]]:
    rows: list[tuple[int, str | None, str, float]] = []
    for cause, now, paid, before in GROUPS:
        rows += [(len(rows) + 1, cause, f"2026-03-{1 + i % 28:02d}", paid) for i in range(now)]
        rows += [(len(rows) + 1, cause, f"2026-02-{1 + i % 28:02d}", paid) for i in range(before)]
    return rows


@pytest.fixture
def duck(tmp_path: Path) -> DataSource:
    return claims_duckdb(tmp_path / "others.duckdb",
                         "claim_id INT, cause VARCHAR, filed_date DATE, paid_amount DOUBLE", claim_rows())


@pytest.fixture
def lite(tmp_path: Path) -> DataSource:
    return claims_sqlite(tmp_path / "others.sqlite3",
                         "claim_id INTEGER, cause TEXT, filed_date TEXT, paid_amount REAL", claim_rows())


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[DataSource]:
    with claims_postgres(monkeypatch, dsn_var=DSN_VAR, columns=PG_COLUMNS, rows=claim_rows(),
                         statement_timeout_s=5) as source:
        yield source


@pytest.fixture(params=[pytest.param("duck", id="duckdb"), pytest.param("lite", id="sqlite"),
                        pytest.param("pg", id="postgresql", marks=pytest.mark.integration)])
def source(request: pytest.FixtureRequest, pool: Pool) -> DataSource:
    return request.getfixturevalue(request.param)


def _context(metrics: list[dict[str, Any]], dialect: str) -> dict[str, Any]:
    return {"metric": metrics[0], "metrics": metrics, "tables": [TABLE], "dimensions": [CAUSE, BAND], "dialect": dialect}


def _spec(n: int, *, dimension: str = "claims.cause", direction: str = "top", others_of: str | None = None,
          metrics: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    metrics = metrics or [COUNT]
    spec = {"kind": "table", "metric": {"key": metrics[0]["key"]}, "extra_metrics": [{"key": m["key"]} for m in metrics[1:]],
            "dimensions": [dimension], "filters": [], "ranking": {"direction": direction, "n": n, "others": True}}
    return {**spec, "others_of": others_of} if others_of else spec


def _run(source: DataSource, spec: dict[str, Any], metrics: list[dict[str, Any]] | None = None,
         params: dict[str, dt.date] | None = None) -> tuple[list[str], list[list[Any]]]:
    """Write the spec's statement, accept it as a companion is accepted (the safety check, then the spec
    check with the window pairs it may use) and run it."""
    context = _context(metrics or [COUNT], source.dialect)
    sql = generate_offline.answer(OfflineQuery(context=context, prompt={"spec": spec}, corrections=()))["sql"]
    checked = sql_check(sql=sql, dialect=source.dialect, allowed_tables=["claims"], row_cap=source.row_cap,
                        time_columns=["filed_date"], require_window=True)
    windows = (WINDOW, COMPARE) if spec.get("others_of") == "compare" else (WINDOW,)
    spec_check(sql=checked.uncapped, read=dialect_name(source.dialect), spec=spec, context=context, windows=windows)
    ran = sql_execute(source=source, sql=checked.sql, params=params or NOW)
    return ran.columns, ran.rows


def _others(source: DataSource, spec: dict[str, Any], metrics: list[dict[str, Any]] | None = None,
            params: dict[str, dt.date] | None = None) -> tuple[list[Any], list[Any], int]:
    """Return (the groups the statement took as shown, the others' values, how many groups they are)."""
    columns, rows = _run(source, spec, metrics, params)
    at = columns.index(OTHERS_GROUPS)
    shown = [row[0] for row in rows if row[at] is None]
    (rest,) = [row for row in rows if row[at] is not None]
    return shown, [rest[i] for i in range(1, at)], rest[at]


def _march(by: str) -> dict[str | None, float]:
    """Each cause's claims or paid in March, from the rows written."""
    return {cause: now * (paid if by == "paid" else 1) for cause, now, paid, _ in GROUPS}


def test_the_groups_it_leaves_out_are_the_ranked_rows_ties_included(source: DataSource) -> None:
    ranked = [row[0] for row in _run(source, {**_spec(2), "ranking": {"direction": "top", "n": 2}})[1]]
    shown, (count,), groups = _others(source, _spec(2, others_of="window"))
    assert ranked == ["Fire", "Hail"]  # Hail and Theft tie at 7: the name decides, in both statements
    assert sorted(shown, key=str) == sorted(ranked, key=str)
    march = _march("count")
    assert count == sum(v for cause, v in march.items() if cause not in ranked)  # Theft, Flood, NULL, Wind
    assert groups == len(march) - 2


def test_a_null_group_is_a_group_shown_or_not(source: DataSource) -> None:
    shown, (paid,), groups = _others(source, _spec(2, others_of="window", metrics=[PAID]), [PAID])
    march = _march("paid")
    assert None in shown and "Fire" in shown  # NULL has the most paid
    assert float(paid) == pytest.approx(sum(v for cause, v in march.items() if cause not in (None, "Fire")))
    assert groups == 4
    shown, (count,), groups = _others(source, _spec(3, others_of="window"))
    assert None not in shown and (count, groups) == (5 + 3 + 1, 3)  # NULL, Flood and Wind


def test_a_bottom_ranking_adds_up_the_largest(source: DataSource) -> None:
    shown, (count,), groups = _others(source, _spec(2, direction="bottom", others_of="window"))
    assert sorted(shown) == ["Flood", "Wind"]
    assert (count, groups) == (10 + 7 + 7 + 5, 4)


def test_a_ranking_that_shows_every_group_has_no_others(source: DataSource) -> None:
    shown, (count,), groups = _others(source, _spec(10, others_of="window"))
    assert len(shown) == len(GROUPS) and groups == 0 and count is None


def test_a_computed_dimension_is_ranked_and_added_up_by_its_expression(source: DataSource) -> None:
    shown, (count,), groups = _others(source, _spec(1, dimension="claims.size_band", others_of="window"))
    bands: Counter[str] = Counter()
    for _, now, paid, _ in GROUPS:
        bands["large" if paid >= 100 else "medium" if paid >= 40 else "small"] += now
    top = max(bands, key=bands.__getitem__)  # large (15), medium (14), small (4): no tie
    assert shown == [top] and count == sum(bands.values()) - bands[top] and groups == len(bands) - 1


def test_several_metrics_are_each_added_up(source: DataSource) -> None:
    _, (count, paid), groups = _others(source, _spec(2, others_of="window", metrics=[COUNT, PAID]), [COUNT, PAID])
    rest = [g for g in GROUPS if g[0] not in ("Fire", "Hail")]
    assert (count, groups) == (sum(g[1] for g in rest), len(rest))
    assert float(paid) == pytest.approx(sum(g[1] * g[2] for g in rest))


def test_the_earlier_window_adds_up_todays_others_then(source: DataSource) -> None:
    shown, (count,), groups = _others(source, _spec(2, others_of="compare"), params={**NOW, **BEFORE})
    assert sorted(shown) == ["Fire", "Hail"]  # today's ranking, not February's (Hail, then NULL)
    february: dict[str | None, int] = defaultdict(int, {g[0]: g[3] for g in GROUPS if g[3]})
    assert count == sum(february[c] for c in ("Theft", "Flood", None, "Wind"))
    assert groups == 3  # Flood had no claims in February


def test_only_our_statement_over_two_windows_may_bound_rows_by_the_comparison(duck: DataSource) -> None:
    spec = _spec(2, others_of="compare")
    context = _context([COUNT], "duckdb")
    sql = generate_offline.answer(OfflineQuery(context=context, prompt={"spec": spec}, corrections=()))["sql"]
    checked = sql_check(sql=sql, dialect="duckdb", allowed_tables=["claims"], row_cap=100, time_columns=["filed_date"],
                        require_window=True)
    with pytest.raises(SqlRejected, match="must bound its rows with time_column >= :window_start"):
        spec_check(sql=checked.uncapped, read="duckdb", spec=spec, context=context)
    spec_check(sql=checked.uncapped, read="duckdb", spec=spec, context=context, windows=(WINDOW, COMPARE))


def test_the_groups_it_takes_as_shown_come_with_their_values(source: DataSource) -> None:
    """The shown part carries each group's value too, so that rows cached at another moment can be told apart."""
    columns, rows = _run(source, _spec(2, others_of="window", metrics=[COUNT, PAID]), [COUNT, PAID])
    at = columns.index(OTHERS_GROUPS)
    shown = {row[0]: (row[1], float(row[2])) for row in rows if row[at] is None}
    march, paid = _march("count"), _march("paid")
    assert shown == {"Fire": (march["Fire"], paid["Fire"]), "Hail": (march["Hail"], paid["Hail"])}
