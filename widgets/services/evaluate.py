"""Grading widget prompts against their labels: how ``eval_prompts`` knows the pipeline read them right.

A labelled file holds one JSON object a line: ``id``, ``category``, ``prompt``, optional ``answers``
(typed replies to the clarifying questions, in order) and ``expect``. Each prompt runs through the real
pipeline (``runner.run``, with *today* pinned), and what came out is compared with ``expect`` field by
field: a widget's ``interpretation`` (never the spec's internal shape), a question, or a refusal that
names what is missing. A prompt is right only when every labelled field matches.
"""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from django.contrib.auth import get_user_model
from django.test.utils import override_settings

from backend.errors import ErrorCode
from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest
from widgets.services import runner
from widgets.services.interpret import interpretation
from widgets.services.requests import MAX_PROMPT_CHARS, widget_request_answer, widget_request_create
from widgets.services.spec import ChartKind

EVAL_USER = "eval-prompts"
CATEGORIES = frozenset("plain synonyms typos rolling_dates calendar_dates to_date filters value_synonyms numeric_filters "
                       "ranking comparison grain chart_kind several_metrics table ambiguous unanswerable multi_turn".split())
_KINDS = frozenset({"kpi", "chart", "table", "custom"})
_GRAINS = frozenset({"day", "week", "month", "quarter", "year"})
_CHARTS = frozenset(get_args(ChartKind))
_OPS = frozenset({"in", "not_in", ">", ">=", "<", "<="})
EVAL_DASHBOARD = "Prompt evaluation"
ALWAYS = ("metrics", "dimensions", "filters", "window", "compare", "ranking")
WHEN_LABELLED = ("kind", "grain", "chart", "sort")


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    prompt: str
    expect: dict[str, Any]
    answers: tuple[str, ...] = ()


@dataclass
class Outcome:
    case: Case
    got: dict[str, Any]
    wrong: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (expected, got)

    @property
    def right(self) -> bool:
        return not self.wrong


