"""The TSX checker: the real TypeScript compiler in Node, through ``tsx_compile``.

The checker is warm (one Node process for the test process, see test_tsx_warm.py): after the first
check, each takes a fraction of a second. The list of forbidden constructs is still marked slow.
"""
from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from tests.conftest import service_missing
from widgets.services.custom import props_interface
from widgets.services.tsx import (
    CHECK_TIME_S,
    MAX_TSX_CHARS,
    CompiledTsx,
    TsxCheckerUnavailable,
    TsxRejected,
    tsx_checker_available,
    tsx_compile,
)
from widgets.services.tsx_checker import CheckerFailure

# What production checks against: the Props the pipeline generates for a small spec.
SPEC = {"kind": "custom", "title": "Claims by region", "metric": {"key": "claim_count"}, "dimensions": ["region"],
        "grain": None}
PROPS_TS = props_interface(SPEC)

GOOD_TSX = """\
function Widget(props: Props) {
  const dim = props.dimensions[0];
  const top = props.rows.slice(0, 5);
  return (
    <div className="custom">
      <h3>{props.title}</h3>
      <ul>
        {top.map((row, i) => (
          <li key={i}>{dim ? dim.label : ""} {row.region ?? "unknown"}: {String(row.value)}</li>
        ))}
      </ul>
    </div>
  );
}
"""


@pytest.fixture(autouse=True)
def _checker() -> None:
    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")


def widget(body: str) -> str:
    """A component whose body is ``body`` followed by a trivial return."""
    return f"function Widget(props: Props) {{\n  {body}\n  return <div>{{props.title}}</div>;\n}}\n"


def tag(jsx: str) -> str:
    """A component that renders ``jsx`` inside a div."""
    return f"function Widget(props: Props) {{\n  return <div>{{props.title}}{jsx}</div>;\n}}\n"


def run_js(js: str, props: dict[str, Any]) -> str:
    """Evaluate the compiled script in Node with a stub React and return the JSON of what Widget renders."""
    program = f"""
const React = {{ createElement: (type, attrs, ...children) => ({{ type, attrs, children }}) }};
{js}
process.stdout.write(JSON.stringify(Widget({json.dumps(props)})));
"""
    return subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True, timeout=30).stdout


def test_a_good_component_compiles_to_a_script_that_defines_widget() -> None:
    compiled = tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)

    assert isinstance(compiled, CompiledTsx)
    assert "interface" not in compiled.js and "Props" not in compiled.js  # the types are gone
    assert "React.createElement" in compiled.js
    props = {"title": "By region", "metric": {"key": "n", "name": "N", "unit": "count"},
             "dimensions": [{"key": "region", "label": "Region"}],
             "rows": [{"region": "West", "value": 3}], "truncated": False}
    rendered = run_js(compiled.js, props)
    assert '"By region"' in rendered and '"West"' in rendered


def test_a_type_error_is_rejected_with_its_line_in_the_component() -> None:
    tsx = "function Widget(props: Props) {\n  const x: number = props.title;\n  return <p>{x}</p>;\n}\n"

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert caught.value.code == "tsx_rejected"
    assert caught.value.errors == ["line 2: Type 'string' is not assignable to type 'number'."]
    assert caught.value.message.startswith("The component did not pass the TypeScript check: line 2: ")


def test_a_syntax_error_is_rejected_with_its_line() -> None:
    tsx = "function Widget(props: Props) {\n  return <div>{props.title</div>;\n}\n"

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert caught.value.errors[0].startswith("line 2: ")


@pytest.mark.slow
def test_an_unknown_property_of_a_row_is_a_type_error() -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=widget("const n = props.rows[0]?.nope;"), props_ts=PROPS_TS)

    assert caught.value.errors == ["line 2: Property 'nope' does not exist on type 'Row'."]


