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
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date
from typing import Any

from backend.llm.api import OfflineQuery
from sql_gen.services.vocabulary import (
    AMBIGUITY_MARGIN,
    CLOSE_SCORE,
    Decision,
    Match,
    Outcome,
    mentions,
    vocabulary_for,
)
from sql_gen.services.vocabulary.words import canonical, word_similarity
from widgets.services.offline_dates import WEEKDAYS, read_time
from widgets.services.offline_words import (
    AMOUNT,
    BETWEEN_AMOUNTS,
    CHARTS,
    CHARTY,
    COMPARE_OPS,
    COURTESY,
    CUSTOM,
    GENERIC,
    LOW_FIRST,
    NAME_ORDER,
    QUALIFIER,
    RANK_COMMON,
    RANK_COUNTED,
    RANK_N,
    RANK_N_AFTER,
    RANK_SUPER,
    RANKED_BY,
    SORT_ALONE,
    SORT_BY,
    SORT_DIRECTION,
    SPEED,
    STOP,
    TABLE,
    TRAILING_OPS,
    TREND,
    VALUE_ORDER,
    amount,
    clean,
    fix_time_typos,
    past_forms,
    said_direction,
    says_name,
    weeks_as_days,
)

TIME_WINDOW_OPTIONS = ["Last 7 days", "Last 30 days", "Last 90 days", "Last 12 months", "All time"]
# Words that name claims, or an amount of them, without saying which measure ("claims", "totals for … claims").
_BARE_WORDS = frozenset({"claim", "claims", "total", "totals", "amount", "amounts", "value", "values", "sum", "figures"})
_TIE_MARGIN = 8.0  # two values this close to one misspelt word are a question, not a guess
_SINGLE_CLOSE = 78.0  # a lone metric candidate this close is what was meant (and is listed as an assumption)
_RUN_CLOSE = 75.0  # a dimension name of two or more words, each word typed or nearly so, with one slip ("adjustor teem")
_GENERIC_MEASURE = frozenset({"number", "numbers", "count", "counts", "total", "totals", "amount", "amounts",
                              "figure", "figures", "value", "values", "sum"})
_COORDINATED_CLAIMS = re.compile(r"\bclaims\s*(?:,|and\b|plus\b|&|vs\b)|(?:,|\band|\bplus|&)\s*(?:the )?(?:number of )?claims\b")
_MONEY_ASKED = re.compile(r" (?:value|values|amount|amounts|\$|money|sum|sums|totals|dollars|cost|how much|come to) ")
_LINKS_BEFORE = frozenset({"is", "was", "were", "are", "be", "been", "of", "has", "had", "a", "an", "the", "its",
                           "their", "with", "where", "whose", "when", "that", "which"})
_UNIT_WORDS = frozenset({"amount", "amounts", "days", "day", "value", "usd"})
_SLOW_AT = re.compile(r" (?:to |at |in )?(?:settle|settling|settlement)(?= )")
_WHICH_N = re.compile(r" (?:which|what) (?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                      r"fifteen|twenty) (?=[a-z])")
_RATIO_SAID = re.compile(r" (?:ratio|divided by|as an? (?:share|percentage|percent|proportion|fraction) of|"
                         r"relative to)(?= )")
# How a measure is taken, said before it: a metric is asked for that way only when its own words say so.
_AGGREGATES = {"average": "average", "avg": "average", "mean": "average", "median": "median",
               "typical": "median"}
_ORDER_VERBS = frozenset({"ranked", "sorted", "ordered", "listed", "show", "list"})
_VERSUS = re.compile(r" (?:vs|versus|v)\.? ")
_SLOT_WORDS = frozenset({"in", "from", "at", "by", "per", "within", "across", "for", "with"})
# A measure's head noun after an unknown word ("litigation rate", "combined ratio", "fraud score"): a measure
# the dictionary lacks, whatever else was named.
_MEASURE_HEADS = frozenset("rate rates ratio ratios score scores index level levels percentage share cost costs "
                           "spend margin margins recoveries recovery adequacy expense expenses time".split())
_MONEY = frozenset("value values amount amounts $ money sum sums totals dollars".split())
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20}
_DOWN = frozenset({"bottom", "worst", "lowest", "smallest", "fewest", "least", "shortest", "fastest", "quickest"})
_SLOWNESS = frozenset({"fastest", "quickest", "slowest", "longest", "shortest"})
# Words that judge rather than measure: which end is "worst" depends on whether up is good for the metric.
_JUDGED = frozenset({"best", "worst"})
_SETTLE_WORDS = re.compile(r" (?:settle|settled|settling|settlement|close|closed|closing|took|take|taking|days) ")
_PAID_WORDS = re.compile(r" (?:paid|payout|payouts|payment|payments|pay|paying)(?= )")
_CLAIMED_WORDS = re.compile(r" (?:claimed|claim|claims|asked|asking|amount|worth|value|requested) ")
_COLUMN_BEFORE = re.compile(r" (?:(?:that |which |where |when )?(?:we |they |it )?(?:settled|closed|took|taking|paid|"
                            r"payouts?|payments?|(?:paid|claimed) amounts?) (?:was |were |is |of )?(?:in |after )?|"
                            r"(?:to settle|settling) (?:in )?)(?= )")
_COLUMN_AFTER = re.compile(r" (?:claimed|paid|paid out|to settle|to close|to settle in)(?= )")
_SUBJECT_LEADS = [re.compile(p) for p in (
    r" (?:which|what|whose|who) ", r" (?:list|show|table|rank|ranking|compare)(?: of| me)?(?: all| every| each| the)? ",
    r" (?:of|for|across) (?:all |every |each |the )?", r" (?:every|each|all) ")]
_GROUP_LEAD = re.compile(r" (?:split by|broken down by|grouped by|group by|for each|for every|across all|across|"
                         r"by|per|each|every|vs each)(?= )")
