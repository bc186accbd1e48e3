"""Binding the window's dates: one rewrite per engine, values bound by the driver, open bounds.

The same checked statements run on DuckDB, SQLite and PostgreSQL through the real query box. Each
engine's claims hold one claim a day from 2026-01-01 to 2026-01-10, filed at 23:30 that day; a
third of them are water damage, so that ``LIKE 'Wat%'`` tells whether a literal ``%`` survived.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from sql_gen.box.pool import Pool
from sql_gen.box.postgresql import numbered
from sql_gen.box.protocol import Limits, Target, request
from sql_gen.models import DataSource
from sql_gen.services import execute
from sql_gen.services.binding import OPEN_END, OPEN_START, BindingError, bind, params_key
from sql_gen.services.execute import QueryFailed, sql_execute, sql_prove
from sql_gen.services.safety import sql_check
from tests.sql_gen.conftest import claims_duckdb, claims_postgres, claims_sqlite

DAYS = 10
CAUSES = ["Water damage", "Wind", "Fire"]  # claim i has cause CAUSES[(i - 1) % 3]: water for days 1, 4, 7, 10
PG_COLUMNS = "claim_id INT, cause TEXT, filed_date DATE, filed_at TIMESTAMP"
DSN_VAR = "TEST_PG_WAREHOUSE_DSN_FOR_BINDING"
WINDOW = "SELECT COUNT(*) AS n FROM claims WHERE filed_date >= :window_start AND filed_date < :window_end"
WATER = WINDOW + " AND cause LIKE 'Wat%'"
ON_TIMESTAMPS = "SELECT COUNT(*) AS n FROM claims WHERE filed_at >= :window_start AND filed_at < :window_end"
BOTH_PERIODS = (
    "SELECT SUM(CASE WHEN filed_date >= :window_start AND filed_date < :window_end THEN 1 ELSE 0 END) AS now_n, "
    "SUM(CASE WHEN filed_date >= :compare_start AND filed_date < :compare_end THEN 1 ELSE 0 END) AS before_n "
    "FROM claims"
)
JAN_3_TO_6 = {"window_start": date(2026, 1, 3), "window_end": date(2026, 1, 6)}
ALL_TIME: dict[str, date | None] = {"window_start": None, "window_end": None}


def claims_rows() -> list[tuple[int, str, str, str]]:
    return [(i, CAUSES[(i - 1) % 3], f"2026-01-{i:02d}", f"2026-01-{i:02d} 23:30:00") for i in range(1, DAYS + 1)]


@pytest.fixture
def duck(tmp_path: Path) -> DataSource:
    return claims_duckdb(tmp_path / "binding.duckdb",
                         "claim_id INT, cause VARCHAR, filed_date DATE, filed_at TIMESTAMP", claims_rows())


@pytest.fixture
def lite(tmp_path: Path) -> DataSource:
    return claims_sqlite(tmp_path / "binding.sqlite3",
                         "claim_id INTEGER, cause TEXT, filed_date TEXT, filed_at TEXT", claims_rows())


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[DataSource]:
    with claims_postgres(monkeypatch, dsn_var=DSN_VAR, columns=PG_COLUMNS, rows=claims_rows(),
                         statement_timeout_s=2) as source:
        yield source


ENGINES = [
    pytest.param("duck", id="duckdb"),
    pytest.param("lite", id="sqlite"),
    pytest.param("pg", id="postgresql", marks=pytest.mark.integration),
]


@pytest.fixture(params=ENGINES)
def source(request: pytest.FixtureRequest, pool: Pool) -> DataSource:
    return request.getfixturevalue(request.param)


def run(source: DataSource, sql: str, params: dict[str, date | None] | None) -> list[list[Any]]:
    """Check the statement as a widget's is checked (a window required on the claims' time columns),
    then run it with ``params``."""
    checked = sql_check(sql=sql, dialect=source.dialect, allowed_tables=["claims"], row_cap=source.row_cap,
                        time_columns=["filed_date", "filed_at"], require_window="window_start" in sql)
    return sql_execute(source=source, sql=checked.sql, params=params).rows


# -- through the box, on every engine -----------------------------------------------------------------


def test_the_window_is_start_inclusive_and_end_exclusive(source: DataSource) -> None:
    assert run(source, WINDOW, JAN_3_TO_6) == [[3]]  # the 3rd, 4th and 5th


def test_a_timestamp_column_takes_the_whole_last_day_before_the_end(source: DataSource) -> None:
    """Filed at 23:30 on the 5th is before the 6th: a date bound is midnight, whatever the column's type."""
    assert run(source, ON_TIMESTAMPS, JAN_3_TO_6) == [[3]]


