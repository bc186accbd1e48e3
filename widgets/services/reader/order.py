"""The order of the rows: sort words, rankings ("top 5", "the most") and numeric filters ("over $10k",
"settled in more than 30 days"), with the column each is said of.

A part of the offline reader (``clarifier_offline.Reader``): its methods read and write the state the
reader's ``__init__`` sets up.
"""
from __future__ import annotations

import re
from typing import Any

from sql_gen.services.vocabulary import Outcome
from sql_gen.services.vocabulary.words import canonical, word_similarity
from widgets.services.offline_words import (
    AMOUNT,
    BETWEEN_AMOUNTS,
    COMPARE_OPS,
    NAME_ORDER,
    RANK_COMMON,
    RANK_COUNTED,
    RANK_N,
    RANK_N_AFTER,
    RANK_SUPER,
    SORT_ALONE,
    SORT_BY,
    SORT_DIRECTION,
    STOP,
    TRAILING_OPS,
    VALUE_ORDER,
    amount,
    clean,
    said_direction,
)
from widgets.services.reader.text import (
    CLAIMED_WORDS,
    LINKS_BEFORE,
    ORDER_VERBS,
    PAID_WORDS,
    SETTLE_WORDS,
    UNIT_WORDS,
    WHICH_N,
    blank,
    blank_column_words,
    blank_span,
    count_of,
    direction_said,
    ranking_of,
    words_end,
)


