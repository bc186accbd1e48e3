"""Offline intent extraction: the analyst's words (and answers) → an intent, grounded in the dictionary.

A deterministic parser, reading as a careful analyst would, in this order, each part blanking out the
words it used so that nothing is read twice: time (``offline_dates``), the widget's shape (table,
custom, chart kinds), a ranking ("top 5", "the most"), numeric filters ("over $10k", "settled in more
than 30 days"), groupings ("by region and channel", "per adjuster team"), filter values ("motor",
"in the midwest", "except storm"), then metrics. Every name is matched through the dictionary's
vocabulary (``sql_gen.services.vocabulary``): names, synonyms, descriptions and value synonyms,
tolerant of case, plurals and typos. One rule decides for metrics, dimensions and values alike:
a clear match is used (and listed as an assumption when it was not exact), several close ones make a
question, and a named thing nothing in the dictionary is close to makes a refusal that names it.

``Reader`` holds one reading's state and its order of steps; the steps themselves live in the parts of
``widgets.services.reader``, one module per concern: ``order`` (sort words, rankings, numeric filters),
``groups`` (breakdowns), ``values`` (filter values) and ``measures`` (metrics, and the question or
refusal when none is clear), with the word lists and text operations they share in ``text``.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from backend.llm.api import OfflineQuery
from sql_gen.services.vocabulary import (
    Decision,
    Outcome,
    mentions,
    vocabulary_for,
)
from widgets.services.offline_dates import WEEKDAYS, read_time
from widgets.services.offline_words import (
    CHARTS,
    CHARTY,
    COURTESY,
    CUSTOM,
    GENERIC,
    NOW,
    OTHERS_ROW,
    QUALIFIER,
    STOP,
    TABLE,
    TREND,
    claims_counted,
    clean,
    fix_time_typos,
    weeks_as_days,
)
from widgets.services.reader.groups import GroupReading
from widgets.services.reader.measures import MeasureReading
from widgets.services.reader.order import OrderReading
from widgets.services.reader.text import (
    GENERIC_MEASURE,
    MEASURE_HEADS,
    MONEY,
    SETTLE_WORDS,
    SLOT_WORDS,
    SLOW_AT,
    blank,
    cut,
    phrase_of,
    row_sort,
    within,
)
from widgets.services.reader.values import ValueReading


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_intent`` payload for the request and answers in the prompt."""
    catalog, prompt = query.context, query.prompt
    today = date.fromisoformat(prompt["today"]) if prompt.get("today") else date.today()
    hints = prompt.get("value_hints") or {}

    def reader() -> Reader:
        return Reader(catalog, today, hints=hints)

    request, answers = _chosen_in_place(reader, prompt.get("request", ""),
                                        [a.get("answer", "") for a in prompt.get("answers", [])])
    # Each answer is an item of its own: its words are not read together with the request's last ones.
    return reader().read("; ".join([request, *answers]))


def _chosen_in_place(reader: Callable[[], Reader], request: str, answers: list[str]) -> tuple[str, list[str]]:
    """Return the request with each answer that is one of a value question's options, clicked or typed, put in
    place of the words the question was about ("kevin martine", answered "Kevin Martinez"), and the answers
    left to read after it. Read beside the words it settles, a name typed in full can itself look like a
    slip for another one ("kevin martinez" and "Kevin Martin"), and the question would come back."""
    left: list[str] = []
    for said in answers:
        reading = reader()
        reading.read("; ".join([request, *left]))
        typed = next((reading.asked_about[q["id"]] for q in reading.questions
                      if q["id"] in reading.asked_about and _is_option(said, q["options"])), None)
        placed = _put_in_place(request, typed, said) if typed else None
        if placed is None:
            left.append(said)
        else:
            request = placed
    return request, left


def _is_option(said: str, options: list[str]) -> bool:
    return any(clean(said).strip() == clean(option).strip() for option in options if "(" not in option)


def _put_in_place(request: str, typed: str, said: str) -> str | None:
    pattern = r"(?<!\w)" + r"\W+".join(map(re.escape, typed.split())) + r"(?!\w)"
    found = re.search(pattern, request, flags=re.IGNORECASE)
    return None if found is None else f"{request[: found.start()]}{said.strip()}{request[found.end():]}"


_DATED_TODAY = re.compile(r" (?:filed|reported|opened|received|submitted|lodged|logged|came in|dated) (?:on |for )?today")
_OTHER_THAN = re.compile(r" other than(?= )")