@pytest.mark.parametrize(
    ("tsx", "expected"),
    [
        ('import x from "react";\n' + GOOD_TSX, "line 1: imports are not allowed"),
        (GOOD_TSX.replace("function Widget", "export function Widget"), "line 1: exports are not allowed"),
        (widget('const fs = require("fs");'), "line 2: 'require' is not allowed"),
        (widget('fetch("/api/dashboards/");'), "line 2: 'fetch' is not allowed"),
        (widget("const w = window.innerWidth;"), "line 2: 'window' is not allowed"),
        (widget("const c = document.cookie;"), "line 2: 'document' is not allowed"),
        (widget('const v = eval("1 + 1");'), "line 2: 'eval' is not allowed"),
        (widget('const f = new Function("return 1");'), "line 2: 'Function' is not allowed"),
        (widget('const f = props.title.constructor;'), "line 2: '.constructor' is not allowed"),
        (widget("setTimeout(() => undefined, 10);"), "line 2: 'setTimeout' is not allowed"),
        ("function Widget(props: Props) {\n  return <a href=\"https://x.test\">{props.title}</a>;\n}\n",
         "line 2: <a> is not allowed"),
        (GOOD_TSX.replace("function Widget", "function Chart"), "Define a component named Widget that takes props: Props"),
        (GOOD_TSX.replace("(props: Props)", "(props: any)"), "Define a component named Widget that takes props: Props"),
        (widget("const pc = new RTCPeerConnection();"), "line 2: 'RTCPeerConnection' is not allowed"),
        (widget("const pc = new webkitRTCPeerConnection({});"), "line 2: 'webkitRTCPeerConnection' is not allowed"),
        (widget('const t = new WebTransport("https://x.test");'), "line 2: 'WebTransport' is not allowed"),
        (widget('open("https://x.test");'), "line 2: 'open' is not allowed"),
        (widget("requestAnimationFrame(() => undefined);"), "line 2: 'requestAnimationFrame' is not allowed"),
        (tag("<input defaultValue={props.title} />"), "line 2: <input> is not allowed: a widget shows data and does"),
        (tag("<textarea />"), "line 2: <textarea> is not allowed: a widget shows data"),
        (tag("<select><option>a</option></select>"), "line 2: <select> is not allowed: a widget shows data"),
        (tag("<select><option>a</option></select>"), "line 2: <option> is not allowed: a widget shows data"),
        (tag("<button>Log in again</button>"), "line 2: <button> is not allowed: a widget shows data"),
        (tag('<svg><image href="https://x.test/p.png" /></svg>'), "line 2: <image> is not allowed: a widget cannot"),
        (tag('<svg><use href="https://x.test/s.svg#a" /></svg>'), "line 2: <use> is not allowed"),
        (tag("<svg><foreignObject /></svg>"), "line 2: <foreignObject> is not allowed"),
        (tag('{React.createElement("iframe", { src: "https://x.test" })}'),
         'line 2: React.createElement("iframe") is not allowed: a widget cannot link, embed or load anything'),
        (tag('{React.createElement("input")}'), 'line 2: React.createElement("input") is not allowed'),
    ],
    ids=["import", "export", "require", "fetch", "window", "document-cookie", "eval", "new-Function",
         "constructor", "setTimeout", "link", "no-Widget", "untyped-props", "RTCPeerConnection",
         "webkitRTCPeerConnection", "WebTransport", "window-open", "requestAnimationFrame", "input", "textarea",
         "select", "option", "button", "svg-image", "svg-use", "svg-foreignObject", "createElement-iframe",
         "createElement-input"],
)
@pytest.mark.slow
def test_a_forbidden_construct_is_rejected_with_a_reason(tsx: str, expected: str) -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors


ANY_REFUSED = "the type 'any' is not allowed"
SPREAD_REFUSED = "JSX spread attributes ('{...x}') are not allowed"


