"""The parser layer of SQL safety: what is accepted, what is refused and why, and the row limit."""
from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest
import sqlglot
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from sql_gen.services import safety
from sql_gen.services.safety import MAX_PAREN_DEPTH, MAX_SQL_CHARS, CheckedSql, SqlRejected, sql_check

ALLOWED = ["claims", "members", "providers"]
CAP = 100
DIALECTS = ("duckdb", "sqlite", "postgres")


def check(sql: str, dialect: str = "duckdb", row_cap: int = CAP) -> CheckedSql:
    return sql_check(sql=sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=row_cap)


def rejection(sql: str, dialect: str = "duckdb") -> str:
    with pytest.raises(SqlRejected) as caught:
        check(sql, dialect)
    assert caught.value.code == "sql_rejected"
    return caught.value.message


ACCEPTED = [
    ("duckdb", "SELECT * FROM claims", {"claims"}),
    ("duckdb", "FROM claims SELECT id", {"claims"}),
    ("duckdb", "select c.status, count(*) from claims c join members m on c.member_id = m.id "
               "where m.state = 'CA' group by 1 order by 2 desc", {"claims", "members"}),
    ("duckdb", "WITH a AS (SELECT * FROM claims), b AS (SELECT * FROM a) SELECT * FROM b", {"claims"}),
    ("postgres", "WITH claims AS (SELECT * FROM members) SELECT * FROM claims", {"members"}),
    ("postgres", "WITH claims AS (SELECT * FROM public.claims WHERE amount > 0) SELECT * FROM claims", {"claims"}),
    ("sqlite", "WITH claims AS (SELECT * FROM main.claims WHERE amount > 0) SELECT * FROM claims", {"claims"}),
    ("duckdb", "WITH a AS (SELECT status || '-' || note AS s FROM claims), b AS (SELECT s || s AS s FROM a) "
               "SELECT s FROM b", {"claims"}),
    ("sqlite", "WITH w AS (WITH w AS (SELECT id FROM claims) SELECT id FROM w) SELECT id FROM w", {"claims"}),
    ("duckdb", "SELECT * FROM (WITH x AS (SELECT id FROM claims) SELECT * FROM x) AS s", {"claims"}),
    ("duckdb", "SELECT * FROM claims WHERE member_id IN (SELECT id FROM members)", {"claims", "members"}),
    ("duckdb", "SELECT id, (SELECT MAX(id) FROM providers) AS top FROM claims", {"claims", "providers"}),
    ("duckdb", "SELECT * FROM claims WHERE EXISTS (SELECT 1 FROM members)", {"claims", "members"}),
    ("duckdb", "SELECT id FROM claims UNION ALL SELECT id FROM members", {"claims", "members"}),
    ("postgres", "SELECT id FROM claims INTERSECT SELECT id FROM members", {"claims", "members"}),
    ("sqlite", "SELECT id FROM claims EXCEPT SELECT id FROM members", {"claims", "members"}),
    ("duckdb", "SELECT SUM(amount) OVER (PARTITION BY status ORDER BY service_date "
               "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM claims", {"claims"}),
    ("postgres", "SELECT ROW_NUMBER() OVER (ORDER BY id), RANK() OVER w, LAG(amount) OVER w "
                 "FROM claims WINDOW w AS (PARTITION BY status ORDER BY id)", {"claims"}),
    ("duckdb", "SELECT id FROM claims QUALIFY ROW_NUMBER() OVER (PARTITION BY status) = 1", {"claims"}),
    ("postgres", "SELECT DATE_TRUNC('month', service_date), EXTRACT(YEAR FROM service_date), "
                 "TO_CHAR(service_date, 'YYYY-MM') FROM claims", {"claims"}),
    ("sqlite", "SELECT STRFTIME('%Y-%m', service_date), DATE(service_date, '+1 day'), "
               "JULIANDAY(service_date) FROM claims", {"claims"}),
    ("duckdb", "SELECT DATE_TRUNC('month', service_date), STRFTIME(service_date, '%Y'), "
               "DATE_DIFF('day', service_date, paid_date) FROM claims", {"claims"}),
    ("duckdb", "SELECT service_date + INTERVAL 1 DAY FROM claims", {"claims"}),
    ("postgres", "SELECT service_date + INTERVAL '1 day' FROM claims", {"claims"}),
    ("duckdb", "SELECT CASE WHEN amount > 1000 THEN 'large' WHEN amount > 100 THEN 'medium' "
               "ELSE 'small' END AS size FROM claims", {"claims"}),
    ("postgres", "SELECT COALESCE(amount, 0), NULLIF(status, '') FROM claims", {"claims"}),
    ("duckdb", "SELECT * FROM claims WHERE (amount > 1 AND status = 'open') OR NOT note IS NULL", {"claims"}),
    ("duckdb", "SELECT CAST(amount AS INT), TRY_CAST(note AS DATE), amount::DECIMAL(10, 2) "
               "FROM claims", {"claims"}),
    ("postgres", 'SELECT "claims"."Amount" FROM "claims"', {"claims"}),
    ("duckdb", 'SELECT "Claims"."Amount" FROM "Claims"', {"claims"}),
    ("postgres", 'SELECT * FROM CLAIMS', {"claims"}),
    ("sqlite", 'SELECT "id", `amount` FROM "claims"', {"claims"}),
    ("duckdb", "SELECT * FROM main.claims", {"claims"}),
    ("postgres", "SELECT * FROM public.claims", {"claims"}),
    ("duckdb", "SELECT * FROM claims AS c, LATERAL (SELECT * FROM members AS m "
               "WHERE m.id = c.member_id) AS x", {"claims", "members"}),
    ("postgres", "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount) FROM claims", {"claims"}),
    ("postgres", "SELECT DISTINCT ON (status) status, id FROM claims ORDER BY status, id", {"claims"}),
    ("duckdb", "SELECT LOWER(status), UPPER(note), CONCAT(status, '-', note), LENGTH(note) "
               "FROM claims WHERE note ILIKE '%x%'", {"claims"}),
    ("sqlite", "SELECT MAX(status), IIF(amount > 1, 'a', 'b') FROM claims", {"claims"}),
    ("duckdb", "SELECT * EXCLUDE (note) FROM claims", {"claims"}),
    ("duckdb", "SELECT * FROM UNNEST([1, 2, 3])", set()),
    ("duckdb", "(SELECT * FROM claims)", {"claims"}),
    ("postgres", "SELECT * FROM claims -- the whole table\n", {"claims"}),
    ("duckdb", "SELECT '" + "(" * 40 + "' AS parens_in_a_string FROM claims", {"claims"}),
    # functions whose cost an argument sets, with small literal sizes
    ("duckdb", "SELECT format('{:>8}', status), format('{{}} {}', id), printf('%8.2f', amount) FROM claims", {"claims"}),
    ("postgres", "SELECT format('%s-%s', status, note), format('%1$s %1$s', status) FROM claims", {"claims"}),
    ("sqlite", "SELECT printf('%08.2f', amount), printf('%-12s|', status) FROM claims", {"claims"}),
    ("duckdb", "SELECT repeat('*', 20), lpad(CAST(id AS VARCHAR), 8, '0'), rpad(status, 12) FROM claims", {"claims"}),
    ("duckdb", "SELECT replace(status, '_', ' ') || ' (' || note || ')' AS label FROM claims", {"claims"}),
    ("postgres", "SELECT regexp_replace(status, '_+', ' ', 'g') FROM claims", {"claims"}),
    ("duckdb", "SELECT levenshtein(LEFT(status, 20), 'open') AS d FROM claims", {"claims"}),
    ("sqlite", "SELECT editdist3(substr(status, 1, 10), 'paid') FROM claims", {"claims"}),
    ("postgres", "SELECT levenshtein(SUBSTRING(note FROM 1 FOR 50), 'x') FROM claims", {"claims"}),
    ("duckdb", "WITH l AS (SELECT status || '-' || note AS s FROM claims) SELECT s || ' ' || s FROM l", {"claims"}),
    ("duckdb", "SELECT repeat(status, 100) FROM claims", {"claims"}),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "sql", "tables"), ACCEPTED)
