"""Custom (TSX) widgets: the props their component receives, and the codegen step (reasoning tier).

A custom widget is a function component the model writes in TSX against a ``Props`` interface
generated from the spec, with React's JSX and hooks API; no React runs it: the sandbox's own renderer
(``static/widgets/sandbox-vm.js``, inside a QuickJS VM) provides ``React``, and the checker types it
against ``widgets/tsx/widget-jsx.d.ts``, which declares only what that renderer and the frame's allowlist
support. The TypeScript checker (``widgets.services.tsx``) must accept it before any SQL is spent; the
browser runs only the compiled script, in a sandbox.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from backend.errors import ApplicationError, ErrorCode
from backend.llm.api import InvalidAnswer, LLMStep, Prompt, Purpose, Tool, unfence
from sql_gen.services.entity_keys import is_key_column
from widgets.services import custom_offline
from widgets.services.tsx import TsxRejected, tsx_compile

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")  # matched with fullmatch: "$" would allow a trailing newline
_RESERVED_ROW_KEYS = ("period", "value")

TSX_TOOL = Tool(
    name="record_tsx",
    description="Record the complete TSX source of the widget's function component.",
    input_schema={
        "type": "object",
        "properties": {
            "tsx": {"type": "string", "description": "The whole component source: function Widget(props: Props)."},
            "explanation": {"type": "string", "description": "One or two sentences on what it draws."},
        },
        "required": ["tsx", "explanation"],
    },
)

RULES = [
    "Define the component as `function Widget(props: Props)` (or `const Widget = (props: Props) => ...`); "
    "Props and Row are declared for you in props_ts: do not redeclare them.",
    "No import, export or require. `React` is a global, but not React itself: the sandbox's own renderer with "
    "React's API for function components: JSX, React.Fragment, React.createElement, the hooks React.useState, "
    "useReducer, useEffect, useLayoutEffect, useMemo, useCallback, useRef, useId, createContext and useContext, "
    "React.memo and React.Children; types React.CSSProperties, React.MouseEvent, React.ReactNode. No class "
    "components, refs to elements, portals or ReactDOM.",
    "Elements: text, layout, table and SVG ones only (div, span, p, h1-h6, ul, ol, li, table, tr, th, td, svg, "
    "g, rect, circle, line, polyline, polygon, path, text, ...); no links, images, buttons, inputs or forms.",
    "Events: only mouse ones (onClick, onMouseEnter, onMouseLeave, onMouseMove, ...), and a handler gets plain "
    "data, not a DOM event: event.key (the React key of the element the handler is on), event.x and event.y "
    "(the pointer inside that element), button and modifier keys. There is no element to measure or focus.",
    "Inline styles only (style={{...}}); no CSS files, class names from a framework, or external fonts/images.",
    "No network or browser globals: no fetch, XMLHttpRequest, WebSocket, window, document, localStorage, "
    "sessionStorage, parent, top, location, eval or Function; no timers.",
    "Format numbers by props.metric.unit: currency as dollars (e.g. $1.2M), percent values are fractions "
    "(0.634 is 63.4%), days with one decimal and 'days', counts as whole numbers.",
    "Handle an empty props.rows (say 'No data for this window.') and null values (row.value and dimension "
    "values may be null).",
    "Draw charts with inline SVG elements; the component fills its container's width.",
    "TypeScript runs in strict mode: type every parameter and handle undefined from array indexing. Never "
    "write the type any (no ': any', 'as any', 'any[]'): use the real type, or unknown narrowed with typeof.",
    "No JSX spread attributes (<div {...x} />): write each attribute out.",
]

SYSTEM = (
    "You write one function component in TSX, with React's JSX and hooks, that draws a custom dashboard "
    "widget for insurance analysts. "
    "The prompt gives the widget spec (metric, dimensions, grain, window, and `visual`: what it should look "
    "like) and the analyst's request; the context gives props_ts, the TypeScript interfaces of the props the "
    "component receives (one Row per result row: 'period' when the spec has a grain, then each dimension "
    "by key, then 'value'). Call record_tsx with the component's source. Rules:\n- "
    + "\n- ".join(RULES)
    + "\nWhen a component you wrote comes back with errors, fix exactly those and call record_tsx again."
)


@dataclass(frozen=True)
class GeneratedTsx:
    tsx: str  # the model's source, kept for people to read
    js: str  # the checker's compiled script, the only thing the browser runs


class ResultShapeMismatch(ApplicationError):
    """A query result that does not line up with a custom widget's Row (wrong columns, text values)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.RESULT_SHAPE_MISMATCH, message)


