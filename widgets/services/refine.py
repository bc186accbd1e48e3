"""Refining a widget by conversation: a follow-up is a request tied to the widget, read as a change to its
current spec, and made into a new version of the same widget.

The clarifier step of a refinement (fast tier, ``REFINE``) reads the widget's current spec and the
conversation so far and returns a ``SpecChange``; its parser applies it (``spec_apply``) and validates
the result, so a live model whose change cannot be drawn is told why and corrects it. Only the steps the
change needs then run: the SQL when the rows change (a rename or a line chart into bars reuses the
widget's statement, checked again), the component of a custom widget when its columns or visual change,
and the fetch when the statement or the kind changed. "Undo that" restores the version shown before the
last change. A refinement that fails leaves the widget as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool, widget_requests_spend
from sql_gen.models import DataSource
from sql_gen.selectors import allowed_tables, default_source
from sql_gen.services.safety import sql_check
from widgets.models import (
    DataOrigin,
    RequestStatus,
    StepName,
    VersionOrigin,
    Widget,
    WidgetRequest,
    WidgetStep,
    WidgetVersion,
)
from widgets.services import refine_offline
from widgets.services.applied import not_applied
from widgets.services.companions import companions_derive
from widgets.services.data import source_today
from widgets.services.drift import statement_conforms
from widgets.services.spec_changes import change_words, same_rows
from widgets.services.spec_patch import SpecChange, spec_apply
from widgets.services.steps import step_queue
from widgets.services.versions import Conflict, lock_widget, require_editor, undo_target, version_write

MAX_PROMPT_CHARS = 2000
_ACTIVE = (RequestStatus.PENDING, RequestStatus.RUNNING)

REFINE_TOOL = Tool(
    name="record_spec_change",
    description="Record how the analyst's follow-up changes the widget's current spec.",
    input_schema=SpecChange.model_json_schema(),
)

SYSTEM = (
    "You refine an existing dashboard widget for an insurance analyst. You get the widget's current spec "
    "(JSON), the conversation so far (earlier follow-ups and what each changed), the analyst's new follow-up, "
    "and the catalog of metrics, dimensions and values (JSON). Call record_spec_change with only what the "
    "follow-up changes: leave every other field empty, because the spec already says it. Never ask about "
    "what the spec already says (its measure, its window, its breakdown). Fields: undo (\"undo that\", "
    "\"go back\": nothing else); kind (kpi|chart|table|custom) and chart_type (line, area, stacked_area, bar, "
    "horizontal_bar, stacked_bar, pie, donut, scatter; implies a chart); grain or clear_grain; time_window "
    "(relative, never dates: {kind: all} | {kind: rolling, n, unit} | {kind: current|to_date|previous, unit} | "
    "{kind: period, unit, year, quarter?, month?} | {kind: since, start} | {kind: between, start, end}); "
    "compare ({kind: previous_period|previous_year}) or clear_compare; add_filters ({dimension, op: "
    "in|not_in, values: exact stored values} or a numeric column with >, >=, <, <= and one number; \"without "
    "denied claims\" is not_in) and remove_filters (dimension keys: \"all regions\"); ranking ({direction: "
    "top|bottom, n}) or clear_ranking; sort ({by: a metric key of the widget's metrics or one of its dimension "
    "keys, direction: asc|desc}: \"sort by paid\", \"alphabetical\"; to sort by a metric the widget does not "
    "show, add it too) or clear_sort (back to the default order); metric_key to replace the primary metric, "
    "add_metric_keys, remove_metric_keys; add_dimensions (\"split by region\") and remove_dimensions (\"by "
    "channel instead\" removes the old one and adds the new); title for a rename, or a new short title when the "
    "change makes the current one wrong; visual for a custom widget's look. Use only catalog keys and exact "
    "stored values. "
    "When a word could mean two values, prefer the dimension the spec already uses; otherwise add a question "
    "with options. When the follow-up names something the catalog lacks, add it to missing."
)


@dataclass(frozen=True)
class RefineInput:
    spec: dict[str, Any]
    conversation: list[dict[str, Any]]
    prompt: str
    answers: list[dict[str, str]]
    catalog: dict[str, Any]
    today: str = ""
    time_zone: str = "UTC"
    value_hints: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Refinement:
    """The clarifier's change and the spec it makes (None when it asks, refuses or undoes)."""

    change: SpecChange
    spec: dict[str, Any] | None


