"""eval_prompts checks an admin's labels against the dictionary before running anything: a wrong label would
otherwise be graded as the pipeline's mistake, and its widget as silently wrong."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from widgets.models import WidgetRequest

GOOD = {"id": "a1", "category": "plain", "prompt": "total paid last month",
        "expect": {"outcome": "widget", "kind": "kpi", "metrics": ["total_paid"], "dimensions": [], "filters": [],
                   "window": {"start": "2026-10-01", "end": "2026-11-01"}, "compare": None, "grain": None,
                   "ranking": None}}


def _file(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _with(**expect: object) -> dict:
    return GOOD | {"expect": GOOD["expect"] | expect}


@pytest.mark.django_db
def test_check_only_reads_the_labels_and_runs_no_prompt(demo_source, tmp_path):
    out = StringIO()
    call_command("eval_prompts", str(_file(tmp_path, GOOD)), "--check", stdout=out)
    assert "1 labelled prompts: the labels fit the dictionary" in out.getvalue()
    assert not WidgetRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "said"), [
    (GOOD | {"category": "misc"}, "unknown category 'misc'"),
    (_with(metrics=["nps"]), "unknown metric 'nps'"),
    (_with(dimensions=["claims.colour"]), "unknown dimension 'claims.colour'"),
    (_with(filters=[{"dimension": "regions.name", "op": "like", "values": ["West"]}]), "a filter is"),
    (_with(window={"start": "2026-10-01"}), "window is {start, end}"),
    (_with(compare={"kind": "last_year"}), "compare is null or"),
    (_with(ranking={"direction": "best", "n": 3}), "ranking is null or"),
    (_with(chart="radar"), "unknown chart 'radar'"),
    (_with(sort={"by": "paid", "direction": "desc"}), "sort is null (the default order) or"),
    (_with(sort={"by": "total_paid", "direction": "down"}), "sort is null (the default order) or"),
    ({**GOOD, "expect": {k: v for k, v in GOOD["expect"].items() if k != "filters"}}, "a widget label always has filters"),
    (GOOD | {"expect": {"outcome": "refuse"}}, "a refusal names what is missing"),
])
def test_a_label_that_does_not_fit_the_dictionary_is_refused_with_its_id_and_why(demo_source, tmp_path, row, said):
    with pytest.raises(CommandError) as raised:
        call_command("eval_prompts", str(_file(tmp_path, GOOD | {"id": "ok"}, row)), "--check")
    assert f"a1: {said}" in str(raised.value)
    assert "ok:" not in str(raised.value)


@pytest.mark.django_db
@pytest.mark.parametrize(("line", "said"), [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    (json.dumps(GOOD | {"prompt": "x" * 2001}), "at most 2000 characters"),
    (json.dumps(GOOD | {"prompt": "total\u0000paid"}), "without NUL"),
    (json.dumps(GOOD | {"expect": "widget"}), "expect is an object"),
    (json.dumps(GOOD | {"id": None, "prompt": None}), "id and prompt are text"),
    (json.dumps(GOOD | {"answers": "last month"}), "answers is a list of text"),
    (json.dumps(GOOD | {"id": "ok"}), "the id 'ok' is used twice"),
])
def test_a_hostile_line_is_refused_with_its_number_before_any_prompt_runs(demo_source, tmp_path, line, said):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD | {"id": "ok"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("eval_prompts", str(path))
    assert "bad.jsonl:2: " in str(raised.value) and said in str(raised.value)
    assert not WidgetRequest.objects.exists()
