"""A ranking's "all others" row, end to end on the demo warehouse: the spec keeps it only where it is exact, the
query adds up every group outside the ranking (on build, on refresh, against an earlier window), and the
widget says why when it has none. Expected figures come from SQL written here, over the warehouse itself."""
from __future__ import annotations

import datetime as dt
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.cache import cache
from django.utils import timezone

from sql_gen.box import pool as box_pool
from sql_gen.box.pool import Pool
from sql_gen.selectors import allowed_tables, catalog
from sql_gen.services.execute import sql_execute
from sql_gen.services.safety import sql_check
from widgets.models import RequestStatus, Widget
from widgets.services import drift, resolve, runner
from widgets.services.companions import companions_derive
from widgets.services.data import source_today
from widgets.services.departures import departures
from widgets.services.interpret import interpretation
from widgets.services.others import OTHERS, OTHERS_EARLIER, VALUES, others_data
from widgets.services.requests import widget_request_create
from widgets.services.resolve import widget_refresh
from widgets.services.result_shape import result_readable
from widgets.services.spec import spec_validate
from widgets.services.spec_changes import same_rows

pytestmark = pytest.mark.django_db

PAID = {"key": "total_paid", "name": "x", "unit": "currency"}
TOP_5 = {"direction": "top", "n": 5, "others": True}


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_catalog(demo_source: Any) -> dict[str, Any]:
    return catalog(source=demo_source)


def _spec(**fields: Any) -> dict[str, Any]:
    return {"kind": "table", "title": "t", "metric": PAID, "dimensions": ["claims.cause"], "filters": [],
            "time_window": {"kind": "rolling", "n": 12, "unit": "month"}, "ranking": TOP_5, **fields}


def _build(dashboard: Any, prompt: str, *, others: bool = True) -> Widget:
    """Build the widget of ``prompt``, then ask its ranking for the "all others" row (as a refinement would)
    and refresh it: the row's statements are derived and run at the refresh."""
    created = widget_request_create(user=dashboard.owner, dashboard=dashboard, prompt=prompt, enqueue=False)
    assert runner.run(request_id=created.id) == RequestStatus.READY
    widget = Widget.objects.get(request_id=created.id)
    assert widget.spec["ranking"], widget.spec
    if others:
        spec = {**widget.spec, "ranking": {**widget.spec["ranking"], "others": True}}
        Widget.objects.filter(id=widget.id).update(spec=spec, companions={})
        widget_refresh(widget_id=widget.id, force=True)
        widget.refresh_from_db()
    return widget


def _by_cause(warehouse: Path, window: dict[str, str], metric: str = "SUM(paid_amount)",
              where: str = "status = 'closed' AND closed_date") -> dict[str, float]:
    """Each cause's figure over the window, by SQL written here."""
    sql = f"SELECT cause, {metric} FROM claims WHERE {where} >= ? AND {where.split(' AND ')[-1]} < ? GROUP BY cause"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(sql, [dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])]).fetchall()
    return {cause: float(value) for cause, value in rows}


# -- the spec keeps the row only where it is exact and has a place ------------------------------------------


@pytest.mark.parametrize(("fields", "why"), [
    ({"metric": {"key": "avg_settlement_days", "name": "x", "unit": "days"}},
     "Average settlement days does not add up over groups"),
    ({"metric": {"key": "distinct_claimants", "name": "x", "unit": "count"}}, "Distinct claimants does not add up"),
    ({"metric": {"key": "loss_ratio", "name": "x", "unit": "percent"}, "dimensions": ["regions.name"],
      "time_window": {"kind": "previous", "unit": "quarter"}}, "Loss ratio does not add up"),
    ({"extra_metrics": [{"key": "avg_settlement_days", "name": "x", "unit": "days"}]}, "Average settlement days"),
    ({"kind": "chart", "chart_type": "line", "grain": "month"}, "not with a series per month"),
    ({"kind": "custom", "visual": "a leaderboard"}, "a custom widget draws only the rows it is given"),
    ({"kind": "chart", "chart_type": "stacked_bar", "dimensions": ["claims.cause", "regions.name"]},
     "a stacked bar chart has no place for it"),
])
def test_a_row_that_would_not_be_exact_or_has_no_place_is_left_out_saying_why(demo_catalog, fields, why):
    spec = spec_validate(payload=_spec(**fields), catalog=demo_catalog).model_dump(mode="json")
    assert spec["ranking"] == {"direction": "top", "n": 5}  # kept, without the row
    assert any(a.startswith("No 'all others' row: ") and why in a for a in spec["assumptions"]), spec["assumptions"]