def _spec_dict(spec: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return spec.model_dump(mode="json") if isinstance(spec, BaseModel) else spec


@dataclass(frozen=True)
class _Column:
    """One result column of a custom widget, as the Row, the props and the SQL step know it."""

    key: str  # the Row field: "period", a dimension key, or "value"
    label: str  # shown in props.dimensions
    name: str  # as the SQL step is told to name the column
    accepted: frozenset[str]  # the normalised column names taken for it


def _columns(spec: dict[str, Any]) -> list[_Column]:
    """Return the columns in result order: period (with a grain), each dimension, the metric value.

    The SQL step names them 'period', each dimension's label and the metric key; a grain word, a
    dimension key and "value" are accepted too.

    Raises:
        ApplicationError: ``invalid_spec`` when a dimension is named ``period`` or ``value``.
    """
    dims = list(spec.get("dimensions") or [])
    # A guard only: catalog keys are "table.column", so none can be a bare "period" or "value".
    clash = next((d for d in dims if d in _RESERVED_ROW_KEYS), None)
    if clash is not None:
        raise ApplicationError(ErrorCode.INVALID_SPEC, f"A custom widget cannot use a dimension named {clash!r}.")
    labels = spec.get("labels") or {}
    columns = []
    if spec.get("grain"):
        grain = spec["grain"]
        columns.append(_Column("period", grain, "period", frozenset({"period", _normalised(grain)})))
    for key in dims:
        label = labels.get(key, key)
        columns.append(_Column(key, label, label, frozenset({_normalised(label), _normalised(key)})))
    metric = spec["metric"]["key"]
    return columns + [_Column("value", metric, metric, frozenset({_normalised(metric), "value"}))]


def _ts_property(key: str) -> str:
    return key if _IDENTIFIER.fullmatch(key) else json.dumps(key)


def props_interface(spec: BaseModel | dict[str, Any]) -> str:
    """Return the TypeScript declarations (``Row`` and ``Props``) of a custom widget's props.

    Dimension keys that are not identifiers (``regions.name``) are quoted property names.

    Raises:
        ApplicationError: ``invalid_spec`` when a dimension is named ``period`` or ``value``.
    """
    spec = _spec_dict(spec)
    types = {"period": "string", "value": "number | null"}
    fields = "; ".join(f"{_ts_property(k)}: {types.get(k, 'string | null')}" for k in (c.key for c in _columns(spec)))
    return (
        f"interface Row {{ {fields} }}\n"
        "interface Props {\n"
        "  title: string;\n"
        '  metric: { key: string; name: string; unit: "count" | "currency" | "days" | "percent" };\n'
        "  dimensions: { key: string; label: string }[];\n"
        "  rows: Row[];\n"
        "  truncated: boolean;\n"
        "}\n"
    )


def widget_props(*, spec: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Return the runtime props of a custom widget from its spec and a stored query result.

    Result columns must come in the SQL step's order and names (``period`` with a grain, each
    dimension named by its label, then the metric value named by the metric key; see
    ``_columns`` for the spellings accepted); a null period becomes "" and dimension
    values become strings.

    Raises:
        ResultShapeMismatch: the columns differ from the Row's in number, order or name, a row
            has another length, or a value is not a number.
        ApplicationError: ``invalid_spec`` as ``props_interface``.
    """
    expected = _columns(spec)
    columns = list(result.get("columns") or [])
    _check_columns(expected, columns)
    keys = [c.key for c in expected]
    rows = [_row(keys, columns, raw, n) for n, raw in enumerate(result.get("rows") or [], start=1)]
    dimensions = [{"key": c.key, "label": c.label} for c in expected if c.key != "value"]
    return {"title": spec["title"], "metric": spec["metric"], "dimensions": dimensions, "rows": rows,
            "truncated": bool(result.get("truncated"))}


def check_result_columns(*, spec: dict[str, Any], columns: list[str]) -> None:
    """Raise ResultShapeMismatch unless ``columns`` (as a statement's prepare names them) fit the
    widget's Row in number, order and name (see ``_columns`` for the spellings accepted)."""
    _check_columns(_columns(spec), [c for c in columns if not is_key_column(c)])  # keys are folded at fetch


def widget_props_or_reason(*, spec: dict[str, Any], result: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """Return ``(props, "")``; ``(None, "")`` when there is no result yet; ``(None, why)`` when the
    stored result does not fit the widget (for an API that must render whatever is stored)."""
    if not result or "columns" not in result:
        return None, ""
    try:
        return widget_props(spec=spec, result=result), ""
    except ApplicationError as exc:
        return None, exc.message


def _normalised(name: Any) -> str:
    """Return a column name compared case-blind, any run of other characters as one "_" (the offline
    SQL generator names the "customer segment" column customer_segment)."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def _check_columns(expected: list[_Column], columns: list[Any]) -> None:
    """Raise ResultShapeMismatch, naming expected and actual columns, unless ``columns`` fit the Row."""
    got = ", ".join(map(str, columns)) or "none"
    wanted = ", ".join(c.name for c in expected)
    if len(columns) != len(expected):
        raise ResultShapeMismatch(
            f"The query returned {len(columns)} column(s) ({got}) but this custom widget needs "
            f"{len(expected)}, in this order: {wanted}."
        )
    for n, (column, want) in enumerate(zip(columns, expected), start=1):
        if _normalised(column) not in want.accepted:
            raise ResultShapeMismatch(
                f"The query's column {n} is {str(column)!r} where this custom widget needs {want.name!r}: it returned "
                f"({got}) but needs, in this order, ({wanted})."
            )


def _row(keys: list[str], columns: list[Any], raw: list[Any], n: int) -> dict[str, Any]:
    if len(raw) != len(keys):
        raise ResultShapeMismatch(f"Row {n} of the result has {len(raw)} values, not {len(keys)}.")
    row: dict[str, Any] = {}
    for key, column, value in zip(keys, columns, raw):
        if key == "value":
            row[key] = _number(value, column=column, n=n)
        elif key == "period":
            row[key] = "" if value is None else str(value)
        else:
            row[key] = None if value is None else str(value)
    return row


def _number(value: Any, *, column: Any, n: int) -> float | int | None:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise ResultShapeMismatch(f"Row {n}'s value column ({column}) holds {value!r}, not a number.")


@dataclass(frozen=True)
class ComponentInput:
    spec: dict[str, Any]
    request_text: str
    ends_at: float | None = None  # time.monotonic() by which the whole step must be done

    @property
    def props_ts(self) -> str:
        return props_interface(self.spec)


def _build(inputs: ComponentInput) -> Prompt:
    return Prompt(context={"props_ts": inputs.props_ts, "rules": RULES},
                  prompt={"spec": inputs.spec, "request": inputs.request_text})


def _compiled(payload: dict[str, Any], inputs: ComponentInput) -> GeneratedTsx:
    """Return the answer's component (fences and prose around it removed) with its compiled script.

    Raises:
        InvalidAnswer: no source, or the checker's errors (its TsxRejected as the error).
        TsxCheckerUnavailable: the checker could not run.
    """
    tsx = payload.get("tsx")
    if not isinstance(tsx, str) or not tsx.strip():
        raise InvalidAnswer("The answer has no component source in tsx.")
    tsx = unfence(tsx, starts=_CODE_STARTS, continues=_CODE_CONTINUES)
    left = None if inputs.ends_at is None else inputs.ends_at - time.monotonic()
    try:
        compiled = tsx_compile(tsx=tsx, props_ts=inputs.props_ts, timeout_s=left)
    except TsxRejected as exc:
        last = ApplicationError(ErrorCode.TSX_REJECTED, f"The model's component did not compile, also after "
                                f"corrections: {exc.message}", {"errors": exc.errors})
        raise InvalidAnswer(exc.message, error=last) from exc
    return GeneratedTsx(tsx=tsx, js=compiled.js)


# How a component's source begins, once fences and prose are stripped.
_CODE_STARTS = ("function", "const", "let", "var", "type", "interface", "//", "/*", "export", "import")
_CODE_CONTINUES = ("return", "if", "else", "for", "while", "switch", "case", "default", "class", "async", "await",
                   "}", ")", "<", "{")

COMPONENT = LLMStep[ComponentInput, GeneratedTsx](
    name="component", purpose=Purpose.TSX_CODEGEN, tool=TSX_TOOL, system=SYSTEM, build=_build, parse=_compiled,
    error_code=ErrorCode.TSX_REJECTED, offline=custom_offline.answer, max_tokens=8192,
)
