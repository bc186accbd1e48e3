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
TABLES = [  # the dictionary's keys: claims.product_id references products.product_id, and so on
    {"name": "claims", "columns": [
        {"name": name, "references": target} for name, target in [
            ("claim_id", ""), ("customer_id", "customers.customer_id"), ("policy_id", "policies.policy_id"),
            ("product_id", "products.product_id"), ("region_id", "regions.region_id"),
            ("adjuster_id", "adjusters.adjuster_id"), ("filed_date", ""), ("closed_date", ""), ("status", ""),
            ("paid_amount", ""), ("claimed_amount", "")]]},
    {"name": "products", "columns": [{"name": "product_id"}, {"name": "line"}]},
    {"name": "regions", "columns": [{"name": "region_id"}, {"name": "name"}]},
    {"name": "policies", "columns": [{"name": "policy_id"}, {"name": "customer_id", "references": "customers.customer_id"}]},
    {"name": "adjusters", "columns": [{"name": "adjuster_id"}, {"name": "full_name"}]},
]
AUTO = {"dimension": "products.line", "op": "in", "values": ["Auto"]}
WINDOW = "b.filed_date >= :window_start AND b.filed_date < :window_end"
MOTOR = "SELECT COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON b.product_id = t1.product_id WHERE "
DIALECTS = ["duckdb", "sqlite", "postgres"]


def _check(sql: str, read: str = "duckdb", *, metrics: list[dict[str, Any]] | None = None, **spec: Any) -> None:
    checked = sql_check(sql=sql, dialect=read, allowed_tables=[t["name"] for t in TABLES], row_cap=500)
    metrics = metrics or [CLAIM_COUNT]
    context = {"metric": metrics[0], "metrics": metrics, "dimensions": DIMENSIONS, "tables": TABLES}
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
    spec = {"ranking": {"direction": "top", "n": 5}, "dimensions": ["products.line"]}
    _check(f"{ranked} LIMIT 5", **spec)
    with pytest.raises(SqlRejected, match="LIMIT 5"):
        _check(f"{ranked} LIMIT 50", **spec)
    with pytest.raises(SqlRejected, match="OFFSET"):
        _check(f"{ranked} LIMIT 5 OFFSET 5", **spec)
    with pytest.raises(SqlRejected, match="LIMIT 5"):
        _check(f"{ranked} FETCH FIRST 3 ROWS ONLY", "postgres", **spec)


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
    count = "SELECT COUNT(*) AS claim_count FROM claims AS b WHERE "
    _check(f"{count}{WINDOW} AND b.paid_amount > 10000.0", filters=[paid])
    _check(f"{count}{WINDOW} AND 10000 < b.paid_amount", filters=[paid])
    with pytest.raises(SqlRejected, match="paid_amount"):
        _check(f"{count}{WINDOW} AND b.paid_amount >= 10000", filters=[paid])


def test_a_range_is_two_filters_on_one_column_each_matched():
    claims = "SELECT COUNT(*) AS claim_count FROM claims AS b WHERE "
    low = {"dimension": "claims.paid_amount", "op": ">=", "values": [5000]}
    high = {"dimension": "claims.paid_amount", "op": "<=", "values": [25000]}
    _check(f"{claims}{WINDOW} AND b.paid_amount >= 5000 AND b.paid_amount <= 25000", filters=[low, high])
    _check(f"{claims}{WINDOW} AND b.paid_amount <= 25000 AND b.paid_amount >= 5000", filters=[low, high])
    with pytest.raises(SqlRejected, match="Use exactly the spec's values"):
        _check(f"{claims}{WINDOW} AND b.paid_amount >= 5000 AND b.paid_amount <= 30000", filters=[low, high])
    with pytest.raises(SqlRejected, match="missing"):
        _check(f"{claims}{WINDOW} AND b.paid_amount >= 5000", filters=[low, high])


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
    _check(f"SELECT k.product_line AS product_line, COALESCE(m0.value, 0) AS claim_count, m1.value AS total_paid "
           f"FROM (SELECT product_line FROM ({count}) AS u0 UNION SELECT product_line FROM ({paid}) AS u1) AS k "
           f"LEFT JOIN ({count}) AS m0 ON k.product_line IS NOT DISTINCT FROM m0.product_line "
           f"LEFT JOIN ({paid}) AS m1 ON k.product_line IS NOT DISTINCT FROM m1.product_line", read,
           metrics=[CLAIM_COUNT, {**TOTAL_PAID, "default_filters": ""}], dimensions=["products.line"])