@pytest.mark.parametrize("fields", [{}, {"kind": "chart", "chart_type": "horizontal_bar"},
                                    {"kind": "chart", "chart_type": "pie"},
                                    {"extra_metrics": [{"key": "claim_count", "name": "x", "unit": "count"}]},
                                    {"dimensions": ["claims.claim_size"]}])
def test_a_row_of_metrics_that_add_up_is_kept(demo_catalog, fields):
    spec = spec_validate(payload=_spec(**fields), catalog=demo_catalog).model_dump(mode="json")
    assert spec["ranking"] == TOP_5 and not spec["assumptions"]


def test_a_ranking_without_the_row_is_stored_as_it_always_was(demo_catalog):
    spec = spec_validate(payload=_spec(ranking={"direction": "top", "n": 5, "others": False}), catalog=demo_catalog)
    assert spec.model_dump(mode="json")["ranking"] == {"direction": "top", "n": 5}
    assert same_rows(_spec(ranking={"direction": "top", "n": 5}), _spec(ranking={"direction": "top", "n": 5, "others": False}))
    assert not same_rows(_spec(ranking={"direction": "top", "n": 5}), _spec())


# -- the row, computed by the query ------------------------------------------------------------------------


def test_the_row_is_every_other_cause_added_up_and_the_rows_and_it_make_the_whole(demo_source, warehouse, dashboard):
    widget = _build(dashboard, "top 5 causes by total paid last 12 months as a table")
    result = widget.result
    by_cause = _by_cause(warehouse, result["window"])
    shown = [row[0] for row in result["rows"]]
    assert shown == sorted(by_cause, key=lambda c: -by_cause[c])[:5]
    others = result["others"]
    assert (others["label"], others["columns"], others["groups"]) == ("All others", ["total_paid"], len(by_cause) - 5)
    assert others["rows"] == [[pytest.approx(sum(v for c, v in by_cause.items() if c not in shown))]]
    # The query's three figures agree: the rows shown and all the others are the whole window.
    assert sum(r[1] for r in result["rows"]) + others["rows"][0][0] == pytest.approx(result["totals"]["rows"][0][0])
    assert set(widget.companions) >= {OTHERS} and OTHERS_EARLIER not in widget.companions
    assert "LIMIT 5" in widget.companions[OTHERS]["sql"].upper() and "others_error" not in result


def test_a_refresh_adds_up_the_others_of_the_new_ranking(demo_source, warehouse, dashboard, settings):
    """The window moves with today: a month whose top 3 causes differ from the month before's."""
    first, second = _months_whose_top_3_differ(warehouse)
    settings.BUILDER_TODAY = (first + timedelta(days=40)).replace(day=2).isoformat()  # last month is ``first``
    widget = _build(dashboard, "top 3 causes by claim count last month as a table")
    for month in (first, second):
        if month is second:
            settings.BUILDER_TODAY = (second + timedelta(days=40)).replace(day=2).isoformat()
            widget_refresh(widget_id=widget.id, force=True)
            widget.refresh_from_db()
        window = widget.result["window"]
        assert window["start"] == month.isoformat()
        counts = _by_cause(warehouse, window, "COUNT(*)", "filed_date")
        shown = [row[0] for row in widget.result["rows"]]
        assert set(shown) == set(sorted(counts, key=lambda c: (-counts[c], c))[:3])
        assert widget.result["others"]["rows"] == [[sum(v for c, v in counts.items() if c not in shown)]]
    assert {row[0] for row in widget.result["rows"]} != set(_top(warehouse, first, 3))


def _top(warehouse: Path, month: dt.date, n: int) -> list[str]:
    end = (month + timedelta(days=32)).replace(day=1)
    counts = _by_cause(warehouse, {"start": month.isoformat(), "end": end.isoformat()}, "COUNT(*)", "filed_date")
    return sorted(counts, key=lambda c: (-counts[c], c))[:n]


def _months_whose_top_3_differ(warehouse: Path) -> tuple[dt.date, dt.date]:
    month = (dt.date.today().replace(day=1) - timedelta(days=300)).replace(day=1)
    while month < dt.date.today().replace(day=1) - timedelta(days=40):
        after = (month + timedelta(days=32)).replace(day=1)
        if set(_top(warehouse, month, 3)) != set(_top(warehouse, after, 3)):
            return month, after
        month = after
    raise AssertionError("the warehouse has no two months whose top 3 causes differ: the case needs one")


