"""Offline refinement: a follow-up's words plus the widget's current spec → a ``record_spec_change`` payload.

The words are read by the offline clarifier's own reader (``clarifier_offline.Reader``) as if the current
metric had been named with them, so it never asks "Which measure?" of a widget that has one, and an
unknown word in a value's place ("only texas") is still refused. What the reading finds becomes the change:
a chart kind, a grain, a window or comparison, filters (negated ones as ``not_in``), a ranking, a metric
added ("add", "also", "with") or swapped, a dimension added ("split by region") or swapped ("instead"). A
few things a new request never says are read here first: "undo that", renames, and removals ("remove
the region filter", "all products", "no comparison", "not split").
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from backend.llm.api import OfflineQuery
from backend.text import clipped
from sql_gen.services.vocabulary import CLOSE_SCORE, Outcome, vocabulary_for
from widgets.services.clarifier_offline import Reader
from widgets.services.offline_dates import read_time
from widgets.services.offline_words import AS_BEFORE, CHARTS, CUSTOM, OTHERS_ROW, QUALIFIER, clean, fix_time_typos
from widgets.services.reader.text import row_sort
from widgets.services.windows import DEFAULT_WINDOW_SAID

UNDO = re.compile(r"^\W*(?:please\s+)?(?:undo|revert|go back|put it back|take (?:that|it) back|back to (?:how it was|"
                  r"before|the previous(?: version)?))(?:\s+(?:that|this|it|the last change|last change|please))*\W*$",
                  re.IGNORECASE)
RENAME = re.compile(r"^\W*(?:please\s+)?(?:rename(?: it| this| the widget)?|call it|title it|retitle(?: it)?|name it|"
                    r"change the title|set the title)(?:\s+(?:to|as))?\s*[:\-]?\s*[\"“'‘]?(?P<title>.+?)[\"”'’]?\W*$",
                    re.IGNORECASE)
_ADD = re.compile(r" (?:add|also|plus|with|alongside|include|including|as well as|and) ")
_INSTEAD = re.compile(r" (?:instead|rather|switch|swap|replace|change (?:it )?to) ")
_TABLE = re.compile(r" (?:as a table|in a table|into a table|table|tabular|list|spreadsheet|grid)(?= )")
_KPI = re.compile(r" (?:as a kpi|as a number|kpi|single number|one number|just the (?:total|number)|a number)(?= )")
_COMPARE_YEAR = re.compile(r" (?:compare(?:d)?(?: it)? (?:to|with)|vs|versus|against) (?:the )?(?:same period )?"
                           r"(?:last|previous|prior) year | year over year | yoy ")
_COMPARE_PERIOD = re.compile(r" (?:compare(?:d)?(?: it)? (?:to|with)|vs|versus|against) (?:the )?(?:previous|prior|"
                             r"last) period | period over period ")
_NO_COMPARE = re.compile(r" (?:no|without(?: the)?|remove(?: the)?|drop(?: the)?) comparison ")
_NO_RANK = re.compile(r" (?:all of them|show all|every one|no ranking|remove the ranking|drop the ranking|"
                      r"not just the top|unranked) ")
_NO_SPLIT = re.compile(r" (?:not split|no split|no breakdown|unsplit|remove the (?:split|breakdown|grouping)|"
                       r"drop the (?:split|breakdown|grouping)|just the total|in total|overall) ")
_REMOVE_FILTER = re.compile(r" (?:remove|drop|clear|without|no|take off|take out|get rid of) (?:the |any )?"
                            r"(?P<what>[a-z ]+?) filters? ")
_ALL = re.compile(r" (?:all|every|any) (?P<what>[a-z]+(?: [a-z]+)?) ")
_NO_GRAIN = re.compile(r" (?:no grain|not over time|not by (?:day|week|month|quarter|year)) ")


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return the change the follow-up in the prompt makes to the prompt's spec."""
    prompt, catalog = query.prompt, query.context
    spec = prompt["spec"]
    words = "; ".join([prompt.get("request", ""), *(a.get("answer", "") for a in prompt.get("answers", []))])
    if UNDO.match(prompt.get("request", "")):
        return {"undo": True}
    renamed = RENAME.match(prompt.get("request", ""))
    if renamed and renamed.group("title").strip():
        return {"title": clipped(renamed.group("title"), 120)}
    today = date.fromisoformat(prompt["today"]) if prompt.get("today") else date.today()
    return _Reading(catalog, spec, today, hints=prompt.get("value_hints") or {}).change(words)