_SHAPE_NOUN = re.compile(r" (?:breakdown|breakout|split|distribution|mix|table|chart|graph|pie|bars|columns|report)(?= )")
_NEGATION = re.compile(r" (?:except|excluding|exclude|excl|without|not|other than|besides|apart from|aside from|"
                       r"but not|minus|outside(?: of)?|barring|no|non)(?= )")


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_intent`` payload for the request and answers in the prompt."""
    catalog, prompt = query.context, query.prompt
    today = date.fromisoformat(prompt["today"]) if prompt.get("today") else date.today()
    # Each answer is an item of its own: its words are not read together with the request's last ones.
    words = "; ".join([prompt.get("request", ""), *(a.get("answer", "") for a in prompt.get("answers", []))])
    return Reader(catalog, today, hints=prompt.get("value_hints") or {}).read(words)




class Reader:
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
        self._original = fix_time_typos(clean(words))
        self._breaks = list_breaks(words, self._original)
        text = weeks_as_days(QUALIFIER.sub(" ", self._original))
        time = read_time(text, today=self.today)
        self.assumptions += time.notes
        text = self._untimed = time.text
        text = COURTESY.sub(lambda found: " " * len(found.group(0)), text)
        custom, text = _cut(CUSTOM, text)
        table = TABLE.search(text)  # kept in the text: "list products with …" names what the rows are
        chart = None
        for name, pattern in CHARTS:
            match = pattern.search(text)
            if match and not self._inside_term(text, match):
                chart, text = name, _blank(text, match)
                break
        trend, text = _cut(TREND, text)
        charty, text = _cut(CHARTY, text)
        order, text = self._order(text)
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
            metric_keys, text = [self._first_metric("settlement")], _SETTLE_WORDS.sub(" ", text)
        elif slow and self._first_metric("settlement") in metric_keys:
            text = _SLOW_AT.sub(" ", text)  # "slowest to settle": the time to settle, not settled claims
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
            ranking = None
        if ranking and judged and metric_keys and not self.metrics[metric_keys[0]].get("up_is_good", True):
            ranking["direction"] = "top" if ranking["direction"] == "bottom" else "bottom"  # worst settlement: longest
        grain = time.grain  # a trend with none: the spec step picks the grain that fits the window
        widget_type = self._widget_type(custom=bool(custom), table=bool(table), chart=chart, trend=bool(trend),
                                        charty=bool(charty), dims=dims, grain=grain, metrics=metric_keys)
        return {
            "widget_type": widget_type,
            "metric_key": metric_keys[0] if metric_keys else None,
            "extra_metric_keys": metric_keys[1:3],
            "dimensions": dims[:2],
            "filters": numeric + filters,
            "time_window": time.window,
            "compare": time.compare,
            "grain": grain,
            "chart_type": chart,
            "ranking": ranking,
            "sort": _sort(order, metric_keys, dims[:2], self._first_metric("settlement")),
            "questions": self.questions if not self.missing else [],
            "missing": self.missing,
            "assumptions": self.assumptions,
        }

    def _order(self, text: str) -> tuple[dict[str, Any] | None, str]:
        """Return the order the words give the rows, before the metrics and dimensions are known: what it is by
        (a key after "sorted by", or none yet), whether by the labels ("alphabetical"), by speed ("fastest
        first") and which way; None when no order is said. The text comes back without the order's words."""
        order: dict[str, Any] = {"by": "", "names": False, "speed": False, "direction": ""}
        found = SORT_BY.search(text)
        if found:
            text = self._sorted_by(text, found, order)
        for pattern in (SORT_ALONE, VALUE_ORDER, NAME_ORDER):
            found = pattern.search(text)
            if found and not order["direction"]:
                order.update(_direction_said(found))
                text = _blank(text, found)
        return (order if order["by"] or order["direction"] else None), text

    def _sorted_by(self, text: str, found: re.Match[str], order: dict[str, Any]) -> str:
        """Read what follows "sorted by" into ``order``: a dimension ("order by region a-z"), kept in the text for
        the breakdown to read, or a measure ("sort by paid desc"), blanked so that it is shown only to order
        the rows; with a direction said right after it. Return the text without the words used."""
        after = text[found.end():].split()[:4]
        key, used = self._dimension_at(after)
        if key is None:
            key, used = self._metric_at(after)
        if key is None:
            return text
        order["by"], order["names"] = key, key in self.dimensions
        end = named_end = _words_end(text, found.end(), used)
        if order["names"] and (name := re.match(r" +names?(?= )", text[end:])):  # "by team name": the team
            end += name.end()
        if said := SORT_DIRECTION.match(text, end):
            order["direction"] = said_direction(said.group("dir"))
            end = said.end()
        return _blank_span(text, named_end if order["names"] else found.end(), end)

    def _metric_at(self, words: list[str]) -> tuple[str | None, list[str]]:
        """Return the metric that the longest run of ``words`` (up to three) names exactly and wholly, with
        the words used; (None, []) when none does."""
        for size in range(min(3, len(words)), 0, -1):
            decision = self.vocabulary.decide(" ".join(words[:size]), kind="metric")
            best = decision.best
            if decision.outcome == Outcome.USE and best is not None and best.exact and len(best.words) == size:
                return best.key, words[:size]
        return None, []

    def _inside_term(self, text: str, found: re.Match[str]) -> bool:
        """Tell whether a chart word belongs to a dictionary term said with the word before it ("product
        lines", "business lines"): then it names a dimension, not a chart kind."""
        before = text[: found.start()].split()[-1:]
        words = found.group(0).split()
        if not before or len(words) != 1:
            return False
        decision = self.vocabulary.decide(" ".join([*before, *words]), kind="dimension")
        best = decision.best
        return decision.outcome == Outcome.USE and best is not None and best.exact and bool(set(words) & set(best.words))

    def _ranking(self, text: str) -> tuple[dict[str, Any] | None, str, str]:
        """Return the ranking ("top 5", "the 3 slowest", "which X had the most"), the words naming what is
        ranked when they follow it ("top 8 adjusters"), and the text without the ranking words."""
        found = RANK_COMMON.search(text)
        if found:  # "the most common causes": ranked by how many claims; "counted" says so when no measure is named
            n = found.group("n") or found.group("n2") or "1"
            down = (found.group("dir") or found.group("dir2")) in ("least", "rarest")
            after = " ".join(text[found.end():].split()[:3])
            return ({"direction": "bottom" if down else "top", "n": _count(n), "counted": True}, after,
                    _blank(text, found))
        found = RANK_N.search(text) or RANK_N_AFTER.search(text)
        if found:
            word = found.groupdict().get("dir") or found.group("dir_long")
            n = found.groupdict().get("n") or found.group("n_long")
            text = _blank(text, found)
            after = text[found.end():].split()[:3]
            return _ranked(word, max(1, _count(n))), " ".join(after), text
        found = RANK_COUNTED.search(text)
        if found:  # "the 15 adjusters with the most open claims", "the 6 adjusters who paid out the most"
            word = found.group("dir")
            text = _blank_span(text, found.start("dir"), found.end("dir"))
            if found.group("n"):
                text = _blank_span(text, found.start("n"), found.end("n"))
            if not found.group("n") and self._plural_rows(found.group("what").split()):
                return None, found.group("what"), text  # "regions with the highest paid": every region
            n = found.group("n") or "1"
            return _ranked(word, _count(n)), found.group("what"), text
        found = RANK_SUPER.search(text)
        if found and not text[: found.start()].strip():  # "fastest adjuster team last month"
            after = " ".join(text[found.end():].split()[:3])
            return _ranked(found.group("dir"), 1), after, _blank(text, found)
        before = [w for w in text[: found.start()].split() if w not in STOP and w not in _ORDER_VERBS] \
            if found else []
        if found and 0 < len(before) <= 3 and self._plural_rows(before) and not _WHICH_N.search(text):
            return None, " ".join(before), _blank(text, found)  # "causes, most claims first": every cause
        asked = found is not None and re.search(r" (?:which|what|who|whose|the) ", text[: found.start() + 1] + " ")
        if found and not asked and 0 < len(before) <= 3 and self._names_dimension(before):  # "adjuster team slowest"
            return _ranked(found.group("dir"), 1), " ".join(before), _blank(text, found)
        if found and asked:
            n = 1
            # "which 4 channels brought in the most", "what five adjusters paid out the most": the count asked
            # for sits after the question word, however far the superlative comes after it.
            counted = _WHICH_N.search(text[: found.start() + 1])
            if counted:
                n = _count(counted.group("n"))
                text = _blank_span(text, counted.start("n"), counted.end("n"))
            return _ranked(found.group("dir"), max(1, n)), "", _blank(text, found)
        return None, "", text

    def _dimension_ending(self, before: list[str]) -> tuple[str | None, list[str]]:
        """Return the dimension the last of ``before`` name, all of them from some word on ("the adjuster
        team": "adjuster team"), with the words used; (None, []) when none does."""
        for start in range(len(before)):
            key, used = self._dimension_at(before[start:])
            if key and len(used) == len(before[start:]):
                return key, used
        return None, []

    def _aggregate_lacking(self, metric_keys: list[str]) -> bool:
        """Refuse a measure taken another way than any metric the dictionary has ("median claimed amount",
        "payout per claim" when only the sums are kept): never the sum or the count in its place. Return
        whether it was refused."""
        tokens = self._untimed.split()
        said = [i for i, w in enumerate(tokens) if _AGGREGATES.get(w)]
        per_claim = [i for i, w in enumerate(tokens[:-1]) if w == "per" and tokens[i + 1] in ("claim", "claims")]
        if not said and not per_claim:
            return False
        asked = [q for q in self.questions if q["id"] == "metric"]
        if not metric_keys and not asked:
            return False
        if said and metric_keys and any(self._metric_taken(k, _AGGREGATES[tokens[said[0]]]) for k in metric_keys):
            return False
        if not said and metric_keys and all(self.metrics[k].get("unit") != "currency" for k in metric_keys):
            return False  # "open claims per claim" says nothing; an amount per claim is an average
        start = said[0] if said else _measure_start(tokens, per_claim[0])
        end = per_claim[0] + 2 if per_claim else _measure_end(tokens, start)
        closest = [self.metrics[k]["name"] for k in metric_keys if k in self.metrics] or \
            [name for q in asked for name in q.get("options", [])][:3]
        self.questions = []
        self.missing.append({"term": " ".join(tokens[start:end]), "kind": "metric", "closest": closest})
        return True

    def _metric_taken(self, key: str, how: str) -> bool:
        """Tell whether a metric's name or synonyms say it is taken ``how`` ("average settlement time")."""
        metric = self.metrics[key]
        words = " ".join([metric.get("name", ""), *metric.get("synonyms", [])]).lower().split()
        return any(_AGGREGATES.get(w) == how for w in words)

    def _states_said_as_verbs(self, text: str) -> str:
        """Return the text with a verb put as the value it makes ("we deny", "we decline", "rejects": denied,
        declined, rejected): a word the dictionary lacks whose past form is a stored value or a value's synonym."""
        def as_value(found: re.Match[str]) -> str:
            word = found.group(0)
            past = [p for p in past_forms(word) if p in self._one_word_values]
            if not past or word in self._one_word_values or self._known(word):
                return word
            self.assumptions.append(f"Read “{word}” as {past[0]}.")
            return past[0]

        return re.sub(r"(?<= )[a-z]+(?= )", as_value, text)  # the blanks stay: later steps find words by offset

    def _plural_rows(self, words: list[str]) -> bool:
        """Tell whether ``words`` end with a dimension's rows said in the plural ("regions", "the products"):
        a superlative with no number then orders every row, it does not pick one."""
        last = words[-1:]
        return bool(last) and last[0].endswith("s") and not last[0].endswith("ss") and \
            self._dimension_ending(words)[0] is not None

    def _names_dimension(self, words: list[str]) -> bool:
        """Tell whether ``words`` are, all of them, one dimension's name ("adjuster team", "regions")."""
        decision = self.vocabulary.decide(" ".join(words), kind="dimension")
        return decision.outcome == Outcome.USE and decision.best is not None and \
            len(decision.best.words) == len(words) and decision.best.score >= CLOSE_SCORE

    def _numeric_filters(self, text: str) -> tuple[list[dict[str, Any]], str]:
        """Return comparisons of a number with a numeric column ("over $10k claimed", "settled in more
        than 30 days", "payout was 1000 or less"), the words naming the column used up with them."""
        filters = []
        while (found := BETWEEN_AMOUNTS.search(text)) is not None:
            named = self._column_before(text, found.start())
            column = named[0] if named else self._number_column(
                text, found, bool(found.group("days") or found.group("days2")))
            if column is None:
                break
            high = amount(found, "num2", "suffix2")
            filters += [{"dimension": column, "op": ">=", "values": [amount(found)]},
                        {"dimension": column, "op": "<=", "values": [high]}]
            text = self._used_column(_blank(text, found), found, named)
        for op, words in COMPARE_OPS:
            pattern = re.compile(rf" {words} {AMOUNT}(?P<days> days?)?(?= )")
            while (found := pattern.search(text)) is not None:
                named = self._column_before(text, found.start())
                column = named[0] if named else self._number_column(text, found, bool(found.group("days")))
                if column is None:
                    break
                filters.append({"dimension": column, "op": op, "values": [amount(found)]})
                text = self._used_column(_blank(text, found), found, named)
        while (found := TRAILING_OPS.search(text)) is not None:
            op = ">=" if found.group("op") in ("or more", "or over", "and up", "and above", "plus") else "<="
            column = self._number_column(text, found, bool(found.group("days")))
            if column is None:
                break
            filters.append({"dimension": column, "op": op, "values": [amount(found)]})
            text = _blank_column_words(_blank(text, found), found.start(), found.end())
        return filters, text

    def _column_before(self, text: str, start: int) -> tuple[str, int] | None:
        """Return the numeric column the words just before a comparison name ("where the paid amount is
        over", "claimed amt of more than", "settlement time exceeded"), with where those words start; None
        when they name none. Said before the comparison, the column is said outright: it is no measure, and
        no reading of the number decides it."""
        words = list(re.finditer(r"\S+", text[:start]))
        end = len(words)
        while end and words[end - 1].group(0) in _LINKS_BEFORE:
            end -= 1
        for size in (3, 2, 1):
            said = [w.group(0) for w in words[max(0, end - size):end]]
            if len(said) < size or any(w in _LINKS_BEFORE or w in STOP for w in said):
                continue
            key = self._number_named(said)
            if key is not None:
                return key, words[end - size].start()
        return None

    def _number_named(self, said: list[str]) -> str | None:
        """Return the numeric column whose label, or the name or a synonym of a measure built on it ("total
        paid" for the paid amount, "settlement time"), ``said`` is; None for none or several."""
        typed = [canonical(w) for w in said]  # "amt" is "amount", as in the dictionary's own matching
        found = set()
        for key, number in self.numbers.items():
            label = clean(number.get("label", "")).split()
            own = set(label) - _UNIT_WORDS  # "paid" of "paid amount": the word that tells columns apart
            names = [label] + [clean(n).split() for metric in self.metrics.values()
                               for n in [metric.get("name", ""), *metric.get("synonyms", [])]
                               if own & set(clean(metric.get("name", "")).split())]
            for name in names:
                if len(name) >= len(typed) and own & set(name) and all(
                        any(word_similarity(t, n) >= 0.85 for n in name) for t in typed) and \
                        any(word_similarity(t, o) >= 0.85 for t in typed for o in own):
                    found.add(key)
                    break
        return found.pop() if len(found) == 1 else None

    def _used_column(self, text: str, found: re.Match[str], named: tuple[str, int] | None) -> str:
        """Return the text without the words naming the comparison's column."""
        if named is not None:
            return text[:named[1]] + " " * (found.start() - named[1]) + text[found.start():]
        return _blank_column_words(text, found.start(), found.end())

    def _number_column(self, text: str, found: re.Match[str], days: bool) -> str | None:
        """Return the numeric column a comparison is about: days are the settlement time; money is what
        was paid when the words next to it say so, else what was claimed."""
        before, after = text[max(0, found.start() - 30): found.start() + 1], text[found.end() - 1: found.end() + 20]
        near = before + after
        if days or (not found.group("suffix") and "$" not in found.group(0) and _SETTLE_WORDS.search(near)):
            return self._number_key("settlement_days")
        if _PAID_WORDS.search(after) or _PAID_WORDS.search(before[-16:] + " "):
            return self._number_key("paid_amount")
        if "$" in found.group(0) or found.group("suffix") or _CLAIMED_WORDS.search(near):
            return self._number_key("claimed_amount")
        return None

    def _number_key(self, column: str) -> str | None:
        return next((key for key in self.numbers if key.endswith("." + column)), None) or (
            f"claims.{column}" if not self.numbers else None)

    def _groupings(self, text: str, ranked: str) -> tuple[list[str], str]:
        """Return the dimensions the widget is grouped by ("by region and channel", "per adjuster team",
        "top 8 adjusters"), in reading order, and the text without them."""
        dims: list[str] = []
        if ranked:  # "top 8 adjusters", "best performing channel", "highest paid adjusters": within three words
            words = [w for w in ranked.split() if w not in GENERIC or self._dimension_at([w])[0]]
            for skip in range(min(2, len(words))):
                key, used = self._dimension_at(words[skip:])
                if key:
                    dims.append(key)
                    text = _remove_words(text, used)
                    break
        for found in list(RANKED_BY.finditer(text)):  # "regions ranked by claims": the rows come first
            key, used = self._dimension_ending(text[: found.start()].split()[-3:])
            if key:
                if key not in dims:
                    dims.append(key)
                text = _remove_words(_blank(text, found), used, near=max(0, found.start() - 30))
        for found in list(_GROUP_LEAD.finditer(text)):
            key, used = self._dimension_at(text[found.end():].split())
            if key is None:
                continue
            following = text[found.end():].split()[len(used):len(used) + 1]
            if found.group(0).strip() in ("every", "each", "for every", "for each") and following[:1] and \
                    _NEGATION.match(" " + following[0] + " "):
                continue  # "every region except the west": a filter's scope, not a breakdown
            if self._value_follows(key, text[found.end():].split()[len(used):]):
                continue  # "by adjuster john martinez": the name of the filter's dimension
            if key not in dims:
                dims.append(key)
            leading = [w for w in text[: found.start()].split() if w not in STOP]
            if found.group(0).strip() == "by" and not dims[:-1] and len(leading) == 1 and \
                    text[: found.start()][-1:].isalnum():  # "region by segment …", said first
                before, before_used = self._dimension_at(text[: found.start()].split()[-1:])
                if before and before not in dims:  # "region by segment": two breakdowns, the first first
                    dims.insert(0, before)
                    text = _remove_words(text, before_used)
            text = _remove_words(text, [found.group(0).strip(), *used], near=found.start())
            rest = text[found.start():].split()
            while rest[:1] == ["and"] and len(dims) < 2:
                more, used_more = self._dimension_at(rest[1:])
                if not more:
                    break
                if more not in dims:
                    dims.append(more)
                text = _remove_words(text, ["and", *used_more], near=found.start())
                rest = text[found.start():].split()
        if not dims:  # "product line breakdown of total paid", "segments table: …": the rows named before the shape
            for found in _SHAPE_NOUN.finditer(self._original):
                before = text[: found.start()].split()[-3:]
                if not text[: found.start()].endswith(" ".join(before[-1:])):
                    continue  # a word the reading already used stands between them
                for start in range(len(before)):
                    key, used = self._dimension_at(before[start:])
                    if key and len(used) == len(before[start:]) and before[start] not in STOP:
                        dims.append(key)
                        text = _remove_words(text, used, near=max(0, found.start() - 30))
                        break
                if dims:
                    break
        for found in list(re.finditer(r" (?:wise|-wise)(?= )|(?<=[a-z])wise(?= )", text)):  # "state wise", "regionwise"
            before = text[: found.start()].split()[-2:]
            if found.group(0) == "wise" and before:
                before[-1] = before[-1][:-4] if before[-1].endswith("wise") else before[-1]
            key, used = self._dimension_ending(before)
            if key:
                if key not in dims:
                    dims.append(key)
                text = _remove_words(_blank(text, found), used, near=max(0, found.start() - 25))
        if not dims:  # "the state of claims", "causes of claims": a breakdown of the claims by it
            for found in re.finditer(r" of (?:the |all |our )?(?P<noun>\S+)(?= )", text):
                before = [w for w in text[: found.start()].split()[-2:] if w not in STOP]
                key, used = None, []
                for start in range(len(before)):  # "claim state of claims", "the current state of claims"
                    key, used = self._dimension_at(before[start:])
                    if key and len(used) == len(before[start:]):
                        break
                if key and used and _table_word(found.group("noun"), key):
                    dims.append(key)
                    text = _remove_words(_blank_span(text, found.start(), found.start("noun")), used,
                                         near=max(0, found.start() - 25))
                    break
        return dims, text

    def _subject(self, text: str, dims: list[str]) -> tuple[list[str], str]:
        """Return the dimension a question or a list is about ("which region …", "list every product
        with …", "the 15 adjusters with …") when nothing else groups the widget."""
        if dims:
            return dims, text
        for lead in _SUBJECT_LEADS:
            for found in lead.finditer(text):
                after = text[found.end():].split()
                key, used = self._dimension_at(after)
                if key and after[len(used):len(used) + 1] and _NEGATION.match(" " + after[len(used)] + " "):
                    continue  # "every region except the west": a filter's scope
                if key and self._value_follows(key, after[len(used):]):
                    continue  # "for adjuster thomas moore", "whose status is open": the name of a filter's dimension
                if key:
                    return [key], _remove_words(text, used, near=found.end())
        return dims, text

    def _without_one_value(self, dims: list[str], filters: list[dict[str, Any]]) -> list[str]:
        """Return the breakdowns without those by a dimension filtered to one value ("per adjuster for linda
        smith"): that breakdown has one row, so its name named the filter's dimension. An assumption says so."""
        single = {f["dimension"]: f["values"][0] for f in filters if f["op"] == "in" and len(f["values"]) == 1}
        for key in [d for d in dims if d in single]:
            label = self.dimensions.get(key, {}).get("label", key)
            self.assumptions.append(f"One {label} is filtered ({single[key]}): no breakdown by {label}.")
        return [d for d in dims if d not in single]

    def _values_set_against(self, dims: list[str], filters: list[dict[str, Any]], *, compared: bool) -> list[str]:
        """Return the breakdowns with the dimension whose values the request sets against each other ("fire vs
        theft", "online versus broker"): each is a row of a breakdown filtered to them, not one figure for all."""
        if compared or len(dims) >= 2 or not _VERSUS.search(self._original):
            return dims
        several = [f["dimension"] for f in filters if f["op"] == "in" and len(f["values"]) >= 2]
        if len(several) != 1 or several[0] in dims:
            return dims
        self.assumptions.append(f"The {self.dimensions.get(several[0], {}).get('label', several[0])} values "
                                "set against each other are shown side by side.")
        return [several[0], *dims]

    def _close_run(self, run: list[str]) -> Any:
        """Return the one dimension whose name covers every word of a run of two or more words closely (a
        slip in one of them), with no other as close; else None."""
        content = {w for w in run if w not in STOP}
        if len(content) < 2:
            return None
        if self.vocabulary.decide(" ".join(run), kind="metric").outcome == Outcome.USE:
            return None  # "claimed amount": a measure's name, not a slip in a dimension's
        whole = [m for m in self.vocabulary.match_dimensions(" ".join(run))
                 if content <= set(m.words) and m.score >= _RUN_CLOSE and m.via not in ("description", "closest")]
        if not whole or (len(whole) > 1 and whole[0].score - whole[1].score < AMBIGUITY_MARGIN):
            return None
        return whole[0]

    def _shortened_run(self, run: list[str]) -> Match | None:
        """Return the one dimension whose name of two or more words (its label or a synonym) the run says word
        for word, at least one word typed in full and the others shortened ("cust segment", "adj team", "sales
        chan", "distribution chnl", "claim sz band"); else None. A shortened word alone may name nothing, or
        another thing ("biz"), but said in the name's place beside the name's other words, it is that word."""
        fits = [Match("dimension", key, dimension.get("label", key), CLOSE_SCORE, False, "shortened", name, tuple(run))
                for key, dimension in self.dimensions.items()
                for name in [dimension.get("label", ""), *dimension.get("synonyms", [])]
                if says_name(run, clean(name).split())]
        return fits[0] if len({m.key for m in fits}) == 1 else None

    def _value_follows(self, key: str, words: list[str]) -> bool:
        """Tell whether the words after a dimension's name (past "is", "of", "=", or the "by" of "handled by")
        name one or more of its values: "adjuster wei walker", and "handled by patel" too, where which Patel
        is still a question: the name says whose the filter is, not what to break down by."""
        while words and words[0] in ("is", "was", "are", "were", "of", "=", "equals", "being", "by"):
            words = words[1:]
        for size in (3, 2, 1):
            if len(words) < size or words[size - 1] in STOP:
                continue
            decision = self._value_decision(" ".join(words[:size]), keys=[key])
            lead = decision.best or (decision.options[0] if decision.options else None)
            if decision.outcome != Outcome.REFUSE and lead is not None and lead.score >= CLOSE_SCORE and \
                    len(lead.words) == size:
                return True
        return False

    def _dimension_at(self, words: list[str]) -> tuple[str | None, list[str]]:
        """Return the dimension that the longest run of ``words`` (up to four, numbers and articles skipped)
        names clearly and wholly, with the words it used; (None, []) when none does."""
        while words and (words[0] in _BEFORE_DIMENSION or words[0].isdigit()):
            words = words[1:]
        found: tuple[str | None, list[str]] = (None, [])
        note: tuple[Decision, str] | None = None
        for size in range(1, min(4, len(words)) + 1):
            run = words[:size]
            if run[-1] in STOP:
                continue
            decision = self.vocabulary.decide(" ".join(run), kind="dimension")
            best = decision.best
            if decision.outcome == Outcome.USE and best is not None and \
                    len([w for w in run if w in STOP or w in best.words]) == len(run):
                found, note = (best.key, run), (decision, " ".join(run))
            elif decision.outcome == Outcome.USE and best is not None and len(run) > 1 and \
                    _table_word(run[0], best.key) and all(w in STOP or w in best.words for w in run[1:]):
                found, note = (best.key, run), (decision, " ".join(run[1:]))  # "claim state": the claim's state
            elif (close := self._close_run(run)) is not None:  # "adjuster teem": one slip in a name of two words
                found, note = (close.key, run), (Decision(Outcome.USE, close, (), "close"), " ".join(run))
            elif (short := self._shortened_run(run)) is not None:  # "cust segment", "sales chan", "claim sz band"
                found, note = (short.key, run), (Decision(Outcome.USE, short, (), "close"), " ".join(run))
        if note is not None:
            self._note_inexact(*note)
        return found

    def _value_filters(self, text: str, named: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        """Return filters on the stored values the text names (through values and their synonyms), with the
        ``named`` ones (said with their dimension's name) among them."""
        by_dim: dict[tuple[str, str], list[str]] = {(f["dimension"], f["op"]): list(f["values"]) for f in named}
        decisions = [_whole_synonyms(d) for d in [*(self._one_word_read(d) for d in self._mentions(text, "value")),
                                                  *self._short_mentions(text)]]
        # Clear readings first: a name typed in full settles a question about the same words.
        decisions.sort(key=lambda d: 0 if d.outcome == Outcome.USE and d.best is not None and d.best.exact else 1)
        for decision in decisions:
            lead = decision.best or (decision.options[0] if decision.options else None)
            if lead is None or not set(lead.words) <= set(text.split()):
                continue  # its words were used by an earlier mention
            if decision.best is None and any(_part_of_chosen(o, by_dim) for o in decision.options):
                continue  # "karen" after "karen lee" was chosen, "davis" after "william davis": the same name, settled
            if decision.best is None and any(
                    other.best is not None and set(other.best.words) == set(lead.words)
                    and other.best.label in by_dim.get((other.best.key, "in"), []) for other in decisions):
                text = _remove_words(text, list(lead.words))
                continue  # "northest", answered "northeast": the words read on their own name the value chosen
            spelled = [o for o in decision.options if _spelled_out(o.label, text)]
            if decision.outcome == Outcome.ASK and len(spelled) == 1:  # "linda smith", typed in full
                decision = Decision(Outcome.USE, spelled[0], (), "exact")
            placed = [o for o in decision.options if o.score >= CLOSE_SCORE and self._placed(o, text)]
            # A value stored under one name in two dimensions ("Auto": a product line and an adjuster team)
            # is placed only by the words beside it ("auto products", "the auto team", an answer "the
            # product line"); otherwise it is asked. Which dimension the measures "usually" mean is a guess
            # that turns any slip in reading the measures into a confident wrong filter.
            if decision.outcome == Outcome.ASK and len(placed) == 1:
                decision = Decision(Outcome.USE, placed[0], (), "context")
            elif decision.outcome == Outcome.ASK and (said := self._said_of_measure(decision, placed)) is not None:
                decision = Decision(Outcome.USE, said, (), "context")
            if decision.outcome != Outcome.USE or decision.best is None:
                if decision.options and all(self._names_something_else(w) for w in decision.options[0].words):
                    continue  # "line" is close to "Life", but it names the product line
                if decision.outcome == Outcome.ASK and decision.options and decision.options[0].score >= CLOSE_SCORE:
                    self._ask_value(decision)
                    text = _remove_words(text, list(decision.options[0].words))
                continue
            match = decision.best
            if self._noun_of_value_before(match):
                text = _remove_words(text, list(match.words))
                continue  # "storm damage": the damage the storm did, not Water Damage as well
            rival = self._near_tie(match)
            if rival is not None and {match.label, rival.label} & set(by_dim.get((match.key, "in"), [])):
                text = _remove_words(text, list(match.words))
                continue  # "southest", answered "southwest": the answer named one of the two
            if rival is not None:  # "southest": one slip from Southeast and from Southwest alike
                self._ask_value(Decision(Outcome.ASK, None, (match, rival), "ambiguous"))
                text = _remove_words(text, list(match.words))
                continue
            position = _position(text, match.words)
            negated = position is not None and bool(_NEGATION.search(text[max(0, position - 40): position + 1] + " "))
            op = "not_in" if negated else "in"
            values = by_dim.setdefault((match.key, op), [])
            if match.label not in values:
                values.append(match.label)
            self._note_inexact(decision, " ".join(match.words))
            text = _remove_words(text, list(match.words))
        text = _NEGATION.sub(" ", text)
        filters = [{"dimension": dim, "op": op, "values": sorted(values)} for (dim, op), values in by_dim.items()]
        return sorted(filters, key=lambda f: f["dimension"]), text

    def _noun_of_value_before(self, match: Any) -> bool:
        """Tell whether a word read as one part of a stored value of several words ("damage" of Water Damage)
        follows, as typed, a whole value of the same dimension ("fire damage", "collision damage"): it is then
        the noun that value qualifies, what the fire did, and names no second value."""
        if match.exact or len(match.words) != 1 or len(clean(match.label).split()) < 2:
            return False
        said = self._untimed.split()
        return any(word == match.words[0] and any(o.key == match.key and o.label != match.label
                                                  for o in self._exact_values(before))
                   for before, word in itertools.pairwise(said))

    def _named_values(self, text: str) -> tuple[list[dict[str, Any]], str]:
        """Return filters said as a dimension's name and then its value ("with a state of open", "where
        status is not closed", "cause = fire"), read before the measures so that a value that is also a
        measure's word ("open") filters rather than measures; the text without them."""
        filters: list[dict[str, Any]] = []
        tokens = text.split()
        for i, word in enumerate(tokens):
            if word in STOP:
                continue
            for size in (2, 1):
                run = tokens[i:i + size]
                decision = self.vocabulary.decide(" ".join(run), kind="dimension")
                best = decision.best
                if decision.outcome != Outcome.USE or best is None or not best.exact or len(best.words) != size:
                    continue
                rest = tokens[i + size:]
                links = list(itertools.takewhile(lambda w: w in _LINKS, rest))
                negated = bool({"not", "isnt", "isn"} & set(links))
                value = self._value_named(best.key, rest[len(links):])
                if value is not None:
                    filters.append({"dimension": best.key, "op": "not_in" if negated else "in", "values": [value[0]]})
                    text = _remove_words(text, [*run, *links, *value[1]], near=_position(text, run))
                break
        return filters, text

    def _value_named(self, key: str, words: list[str]) -> tuple[str, list[str]] | None:
        """Return the value of dimension ``key`` the first words name clearly and wholly, with those words."""
        for size in (3, 2, 1):
            if len(words) < size or words[size - 1] in STOP:
                continue
            decision = self.vocabulary.decide(" ".join(words[:size]), kind="value", keys=[key])
            best = decision.best
            if decision.outcome == Outcome.USE and best is not None and len(best.words) == size:
                self._note_inexact(decision, " ".join(words[:size]))
                return best.label, words[:size]
        return None

    def _metrics_beside_values(self, text: str, *, slow: bool) -> tuple[list[str], str]:
        """Return ``_metrics`` of the text, reading no measure in a stored value's name typed in full
        ("claims for auto premium": the product Auto Premium, not earned premium on Auto), nor in a
        noun that only says what a value is; the value's words are left for the value filters."""
        spans = [(m.start(), m.end()) for name in self._long_values
                 for m in re.finditer(rf"(?<= ){re.escape(name)}(?= )", text)]
        spans += self._unknown_name_starts(text)
        hidden = self._without_value_nouns(text)
        for start, end in spans:
            hidden = _blank_span(hidden, start, end)
        metric_keys, rest = self._metrics(hidden, slow=slow)
        for start, end in spans:
            rest = rest[:start] + text[start:end] + rest[end:]
        return metric_keys, rest

    def _without_value_nouns(self, text: str) -> str:
        """Return the text without the nouns that only say what a value is ("smb customers", "broker
        channel", "pet product"): the word after a value naming the value's own dimension or table,
        which is no measure ("customers" is not distinct claimants in "claims from smb customers")."""
        tokens = [(m.start(1), m.group(1)) for m in re.finditer(r" (\S+)(?= )", text)]
        for (_, first), (_, second), (at, noun) in zip(tokens, tokens[1:], tokens[2:], strict=False):
            if self._value_noun(noun, [second], [first, second]):
                text = _blank_span(text, at, at + len(noun))
        for (_, value), (at, noun) in itertools.pairwise(tokens):
            if self._value_noun(noun, [value]):
                text = _blank_span(text, at, at + len(noun))
        return text

    def _value_noun(self, noun: str, *phrases: list[str]) -> bool:
        """Tell whether ``noun`` names the dimension (or its table) of a value one of ``phrases`` names exactly."""
        for words in phrases:
            if any(w in STOP for w in words):
                continue
            decision = self.vocabulary.decide(" ".join(words), kind="value")
            best = decision.best
            as_metric = self.vocabulary.decide(" ".join([*words, noun]), kind="metric")
            if as_metric.outcome == Outcome.USE and as_metric.best is not None and as_metric.best.exact:
                return False  # "open claims": a measure's own name
            if decision.outcome == Outcome.USE and best is not None and best.exact and len(best.words) == len(words):
                dimension = self.dimensions.get(best.key, {})
                names = {w.rstrip("s") for w in clean(" ".join([best.key.replace(".", " "), dimension.get("label", ""),
                                                                 *dimension.get("synonyms", [])])).split()} - STOP
                return noun.rstrip("s") in names - {w.rstrip("s") for w in words}
        return False

    def _said_of_measure(self, decision: Decision, placed: list[Any]) -> Any:
        """Return the reading of a value two dimensions share when it is said of what is measured ("auto
        claims", "auto payouts") and the words beside it place neither: the dimension whose values the
        dictionary gives analysts' own words for (value synonyms: "motor" and "car" for the product line's
        Auto; the adjuster team has none), as analysts name that one by its values and the other by its noun
        ("the auto team"). Listed as an assumption that says how to ask for the other; None when this does
        not settle it (it is then asked)."""
        options = [o for o in decision.options if o.score >= CLOSE_SCORE]
        if placed or len(options) < 2 or len({o.label for o in options}) != 1 or not options[0].exact:
            return None
        typed = list(options[0].words)
        # The next word as typed, within one list item ("only auto; total paid" says nothing of the claims).
        after = re.findall(rf"\b{re.escape(' '.join(typed))}[ \t]+([a-z]+)", self._raw)
        if not any(w not in GENERIC and w not in _GENERIC_MEASURE and
                   self.vocabulary.decide(w, kind="metric").outcome == Outcome.USE for w in after):
            return None  # "for auto": not said of the claims, so asked
        described = [o for o in options if self.dimensions.get(o.key, {}).get("value_synonyms")]
        if len(described) != 1:
            return None
        chosen, other = described[0], next(o for o in options if o is not described[0])
        label = self.dimensions.get(chosen.key, {}).get("label", chosen.key)
        other_label = self.dimensions.get(other.key, {}).get("label", other.key)
        said = " ".join(typed)
        self.assumptions.append(f"Read “{said}” as the {label} {chosen.label}; for the {other_label} "
                                f"{other.label}, say “{said} {other_label.split()[-1]}”.")
        return chosen

    def _placed(self, option: Any, text: str) -> bool:
        """Tell whether the words next to a value name its dimension: "auto products" (the products
        table), "the auto team" (adjuster team)."""
        dimension = self.dimensions.get(option.key, {})
        names = set(clean(" ".join([option.key.replace(".", " ").replace("_", " "), dimension.get("label", ""),
                                    *dimension.get("synonyms", [])])).split()) - STOP
        tokens = text.split()
        spots = [i for i, w in enumerate(tokens) if w in option.words]
        near = {w.rstrip("s") for i in spots for w in tokens[max(0, i - 2): i + 3]}
        # Read in the request as said: a value read before this one has left the text ("home" of "auto and home
        # lines").
        said = self._untimed.split()
        near |= {self._list_noun(said, i).rstrip("s") for i, w in enumerate(said) if w in option.words}
        if self._listed_with(option, said):
            return True
        own = {w.rstrip("s") for w in option.words}
        if {n.rstrip("s") for n in names} & near - own:
            return True
        # An answer naming the dimension ("the product line") after a question about the value.
        label = clean(dimension.get("label", "")).split()
        return len(label) > 1 and all(w in tokens for w in label)

    def _list_noun(self, tokens: list[str], at: int) -> str:
        """Return the noun after a list of values that begins at ``at`` ("auto and home lines", "auto, home
        or pet products": "lines", "products"), which names the dimension of each of them; "" without one."""
        end = at + 1
        while end + 1 < len(tokens) and tokens[end] in ("and", "or", "&") and self._exact_values(tokens[end + 1]):
            end += 2
        return tokens[end] if at + 1 < end < len(tokens) else ""

    def _listed_with(self, option: Any, said: list[str]) -> bool:
        """Tell whether a value is listed with another that only ``option``'s dimension has ("auto and home":
        Home is a product line, no team), so the list is of that dimension's values."""
        for i, word in enumerate(said):
            if word not in option.words:
                continue
            for link, other in ((i + 1, i + 2), (i - 1, i - 2)):
                if not (0 <= other < len(said) and said[link] in ("and", "or", "&")) or said[other] in option.words:
                    continue
                found = self._exact_values(said[other])
                if found and {o.key for o in found} == {option.key}:
                    return True
        return False

    def _exact_values(self, word: str) -> list[Any]:
        """Return the stored values (or their synonyms) ``word`` alone names as typed, in any dimension."""
        decision = self.vocabulary.decide(word, kind="value")
        return [o for o in [decision.best, *decision.options] if o is not None and o.exact]

    def _near_tie(self, match: Any) -> Any:
        """Return another value of the same dimension nearly as close to a misspelt word, or None."""
        if match.exact or match.via != "value":
            return None
        for other in self.vocabulary.match_values(" ".join(match.words), match.key)[:3]:
            if other.value != match.value and other.score >= CLOSE_SCORE and match.score - other.score < _TIE_MARGIN:
                return other
        return None

    def _names_something_else(self, word: str) -> bool:
        """Tell whether a word clearly names a dimension or a metric ("line", "team"): then it is not a value."""
        return any(self.vocabulary.decide(word, kind=k).outcome == Outcome.USE for k in ("dimension", "metric"))

    def _short_mentions(self, text: str) -> list[Decision]:
        """Return decisions on single words and pairs the whole-text reading left: a first or last name
        alone ("karen", "rodriguez") scores low inside a long sentence but clearly on its own."""
        tokens = [w for w in text.split() if w not in STOP and w not in GENERIC and not w.isdigit() and len(w) > 2]
        out = []
        for token in tokens:
            if self._names_something_else(token):
                continue
            decision = self._value_decision(token)
            if decision.outcome != Outcome.REFUSE and decision.options[:1] and decision.options[0].score >= CLOSE_SCORE:
                out.append(decision)
            elif decision.outcome == Outcome.USE:
                out.append(decision)
        return out

    def _value_decision(self, phrase: str, keys: list[str] | None = None) -> Decision:
        """Return the dictionary's decision on a phrase as a value (of ``keys`` only, when given), with a word
        that is one part of stored names read as ``_name_part`` says."""
        decision = self.vocabulary.decide(phrase, kind="value", keys=keys)
        if decision.outcome == Outcome.USE or " " in phrase.strip():
            return decision
        return self._name_part(phrase.strip(), keys) or decision

    def _one_word_read(self, decision: Decision) -> Decision:
        """Return a mention of one word, read in the whole text, as ``_value_decision`` reads the word alone."""
        lead = decision.best or (decision.options[0] if decision.options else None)
        if decision.outcome == Outcome.USE or lead is None or len(lead.words) != 1:
            return decision
        return self._name_part(lead.words[0], None) or decision

    def _name_part(self, word: str, keys: list[str] | None) -> Decision | None:
        """Return the decision on a word typed in full that is one whole word of stored values of several
        words, and the whole of none ("lisa", "patel": a first name or a surname): the value when one has
        it, else a question among those that do; None for any other word. The vocabulary scores such a word
        by its share of each value, so the more people share a name, the lower each of them scores: a name
        four adjusters share would read as nothing in the data, where it is a question."""
        found = self.vocabulary.match_values(word, keys)
        if any(clean(m.value).split() == [word] for m in found):
            return None  # a value of its own ("Auto"), not a part of one
        parts = [replace(m, score=max(m.score, CLOSE_SCORE)) for m in found if m.via == "value"
                 and word in clean(m.value).split() and len(clean(m.value).split()) > 1]
        if len(parts) == 1:
            return Decision(Outcome.USE, parts[0], (), "close")
        return Decision(Outcome.ASK, None, tuple(parts), "ambiguous") if parts else None

    def _metrics(self, text: str, *, slow: bool) -> tuple[list[str], str]:
        """Return the metric keys the text names, in reading order, and the text without them."""
        self._before_metrics = text
        chosen: list[tuple[int, str]] = []
        used: set[str] = set()  # words already naming a chosen metric: one word names one thing
        unclear: list[tuple[list[str], set[str]]] = []  # undecided mentions, with their words
        for decision in self._segment_mentions(text):
            if decision.outcome == Outcome.ASK and decision.options:
                named = _each_named(decision, text)
                fresh = [o for o in decision.options if not set(o.words) <= used]
                if not named and len(decision.options) == 1 and fresh and fresh[0].score >= _SINGLE_CLOSE:
                    named = fresh  # one candidate, close: use it, and say so
                    self.assumptions.append(f"Read “{' '.join(fresh[0].words)}” as {fresh[0].label}.")
                for option in named:
                    chosen.append((_position(text, option.words) or 0, option.key))
                    used |= set(option.words)
                    text = _remove_words(text, list(option.words))
                if not named and fresh:
                    unclear.append(([o.key for o in decision.options], set(decision.options[0].words)))
                continue
            best = decision.best
            if decision.outcome != Outcome.USE or best is None or set(best.words) <= used:
                continue
            if set(best.words) <= _GENERIC_MEASURE:
                continue  # "numbers", "totals": nothing measurable is named
            if set(best.words) <= _BARE_WORDS:
                self._bare_count.add(best.key)  # "claims", "totals for … claims": no amount or count is named
            if best.key not in [k for _, k in chosen]:
                chosen.append((_position(text, best.words) or 0, best.key))
                self._note_inexact(decision, " ".join(best.words))
            used |= set(best.words)
            text = _remove_mention(text, list(best.words))
        if not chosen and slow:
            chosen.append((0, self._first_metric("settlement")))
        if (ratio := self._ratio_of([k for _, k in sorted(chosen)])) is not None:
            key, parts = ratio
            at = min(at for at, k in chosen if k in parts)
            chosen = [(at, key), *((a, k) for a, k in chosen if k not in parts)]
            unclear = []  # "ratio" alone was close to several measures: the parts say which
        # A generic word ("numbers") beside a measure named clearly is how people talk, not a question.
        # Nor is a mention whose every reading is a measure already chosen ("slowest at settling": settlement).
        taken = {k for _, k in chosen}
        asked = [keys for keys, said in unclear if (not chosen or not said <= _GENERIC_MEASURE)
                 and not set(keys) <= taken]
        if asked:
            self._ask_metric(asked[0])
        count = next((k for k, m in self.metrics.items() if "claims" in m.get("synonyms", [])), None)
        if count and count not in [k for _, k in chosen] and " claims " in text and self._claims_coordinated():
            chosen.append((_position(text, ["claims"]) or 0, count))  # "claims, open claims and claimants"
            self._bare_count.add(count)
            text = _remove_words(text, ["claims"])
        # "claims" alone names the claim count only when nothing else is measured ("paid on water claims").
        if len(chosen) > 1 and not self._claims_coordinated():
            chosen = [(at, key) for at, key in chosen if key not in self._bare_count] or chosen
        if chosen and {k for _, k in chosen} <= self._bare_count and _MONEY_ASKED.search(self._before_metrics):
            # "value of claims", "claim $", "how much did the claims come to": an amount, but which?
            self._ask_metric([k for k in self.metrics if self.metrics[k].get("unit") == "currency"][:4])
            return [], text
        keys = [k for _, k in sorted(chosen) if k]
        return keys, text

    def _ratio_of(self, keys: list[str]) -> tuple[str, tuple[str, str]] | None:
        """Return the ratio metric whose numerator and then denominator the request names, said as a ratio
        ("paid-to-premium ratio", "paid as a share of premium"), with its parts; None otherwise. The other
        way round ("premium to paid") is no metric of the dictionary, and is left as two measures."""
        if not _RATIO_SAID.search(self._before_metrics):
            return None
        for key, metric in self.metrics.items():
            parts = metric.get("parts") or {}
            numerator, denominator = parts.get("numerator"), parts.get("denominator")
            if numerator in keys and denominator in keys and keys.index(numerator) < keys.index(denominator):
                self.assumptions.append(f"Read {self.metrics[numerator]['name'].lower()} over "
                                        f"{self.metrics[denominator]['name'].lower()} as {metric['name']}.")
                return key, (numerator, denominator)
        return None

    def _unknown_name_starts(self, text: str) -> list[tuple[int, int]]:
        """Return the spans of words that only qualify a measure's name ("new" of "new claims") when a word
        nothing in the dictionary is close to follows them: the two are one name ("new mexico", "new
        york"), which ``_left_over`` refuses if the data lacks it, not a measure."""
        tokens = [(m.start(1), m.group(1)) for m in re.finditer(r" (\S+)(?= )", text)]
        spans = []
        for i, ((at, word), (_, after)) in enumerate(itertools.pairwise(tokens)):
            before = tokens[i - 1][1] if i else ""
            if before and before not in _SLOT_WORDS and before not in ("of", "the"):
                continue  # where a name stands: first, or after "in", "of", "the" ("how long they take": no name)
            if word in STOP or after in STOP or after.isdigit() or self._known(after):
                continue
            decision = self.vocabulary.decide(word, kind="metric")
            lead = decision.best or (decision.options[0] if decision.options else None)
            if lead is None or lead.exact or len(lead.words) != 1:
                continue
            head = clean(lead.term).split()[-1:]
            if head and not _similar(word, head[0]):
                spans.append((at, at + len(word)))
                self._name_words.add(word)
        return spans

    def _count_metric(self) -> str | None:
        """Return the metric that counts claims (the one "claims" alone names), or None."""
        return next((k for k, m in self.metrics.items() if "claims" in m.get("synonyms", [])), None)

    def _claims_coordinated(self) -> bool:
        """Tell whether "claims" stands in a list of measures ("claims, open claims and claimants", "claims and
        payouts"), not as the noun of a filter ("medium claims, every region")."""
        words = {w for m in self.metrics.values() for term in [m["name"], *m.get("synonyms", [])]
                 for w in clean(term).split()} - {"claim", "claims", "number", "of", "count", "total"}
        measure = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
        qualifier = r"(?:(?:the|a|total|average|avg|mean|number of|count of)\s+)*"  # "claims plus total paid"
        joined = r"(?:,|and\b|plus\b|&|along with\b|alongside\b|as well as\b|together with\b)"
        after = rf"\bclaims\s*{joined}\s*{qualifier}(?:{measure})\b"
        before = rf"\b(?:{measure})\s*{joined}\s*(?:the\s+)?(?:number of\s+)?claims\b"
        return bool(re.search(after, self._raw) or re.search(before, self._raw))

    def _fallback_metric(self, text: str) -> list[str]:
        """With no metric named: ask about money words that fit several ("value", "$"), else nothing."""
        if [w for w in text.split() if w in _MONEY]:
            self._ask_metric([k for k in self.metrics if self.metrics[k].get("unit") == "currency"][:4])
        return []

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
        unknown = [w for w in tokens if w not in STOP and w not in GENERIC and w not in _MONEY and len(w) > 1
                   and not w.isdigit() and w not in comparing and w.removesuffix("s") not in WEEKDAYS
                   and not self._known(w)]
        headed = [w for i, w in enumerate(tokens[:-1]) if w in unknown and w not in _SLOT_WORDS
                  and self._original.find(f" {w} {tokens[i + 1]} ") >= 0 and tokens[i + 1] in _MEASURE_HEADS]
        if metric_keys and headed:
            unknown, metric_keys = headed, []  # "litigation rate on liability claims": that rate is not here
        if metric_keys:
            slots = {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in _SLOT_WORDS}
            # After a dimension's name and "of" ("the state of texas"), a value would stand.
            slots |= {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w == "of" and i > 0 and tokens[i - 1]
                      not in STOP and self.vocabulary.decide(tokens[i - 1], kind="dimension").outcome == Outcome.USE}
            slots |= {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in self._name_words}  # "new mexico payouts"
            # A name of two words in a slot ("in new mexico"): the second is in the slot too.
            slots |= {tokens[i + 2] for i, w in enumerate(tokens[:-2]) if (w in _SLOT_WORDS or w in slots)
                      and tokens[i + 1] not in STOP and self._known(tokens[i + 1]) and tokens[i + 1] not in unknown}
            slots |= {tokens[i + 2] for i, w in enumerate(tokens[:-2]) if w in _SLOT_WORDS and tokens[i + 1] == "the"}
            slots |= self._qualifying_claims()
            unknown = [w for w in unknown if w in slots]
        if (headed and unknown == headed) or (unknown and not metric_keys and self._only_values_asked()):
            # "combined ratio": not a loss ratio to ask about, but a measure this data lacks; and with no measure
            # named, the unknown word is the measure asked for ("nps for auto"): which value it is for is no
            # question, as the widget cannot be built either way. A question about the measure stays ("how much
            # did the pet claims come to": an amount was asked for, and "come" names nothing).
            self.questions = []
        if unknown and not self.questions:
            phrase = _phrase_of(text, unknown)
            # As typed: "new york", even when "new" was read as a measure; "average claim age".
            bounds = [0, *self._breaks, len(self._untimed)]
            items = [self._untimed[a:b] for a, b in itertools.pairwise(bounds)]
            item = next((i for i in items if f" {unknown[0]} " in f" {i} "), self._untimed)  # within one list item
            said = _phrase_of(item, unknown, as_typed=True)
            if _within(phrase.split(), said.split()) and len(said.split()) <= len(phrase.split()) + 2:
                phrase = self._without_measures(said, phrase)
            after = {tokens[i + 1] for i, w in enumerate(tokens[:-1]) if w in ("by", "per")}
            kind = "dimension" if unknown[0] in after else "value" if metric_keys else "metric"
            closest = [c.label for c in self.vocabulary.closest(phrase, n=3, kind=kind)]
            self.missing.append({"term": phrase, "kind": kind, "closest": closest})
            return
        if not metric_keys and not self.questions:
            self._ask_metric(list(self.metrics))

    def _only_values_asked(self) -> bool:
        return all(q["id"].startswith("value_") for q in self.questions)

    def _without_measures(self, said: str, phrase: str) -> str:
        """Return the phrase as typed without words at either end that the reading used for a measure ("new
        mexico payouts": "new mexico")."""
        words, kept = said.split(), set(phrase.split())
        if not set(words) & self._name_words:
            return said  # "litigated claims": a kind of claims the data lacks, named with its noun
        while len(words) > 1 and words[-1] not in kept and self._measure_word(words[-1]):
            words.pop()
        while len(words) > 1 and words[0] not in kept and self._measure_word(words[0]):
            words.pop(0)
        return " ".join(words)

    def _measure_word(self, word: str) -> bool:
        decision = self.vocabulary.decide(word, kind="metric")
        return decision.outcome == Outcome.USE and decision.best is not None and decision.best.exact

    def _qualifying_claims(self) -> set[str]:
        """Return the words that qualify the claims themselves, side by side within one list item: "fraud
        claims", "claim age" (a verb is none: "showing claims")."""
        tokens = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", self._untimed)]
        out = set()
        for (at, first), (_, second) in itertools.pairwise(tokens):
            if any(at < b < at + len(first) + 2 for b in self._breaks) or \
                    self._untimed[at + len(first):].find(second) > 1:
                continue  # a list break, or blanked words, between them
            if second in ("claim", "claims") and not first.endswith("ing"):
                out.add(first)
            if first == "claim":
                out.add(second)
        return out

    def _known(self, word: str) -> bool:
        """Tell whether anything in the dictionary (a metric, a dimension, a value) comes close to ``word``."""
        return any(c.score >= CLOSE_SCORE for c in self.vocabulary.closest(word, n=1))

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

    def _ask_metric(self, keys: list[str]) -> None:
        if any(q["id"] == "metric" for q in self.questions):
            return
        names = [self.metrics[k]["name"] for k in keys if k in self.metrics][:8]
        self.questions.append({"id": "metric", "text": "Which measure should the widget show?", "options": names})

    def _ask_value(self, decision: Decision) -> None:
        close = [o for o in decision.options if o.score >= CLOSE_SCORE][:6]
        labels = [o.label for o in close]
        # The same value in two dimensions ("Auto": a product line and an adjuster team) says which.
        options = [f"{o.label} ({self.dimensions.get(o.key, {}).get('label', o.key)})" if labels.count(o.label) > 1
                   else o.label for o in close]
        typed = " ".join(decision.options[0].words)
        self.questions.append({"id": f"value_{len(self.questions)}", "text": f"Which one did you mean by “{typed}”?",
                               "options": options})

    def _first_metric(self, word: str) -> str:
        return next((k for k in self.metrics if word in k), "")


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


# Words before a dimension's name that only say which of its values ("by their current state").
_BEFORE_DIMENSION = frozenset({"the", "all", "every", "each", "of", "their", "its", "our", "current", "present",
                               "latest"})
_LINKS = frozenset({"is", "was", "are", "were", "of", "=", "equals", "equal", "being", "not", "isnt", "isn", "t"})


def _whole_synonyms(decision: Decision) -> Decision:
    """Return the decision without readings through a part of an analyst's synonym of several words
    ("insurance" of "car insurance", "biz" of "small biz"): the synonym is a phrase, and one word of it,
    where the value's own name lacks that word, names no value (every claim is an insurance claim)."""
    def partial(candidate: Any) -> bool:
        said = [w for w in clean(candidate.term).split() if w not in STOP]
        return candidate.via == "value_synonym" and len(said) > len(candidate.words)
    if decision.best is not None and partial(decision.best):
        return Decision(Outcome.REFUSE, None, (), "part of a synonym")
    options = tuple(o for o in decision.options if not partial(o))
    if decision.best is None and decision.options and not options:
        return Decision(Outcome.REFUSE, None, (), "part of a synonym")
    return replace(decision, options=options) if options != decision.options else decision


def _part_of_chosen(option: Any, by_dim: dict[tuple[str, str], list[str]]) -> bool:
    """Tell whether an option is a value already chosen in its dimension, or its words are all words of one."""
    chosen = by_dim.get((option.key, "in"), [])
    words = {clean(w).strip() for w in option.words}
    return option.label in chosen or any(words <= set(clean(value).split()) for value in chosen)


def _table_word(word: str, key: str) -> bool:
    """Tell whether ``word`` names the table a dimension is a column of ("claim" for claims.status): said
    before the dimension's name, it only says whose the dimension is ("claim state", "region name")."""
    return word.rstrip("s") == key.split(".")[0].rstrip("s")


def _cut(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    found = pattern.search(text)
    if not found:
        return "", text
    return found.group(0).strip(), _blank(text, found)


def _words_end(text: str, start: int, words: list[str]) -> int:
    """Return where ``words``, read from ``start`` over any blanks between them, end in the text."""
    found = re.compile(r" +" + r" +".join(map(re.escape, words))).match(text, start)
    return found.end() if found else start


def _direction_said(found: re.Match[str]) -> dict[str, Any]:
    """Return the order a direction phrase says: "sorted asc", "lowest first" (by a value, "fastest" by
    speed) or "z to a" (by the labels)."""
    groups = found.groupdict()
    if "dir" in groups:
        return {"direction": said_direction(groups["dir"])}
    if "first" in groups:
        return {"direction": "asc" if groups["first"] in LOW_FIRST else "desc", "speed": groups["first"] in SPEED}
    return {"direction": "desc" if groups.get("rev") or groups.get("z") else "asc", "names": True}


def _sort(order: dict[str, Any] | None, metric_keys: list[str], dims: list[str], settlement: str) -> dict[str, str] | None:
    """Return the intent's sort from the order the words said: by the key after "sorted by", else by the first
    dimension's labels ("alphabetical"), the time to settle ("fastest first") or the first metric."""
    if order is None:
        return None
    if order["by"]:
        by = order["by"]
    elif order["names"]:
        by = dims[0] if dims else ""
    elif order["speed"] and settlement in metric_keys:
        by = settlement
    else:
        by = metric_keys[0] if metric_keys else ""
    if not by:
        return None
    return {"by": by, "direction": order["direction"] or ("asc" if order["names"] else "desc")}


def _blank_span(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _blank(text: str, found: re.Match[str]) -> str:
    return text[: found.start()] + " " * (found.end() - found.start()) + text[found.end():]


def _spelled_out(label: str, text: str) -> bool:
    """Tell whether every word of a stored value appears in the text as typed ("linda smith")."""
    words = set(text.split())
    parts = clean(label).split()
    return len(parts) > 1 and all(p in words for p in parts)


def _each_named(decision: Decision, text: str) -> list[Any]:
    """Return the options of an undecided mention when each is named by a word of its own ("claimed and
    paid amounts" names two metrics, not one unclear one); [] when they compete for the same words."""
    options = [o for o in decision.options if o.score >= CLOSE_SCORE]
    if len(options) < 2:
        return []
    own = [set(o.words) - set().union(*(set(p.words) for p in options if p is not o)) for o in options]
    words = set(text.split())
    return options if all(mine and mine & words for mine in own) else []


def _measure_start(tokens: list[str], per: int) -> int:
    """Return where the measure said before "per claim" starts: after the last slot or stop word before it."""
    start = per
    while start > 0 and tokens[start - 1] not in _SLOT_WORDS and tokens[start - 1] not in STOP:
        start -= 1
    return start if start < per else max(0, per - 1)


def _measure_end(tokens: list[str], start: int) -> int:
    """Return where a measure said from ``start`` ends: at the first slot word after it, or a list break."""
    end = start + 1
    while end < len(tokens) and end - start < 5 and tokens[end] not in _SLOT_WORDS:
        end += 1
    return end


def _count(n: str) -> int:
    """Return the number a ranking says, in digits or in words ("5", "five")."""
    return int(n) if n.isdigit() else _NUMBER_WORDS[n]


def _ranked(word: str, n: int) -> dict[str, Any]:
    """Return a ranking of ``n`` rows by the superlative ``word`` ("slowest", "fewest", "best")."""
    return {"direction": "bottom" if word in _DOWN else "top", "n": n, "slowness": word in _SLOWNESS,
            "judged": word in _JUDGED}


def _blank_column_words(text: str, start: int, end: int) -> str:
    """Blank out the words naming a comparison's column right next to it ("settled in", "claimed", "we paid")."""
    for pattern in (_COLUMN_BEFORE, _COLUMN_AFTER):
        window_start = max(0, start - 30) if pattern is _COLUMN_BEFORE else end - 1
        window_end = start + 2 if pattern is _COLUMN_BEFORE else end + 25
        found = pattern.search(text, window_start, window_end)
        if found:
            text = _blank(text, found)
    return text




def _position(text: str, words: tuple[str, ...] | list[str]) -> int | None:
    tokens = text.split(" ")
    offsets, at = [], 0
    for token in tokens:
        offsets.append(at)
        at += len(token) + 1
    wanted = set(words)
    for token, offset in zip(tokens, offsets, strict=True):
        if token in wanted or any(_same_word(token, w) for w in wanted):
            return offset
    return None


def _same_word(a: str, b: str) -> bool:
    return a == b or a.rstrip("s") == b.rstrip("s")


def _similar(typed: str, matched: str) -> bool:
    """Tell whether a typed word is the matched word (plurals and the vocabulary's typo rules aside)."""
    return _same_word(typed, matched) or word_similarity(typed, matched) >= 0.8


def _remove_mention(text: str, words: list[str]) -> str:
    """Blank out the words of one mention where they stand together ("claims, open claims": the second)."""
    tokens = [(m.start(1), m.group(1)) for m in re.finditer(r" (\S+)(?= )", text)]
    spots = [[i for i, (_, token) in enumerate(tokens) if _same_word(token, word)] for word in words]
    if not words or any(not s for s in spots):
        return _remove_words(text, words)
    best = min(itertools.product(*spots), key=lambda picks: (max(picks) - min(picks), -min(picks)))
    for i in sorted(set(best), reverse=True):
        start, token = tokens[i]
        text = text[:start] + " " * len(token) + text[start + len(token):]
    return text


def _remove_words(text: str, words: list[str], *, near: int | None = None) -> str:
    """Blank out each of ``words`` once (the first occurrence at or after ``near``, else the first)."""
    for word in words:
        for part in word.split():
            pattern = re.compile(rf" {re.escape(part)}(?= )")
            found = (pattern.search(text, max(0, near - 1)) if near is not None else None) or pattern.search(text)
            if found is None:
                found = next((m for m in re.finditer(r" (\S+)(?= )", text) if _same_word(m.group(1), part)), None)
            if found is not None:
                text = _blank(text, found)
    return text


def _within(words: list[str], others: list[str]) -> bool:
    """Tell whether ``words`` appear in ``others`` in the same order (not necessarily side by side)."""
    rest = iter(others)
    return all(word in rest for word in words)


def _phrase_of(text: str, unknown: list[str], *, as_typed: bool = False) -> str:
    """Return the words of what was asked for around the first unknown word: the run of words no other
    part of the reading used ("customer satisfaction", "revenue per employee"), joined by "per"/"of"."""
    tokens = text.split()
    first = tokens.index(unknown[0])

    in_by_slot = first > 0 and tokens[first - 1] in ("by", "per")

    def part(token: str) -> bool:
        return token not in STOP and (in_by_slot or as_typed or token not in GENERIC) and not token.isdigit()

    start = first
    while start > 0 and part(tokens[start - 1]):
        start -= 1
    out = tokens[start:first + 1]
    for token in tokens[first + 1:]:
        if part(token) or (token in ("per", "of") and out) or token in ("group", "groups"):  # "age group"
            out.append(token)
        else:
            break
    while out and out[-1] in ("per", "of", "by"):
        out.pop()
    return " ".join(out)