def _build(inputs: RefineInput) -> Prompt:
    return Prompt(context=inputs.catalog, prompt={
        "spec": inputs.spec, "conversation": inputs.conversation, "request": inputs.prompt,
        "answers": inputs.answers, "today": inputs.today, "time_zone": inputs.time_zone,
        "value_hints": inputs.value_hints})


def _parse(payload: dict[str, Any], inputs: RefineInput) -> Refinement:
    """Return the change and the spec it makes; a change that cannot be applied is refused with the reason."""
    try:
        change = SpecChange.model_validate(payload)
    except ValidationError as exc:
        raise InvalidAnswer(f"The spec change is invalid: {exc.errors()[0]['msg']}") from exc
    if change.undo or change.questions or change.missing:
        return Refinement(change=change, spec=None)
    if change.is_empty():
        raise InvalidAnswer("This change changes nothing in the widget.", error=ApplicationError(
            ErrorCode.NOT_REFINABLE, f"Nothing in “{inputs.prompt}” changes this widget; say what should change "
                                     "(e.g. “weekly instead”, “only Auto”, “top 5”, “as a line chart”)."))
    try:
        spec = spec_apply(spec=inputs.spec, change=change, catalog=inputs.catalog)
    except ApplicationError as exc:
        raise InvalidAnswer(exc.message, error=ApplicationError(
            exc.code, f"This change cannot be made: {exc.message}")) from exc
    if _drawn(spec) == _drawn(inputs.spec):
        raise InvalidAnswer("This change leaves the widget as it is.", final=True, error=ApplicationError(
            ErrorCode.NOT_REFINABLE, f"The widget already shows that: “{inputs.prompt}” changes nothing in it."))
    return Refinement(change=change, spec=spec)


def _drawn(spec: dict[str, Any]) -> dict[str, Any]:
    """Return what a spec shows, without its notes (what was assumed, what was not applied, labels)."""
    return {k: v for k, v in spec.items() if k not in ("assumptions", "not_applied", "labels")}


REFINE = LLMStep[RefineInput, Refinement](
    name="clarify", purpose=Purpose.INTENT_EXTRACTION, tool=REFINE_TOOL, system=SYSTEM, build=_build, parse=_parse,
    error_code=ErrorCode.INVALID_INTENT, offline=refine_offline.answer,
)