@pytest.mark.parametrize(
    ("tsx", "expected"),
    [
        # `any` switches the type check off for what it reaches: computed keys into props, and more.
        (widget('const p: any = props;\n  const k = p["constr" + "uctor"];'), f"line 2: {ANY_REFUSED}"),
        (widget('const k = (props as any)["constr" + "uctor"];'), f"line 2: {ANY_REFUSED}"),
        (widget("const xs: any[] = props.rows;"), f"line 2: {ANY_REFUSED}"),
        (widget("const [v] = React.useState<any>(props);"), f"line 2: {ANY_REFUSED}"),
        (widget("const m = new Map<string, Array<any>>();"), f"line 2: {ANY_REFUSED}"),
        (widget("function pick(o: any): string { return String(o); }"), f"line 2: {ANY_REFUSED}"),
        (widget("type Loose = { [k: string]: any };"), f"line 2: {ANY_REFUSED}"),
        # A spread passes attributes nobody wrote out, so no rule sees them.
        (tag('<div {...{ dangerouslySetInnerHTML: { __html: "<b>x</b>" } }} />'), f"line 2: {SPREAD_REFUSED}"),
        (tag("<span {...props.rows[0]} />"), f"line 2: {SPREAD_REFUSED}"),
        (widget('const attrs = { title: "t" };\n  const e = <svg {...attrs}><rect {...{}} /></svg>;'),
         f"line 3: {SPREAD_REFUSED}"),
    ],
    ids=["annotation", "as-any", "any-array", "type-argument", "nested-type-argument", "parameter-and-return",
         "index-signature", "spread-literal", "spread-props", "spread-svg-and-empty"],
)
def test_explicit_any_and_jsx_spread_attributes_are_refused_with_a_reason(tsx: str, expected: str) -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors


def test_object_spreads_and_unknown_are_still_allowed() -> None:
    """Only the JSX spread *attribute* and the type any are refused: spreads inside values, and unknown
    narrowed by typeof, are what ordinary components write."""
    body = ('const base = { padding: 4 };\n  const u: unknown = props.rows[0]?.value;\n'
            '  const n = typeof u === "number" ? u : 0;\n  const all = [...props.rows];\n'
            '  const e = <span style={{ ...base, color: "#111" }}>{n}{all.length}</span>;')

    assert tsx_compile(tsx=widget(body), props_ts=PROPS_TS).js


@pytest.mark.slow
def test_local_names_and_property_names_that_match_forbidden_globals_are_allowed() -> None:
    body = "const top = props.rows.length; const o = { location: top, window: 1 }; const t = o.location + o.window;"

    compiled = tsx_compile(tsx=widget(body), props_ts=PROPS_TS)

    assert "const top = props.rows.length" in compiled.js


def test_an_oversized_component_is_rejected_before_node_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_node(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("node should not run")

    monkeypatch.setattr("widgets.services.tsx.warm_checker", no_node)
    with pytest.raises(TsxRejected, match=f"limit is {MAX_TSX_CHARS}"):
        tsx_compile(tsx=GOOD_TSX + " " * MAX_TSX_CHARS, props_ts=PROPS_TS)


def test_a_missing_node_makes_the_checker_unavailable(settings: Any) -> None:
    settings.NODE_BINARY = "/nonexistent/bin/node"

    assert "Node.js not found" in (tsx_checker_available() or "")
    with pytest.raises(TsxCheckerUnavailable) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)
    assert caught.value.code == "tsx_unavailable"


def test_missing_node_modules_tell_how_to_install_them(settings: Any, tmp_path: Any) -> None:
    settings.BASE_DIR = tmp_path

    with pytest.raises(TsxCheckerUnavailable, match=r"node_modules/typescript is missing\. Run `make setup`"):
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)


@pytest.mark.parametrize(
    "directive",
    ['/// <reference path="/etc/passwd" />', '/// <reference types="node" />', '/// <reference lib="es2022" />'],
    ids=["path", "types", "lib"],
)
@pytest.mark.slow
def test_a_triple_slash_reference_is_rejected_before_the_compiler_reads_the_file(directive: str) -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=f"{directive}\n{GOOD_TSX}", props_ts=PROPS_TS)

    assert caught.value.errors == [
        "line 1: '/// <reference ...>' directives are not allowed: React is the global React, nothing else can be loaded"
    ]