def test_a_row_written_into_the_statement_is_refused():
    grouped = ("SELECT t1.line AS product_line, COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON "
               f"b.product_id = t1.product_id WHERE {WINDOW} GROUP BY 1")
    with pytest.raises(SqlRejected, match="writes its rows in"):
        _check(f"{grouped} UNION ALL SELECT 'Europe', 999")


# -- what the statement computes: the metric's expression, the groups, a ranking's order ------------------------

PAID_WINDOW = "b.closed_date >= :window_start AND b.closed_date < :window_end AND b.status = 'closed'"
BY_LINE = "FROM claims AS b JOIN products AS t1 ON b.product_id = t1.product_id"
OPEN_CLAIMS = {**CLAIM_COUNT, "key": "open_claims", "default_filters": "status IN ('open', 'under_review')"}


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("value", [
    "SUM(b.paid_amount)", "sum(paid_amount)", 'SUM("paid_amount")', "SUM((b.paid_amount))",
    "COALESCE(SUM(b.paid_amount), 0)", "CAST(SUM(b.paid_amount) AS DOUBLE)",
])
def test_the_metrics_expression_passes_however_it_is_spelled(read, value):
    _check(f"SELECT {value} AS total_paid FROM claims AS b WHERE {PAID_WINDOW}", read, metrics=[TOTAL_PAID])


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("value", "reason"), [
    ("SUM(b.claimed_amount)", r"total_paid is SUM\(paid_amount\) over claims .* does not compute it"),
    ("AVG(b.paid_amount)", "does not compute it"),
    ("SUM(b.paid_amount) AS paid, SUM(b.claimed_amount)", r"SUM\(b.claimed_amount\) is not how"),
    ("SUM(b.paid_amount) AS paid, COUNT(*)", r"COUNT\(\*\) is not how"),
])
def test_a_metric_computed_otherwise_than_its_definition_is_refused(read, value, reason):
    with pytest.raises(SqlRejected, match=reason):
        _check(f"SELECT {value} AS total_paid FROM claims AS b WHERE {PAID_WINDOW}", read, metrics=[TOTAL_PAID])


def test_a_count_is_a_count_of_what_its_definition_counts():
    _check(f"SELECT COUNT(1) AS claim_count FROM claims AS b WHERE {WINDOW}")
    distinct = {**CLAIM_COUNT, "key": "claimants", "expression": "COUNT(DISTINCT customer_id)"}
    _check(f"SELECT COUNT(DISTINCT b.customer_id) AS claimants FROM claims AS b WHERE {WINDOW}", metrics=[distinct])
    with pytest.raises(SqlRejected, match="does not compute it"):
        _check(f"SELECT COUNT(b.customer_id) AS claimants FROM claims AS b WHERE {WINDOW}", metrics=[distinct])


def test_the_metrics_default_filters_are_required():
    with pytest.raises(SqlRejected, match=r"open_claims counts only the claims rows where status IN"):
        _check(f"SELECT COUNT(*) AS open_claims FROM claims AS b WHERE {WINDOW}", metrics=[OPEN_CLAIMS])
    _check(f"SELECT COUNT(*) AS open_claims FROM claims AS b WHERE {WINDOW} AND b.status IN ('open', 'under_review')",
           metrics=[OPEN_CLAIMS])


