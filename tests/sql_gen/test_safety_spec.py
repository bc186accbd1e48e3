"""The statement against its spec (``spec_check``): the window bounds the rows, the spec's filters and no
others, no limit but the ranking's; in each supported dialect."""
from __future__ import annotations

from typing import Any

import pytest

from sql_gen.services.safety import SqlRejected, sql_check
from sql_gen.services.safety_spec import spec_check

CLAIM_COUNT = {"key": "claim_count", "kind": "simple", "base_table": "claims", "expression": "COUNT(*)",
               "time_column": "filed_date", "default_filters": ""}
TOTAL_PAID = {"key": "total_paid", "kind": "simple", "base_table": "claims", "expression": "SUM(paid_amount)",
              "time_column": "closed_date", "default_filters": "status = 'closed'"}
DIMENSIONS = [
    {"key": "products.line", "table": "products", "column": "line", "label": "product line"},
    {"key": "regions.name", "table": "regions", "column": "name", "label": "region"},
    {"key": "claims.claim_size", "table": "claims", "column": None, "label": "claim size",
     "expression": "CASE WHEN claimed_amount < 1000 THEN 'Small' ELSE 'Large' END"},
]
AUTO = {"dimension": "products.line", "op": "in", "values": ["Auto"]}
WINDOW = "b.filed_date >= :window_start AND b.filed_date < :window_end"
MOTOR = "SELECT COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON b.product_id = t1.product_id WHERE "
DIALECTS = ["duckdb", "sqlite", "postgres"]


def _check(sql: str, read: str = "duckdb", *, metrics: list[dict[str, Any]] | None = None, **spec: Any) -> None:
    checked = sql_check(sql=sql, dialect=read, allowed_tables=["claims", "products", "regions"], row_cap=500)
    metrics = metrics or [CLAIM_COUNT]
    context = {"metric": metrics[0], "metrics": metrics, "dimensions": DIMENSIONS}
    spec_check(sql=checked.uncapped, read=read, spec=spec, context=context)


@pytest.mark.parametrize("read", DIALECTS)
def test_a_statement_that_does_what_its_spec_says_passes(read):
    _check(f"{MOTOR}{WINDOW} AND t1.line IN ('Auto')", read, filters=[AUTO])
    _check(f"{MOTOR}t1.line = 'Auto' AND ({WINDOW})", read, filters=[AUTO])


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("window", [
    f"{WINDOW} OR TRUE", f"{WINDOW} OR b.claim_id > 0",
    f"NOT ({WINDOW})", f"CASE WHEN {WINDOW} THEN TRUE ELSE TRUE END",
])
def test_a_window_that_bounds_nothing_is_refused(read, window):
    with pytest.raises(SqlRejected, match="bound"):
        _check(f"SELECT COUNT(*) AS claim_count FROM claims AS b WHERE {window}", read)


def test_a_window_only_in_the_select_list_is_refused():
    with pytest.raises(SqlRejected, match="bound"):
        _check("SELECT COUNT(*) AS claim_count, MAX(b.filed_date >= :window_start AND b.filed_date < :window_end) "
               "AS w FROM claims AS b")


def test_the_window_must_bound_every_query_that_reads_the_fact_table():
    with pytest.raises(SqlRejected, match="must bound its rows"):
        _check(f"SELECT s.claim_count FROM (SELECT COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW}) AS s "
               "CROSS JOIN (SELECT COUNT(*) AS n FROM claims AS c) AS t")


@pytest.mark.parametrize("read", DIALECTS)
def test_a_limit_of_the_models_own_is_refused_without_a_ranking(read):
    with pytest.raises(SqlRejected, match="no LIMIT"):
        _check(f"SELECT COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW} LIMIT 50", read)


def test_only_the_rankings_limit_is_allowed():
    ranked = "SELECT t1.line AS product_line, COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON " \
             f"b.product_id = t1.product_id WHERE {WINDOW} GROUP BY 1 ORDER BY 2 DESC"
    ranking = {"direction": "top", "n": 5}
    _check(f"{ranked} LIMIT 5", ranking=ranking)
    with pytest.raises(SqlRejected, match="LIMIT 5"):
        _check(f"{ranked} LIMIT 50", ranking=ranking)
    with pytest.raises(SqlRejected, match="OFFSET"):
        _check(f"{ranked} LIMIT 5 OFFSET 5", ranking=ranking)
    with pytest.raises(SqlRejected, match="LIMIT 5"):
        _check(f"{ranked} FETCH FIRST 3 ROWS ONLY", "postgres", ranking=ranking)


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("where", "reason"), [
    (WINDOW, "filter on product line .* is missing"),
    (f"{WINDOW} AND t1.line IN ('Home')", "Use exactly the spec's values"),
    (f"{WINDOW} AND t1.line IN ('Auto', 'Home')", "Use exactly the spec's values"),
    (f"{WINDOW} AND t1.line NOT IN ('Auto')", "Use exactly the spec's values"),
    (f"{WINDOW} AND t1.line IN ('Auto') AND b.status <> 'denied'", "spec does not have"),
    (f"{WINDOW} AND t1.line IN ('Auto') AND t1.line IN ('Home')", "Use exactly the spec's values"),
])
def test_a_filter_missing_changed_or_added_is_refused(read, where, reason):
    with pytest.raises(SqlRejected, match=reason):
        _check(MOTOR + where, read, filters=[AUTO])