def test_a_reference_in_the_first_line_of_the_whole_script_is_rejected_too() -> None:
    """Directives act only at the top of a file: with an empty props_ts the tsx is the top."""
    props_and_widget = '/// <reference path="/etc/hostname" />\n' + PROPS_TS + GOOD_TSX

    with pytest.raises(TsxRejected, match="directives are not allowed"):
        tsx_compile(tsx=props_and_widget, props_ts="")


class _FailingChecker:
    def __init__(self, failure: CheckerFailure) -> None:
        self.failure = failure

    def check(self, **kwargs: Any) -> None:
        raise self.failure


@pytest.mark.parametrize(
    ("failure", "error", "expected", "retryable"),
    [
        (CheckerFailure("time", "past its deadline"), TsxRejected,
         "The type check took too long (over 3 s); simplify the component's types.", None),
        (CheckerFailure("memory", "heap out of memory"), TsxRejected,
         "The component's types are too complex to check (the checker ran out of its 512 MB); simplify them.", None),
        (CheckerFailure("crash", "TypeError: x is undefined"), TsxCheckerUnavailable,
         "Custom widgets cannot be checked: the TypeScript checker crashed on this component.", False),
        (CheckerFailure("unavailable", "the TypeScript checker stopped answering and was restarted", retryable=True),
         TsxCheckerUnavailable,
         "Custom widgets cannot be checked: the TypeScript checker stopped answering and was restarted.", True),
        (CheckerFailure("unavailable", "the TypeScript checker could not start: no typescript (exit status 1)"),
         TsxCheckerUnavailable,
         "Custom widgets cannot be checked: the TypeScript checker could not start: no typescript (exit status 1).",
         False),
    ],
    ids=["deadline", "memory", "crash", "hung", "cannot-start"],
)
def test_a_check_without_a_verdict_is_a_rejection_only_when_the_component_caused_it(
    monkeypatch: pytest.MonkeyPatch, failure: CheckerFailure, error: type, expected: str, retryable: bool | None
) -> None:
    """Past the deadline or the heap cap the model can simplify its types; the rest is the checker's."""
    monkeypatch.setattr("widgets.services.tsx.warm_checker", lambda config: _FailingChecker(failure))

    with pytest.raises(error) as caught:
        tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)

    if error is TsxRejected:
        assert caught.value.errors == [expected]
    else:
        assert caught.value.message == expected and caught.value.retryable is retryable


def test_the_checker_output_is_read_as_utf8_whatever_the_locale() -> None:
    compiled = tsx_compile(tsx=widget('const label = "Région — 5 € 📈";'), props_ts=PROPS_TS)

    assert 'const label = "Région — 5 € 📈";' in compiled.js


# --- Tightened: directives, one source text, type-level programming, nesting ---------------------------------

@pytest.mark.parametrize(
    "tsx",
    [
        "/** @jsx h */\n" + GOOD_TSX,
        "/* @jsx h */ " + GOOD_TSX,
        "// @jsx h\n" + GOOD_TSX,
        "/*@JSX h*/\n" + GOOD_TSX,
        "/**\n * A leaderboard.\n * @jsxFrag Fragment\n */\n" + GOOD_TSX,
        "/** @jsxImportSource preact */\n" + GOOD_TSX,
        "// @jsxRuntime automatic\n" + GOOD_TSX,
        GOOD_TSX + "/* @jsx h */\n",
        tag("{/* @jsx h */}"),
        widget("const note = `@jsx h`;"),
    ],
    ids=["jsdoc", "block", "line", "upper-case", "jsxFrag-in-jsdoc", "jsxImportSource", "jsxRuntime", "at-the-end",
         "jsx-comment", "in-a-string"],
)
def test_a_jsx_pragma_is_refused_in_any_comment_form(tsx: str) -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert any("JSX pragmas ('@jsx…' comments) are not allowed" in e for e in caught.value.errors), caught.value.errors


