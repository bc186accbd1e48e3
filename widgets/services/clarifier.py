"""The clarifier (fast tier): the analyst's words → an intent, or questions with options."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.urls import reverse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.errors import ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool
from sql_gen.models import value_label
from sql_gen.services.vocabulary import CLOSE_SCORE, Vocabulary
from widgets.services import clarifier_offline
from widgets.services.spec import MAX_METRICS, ChartKind, Filter, Grain, Ranking
from widgets.services.spec_sort import SORT_DESCRIPTION, Sort
from widgets.services.windows import DEFAULT_WINDOW_SAID, Comparison, TimeWindow

# A refusal's "Closest:" lists at most this many things, each at least this near the missing term (see
# refusal_suggestions: below it the vocabulary's closest are ranked by letters in common only).
SUGGESTIONS = 3
SUGGEST_SCORE = CLOSE_SCORE / 2
_KIND_WORDS = {"metric": "measure", "dimension": "breakdown", "value": "value"}


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    text: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(default_factory=list, max_length=12)


class Missing(BaseModel):
    """Something the request names that the dictionary does not have, with the closest things it does."""

    model_config = ConfigDict(extra="forbid")
    term: str = Field(min_length=1, max_length=80)
    kind: Literal["metric", "dimension", "value"] = "metric"
    closest: list[str] = Field(default_factory=list, max_length=5)


class Intent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    widget_type: Literal["kpi", "chart", "table", "custom"]
    metric_key: str | None = None
    extra_metric_keys: list[str] = Field(default_factory=list, max_length=MAX_METRICS - 1)
    dimensions: list[str] = Field(default_factory=list, max_length=2)
    filters: list[Filter] = Field(default_factory=list, max_length=10)
    time_window: TimeWindow | None = None
    compare: Comparison | None = None
    grain: Grain | None = None
    chart_type: ChartKind | None = None
    ranking: Ranking | None = None
    sort: Sort | None = None
    questions: list[Question] = Field(default_factory=list, max_length=5)
    missing: list[Missing] = Field(default_factory=list, max_length=5)
    assumptions: list[str] = Field(default_factory=list, max_length=10)


INTENT_TOOL = Tool(
    name="record_intent",
    description="Record what the analyst asked for, and any questions needed to remove ambiguity.",
    input_schema=Intent.model_json_schema(),
)

SYSTEM = (
    "You read an insurance analyst's request for a dashboard widget. Using only the metrics, dimensions, "
    "values and value synonyms in the catalog (JSON), call record_intent with: the widget type (kpi, chart, "
    "table or custom); the metric key and up to two extra_metric_keys; group-by dimension keys; filters "
    "({dimension, op: in|not_in, values: exact stored values} or {dimension: a numeric column, op: >|>=|<|<=, "
    "values: [number]}); the time window, relative and never as dates ({kind: all} | {kind: rolling, n, unit} "
    "| {kind: current|to_date|previous, unit: day|week|month|quarter|year} | {kind: period, unit: "
    "year|quarter|month, year, quarter?, month?} | {kind: since, start} | {kind: between, start, end}); "
    "compare ({kind: previous_period|previous_year}); grain; chart_type (line, area, stacked_area, bar, "
    "horizontal_bar, stacked_bar, pie, donut, scatter); ranking ({direction: top|bottom, n}, with others: true "
    "when the rest is asked for as one row: 'and all others', 'plus the rest', 'rest grouped'); the order asked "
    "for (" + SORT_DESCRIPTION + " A sort by a metric the widget would not show puts that metric in "
    "extra_metric_keys.) Today's date and the time zone are in the request. Match words to the catalog "
    "through names, synonyms, descriptions and value synonyms, tolerating typos. When the request names "
    "something the catalog does not have (a measure, a dimension or a value), do not substitute anything: add "
    "it to missing with the closest catalog names. "
    "When nothing measurable is named, or a word fits several metrics equally, leave metric_key null and add a "
    "short question with clickable options (exact metric names). Do not ask about the time window: without "
    "one, the last 30 days is assumed. List in assumptions any choice you made. Choose custom when the analyst "
    "asks for a visual no KPI card, chart or table draws (a leaderboard, gauge, heatmap, ...). Earlier answers "
    "are included."
)
DEFAULT_WINDOW = TimeWindow(kind="rolling", n=30, unit="day")
DEFAULT_WINDOW_NOTE = f"{DEFAULT_WINDOW_SAID}: the last 30 days."


@dataclass(frozen=True)
class ClarifierInput:
    prompt: str
    answers: list[dict[str, str]]
    catalog: dict[str, Any]
    today: str = ""  # ISO date in the source's time zone
    time_zone: str = "UTC"
    # Exact values of dimensions the catalog lists only a sample of, close to the request's words.
    value_hints: dict[str, list[str]] = field(default_factory=dict)


def _build(inputs: ClarifierInput) -> Prompt:
    # Today goes in the message, not the cached catalog prefix: the prefix stays the same all day and longer.
    return Prompt(context=inputs.catalog, prompt={"request": inputs.prompt, "answers": inputs.answers,
                                                  "today": inputs.today, "time_zone": inputs.time_zone,
                                                  "value_hints": inputs.value_hints})


def _parse(payload: dict[str, Any], inputs: ClarifierInput) -> Intent:
    """Return the intent; a missing metric always becomes a question (unless the request names something
    the data lacks), and a missing window the stated default, whatever the model forgot."""
    try:
        intent = Intent.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        # Past a limit of the language the request itself asks too much: asking the model again answers the same.
        raise InvalidAnswer(_invalid(error, payload), final=tuple(error.get("loc", ())) in _LIMITED) from exc
    known = {m["key"] for m in inputs.catalog["metrics"]}
    for key in [k for k in [intent.metric_key, *intent.extra_metric_keys] if k]:
        if key not in known:
            raise InvalidAnswer(f"{key!r} is not a metric key of the catalog; use one of {sorted(known)}.")
    dimensions = {d["key"] for d in inputs.catalog["dimensions"]}
    if intent.sort and intent.sort.by not in known | dimensions:
        raise InvalidAnswer(f"sort.by {intent.sort.by!r} is neither a metric key nor a dimension key of the catalog.")
    if intent.metric_key is None and not intent.missing and not any(q.id == "metric" for q in intent.questions):
        intent.questions.append(Question(id="metric", text="Which measure should the widget show?",
                                         options=[m["name"] for m in inputs.catalog["metrics"]][:8]))
    if intent.time_window is None:
        intent.time_window = DEFAULT_WINDOW
        intent.assumptions.append(DEFAULT_WINDOW_NOTE)
    return intent


# Limits of the language an analyst can run into ("top 150", "the last 9999 years"): said as the request's.
_LIMITED = {("ranking", "n"): "a ranking of", ("time_window", "n"): "a window of"}


def _invalid(error: Any, payload: dict[str, Any]) -> str:
    """Return why the clarifier's answer is invalid; past a limit of the language, in the analyst's terms."""
    loc = tuple(error.get("loc", ()))
    words = _LIMITED.get(loc)
    if words and error.get("type") == "less_than_equal":
        unit = (payload.get(loc[0]) or {}).get("unit") if loc[0] == "time_window" else "row"
        limit = error["ctx"]["le"]
        return (f"The request asks for {words} {error.get('input')} {unit}s, more than the {limit} {unit}s a widget "
                "can show; ask for fewer.")
    return f"The clarifier's answer is invalid: {error['msg']}"


def unanswerable_message(missing: list[dict[str, Any]], *, vocabulary: Vocabulary,
                         labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Return the reply to a request for what the data does not have: what is missing, and what is close
    to it, or, when nothing is, where to see what the data has (the catalog page)."""
    sentences, pointer = [], False
    for item in missing:
        kind = item.get("kind") if item.get("kind") in _KIND_WORDS else "metric"
        sentence = f"There is no {_KIND_WORDS[kind]} called “{item['term']}” in this data."
        near = refusal_suggestions(term=item["term"], kind=kind, vocabulary=vocabulary, labels=labels)
        if near:
            sentence += " Closest: " + ", ".join(near) + "."
        pointer = pointer or not near
        sentences.append(sentence)
    if pointer:
        sentences.append(f"See what the data has: {reverse('catalog')}")
    return " ".join(sentences)