def test_values_match_in_any_order_and_numeric_filters_as_their_comparison():
    two = {"dimension": "products.line", "op": "not_in", "values": ["Home", "Auto"]}
    _check(f"{MOTOR}{WINDOW} AND NOT t1.line IN ('Auto', 'Home')", filters=[two])
    paid = {"dimension": "claims.paid_amount", "op": ">", "values": [10000]}
    _check(f"{MOTOR}{WINDOW} AND b.paid_amount > 10000.0", filters=[paid])
    _check(f"{MOTOR}{WINDOW} AND 10000 < b.paid_amount", filters=[paid])
    with pytest.raises(SqlRejected, match="paid_amount"):
        _check(f"{MOTOR}{WINDOW} AND b.paid_amount >= 10000", filters=[paid])


def test_a_computed_dimensions_filter_is_its_expression():
    size = {"dimension": "claims.claim_size", "op": "in", "values": ["Small"]}
    _check(f"SELECT COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW} AND CASE WHEN b.claimed_amount < 1000 "
           "THEN 'Small' ELSE 'Large' END IN ('Small')", filters=[size])


@pytest.mark.parametrize("read", DIALECTS)
def test_the_metrics_own_default_filters_are_allowed_and_nothing_else(read):
    paid = ("SELECT SUM(b.paid_amount) AS total_paid FROM claims AS b WHERE b.closed_date >= :window_start AND "
            "b.closed_date < :window_end")
    _check(f"{paid} AND (b.status = 'closed')", read, metrics=[TOTAL_PAID])
    with pytest.raises(SqlRejected, match="spec does not have"):
        _check(f"{paid} AND b.status = 'open'", read, metrics=[TOTAL_PAID])


def test_having_and_filters_outside_the_fact_query_are_refused():
    grouped = ("SELECT t1.line AS product_line, COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON "
               f"b.product_id = t1.product_id WHERE {WINDOW} GROUP BY 1")
    with pytest.raises(SqlRejected, match="HAVING"):
        _check(f"{grouped} HAVING COUNT(*) > 1500")
    with pytest.raises(SqlRejected, match="does not read the metric's table"):
        _check(f"SELECT * FROM ({grouped}) AS s WHERE s.claim_count > 1500")
    with pytest.raises(SqlRejected, match="only match keys"):
        _check("SELECT COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON b.product_id = "
               f"t1.product_id AND t1.line = 'Home' WHERE {WINDOW}")


@pytest.mark.parametrize("read", DIALECTS)
def test_metrics_joined_null_safely_on_the_union_of_their_keys_pass(read):
    part = ("SELECT t1.line AS product_line, {value} AS value FROM claims AS b JOIN products AS t1 ON b.product_id = "
            "t1.product_id WHERE b.{time} >= :window_start AND b.{time} < :window_end GROUP BY 1")
    count, paid = part.format(value="COUNT(*)", time="filed_date"), part.format(value="SUM(b.paid_amount)",
                                                                                 time="closed_date")
    paid += " AND b.status = 'closed'" if False else ""
    _check(f"SELECT k.product_line AS product_line, COALESCE(m0.value, 0) AS claim_count, m1.value AS total_paid "
           f"FROM (SELECT product_line FROM ({count}) AS u0 UNION SELECT product_line FROM ({paid}) AS u1) AS k "
           f"LEFT JOIN ({count}) AS m0 ON k.product_line IS NOT DISTINCT FROM m0.product_line "
           f"LEFT JOIN ({paid}) AS m1 ON k.product_line IS NOT DISTINCT FROM m1.product_line", read,
           metrics=[CLAIM_COUNT, {**TOTAL_PAID, "default_filters": ""}])


def test_a_row_written_into_the_statement_is_refused():
    grouped = ("SELECT t1.line AS product_line, COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON "
               f"b.product_id = t1.product_id WHERE {WINDOW} GROUP BY 1")
    with pytest.raises(SqlRejected, match="writes its rows in"):
        _check(f"{grouped} UNION ALL SELECT 'Europe', 999")