def test_the_window_bounds_the_metrics_own_time_column():
    other = "b.filed_date >= :window_start AND b.filed_date < :window_end AND b.status = 'closed'"
    with pytest.raises(SqlRejected, match=r"dated by claims.closed_date"):
        _check(f"SELECT SUM(b.paid_amount) AS total_paid FROM claims AS b WHERE {other}", metrics=[TOTAL_PAID])


def test_a_metric_computed_over_a_cte_of_its_rows_passes():
    _check(f"WITH rows AS (SELECT * FROM claims AS b WHERE {PAID_WINDOW}) SELECT r.name AS region, "
           "SUM(c.paid_amount) AS total_paid FROM rows AS c JOIN regions AS r ON c.region_id = r.region_id "
           "GROUP BY r.name", metrics=[TOTAL_PAID], dimensions=["regions.name"])
    with pytest.raises(SqlRejected, match="does not compute it"):
        _check(f"WITH rows AS (SELECT * FROM claims AS b WHERE {PAID_WINDOW}) SELECT SUM(c.claimed_amount) AS "
               "total_paid FROM rows AS c", metrics=[TOTAL_PAID])


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("group", ["GROUP BY 1", "GROUP BY t1.line", "GROUP BY product_line", "GROUP BY (t1.line)"])
def test_grouping_by_the_specs_dimension_passes_however_it_is_named(read, group):
    _check(f"SELECT t1.line AS product_line, COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} {group}", read,
           dimensions=["products.line"])


def test_group_by_all_is_the_non_aggregate_columns():
    _check(f"SELECT t1.line AS product_line, COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} GROUP BY ALL",
           dimensions=["products.line"])


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("select", "group", "reason"), [
    ("b.status AS product_line", "GROUP BY 1",
     r"GROUP BY b.status is not one of the widget's groups; group by exactly the widget's groups \(product line\)"),
    ("t1.line AS product_line, b.status", "GROUP BY 1, 2", "GROUP BY b.status is not one"),
    ("t1.line AS product_line", "", "grouped by product line; the query that computes claim_count does not"),
    ("t1.product_id AS product_line", "GROUP BY t1.product_id", "GROUP BY t1.product_id is not one"),
])
def test_grouping_by_another_column_or_by_none_is_refused(read, select, group, reason):
    with pytest.raises(SqlRejected, match=reason):
        _check(f"SELECT {select}, COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} {group}", read,
               dimensions=["products.line"])


def test_a_kpi_has_no_groups():
    with pytest.raises(SqlRejected, match="the widget has no groups"):
        _check(f"SELECT COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} GROUP BY t1.line")


def test_rollup_is_refused():
    with pytest.raises(SqlRejected, match="ROLLUP"):
        _check(f"SELECT t1.line AS product_line, COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} "
               "GROUP BY ROLLUP (t1.line)", dimensions=["products.line"])


def test_a_computed_dimension_is_grouped_by_its_expression_as_defined():
    size = "CASE WHEN b.claimed_amount < 1000 THEN 'Small' ELSE 'Large' END"
    _check(f"SELECT {size} AS claim_size, COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW} GROUP BY 1",
           dimensions=["claims.claim_size"])
    changed = size.replace("1000", "5000")
    with pytest.raises(SqlRejected, match="not one of the widget's groups"):
        _check(f"SELECT {changed} AS claim_size, COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW} GROUP BY 1",
               dimensions=["claims.claim_size"])