def test_a_jsx_pragma_is_refused_where_it_would_start_the_whole_script_too() -> None:
    """With an empty props_ts the tsx is the top of the one source text, where TypeScript reads pragmas."""
    with pytest.raises(TsxRejected, match=r"line 1: JSX pragmas"):
        tsx_compile(tsx="/** @jsx h */\n" + PROPS_TS + GOOD_TSX, props_ts="")


@pytest.mark.parametrize(
    "directive", ["// @ts-ignore", "// @ts-expect-error", "// @ts-nocheck", "/* @ts-ignore */"],
    ids=["ts-ignore", "ts-expect-error", "ts-nocheck", "ts-ignore-block"],
)
@pytest.mark.slow
def test_a_directive_that_silences_the_type_check_is_refused(directive: str) -> None:
    tsx = f"{directive}\nfunction Widget(props: Props) {{\n  const x: number = props.title;\n  return <p>{{x}}</p>;\n}}\n"

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert caught.value.errors[0].startswith("line 1: '@ts-ignore', '@ts-expect-error' and '@ts-nocheck' are not")


def test_the_shipped_script_is_what_the_checked_program_emits() -> None:
    """One source text under one set of options: a construct whose output depends on the whole program (a
    declared const enum is inlined from its declaration) runs as it was checked, in strict mode."""
    tsx = ("declare const enum Shade { Light = 3, Dark = 7 }\n"
           "function Widget(props: Props) {\n  return <div>{props.title}{Shade.Dark}</div>;\n}\n")

    compiled = tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert compiled.js.startswith('"use strict";\n')
    assert "Shade" not in compiled.js  # a transpiler on the tsx alone would ship `Shade.Dark`: undefined at run time
    rendered = json.loads(run_js(compiled.js, {"title": "T"}))
    assert rendered["children"] == ["T", 7]


RECURSIVE_TYPE_BOMB = """\
type Exp<T, N extends unknown[]> = N extends [unknown, ...infer R] ? Exp<T | [T], R> | Exp<{ a: T }, R> : T;
type Boom = Exp<0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]>;
declare const boom: Boom;
const text: string = boom;
"""


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (RECURSIVE_TYPE_BOMB, "line 1: conditional types ('A extends B ? C : D') are not allowed"),
        ("type D = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;\ntype U = `${D}${D}${D}${D}`;\n",
         "line 2: template literal types are not allowed"),
        ("type Copy<T> = { [K in keyof T]: T[K] };\n", "line 1: mapped types ('{ [K in …]: … }') are not allowed"),
    ],
    ids=["recursive-conditional", "template-literal", "mapped"],
)
def test_type_level_programming_is_refused_before_the_type_check_runs(types: str, expected: str) -> None:
    """The recursive bomb kept the old checker busy for minutes (and 2 GB); refused, it costs a parse."""
    tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)  # the checker started and warm: what is timed is the check
    started = time.monotonic()
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=types + GOOD_TSX, props_ts=PROPS_TS)

    assert caught.value.errors[0].startswith(expected), caught.value.errors
    assert time.monotonic() - started < CHECK_TIME_S / 2  # no deadline was needed: warm, this takes ~0.1 s