class Reader(OrderReading, GroupReading, ValueReading, MeasureReading):
    """One reading of a request: state shared by the steps of ``read``."""

    def __init__(self, catalog: dict[str, Any], today: date, *, hints: dict[str, list[str]]) -> None:
        self.today = today
        self.vocabulary = vocabulary_for(catalog=catalog, values=hints)
        self.metrics = {m["key"]: m for m in catalog.get("metrics", [])}
        self.dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
        self.numbers = {n["key"]: n for n in catalog.get("numbers", [])}
        self.assumptions: list[str] = []
        self.questions: list[dict[str, Any]] = []
        self.missing: list[dict[str, Any]] = []
        self.asked_about: dict[str, str] = {}  # a value question's id → the words it is about, as read
        self._bare_count: set[str] = set()  # metrics named only by the word "claims"
        self._name_words: set[str] = set()  # words read as the start of a name, not a measure ("new mexico")
        # Stored values of more than one word ("Auto Premium", "Water Damage"), cleaned, longest first.
        names = {clean(str(v)).strip() for d in catalog.get("dimensions", [])
                 for v in [*d.get("values", []), *d.get("value_synonyms", {}), *hints.get(d["key"], [])]}
        self._long_values = sorted((n for n in names if " " in n), key=len, reverse=True)
        self._one_word_values = {n for n in names if n and " " not in n}

    # -- the reading, in order -------------------------------------------------------------------

    def read(self, words: str) -> dict[str, Any]:
        self._raw = words.lower()
        self._original = claims_counted(fix_time_typos(clean(words)))
        self._breaks = list_breaks(words, self._original)
        text = weeks_as_days(QUALIFIER.sub(" ", self._original))
        now = NOW.search(text)  # "as of today": a state as it stands, read before "today" is a window
        text = NOW.sub(lambda found: " " * len(found.group(0)), text)
        time = read_time(text, today=self.today)
        self.assumptions += time.notes
        self.questions += time.questions  # a period that does not exist ("29 feb 2025"): asked, never defaulted
        text = self._untimed = time.text
        text = COURTESY.sub(lambda found: " " * len(found.group(0)), text)
        text = _OTHER_THAN.sub(lambda found: " except".rjust(len(found.group(0))), text)  # not the cause "Other"
        custom, text = cut(CUSTOM, text)
        table = TABLE.search(text)  # kept in the text: "list products with …" names what the rows are
        chart = None
        for name, pattern in CHARTS:
            match = pattern.search(text)
            if match and not self._inside_term(text, match):
                chart, text = name, blank(text, match)
                break
        trend, text = cut(TREND, text)
        charty, text = cut(CHARTY, text)
        order, text = self._order(text)
        others, text = cut(OTHERS_ROW, text)  # "plus the rest": the groups past a ranking's n, as one row
        ranking, ranked_phrase, text = self._ranking(text)
        numeric, text = self._numeric_filters(text)
        dims, text = self._groupings(text, ranked_phrase)
        slow = ranking is not None and ranking.pop("slowness", False)
        judged = ranking is not None and ranking.pop("judged", False)
        counted = ranking is not None and ranking.pop("counted", False)
        text = self._states_said_as_verbs(text)
        named, text = self._named_values(text)
        metric_keys, text = self._metrics_beside_values(text, slow=slow)
        if counted and not metric_keys and (count := self._count_metric()):
            metric_keys = [count]  # "the most common causes": by how many claims
        if slow and set(metric_keys) <= self._bare_count:  # "the fastest teams at settling claims"
            metric_keys, text = [self._first_metric("settlement")], SETTLE_WORDS.sub(" ", text)
        elif slow and self._first_metric("settlement") in metric_keys:
            text = SLOW_AT.sub(" ", text)  # "slowest to settle": the time to settle, not settled claims
        dims, text = self._subject(text, dims)
        filters, text = self._value_filters(text, named)
        dims = self._without_one_value(dims, filters)
        dims = self._values_set_against(dims, filters, compared=time.compare is not None or chart == "scatter")
        if not metric_keys and order and order["by"] in self.metrics:
            metric_keys = [order["by"]]  # "regions sorted by paid": what the rows are ordered by is what they show
        if not metric_keys:
            metric_keys = self._fallback_metric(text)
        if not self._aggregate_lacking(metric_keys):
            self._left_over(text, metric_keys, dims)
        if ranking and not dims:
            self._nothing_to_rank(ranked_phrase, ranking)
            ranking = None
        if ranking and others:
            ranking["others"] = True
        if ranking and judged and metric_keys and not self.metrics[metric_keys[0]].get("up_is_good", True):
            ranking["direction"] = "top" if ranking["direction"] == "bottom" else "bottom"  # worst settlement: longest
        if ranking and ranking.pop("every", False):  # a superlative before plural rows: every row, ordered by it
            order = order or {"by": "", "names": False, "speed": False,
                              "direction": "asc" if ranking["direction"] == "bottom" else "desc"}
            ranking = None
        grain = time.grain  # a trend with none: the spec step picks the grain that fits the window
        widget_type = self._widget_type(custom=bool(custom), table=bool(table), chart=chart, trend=bool(trend),
                                        charty=bool(charty), dims=dims, grain=grain, metrics=metric_keys)
        return {
            "widget_type": widget_type,
            "metric_key": metric_keys[0] if metric_keys else None,
            "extra_metric_keys": metric_keys[1:3],
            "dimensions": dims[:2],
            "filters": numeric + filters,
            "time_window": self._as_it_stands(now, metric_keys, time.window),
            "compare": time.compare,
            "grain": grain,
            "chart_type": chart,
            "ranking": ranking,
            "sort": row_sort(order, metric_keys, dims[:2], self._first_metric("settlement")),
            "questions": self.questions if not self.missing else [],
            "missing": self.missing,
            "assumptions": self.assumptions,
        }


















































    def _nothing_to_rank(self, ranked: str, ranking: dict[str, Any]) -> None:
        """Refuse a ranking of single claims ("the 10 biggest claims"): a widget ranks groups (causes, regions,
        adjusters), and no dimension is one claim; ranked as nothing, the words became one total."""
        item = self._original[: self._breaks[0]] if self._breaks else self._original
        words = [w for w in ranked.split() if f" {w} " in f"{item} "]  # "top 10 instead; claim count": not its words
        if self.missing or ranking["n"] < 2 or not {"claim", "claims"} & set(words[:2]) or \
                set(words[1:2]) & GENERIC_MEASURE:  # "top 5; claim count": the measure, not the rows
            return
        closest = [c.label for c in self.vocabulary.closest("claim", n=3, kind="dimension")]
        self.missing.append({"term": "single claims", "kind": "dimension", "closest": closest})

    def _as_it_stands(self, now: re.Match[str] | None, metric_keys: list[str],
                      window: dict[str, Any] | None) -> dict[str, Any] | None:
        """Return the window read, or all time for "open claims right now" (or "open today", not "filed today"):
        every metric asked for counts a state as it stands, and the words say now. A flow said "right now" keeps
        the window read, or the default one, which says so."""
        standing = bool(metric_keys) and all(self.metrics[k].get("as_it_stands") for k in metric_keys)
        said = now.group(0).strip() if now else ""
        if standing and window == {"kind": "current", "unit": "day"} and not _DATED_TODAY.search(self._original):
            said = "today"
        if not standing or not said or (window is not None and said != "today"):
            return window
        names = " and ".join(self.metrics[k]["name"] for k in metric_keys)
        self.assumptions.append(f"Read “{said}” as {names} as they stand now, whatever their date.")
        return {"kind": "all"}

    def _left_over(self, text: str, metric_keys: list[str], dims: list[str]) -> None:
        """Refuse what the request names that the dictionary lacks; ask when it names nothing measurable.

        A word is unknown when nothing in the dictionary comes close to it. Without a metric, any unknown
        word is what was asked for ("churn", "NPS"). With one, only an unknown word in a place a value
        or a breakdown would stand ("from texas", "in canada", "by gender") is refused: other words
        (verbs, "share", "plus") are how people talk."""
        tokens = text.split()
        comparing = {tokens[i] for i in range(len(tokens) - 1) if tokens[i + 1] == "than"}  # "older than 90 days"
        # A weekday the window did not take ("for the monday meeting") says when the widget is wanted, not
        # what it measures: like the other generic words, it names nothing the data lacks.
        unknown = [w for w in tokens if w not in STOP and w not in GENERIC and w not in MONEY and len(w) > 1
                   and not w.isdigit() and w not in comparing and w.removesuffix("s") not in WEEKDAYS
                   and not self._known(w)]
        headed = [w for i, w in enumerate(tokens[:-1]) if w in unknown and w not in SLOT_WORDS
                  and self._original.find(f" {w} {tokens[i + 1]} ") >= 0 and tokens[i + 1] in MEASURE_HEADS]
        if metric_keys and headed:
            unknown, metric_keys = headed, []  # "litigation rate on liability claims": that rate is not here
        elif metric_keys and set(metric_keys) <= self._bare_count and (asked := self._measure_before_claims(unknown)):
            unknown, metric_keys = asked, []  # "fraud referrals on motor claims": the referrals are what was asked
        if metric_keys:
            slots = {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in SLOT_WORDS}
            # After a dimension's name and "of" ("the state of texas"), a value would stand.
            slots |= {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w == "of" and i > 0 and tokens[i - 1]
                      not in STOP and self.vocabulary.decide(tokens[i - 1], kind="dimension").outcome == Outcome.USE}
            slots |= {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in self._name_words}  # "new mexico payouts"
            # A name of two words in a slot ("in new mexico"): the second is in the slot too.
            slots |= {tokens[i + 2] for i, w in enumerate(tokens[:-2]) if (w in SLOT_WORDS or w in slots)
                      and tokens[i + 1] not in STOP and self._known(tokens[i + 1]) and tokens[i + 1] not in unknown}
            slots |= {tokens[i + 2] for i, w in enumerate(tokens[:-2]) if w in SLOT_WORDS and tokens[i + 1] == "the"}
            slots |= self._qualifying_claims()
            unknown = [w for w in unknown if w in slots]
        if (headed and unknown == headed) or (unknown and not metric_keys and self._only_values_asked()):
            # "combined ratio": not a loss ratio to ask about, but a measure this data lacks; and with no measure
            # named, the unknown word is the measure asked for ("nps for auto"): which value it is for is no
            # question, as the widget cannot be built either way. A question about the measure stays ("how much
            # did the pet claims come to": an amount was asked for, and "come" names nothing).
            self.questions = []
        if unknown and not self.questions:
            phrase = phrase_of(text, unknown)
            # As typed: "new york", even when "new" was read as a measure; "average claim age".
            bounds = [0, *self._breaks, len(self._untimed)]
            items = [self._untimed[a:b] for a, b in itertools.pairwise(bounds)]
            item = next((i for i in items if f" {unknown[0]} " in f" {i} "), self._untimed)  # within one list item
            said = phrase_of(item, unknown, as_typed=True)
            if within(phrase.split(), said.split()) and len(said.split()) <= len(phrase.split()) + 2:
                phrase = self._without_measures(said, phrase)
            after = {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in ("by", "per")}
            kind = "dimension" if unknown[0] in after else "value" if metric_keys else "metric"
            closest = [c.label for c in self.vocabulary.closest(phrase, n=3, kind=kind)]
            self.missing.append({"term": phrase, "kind": kind, "closest": closest})
            return
        if not metric_keys and not self.questions:
            # Only measures that break down by what the request groups by: "top causes" offers no premium.
            fits = [k for k, m in self.metrics.items() if set(dims) <= set(m.get("dimensions") or [])]
            self._ask_metric(fits or list(self.metrics))






    # -- shape ---------------------------------------------------------------------------------------

    def _widget_type(self, *, custom: bool, table: bool, chart: str | None, trend: bool, charty: bool,
                     dims: list[str], grain: str | None, metrics: list[str]) -> str:
        if custom:
            return "custom"
        if table:
            return "table"
        if chart or trend or charty or grain or dims:
            return "chart"
        if len(metrics) > 1:
            return "table"
        return "kpi"

    # -- matching helpers ----------------------------------------------------------------------------

    def _mentions(self, text: str, kind: str) -> list[Decision]:
        matcher = {"metric": self.vocabulary.match_metrics, "value": self.vocabulary.match_values}[kind]
        if not [w for w in text.split() if w not in STOP]:
            return []
        return mentions(matcher(text))  # type: ignore[operator]

    def _segment_mentions(self, text: str) -> list[Decision]:
        """Return the metric mentions of each list item on its own: a term's words are read within one
        item, so "claim count, open claims" names two measures, not "open claim count" once."""
        bounds = [0, *self._breaks, len(text)]
        out: list[Decision] = []
        for start, end in itertools.pairwise(bounds):
            out += self._mentions(" " * start + text[start:end] + " " * (len(text) - end), "metric")
        return out

    def _note_inexact(self, decision: Decision, typed: str) -> None:
        best = decision.best
        said_as_stored = best is not None and typed.casefold() == best.label.casefold()  # an option, clicked
        if best is not None and not said_as_stored and (not best.exact or best.via == "value_synonym"):
            self.assumptions.append(f"Read “{typed}” as {best.label}.")





_BREAK = re.compile(r"(?<!\d),|,(?!\d{3})|;|:(?!\d)")


def list_breaks(words: str, cleaned: str) -> list[int]:
    """Return the offsets in ``cleaned`` (``clean`` of ``words``, its words one for one) where a list item
    ends: a comma, semicolon or colon of ``words`` stood there."""
    marked = clean(_BREAK.sub(" \x00 ", words).replace("\x00", " zzbreakzz "))
    offsets = [m.start() for m in re.finditer(r"(?<= )\S", cleaned)]
    breaks, seen = [], 0
    for token in marked.split():
        if token == "zzbreakzz":
            if seen < len(offsets):
                breaks.append(offsets[seen] - 1)
        else:
            seen += 1
    return sorted(set(breaks))


















