def test_it_accepts_a_read_only_query(dialect: str, sql: str, tables: set[str]) -> None:
    checked = check(sql, dialect)
    assert checked.tables == frozenset(tables)
    assert sqlglot.parse_one(checked.sql, read=dialect) is not None


REJECTED = [
    # aggregates whose one value grows with every row (the string a cross join concatenates)
    ("postgres", "SELECT length(string_agg(repeat(a.cause, 100), ',')) FROM claims a, claims b", "one value out of"),
    ("postgres", "SELECT array_agg(claim_id) FROM claims", "one value out of every row"),
    ("duckdb", "SELECT list(claim_id) FROM claims", "one value out of every row"),
    ("duckdb", "SELECT string_agg(status, ',') FROM claims", "one value out of every row"),
    ("sqlite", "SELECT group_concat(status) FROM claims", "one value out of every row"),
    ("postgres", "SELECT json_agg(status) FROM claims", "one value out of every row"),
    # empty, unparseable, oversize, more than one statement, unsupported dialect
    ("duckdb", "", "empty"),
    ("duckdb", "   \n\t", "empty"),
    ("duckdb", "-- only a comment", "empty"),
    ("duckdb", "SELEC * FROM claims", "could not be parsed"),
    ("duckdb", "SELECT * FROM claims WHERE", "could not be parsed"),
    ("duckdb", "SELECT 'unterminated FROM claims", "could not be parsed"),
    ("duckdb", "SELECT 1; SELECT 2", "exactly one statement"),
    ("sqlite", "SELECT * FROM claims; DROP TABLE claims", "exactly one statement"),
    ("duckdb", "SELECT " + "1 + " * (MAX_SQL_CHARS // 4) + "1", f"limit is {MAX_SQL_CHARS}"),
    ("mysql", "SELECT 1", "not supported"),
    # not a query, and writes anywhere in the tree
    ("duckdb", "INSERT INTO claims VALUES (1)", "INSERT"),
    ("postgres", "UPDATE claims SET amount = 0", "UPDATE"),
    ("sqlite", "DELETE FROM claims", "DELETE"),
    ("duckdb", "DROP TABLE claims", "DROP TABLE"),
    ("duckdb", "CREATE TABLE x AS SELECT * FROM claims", "CREATE TABLE"),
    ("postgres", "ALTER TABLE claims ADD COLUMN x INT", "ALTER TABLE"),
    ("postgres", "TRUNCATE claims", "TRUNCATE"),
    ("postgres", "MERGE INTO claims c USING members m ON c.id = m.id WHEN MATCHED THEN DELETE", "MERGE"),
    ("postgres", "WITH d AS (DELETE FROM claims RETURNING *) SELECT * FROM d", "DELETE"),
    ("duckdb", "WITH d AS (DELETE FROM claims RETURNING *) SELECT * FROM d", "DELETE"),
    ("postgres", "WITH i AS (INSERT INTO claims (id) VALUES (1) RETURNING id) SELECT * FROM i", "INSERT"),
    ("postgres", "SELECT * FROM claims WHERE id IN "
                 "(WITH u AS (UPDATE claims SET amount = 0 RETURNING id) SELECT id FROM u)", "UPDATE"),
    ("postgres", "SELECT * INTO backup FROM claims", "INTO"),
    ("duckdb", "SELECT * FROM claims FOR UPDATE", "FOR UPDATE"),
    ("postgres", "SELECT * FROM claims FOR SHARE", "FOR SHARE"),
    ("sqlite", "PRAGMA table_info(claims)", "PRAGMA"),
    ("duckdb", "ATTACH 'other.duckdb' AS other", "ATTACH"),
    ("sqlite", "ATTACH DATABASE 'other.db' AS other", "ATTACH"),
    ("duckdb", "DETACH other", "DETACH"),
    ("duckdb", "COPY claims TO 'out.csv'", "COPY"),
    ("postgres", "COPY claims FROM '/tmp/in.csv'", "COPY"),
    ("duckdb", "SET enable_external_access = true", "SET"),
    ("postgres", "SET statement_timeout = 0", "SET"),
    ("duckdb", "CALL pragma_version()", "CALL"),
    ("duckdb", "INSTALL httpfs", "INSTALL"),
    ("duckdb", "LOAD httpfs", "LOAD"),
    ("duckdb", "EXPLAIN SELECT * FROM claims", "EXPLAIN"),
    ("duckdb", "DESCRIBE claims", "DESCRIBE"),
    ("duckdb", "SHOW TABLES", "SHOW"),
    ("sqlite", "VACUUM", "VACUUM"),
    ("duckdb", "BEGIN", "BEGIN"),
    ("duckdb", "USE other", "USE"),
    ("postgres", "GRANT SELECT ON claims TO public", "GRANT"),
    ("postgres", "DO $$ BEGIN END $$", "DO"),
    ("postgres", "VALUES (1)", "VALUES"),
    ("duckdb", "CHECKPOINT", "CHECKPOINT"),
    # recursion, however it is spelled
    ("duckdb", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
               "Recursive queries are not allowed"),
    ("postgres", "with /* */ recursive r as (select 1 as n) select * from r", "remove WITH RECURSIVE"),
    ("sqlite", "SELECT * FROM claims WHERE id IN "
               "(WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r)", "WITH RECURSIVE"),
    ("postgres", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                 "CYCLE n SET is_cycle USING path SELECT * FROM r", "WITH RECURSIVE"),
    ("duckdb", "WITH RECURSIVE r(n) USING KEY (n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT * FROM r",
               "WITH RECURSIVE"),
    ("sqlite", "WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
               "CTE r reads from its own name"),
    ("sqlite", "WITH [R](n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM `r`) SELECT * FROM r", "CTE r reads"),
    ("duckdb", "WITH x AS (SELECT 1 AS n), y AS (WITH x AS (SELECT n FROM x) SELECT n FROM x) SELECT n FROM y",
               "CTE x reads"),
    ("postgres", "WITH claims AS (SELECT * FROM claims WHERE amount > 0) SELECT * FROM claims", "Rename the CTE"),
    # tables outside the allowed set, wherever they hide
    ("duckdb", "SELECT * FROM secrets", "secrets"),
    ("duckdb", "SELECT * FROM claims JOIN secrets ON true", "secrets"),
    ("duckdb", "SELECT * FROM claims WHERE id IN (SELECT id FROM secrets)", "secrets"),
    ("duckdb", "WITH s AS (SELECT * FROM secrets) SELECT * FROM s", "secrets"),
    ("postgres", "SELECT id FROM claims UNION SELECT id FROM secrets", "secrets"),
    ("duckdb", "SELECT * FROM claims, LATERAL (SELECT * FROM secrets) AS s", "secrets"),
    ("duckdb", "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM claims) SELECT * FROM a", "Table b"),
    ("duckdb", "SELECT * FROM (WITH x AS (SELECT * FROM claims) SELECT * FROM x) AS s JOIN x ON true", "Table x"),
    ("duckdb", "SELECT * FROM main.secrets", "secrets"),
    ("postgres", 'SELECT * FROM "Claims"', "Table Claims"),
    ("postgres", 'WITH "Secrets" AS (SELECT 1) SELECT * FROM secrets', "Table secrets"),
    ("postgres", "SELECT * FROM main.claims", "Schema main"),
    ("duckdb", "SELECT * FROM other.claims", "Schema other"),
    ("duckdb", "SELECT * FROM memory.main.claims", "Catalog"),
    ("duckdb", "SELECT * FROM information_schema.tables", "information_schema.tables"),
    ("postgres", "SELECT * FROM pg_catalog.pg_tables", "pg_catalog.pg_tables"),
    ("postgres", "SELECT * FROM pg_user", "pg_user"),
    ("sqlite", "SELECT * FROM sqlite_master", "sqlite_master"),
    ("duckdb", "SELECT * FROM 'data.csv'", "data.csv"),
    # table-valued functions
    ("duckdb", "SELECT * FROM duckdb_tables()", "duckdb_tables"),
    ("duckdb", "SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("duckdb", "SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto"),
    ("duckdb", "SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
    ("duckdb", "SELECT * FROM read_json('x.json')", "read_json"),
    ("duckdb", "SELECT * FROM glob('*')", "glob"),
    ("duckdb", "SELECT (SELECT COUNT(*) FROM read_csv('x.csv'))", "read_csv"),
    ("postgres", "SELECT * FROM generate_series(1, 10)", "generate_series"),
    ("sqlite", "SELECT * FROM pragma_table_info('claims')", "pragma_table_info"),
    # functions outside the allowlist
    ("postgres", "SELECT pg_sleep(10)", "pg_sleep"),
    ("postgres", "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("postgres", "SELECT set_config('default_transaction_read_only', 'off', false)", "set_config"),
    ("postgres", "SELECT * FROM claims WHERE id = dblink('host=x', 'select 1')", "dblink"),
    ("postgres", "SELECT nextval('claims_id_seq')", "nextval"),
    ("postgres", "SELECT setval('claims_id_seq', 1)", "setval"),
    ("postgres", "SELECT current_setting('is_superuser')", "current_setting"),
    ("postgres", "SELECT pg_catalog.pg_sleep(1)", "Schema-qualified"),
    ("sqlite", "SELECT load_extension('evil')", "load_extension"),
    ("sqlite", "SELECT readfile('/etc/passwd')", "readfile"),
    ("sqlite", "SELECT writefile('/tmp/x', 'y')", "writefile"),
    ("duckdb", "SELECT getenv('HOME')", "getenv"),
    ("duckdb", "SELECT id, read_text('/etc/passwd') FROM claims", "read_text"),
    ("duckdb", "SELECT query('SELECT * FROM secrets')", "query"),
    ("duckdb", "SELECT my_udf(id) FROM claims", "my_udf"),
    ("postgres", "SELECT current_user", "current_user"),
    # limits the cap cannot be applied to
    ("duckdb", "SELECT * FROM claims LIMIT 50%", "Percentage"),
    ("duckdb", "SELECT * FROM claims LIMIT 1 + 1", "whole number"),
    ("postgres", "SELECT * FROM claims LIMIT ALL", "whole number"),
    # input built to exhaust the parser
    ("duckdb", "SELECT " + "(" * 5000 + "1" + ")" * 5000, "parentheses"),
    ("duckdb", "SELECT " + "NOT " * 4000 + "TRUE", "nested too deeply"),
    ("duckdb", "SELECT " + "CASE WHEN a THEN " * 900 + "1" + " END" * 900 + " FROM claims", "nested too deeply"),
    ("duckdb", "SELECT " + "[" * 3000 + "1" + "]" * 3000, "nested too deeply"),
    # functions whose cost an argument sets: sizes, widths, edit distances, multiplied strings
    ("duckdb", "SELECT length(format('{:>{}}', 'x', 2000000000))", "'{:>{}}'"),
    ("duckdb", "SELECT format('{:>{}}', status, 5) FROM claims", "needs a literal format"),
    ("duckdb", "SELECT format('{:.{}}', amount, 2) FROM claims", "needs a literal format"),
    ("duckdb", "SELECT format('{:>99999}', status) FROM claims", "widths over 10000"),
    ("postgres", "SELECT format('%*s', 2000000000, 'x')", "without *"),
    ("postgres", "SELECT format('%2000000000s', 'x')", "widths over 10000"),
    ("duckdb", "SELECT printf('%.*d', 5, 1)", "without *"),
    ("sqlite", "SELECT printf(status, 1) FROM claims", "literal format"),
    ("duckdb", "SELECT repeat(status, id) FROM claims", "repeat() needs a literal length"),
    ("duckdb", "SELECT lpad(status, CAST(amount AS INT), 'x') FROM claims", "lpad() needs a literal length"),
    ("duckdb", "SELECT sum(levenshtein(status, note)) FROM claims", "LEFT(cause, 20)"),
    ("postgres", "SELECT levenshtein(status, 'open') FROM claims", "prefixes with a small literal length"),
    ("sqlite", "SELECT editdist3(note, 'open') FROM claims", "prefixes"),
    ("duckdb", "SELECT levenshtein(LEFT(status, 200), LEFT(note, 200)) FROM claims", "40,000 steps"),
    ("duckdb", "SELECT jaro_winkler_similarity(status, 'x') FROM claims", "not allowed"),
    ("duckdb", "SELECT damerau_levenshtein(status, 'x') FROM claims", "not allowed"),
    ("duckdb", "SELECT length(repeat(repeat('x', 10000), 10000))", "up to 100,000,000 characters"),
    ("duckdb", "SELECT repeat(status, 1000) FROM claims", "up to 64,000 characters"),
    ("duckdb", "SELECT replace(replace(repeat('ab', 5000), 'a', repeat('a', 5000)), 'b', 'c')", "replace() could"),
    ("postgres", "SELECT regexp_replace(status, '.', repeat('x', 300), 'g') FROM claims", "regexp_replace()"),
    ("sqlite", "SELECT concat(repeat('x', 6000), repeat('y', 6000))", "concat() could build"),
    ("duckdb", "SELECT hex(repeat('a', 6000))", "hex() could build"),
    ("duckdb", "WITH a AS (SELECT repeat('x', 5000) AS s), b AS (SELECT s || s AS s FROM a),"
               " c AS (SELECT s || s AS s FROM b) SELECT length(s) FROM c", "|| could build a string of up to 20,000"),
    ("duckdb", "SELECT repeat('x', 6000) AS a, a || a AS b", "up to 12,000"),
    ("duckdb", "SELECT x FROM (SELECT repeat('a', 9000) AS x UNION ALL SELECT 'b') t WHERE x || x <> ''",
               "up to 18,000"),
    ("duckdb", "SELECT (SELECT repeat('a', 9000)) || (SELECT repeat('b', 9000))", "up to 18,000"),
    ("postgres", "SELECT s FROM (SELECT repeat(status, 100) AS s FROM claims) t ORDER BY s || s", "up to 12,800"),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "sql", "reason"), REJECTED, ids=lambda v: str(v)[:40])
def test_it_rejects_with_a_reason_naming_the_problem(dialect: str, sql: str, reason: str) -> None:
    assert reason.lower() in rejection(sql, dialect).lower()


def test_it_lists_the_allowed_tables_when_a_table_is_not_allowed() -> None:
    message = rejection("SELECT * FROM secrets")
    assert "claims, members, providers" in message


@pytest.mark.parametrize(
    "sql",
    ["SELECT * FROM ROWS FROM (generate_series(1, 3))", "SELECT t.* FROM ROWS FROM (generate_series(1, 3)) AS t"],
)
def test_it_refuses_postgres_rows_from_which_has_no_table_name(sql: str) -> None:
    assert "is not a table" in rejection(sql, "postgres")


def test_a_tree_the_checks_did_not_foresee_is_rejected_not_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever breaks inside a check, the caller gets SqlRejected, which the pipeline feeds back."""

    def broken(*args: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'key'")

    monkeypatch.setattr(safety, "_check_functions", broken)
    assert "could not be checked (AttributeError)" in rejection("SELECT id FROM claims")


def test_it_names_the_rejected_function_in_extra() -> None:
    with pytest.raises(SqlRejected) as caught:
        check("SELECT pg_sleep(1)", "postgres")
    assert caught.value.extra == {"function": "pg_sleep"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_it_refuses_the_recursive_cte_that_doubles_a_string_each_step(dialect: str) -> None:
    sql = (
        "WITH RECURSIVE r(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 40)"
        " SELECT length(s) FROM r"
    )
    message = rejection(sql, dialect)
    assert message.startswith("Recursive queries are not allowed in widget queries; remove WITH RECURSIVE")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_it_refuses_a_cte_reading_its_own_name_which_sqlite_runs_as_recursion(dialect: str) -> None:
    sql = (
        "WITH claims(s, n) AS (SELECT 'x', 0 UNION ALL SELECT s || s, n + 1 FROM claims WHERE n < 40)"
        " SELECT length(s) FROM claims"
    )
    with pytest.raises(SqlRejected) as caught:
        check(sql, dialect)
    assert caught.value.message.startswith("Recursive queries are not allowed in widget queries; the CTE claims")
    assert caught.value.extra == {"cte": "claims"}


def test_sqlite_runs_a_cte_reading_its_own_name_as_recursion_without_the_keyword() -> None:
    """Why a self-reference is refused: in SQLite it is recursion, not a read of the base table."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE claims (n INT)")
    sql = "WITH claims(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM claims WHERE n < 5) SELECT COUNT(*) FROM claims"
    assert con.execute(sql).fetchone() == (5,)


def doubling_ctes(steps: int) -> str:
    ctes = ["c0 AS (SELECT status AS s FROM claims)"]
    ctes += [f"c{i} AS (SELECT s || s AS s FROM c{i - 1})" for i in range(1, steps)]
    return f"WITH {', '.join(ctes)} SELECT length(s) AS n FROM c{steps - 1}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_it_refuses_ctes_that_double_a_column_each_step(dialect: str) -> None:
    """Inlined, 24 steps are 2^24 copies of the expression: SQLite took 6 GB to prepare it."""
    message = rejection(doubling_ctes(24), dialect)
    assert "expands to more than 10,000 column references" in message and "(in c1" in message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_it_accepts_a_short_chain_of_ctes_that_reuse_columns(dialect: str) -> None:
    assert check(doubling_ctes(8), dialect).tables == {"claims"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "s || s AS s FROM (SELECT " * 16 + "status AS s FROM claims" + ") AS t" * 16,
        "WITH c0 AS (SELECT status AS s FROM claims), "
        + ", ".join(f"c{i} AS (SELECT 'a' AS s FROM claims UNION ALL SELECT s || s FROM c{i - 1})" for i in range(1, 20))
        + " SELECT s FROM c19",
        "WITH c0 AS (SELECT status AS s FROM claims), "
        + ", ".join(f"c{i} AS (SELECT x.s || y.s AS s FROM c{i - 1} AS x JOIN c{i - 1} AS y ON true)" for i in range(1, 20))
        + " SELECT s FROM c19",
        "WITH c0 AS (SELECT status AS s FROM claims), "
        + ", ".join(f"c{i} AS (SELECT * FROM (SELECT s || s AS s FROM c{i - 1}) AS d)" for i in range(1, 20))
        + " SELECT * FROM c19 WHERE s <> ''",
    ],
    ids=["nested-derived-tables", "set-operation-branch", "self-join-aliases", "star-through-derived-tables"],
)
def test_it_refuses_column_doubling_however_it_is_spelled(sql: str) -> None:
    assert "expands to more than" in rejection(sql, "sqlite")


def test_a_realistic_multi_step_query_is_well_under_the_expansion_limit() -> None:
    sql = (
        "WITH monthly AS (SELECT date_trunc('month', filed_at) AS month, SUM(paid) AS paid, SUM(premium) AS premium"
        " FROM claims GROUP BY 1), ratios AS (SELECT month, paid, premium, paid / NULLIF(premium, 0) AS ratio"
        " FROM monthly), flagged AS (SELECT month, ratio, CASE WHEN ratio > 1 THEN 'loss' WHEN ratio > 0.8"
        " THEN 'thin' ELSE 'ok' END AS band, ratio - LAG(ratio) OVER (ORDER BY month) AS delta FROM ratios)"
        " SELECT month, ratio, band, delta, ratio * 100 AS pct FROM flagged ORDER BY month"
    )
    assert check(sql, "postgres").tables == {"claims"}


def test_it_accepts_parentheses_nested_up_to_the_limit() -> None:
    depth = MAX_PAREN_DEPTH - 1
    assert check("SELECT " + "(" * depth + "id" + ")" * depth + " FROM claims").tables == {"claims"}


def test_it_rejects_5000_nested_subqueries_by_length_before_parsing() -> None:
    sql = "SELECT * FROM " + "(SELECT * FROM " * 5000 + "claims" + ") AS s" * 5000
    assert "characters long" in rejection(sql)


def test_it_rejects_900_nested_subqueries_within_the_length_limit() -> None:
    sql = "SELECT * FROM " + "(SELECT * FROM " * 900 + "claims" + ") AS s" * 900
    assert len(sql) < MAX_SQL_CHARS
    assert "parentheses" in rejection(sql)


# -- the row limit ------------------------------------------------------------------------------


def limit_of(sql: str, dialect: str = "duckdb") -> int:
    tree = sqlglot.parse_one(sql, read=dialect)
    limit = tree.args["limit"]
    count = limit.args["count"] if isinstance(limit, exp.Fetch) else limit.expression
    return int(count.this)


def test_it_limits_the_query_to_one_row_above_the_cap_so_truncation_can_be_seen() -> None:
    assert check("SELECT * FROM claims").sql == f"SELECT * FROM claims LIMIT {CAP + 1}"


def test_it_lowers_a_limit_above_the_row_cap() -> None:
    assert limit_of(check("SELECT * FROM claims LIMIT 1000000").sql) == CAP + 1


@pytest.mark.parametrize("limit", [7, CAP, CAP + 1])
def test_it_keeps_a_limit_at_or_below_the_one_it_would_add(limit: int) -> None:
    assert limit_of(check(f"SELECT * FROM claims LIMIT {limit}").sql) == limit


@pytest.mark.parametrize("sql", ["SELECT * FROM claims", "SELECT * FROM claims LIMIT 1000000",
                                 "SELECT * FROM claims FETCH FIRST 100000 ROWS ONLY"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_checking_a_checked_query_again_keeps_its_limit(sql: str, dialect: str) -> None:
    """Refresh re-checks the stored SQL: the extra row must not grow by one on every check."""
    first = check(sql, dialect)
    again = check(first.sql, dialect)
    assert (again.sql, again.tables) == (first.sql, first.tables)
    assert limit_of(first.sql, dialect) == CAP + 1
    assert check(first.uncapped, dialect).sql == first.sql  # what a widget stores gives the same statement


def test_it_keeps_the_offset_when_adding_a_limit() -> None:
    assert check("SELECT * FROM claims ORDER BY id OFFSET 10").sql.endswith(f"LIMIT {CAP + 1} OFFSET 10")


def test_it_lowers_a_fetch_first_clause() -> None:
    checked = check("SELECT * FROM claims FETCH FIRST 100000 ROWS ONLY", "postgres")
    assert limit_of(checked.sql, "postgres") == CAP + 1


@pytest.mark.parametrize("dialect", DIALECTS)
def test_it_limits_a_set_operation_as_a_whole(dialect: str) -> None:
    checked = check("SELECT id FROM claims UNION ALL SELECT id FROM members LIMIT 100000", dialect)
    tree = sqlglot.parse_one(checked.sql, read=dialect)
    assert isinstance(tree, exp.Union)
    assert limit_of(checked.sql, dialect) == CAP + 1
    assert tree.this.args.get("limit") is None and tree.expression.args.get("limit") is None


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_the_limited_set_operation_returns_at_most_one_row_above_the_cap(dialect: str) -> None:
    checked = check("SELECT id FROM claims UNION ALL SELECT id FROM members", dialect, row_cap=3)
    setup = "CREATE TABLE claims (id INT); CREATE TABLE members (id INT); " + "".join(
        f"INSERT INTO claims VALUES ({i}); INSERT INTO members VALUES ({i});" for i in range(5)
    )
    if dialect == "sqlite":
        con = sqlite3.connect(":memory:")
        con.executescript(setup)
    else:
        con = duckdb.connect()
        con.execute(setup)
    assert len(con.execute(checked.sql).fetchall()) == 3 + 1


def test_it_wraps_a_parenthesized_query_with_modifiers_so_sqlite_can_run_it() -> None:
    checked = check("(SELECT id FROM claims) ORDER BY id LIMIT 100000", "sqlite")
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE claims (id INT)")
    con.executemany("INSERT INTO claims VALUES (?)", [(i,) for i in range(150)])
    assert len(con.execute(checked.sql).fetchall()) == CAP + 1


def test_a_normalized_query_is_accepted_again_unchanged() -> None:
    first = check("select  c.id from claims c where c.amount>1 union select id from members limit 9")
    assert check(first.sql) == first


# -- properties --------------------------------------------------------------------------------

HOLE = "{w}"
READ = "SELECT id FROM members"
WRITES = [  # a write, and the word the rejection must name it by
    ("INSERT INTO claims (id) VALUES (1)", "INSERT"),
    ("INSERT INTO claims (id) SELECT id FROM members RETURNING id", "INSERT"),
    ("INSERT INTO claims (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET amount = 0 RETURNING id", "INSERT"),
    ("UPDATE claims SET amount = 0", "UPDATE"),
    ("UPDATE claims SET amount = 0 FROM members WHERE members.id = claims.id RETURNING claims.id", "UPDATE"),
    ("INSERT OR REPLACE INTO claims (id) VALUES (1)", "INSERT"),
    ("DELETE FROM claims", "DELETE"),
    ("DELETE FROM claims WHERE id = 1 RETURNING *", "DELETE"),
    ("DELETE FROM claims USING members WHERE members.id = claims.id", "DELETE"),
    ("MERGE INTO claims AS c USING members AS m ON c.id = m.id WHEN MATCHED THEN DELETE", "MERGE"),
    ("DROP TABLE claims", "DROP"),
    ("CREATE TABLE x AS SELECT * FROM claims", "CREATE"),
    ("CREATE TABLE x (a INT)", "CREATE"),
    ("SELECT id INTO backup FROM claims", "INTO"),
]
# sqlglot parses a write inside a query only as a CTE body (SELECT ... INTO anywhere), so the hole
# starts in a CTE that is read, never read, or one of several; the contexts then bury that query.
LEAVES = [
    "WITH v AS ({w}) SELECT * FROM v",
    "WITH v AS ({w}) SELECT id FROM claims",
    "WITH a AS (SELECT id FROM claims), v AS ({w}), b AS (SELECT id FROM a) SELECT id FROM b",
]
CONTEXTS = [
    "WITH w AS ({q}) SELECT * FROM w",
    "WITH a AS (SELECT 1 AS id), w AS ({q}) SELECT * FROM a",
    "SELECT * FROM ({q}) AS s",
    "SELECT * FROM claims WHERE id IN ({q})",
    "SELECT ({q}) AS x FROM claims",
    "SELECT * FROM claims WHERE EXISTS ({q})",
    "SELECT CASE WHEN EXISTS ({q}) THEN 1 ELSE 0 END AS x FROM claims",
    "SELECT id FROM claims GROUP BY id HAVING COUNT(*) > (SELECT COUNT(*) FROM ({q}) AS s)",
    "SELECT id FROM claims ORDER BY (SELECT MAX(id) FROM ({q}) AS s)",
    "SELECT SUM(amount) OVER (PARTITION BY status ORDER BY (SELECT MAX(id) FROM ({q}) AS s)) FROM claims",
    "SELECT id FROM claims UNION ALL ({q})",
    "SELECT * FROM ({q} INTERSECT SELECT id FROM claims) AS s",
    "SELECT id FROM claims EXCEPT SELECT * FROM ({q}) AS s",
    "SELECT * FROM claims JOIN ({q}) AS s ON true",
    "SELECT * FROM claims AS c, LATERAL (SELECT * FROM ({q}) AS s) AS l",
]


@st.composite
def queries_with_a_hole(draw: st.DrawFn) -> str:
    """Return a query with one HOLE for a statement, in a CTE buried under up to four contexts."""
    query = draw(st.sampled_from(LEAVES))
    for context in draw(st.lists(st.sampled_from(CONTEXTS), max_size=4)):
        query = context.replace("{q}", query)
    return query


@pytest.mark.parametrize("dialect", DIALECTS)
@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries_with_a_hole(), write=st.sampled_from(WRITES))
def test_a_write_anywhere_in_a_query_is_never_accepted(dialect: str, query: str, write: tuple[str, str]) -> None:
    """The same query with a read in the hole is accepted, so the rejection is the write's doing."""
    statement, named = write
    check(query.replace(HOLE, READ), dialect)
    assert named in rejection(query.replace(HOLE, statement), dialect)


COMMON_EXPRESSIONS = [
    "id", "amount", "status", "COUNT(*)", "SUM(amount)", "AVG(amount)", "ROUND(amount, 2)",
    "COALESCE(amount, 0)", "NULLIF(status, '')", "UPPER(status)", "CAST(amount AS INT)",
    "amount * 2 + 1", "CASE WHEN amount > 100 THEN 'big' ELSE 'small' END",
    "ROW_NUMBER() OVER (PARTITION BY status ORDER BY id)", "LAG(amount) OVER (ORDER BY id)",
    '"Status"', "MAX(amount) - MIN(amount)",
]  # fmt: skip
DATE_EXPRESSIONS = {
    "duckdb": ["DATE_TRUNC('month', service_date)", "EXTRACT(YEAR FROM service_date)"],
    "postgres": ["DATE_TRUNC('month', service_date)", "TO_CHAR(service_date, 'YYYY-MM')"],
    "sqlite": ["STRFTIME('%Y-%m', service_date)", "DATE(service_date)"],
}
PREDICATES = [
    "amount > {n}", "status IN ('open', 'paid')", "status LIKE 'p%'",
    "service_date >= :window_start AND service_date < :window_end",
    "(service_date >= :window_start AND service_date < :window_end OR service_date >= :compare_start AND "
    "service_date < :compare_end)",
    "member_id IN (SELECT id FROM members)", "amount BETWEEN 1 AND {n}", "note IS NULL",
]  # fmt: skip
SHAPES = [
    "{q}",
    "WITH base AS ({q}) SELECT * FROM base",
    "SELECT * FROM ({q}) AS sub",
    "{q} UNION ALL {q}",
]


@st.composite
def accepted_queries(draw: st.DrawFn) -> tuple[str, str, int]:
    dialect = draw(st.sampled_from(DIALECTS))
    columns = draw(st.lists(st.sampled_from(COMMON_EXPRESSIONS + DATE_EXPRESSIONS[dialect]), min_size=1, max_size=4))
    table = draw(st.sampled_from(ALLOWED))
    query = f"SELECT {', '.join(columns)} FROM {table}"
    predicates = draw(st.lists(st.sampled_from(PREDICATES), max_size=2))
    if predicates:
        n = draw(st.integers(0, 10_000))
        query += " WHERE " + " AND ".join(p.format(n=n) for p in predicates)
    query = draw(st.sampled_from(SHAPES)).format(q=query)
    limit = draw(st.none() | st.integers(1, 1_000_000))
    if limit is not None:
        query += f" LIMIT {limit}"
    return dialect, query, draw(st.integers(1, 10_000))


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=accepted_queries())
def test_an_accepted_query_stays_accepted_after_normalization(case: tuple[str, str, int]) -> None:
    dialect, sql, row_cap = case
    first = sql_check(sql=sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=row_cap)
    again = sql_check(sql=first.sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=row_cap)
    assert (again.sql, again.tables) == (first.sql, first.tables)
    assert limit_of(first.sql, dialect) <= row_cap + 1
    stored = sql_check(sql=first.uncapped, dialect=dialect, allowed_tables=ALLOWED, row_cap=row_cap)
    assert stored.sql == first.sql


# -- the check_sql command ---------------------------------------------------------------------


def test_check_sql_prints_the_normalized_sql_for_an_accepted_query() -> None:
    out = io.StringIO()
    call_command("check_sql", "select id from claims", allow_tables=["claims"], row_cap=10, stdout=out)
    assert out.getvalue().splitlines() == ["ACCEPTED (tables: claims)", "SELECT id FROM claims LIMIT 11"]


def test_check_sql_exits_1_with_the_reason_for_a_rejected_query() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check_sql", "DELETE FROM claims", allow_tables=["claims"], stdout=out)
    assert exited.value.code == 1
    assert out.getvalue().startswith("REJECTED:") and "DELETE" in out.getvalue()


def test_check_sql_writes_one_verdict_per_jsonl_line(tmp_path: Path) -> None:
    items = [
        {"sql": "SELECT * FROM claims", "dialect": "sqlite", "allowed_tables": ["claims"]},
        {"sql": "SELECT * FROM secrets", "dialect": "postgres", "allowed_tables": ["claims"]},
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + '\nnot json\n{"sql": "SELECT 1", "dialect": 5}\n')
    out = io.StringIO()
    call_command("check_sql", jsonl=path, row_cap=5, stdout=out)
    verdicts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert verdicts[0] == {"ok": True, "reason": None, "sql": "SELECT * FROM claims LIMIT 6"}
    assert verdicts[1]["ok"] is False and "secrets" in verdicts[1]["reason"]
    assert verdicts[2]["ok"] is False and "Line 3" in verdicts[2]["reason"]
    assert verdicts[3]["ok"] is False and "Line 4" in verdicts[3]["reason"] and "'dialect'" in verdicts[3]["reason"]


@pytest.mark.django_db
def test_check_sql_uses_the_default_data_source_when_none_is_named(demo_source) -> None:
    out = io.StringIO()
    call_command("check_sql", "SELECT status, COUNT(*) FROM claims GROUP BY 1", stdout=out)
    assert out.getvalue().startswith("ACCEPTED"), out.getvalue()
