"""The TSX checker: the real TypeScript compiler in Node, through ``tsx_compile``.

Each check starts Node and the compiler (a few seconds on a small machine), so the list of
forbidden constructs is marked slow; one of them, a good component, a type error and a syntax
error run in `make test-fast`.
"""
from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.conftest import service_missing
from widgets.services.tsx import (
    MAX_TSX_CHARS,
    CompiledTsx,
    TsxCheckerUnavailable,
    TsxRejected,
    tsx_checker_available,
    tsx_compile,
)

PROPS_TS = """\
interface Props {
  title: string;
  metric: { key: string; name: string; unit: string };
  dimensions: { key: string; label: string }[];
  rows: { [key: string]: string | number | null }[];
  truncated: boolean;
}
"""

GOOD_TSX = """\
function Widget(props: Props) {
  const dim = props.dimensions[0];
  const top = props.rows.slice(0, 5);
  return (
    <div className="custom">
      <h3>{props.title}</h3>
      <ul>
        {top.map((row, i) => (
          <li key={i}>{dim ? String(row[dim.key]) : ""}: {String(row.value)}</li>
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
    strict_props = PROPS_TS.replace("{ [key: string]: string | number | null }[]", "{ value: number | null }[]")

    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=widget("const n = props.rows[0].nope;"), props_ts=strict_props)

    assert caught.value.errors == ["line 2: Property 'nope' does not exist on type '{ value: number | null; }'."]


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
    ],
    ids=["import", "export", "require", "fetch", "window", "document-cookie", "eval", "new-Function",
         "constructor", "setTimeout", "link", "no-Widget", "untyped-props"],
)
@pytest.mark.slow
def test_a_forbidden_construct_is_rejected_with_a_reason(tsx: str, expected: str) -> None:
    with pytest.raises(TsxRejected) as caught:
        tsx_compile(tsx=tsx, props_ts=PROPS_TS)

    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors


@pytest.mark.slow
def test_local_names_and_property_names_that_match_forbidden_globals_are_allowed() -> None:
    body = "const top = props.rows.length; const o = { location: top, window: 1 }; const t = o.location + o.window;"

    compiled = tsx_compile(tsx=widget(body), props_ts=PROPS_TS)

    assert "const top = props.rows.length" in compiled.js


def test_an_oversized_component_is_rejected_before_node_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_node(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("node should not run")

    monkeypatch.setattr(subprocess, "run", no_node)
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
