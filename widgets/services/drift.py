"""A stored widget against the dictionary as it is now, at every refresh: it still means what it says, or it
is written again, or it says it is out of date. Never a wrong number shown as if right.

A widget keeps its spec and the statement written for it. Admins go on editing the dictionary: a value is
renamed or gone from the data ("Auto"), a computed dimension's expression changes (claim-size bands), a
metric's expression, default filters or time column changes. The stored statement would still run, and show
a 0 or the old meaning under a Live badge. So before each run (``widget_statement_current``):

- each value a filter names must still be a value of its dimension, when the dimension's values are all known
  (an indexed column, a computed dimension's labels), and each metric and dimension must still be defined;
  otherwise the widget is out of date, with what changed and what to do (``OutOfDate``);
- the statement must still compute what its spec asks over the dictionary as it is now (``sql_conforms``: the
  check a model's answer passes, re-run against a slice built afresh). One that does not is written again by the
  deterministic writer from the spec, with no model call, and accepted only as a model's answer would be (the
  checks, the engine's prepare, a custom widget's columns); it is stored in place of the old one, and the result
  says so. When it cannot be written, the widget is out of date. The companions (sparkline, totals, earlier
  values) are checked and written again alike.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from backend.errors import ApplicationError, ErrorCode
from sql_gen.models import DataSource, MetricDefinition
from sql_gen.selectors import allowed_tables, complete_values, source_metrics
from sql_gen.services.generate import SqlInput, sql_conforms, sql_write_offline
from sql_gen.services.safety import CheckedSql, SqlRejected, sql_check
from sql_gen.services.synonyms import listed
from widgets.models import Widget
from widgets.services.companions import companions_write
from widgets.services.custom import check_result_columns
from widgets.services.others import others_stale, others_windows

log = logging.getLogger(__name__)
_REBUILD = "Edit the widget or build it again."


class OutOfDate(ApplicationError):
    """The widget no longer means what the dictionary says, and cannot be written again to mean it."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.OUT_OF_DATE, message)


@dataclass(frozen=True)
class Current:
    """The widget's statement as it runs now and, when it was written again, the note that says so and the
    check's reason the old one failed. The widget's ``sql`` and ``companions`` are brought up to date with it."""

    checked: CheckedSql
    rewritten: str = ""
    reason: str = ""


def widget_statement_current(*, widget: Widget, source: DataSource, today: dt.date) -> Current:
    """Return the widget's statement checked against the dictionary as it is now, written again (and stored)
    when it no longer computes what its spec asks, with its companions likewise.

    Raises:
        OutOfDate: a filter value, a metric or a dimension is gone, or the statement no longer conforms and cannot
            be written again; the message says what changed and what to do.
        SqlRejected: ``sql_check`` refuses the stored statement (a table no longer in the dictionary).
    """
    spec = widget.spec or {}
    checked = sql_check(sql=widget.sql, dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                        row_cap=source.row_cap)
    if not isinstance(spec.get("metric"), dict) or not spec["metric"].get("key"):
        return Current(checked=checked)  # a spec of another shape names nothing to check against the dictionary
    metrics = _metrics(spec, source)
    _check_values(spec, source)
    inputs = _inputs(spec, metrics, source)
    try:
        sql_conforms(inputs=inputs, sql=checked.uncapped)
    except SqlRejected as refused:
        return _written_again(widget, source, inputs, metrics, today, refused.message)
    _companions_current(widget, source, metrics, today)
    return Current(checked=checked)


def statement_conforms(*, spec: dict[str, Any], sql: str, source: DataSource) -> bool:
    """Tell whether a checked statement (its uncapped text) still computes what ``spec`` asks over the
    dictionary as it is now: a refinement reuses a stored statement only then. A spec that names no metric
    has nothing to be checked against, and keeps its statement."""
    if not isinstance(spec.get("metric"), dict) or not spec["metric"].get("key"):
        return True
    try:
        sql_conforms(inputs=_inputs(spec, _metrics(spec, source), source), sql=sql)
    except (OutOfDate, SqlRejected):
        return False
    return True


def _metrics(spec: dict[str, Any], source: DataSource) -> list[MetricDefinition]:
    refs = [spec.get("metric") or {}, *(spec.get("extra_metrics") or [])]
    found = source_metrics(source=source, keys=[r.get("key", "") for r in refs])
    for ref in refs:
        if ref.get("key") not in found:
            raise OutOfDate(f"The metric {ref.get('name') or ref.get('key')!r} is no longer defined in the "
                            f"dictionary. {_REBUILD}")
    return [found[r["key"]] for r in refs]


