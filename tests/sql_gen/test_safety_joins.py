"""The joins of a statement against the dictionary's keys (``spec_check`` through ``join_check``): only the tables
the spec needs, each once, on the key its ``references`` declare, INNER or LEFT; in each supported dialect."""
from __future__ import annotations

import pytest

from sql_gen.services.safety import SqlRejected
from tests.sql_gen.test_safety_spec import DIALECTS, TOTAL_PAID, WINDOW, _check

PAID_WINDOW = WINDOW.replace("filed_date", "closed_date") + " AND (b.status = 'closed')"
BY_REGION = ("SELECT t1.name AS region, SUM(b.paid_amount) AS total_paid FROM claims AS b "
             "JOIN regions AS t1 ON b.region_id = t1.region_id")
SPEC = {"metrics": [TOTAL_PAID], "dimensions": ["regions.name"]}


def _by_region(joins: str, read: str = "duckdb", *, on: str = "b.region_id = t1.region_id") -> None:
    sql = BY_REGION.replace("b.region_id = t1.region_id", on)
    _check(f"{sql}{joins} WHERE {PAID_WINDOW} GROUP BY 1", read, **SPEC)


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize(("joins", "reason"), [
    # attack 10, finding 16: each passed and became a Live, wrong widget
    (" JOIN policies AS p ON b.customer_id = p.customer_id",
     "policies is joined, but the widget's spec uses none of its columns"),
    (" JOIN claims AS c2 ON b.policy_id = c2.policy_id", "claims is read twice in one query"),
    (" JOIN regions AS t2 ON b.region_id = t2.region_id", "regions is joined twice"),
])
def test_a_table_the_spec_does_not_need_or_read_twice_is_refused(read, joins, reason):
    with pytest.raises(SqlRejected, match=reason):
        _by_region(joins, read)


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("on", [
    "b.product_id = t1.region_id",  # another table's ids used as regions (attack 10, finding 16)
    "b.region_id = t1.name",
    "b.region_id = t1.region_id AND b.claim_id = t1.region_id",
])
def test_a_table_joined_on_another_key_than_the_dictionarys_is_refused(read, on):
    with pytest.raises(SqlRejected, match=r"regions is joined to claims ON claims.region_id = regions.region_id|"
                                          r"not a key the dictionary declares"):
        _by_region("", read, on=on)


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("join", ["RIGHT JOIN", "FULL OUTER JOIN", "CROSS JOIN"])
def test_a_join_the_writer_never_uses_is_refused(read, join):
    sql = BY_REGION.replace("JOIN regions AS t1 ON b.region_id = t1.region_id", f"{join} regions AS t1")
    on = "" if join == "CROSS JOIN" else " ON b.region_id = t1.region_id"
    with pytest.raises(SqlRejected, match="is joined with"):
        _check(f"{sql}{on} WHERE {PAID_WINDOW} GROUP BY 1", read, **SPEC)


@pytest.mark.parametrize("read", DIALECTS)
@pytest.mark.parametrize("on", [
    "b.region_id = t1.region_id", "t1.region_id = b.region_id", "(b.region_id = t1.region_id)",
    '"b"."region_id" = "t1"."region_id"', "b.region_id = T1.Region_Id",
])
def test_the_declared_key_passes_however_it_is_spelled(read, on):
    _by_region("", read, on=on)


@pytest.mark.parametrize("read", DIALECTS)
def test_aliases_table_names_left_joins_and_the_tables_in_either_order_pass(read):
    where = f" WHERE {PAID_WINDOW.replace('b.', 'claims.')} GROUP BY 1"
    _check("SELECT regions.name AS region, SUM(claims.paid_amount) AS total_paid FROM claims "
           f"LEFT JOIN regions ON claims.region_id = regions.region_id{where}", read, **SPEC)
    _check("SELECT regions.name AS region, SUM(claims.paid_amount) AS total_paid FROM regions "
           f"INNER JOIN claims ON regions.region_id = claims.region_id{where}", read, **SPEC)


def test_a_join_inside_a_cte_is_checked_and_a_right_one_passes():
    inner = f"{BY_REGION} WHERE {PAID_WINDOW} GROUP BY 1"
    _check(f"WITH s AS ({inner}) SELECT s.region, s.total_paid FROM s", **SPEC)
    wrong = inner.replace("b.region_id = t1.region_id", "b.product_id = t1.region_id")
    with pytest.raises(SqlRejected, match="the key the dictionary declares"):
        _check(f"WITH s AS ({wrong}) SELECT s.region, s.total_paid FROM s", **SPEC)


def test_a_filter_reads_its_table_through_the_declared_key():
    auto = {"dimension": "products.line", "op": "in", "values": ["Auto"]}
    sql = ("SELECT COUNT(*) AS claim_count FROM claims AS b JOIN products AS t1 ON {on} WHERE "
           f"{WINDOW} AND t1.line IN ('Auto')")
    _check(sql.format(on="b.product_id = t1.product_id"), filters=[auto])
    with pytest.raises(SqlRejected, match="ON claims.product_id = products.product_id"):
        _check(sql.format(on="b.region_id = t1.product_id"), filters=[auto])


@pytest.mark.parametrize("lookup", [
    "(SELECT p.customer_id FROM policies AS p) AS p",
    "pol AS p",
])
def test_a_table_in_a_subquery_or_cte_joined_to_the_metrics_rows_is_refused(lookup):
    sql = (f"SELECT t1.name AS region, SUM(b.paid_amount) AS total_paid FROM claims AS b JOIN regions AS t1 ON "
           f"b.region_id = t1.region_id JOIN {lookup} ON b.customer_id = p.customer_id WHERE {PAID_WINDOW} GROUP BY 1")
    with pytest.raises(SqlRejected, match="reads none of the metric's tables"):
        _check(f"WITH pol AS (SELECT customer_id FROM policies) {sql}", **SPEC)


def test_a_subquery_of_the_metrics_own_rows_may_be_joined():
    ranked = f"SELECT DISTINCT b.region_id FROM claims AS b WHERE {PAID_WINDOW}"
    _check(f"WITH r AS ({ranked}) {BY_REGION} JOIN r ON b.region_id = r.region_id WHERE {PAID_WINDOW} GROUP BY 1",
           **SPEC)