class OrderReading:
    """The reader's steps for the order of the rows, rankings and numeric filters."""

    def _order(self, text: str) -> tuple[dict[str, Any] | None, str]:
        """Return the order the words give the rows, before the metrics and dimensions are known: what it is by
        (a key after "sorted by", or none yet), whether by the labels ("alphabetical"), by speed ("fastest
        first") and which way; None when no order is said. The text comes back without the order's words."""
        order: dict[str, Any] = {"by": "", "names": False, "speed": False, "direction": ""}
        found = NAME_ORDER.search(text)
        if found and found.group(0).endswith(" order"):  # "alphabetical order by paid": not an order by paid
            order.update(direction_said(found))
            text = blank(text, found)
        found = SORT_BY.search(text)
        if found:
            text = self._sorted_by(text, found, order)
        for pattern in (SORT_ALONE, VALUE_ORDER, NAME_ORDER):
            found = pattern.search(text)
            if found and not order["direction"]:
                order.update(direction_said(found))
                text = blank(text, found)
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
        end = named_end = words_end(text, found.end(), used)
        if order["names"] and (name := re.match(r" +names?(?= )", text[end:])):  # "by team name": the team
            end += name.end()
        if said := SORT_DIRECTION.match(text, end):
            order["direction"] = said_direction(said.group("dir"))
            end = said.end()
        return blank_span(text, named_end if order["names"] else found.end(), end)

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
        lines", "business lines", "lines of business"): then it names a dimension, not a chart kind."""
        before, after = text[: found.start()].split()[-1:], text[found.end():].split()[:2]
        words = found.group(0).split()
        if len(words) != 1:
            return False
        for term in ([*before, *words] if before else [], [*words, *after] if len(after) == 2 else []):
            decision = self.vocabulary.decide(" ".join(term), kind="dimension") if term else None
            best = decision.best if decision else None
            if best is not None and decision.outcome == Outcome.USE and best.exact and set(words) & set(best.words):
                return True
        return False

    def _ranking(self, text: str) -> tuple[dict[str, Any] | None, str, str]:
        """Return the ranking ("top 5", "the 3 slowest", "which X had the most"), the words naming what is
        ranked when they follow it ("top 8 adjusters"), and the text without the ranking words."""
        found = RANK_COMMON.search(text)
        if found:  # "the most common causes": ranked by how many claims; "counted" says so when no measure is named
            n = found.group("n") or found.group("n2") or "1"
            down = (found.group("dir") or found.group("dir2")) in ("least", "rarest")
            after = " ".join(text[found.end():].split()[:3])
            return ({"direction": "bottom" if down else "top", "n": count_of(n), "counted": True}, after,
                    blank(text, found))
        found = RANK_N.search(text) or RANK_N_AFTER.search(text)
        if found:
            word = found.groupdict().get("dir") or found.group("dir_long")
            n = found.groupdict().get("n") or found.group("n_long")
            text = blank(text, found)
            after = text[found.end():].split()[:3]
            return ranking_of(word, max(1, count_of(n))), " ".join(after), text
        found = RANK_COUNTED.search(text)
        if found:  # "the 15 adjusters with the most open claims", "the 6 adjusters who paid out the most"
            word = found.group("dir")
            text = blank_span(text, found.start("dir"), found.end("dir"))
            if found.group("n"):
                text = blank_span(text, found.start("n"), found.end("n"))
            if not found.group("n") and self._plural_rows(found.group("what").split()):
                return None, found.group("what"), text  # "regions with the highest paid": every region
            n = found.group("n") or "1"
            return ranking_of(word, count_of(n)), found.group("what"), text
        found = RANK_SUPER.search(text)
        if found and not text[: found.start()].strip():  # "fastest adjuster team last month"
            after = " ".join(text[found.end():].split()[:3])
            ranked = ranking_of(found.group("dir"), 1)
            named = self._dimension_at(after.split())[1]
            if named and self._plural_rows(named):  # "top regions by total paid": every region, in that order
                ranked["every"] = True
            return ranked, after, blank(text, found)
        before = [w for w in text[: found.start()].split() if w not in STOP and w not in ORDER_VERBS] \
            if found else []
        if found and 0 < len(before) <= 3 and self._plural_rows(before) and not WHICH_N.search(text):
            return None, " ".join(before), blank(text, found)  # "causes, most claims first": every cause
        asked = found is not None and re.search(r" (?:which|what|who|whose|the) ", text[: found.start() + 1] + " ")
        if found and not asked and 0 < len(before) <= 3 and self._names_dimension(before):  # "adjuster team slowest"
            return ranking_of(found.group("dir"), 1), " ".join(before), blank(text, found)
        if found and asked:
            n = 1
            # "which 4 channels brought in the most", "what five adjusters paid out the most": the count asked
            # for sits after the question word, however far the superlative comes after it.
            counted = WHICH_N.search(text[: found.start() + 1])
            if counted:
                n = count_of(counted.group("n"))
                text = blank_span(text, counted.start("n"), counted.end("n"))
            return ranking_of(found.group("dir"), max(1, n)), "", blank(text, found)
        return None, "", text

    def _dimension_ending(self, before: list[str]) -> tuple[str | None, list[str]]:
        """Return the dimension the last of ``before`` name, all of them from some word on ("the adjuster
        team": "adjuster team"), with the words used; (None, []) when none does."""
        for start in range(len(before)):
            key, used = self._dimension_at(before[start:])
            if key and len(used) == len(before[start:]):
                return key, used
        return None, []

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
            text = self._used_column(blank(text, found), found, named)
        for op, words in COMPARE_OPS:
            pattern = re.compile(rf" {words} {AMOUNT}(?P<days> days?)?(?= )")
            while (found := pattern.search(text)) is not None:
                named = self._column_before(text, found.start())
                column = named[0] if named else self._number_column(text, found, bool(found.group("days")))
                if column is None:
                    break
                filters.append({"dimension": column, "op": op, "values": [amount(found)]})
                text = self._used_column(blank(text, found), found, named)
        while (found := TRAILING_OPS.search(text)) is not None:
            op = ">=" if found.group("op") in ("or more", "or over", "and up", "and above", "plus") else "<="
            column = self._number_column(text, found, bool(found.group("days")))
            if column is None:
                break
            filters.append({"dimension": column, "op": op, "values": [amount(found)]})
            text = blank_column_words(blank(text, found), found.start(), found.end())
        return filters, text

    def _column_before(self, text: str, start: int) -> tuple[str, int] | None:
        """Return the numeric column the words just before a comparison name ("where the paid amount is
        over", "claimed amt of more than", "settlement time exceeded"), with where those words start; None
        when they name none. Said before the comparison, the column is said outright: it is no measure, and
        no reading of the number decides it."""
        words = list(re.finditer(r"\S+", text[:start]))
        end = len(words)
        while end and words[end - 1].group(0) in LINKS_BEFORE:
            end -= 1
        for size in (3, 2, 1):
            said = [w.group(0) for w in words[max(0, end - size):end]]
            if len(said) < size or any(w in LINKS_BEFORE or w in STOP for w in said):
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
            own = set(label) - UNIT_WORDS  # "paid" of "paid amount": the word that tells columns apart
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
        return blank_column_words(text, found.start(), found.end())

    def _number_column(self, text: str, found: re.Match[str], days: bool) -> str | None:
        """Return the numeric column a comparison is about: days are the settlement time; money is what
        was paid when the words next to it say so, else what was claimed."""
        before, after = text[max(0, found.start() - 30): found.start() + 1], text[found.end() - 1: found.end() + 20]
        near = before + after
        if days or (not found.group("suffix") and "$" not in found.group(0) and SETTLE_WORDS.search(near)):
            return self._number_key("settlement_days")
        if PAID_WORDS.search(after) or PAID_WORDS.search(before[-16:] + " "):
            return self._number_key("paid_amount")
        if "$" in found.group(0) or found.group("suffix") or CLAIMED_WORDS.search(near):
            return self._number_key("claimed_amount")
        return None

    def _number_key(self, column: str) -> str | None:
        return next((key for key in self.numbers if key.endswith("." + column)), None) or (
            f"claims.{column}" if not self.numbers else None)