def cases_read(path: Path) -> list[Case]:
    """Return the labelled cases of a JSON-lines file.

    Raises:
        ValueError: a line is not a labelled prompt (not JSON, too deep, no ``id``, ``prompt`` or
            ``expect.outcome``, a prompt the builder would refuse, ``answers`` not a list of text), or an id is
            used twice; with its line number.
    """
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(_case(json.loads(line)))
        except (json.JSONDecodeError, RecursionError, KeyError, TypeError, ValueError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            raise ValueError(f"{path}:{number}: not a labelled prompt ({reason})") from None
        if cases[-1].id in {c.id for c in cases[:-1]}:
            raise ValueError(f"{path}:{number}: the id {cases[-1].id!r} is used twice")
    return cases


def _case(row: Any) -> Case:
    """Return one line's case; raise KeyError, TypeError or ValueError for what it lacks or gets wrong."""
    if not isinstance(row, dict) or not isinstance(row.get("expect"), dict):
        raise TypeError("a line is an object whose expect is an object")
    if not isinstance(row.get("id"), (str, int)) or not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
        raise TypeError("id and prompt are text")
    if len(row["prompt"]) > MAX_PROMPT_CHARS or "\x00" in row["prompt"]:
        raise ValueError(f"a prompt is at most {MAX_PROMPT_CHARS} characters, without NUL")
    answers = row.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise TypeError("answers is a list of text")
    if row["expect"].get("outcome") not in ("widget", "clarify", "refuse"):
        raise KeyError("expect.outcome")
    return Case(id=str(row["id"]), category=str(row.get("category", "")), prompt=row["prompt"],
                expect=dict(row["expect"]), answers=tuple(answers))


def labels_check(cases: list[Case], *, catalog: dict[str, Any]) -> list[str]:
    """Return what is wrong with the cases' labels against the dictionary, one line per problem: an unknown
    category, a widget label without a field that is always graded, a metric or dimension key the catalog
    lacks, a malformed window, comparison, ranking, filter, kind, grain, chart or sort. A wrong label would
    otherwise be graded as the pipeline's mistake (and a widget as silently wrong)."""
    known = {m["key"] for m in catalog["metrics"]}
    columns = {d["key"] for d in catalog["dimensions"]} | {n["key"] for n in catalog.get("numbers", [])}
    problems = []
    for case in cases:
        found = [] if case.category in CATEGORIES else [f"unknown category {case.category!r}"]
        if case.expect["outcome"] == "widget":
            found += _widget_label_problems(case.expect, known, columns)
        elif case.expect["outcome"] == "refuse" and not str(case.expect.get("missing", "")).strip():
            found.append("a refusal names what is missing: expect.missing")
        problems += [f"{case.id}: {problem}" for problem in found]
    return problems


def _widget_label_problems(expect: dict[str, Any], metrics: set[str], columns: set[str]) -> list[str]:
    missing = [name for name in ALWAYS if name not in expect]
    if missing:
        return [f"a widget label always has {', '.join(missing)} (null or [] when empty)"]
    problems = [f"unknown metric {key!r}" for key in expect["metrics"] if key not in metrics]
    if not expect["metrics"]:
        problems.append("a widget shows at least one metric")
    problems += [f"unknown dimension {key!r}" for key in expect["dimensions"] if key not in columns]
    for flt in expect["filters"]:
        if not isinstance(flt, dict) or flt.get("dimension") not in columns or flt.get("op", "in") not in _OPS \
                or not flt.get("values"):
            problems.append(f"a filter is {{dimension, op, values}} on a known dimension: {flt!r}")
    for name in ("window", "compare"):
        value = expect[name]
        if name == "window" and not (isinstance(value, dict) and {"start", "end"} <= set(value)):
            problems.append("window is {start, end}, null bounds for all time")
        elif name == "compare" and value is not None and value.get("kind") not in ("previous_period", "previous_year"):
            problems.append("compare is null or {kind: previous_period|previous_year, start, end}")
    ranking = expect["ranking"]
    if ranking is not None and (ranking.get("direction") not in ("top", "bottom") or not isinstance(ranking.get("n"), int)):
        problems.append("ranking is null or {direction: top|bottom, n}")
    sort = expect.get("sort")
    if sort is not None and (not isinstance(sort, dict) or sort.get("by") not in metrics | columns
                             or sort.get("direction") not in ("asc", "desc")):
        problems.append("sort is null (the default order) or {by: a metric or dimension key, direction: asc|desc}")
    for name, allowed in (("kind", _KINDS), ("grain", _GRAINS), ("chart", _CHARTS)):
        if expect.get(name) is not None and expect[name] not in allowed:
            problems.append(f"unknown {name} {expect[name]!r}")
    return problems


def eval_dashboard(name: str = EVAL_DASHBOARD) -> Dashboard:
    """Return the (inactive) evaluation user's dashboard of that name, made if need be."""
    user, _ = get_user_model().objects.get_or_create(username=EVAL_USER, defaults={"is_active": False})
    return Dashboard.objects.get_or_create(owner=user, name=name)[0]


def case_run(case: Case, *, today: str, dashboard: Dashboard | None = None) -> dict[str, Any]:
    """Run one case through the pipeline with ``today`` pinned and return what came out: ``outcome``
    (widget, clarify, refuse or failed), the widget's interpretation, the questions or the message."""
    dashboard = dashboard or eval_dashboard()
    user = dashboard.owner
    with override_settings(BUILDER_TODAY=today):
        request = widget_request_create(user=user, dashboard=dashboard, prompt=case.prompt, enqueue=False)
        status = runner.run(request_id=request.id)
        answers = list(case.answers)
        while status == RequestStatus.NEEDS_CLARIFICATION and answers:
            request.refresh_from_db()
            open_question = request.questions[0]["id"]
            widget_request_answer(user=user, request=request, answers={open_question: answers.pop(0)}, enqueue=False)
            status = runner.run(request_id=request.id)
    request = WidgetRequest.objects.get(id=request.id)
    return _observed(request)


def _observed(request: WidgetRequest) -> dict[str, Any]:
    widget = getattr(request, "widget", None)
    if request.status == RequestStatus.READY and widget is not None:
        return {"outcome": "widget", **interpretation(spec=widget.spec, result=widget.result)}
    if request.status == RequestStatus.NEEDS_CLARIFICATION:
        return {"outcome": "clarify", "questions": [q["text"] for q in request.questions]}
    if request.error_code == ErrorCode.NOT_IN_DATA:
        return {"outcome": "refuse", "message": request.error_message}
    return {"outcome": "failed", "message": f"{request.error_code}: {request.error_message}"}


def grade(case: Case, got: dict[str, Any]) -> Outcome:
    """Compare what came out with the case's labels; every labelled field must match."""
    expect, outcome = case.expect, Outcome(case=case, got=got)
    if got["outcome"] != expect["outcome"]:
        outcome.wrong["outcome"] = (expect["outcome"], got["outcome"])
        return outcome
    if expect["outcome"] == "refuse":
        missing = str(expect.get("missing", ""))
        if missing.lower() not in got.get("message", "").lower():
            outcome.wrong["missing"] = (missing, got.get("message", ""))
        return outcome
    if expect["outcome"] == "clarify":
        return outcome
    for name in ALWAYS + tuple(n for n in WHEN_LABELLED if n in expect):
        want, have = _normal(name, expect.get(name)), _normal(name, got.get(name))
        if want != have:
            outcome.wrong[name] = (expect.get(name), got.get(name))
    return outcome


def _normal(name: str, value: Any) -> Any:
    """Return a field in a form that compares equal when it means the same."""
    if name == "filters":
        return sorted((f["dimension"], f.get("op", "in"), tuple(sorted(_number_or_text(v) for v in f["values"])))
                      for f in value or [])
    if name == "window":
        return (value or {}).get("start"), (value or {}).get("end")
    if name == "compare":
        if not value:
            return None
        return value.get("start"), value.get("end")
    if name == "ranking":
        return (value["direction"], int(value["n"])) if value else None
    if name == "sort":
        return (value["by"], value["direction"]) if value else None
    if name in ("metrics", "dimensions"):
        return list(value or [])
    return value


def _number_or_text(value: Any) -> str:
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return str(value)


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def accuracy(self) -> float:
        return sum(o.right for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def by_category(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            counts[o.case.category][0] += o.right
            counts[o.case.category][1] += 1
        return {name: (right, total) for name, (right, total) in sorted(counts.items())}

    def silently_wrong(self) -> list[Outcome]:
        """Widgets that do not match their prompt and do not say what they did not apply: a wrong widget, and a
        widget where the prompt wanted a refusal or a question, unless it says what it assumed instead."""
        return [o for o in self.outcomes if not o.right and o.got.get("outcome") == "widget"
                and not o.got.get("not_applied")
                and (o.case.expect.get("outcome") == "widget" or not o.got.get("assumptions"))]

    def as_json(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4), "right": sum(o.right for o in self.outcomes),
            "total": len(self.outcomes),
            "categories": {k: {"right": r, "total": t} for k, (r, t) in self.by_category().items()},
            "silently_wrong": [o.case.id for o in self.silently_wrong()],
            "failures": [{"id": o.case.id, "category": o.case.category, "prompt": o.case.prompt,
                          "wrong": {k: {"expected": e, "got": g} for k, (e, g) in o.wrong.items()}}
                         for o in self.outcomes if not o.right],
        }


def evaluate(cases: list[Case], *, today: str) -> Report:
    """Run and grade every case. Each request is deleted once graded (the eval dashboard stays empty); the
    ledger keeps its calls, so a live model's spend still counts."""
    outcomes = []
    # A dashboard of this run's own: two runs at once (two shells, a test beside a command) never delete each
    # other's requests mid-case.
    dashboard = eval_dashboard(f"{EVAL_DASHBOARD} {uuid.uuid4().hex[:12]}")
    try:
        for case in cases:
            try:
                got = case_run(case, today=today, dashboard=dashboard)
            finally:
                Widget.objects.filter(dashboard=dashboard).delete()
                WidgetRequest.objects.filter(dashboard=dashboard).delete()
            outcomes.append(grade(case, got))
    finally:
        dashboard.delete()
    return Report(outcomes)
