"""The command-line twin and the demo seed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.llm.models import LLMCall
from sql_gen.models import DictionaryColumn, MetricDefinition
from widgets.models import Dashboard, Widget

pytestmark = pytest.mark.django_db


def _generate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        call_command("generate_widget", *args)
    return exited.value.code, capsys.readouterr().out


def test_a_clear_prompt_prints_the_widget_and_exits_0(demo_source, analyst, capsys):
    code, out = _generate(capsys, "claim count by channel over the last 30 days", "--user", "ana")
    assert code == 0
    assert "Request #" in out and ": ready" in out
    assert "SELECT" in out and "channel | claim_count" in out
    assert Widget.objects.get().dashboard.name == "CLI widgets"


def test_an_ambiguous_prompt_prints_the_questions_and_exits_2(demo_source, analyst, capsys):
    code, out = _generate(capsys, "show me the numbers by channel", "--user", "ana")
    assert code == 2
    assert "Which measure" in out and "Claim count" in out
    assert not Widget.objects.exists()


def test_answers_resolve_the_questions_in_order(demo_source, analyst, capsys):
    code, out = _generate(capsys, "something useful for the last 7 days", "--answer", "Open claims",
                          "--user", "ana", "--dashboard", "Ops", "--json")
    body = json.loads(out)
    assert code == 0 and body["status"] == "ready"
    assert body["widget"]["spec"]["metric"]["key"] == "open_claims"
    assert body["widget"]["spec"]["time_window"] == {"kind": "rolling", "n": 7, "unit": "day"}
    assert body["widget"]["interpretation"]["metrics"] == ["open_claims"]
    assert Dashboard.objects.get(name="Ops").widgets.count() == 1


def test_a_failure_prints_the_reason_and_exits_1(demo_source, analyst, capsys, settings, tmp_path: Path):
    settings.WAREHOUSE_PATH = tmp_path / "missing.duckdb"
    code, out = _generate(capsys, "total paid last 7 days", "--user", "ana")
    assert code == 1 and "query_failed" in out


def test_an_empty_prompt_is_a_command_error(demo_source, analyst):
    with pytest.raises(CommandError, match="Describe the widget"):
        call_command("generate_widget", "   ", "--user", "ana")


def test_an_unknown_user_is_a_command_error(demo_source):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("generate_widget", "claims", "--user", "nobody")


def _state(warehouse: Path) -> dict[str, Any]:
    User = get_user_model()
    return {
        "users": sorted(User.objects.values_list("username", "password", "is_staff")),
        "columns": DictionaryColumn.objects.count(),
        "metrics": sorted(MetricDefinition.objects.values_list("key", "expression")),
        "dashboards": sorted(Dashboard.objects.values_list("name", flat=True)),
        "warehouse": warehouse.stat().st_mtime_ns,
    }


def test_seeding_twice_changes_nothing_and_prints_the_same_logins(llm_routing, settings, tmp_path, capsys):
    settings.WAREHOUSE_PATH = tmp_path / "warehouse.duckdb"
    call_command("seed_demo", "--claims", "2000")
    first_out, first = capsys.readouterr().out, _state(settings.WAREHOUSE_PATH)
    call_command("seed_demo", "--claims", "2000")
    second_out, second = capsys.readouterr().out, _state(settings.WAREHOUSE_PATH)
    assert first == second
    logins = json.loads((Path(settings.VAR_DIR) / "demo-logins.json").read_text())
    for username, password in logins.items():
        assert f"{username:8} {password}" in first_out and f"{username:8} {password}" in second_out
        assert get_user_model().objects.get(username=username).check_password(password)
    assert get_user_model().objects.get(username="admin").is_staff
    assert not get_user_model().objects.get(username="analyst").is_staff
    assert "Warehouse up to date" in second_out


def test_seeding_keeps_an_admins_edit(llm_routing, settings, tmp_path):
    settings.WAREHOUSE_PATH = tmp_path / "warehouse.duckdb"
    call_command("seed_demo", "--claims", "2000")
    MetricDefinition.objects.filter(key="total_paid").update(name="Paid losses")
    call_command("seed_demo", "--claims", "2000")
    assert MetricDefinition.objects.get(key="total_paid").name == "Paid losses"


def test_the_cli_records_its_llm_calls_against_the_request(demo_source, analyst, capsys):
    _generate(capsys, "total paid last 7 days", "--user", "ana")
    assert LLMCall.objects.filter(widget_request_id=Widget.objects.get().request_id).count() == 3
