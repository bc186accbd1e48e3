"""`manage.py run_sql`: the check and the box a widget uses, from the shell."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import CommandError, call_command

from sql_gen.models import DataSource
from tests.conftest import TEST_WAREHOUSE_CLAIMS


def run_sql(*args: str, **options: Any) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("run_sql", *args, stdout=out, **options)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_it_prints_the_rows_of_the_default_source_as_a_table(demo_source: DataSource) -> None:
    code, out = run_sql("SELECT COUNT(*) AS n FROM claims")
    assert code == 0
    assert out.splitlines() == ["n", "-----", str(TEST_WAREHOUSE_CLAIMS), "(1 row)"]


def test_it_says_when_the_rows_were_truncated_at_the_row_cap(demo_source: DataSource) -> None:
    DataSource.objects.filter(id=demo_source.id).update(row_cap=3)
    code, out = run_sql("SELECT claim_id FROM claims ORDER BY claim_id")
    assert code == 0
    assert out.splitlines()[-1] == "(3 rows; truncated: the query has more rows than the row cap of 3)"


def test_json_gives_one_object_with_the_rows(demo_source: DataSource) -> None:
    code, out = run_sql("SELECT status, COUNT(*) AS n FROM claims GROUP BY 1 ORDER BY 1", json=True)
    body = json.loads(out)
    assert code == 0
    assert body["ok"] is True and body["error"] is None and body["truncated"] is False
    assert body["columns"] == ["status", "n"] and sum(n for _, n in body["rows"]) == TEST_WAREHOUSE_CLAIMS


@pytest.mark.parametrize("as_json", [False, True])
def test_a_statement_the_check_refuses_exits_1_with_the_reason(demo_source: DataSource, as_json: bool) -> None:
    code, out = run_sql("DELETE FROM claims", json=as_json)
    assert code == 1
    if as_json:
        body = json.loads(out)
        assert body["ok"] is False and body["error"]["code"] == "sql_rejected" and "DELETE" in body["error"]["message"]
    else:
        assert out.startswith("REFUSED: ") and "DELETE" in out


def test_a_statement_the_database_rejects_exits_1(demo_source: DataSource) -> None:
    code, out = run_sql("SELECT no_such_column FROM claims")
    assert code == 1 and out.startswith("FAILED: The database rejected the query") and "no_such_column" in out


@pytest.mark.slow
@pytest.mark.parametrize("as_json", [False, True])
def test_a_statement_stopped_at_a_limit_exits_1_naming_the_limit(demo_source: DataSource, as_json: bool) -> None:
    DataSource.objects.filter(id=demo_source.id).update(statement_timeout_s=1)
    code, out = run_sql("SELECT COUNT(*) FROM claims a, claims b, claims c", json=as_json)
    assert code == 1
    if as_json:
        error = json.loads(out)["error"]
        assert error["code"] == "query_failed" and error["extra"] == {"limit": "time", "timeout_s": 1}
    else:
        assert out.startswith("STOPPED (time limit): The query was stopped: it ran past the 1 s time limit")


def test_an_unknown_source_is_a_command_error(demo_source: DataSource) -> None:
    with pytest.raises(CommandError, match="No data source named 'nope'"):
        call_command("run_sql", "SELECT 1", source="nope")


def test_a_named_source_is_used(demo_source: DataSource) -> None:
    code, out = run_sql("SELECT COUNT(*) AS n FROM regions", source=demo_source.name)
    assert code == 0 and out.splitlines()[0] == "n"


WINDOWED = "SELECT COUNT(*) AS n FROM claims WHERE filed_date >= :window_start AND filed_date < :window_end"


def test_param_binds_the_window_of_a_statement_with_placeholders(demo_source: DataSource, warehouse: Path) -> None:
    code, out = run_sql(WINDOWED, "--param", "window_start=2025-01-01", "--param", "window_end=2025-04-01", json=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute("SELECT COUNT(*) FROM claims WHERE filed_date >= DATE '2025-01-01' "
                               "AND filed_date < DATE '2025-04-01'").fetchone()
    assert code == 0 and expected is not None and json.loads(out)["rows"] == [[expected[0]]]


def test_an_empty_or_open_param_is_an_open_bound(demo_source: DataSource) -> None:
    code, out = run_sql(WINDOWED, "--param", "window_start=", "--param", "window_end=open")
    assert code == 0 and out.splitlines()[2] == str(TEST_WAREHOUSE_CLAIMS)


def test_a_placeholder_without_a_param_exits_1_naming_it(demo_source: DataSource) -> None:
    code, out = run_sql(WINDOWED, "--param", "window_start=2025-01-01")
    assert code == 1 and out.startswith("FAILED: The query needs a value for :window_end")


@pytest.mark.parametrize("param", ["since=2025-01-01", "window_start", "window_start=1st of May"])
def test_a_param_that_is_not_a_placeholder_and_a_date_is_a_command_error(demo_source: DataSource, param: str) -> None:
    with pytest.raises(CommandError, match="--param"):
        call_command("run_sql", WINDOWED, "--param", param, stdout=io.StringIO())
