"""One widget request as a list of steps: clarify → spec → (custom: component ‖) sql → fetch → widget.

Each step is a job of its own (``widgets.tasks.run_step``, run by ``runner.step_run``) and reads the
outputs of the steps before it. When a step finishes, ``advance`` queues every step whose inputs are
now ready — the component and the SQL of a custom widget run side by side — and, once the last
step is done, assembles the widget. A step that fails after the spec stores the widget without
data, its badge saying why (LLM unavailable, SQL rejected, query failed), so the analyst sees what
was understood and can try again from the failed step.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import CallContext, Turn, correction_turn, widget_request_spend
from backend.rows import select_rows
from backend.text import storable
from sql_gen.models import DataSource
from sql_gen.selectors import catalog as build_catalog
from sql_gen.selectors import (
    default_source,
    dimension_values,
    shared_filter_values,
    source_metrics,
    value_labels,
)
from sql_gen.services.generate import SQL, SqlInput
from sql_gen.services.vocabulary import CLOSE_SCORE, vocabulary_for
from widgets.models import (
    DataOrigin,
    RequestStatus,
    StepName,
    StepState,
    VersionOrigin,
    Widget,
    WidgetRequest,
    WidgetStep,
)
from widgets.services.applied import not_applied
from widgets.services.clarifier import CLARIFY, ClarifierInput, unanswerable_message
from widgets.services.companions import companions_data, companions_write, earlier_sql
from widgets.services.custom import COMPONENT, ComponentInput, check_result_columns, widget_props
from widgets.services.data import source_today, spec_window, widget_data
from widgets.services.departures import departures
from widgets.services.interpret import plural
from widgets.services.offline_words import clean
from widgets.services.refine import refine_clarify, refinement_assemble
from widgets.services.resolve import result_shape
from widgets.services.spec import SPEC, SpecInput
from widgets.services.spec_patch import auto_title
from widgets.services.steps import Claim, step_queue, step_save_conversation
from widgets.services.tsx import TsxCheckerUnavailable, tsx_checker_available, tsx_checker_warm
from widgets.services.versions import version_write

Outputs = dict[str, Any]  # step name → its output, for the steps that are done


class DeadlinePassed(ApplicationError):
    def __init__(self, budget_s: int) -> None:
        super().__init__(ErrorCode.DEADLINE, f"Building this widget took longer than its {budget_s} s budget and was "
                                             "stopped; try again or ask for something simpler.", {"budget_s": budget_s})


@dataclass(frozen=True)
class StepRun:
    """What a step's work gets: its claim, its request and the outputs of the steps before it."""

    claim: Claim
    widget_request: WidgetRequest
    outputs: Outputs

    @property
    def source(self) -> DataSource:
        source = self.widget_request.data_source or default_source()
        if source is None:
            raise ApplicationError(ErrorCode.NO_DATA_SOURCE, "No data source is configured; an admin must add one.")
        return source

    def left_s(self) -> float:
        """Return the seconds left of the request's budget; raise DeadlinePassed when none are."""
        deadline = self.widget_request.deadline_at
        if deadline is None:
            return float(request_budget_s(source=self.source))
        left = (deadline - timezone.now()).total_seconds()
        if left <= 0:
            raise DeadlinePassed(self.source.request_budget_s)
        return left

    def llm(self) -> dict[str, Any]:
        """Return the keyword arguments every model-backed step runs with."""
        def save(turns: list[Turn]) -> None:
            step_save_conversation(claim=self.claim, turns=turns)

        context = CallContext(user_id=self.widget_request.user_id, widget_request_id=self.widget_request.id,
                              override_route_id=self.widget_request.route_override_id)
        return {"context": context, "deadline_s": self.left_s(), "history": tuple(self.claim.step.conversation),
                "on_turn": save}


def _clarify(run: StepRun) -> dict[str, Any]:
    request, catalog = run.widget_request, build_catalog(source=run.source)
    source = run.source
    words = request.words()
    if request.is_refinement:  # a change to the widget's current spec, not a new widget
        return refine_clarify(widget_request=request, source=source, catalog=catalog, llm=run.llm(),
                              value_hints=value_hints(source=source, catalog=catalog, text=words))
    inputs = ClarifierInput(prompt=request.prompt, answers=request.answers, catalog=catalog,
                            today=source_today(source).isoformat(), time_zone=source.time_zone,
                            value_hints=value_hints(source=source, catalog=catalog, text=words))
    intent = CLARIFY.run(inputs, **run.llm())
    # The spec reads the catalog the intent was read against, not one an admin edited in between.
    return {"intent": intent.model_dump(mode="json"), "questions": [q.model_dump() for q in intent.questions],
            "catalog": catalog}