def test_open_bounds_return_every_row(source: DataSource) -> None:
    assert run(source, WINDOW, ALL_TIME) == [[DAYS]]
    assert run(source, WINDOW, {"window_start": None, "window_end": date(2026, 1, 4)}) == [[3]]
    assert run(source, WINDOW, {"window_start": date(2026, 1, 8), "window_end": None}) == [[3]]


def test_the_same_statement_is_bound_again_with_other_dates(source: DataSource) -> None:
    checked = sql_check(sql=WINDOW, dialect=source.dialect, allowed_tables=["claims"], row_cap=100).sql
    counts = [sql_execute(source=source, sql=checked, params={"window_start": date(2026, 1, day),
                                                              "window_end": date(2026, 1, day + 2)}).rows
              for day in (1, 5, 9)]
    assert counts == [[[2]], [[2]], [[2]]]


def test_the_comparison_period_is_bound_beside_the_window(source: DataSource) -> None:
    params = {**JAN_3_TO_6, "compare_start": date(2026, 1, 1), "compare_end": date(2026, 1, 3)}
    assert run(source, BOTH_PERIODS, params) == [[3, 2]]


def test_a_literal_percent_survives_in_a_statement_with_parameters(source: DataSource) -> None:
    """Water on the 4th only, within the 3rd to the 5th; psycopg would read an undoubled % as a placeholder,
    and a % doubled once too often would come back in the label."""
    labelled = WATER.replace("COUNT(*) AS n", "'100%' AS label, COUNT(*) AS n")
    assert run(source, labelled, JAN_3_TO_6) == [["100%", 1]]
    assert run(source, WATER, ALL_TIME) == [[4]]


def test_a_literal_percent_survives_in_a_statement_without_parameters(source: DataSource) -> None:
    """Without parameters psycopg sends the text as it is: a doubled % would stay doubled."""
    sql = "SELECT '100%' AS label, COUNT(*) AS n FROM claims WHERE cause LIKE 'Wat%'"
    assert run(source, sql, None) == [["100%", 4]]
    assert run(source, sql, JAN_3_TO_6) == [["100%", 4]]


def test_values_the_statement_does_not_use_are_ignored(source: DataSource) -> None:
    extra = {**JAN_3_TO_6, "compare_start": date(2026, 1, 1), "compare_end": None}
    assert run(source, WINDOW, extra) == [[3]]


def test_proving_a_statement_with_placeholders_needs_no_values(source: DataSource) -> None:
    checked = sql_check(sql=BOTH_PERIODS + " WHERE cause LIKE 'W%'", dialect=source.dialect,
                        allowed_tables=["claims"], row_cap=100).sql
    assert sql_prove(source=source, sql=checked) == ["now_n", "before_n"]
    assert sql_prove(source=source, sql=checked, params=JAN_3_TO_6) == ["now_n", "before_n"]


def test_a_missing_value_fails_before_the_box_is_asked(source: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execute, "box_call", _never_called)
    with pytest.raises(QueryFailed) as caught:
        run(source, WINDOW, {"window_start": date(2026, 1, 3)})
    assert caught.value.message == "The query needs a value for :window_end, and none was given."
    assert caught.value.extra == {"missing": ["window_end"]} and not caught.value.statement_fault
    with pytest.raises(QueryFailed, match=":window_end, :window_start"):
        run(source, WINDOW, None)


def _never_called(**_: Any) -> None:
    raise AssertionError("the box was asked")


