"""Refining a widget by conversation: each kind of follow-up as a change to the current spec (offline), never
asking what the spec says, applied as a new version of the same widget; "undo that"; the API and live mode."""
from __future__ import annotations

from typing import Any

import pytest

from backend.llm.models import LLMCall
from backend.llm.types import OfflineQuery
from sql_gen.selectors import catalog as build_catalog
from widgets.models import RequestStatus, Widget, WidgetRequest
from widgets.services import refine_offline, runner
from widgets.services.refine import conversation_turns, widget_refine
from widgets.services.requests import widget_request_answer, widget_request_create
from widgets.services.spec import spec_validate
from widgets.services.spec_patch import SpecChange, spec_apply

pytestmark = pytest.mark.django_db

WINDOW_90 = {"kind": "rolling", "n": 90, "unit": "day"}


@pytest.fixture
def catalog(demo_source) -> dict[str, Any]:
    return build_catalog(source=demo_source)


def _spec(catalog: dict[str, Any], **fields: Any) -> dict[str, Any]:
    base = {"kind": "chart", "title": "Claims by region", "chart_type": "bar", "dimensions": ["regions.name"],
            "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"}, "time_window": WINDOW_90}
    return spec_validate(payload={**base, **fields}, catalog=catalog).model_dump(mode="json")