def value_hints(*, source: DataSource, catalog: dict[str, Any], text: str) -> dict[str, list[str]]:
    """Return, for each dimension whose catalog entry lists only a sample (120 adjusters), the indexed
    values the request's words come close to: the model sees those exact values, not the whole index."""
    partial = [d["key"] for d in catalog["dimensions"] if not d.get("values_complete", True)]
    if not partial:
        return {}
    found: dict[str, list[str]] = {}
    # The catalog the step built already: only the index's values are read here.
    vocabulary = vocabulary_for(catalog=catalog, values=dimension_values(source=source, keys=partial))
    words = clean(text).split()
    # Each run of up to three words on its own: a name is a few words of a longer request.
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            for match in vocabulary.match_values(" ".join(words[start:start + size]), partial):
                if match.score >= CLOSE_SCORE and match.value not in found.setdefault(match.dimension, []):
                    found[match.dimension].append(match.value)
    return {key: values[:10] for key, values in found.items() if values}


def _spec(run: StepRun) -> dict[str, Any]:
    clarified, request = run.outputs[StepName.CLARIFY], run.widget_request
    inputs = SpecInput(request_text=request.prompt, intent=clarified["intent"], catalog=clarified["catalog"])
    spec, today = SPEC.run(inputs, **run.llm()).model_dump(mode="json"), source_today(run.source)
    spec_window(spec, today=today)  # "2027" has not begun: say so before paying for the SQL
    if spec["kind"] != "custom":  # the card's most prominent words say what it shows, whatever the model wrote
        spec["title"] = auto_title(spec, clarified["catalog"]) or spec["title"]
    # What was assumed and what was not applied are our reading, whatever the model reported: the words the
    # spec does not use, and what it dropped from the intent or added to it.
    dropped, added = departures(intent=clarified["intent"], spec=spec, catalog=clarified["catalog"])
    assumed = [*clarified["intent"].get("assumptions", []), *spec["assumptions"], *added,
               *_shared_names(run.source, spec)]
    spec["assumptions"] = list(dict.fromkeys(assumed))[:10]
    unused = not_applied(words=request.words(), spec=spec, catalog=clarified["catalog"], today=today)
    spec["not_applied"] = list(dict.fromkeys([*dropped, *unused]))[:20]
    return spec


def _shared_names(source: DataSource, spec: dict[str, Any]) -> list[str]:
    """Return a note for each filter value several people share ("Priya Jones" is two adjusters): the filter
    counts them all, which a result grouped by the person would show and a single figure would not."""
    labels = spec.get("labels", {})
    return [f"{count} {plural(labels.get(key, key))} are named {value}: the figures count all of them."
            for key, value, count in shared_filter_values(source=source, filters=spec.get("filters", []))]


def _component(run: StepRun) -> dict[str, Any]:
    missing = tsx_checker_available()
    if missing is not None:
        raise TsxCheckerUnavailable(missing)  # before the model: its answer could not be checked
    tsx_checker_warm()  # the checker loads while the model writes
    arguments = run.llm()
    inputs = ComponentInput(spec=run.outputs[StepName.SPEC], request_text=run.widget_request.prompt,
                            ends_at=time.monotonic() + arguments["deadline_s"])
    made = COMPONENT.run(inputs, **arguments)
    return {"tsx": made.tsx, "js": made.js}


def _sql(run: StepRun) -> dict[str, Any]:
    spec = run.outputs[StepName.SPEC]
    keys = [spec["metric"]["key"], *(m["key"] for m in spec.get("extra_metrics", []))]
    found = source_metrics(source=run.source, keys=keys)
    missing = [key for key in keys if key not in found]
    if missing:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"The metric {missing[0]!r} no longer exists; an admin may "
                                                       "have removed it.")

    def fits(columns: list[str]) -> None:
        check_result_columns(spec=spec, columns=columns)

    arguments = run.llm()
    inputs = SqlInput(metric=found[keys[0]], extra_metrics=tuple(found[k] for k in keys[1:]), spec=spec,
                      source=run.source, ends_at=time.monotonic() + arguments["deadline_s"],
                      check_columns=fits if spec["kind"] == "custom" else None)
    written = SQL.run(inputs, **arguments).as_json()
    # Derived from the spec and written without a model call: a KPI's sparkline, a table's totals.
    written["companions"] = companions_write(spec=spec, metrics=found, source=run.source,
                                             today=source_today(run.source), ends_at=inputs.ends_at)
    return written


def _fetch(run: StepRun) -> dict[str, Any]:
    spec, source = run.outputs[StepName.SPEC], run.source
    # The statement's time limit, never past the request's budget; the window bound for today.
    companions = run.outputs[StepName.SQL].get("companions") or {}
    result = widget_data(source=source, spec=spec, sql=run.outputs[StepName.SQL]["sql"], deadline_s=run.left_s(),
                         compare_sql=earlier_sql(source=source, companions=companions))
    if spec["kind"] == "custom":
        widget_props(spec=spec, result=result)  # raises ResultShapeMismatch: values the component cannot draw
    result |= companions_data(source=source, companions=companions, shown=result,
                              today=dt.date.fromisoformat(result["today"]), deadline_s=run.left_s())
    return {"result": result_shape(kind=spec["kind"], result=result)}