def test_the_dates_are_bound_by_the_driver_not_written_into_the_statement(
        source: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    real = execute.box_call

    def spy(**call: Any) -> dict[str, Any]:
        sent.append(call)
        return real(**call)

    monkeypatch.setattr(execute, "box_call", spy)
    assert run(source, WINDOW, {"window_start": date(2026, 1, 3), "window_end": None}) == [[8]]
    assert "2026" not in sent[0]["sql"] and "9999" not in sent[0]["sql"]
    assert sent[0]["params"] == {"window_start": "2026-01-03", "window_end": "9999-12-31"}


def test_duckdbs_own_dollar_placeholders_are_accepted_and_bound(duck: DataSource, pool: Pool) -> None:
    assert run(duck, WINDOW.replace(":", "$"), JAN_3_TO_6) == [[3]]


def test_the_database_still_refuses_a_bad_statement_with_placeholders(source: DataSource) -> None:
    with pytest.raises(QueryFailed) as caught:
        sql_execute(source=source, sql=WINDOW + " AND no_such_column = 1", params=JAN_3_TO_6)
    assert caught.value.statement_fault and "no_such_column" in caught.value.message


# -- the rewrite per engine ---------------------------------------------------------------------------

CANONICAL = "SELECT COUNT(*) AS n FROM claims WHERE d >= :window_start AND d < :window_end AND c LIKE 'Wat%'"
REWRITES = [
    ("duckdb", "duckdb", "SELECT COUNT(*) AS n FROM claims WHERE d >= $window_start AND d < $window_end "
                         "AND c LIKE 'Wat%'"),
    ("sqlite", "sqlite", "SELECT COUNT(*) AS n FROM claims WHERE d >= :window_start AND d < :window_end "
                         "AND c LIKE 'Wat%'"),
    ("postgres", "postgresql", "SELECT COUNT(*) AS n FROM claims WHERE d >= %(window_start)s AND "
                               "d < %(window_end)s AND c LIKE 'Wat%%'"),
]


@pytest.mark.parametrize(("dialect", "engine", "expected"), REWRITES)
def test_each_engine_gets_its_own_placeholder_form(dialect: str, engine: str, expected: str) -> None:
    bound = bind(sql=CANONICAL, dialect=dialect, engine=engine, params=JAN_3_TO_6)
    assert bound.sql == expected
    assert bound.values == {"window_start": "2026-01-03", "window_end": "2026-01-06"}


def test_postgresql_doubles_every_other_percent_sign_and_numbers_them_back_for_a_prepare() -> None:
    sql = "SELECT id % 7 AS m /* 100% */ FROM claims WHERE d >= :window_start AND d < :window_end AND c LIKE '%%x'"
    bound = bind(sql=sql, dialect="postgres", engine="postgresql", params=ALL_TIME)
    assert bound.sql == ("SELECT id %% 7 AS m /* 100%% */ FROM claims WHERE d >= %(window_start)s AND "
                         "d < %(window_end)s AND c LIKE '%%%%x'")
    assert numbered(bound.sql) == (
        "SELECT id % 7 AS m /* 100% */ FROM claims WHERE d >= $1 AND d < $2 AND c LIKE '%%x'",
        ["window_start", "window_end"])


def test_a_statement_without_placeholders_is_left_exactly_as_it_is() -> None:
    sql = "select  '10:00' as t, x::date, a[1:2], 'Wat%' from claims"
    bound = bind(sql=sql, dialect="postgres", engine="postgresql", params=JAN_3_TO_6)
    assert (bound.sql, bound.values) == (sql, {})


def test_a_placeholder_in_a_string_or_a_comment_is_not_one() -> None:
    sql = "SELECT ':window_start' AS s /* :window_end */ FROM claims"
    assert bind(sql=sql, dialect="sqlite", engine="sqlite", params=None).sql == sql


def test_open_bounds_are_the_earliest_and_latest_dates_every_engine_stores() -> None:
    bound = bind(sql=BOTH_PERIODS, dialect="duckdb", engine="duckdb", params=None, fill_missing=True)
    assert bound.values == {"window_start": "0001-01-01", "window_end": "9999-12-31",
                            "compare_start": "0001-01-01", "compare_end": "9999-12-31"}
    assert (OPEN_START, OPEN_END) == (date.min, date.max)


@pytest.mark.parametrize("value", ["2026-01-01", 20260101, datetime(2026, 1, 1)])
def test_a_value_that_is_not_a_date_is_a_programming_error(value: object) -> None:
    with pytest.raises(TypeError, match="must be a date or None"):
        bind(sql=WINDOW, dialect="duckdb", engine="duckdb", params={**JAN_3_TO_6, "window_end": value})  # type: ignore[dict-item]


def test_positional_placeholders_beside_named_ones_cannot_be_bound() -> None:
    with pytest.raises(BindingError, match="positional and named"):
        bind(sql=WINDOW + " AND claim_id = ?", dialect="duckdb", engine="duckdb", params=JAN_3_TO_6)


def test_the_cache_text_of_the_values_treats_an_open_bound_as_its_sentinel() -> None:
    assert params_key(ALL_TIME) == params_key({"window_start": OPEN_START, "window_end": OPEN_END})
    assert params_key(JAN_3_TO_6) != params_key({**JAN_3_TO_6, "window_end": date(2026, 1, 7)})
    assert params_key(JAN_3_TO_6, names={"window_start"}) == params_key({"window_start": date(2026, 1, 3)})


def test_the_box_protocol_refuses_a_value_that_is_not_an_iso_date() -> None:
    limits = Limits(time_s=1.0, cpu_s=1, memory_bytes=2**28, output_bytes=2**20)
    target = Target(engine="duckdb", location="unused.duckdb")
    for bad in ("2026-1-3", "20260103", "2026-01-03T00:00", 3):
        with pytest.raises(ValueError, match="ISO date"):
            request(op="run", target=target, limits=limits, sql="SELECT $x", params={"x": bad})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="identifier"):
        request(op="run", target=target, limits=limits, sql="SELECT 1", params={"x; DROP": "2026-01-03"})