def test_a_compared_ranking_has_the_others_earlier_value_and_change(demo_source, warehouse, dashboard):
    widget = _build(dashboard, "top 3 causes by claim count last quarter vs the quarter before as a table")
    result = widget.result
    assert OTHERS_EARLIER in widget.companions
    shown = [row[0] for row in result["rows"]]
    now = _by_cause(warehouse, result["window"], "COUNT(*)", "filed_date")
    before = _by_cause(warehouse, result["compare"]["window"], "COUNT(*)", "filed_date")
    others = result["others"]
    current = sum(v for c, v in now.items() if c not in shown)
    previous = sum(v for c, v in before.items() if c not in shown)  # today's others, then: not the earlier top 3's
    assert others["rows"] == [[current]] and others["compare"]["rows"] == [[previous]]
    assert others["compare"]["window"] == result["compare"]["window"]
    assert others["delta"]["abs"] == current - previous
    assert others["delta"]["pct"] == pytest.approx((current - previous) / previous)


def test_a_ranking_that_shows_every_group_says_there_are_no_others(demo_source, dashboard):
    widget = _build(dashboard, "top 20 regions by claim count last 12 months as a table")
    others, count = widget.result["others"], len(widget.result["rows"])
    assert count < 20 and (others["rows"], others["groups"]) == ([], 0)
    assert others["note"] == f"All {count} regions are shown: there are no others."


def test_a_row_whose_groups_are_not_the_rows_shown_is_left_out_saying_why(demo_source, dashboard, monkeypatch):
    """A statement that ranks otherwise than the row's (here the bottom 5 for the top 5, as a model's statement
    ordering ties otherwise would for a few groups) gives no row rather than a wrong one. The refresh's check
    against the spec (``drift``) would write a statement ranked the wrong way again, so it is left out here: a
    tie ordered otherwise passes it."""
    def as_stored(*, widget: Widget, source: Any, today: Any) -> drift.Current:
        return drift.Current(checked=sql_check(sql=widget.sql, dialect=source.dialect,
                                               allowed_tables=allowed_tables(source=source), row_cap=source.row_cap))

    monkeypatch.setattr(resolve, "widget_statement_current", as_stored)
    widget = _build(dashboard, "top 5 causes by total paid last 12 months as a table")
    Widget.objects.filter(id=widget.id).update(sql=widget.sql.replace("DESC", "ASC"))
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert "others" not in widget.result and widget.result["rows"]
    assert widget.result["others_error"].startswith("The 'all others' row is left out: it could not be matched "
                                                    "to the rows shown")


@pytest.mark.parametrize("moved", [1, 0.01])
def test_rows_cached_at_another_moment_are_not_completed_by_a_row_of_now(demo_source, dashboard, moved):
    """Rows a refresh reused from the cache, taken before the data changed, have the same groups as the row's
    statement sees now but other values: rows plus the row would add up to neither moment's total."""
    widget = _build(dashboard, "top 3 causes by claim count last 12 months as a table")
    if moved != 1:
        widget = _build(dashboard, "top 3 causes by total paid last 12 months as a table")
    assert widget.result["others"]["groups"] > 0
    at = widget.result["columns"].index(widget.spec["metric"]["key"])
    then = [list(row) for row in widget.result["rows"]]
    then[0][at] += moved  # a claim (or a cent) that has moved since the rows were cached
    shown = {**widget.result, "rows": then}
    added = others_data(source=demo_source, companions=widget.companions, shown=shown, run=sql_execute)
    assert "others" not in added
    assert "could not be matched to the rows shown" in added["others_error"]
    assert others_data(source=demo_source, companions=widget.companions, shown=widget.result,
                       run=sql_execute)["others"] == widget.result["others"]


def test_a_row_whose_query_fails_never_fails_the_widget(demo_source, dashboard):
    widget = _build(dashboard, "top 5 causes by total paid last 12 months as a table")
    broken = {**widget.companions, OTHERS: {**widget.companions[OTHERS], "sql": "SELECT 1 AS n FROM secrets"}}
    Widget.objects.filter(id=widget.id).update(companions=broken)
    widget_refresh(widget_id=widget.id, force=True)
    result = Widget.objects.get(id=widget.id).result
    assert result["rows"] and "others" not in result and "secrets" in result["others_error"]


def test_a_widget_stored_without_the_rows_query_gets_it_at_its_next_refresh(demo_source, dashboard):
    widget = _build(dashboard, "top 5 causes by total paid last 12 months as a table", others=False)
    spec = {**widget.spec, "ranking": {**widget.spec["ranking"], "others": True}}
    Widget.objects.filter(id=widget.id).update(spec=spec, result_at=timezone.now() - timedelta(hours=2))
    assert OTHERS not in widget.companions
    widget_refresh(widget_id=widget.id)
    widget.refresh_from_db()
    assert OTHERS in widget.companions and widget.result["others"]["groups"] > 0