def _not_asking(outputs: Outputs) -> bool:
    clarified = outputs[StepName.CLARIFY]
    return not clarified["questions"] and not clarified["intent"].get("missing")


def _is_custom(outputs: Outputs) -> bool:
    return outputs[StepName.SPEC]["kind"] == "custom"


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: what it needs done first, whether it applies, and its work."""

    name: StepName
    after: tuple[StepName, ...]
    work: Callable[[StepRun], dict[str, Any]]
    applies: Callable[[Outputs], bool] = lambda outputs: True
    # Fails after the spec: the widget is kept without data, badged by what went wrong.
    keeps_widget: bool = False
    tool: str = ""  # the model's tool, for a correction sent back to this step by a later one


PIPELINE: tuple[Stage, ...] = (
    Stage(StepName.CLARIFY, (), _clarify),
    Stage(StepName.SPEC, (StepName.CLARIFY,), _spec, applies=_not_asking),
    Stage(StepName.COMPONENT, (StepName.SPEC,), _component, applies=_is_custom),
    Stage(StepName.SQL, (StepName.SPEC,), _sql, keeps_widget=True, tool=SQL.tool.name),
    Stage(StepName.FETCH, (StepName.SQL,), _fetch, keeps_widget=True),
)
STAGES = {stage.name: stage for stage in PIPELINE}


def advance(*, widget_request: WidgetRequest, send: bool = True) -> str:
    """Queue every step whose inputs are ready; finish the request once nothing is left to do.

    Call under the request's row lock (``steps.lock_request``), in the transaction that finished a step.
    Returns the request's status.
    """
    if widget_request.status not in (RequestStatus.PENDING, RequestStatus.RUNNING):
        return widget_request.status
    # Read again under the lock (a parallel step may have finished since this one was claimed).
    steps = {step.name: step for step in select_rows(WidgetStep, fields=("id", "widget_request_id", "name", "state",
                                                                          "output"),
                                                     where={"widget_request_id": widget_request.id})}
    outputs = with_reused({name: step.output for name, step in steps.items() if step.state == StepState.DONE})
    open_stages = False
    for stage in _live_stages(outputs):
        if stage.name in outputs:
            continue
        open_stages = True
        step = steps.get(stage.name)
        if step is None:
            step_queue(step=WidgetStep(widget_request=widget_request, name=stage.name), send=send)
        elif step.state == StepState.WAITING:
            step_queue(step=step, send=send)
    if open_stages:
        return widget_request.status
    return _finish(widget_request, outputs)


def with_reused(outputs: Outputs) -> Outputs:
    """Return the outputs of the done steps plus those a refinement's clarifier reused instead of running the
    step (``refine_clarify``'s ``reuse``: the spec, and the SQL, component or data that still fit)."""
    reused = (outputs.get(StepName.CLARIFY) or {}).get("reuse")
    return {**reused, **outputs} if reused else outputs


def _refusal(widget_request: WidgetRequest, clarified: dict[str, Any]) -> str:
    """Return the reply to a request for what the data lacks, its suggestions drawn from the dictionary
    the request was read against (with the values index, and the values' labels)."""
    source = widget_request.data_source or default_source()
    values = dimension_values(source=source) if source is not None else {}
    labels = value_labels(source=source) if source is not None else {}
    vocabulary = vocabulary_for(catalog=clarified["catalog"], values=values)
    return unanswerable_message(clarified["intent"]["missing"], vocabulary=vocabulary, labels=labels)


def _live_stages(outputs: Outputs) -> list[Stage]:
    """Return the stages that apply and whose inputs are ready, or done already."""
    live: list[Stage] = []
    for stage in PIPELINE:
        if stage.name in outputs or (all(dep in outputs for dep in stage.after) and stage.applies(outputs)):
            live.append(stage)
    return live


def _finish(widget_request: WidgetRequest, outputs: Outputs) -> str:
    clarified = outputs[StepName.CLARIFY]
    widget_request.intent = clarified["intent"]
    if clarified["intent"].get("missing"):
        message = _refusal(widget_request, clarified)
        widget_request.error_code, widget_request.error_message = ErrorCode.NOT_IN_DATA, storable(message)
        widget_request.status = RequestStatus.FAILED
        widget_request.save(update_fields=["status", "intent", "error_code", "error_message", "updated_at"])
        return widget_request.status
    if clarified["questions"]:
        widget_request.questions = clarified["questions"]
        return _set_status(widget_request, RequestStatus.NEEDS_CLARIFICATION)
    _assemble(widget_request, outputs)
    return _set_status(widget_request, RequestStatus.READY)  # with the widget: one write of the request


def _assemble(widget_request: WidgetRequest, outputs: Outputs) -> Widget:
    """Store the widget from its steps' outputs (the spec, the SQL, the component and the rows) as its first
    version, or, for a refinement, as the next version of the widget it refines."""
    spec, now = outputs[StepName.SPEC], timezone.now()
    component = outputs.get(StepName.COMPONENT) or {}
    if widget_request.is_refinement:
        return refinement_assemble(widget_request=widget_request, outputs=outputs)
    widget = _draft(widget_request, spec)
    written = outputs[StepName.SQL]
    widget.sql = written.get("uncapped") or written["sql"]  # each refresh applies the row cap of the day
    widget.sql_explanation = str(written.get("explanation") or "")
    widget.tsx, widget.component_js = component.get("tsx", ""), component.get("js", "")
    widget.companions = written.get("companions") or {}
    widget.result = outputs[StepName.FETCH]["result"]
    widget.result_at = widget.refreshed_at = now
    widget.source = DataOrigin.LIVE
    _save_first_version(widget, widget_request, save_request=False)  # the request is saved with its status
    return widget


def store_without_data(*, widget_request: WidgetRequest, origin: DataOrigin, reason: str) -> Widget | None:
    """Store the widget its spec describes, without data, its badge saying why; None before a spec, and
    None for a refinement (the widget it refines keeps showing its current version)."""
    done = {s.name: s.output for s in widget_request.steps.filter(state=StepState.DONE)}
    if StepName.SPEC not in done or widget_request.is_refinement:
        return None
    if widget_request.widget_id is not None:  # an earlier run's widget without data: built again now
        Widget.objects.filter(id=widget_request.widget_id, request=widget_request).delete()
    widget = _draft(widget_request, done[StepName.SPEC])
    component = done.get(StepName.COMPONENT) or {}
    widget.tsx, widget.component_js = component.get("tsx", ""), component.get("js", "")
    widget.source, widget.source_reason, widget.refreshed_at = origin, storable(reason[:2000]), timezone.now()
    _save_first_version(widget, widget_request)
    return widget


def _draft(widget_request: WidgetRequest, spec: dict[str, Any]) -> Widget:
    # By id: the request's dashboard and data source are not read for the widget that points at them.
    return Widget(dashboard_id=widget_request.dashboard_id, request=widget_request, kind=spec["kind"],
                  title=spec["title"], spec=spec, data_source_id=widget_request.data_source_id)


def _save_first_version(widget: Widget, widget_request: WidgetRequest, *, save_request: bool = True) -> None:
    widget.cost_usd, widget.llm_calls = widget_request_spend(widget_request_id=widget_request.id)
    version_write(widget=widget, origin=VersionOrigin.CREATE, change="Built from the request.",
                  user=widget_request.user, widget_request=widget_request)
    widget_request.widget = widget
    if save_request:
        WidgetRequest.objects.filter(id=widget_request.id).update(widget=widget)


def _set_status(widget_request: WidgetRequest, status: str) -> str:
    """Save the request's status and reading, and its widget (read under the request's lock, or just
    stored by ``_assemble``)."""
    widget_request.status = status
    widget_request.save(update_fields=["status", "intent", "questions", "widget", "updated_at"])
    return status


def step_resume(*, step: WidgetStep, send: bool = True) -> None:
    """Queue a failed step again (for a retry). When an earlier step's work caused the failure (a statement
    that could not run), that step is queued instead, its conversation carrying the reason so that the
    model corrects exactly that, and the failed step waits for it. Call under the request's lock."""
    if not step.rewind_to:
        step_queue(step=step, send=send)
        return
    earlier = step.widget_request.steps.get(name=step.rewind_to)
    turns = list(earlier.conversation)
    if turns and turns[-1]["role"] == "assistant":
        reason = f"When it ran, the statement failed: {step.error_message}"
        turns.append(correction_turn(turns[-1], reason, tool=STAGES[StepName(earlier.name)].tool))
    WidgetStep.objects.filter(id=step.id).update(state=StepState.WAITING, rewind_to="", error_code="",
                                                 error_message="")
    WidgetStep.objects.filter(id=earlier.id).update(state=StepState.FAILED, conversation=turns, output=None)
    step_queue(step=earlier, send=send)


def request_budget_s(*, source: DataSource | None) -> int:
    """Return the seconds a request may take: its source's budget, or the field's default without one."""
    return source.request_budget_s if source is not None else DataSource._meta.get_field("request_budget_s").default


def request_deadline(*, source: DataSource | None) -> dt.datetime:
    """Return when a request (re)started now must be done by: the source's whole-request budget."""
    return timezone.now() + dt.timedelta(seconds=request_budget_s(source=source))
