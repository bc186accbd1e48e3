"""A widget's data for one run: bound windows, the comparison re-bound, series completed, partial marked."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sql_gen.models import DataSource
from sql_gen.services.execute import QueryResult
from widgets.services.data import _additivity, spec_window, widget_data
from widgets.services.interpret import interpretation

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 18)


class Recorder:
    """A stand-in for the query box: answers with rows per bound window and records every binding."""

    def __init__(self, rows_for: dict[str | None, list[list[Any]]], columns: list[str], truncated: bool = False):
        self.rows_for, self.columns, self.truncated = rows_for, columns, truncated
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *, source: DataSource, sql: str, params: dict[str, Any], deadline_s: float | None) -> QueryResult:
        self.calls.append(params)
        start = params["window_start"].isoformat() if params["window_start"] else None
        return QueryResult(columns=self.columns, rows=self.rows_for.get(start, []), truncated=self.truncated)


def _spec(**fields: Any) -> dict[str, Any]:
    return {"kind": "chart", "title": "t", "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
            "dimensions": [], "filters": [], "time_window": {"kind": "rolling", "n": 3, "unit": "month"},
            "grain": "month", "chart_type": "line", **fields}


@pytest.fixture
def source(demo_source: DataSource) -> DataSource:
    return demo_source


def test_empty_buckets_of_a_count_are_zero_and_the_current_one_is_partial(source):
    run = Recorder({"2026-09-01": [["2026-09-01", 5], ["2026-11-01", 2]]}, ["period", "claim_count"])
    result = widget_data(source=source, spec=_spec(), sql="SELECT 1", today=TODAY, run=run)
    assert run.calls == [{"window_start": dt.date(2026, 9, 1), "window_end": dt.date(2026, 11, 19)}]
    assert result["rows"] == [["2026-09-01", 5], ["2026-10-01", 0], ["2026-11-01", 2]]
    assert result["filled"] == 1
    assert result["partial_last"] is True
    assert result["window"] == {"start": "2026-09-01", "end": "2026-11-19"}


def test_empty_buckets_of_an_average_are_gaps_not_zeros(source):
    spec = _spec(metric={"key": "avg_settlement_days", "name": "Average settlement days", "unit": "days"})
    run = Recorder({"2026-09-01": [["2026-09-01", 12.5]]}, ["period", "avg_settlement_days"])
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert result["rows"] == [["2026-09-01", 12.5], ["2026-10-01", None], ["2026-11-01", None]]


def test_a_truncated_series_is_never_filled(source):
    run = Recorder({"2026-09-01": [["2026-09-01", 5]]}, ["period", "claim_count"], truncated=True)
    result = widget_data(source=source, spec=_spec(), sql="SELECT 1", today=TODAY, run=run)
    assert result["rows"] == [["2026-09-01", 5]]
    assert result["filled"] == 0 and "row cap" in result["fill_note"]


def test_each_series_of_a_split_chart_is_completed(source):
    spec = _spec(dimensions=["regions.name"])
    rows = [["2026-09-01", "West", 1], ["2026-10-01", "East", 2]]
    run = Recorder({"2026-09-01": rows}, ["period", "region", "claim_count"])
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert len(result["rows"]) == 6
    assert ["2026-11-01", "West", 0] in result["rows"] and ["2026-09-01", "East", 0] in result["rows"]


def test_a_series_longer_than_the_row_cap_is_not_filled(source):
    source.row_cap = 2
    run = Recorder({"2026-09-01": [["2026-09-01", 5]]}, ["period", "claim_count"])
    result = widget_data(source=source, spec=_spec(), sql="SELECT 1", today=TODAY, run=run)
    assert result["rows"] == [["2026-09-01", 5]] and "row cap" in result["fill_note"]


def test_a_comparison_runs_the_same_statement_bound_to_the_earlier_window(source):
    spec = _spec(kind="kpi", grain=None, chart_type=None, time_window={"kind": "previous", "unit": "month"},
                 compare={"kind": "previous_year"})
    run = Recorder({"2026-10-01": [[10]], "2025-10-01": [[8]]}, ["claim_count"])
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert [c["window_start"] for c in run.calls] == [dt.date(2026, 10, 1), dt.date(2025, 10, 1)]
    assert result["rows"] == [[10]] and result["compare"]["rows"] == [[8]]
    assert result["compare"]["window"] == {"start": "2025-10-01", "end": "2025-11-01"}
    read = interpretation(spec=spec, result=result)
    assert read["window"] == {"start": "2026-10-01", "end": "2026-11-01"}
    assert read["compare"] == {"start": "2025-10-01", "end": "2025-11-01"}
    assert "1–31 Oct 2026 vs 1–31 Oct 2025" in read["text"]
    assert result["deltas"] == [{"group": [], "current": 10, "previous": 8, "abs": 2, "pct": 0.25}]


def test_a_compared_breakdown_carries_each_groups_change(source):
    spec = _spec(grain=None, dimensions=["regions.name"], time_window={"kind": "previous", "unit": "month"},
                 compare={"kind": "previous_period"})
    run = Recorder({"2026-10-01": [["West", 10], ["East", 3]], "2026-09-01": [["East", 6]]},
                   ["region", "claim_count"])
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert result["deltas"] == [
        {"group": ["West"], "current": 10, "previous": None, "abs": None, "pct": None},
        {"group": ["East"], "current": 3, "previous": 6, "abs": -3, "pct": -0.5},
    ]


class BySql(Recorder):
    """A query box that answers per statement and bound window: ``rows_for[(sql, window_start)]``."""

    def __call__(self, *, source: DataSource, sql: str, params: dict[str, Any], deadline_s: float | None) -> QueryResult:
        self.calls.append({**params, "sql": sql})
        start = params["window_start"].isoformat() if params["window_start"] else None
        return QueryResult(columns=self.columns, rows=self.rows_for.get((sql, start), []), truncated=False)


def test_a_compared_ranking_reads_each_ranked_groups_earlier_value_not_the_earlier_top_n(source):
    spec = _spec(grain=None, dimensions=["regions.name"], time_window={"kind": "previous", "unit": "month"},
                 compare={"kind": "previous_period"}, ranking={"direction": "top", "n": 2})
    run = BySql({("RANKED", "2026-10-01"): [["West", 10], ["East", 3]],
                 ("RANKED", "2026-09-01"): [["North", 9], ["West", 4]],  # the earlier month's own top 2
                 ("EVERY", "2026-09-01"): [["North", 9], ["West", 4], ["East", 2], ["South", 1]]},
                ["region", "claim_count"])
    result = widget_data(source=source, spec=spec, sql="RANKED", today=TODAY, run=run, compare_sql="EVERY")
    assert [(c["sql"], c["window_start"]) for c in run.calls] == [("RANKED", dt.date(2026, 10, 1)),
                                                                  ("EVERY", dt.date(2026, 9, 1))]
    assert result["rows"] == [["West", 10], ["East", 3]]
    assert result["compare"]["rows"] == [["West", 4], ["East", 2]]  # the groups ranked now, not North
    assert [(d["group"], d["previous"], d["abs"]) for d in result["deltas"]] == [(["West"], 4, 6), (["East"], 2, 1)]
    without = widget_data(source=source, spec=spec, sql="RANKED", today=TODAY, run=run)
    assert [d["previous"] for d in without["deltas"]] == [4, None]  # what a second ranked run alone would say


def test_all_time_binds_open_bounds(source):
    run = Recorder({None: [[3]]}, ["claim_count"])
    spec = _spec(kind="kpi", grain=None, chart_type=None, time_window={"kind": "all"})
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert run.calls == [{"window_start": None, "window_end": None}]
    assert interpretation(spec=spec, result=result)["window"] == {"start": None, "end": None}


def test_the_window_moves_with_today():
    spec = _spec(grain=None, time_window={"kind": "previous", "unit": "month"})
    assert spec_window(spec, today=dt.date(2026, 11, 18)).window.start == dt.date(2026, 10, 1)
    assert spec_window(spec, today=dt.date(2027, 1, 2)).window.start == dt.date(2026, 12, 1)


def test_additivity_comes_from_the_definition(source):
    spec = _spec(extra_metrics=[{"key": k} for k in ("avg_settlement_days", "distinct_claimants", "loss_ratio")])
    assert _additivity(source, spec) == {"claim_count": True, "avg_settlement_days": False,
                                         "distinct_claimants": False, "loss_ratio": False}


@pytest.mark.parametrize("fields", [
    {"kind": "chart", "grain": None, "dimensions": ["adjusters.name"], "chart_type": "bar",
     "time_window": {"kind": "current", "unit": "year"}, "ranking": {"direction": "top", "n": 5}},
    {"kind": "chart", "grain": None, "dimensions": ["products.line"], "chart_type": "bar",
     "time_window": {"kind": "current", "unit": "year"}, "compare": {"kind": "previous_period"}},
    {"kind": "kpi", "grain": None, "chart_type": None, "time_window": {"kind": "to_date", "unit": "month"}},
])
def test_a_result_with_no_time_axis_is_never_partial(source, fields):
    run = Recorder({}, ["claim_count"])
    result = widget_data(source=source, spec=_spec(**fields), sql="SELECT 1", today=TODAY, run=run)
    assert result["partial_last"] is False
    assert interpretation(spec=_spec(**fields), result=result)["partial_last"] is False


def test_a_day_series_marks_today_as_partial(source):
    spec = _spec(grain="day", time_window={"kind": "rolling", "n": 7, "unit": "day"})
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=Recorder({}, ["period", "claim_count"]))
    assert result["partial_last"] is True
    yesterday = _spec(grain="day", time_window={"kind": "previous", "unit": "week"})
    result = widget_data(source=source, spec=yesterday, sql="SELECT 1", today=TODAY,
                         run=Recorder({}, ["period", "claim_count"]))
    assert result["partial_last"] is False


def test_no_bucket_is_filled_before_the_metrics_data_begins(source):
    # The window reaches back to December 2024; the warehouse's claims begin on 1 Jan 2025.
    spec = _spec(time_window={"kind": "rolling", "n": 3, "unit": "month"})
    run = Recorder({"2024-12-01": [["2025-02-01", 4]]}, ["period", "claim_count"])
    asked: list[list[str]] = []

    def starts_of(*, source, keys, deadline_s):
        asked.append(keys)
        return {"claim_count": dt.date(2025, 1, 1)}

    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=dt.date(2025, 2, 10), run=run,
                         starts_of=starts_of)
    assert result["rows"] == [["2025-01-01", 0], ["2025-02-01", 4]]  # no zero for December 2024
    assert result["fill_note"] == "No data before 1 Jan 2025."
    assert asked == [["claim_count"]]


def test_a_metric_whose_data_begins_later_is_a_gap_before_then_not_zero(source):
    spec = _spec(extra_metrics=[{"key": "total_paid", "name": "Total paid", "unit": "currency"}])
    run = Recorder({"2026-09-01": [["2026-11-01", 3, 100.0]]}, ["period", "claim_count", "total_paid"])
    starts = {"claim_count": dt.date(2026, 9, 1), "total_paid": dt.date(2026, 10, 15)}
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run,
                         starts_of=lambda **_: starts)
    assert result["rows"] == [["2026-09-01", 0, None], ["2026-10-01", 0, 0], ["2026-11-01", 3, 100.0]]
    assert result["fill_note"] == ""  # no bucket was left out


def test_the_start_is_not_asked_when_the_rows_begin_with_the_window(source):
    run = Recorder({"2026-09-01": [["2026-09-01", 5]]}, ["period", "claim_count"])

    def starts_of(**_):
        raise AssertionError("not needed")

    result = widget_data(source=source, spec=_spec(), sql="SELECT 1", today=TODAY, run=run, starts_of=starts_of)
    assert result["filled"] == 2 and result["fill_note"] == ""


def test_each_metrics_data_start_is_the_first_date_of_its_time_column(source, warehouse):
    import duckdb

    from widgets.services.data import metric_data_starts

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        filed, closed = conn.execute("SELECT MIN(filed_date), MIN(closed_date) FROM claims").fetchone()
    starts = metric_data_starts(source=source, keys=["claim_count", "total_paid", "loss_ratio"])
    assert starts["claim_count"] == filed and starts["total_paid"] == closed
    assert starts["loss_ratio"] is not None  # a ratio begins with the later of its parts


@pytest.mark.parametrize("stored", [{"data_grain": "month"}, {}])  # filled by the spec step, or a spec from before it
def test_a_metric_kept_per_month_binds_whole_months(source, stored):
    spec = {**_spec(kind="kpi", grain=None, chart_type=None, time_window={"kind": "rolling", "n": 30, "unit": "day"},
                    metric={"key": "loss_ratio", "name": "Loss ratio", "unit": "percent"}), **stored}
    run = Recorder({"2026-10-01": [[0.8]]}, ["loss_ratio"])
    result = widget_data(source=source, spec=spec, sql="SELECT 1", today=TODAY, run=run)
    assert run.calls[0]["window_start"] == dt.date(2026, 10, 1)  # not 20 Oct: October's premium is whole
    assert result["window"]["start"] == "2026-10-01" and result["rows"] == [[0.8]]
    plain = widget_data(source=source, spec={**spec, "metric": {"key": "claim_count", "name": "Claim count",
                                                               "unit": "count"}, "data_grain": None},
                        sql="SELECT 1", today=TODAY, run=run)
    assert plain["window"]["start"] == "2026-10-20"  # a metric kept by the day keeps its days