def _kpi(catalog: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return _spec(catalog, kind="kpi", title="Total paid", chart_type=None, dimensions=[],
                 metric={"key": "total_paid", "name": "Total paid", "unit": "currency"}, **fields)


def _read(catalog: dict[str, Any], spec: dict[str, Any], words: str, **prompt: Any) -> dict[str, Any]:
    return refine_offline.answer(OfflineQuery(context=catalog, corrections=[], prompt={
        "spec": spec, "request": words, "answers": [], "conversation": [], "today": "2026-12-02", **prompt}))


def _refined(catalog: dict[str, Any], spec: dict[str, Any], words: str) -> dict[str, Any]:
    change = SpecChange.model_validate(_read(catalog, spec, words))
    assert not change.questions and not change.missing, change
    return spec_apply(spec=spec, change=change, catalog=catalog)


# -- each kind of follow-up, offline --------------------------------------------------------------------


@pytest.mark.parametrize(("words", "kind", "chart"), [
    ("make it a line chart", "chart", "line"), ("as a pie chart", "chart", "pie"),
    ("show it as a table", "table", None), ("horizontal bars please", "chart", "horizontal_bar"),
])
def test_the_chart_kind_changes_and_nothing_else(catalog, words, kind, chart):
    before = _spec(catalog)
    after = _refined(catalog, before, words)
    assert (after["kind"], after["chart_type"]) == (kind, chart)
    assert {k: after[k] for k in ("metric", "dimensions", "filters", "time_window")} == \
        {k: before[k] for k in ("metric", "dimensions", "filters", "time_window")}


def test_the_grain_changes(catalog):
    assert _refined(catalog, _spec(catalog, dimensions=[], grain="month", chart_type="line"),
                    "weekly instead")["grain"] == "week"


def test_a_kpi_by_month_becomes_a_line_chart(catalog):
    after = _refined(catalog, _kpi(catalog), "monthly")
    assert (after["kind"], after["chart_type"], after["grain"], after["dimensions"]) == ("chart", "line", "month", [])


def test_the_window_changes_and_last_12_is_no_ranking(catalog):
    after = _refined(catalog, _spec(catalog), "over the last 12 months")
    assert after["time_window"] == {"kind": "rolling", "n": 12, "unit": "month"} and after["ranking"] is None


def test_a_new_window_drops_the_note_that_no_period_was_given(catalog):
    spec = _spec(catalog, assumptions=["No period was given: the last 30 days.", "Claims counted by filing date."])
    after = _refined(catalog, spec, "last quarter instead")
    assert after["time_window"] == {"kind": "previous", "unit": "quarter"}
    assert after["assumptions"] == ["Claims counted by filing date."]
    assert _refined(catalog, spec, "as a pie chart")["assumptions"] == spec["assumptions"]  # no window said


@pytest.mark.parametrize(("words", "compare"), [
    ("compare with last year", {"kind": "previous_year"}), ("vs the previous period", {"kind": "previous_period"}),
])
def test_a_comparison_is_added(catalog, words, compare):
    assert _refined(catalog, _kpi(catalog), words)["compare"] == compare


def test_a_comparison_is_removed(catalog):
    assert _refined(catalog, _kpi(catalog, compare={"kind": "previous_year"}), "no comparison")["compare"] is None


def test_only_motor_claims_is_a_filter_on_the_product_line(catalog):
    after = _refined(catalog, _spec(catalog), "only motor claims")
    assert after["filters"] == [{"dimension": "products.line", "op": "in", "values": ["Auto"]}]


def test_without_denied_claims_is_a_negated_filter(catalog):
    after = _refined(catalog, _spec(catalog), "without denied claims")
    assert after["filters"] == [{"dimension": "claims.status", "op": "not_in", "values": ["denied"]}]


def test_a_filter_replaces_the_one_on_the_same_dimension_in_place(catalog):
    before = _spec(catalog, filters=[{"dimension": "products.line", "op": "in", "values": ["Home"]},
                                     {"dimension": "claims.status", "op": "in", "values": ["closed"]}])
    after = _refined(catalog, before, "only motor claims")
    assert [f["values"] for f in after["filters"]] == [["Auto"], ["closed"]]


@pytest.mark.parametrize("words", ["remove the status filter", "all statuses"])
def test_a_filter_is_removed(catalog, words):
    before = _spec(catalog, filters=[{"dimension": "claims.status", "op": "not_in", "values": ["denied"]}])
    assert _refined(catalog, before, words)["filters"] == []


@pytest.mark.parametrize(("words", "ranking"), [("top 5", {"direction": "top", "n": 5}),
                                                 ("just the bottom 3", {"direction": "bottom", "n": 3})])
def test_top_or_bottom_n(catalog, words, ranking):
    assert _refined(catalog, _spec(catalog), words)["ranking"] == ranking


@pytest.mark.parametrize(("words", "sort"), [
    ("sort by claim count, lowest first", {"by": "claim_count", "direction": "asc"}),
    ("smallest first", {"by": "claim_count", "direction": "asc"}),
    ("alphabetical", {"by": "regions.name", "direction": "asc"}),  # by the breakdown the widget has
    ("z to a", {"by": "regions.name", "direction": "desc"}),
])
def test_a_sort_word_orders_the_rows_and_keeps_every_one(catalog, words, sort):
    after = _refined(catalog, _spec(catalog), words)
    assert after["sort"] == sort and after["ranking"] is None


@pytest.mark.parametrize(("words", "compare"), [("vs last year", "previous_year"),
                                                 ("compare to the previous period", "previous_period")])
def test_a_comparison_alone_compares_the_widgets_own_window(catalog, words, compare):
    before = _spec(catalog, time_window={"kind": "previous", "unit": "month"})
    after = _refined(catalog, before, words)
    assert after["time_window"] == {"kind": "previous", "unit": "month"} and after["compare"]["kind"] == compare


@pytest.mark.parametrize("words", ["remove the motor filter", "drop the auto filter"])
def test_a_filter_named_by_its_value_is_removed(catalog, words):
    before = _spec(catalog, filters=[{"dimension": "products.line", "op": "in", "values": ["Auto"]}])
    assert _refined(catalog, before, words)["filters"] == []


def test_removing_a_filter_the_widget_does_not_have_never_adds_it(catalog):
    assert _read(catalog, _spec(catalog), "remove the west filter") == {}


def test_same_but_another_window_changes_the_window_only(catalog):
    change = _read(catalog, _spec(catalog), "same but last quarter")
    assert change == {"time_window": {"kind": "previous", "unit": "quarter"}}


def test_a_metric_is_added_or_swapped(catalog):
    added = _refined(catalog, _spec(catalog), "add total paid")
    assert [m["key"] for m in [added["metric"], *added["extra_metrics"]]] == ["claim_count", "total_paid"]
    swapped = _refined(catalog, added, "show total paid instead")
    assert [m["key"] for m in [swapped["metric"], *swapped["extra_metrics"]]] == ["total_paid"]


def test_split_by_region_adds_a_dimension_and_a_kpi_becomes_a_chart(catalog):
    after = _refined(catalog, _kpi(catalog), "split by region")
    assert (after["kind"], after["dimensions"], after["chart_type"]) == ("chart", ["regions.name"], "bar")
    both = _refined(catalog, _spec(catalog), "split by channel")
    assert both["dimensions"] == ["regions.name", "channels.name"]


def test_by_channel_instead_swaps_the_dimension(catalog):
    assert _refined(catalog, _spec(catalog), "by channel instead")["dimensions"] == ["channels.name"]


def test_a_rename_changes_the_title_only(catalog):
    before = _spec(catalog)
    after = _refined(catalog, before, "rename it to “Claims where it matters”")
    assert after["title"] == "Claims where it matters"
    assert {**after, "title": before["title"]} == before


def test_a_title_the_analyst_never_changed_follows_the_spec(catalog):
    from widgets.services.spec_patch import auto_title

    monthly = _spec(catalog, dimensions=[], grain="month", chart_type="line")
    monthly["title"] = auto_title(monthly, catalog)
    assert "per month" in monthly["title"]
    assert "per week" in _refined(catalog, monthly, "weekly")["title"]
    custom = _refined(catalog, _spec(catalog, title="My own"), "top 5")
    assert custom["title"] == "My own"


@pytest.mark.parametrize("words", ["undo that", "Undo", "go back", "revert that please"])
def test_undo_is_read_as_undo(catalog, words):
    assert _read(catalog, _spec(catalog), words) == {"undo": True}


@pytest.mark.parametrize("words", ["weekly", "as a table", "only motor claims", "top 5", "last 90 days",
                                   "split by channel", "make it a line chart"])
def test_a_follow_up_never_asks_for_the_measure_or_the_window(catalog, words):
    change = _read(catalog, _kpi(catalog), words)
    assert not change.get("questions") and not change.get("missing"), change


def test_an_ambiguous_value_is_placed_by_the_dimension_the_spec_uses(catalog):
    asked = _read(catalog, _spec(catalog), "only Auto")
    assert [q["id"] for q in asked["questions"]] == ["value_0"]  # product line or adjuster team?
    uses_lines = _spec(catalog, filters=[{"dimension": "products.line", "op": "in", "values": ["Home"]}])
    assert _refined(catalog, uses_lines, "only Auto")["filters"] == [
        {"dimension": "products.line", "op": "in", "values": ["Auto"]}]


def test_a_value_the_data_lacks_is_refused(catalog):
    change = _read(catalog, _spec(catalog), "only texas")
    assert change["missing"][0]["term"] == "texas"


def test_a_change_that_cannot_be_drawn_says_why(catalog):
    from backend.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        spec_apply(spec=_spec(catalog, grain="week"), change=SpecChange(add_dimensions=["channels.name"]),
                   catalog=catalog)
    assert "at most two groupings" in caught.value.message and "model" not in caught.value.message


# -- through the pipeline: a new version of the same widget ---------------------------------------------


def _build(user, dashboard, prompt: str) -> Widget:
    request = widget_request_create(user=user, dashboard=dashboard, prompt=prompt, enqueue=False)
    assert runner.run(request_id=request.id) == RequestStatus.READY
    request.refresh_from_db()
    return request.widget


def _refine(user, widget: Widget, words: str) -> WidgetRequest:
    request = widget_refine(user=user, widget=widget, prompt=words, enqueue=False)
    runner.run(request_id=request.id)
    request.refresh_from_db()
    widget.refresh_from_db()
    return request


@pytest.fixture
def bars(demo_source, analyst, dashboard) -> Widget:
    return _build(analyst, dashboard, "claim count by region over the last 90 days")


def test_a_refinement_is_a_new_version_of_the_same_widget_with_its_data(analyst, dashboard, bars):
    rows_before = bars.result["rows"]
    request = _refine(analyst, bars, "only motor claims")
    assert request.status == RequestStatus.READY and request.widget_id == bars.id and request.is_refinement
    assert Widget.objects.filter(dashboard=dashboard).count() == 1
    assert (bars.version, bars.spec["filters"][0]["values"]) == (2, ["Auto"])
    latest = bars.versions.first()
    assert (latest.origin, latest.widget_request_id, latest.created_by) == ("refine", request.id, analyst)
    assert "Filter added: Auto" in latest.change
    assert bars.result["rows"] != rows_before and bars.sql != latest.widget.versions.last().sql


def test_a_drawing_change_runs_only_the_clarifier(analyst, bars):
    sql, result = bars.sql, bars.result
    request = _refine(analyst, bars, "make it a line chart")
    assert request.status == RequestStatus.READY
    assert [s.name for s in request.steps.all()] == ["clarify"]
    assert list(LLMCall.objects.filter(widget_request_id=request.id).values_list("step", "tier")) == [("clarify", "fast")]
    assert (bars.spec["chart_type"], bars.sql, bars.result) == ("line", sql, result)


def test_undo_that_restores_the_version_before(analyst, bars):
    first = bars.spec
    _refine(analyst, bars, "weekly")
    assert bars.spec["grain"] == "week"
    undone = _refine(analyst, bars, "undo that")
    assert undone.status == RequestStatus.READY
    assert bars.spec == first and bars.version == 3
    latest = bars.versions.first()
    assert (latest.origin, latest.restored_from, latest.undoes) == ("restore", 1, 2)
    assert bars.result["rows"] and "period" not in bars.result["columns"]


def test_undo_that_of_a_window_change_shows_the_earlier_windows_data(analyst, bars):
    """One statement serves both windows (the bounds are bound at each run): undoing the window change must
    fetch the earlier window's rows again, never keep the later window's under the earlier title."""
    first_rows, first_window = bars.result["rows"], bars.result["window"]
    _refine(analyst, bars, "same but last quarter")
    assert bars.result["window"] != first_window
    undone = _refine(analyst, bars, "undo that")
    assert undone.status == RequestStatus.READY and bars.spec["time_window"] == WINDOW_90
    assert bars.result["window"] == first_window and bars.result["rows"] == first_rows


def test_undo_that_at_the_first_version_fails_and_leaves_the_widget(analyst, bars):
    request = _refine(analyst, bars, "undo that")
    assert (request.status, request.error_code) == (RequestStatus.FAILED, "nothing_to_undo")
    assert bars.version == 1


def test_a_top_n_past_the_cap_fails_clearly_and_is_never_read_as_top_1(analyst, bars):
    """"top 1000000000" is that number, which no ranking can show: the follow-up fails saying so, and the
    widget keeps its version, rather than quietly becoming a top 1."""
    refined = _refine(analyst, bars, "top 1000000000")
    assert refined.status == RequestStatus.FAILED and "100" in refined.error_message, refined.error_message
    bars.refresh_from_db()
    assert (bars.version, bars.spec.get("ranking")) == (1, None)


def test_what_a_follow_up_asks_and_the_change_does_not_apply_is_said(analyst, bars):
    """The part of a follow-up no change makes ("colour it blue", "DROP TABLE users") is never dropped in
    silence: the widget and its version say it was not applied, beside what was."""
    request = _refine(analyst, bars, "make it a table and DROP TABLE users")
    assert request.status == RequestStatus.READY and bars.kind == "table"
    assert bars.spec["not_applied"] == ["users"]
    assert "not applied: “users”" in bars.versions.first().change
    _refine(analyst, bars, "weekly, and colour it blue")
    assert bars.spec["grain"] == "week" and bars.spec["not_applied"] == ["colour it blue", "users"]
    _refine(analyst, bars, "same but last quarter and colour it red")
    assert bars.spec["time_window"] == {"kind": "previous", "unit": "quarter"}
    assert "colour it red" in bars.spec["not_applied"]


@pytest.mark.parametrize("words", ["remove the status filter", "drop the status filter", "no comparison",
                                   "not split", "by channel instead", "call it Motor paid", "show all statuses"])
def test_the_words_of_a_change_are_not_reported_as_unapplied(catalog, words):
    """A follow-up's verbs and what a removal names (in the spec before it) are how it says the change."""
    import datetime as dt

    from widgets.services.applied import not_applied

    before = _spec(catalog, filters=[{"dimension": "claims.status", "op": "in", "values": ["closed"]}],
                   compare={"kind": "previous_period"})
    after = _refined(catalog, before, words)
    assert not_applied(words=words, spec=after, catalog=catalog, today=dt.date(2026, 12, 2), before=before) == []


def test_a_follow_up_the_widget_already_shows_fails_at_once_and_offers_no_retry(analyst, bars):
    """Asking again, or a dearer tier, would read "weekly" the same way: one call, no escalation, and the
    request says what it is without a "Try again" that could only fail again."""
    from widgets.serializers import request_out

    _refine(analyst, bars, "weekly")
    again = _refine(analyst, bars, "weekly please")
    assert (again.status, again.error_code) == (RequestStatus.FAILED, "not_refinable")
    assert "already shows" in again.error_message
    calls = list(LLMCall.objects.filter(widget_request_id=again.id).values_list("tier", "outcome"))
    assert calls == [("fast", "validation_failed")], calls
    assert request_out(again)["can_retry"] is False and bars.version == 2


def test_a_refinement_that_fails_leaves_the_widget_as_it_was(analyst, bars):
    spec = bars.spec
    request = _refine(analyst, bars, "blah blah")
    assert request.status == RequestStatus.FAILED and request.error_code == "not_refinable"
    assert (bars.spec, bars.version) == (spec, 1) and Widget.objects.count() == 1


def test_a_question_is_answered_and_the_conversation_is_kept(analyst, bars):
    asked = _refine(analyst, bars, "only Auto")
    assert asked.status == RequestStatus.NEEDS_CLARIFICATION
    options = asked.questions[0]["options"]
    widget_request_answer(user=analyst, request=asked, answers={"value_0": next(o for o in options if "product" in o)},
                          enqueue=False)
    assert runner.run(request_id=asked.id) == RequestStatus.READY
    bars.refresh_from_db()
    assert bars.spec["filters"] == [{"dimension": "products.line", "op": "in", "values": ["Auto"]}]
    later = widget_refine(user=analyst, widget=bars, prompt="top 5", enqueue=False)
    turns = conversation_turns(widget=bars, before=later)
    assert [t["request"] for t in turns] == ["claim count by region over the last 90 days", "only Auto"]
    assert turns[1]["answers"] and "Filter added" in turns[1]["change"]


def test_the_refine_api_ties_the_request_to_the_widget(client_for, analyst, other_analyst, dashboard, bars, sent):
    client = client_for(analyst)
    response = client.post(f"/api/widgets/{bars.id}/refine/", {"prompt": "weekly instead"}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert (body["widget_id"], body["is_refinement"], body["status"]) == (bars.id, True, "pending")
    board = client.get(f"/api/dashboards/{dashboard.id}/").json()
    # On its way, as a refinement of that widget (a card shows it there), not as a new widget.
    assert [(r["id"], r["is_refinement"], r["widget_id"]) for r in board["requests"]] == [(body["id"], True, bars.id)]
    assert board["widgets"][0]["refinement"]["id"] == body["id"]
    again = client.post(f"/api/widgets/{bars.id}/refine/", {"prompt": "monthly"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_refinable"
    assert client.post(f"/api/widgets/{bars.id}/refine/", {"prompt": " "}, format="json").json()["code"] == \
        "empty_prompt"
    runner.run(request_id=body["id"])
    done = client.get(f"/api/requests/{body['id']}/").json()
    assert done["status"] == "ready" and done["widget"]["id"] == bars.id and done["widget"]["version"] == 2
    assert client.get(f"/api/widgets/{bars.id}/").json()["refinement"] is None
    conversation = client.get(f"/api/widgets/{bars.id}/conversation/").json()
    assert conversation["count"] == 2 and conversation["next"] is None
    assert [t["prompt"] for t in conversation["results"]][-1] == "weekly instead"
    detail = client.get(f"/api/widgets/{bars.id}/detail/").json()
    assert {c["widget_request_id"] for c in detail["calls"]} == {bars.request_id, body["id"]}


def test_live_mode_asks_the_model_for_a_spec_change_through_its_tool(live_bedrock, demo_source, analyst, dashboard):
    widget = _build(analyst, dashboard, "claim count by region over the last 90 days")
    request = _refine(analyst, widget, "weekly instead")
    assert request.status == RequestStatus.READY, request.error_message
    assert widget.spec["grain"] == "week" and widget.version == 2
    tools = [live_bedrock_tool(r) for r in live_bedrock.requests]
    assert "record_spec_change" in tools and tools.count("record_intent") == 1  # the first build only


def live_bedrock_tool(received: Any) -> str:
    from tests.widgets.live import tool_of

    return tool_of(received)