@pytest.mark.parametrize("read", ["duckdb", "postgres"])
def test_a_series_is_grouped_by_the_period_at_its_grain(read):
    series = "SELECT CAST(DATE_TRUNC('{unit}', b.{column}) AS DATE) AS period, COUNT(*) AS claim_count FROM " \
             f"claims AS b WHERE {WINDOW} GROUP BY 1"
    _check(series.format(unit="month", column="filed_date"), read, grain="month")
    with pytest.raises(SqlRejected, match="not one of the widget's groups"):
        _check(series.format(unit="week", column="filed_date"), read, grain="month")
    with pytest.raises(SqlRejected, match="not one of the widget's groups"):
        _check(series.format(unit="month", column="closed_date"), read, grain="month")
    with pytest.raises(SqlRejected, match=r"grouped by month \(the period\)"):
        _check(f"SELECT COUNT(*) AS claim_count FROM claims AS b WHERE {WINDOW}", read, grain="month")


def test_a_label_several_rows_share_is_grouped_with_its_key():
    adjuster = {"key": "adjusters.full_name", "table": "adjusters", "column": "full_name", "label": "adjuster",
                "key_column": "adjuster_id"}
    join = "FROM claims AS b JOIN adjusters AS t1 ON b.adjuster_id = t1.adjuster_id"
    checked = sql_check(sql=f"SELECT t1.full_name AS adjuster, t1.adjuster_id AS adjuster_key, COUNT(*) AS "
                            f"claim_count {join} WHERE {WINDOW} GROUP BY 1, 2", dialect="duckdb",
                        allowed_tables=["claims", "adjusters"], row_cap=500)
    context = {"metric": CLAIM_COUNT, "metrics": [CLAIM_COUNT], "dimensions": [adjuster], "tables": TABLES}
    spec_check(sql=checked.uncapped, read="duckdb", spec={"dimensions": ["adjusters.full_name"]}, context=context)
    alone = sql_check(sql=f"SELECT t1.full_name AS adjuster, COUNT(*) AS claim_count {join} WHERE {WINDOW} "
                          "GROUP BY 1", dialect="duckdb", allowed_tables=["claims", "adjusters"], row_cap=500)
    with pytest.raises(SqlRejected, match="adjuster's key adjuster_id"):
        spec_check(sql=alone.uncapped, read="duckdb", spec={"dimensions": ["adjusters.full_name"]}, context=context)


RANKED = f"SELECT t1.line AS product_line, COUNT(*) AS claim_count {BY_LINE} WHERE {WINDOW} GROUP BY 1"


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("direction", "order"), [
    ("top", "ORDER BY claim_count DESC"), ("top", "ORDER BY 2 DESC NULLS LAST"), ("top", "ORDER BY COUNT(*) DESC"),
    ("bottom", "ORDER BY claim_count ASC"), ("bottom", "ORDER BY claim_count"),
])
def test_a_ranking_ordered_by_its_metric_its_way_passes(read, direction, order):
    _check(f"{RANKED} {order} LIMIT 5", read, dimensions=["products.line"], ranking={"direction": direction, "n": 5})


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("direction", "order", "reason"), [
    ("top", "ORDER BY claim_count ASC", "puts the highest first: ORDER BY claim_count DESC LIMIT 5"),
    ("top", "ORDER BY claim_count", "puts the highest first"),
    ("bottom", "ORDER BY 2 DESC", "puts the lowest first: ORDER BY claim_count ASC LIMIT 5"),
    ("top", "ORDER BY product_line DESC", "orders by its metric first"),
    ("top", "ORDER BY product_line, claim_count DESC", "orders by its metric first"),
    ("top", "", "orders by its metric first"),
])
def test_a_ranking_ordered_otherwise_is_refused(read, direction, order, reason):
    with pytest.raises(SqlRejected, match=reason):
        _check(f"{RANKED} {order} LIMIT 5", read, dimensions=["products.line"],
               ranking={"direction": direction, "n": 5})


def test_a_ranking_without_its_limit_is_refused():
    with pytest.raises(SqlRejected, match=r"ranks the top 5 by claim_count: end the ranking query with ORDER BY "
                                          r"claim_count DESC LIMIT 5"):
        _check(f"{RANKED} ORDER BY claim_count DESC", dimensions=["products.line"], ranking={"direction": "top", "n": 5})
