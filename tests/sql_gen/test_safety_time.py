"""The check's rules for time: window placeholders in one form, and no date the query fixes or computes."""
from __future__ import annotations

import pytest

from sql_gen.services.safety import CheckedSql, SqlRejected, sql_check

ALLOWED = ["claims", "policies"]
TIME_COLUMNS = ["filed_date", "closed_at"]
DIALECTS = ("duckdb", "postgres", "sqlite")
WINDOW = "filed_date >= :window_start AND filed_date < :window_end"


def check(sql: str, dialect: str = "duckdb", *, require_window: bool = False,
          time_columns: list[str] | None = None) -> CheckedSql:
    return sql_check(sql=sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=100,
                     time_columns=TIME_COLUMNS if time_columns is None else time_columns,
                     require_window=require_window)


def refusal(sql: str, dialect: str = "duckdb", **options: object) -> str:
    with pytest.raises(SqlRejected) as caught:
        check(sql, dialect, **options)  # type: ignore[arg-type]
    assert caught.value.code == "sql_rejected"
    return caught.value.message


# -- placeholders parsed and normalized -----------------------------------------------------------

WRITTEN = [  # (dialect, as written, normalized WHERE clause)
    ("duckdb", WINDOW, WINDOW),
    ("postgres", WINDOW, WINDOW),
    ("sqlite", WINDOW, WINDOW),
    ("duckdb", "filed_date >= $window_start AND filed_date < $window_end", WINDOW),  # DuckDB's own form
    ("postgres", "filed_date >= %(window_start)s AND filed_date < %(window_end)s", WINDOW),  # psycopg's
    ("duckdb", "filed_date >= :Window_Start AND filed_date < :WINDOW_END", WINDOW),
    ("duckdb", ":window_start <= filed_date AND :window_end > filed_date",
     ":window_start <= filed_date AND :window_end > filed_date"),
    ("postgres", "filed_date >= :window_start::date AND filed_date < :window_end::date",
     "filed_date >= CAST(:window_start AS DATE) AND filed_date < CAST(:window_end AS DATE)"),
    ("sqlite", "filed_date >= CAST(:window_start AS DATE) AND filed_date < DATE(:window_end)",
     "filed_date >= DATE(:window_start) AND filed_date < DATE(:window_end)"),
    ("duckdb", "c.filed_date >= :window_start AND c.filed_date < :window_end",
     "c.filed_date >= :window_start AND c.filed_date < :window_end"),
]


@pytest.mark.parametrize(("dialect", "written", "where"), WRITTEN)
def test_placeholders_come_out_as_colon_names_in_every_dialect(dialect: str, written: str, where: str) -> None:
    checked = check(f"SELECT COUNT(*) AS n FROM claims AS c WHERE {written}", dialect, require_window=True)
    assert checked.sql == f"SELECT COUNT(*) AS n FROM claims AS c WHERE {where} LIMIT 101"
    assert checked.uncapped == f"SELECT COUNT(*) AS n FROM claims AS c WHERE {where}"
    assert checked.placeholders == {"window_start", "window_end"}


ACCEPTED = [
    "SELECT COUNT(*) FROM claims WHERE " + WINDOW,
    "SELECT COUNT(*) FROM claims WHERE status = 'open' AND (" + WINDOW + ") AND cause LIKE 'Wat%'",
    "SELECT DATE_TRUNC('month', filed_date) AS period, COUNT(*) FROM claims WHERE " + WINDOW + " GROUP BY 1",
    "SELECT SUM(CASE WHEN filed_date >= :window_start AND filed_date < :window_end THEN 1 ELSE 0 END) AS n, "
    "SUM(CASE WHEN filed_date >= :compare_start AND filed_date < :compare_end THEN 1 ELSE 0 END) AS before_n "
    "FROM claims",
    "WITH w AS (SELECT * FROM claims WHERE " + WINDOW + ") SELECT COUNT(*) FROM w",
    "SELECT COUNT(*) FROM claims WHERE closed_at >= :window_start AND closed_at < :window_end",
    "SELECT COUNT(*) FROM claims WHERE CAST(closed_at AS DATE) >= :window_start AND closed_at < :window_end",
    "SELECT COUNT(*) FROM claims WHERE " + WINDOW + " AND paid_amount > 10000",
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sql", ACCEPTED)
def test_a_window_query_is_accepted_and_checking_it_again_changes_nothing(sql: str, dialect: str) -> None:
    first = check(sql, dialect, require_window=True)
    again = check(first.sql, dialect, require_window=True)
    assert (again.sql, again.tables, again.placeholders) == (first.sql, first.tables, first.placeholders)
    assert check(first.uncapped, dialect, require_window=True).sql == first.sql
    assert ":window_start" in first.sql and "$window" not in first.sql and "%(" not in first.sql


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM claims",
    "SELECT filed_date + INTERVAL 1 DAY AS next_day FROM claims",  # arithmetic outside a filter
    "SELECT DATE '2026-01-01' AS d FROM claims",  # a date outside a filter
    "SELECT COUNT(*) FROM claims WHERE DATE_DIFF('day', filed_date, closed_at) > 30",  # a duration
    "SELECT COUNT(*) FROM claims WHERE status = '2026'",  # a year alone is not taken for a date
    "SELECT COUNT(*) FROM claims WHERE note = '10:00' OR ARRAY[1, 2][1:1] = ARRAY[1]",
])
def test_a_query_without_a_window_is_still_accepted_when_none_is_required(sql: str) -> None:
    assert check(sql).placeholders == frozenset()