# -- read from the request, through the whole pipeline -------------------------------------------------------


def _asked(dashboard: Any, prompt: str) -> Widget:
    created = widget_request_create(user=dashboard.owner, dashboard=dashboard, prompt=prompt, enqueue=False)
    assert runner.run(request_id=created.id) == RequestStatus.READY
    return Widget.objects.get(request_id=created.id)


@pytest.mark.parametrize("shown", ["as a table", "as a bar chart", "as a pie chart"])
def test_a_request_for_the_rest_builds_the_row_with_the_widget(demo_source, warehouse, dashboard, shown):
    widget = _asked(dashboard, f"top 5 causes by total paid last 12 months and all others {shown}")
    assert widget.spec["ranking"] == TOP_5 and widget.spec["not_applied"] == []
    by_cause = _by_cause(warehouse, widget.result["window"])
    shown_causes = [row[0] for row in widget.result["rows"]]
    assert widget.result["others"]["rows"] == [[pytest.approx(sum(v for c, v in by_cause.items()
                                                                  if c not in shown_causes))]]


def test_a_request_for_the_rest_of_an_average_says_it_has_none(demo_source, dashboard):
    widget = _asked(dashboard, "top 5 causes by average settlement days last 12 months, rest grouped")
    assert widget.spec["ranking"] == {"direction": "top", "n": 5}
    assert widget.spec["not_applied"] == ["all others"]
    assert "No 'all others' row: Average settlement days does not add up over groups (only sums and counts do)." \
        in widget.spec["assumptions"]
    assert "others" not in widget.result and "others_error" not in widget.result


def test_the_rest_said_of_no_ranking_is_reported_not_applied(demo_source, dashboard):
    widget = _asked(dashboard, "total paid by cause last 12 months plus the rest")
    assert widget.spec["ranking"] is None
    assert any("rest" in words for words in widget.spec["not_applied"]), widget.spec["not_applied"]


# -- how it is said ----------------------------------------------------------------------------------------


def test_the_reading_says_the_top_n_and_all_others(demo_source, dashboard):
    widget = _build(dashboard, "top 5 causes by total paid last 12 months as a table")
    read = interpretation(spec=widget.spec, result=widget.result)
    assert read["text"].endswith("· top 5 causes and all others")
    assert read["ranking"] == {"direction": "top", "n": 5, "others": True}
    plain = interpretation(spec={**widget.spec, "ranking": {"direction": "top", "n": 5}}, result=widget.result)
    assert plain["text"].endswith("· top 5 causes") and plain["ranking"] == {"direction": "top", "n": 5}


def test_a_row_asked_for_and_left_out_is_reported_not_applied(demo_catalog):
    intent = {"metric_key": "avg_settlement_days", "dimensions": ["claims.cause"], "ranking": TOP_5}
    spec = spec_validate(payload=_spec(metric={"key": "avg_settlement_days", "name": "x", "unit": "days"}),
                         catalog=demo_catalog).model_dump(mode="json")
    dropped, _ = departures(intent=intent, spec=spec, catalog=demo_catalog)
    assert dropped == ["all others"]
    assert departures(intent={**intent, "ranking": {"direction": "top", "n": 5}}, spec=spec, catalog=demo_catalog)[0] == []


def test_a_damaged_stored_row_is_dropped_saying_so():
    result = {"columns": ["cause", "n"], "rows": [["Fire", 1]], "others": {"columns": ["n"], "rows": [[1, 2]]}}
    read, problem = result_readable(result)
    assert problem == "" and read is not None and "others" not in read
    assert read["others_error"] == "The stored 'all others' row could not be read: row 1 has 2 values for 1 columns."
    earlier = {**result, "others": {"columns": ["n"], "rows": [[3]], "groups": "many", "compare": {"rows": 1},
                                    "delta": {"abs": 1}}}
    read, _ = result_readable(earlier)
    assert read is not None and read["others"]["rows"] == [[3]] and read["others"]["groups"] is None
    assert "compare" not in read["others"] and "delta" not in read["others"]
    assert read["others"]["compare_error"].startswith("The stored earlier value could not be read")


