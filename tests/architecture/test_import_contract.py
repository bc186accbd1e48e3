"""The gateway's front door holds: apps import ``backend.llm.api`` and nothing else of the gateway.

``make test`` runs ``lint-imports`` on the real tree; this test proves the contract can fail, on a copy
of the code with one deliberate import of gateway internals.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for package in ("backend", "widgets", "sql_gen"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_real_tree_keeps_the_contract() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize("line", [
    "from backend.llm.chain import run_chain",
    "from backend.llm import gateway",
    "import backend.llm.models",
])
def test_an_app_importing_gateway_internals_breaks_it(tree_copy: Path, line: str) -> None:
    (tree_copy / "widgets" / "services" / "sneaky.py").write_text(f"{line}\n")
    done = _lint(tree_copy)
    assert done.returncode != 0 and "BROKEN" in done.stdout, done.stdout + done.stderr
    assert "widgets.services.sneaky" in done.stdout