def test_the_time_columns_are_matched_without_their_table_or_case() -> None:
    sql = "SELECT COUNT(*) FROM claims AS c WHERE c.Filed_Date >= :window_start AND filed_date < :window_end"
    assert check(sql, time_columns=["claims.FILED_DATE"], require_window=True).placeholders == {
        "window_start", "window_end"}


# -- refusals --------------------------------------------------------------------------------------

CLOCK = [  # (dialect, expression, what the message names)
    ("duckdb", "CURRENT_DATE", "CURRENT_DATE"),
    ("postgres", "CURRENT_DATE", "CURRENT_DATE"),
    ("sqlite", "CURRENT_DATE", "CURRENT_DATE"),
    ("duckdb", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
    ("sqlite", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
    ("duckdb", "now()", "NOW()"),
    ("postgres", "now()", "CURRENT_TIMESTAMP"),
    ("sqlite", "now()", "NOW()"),
    ("duckdb", "today()", "CURRENT_DATE"),
    ("duckdb", "current_date()", "CURRENT_DATE"),
    ("duckdb", "localtimestamp", "LOCALTIMESTAMP"),
    ("postgres", "localtimestamp", "LOCALTIMESTAMP"),
    ("duckdb", "get_current_timestamp()", "GET_CURRENT_TIMESTAMP()"),
    ("duckdb", "transaction_timestamp()", "TRANSACTION_TIMESTAMP()"),
    ("postgres", "clock_timestamp()", "CLOCK_TIMESTAMP()"),
    ("postgres", "statement_timestamp()", "STATEMENT_TIMESTAMP()"),
    ("postgres", "'today'::date", "'today'"),
    ("postgres", "'now'", "'now'"),
    ("postgres", "DATE 'yesterday'", "'yesterday'"),
    ("sqlite", "date('now')", "'now'"),
    ("sqlite", "datetime('now', '-30 days')", "'now'"),
    ("sqlite", "julianday('now')", "'now'"),
    ("sqlite", "date()", "DATE()"),
    ("sqlite", "unixepoch()", "UNIXEPOCH()"),
    ("sqlite", "strftime('%Y-%m-%d')", "CURRENT_TIMESTAMP"),
]


@pytest.mark.parametrize(("dialect", "clock", "named"), CLOCK)
def test_reading_the_clock_in_a_filter_is_refused_naming_what_was_found(dialect: str, clock: str, named: str) -> None:
    message = refusal(f"SELECT COUNT(*) FROM claims WHERE filed_date >= {clock}", dialect)
    assert message.startswith(f"{named} reads today's date")
    assert ">= :window_start and < :window_end" in message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_reading_the_clock_is_refused_anywhere_in_the_statement(dialect: str) -> None:
    assert "reads today's date" in refusal("SELECT CURRENT_DATE AS today, COUNT(*) FROM claims", dialect)
    assert "reads today's date" in refusal(
        "SELECT COUNT(*) FROM claims GROUP BY status HAVING MAX(filed_date) > CURRENT_DATE", dialect)


LITERALS = [  # (dialect, predicate, the date the message names)
    ("duckdb", "filed_date >= DATE '2026-01-01'", "CAST('2026-01-01' AS DATE)"),
    ("postgres", "filed_date >= DATE '2026-01-01'", "CAST('2026-01-01' AS DATE)"),
    ("sqlite", "filed_date >= DATE '2026-01-01'", "DATE('2026-01-01')"),
    ("duckdb", "filed_date >= '2026-01-01'::date", "CAST('2026-01-01' AS DATE)"),
    ("postgres", "filed_date < CAST('2026-01-01' AS DATE)", "CAST('2026-01-01' AS DATE)"),
    ("duckdb", "closed_at >= TIMESTAMP '2026-01-01 08:00:00'", "CAST('2026-01-01 08:00:00' AS TIMESTAMP)"),
    ("postgres", "closed_at >= '2026-01-01T08:00:00+02:00'::timestamptz", "2026-01-01T08:00:00+02:00"),
    ("duckdb", "filed_date >= '2026-01-01'", "'2026-01-01'"),
    ("sqlite", "filed_date >= '2026-01-01'", "'2026-01-01'"),
    ("sqlite", "'2026-01-01' <= filed_date", "'2026-01-01'"),
    ("postgres", "filed_date BETWEEN '2026-01-01' AND '2026-01-31'", "'2026-01-01'"),
    ("duckdb", "filed_date IN ('2026-01-01', '2026-01-02')", "'2026-01-01'"),
    ("sqlite", "filed_date LIKE '2026-01%'", "'2026-01%'"),
    ("sqlite", "strftime('%Y-%m', filed_date) = '2026-03'", "'2026-03'"),
    ("duckdb", "filed_date >= make_date(2026, 1, 1)", "MAKE_DATE(2026, 1, 1)"),
    ("postgres", "filed_date >= to_date('2026-01-01', 'YYYY-MM-DD')", "TO_DATE('2026-01-01', 'YYYY-MM-DD')"),
    ("sqlite", "date(filed_date) = date('2026-01-01')", "DATE('2026-01-01')"),
    ("duckdb", "CASE WHEN filed_date < DATE '2025-01-01' THEN 'old' ELSE 'new' END = 'old'", "'2025-01-01'"),
]


@pytest.mark.parametrize(("dialect", "predicate", "named"), LITERALS)
def test_a_date_written_into_a_filter_is_refused(dialect: str, predicate: str, named: str) -> None:
    message = refusal(f"SELECT COUNT(*) FROM claims WHERE {predicate}", dialect)
    assert message.startswith("The date ") and named in message
    assert ">= :window_start and < :window_end" in message


ARITHMETIC = [  # (dialect, predicate, what the message names)
    ("duckdb", "filed_date + INTERVAL 30 DAY >= :window_start AND filed_date < :window_end",
     "filed_date + INTERVAL '30' DAY"),
    ("postgres", "filed_date >= :window_start - INTERVAL '7 days' AND filed_date < :window_end",
     ":window_start - INTERVAL '7 DAYS'"),
    ("sqlite", "filed_date >= :window_start AND filed_date < :window_end + INTERVAL 1 DAY",
     ":window_end + INTERVAL '1' DAY"),
    ("postgres", "filed_date > closed_at - '30 days'::interval", "closed_at - CAST('30 days' AS INTERVAL)"),
    ("duckdb", "date_add(filed_date, INTERVAL 1 DAY) >= :window_start AND filed_date < :window_end",
     "filed_date + INTERVAL '1' DAY"),
    ("duckdb", "filed_date - 7 >= :window_start AND filed_date < :window_end", "filed_date - 7"),
    ("postgres", "filed_date + 1 < closed_at", "filed_date + 1"),
    ("sqlite", "date(filed_date, '+1 day') >= :window_start AND filed_date < :window_end",
     "DATE(filed_date, '+1 day')"),
    ("sqlite", "julianday(filed_date, 'start of month') > 0", "JULIANDAY(filed_date, 'start of month')"),
]


@pytest.mark.parametrize(("dialect", "predicate", "named"), ARITHMETIC)
def test_date_arithmetic_in_a_filter_is_refused(dialect: str, predicate: str, named: str) -> None:
    message = refusal(f"SELECT COUNT(*) FROM claims WHERE {predicate}", dialect)
    assert message.startswith(f"Date arithmetic ({named})")
    assert ">= :window_start and < :window_end" in message


PLACEHOLDER_FORMS = [  # (dialect, placeholder, the message's start)
    ("duckdb", ":since", "Unknown placeholder :since; the only placeholders are :window_start, :window_end, "
                         ":compare_start and :compare_end."),
    ("sqlite", ":today", "Unknown placeholder :today"),
    ("duckdb", "?", "Positional and engine-specific placeholders (?) are not allowed"),
    ("sqlite", "?", "Positional and engine-specific placeholders (?)"),
    ("postgres", "?", "Positional and engine-specific placeholders (?)"),
    ("duckdb", "$1", "Positional and engine-specific placeholders ($1)"),
    ("postgres", "$1", "Positional and engine-specific placeholders ($1)"),
    ("postgres", "%s", "Positional and engine-specific placeholders (%s)"),
    ("postgres", "$window_start", "Positional and engine-specific placeholders ($window_start)"),
    ("sqlite", "@window_start", "Positional and engine-specific placeholders (@window_start)"),
    ("sqlite", "$window_start", "$window_start is not a placeholder this query may use"),
]


@pytest.mark.parametrize(("dialect", "placeholder", "message"), PLACEHOLDER_FORMS)
def test_an_unknown_or_positional_placeholder_is_refused(dialect: str, placeholder: str, message: str) -> None:
    sql = f"SELECT COUNT(*) FROM claims WHERE filed_date >= {placeholder} AND filed_date < :window_end"
    assert refusal(sql, dialect).startswith(message)


SHAPES = [  # (predicate, the message's start)
    ("filed_date BETWEEN :window_start AND :window_end", ":window_start may only be compared with the time column"),
    ("filed_date > :window_start AND filed_date < :window_end",
     "Compare filed_date with :window_start as filed_date >= :window_start (found filed_date > :window_start)"),
    ("filed_date >= :window_start AND filed_date <= :window_end",
     "Compare filed_date with :window_end as filed_date < :window_end"),
    ("filed_date = :window_start", "Compare filed_date with :window_start as filed_date >= :window_start"),
    ("status >= :window_start AND status < :window_end", ":window_start must be compared with closed_at or filed_date"),
    ("DATE_TRUNC('month', filed_date) >= :window_start AND filed_date < :window_end",
     ":window_start must be compared with closed_at or filed_date"),
    ("filed_date >= DATE_TRUNC('month', :window_start) AND filed_date < :window_end",
     ":window_start may only be compared with the time column"),
    ("filed_date >= :window_start", "The query must filter filed_date with >= :window_start and < :window_end."),
    ("filed_date >= :window_start AND closed_at < :window_end",
     "The query must filter closed_at or filed_date with >= :window_start and < :window_end."),
    (WINDOW + " AND filed_date >= :compare_start",
     "The query must filter filed_date with >= :compare_start and < :compare_end."),
    (WINDOW + " AND filed_date >= :compare_start AND filed_date <= :compare_end",
     "Compare filed_date with :compare_end as filed_date < :compare_end"),
    (":window_start <= :window_end", ":window_start must be compared with closed_at or filed_date"),
    ("filed_date >= :window_start OR filed_date < :window_end",
     "The query must filter filed_date with >= :window_start and < :window_end."),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("predicate", "message"), SHAPES)
def test_a_placeholder_outside_the_windows_shape_is_refused(predicate: str, message: str, dialect: str) -> None:
    assert refusal(f"SELECT COUNT(*) FROM claims WHERE {predicate}", dialect).startswith(message)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_placeholder_is_not_a_column_of_the_result(dialect: str) -> None:
    sql = f"SELECT 1 AS one, :window_start AS since FROM claims WHERE {WINDOW}"
    assert refusal(sql, dialect).startswith(":window_start may only be compared with the time column")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_required_window_that_is_missing_is_refused_naming_the_time_columns(dialect: str) -> None:
    assert refusal("SELECT COUNT(*) FROM claims WHERE status = 'open'", dialect, require_window=True) == (
        "The query must filter closed_at or filed_date with >= :window_start and < :window_end.")
    assert refusal("SELECT COUNT(*) FROM claims", dialect, require_window=True, time_columns=[]) == (
        "The query must filter its time column with >= :window_start and < :window_end.")


def test_a_required_window_on_another_column_than_the_metrics_is_refused() -> None:
    sql = "SELECT COUNT(*) FROM claims WHERE closed_at >= :window_start AND closed_at < :window_end"
    assert refusal(sql, require_window=True, time_columns=["filed_date"]).startswith(
        ":window_start must be compared with filed_date")


def test_the_comparison_period_alone_does_not_make_a_required_window() -> None:
    sql = "SELECT COUNT(*) FROM claims WHERE filed_date >= :compare_start AND filed_date < :compare_end"
    assert check(sql).placeholders == {"compare_start", "compare_end"}
    assert refusal(sql, require_window=True) == (
        "The query must filter closed_at or filed_date with >= :window_start and < :window_end.")
