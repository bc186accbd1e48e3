"""The labelled corpus: every statement in ``corpus/{dialect}.jsonl`` gets the verdict it is labelled with.

Each line is ``{"sql", "allowed_tables", "ok", "why"}``. Accepted statements must come back
normalized and stable (checking the output again gives the same SQL); rejected ones must fail
with ``SqlRejected``, never another exception.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from sql_gen.services.safety import SqlRejected, sql_check

CORPUS = Path(__file__).parent / "corpus"
DIALECTS = ("duckdb", "sqlite", "postgres")
MIN_PER_DIALECT = 200
ROW_CAP = 1000


def load(dialect: str) -> list[dict[str, Any]]:
    lines = (CORPUS / f"{dialect}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def cases() -> list[Any]:
    return [
        pytest.param(dialect, item, id=f"{dialect}-{number}-{'ok' if item['ok'] else 'bad'}-{item['why'][:40]}")
        for dialect in DIALECTS
        for number, item in enumerate(load(dialect), start=1)
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_corpus_has_enough_accepted_and_rejected_statements(dialect: str) -> None:
    items = load(dialect)
    accepted = sum(item["ok"] for item in items)
    assert len(items) >= MIN_PER_DIALECT
    assert accepted >= 80 and len(items) - accepted >= 120
    assert all(item["why"] for item in items)


@pytest.mark.parametrize(("dialect", "item"), cases())
def test_the_checker_gives_the_labelled_verdict(dialect: str, item: dict[str, Any]) -> None:
    check = lambda sql: sql_check(sql=sql, dialect=dialect, allowed_tables=item["allowed_tables"], row_cap=ROW_CAP)  # noqa: E731
    if item["ok"]:
        checked = check(item["sql"])
        assert check(checked.sql).sql == checked.sql
        assert "LIMIT" in checked.sql.upper() or "FETCH" in checked.sql.upper()
    else:
        with pytest.raises(SqlRejected) as caught:
            check(item["sql"])
        assert caught.value.message


def test_check_sql_jsonl_reproduces_the_labels_of_a_corpus_file() -> None:
    out = io.StringIO()
    call_command("check_sql", jsonl=CORPUS / "sqlite.jsonl", dialect="sqlite", stdout=out)
    verdicts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [v["ok"] for v in verdicts] == [item["ok"] for item in load("sqlite")]
    assert all(v["reason"] for v in verdicts if not v["ok"])