def union_cross_product(unions: int, members: int, assignments: int) -> str:
    """Types of the attack review's finding 4: ``unions`` unions of ``members`` object types, intersected
    (the checker expands that to members ** unions), and ``assignments`` values of the intersection."""
    names = "ABCDEFGH"[:unions]
    tsx = "".join(f"type {n} = " + "|".join(f"{{{n.lower()}:{i}}}" for i in range(members)) + ";\n" for n in names)
    tsx += f"type I = {' & '.join(names)};\n"
    fields = lambda k: ",".join(f"{n.lower()}:{k % members}" for n in names)  # noqa: E731
    return tsx + "".join(f"const v{k}: I = {{{fields(k)}}};\n" for k in range(assignments))


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        # 1,152 characters that held the warm checker for its whole 10 s deadline (59,049 members).
        (union_cross_product(5, 9, 20), "line 6: this intersection expands to 59049 members"),
        (union_cross_product(2, 11, 1), "line 3: this intersection expands to 121 members"),
        ("type Big = " + " | ".join(f'"k{i}"' for i in range(201)) + ";\n", "line 1: this union has 201 members"),
        # Counted through aliases and parentheses, wherever the union or intersection is written.
        ("type A = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;\ntype W = { v: (A | A) & ({ a: 0 } | A) };\n",
         "line 2: this intersection expands to 264 members"),
    ],
    ids=["reviewer-1kb", "just-over", "wide-union", "through-aliases"],
)
def test_large_unions_and_intersections_of_unions_are_refused_before_the_type_check(types: str, expected: str) -> None:
    tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)  # warm
    started = time.monotonic()
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=types + GOOD_TSX, props_ts=PROPS_TS)

    assert caught.value.errors[0].startswith(expected), caught.value.errors
    assert time.monotonic() - started < CHECK_TIME_S / 2


def test_unions_within_the_bounds_still_check() -> None:
    types = union_cross_product(2, 10, 20) + "type Wide = " + " | ".join(f'"k{i}"' for i in range(200)) + ";\n"
    assert tsx_compile(tsx=types + GOOD_TSX, props_ts=PROPS_TS).js


def test_a_refused_type_bomb_does_not_delay_a_check_made_meanwhile() -> None:
    """The reviewer's 1 KB component made a benign check in another thread wait 11.7 s (0.07 s alone)."""
    import threading

    tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)  # warm
    outcome: dict[str, Any] = {}

    def hostile() -> None:
        try:
            tsx_compile(tsx=union_cross_product(5, 9, 20) + GOOD_TSX, props_ts=PROPS_TS)
        except TsxRejected as rejected:
            outcome["hostile"] = rejected.errors[0]

    thread = threading.Thread(target=hostile)
    thread.start()
    time.sleep(0.02)
    started = time.monotonic()
    tsx_compile(tsx=GOOD_TSX, props_ts=PROPS_TS)
    benign_s = time.monotonic() - started
    thread.join(30)

    assert "expands to 59049 members" in outcome["hostile"]
    assert benign_s < CHECK_TIME_S / 2, benign_s


def test_a_component_nested_deeper_than_the_limit_is_refused_before_the_type_check() -> None:
    """2,000 nested array literals kept the type checker busy past 10 s; 201 levels are refused at once."""
    tsx = widget("const n = " + "[" * 300 + "1" + "]" * 300 + ";")

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert caught.value.errors == ["line 2: the component nests more than 200 levels deep; flatten its expressions "
                                   "and types"]


def test_a_component_nested_too_deeply_to_parse_is_refused_with_a_reason() -> None:
    """Deep enough, the parser itself runs out of stack: that is a rejection too, not a crash."""
    tsx = widget("const n = " + "(" * 9000 + "1" + ")" * 9000 + ";")

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert len(caught.value.errors) == 1 and "nest" in caught.value.errors[0], caught.value.errors


@pytest.mark.parametrize(
    "body",
    [
        '<iframe src="https://x.example/" />',  # an element the sandbox renderer drops
        '<a href="https://x.example/">x</a>',  # a navigating element
        '<div onClick={(e) => { const w = e.view; return w; }}>x</div>',  # events are plain data, no window
        '<div style={{ backgroundImage: "url(https://x.example/)" }} ref={(n) => n}>x</div>',  # no DOM refs
    ],
)
@pytest.mark.slow
def test_the_checker_types_jsx_as_the_sandbox_renders_it_so_what_it_would_drop_is_refused(body: str) -> None:
    with pytest.raises(TsxRejected):
        tsx_compile(tsx=f"function Widget(props: Props) {{\n  return {body};\n}}\n", props_ts=PROPS_TS)


def test_the_checker_has_no_dom_globals_to_offer() -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx="function Widget(props: Props) {\n  const n = document.title;\n  return <p>{n}</p>;\n}\n",
                    props_ts=PROPS_TS)
    assert "document" in caught.value.message
