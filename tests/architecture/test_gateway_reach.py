"""What import-linter cannot see: ways an app could reach the gateway's internals without importing them.

The import graph only knows ``import`` statements. An attribute path through ``backend.llm.api``'s own
package, a module named in a string, the app registry or a function's ``__globals__`` would all bypass
it; this reads the apps' source for those shapes.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("widgets", "sql_gen")


def reaches(source: str) -> list[str]:
    """Return a description of each place in ``source`` that reaches gateway internals past its front door."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted and dotted.startswith("backend.llm.") and not dotted.startswith("backend.llm.api"):
                found.append(f"line {node.lineno}: attribute path {dotted}")
            if node.attr == "__globals__":
                found.append(f"line {node.lineno}: __globals__")
        if isinstance(node, ast.Call):
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            name = _dotted(node.func) or ""
            if name.endswith("import_module") and any(s.startswith("backend.llm") and s != "backend.llm.api"
                                                      for s in strings):
                found.append(f"line {node.lineno}: import_module({strings[0]!r})")
            if name.endswith("get_model") and strings[:1] == ["llm"]:
                found.append(f"line {node.lineno}: get_model('llm', ...)")
    return found


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def test_no_app_reaches_gateway_internals() -> None:
    found = {str(path.relative_to(ROOT)): hits for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
             if (hits := reaches(path.read_text()))}
    assert found == {}


SNEAKY = {
    "attribute": "import backend.llm.api\n\n\ndef calls():\n    return backend.llm.models.LLMCall.objects.all()\n",
    "re-export": "from backend.llm.api import get_llm\n\nrun_chain = get_llm.__globals__['run_chain']\n",
    "string": "import importlib\n\nchain = importlib.import_module('backend.llm.chain')\n",
    "app registry": "from django.apps import apps\n\nLLMCall = apps.get_model('llm', 'LLMCall')\n",
}


@pytest.mark.parametrize("name", list(SNEAKY))
def test_each_way_around_the_import_contract_is_found(name: str) -> None:
    assert reaches(SNEAKY[name]), name


def test_the_front_door_itself_is_fine() -> None:
    assert reaches("import backend.llm.api\n\nget = backend.llm.api.get_llm\n") == []