def widget_refine(*, user: AbstractBaseUser, widget: Widget, prompt: str, enqueue: bool = True) -> WidgetRequest:
    """Save a follow-up on ``widget`` as a request tied to it and queue its clarifier once the transaction commits.

    Raises:
        Forbidden: ``user`` does not own the widget's dashboard.
        ApplicationError: ``empty_prompt``/``prompt_too_long`` for bad text.
        Conflict: ``not_refinable`` while another refinement of the widget is being worked on.
    """
    require_editor(user=user, widget=widget)
    prompt = " ".join(prompt.split())
    if not prompt:
        raise ApplicationError(ErrorCode.EMPTY_PROMPT, "Say what to change, e.g. “weekly instead” or “only Auto”.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApplicationError(ErrorCode.PROMPT_TOO_LONG, f"Keep the follow-up under {MAX_PROMPT_CHARS} characters.")
    from widgets.services.pipeline import request_deadline

    source = widget.data_source or default_source()
    with transaction.atomic():
        lock_widget(widget.id)
        if WidgetRequest.objects.filter(widget=widget, is_refinement=True, status__in=_ACTIVE).exists():
            raise Conflict(ErrorCode.NOT_REFINABLE, "This widget is being refined already; wait for it to finish.")
        created = WidgetRequest.objects.create(
            dashboard=widget.dashboard, user=user, prompt=prompt, widget=widget, is_refinement=True,
            data_source=source, deadline_at=request_deadline(source=source))
        step_queue(step=WidgetStep(widget_request=created, name=StepName.CLARIFY), send=enqueue)
    return created


def conversation_turns(*, widget: Widget, before: WidgetRequest) -> list[dict[str, Any]]:
    """Return the widget's conversation before ``before``: each request's words and what its version changed."""
    changes = dict(WidgetVersion.objects.filter(widget=widget, widget_request__isnull=False)
                   .values_list("widget_request_id", "change"))
    turns = []
    for earlier in widget.requests.filter(created_at__lte=before.created_at).exclude(id=before.id).order_by("id"):
        turns.append({"request": earlier.prompt, "answers": earlier.answers, "status": earlier.status,
                      "change": changes.get(earlier.id, "")})
    return turns


def refine_clarify(*, widget_request: WidgetRequest, source: DataSource, catalog: dict[str, Any],
                   value_hints: dict[str, list[str]], llm: dict[str, Any]) -> dict[str, Any]:
    """Return the clarify step's output for a refinement: the change (as ``intent``), its questions, and, when it
    can be made, the new spec and what the steps it does not need would have made (``reuse``).

    Raises:
        ApplicationError: ``not_refinable`` when the widget is gone; ``nothing_to_undo``; the parser's errors.
    """
    widget = Widget.objects.filter(id=widget_request.widget_id).select_related("data_source").first()
    if widget is None:
        raise ApplicationError(ErrorCode.NOT_REFINABLE, "The widget this follow-up refines no longer exists.")
    inputs = RefineInput(spec=widget.spec, conversation=conversation_turns(widget=widget, before=widget_request),
                         prompt=widget_request.prompt, answers=widget_request.answers, catalog=catalog,
                         today=source_today(source).isoformat(), time_zone=source.time_zone, value_hints=value_hints)
    refined = REFINE.run(inputs, **llm)
    change = refined.change
    out: dict[str, Any] = {"intent": change.model_dump(mode="json"),
                           "questions": [q.model_dump() for q in change.questions], "catalog": catalog,
                           "base_version": widget.version}
    if change.questions or change.missing:
        return out
    if change.undo:
        target = undo_target(widget)
        if target is None:
            raise ApplicationError(ErrorCode.NOTHING_TO_UNDO, "There is nothing to undo: this is the widget as first "
                                                              "built.")
        out["undo"] = {"restored_from": target.number, "undoes": widget.version}
        out["change"] = f"Undid version {widget.version} (back to version {target.number})."
        out["reuse"] = _reuse(widget, target.spec, source, statement=target, component=target)
        return out
    assert refined.spec is not None
    spec, out["change"] = _unapplied_said(widget_request, before=widget.spec, after=refined.spec, catalog=catalog,
                                          today=source_today(source))
    out["reuse"] = _reuse(widget, spec, source, statement=widget if same_rows(widget.spec, spec)
                          else None, component=widget if _component_kept(widget, spec) else None)
    return out


def _unapplied_said(widget_request: WidgetRequest, *, before: dict[str, Any], after: dict[str, Any],
                    catalog: dict[str, Any], today: date) -> tuple[dict[str, Any], str]:
    """Return the changed spec and the change in words, each saying what the follow-up asked that the change
    does not apply ("make it a table and colour it blue": the table is made, the colour is not). Our reading
    of the words against both specs, never the model's own report; the spec keeps what earlier requests did
    not apply."""
    unapplied = not_applied(words=widget_request.words(), spec=after, catalog=catalog, today=today, before=before)
    words = change_words(before, after)
    if not unapplied:
        return after, words
    spec = {**after, "not_applied": list(dict.fromkeys([*unapplied, *after.get("not_applied", [])]))[:20]}
    listed = ", ".join(f"“{u}”" for u in unapplied[:5])
    return spec, f"{words}; not applied: {listed}"[:500]


def _component_kept(widget: Widget, spec: dict[str, Any]) -> bool:
    return (widget.kind == "custom" and spec["kind"] == "custom" and same_rows(widget.spec, spec)
            and widget.spec.get("visual") == spec.get("visual"))


def _reuse(widget: Widget, spec: dict[str, Any], source: DataSource, *, statement: Widget | WidgetVersion | None,
           component: Widget | WidgetVersion | None) -> dict[str, Any]:
    """Return the outputs of the steps a refinement does not run: always the spec; the SQL when ``statement``
    (the widget or a version) already answers ``spec``, checked against today's allowlist and, as at each
    refresh, against the dictionary as it is now; the component when kept; the fetch when neither the statement
    nor the kind changed (the widget's data still fits)."""
    reuse: dict[str, Any] = {StepName.SPEC.value: spec}
    if component is not None and spec["kind"] == "custom":
        reuse[StepName.COMPONENT.value] = {"tsx": component.tsx, "js": component.component_js, "reused": True}
    if statement is None or not statement.sql:
        return reuse
    checked = sql_check(sql=statement.sql, dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                        row_cap=source.row_cap)
    if not statement_conforms(spec=spec, sql=checked.uncapped, source=source):
        return reuse  # the dictionary changed under it since it was written: the SQL step writes it again
    companions = statement.companions if statement.kind == spec["kind"] else companions_derive(
        spec=spec, source=source, today=source_today(source))
    reuse[StepName.SQL.value] = {"sql": checked.sql, "uncapped": statement.sql, "explanation": statement.sql_explanation,
                                 "companions": companions, "reused": True}
    # The data shown is kept only when it was fetched for these rows: one statement serves several windows (they
    # are bound at each run), so an undo to last month's version of a statement now bound to Q3 fetches again.
    if statement.sql == widget.sql and spec["kind"] == widget.kind and widget.result_at is not None and \
            same_rows(widget.spec, spec):
        reuse[StepName.FETCH.value] = {"reused": True}
    return reuse


def refinement_assemble(*, widget_request: WidgetRequest, outputs: dict[str, Any]) -> Widget:
    """Write the refinement's outputs onto its widget as the widget's next version. Call under the request's lock."""
    clarified = outputs[StepName.CLARIFY]
    widget = lock_widget(widget_request.widget_id)  # type: ignore[arg-type]
    spec, written = outputs[StepName.SPEC], outputs[StepName.SQL]
    component, fetched = outputs.get(StepName.COMPONENT) or {}, outputs[StepName.FETCH]
    widget.spec, widget.kind, widget.title = spec, spec["kind"], spec["title"]
    widget.sql = written.get("uncapped") or written["sql"]
    widget.sql_explanation = str(written.get("explanation") or "")
    widget.companions = written.get("companions") or {}
    widget.tsx, widget.component_js = ((component.get("tsx", ""), component.get("js", ""))
                                       if spec["kind"] == "custom" else ("", ""))
    if not fetched.get("reused"):
        widget.result, widget.result_at = fetched["result"], timezone.now()
        widget.refreshed_at, widget.source, widget.source_reason = widget.result_at, DataOrigin.LIVE, ""
    ids = [widget.request_id, *widget.requests.values_list("id", flat=True)]
    widget.cost_usd, widget.llm_calls = widget_requests_spend(widget_request_ids=list(set(ids)))
    undo = clarified.get("undo") or {}
    version_write(widget=widget, origin=VersionOrigin.RESTORE if undo else VersionOrigin.REFINE,
                  change=clarified.get("change") or "Refined.", user=widget_request.user,
                  widget_request=widget_request, restored_from=undo.get("restored_from"), undoes=undo.get("undoes"))
    return widget
