"""The labelled prompt set through the real pipeline (offline model, small real warehouse).

- The frozen test half must reach the goal (95 % of prompts right in every labelled field), with no
  silently wrong widget (a wrong one must say what it did not apply).
- So must each frozen holdout, written blind after the sets before it had been read while debugging. Their
  failures are reported as counts per category only, never as prompts, so that nobody tunes on them.
- For at least 30 ready widgets, the figures shown equal those of SQL written here, independently of
  the generator, from the labels alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from widgets.services.evaluate import Case, Report, case_run, cases_read, evaluate, grade

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.once]

PROMPTS = Path(__file__).parent / "prompts"
TODAY = "2026-11-18"  # the date the labels assume (tests/widgets/prompts/README.md)
GOAL = 0.95  # the goal for the frozen half
# The level the offline parser has reached on the frozen half (see the notes). Until it reaches GOAL,
# this is what the test holds it to, so that no change makes it worse; raise it as the parser improves.
FLOOR = 0.98  # 122/124 (98.4 %) on 2026-12-03, after its failures were read (see prompts/README.md)
# The same for each holdout, measured blind right after its labels were committed, then read to write new
# tuning families (so no longer blind): holdout.jsonl 86/90 (95.6 %, 3 silently wrong) on 0438978, then
# 90/90 once the reader was tuned on dev3.jsonl; holdout2.jsonl 70/72 (1 silently wrong) on 7ecc307, then
# 72/72 once tuned on dev4.jsonl; holdout3.jsonl 67/72 (2 silently wrong) on 8277f19, then 72/72 once one label
# was fixed and the reader tuned on dev5.jsonl; holdout4.jsonl 71/72 (1 silently wrong, a label, fixed) on 3134e3b;
# holdout5.jsonl 69/72 (none silently wrong) on 31b547a, then 72/72 once tuned on dev7.jsonl.
HOLDOUT_FLOORS = {"holdout.jsonl": 0.98, "holdout2.jsonl": 0.98, "holdout3.jsonl": 0.98, "holdout4.jsonl": 0.98,
                  "holdout5.jsonl": 0.98, "holdout6.jsonl": 0.95}

# The demo metrics, written out here from their definitions (not read from the generator).
_METRICS = {
    "claim_count": ("claims", "COUNT(*)", "filed_date", ""),
    "distinct_claimants": ("claims", "COUNT(DISTINCT b.customer_id)", "filed_date", ""),
    "total_paid": ("claims", "SUM(b.paid_amount)", "closed_date", "b.status = 'closed'"),
    "total_claimed": ("claims", "SUM(b.claimed_amount)", "filed_date", ""),
    "avg_settlement_days": ("claims", "AVG(b.settlement_days)", "closed_date", "b.status = 'closed'"),
    "open_claims": ("claims", "COUNT(*)", "filed_date", "b.status IN ('open', 'under_review')"),
}
_JOINS = {  # dimension table → join from claims
    "regions": "JOIN regions d_regions ON d_regions.region_id = b.region_id",
    "products": "JOIN products d_products ON d_products.product_id = b.product_id",
    "channels": "JOIN channels d_channels ON d_channels.channel_id = b.channel_id",
    "adjusters": "JOIN adjusters d_adjusters ON d_adjusters.adjuster_id = b.adjuster_id",
    "customers": "JOIN customers d_customers ON d_customers.customer_id = b.customer_id",
}
_SIZE = ("CASE WHEN b.claimed_amount < 5000 THEN 'Small' WHEN b.claimed_amount < 25000 THEN 'Medium' "
         "WHEN b.claimed_amount < 100000 THEN 'Large' ELSE 'Very large' END")


def _column(key: str) -> str:
    table, column = key.split(".")
    if key == "claims.claim_size":
        return _SIZE
    return f"b.{column}" if table == "claims" else f"d_{table}.{column}"


def _independent(expect: dict[str, Any], metric: str) -> str | None:
    """Return the SQL of the groups and the figure of one labelled metric, straight from its definition."""
    if metric not in _METRICS:
        return None
    table, formula, time_column, default = _METRICS[metric]
    where = [default] if default else []
    window = expect["window"]
    if window["start"]:
        where.append(f"b.{time_column} >= DATE '{window['start']}'")
    if window["end"]:
        where.append(f"b.{time_column} < DATE '{window['end']}'")
    tables = {k.split(".")[0] for k in expect["dimensions"]} | {f["dimension"].split(".")[0] for f in expect["filters"]}
    for flt in expect["filters"]:
        if flt["op"] in ("in", "not_in"):
            values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in flt["values"])
            where.append(f"{_column(flt['dimension'])} {'NOT IN' if flt['op'] == 'not_in' else 'IN'} ({values})")
        else:
            where.append(f"{_column(flt['dimension'])} {flt['op']} {flt['values'][0]}")
    groups = [_column(k) for k in expect["dimensions"]]
    if expect.get("grain"):
        groups.insert(0, f"CAST(DATE_TRUNC('{expect['grain']}', b.{time_column}) AS DATE)")
    # A name several adjusters share is several people: grouped by the person, compared by the name shown.
    people = ["d_adjusters.adjuster_id"] if "adjusters.full_name" in expect["dimensions"] else []
    select = ", ".join([*groups, *people, formula])
    sql = f"SELECT {select} FROM {table} b " + " ".join(_JOINS[t] for t in sorted(tables - {"claims"}))
    if where:
        sql += " WHERE " + " AND ".join(where)
    if groups:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(groups) + len(people)))
    return sql


def test_the_frozen_half_reaches_the_goal_with_no_silently_wrong_widget(demo_source, warehouse):
    report = evaluate(cases_read(PROMPTS / "test.jsonl"), today=TODAY)
    failures = "\n".join(f"{f['id']} {f['prompt']!r}: {f['wrong']}" for f in report.as_json()["failures"])
    assert report.accuracy >= min(GOAL, FLOOR), f"{report.accuracy:.1%} < {min(GOAL, FLOOR):.0%}:\n{failures}"
    assert not report.silently_wrong()


def _counts(report: Report) -> str:
    """Return the failures per category, without the prompts (the holdout must stay unread)."""
    return ", ".join(f"{name} {total - right}" for name, (right, total) in report.by_category().items() if right < total)


@pytest.mark.parametrize("name", sorted(HOLDOUT_FLOORS))
def test_each_holdout_holds_its_floor_with_no_silently_wrong_widget(demo_source, warehouse, name):
    report = evaluate(cases_read(PROMPTS / name), today=TODAY)
    floor = min(GOAL, HOLDOUT_FLOORS[name])
    assert report.accuracy >= floor, f"{report.accuracy:.1%} < {floor:.0%}; failures per category: {_counts(report)}"
    assert not report.silently_wrong(), f"{len(report.silently_wrong())} silently wrong"


def test_ready_widgets_show_the_figures_sql_written_here_computes(demo_source, warehouse):
    checked = 0
    cases = [c for c in cases_read(PROMPTS / "tune.jsonl") + cases_read(PROMPTS / "test.jsonl")
             if c.expect["outcome"] == "widget" and not c.expect.get("compare") and not c.expect.get("ranking")
             and len(c.expect["metrics"]) == 1 and c.expect["metrics"][0] in _METRICS]
    for case in cases:
        got = case_run(case, today=TODAY)
        if not grade(case, got).right:
            continue  # a misread prompt is the other test's failure
        _check_figures(case, got, warehouse)
        checked += 1
        if checked >= 40:
            break
    assert checked >= 30, f"only {checked} ready widgets could be checked"


def _check_figures(case: Case, got: dict[str, Any], warehouse: Path) -> None:
    from widgets.models import Widget

    widget = Widget.objects.filter(request__prompt=" ".join(case.prompt.split())).order_by("-id").first()
    assert widget is not None
    built = _independent(case.expect, case.expect["metrics"][0])
    assert built is not None
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(built).fetchall()
    # Compared as lists, not dicts: two people of one name are two rows on both sides ("John White (#53)" and
    # "John White (#107)" on the widget, each cut to its first ten characters, as dates are).
    width = len(case.expect["dimensions"]) + bool(case.expect.get("grain"))
    expected = sorted((tuple(str(v)[:10] for v in row[:width]), float(row[-1] or 0)) for row in rows)
    shown = sorted((tuple(str(v)[:10] for v in row[:-1]), float(row[-1] or 0)) for row in widget.result["rows"])
    keys = {key for key, _ in expected}
    shown = [(k, v) for k, v in shown if v or k in keys]  # buckets filled with zero
    assert [k for k, _ in shown] == [k for k, _ in expected], (case.id, case.prompt)
    assert [v for _, v in shown] == pytest.approx([v for _, v in expected]), (case.id, case.prompt)