def _check_values(spec: dict[str, Any], source: DataSource) -> None:
    """Refuse a spec that groups or filters by a dimension no longer defined, or filters on a value its dimension
    no longer holds (when its values are all known): the filter would keep no row, or not the rows it says."""
    known, labels = complete_values(source=source), spec.get("labels") or {}
    filters = [f for f in spec.get("filters") or [] if f.get("op", "in") in ("in", "not_in")]
    for key in [*(spec.get("dimensions") or []), *(f["dimension"] for f in filters)]:
        if key not in known:
            raise OutOfDate(f"{labels.get(key, key)} is no longer a dimension in the dictionary. {_REBUILD}")
    for flt in filters:
        values = known[flt["dimension"]]
        gone = [str(v) for v in flt.get("values") or [] if values is not None and str(v) not in values]
        if gone:
            label = labels.get(flt["dimension"], flt["dimension"])
            said = " and ".join(", ".join(gone).rsplit(", ", 1))
            effect = "would keep no row" if len(gone) == len(flt["values"]) and flt.get("op", "in") == "in" \
                else "would not mean what it says"
            raise OutOfDate(f"{said} {'is' if len(gone) == 1 else 'are'} no longer {'a value' if len(gone) == 1 else 'values'} "
                            f"of {label} (renamed, or gone from the data): the widget's filter {effect}. The values of "
                            f"{label} now: {listed(values or [])}. {_REBUILD}")


def _inputs(spec: dict[str, Any], metrics: list[MetricDefinition], source: DataSource) -> SqlInput:
    def fits(columns: list[str]) -> None:
        check_result_columns(spec=spec, columns=columns)

    return SqlInput(metric=metrics[0], extra_metrics=tuple(metrics[1:]), spec=spec, source=source,
                    check_columns=fits if spec.get("kind") == "custom" else None)


def _written_again(widget: Widget, source: DataSource, inputs: SqlInput, metrics: list[MetricDefinition],
                   today: dt.date, why: str) -> Current:
    """Write the statement again from the spec, store it in place of the old one (unless another run did
    already), and return it; raise OutOfDate when it cannot be written."""
    uses = _uses(inputs.spec, metrics)
    try:
        written = sql_write_offline(inputs)
    except ApplicationError as exc:
        raise OutOfDate(f"The dictionary changed since this widget's query was written: it no longer matches a "
                        f"definition it uses ({uses}; {why}), and it could not be written again: {exc.message} "
                        f"{_REBUILD}") from exc
    companions = companions_write(spec=inputs.spec, metrics={m.key: m for m in metrics}, source=source, today=today)
    Widget.objects.filter(id=widget.id, sql=widget.sql).update(sql=written.uncapped, companions=companions)
    log.info("widget %s: its query was written again for the dictionary as it is now (%s)", widget.id, why)
    widget.sql, widget.companions = written.uncapped, companions
    checked = sql_check(sql=written.uncapped, dialect=source.dialect, allowed_tables=allowed_tables(source=source),
                        row_cap=source.row_cap)
    return Current(checked=checked, reason=why,
                   rewritten=f"Its query was written again: a definition it uses ({uses}) changed in the dictionary "
                             "since it was built, and the figures follow the definitions as they are now.")


def _uses(spec: dict[str, Any], metrics: list[MetricDefinition]) -> str:
    """Return what the widget uses from the dictionary, in words: "Claim count, claim size"."""
    labels = spec.get("labels") or {}
    keys = [*(spec.get("dimensions") or []), *(f.get("dimension") for f in spec.get("filters") or [])]
    names = list(dict.fromkeys([*(m.name for m in metrics), *(labels.get(k, k) for k in keys if k)]))
    return ", ".join(names)


def _companions_current(widget: Widget, source: DataSource, metrics: list[MetricDefinition], today: dt.date) -> None:
    """Write the widget's companions again (and store them) when one no longer computes what its spec asks over
    the dictionary as it is now. A companion that cannot be checked is left as it is: its own run says why."""
    stored = widget.companions or {}
    by_key = {m.key: m for m in metrics}
    if others_stale(companions=stored, spec=widget.spec or {}, metrics=by_key):
        log.info("widget %s: its 'all others' queries are written again for the dictionary as it is now", widget.id)
        _store_companions(widget, companions_write(spec=widget.spec, metrics=by_key, source=source, today=today))
        return
    for name, companion in stored.items():
        if not isinstance(companion, dict) or not companion.get("sql") or not isinstance(companion.get("spec"), dict):
            continue
        try:
            derived = companion["spec"]
            keys = [derived["metric"]["key"], *(m["key"] for m in derived.get("extra_metrics") or [])]
            inputs = SqlInput(metric=by_key[keys[0]], extra_metrics=tuple(by_key[k] for k in keys[1:]), spec=derived,
                              source=source, windows=others_windows(derived))
            checked = sql_check(sql=companion["sql"], dialect=source.dialect,
                                allowed_tables=allowed_tables(source=source), row_cap=source.row_cap)
        except (ApplicationError, KeyError, TypeError):
            continue  # refused or of another shape: its own run says why
        try:
            sql_conforms(inputs=inputs, sql=checked.uncapped)
        except SqlRejected as refused:
            log.info("widget %s: its %s query is written again (%s)", widget.id, name, refused.message)
            _store_companions(widget, companions_write(spec=widget.spec, metrics=by_key, source=source, today=today))
            return


def _store_companions(widget: Widget, fresh: dict[str, dict[str, Any]]) -> None:
    Widget.objects.filter(id=widget.id).update(companions=fresh)
    widget.companions = fresh