class _Reading:
    def __init__(self, catalog: dict[str, Any], spec: dict[str, Any], today: date, *,
                 hints: dict[str, list[str]]) -> None:
        self.catalog, self.spec, self.today, self.hints = catalog, spec, today, hints
        self.dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
        self.metric_names = {m["key"]: m["name"] for m in catalog.get("metrics", [])}

    def change(self, words: str) -> dict[str, Any]:
        text = clean(words)
        out: dict[str, Any] = {}
        current = [self.spec["metric"]["key"], *(m["key"] for m in self.spec.get("extra_metrics") or [])]
        removals = self._removals(text, out)
        # Read as if the current metric were named too, so the reader never asks for the measure the spec has;
        # "only X" as "only in X", so that an X the data lacks is refused like "in X" would be.
        said = _blank_all(words.lower(), removals)
        said = re.sub(r"\bonly\b(?!\s+in\b)", "only in", said)
        said = AS_BEFORE.sub(" ", said)  # "same but last quarter": what stays is no value the data lacks
        read = Reader(self.catalog, self.today, hints=self.hints).read(
            f"{said}; {self.metric_names.get(current[0], current[0])}")
        self._shape(text, read, out)
        self._time(text, read, out)
        self._metrics(text, read, current, out)
        self._dimensions(text, read, out)
        out["add_filters"] = list(read.get("filters") or [])
        # A ranking is read where the time words are not: "last 12 months" is a window, not the last 12.
        untimed = read_time(QUALIFIER.sub(" ", fix_time_typos(text)), today=self.today).text
        reader = Reader(self.catalog, self.today, hints=self.hints)
        order, unordered = reader._order(untimed)  # "lowest first" orders the rows; it keeps every one of them
        ranking, _, _ = reader._ranking(unordered)
        # "alphabetical" of a widget whose breakdown the follow-up does not name: by the breakdown it has.
        out["sort"] = read.get("sort") or row_sort(order, current, list(self.spec.get("dimensions") or []),
                                                   reader._first_metric("settlement"))
        if ranking and not ranking.get("every"):
            out["ranking"] = {"direction": ranking["direction"], "n": ranking["n"]}
        # "add the rest as others": the ranking's row; "top 10 instead" keeps the row the widget has.
        ranked, kept = out.get("ranking") or self.spec.get("ranking"), (self.spec.get("ranking") or {}).get("others")
        if ranked and (OTHERS_ROW.search(untimed) or (kept and "ranking" in out)):
            out["ranking"] = {"direction": ranked["direction"], "n": ranked["n"], "others": True}
        if _NO_RANK.search(text):
            out["clear_ranking"] = True
        out["questions"] = self._questions(read, out)
        out["missing"] = [m for m in read["missing"] if m.get("kind") in ("value", "dimension")]
        out["assumptions"] = [a for a in read["assumptions"] if not a.startswith(DEFAULT_WINDOW_SAID)]
        return {k: v for k, v in out.items() if v not in (None, [], False)}

    def _shape(self, text: str, read: dict[str, Any], out: dict[str, Any]) -> None:
        for name, pattern in CHARTS:
            if pattern.search(text) and read.get("chart_type") == name:
                out["chart_type"] = name
                return
        if CUSTOM.search(text):
            out["kind"], out["visual"] = "custom", f"As the analyst asked: {text.strip()}"[:500]
        elif _TABLE.search(text):
            out["kind"] = "table"
        elif _KPI.search(text):
            out["kind"] = "kpi"

    def _time(self, text: str, read: dict[str, Any], out: dict[str, Any]) -> None:
        if read.get("grain"):
            out["grain"] = read["grain"]
        if _NO_GRAIN.search(text):
            out["clear_grain"] = True
        # "vs last year" alone compares the widget's window: the reader's default window is not a change.
        defaulted = any(a.startswith(DEFAULT_WINDOW_SAID) for a in read.get("assumptions") or [])
        if read.get("time_window") and read["time_window"] != self.spec.get("time_window") and not defaulted:
            out["time_window"] = read["time_window"]
        if read.get("compare"):
            out["compare"] = read["compare"]
        elif _COMPARE_YEAR.search(text):
            out["compare"] = {"kind": "previous_year"}
        elif _COMPARE_PERIOD.search(text):
            out["compare"] = {"kind": "previous_period"}
        if _NO_COMPARE.search(text):
            out["clear_compare"] = True

    def _metrics(self, text: str, read: dict[str, Any], current: list[str], out: dict[str, Any]) -> None:
        named = [k for k in [read.get("metric_key"), *read.get("extra_metric_keys", [])] if k and k != current[0]]
        if _ADD.search(text) and not _INSTEAD.search(text):
            out["add_metric_keys"] = [k for k in named if k not in current][:2]
        elif named:
            out["metric_key"] = named[0]

    def _dimensions(self, text: str, read: dict[str, Any], out: dict[str, Any]) -> None:
        dims = list(self.spec.get("dimensions") or [])
        named = [d for d in read.get("dimensions") or [] if d not in dims]
        if named and _INSTEAD.search(text) and dims:
            out["remove_dimensions"] = dims[-len(named):]
        if named:
            out["add_dimensions"] = named
        if _NO_SPLIT.search(text) and dims:
            out["remove_dimensions"] = dims

    def _removals(self, text: str, out: dict[str, Any]) -> list[str]:
        """Read the filters the follow-up removes ("remove the region filter", "all products") into ``out``;
        return the phrases used, which the reader must not read again as a breakdown or a filter to add. A
        filter named by its value ("the motor filter") is the one on that value's dimension; one the widget does
        not have ("remove the west filter" of a widget with none) removes nothing, and never adds it."""
        removed, used = [], []
        filtered = {f["dimension"] for f in self.spec.get("filters") or []}
        for found in _REMOVE_FILTER.finditer(text):
            named = self._dimensions_named(found.group("what")) or self._dimensions_valued(found.group("what"), filtered)
            removed.extend(sorted(named & filtered))
            if named:
                used.append(found.group(0).strip())
        for found in _ALL.finditer(text):
            keys = self._dimensions_named(found.group("what")) & filtered
            if keys:
                removed.extend(sorted(keys))
                used.append(found.group(0).strip())
        out["remove_filters"] = list(dict.fromkeys(removed))
        return used

    def _dimensions_named(self, words: str) -> set[str]:
        """Return the dimensions ``words`` name: by label, last key part or synonym ("region"), or by table
        ("products": every dimension of the products table)."""
        wanted = _forms(words.strip())
        found = set()
        for key, dimension in self.dimensions.items():
            names = {dimension.get("label", "").lower(), key.split(".")[-1].replace("_", " "),
                     *(s.lower() for s in dimension.get("synonyms", []))}
            if wanted & {f for n in names if n for f in _forms(n)} or wanted & _forms(key.split(".")[0]):
                found.add(key)
        return found

    def _dimensions_valued(self, words: str, filtered: set[str]) -> set[str]:
        """Return the dimension whose value (or value synonym) ``words`` name ("the motor filter": Auto's product
        line): the clear one, or among close ones the one the widget filters ("auto": a product line and an
        adjuster team); none when nothing is close."""
        decision = vocabulary_for(catalog=self.catalog, values=self.hints).decide(words.strip(), kind="value")
        if decision.outcome == Outcome.USE and decision.best is not None:
            return {decision.best.key}
        close = {o.key for o in decision.options if o.score >= CLOSE_SCORE} if decision.outcome == Outcome.ASK else set()
        return (close & filtered) or close

    def _questions(self, read: dict[str, Any], out: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the reader's questions the spec does not answer already. A value two dimensions hold ("Auto":
        a product line and an adjuster team) is the one of the dimension the widget already uses."""
        used = {*(self.spec.get("dimensions") or []), *(f["dimension"] for f in self.spec.get("filters") or [])}
        labels = {d.get("label", ""): key for key, d in self.dimensions.items()}
        left = []
        for question in read.get("questions") or []:
            if question.get("id") in ("metric", "time_window"):
                continue  # the spec has its measure and its window
            placed = []
            for option in question.get("options") or []:
                found = re.match(r"^(?P<value>.+) \((?P<label>[^()]+)\)$", option)
                if found and labels.get(found.group("label")) in used:
                    placed.append((labels[found.group("label")], found.group("value")))
            if len(placed) == 1:
                out.setdefault("add_filters", []).append({"dimension": placed[0][0], "op": "in",
                                                          "values": [placed[0][1]]})
                continue
            left.append(question)
        return left


def _blank_all(text: str, phrases: list[str]) -> str:
    for phrase in phrases:
        text = re.sub(r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b", " ", text)
    return text


def _forms(words: str) -> set[str]:
    """Return the phrase as said and with its last word made singular, to match either way."""
    return {words, _singular(words)}


def _singular(words: str) -> str:
    """Return the phrase with its last word singular ("statuses" -> "status", "policies" -> "policy")."""
    if words.endswith("ies"):
        return words[:-3] + "y"
    if words.endswith(("ses", "xes", "ches", "shes")):
        return words[:-2]
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words