def refusal_suggestions(*, term: str, kind: str, vocabulary: Vocabulary,
                        labels: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """Return up to SUGGESTIONS things of ``kind`` the dictionary has that are near ``term``, by label,
    each once; none when nothing is near.

    The suggestions come from the vocabulary whoever read the request, so a model's own "closest" is held
    to the same rule. Near is at least SUGGEST_SCORE: a word of the term is one of the thing's words, or a
    typo of one. Below it ``closest`` ranks by whole-text likeness alone ("Europe" and "open" share
    letters), which is noise to an analyst.
    """
    shown: dict[str, str] = {}
    for candidate in vocabulary.closest(term, n=3 * SUGGESTIONS, kind=kind):
        if candidate.score < SUGGEST_SCORE:
            continue
        label = candidate.label
        if candidate.kind == "value":
            label = (labels or {}).get(candidate.key, {}).get(label) or value_label(label)
        shown.setdefault(label.casefold(), label)
    return list(shown.values())[:SUGGESTIONS]


CLARIFY = LLMStep[ClarifierInput, Intent](
    name="clarify", purpose=Purpose.INTENT_EXTRACTION, tool=INTENT_TOOL, system=SYSTEM, build=_build,
    parse=_parse, error_code=ErrorCode.INVALID_INTENT, offline=clarifier_offline.answer,
)