def test_companions_are_derived_for_the_row_only_when_asked(demo_source):
    spec = _spec(time_window={"kind": "previous", "unit": "quarter"}, compare={"kind": "previous_period"})
    validated = spec_validate(payload=spec, catalog=catalog(source=demo_source)).model_dump(mode="json")
    derived = companions_derive(spec=validated, source=demo_source, today=source_today(demo_source))
    assert {OTHERS, OTHERS_EARLIER} <= set(derived)
    assert ":compare_start" in derived[OTHERS_EARLIER]["sql"] and ":compare_start" not in derived[OTHERS]["sql"]
    plain = {**validated, "ranking": {"direction": "top", "n": 5}}
    assert not {OTHERS, OTHERS_EARLIER} & set(companions_derive(spec=plain, source=demo_source,
                                                                today=source_today(demo_source)))


# -- the dictionary as it is at each run -------------------------------------------------------------------


def _metric_edited(demo_source: Any, key: str, **fields: Any) -> None:
    from sql_gen.models import MetricDefinition

    metric = MetricDefinition.objects.get(source=demo_source, key=key)
    for name, value in fields.items():
        setattr(metric, name, value)
    metric.full_clean()
    metric.save()


@pytest.mark.parametrize("edit", [{"additive": False},
                                  {"additive": False, "expression": "AVG(paid_amount)"}],
                         ids=["unticked", "made-an-average"])
def test_a_metric_made_non_additive_after_the_build_loses_its_row_saying_why(demo_source, dashboard, edit):
    widget = _build(dashboard, "top 2 causes by total paid last 12 months as a table")
    assert widget.result["others"]["groups"] > 0
    _metric_edited(demo_source, "total_paid", **edit)
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert "others" not in widget.result and widget.result["rows"]
    assert widget.result["others_error"].startswith("No 'all others' row: ")
    assert "does not add up over groups as the dictionary defines it now" in widget.result["others_error"]
    read = interpretation(spec=widget.spec, result=widget.result)
    assert "others" not in read["ranking"] and "all others" not in read["text"]
    assert widget.result["others_error"] in read["assumptions"]
    _metric_edited(demo_source, "total_paid", additive=True, expression="SUM(paid_amount)")
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert "others_error" not in widget.result and widget.result["others"]["groups"] > 0


def test_a_row_query_stored_before_it_returned_the_shown_values_is_written_again(demo_source, dashboard):
    widget = _build(dashboard, "top 3 causes by total paid last 12 months as a table")
    spec = {k: v for k, v in widget.companions[OTHERS]["spec"].items() if k != "others_checks"}
    old_sql = widget.companions[OTHERS]["sql"].replace("s.total_paid AS total_paid", "NULL AS total_paid", 1)
    assert old_sql != widget.companions[OTHERS]["sql"]
    Widget.objects.filter(id=widget.id).update(companions={**widget.companions,
                                                           OTHERS: {"spec": spec, "sql": old_sql}})
    widget_refresh(widget_id=widget.id, force=True)
    widget.refresh_from_db()
    assert widget.companions[OTHERS]["spec"]["others_checks"] == VALUES
    assert widget.result["others"]["groups"] > 0 and "others_error" not in widget.result


def test_claims_with_no_region_are_among_the_others_so_the_rows_and_it_make_the_totals(
        demo_source, warehouse, dashboard, settings, tmp_path, monkeypatch):
    """A claim whose region_id finds no region drops out of the widget's inner join, but the totals count it:
    the row adds it up with the other groups (as the NULL group), so rows plus the row are the whole window."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("UPDATE claims SET region_id = NULL WHERE claim_id % 7 = 0")
        (missing,) = conn.execute("SELECT COUNT(*) FROM claims WHERE region_id IS NULL").fetchone()
    assert missing > 0
    fresh = Pool()
    monkeypatch.setattr(box_pool, "_pool", fresh)
    settings.WAREHOUSE_PATH = copy
    try:
        widget = _build(dashboard, "top 3 regions by claim count last 12 months as a table")
    finally:
        fresh.close()
    result = widget.result
    window = result["window"]
    with duckdb.connect(str(copy), read_only=True) as conn:
        (whole,) = conn.execute("SELECT COUNT(*) FROM claims WHERE filed_date >= ? AND filed_date < ?",
                                [dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])]).fetchone()
        (unmatched,) = conn.execute("SELECT COUNT(*) FROM claims WHERE region_id IS NULL AND filed_date >= ? "
                                    "AND filed_date < ?", [dt.date.fromisoformat(window["start"]),
                                                           dt.date.fromisoformat(window["end"])]).fetchone()
    assert unmatched > 0 and result["totals"]["rows"][0][0] == whole
    assert sum(row[1] for row in result["rows"]) + result["others"]["rows"][0][0] == whole
