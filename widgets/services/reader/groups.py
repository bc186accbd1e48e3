"""Breakdowns: "by region and channel", "per adjuster team", the rows a question asks for ("which
regions"), and dimension names typed shortened or with a slip.

A part of the offline reader (``clarifier_offline.Reader``): its methods read and write the state the
reader's ``__init__`` sets up.
"""
from __future__ import annotations

import re
from typing import Any

from sql_gen.services.vocabulary import (
    AMBIGUITY_MARGIN,
    CLOSE_SCORE,
    Decision,
    Match,
    Outcome,
)
from widgets.services.offline_words import (
    GENERIC,
    RANKED_BY,
    STOP,
    abbreviates,
    clean,
    says_name,
)
from widgets.services.reader.text import (
    BARE_WORDS,
    BEFORE_DIMENSION,
    GROUP_LEAD,
    NEGATION,
    RUN_CLOSE,
    SHAPE_NOUN,
    SUBJECT_LEADS,
    VERSUS,
    blank,
    blank_span,
    remove_words,
    table_word,
)


class GroupReading:
    """The reader's steps for breakdowns."""

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
                    text = remove_words(text, used)
                    break
        for found in list(RANKED_BY.finditer(text)):  # "regions ranked by claims": the rows come first
            key, used = self._dimension_ending(text[: found.start()].split()[-3:])
            if key:
                if key not in dims:
                    dims.append(key)
                text = remove_words(blank(text, found), used, near=max(0, found.start() - 30))
        for found in list(GROUP_LEAD.finditer(text)):
            key, used = self._dimension_at(text[found.end():].split())
            if key is None:
                text = self._no_dimension_after(text, found, dims, ranked=bool(ranked))
                continue
            following = text[found.end():].split()[len(used):len(used) + 1]
            if found.group(0).strip() in ("every", "each", "for every", "for each") and following[:1] and \
                    NEGATION.match(" " + following[0] + " "):
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
                    text = remove_words(text, before_used)
            text = remove_words(text, [found.group(0).strip(), *used], near=found.start())
            rest = text[found.start():].split()
            while rest[:1] == ["and"] and len(dims) < 2:
                more, used_more = self._dimension_at(rest[1:])
                if not more:
                    break
                if more not in dims:
                    dims.append(more)
                text = remove_words(text, ["and", *used_more], near=found.start())
                rest = text[found.start():].split()
        if not dims:  # "product line breakdown of total paid", "segments table: …": the rows named before the shape
            for found in SHAPE_NOUN.finditer(self._original):
                before = text[: found.start()].split()[-3:]
                if not text[: found.start()].endswith(" ".join(before[-1:])):
                    continue  # a word the reading already used stands between them
                for start in range(len(before)):
                    key, used = self._dimension_at(before[start:])
                    if key and len(used) == len(before[start:]) and before[start] not in STOP:
                        dims.append(key)
                        text = remove_words(text, used, near=max(0, found.start() - 30))
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
                text = remove_words(blank(text, found), used, near=max(0, found.start() - 25))
        if not dims:  # "the state of claims", "causes of claims": a breakdown of the claims by it
            for found in re.finditer(r" of (?:the |all |our )?(?P<noun>\S+)(?= )", text):
                before = [w for w in text[: found.start()].split()[-2:] if w not in STOP]
                key, used = None, []
                for start in range(len(before)):  # "claim state of claims", "the current state of claims"
                    key, used = self._dimension_at(before[start:])
                    if key and len(used) == len(before[start:]):
                        break
                if key and used and table_word(found.group("noun"), key):
                    dims.append(key)
                    text = remove_words(blank_span(text, found.start(), found.start("noun")), used,
                                         near=max(0, found.start() - 25))
                    break
        return dims, text

    def _no_dimension_after(self, text: str, found: re.Match[str], dims: list[str], *, ranked: bool) -> str:
        """Read a breakdown's lead ("by", "broken down by", "per") that no dimension follows, and return the text.

        A measure after it with the rows named before it ("regions by total claimed"): the rows are that
        dimension, added to ``dims``. A word after it that names something of the data but nothing to break
        down by ("by claimant", "grouped by customers", with a measure before): a breakdown the data lacks,
        refused naming it. A longer lead keeps only its "by" ("broken down by branch"), so that "broken" is
        read as no value and the word after it stands where a breakdown would."""
        after = text[found.end():].split()
        while after and after[0] in BEFORE_DIMENSION:
            after = after[1:]
        lead = found.group(0).strip()
        if " " in lead:
            text = blank_span(text, found.start(), found.end() - 3) if lead.endswith(" by") else blank(text, found)
        if not after or ranked:
            return text
        before = text[: found.start()].split()
        while before and before[-1] in STOP:  # "segments in reverse alphabetical order by …": the order was read
            before.pop()
        rows, used = self._dimension_ending(before[-3:])
        if rows is not None:
            if rows not in dims and self._measure_run(after):
                dims.append(rows)  # "regions by total claimed": the regions are the rows
                text = remove_words(text, used, near=max(0, found.start() - 30))
            return text
        if after[0] in STOP or after[0] in GENERIC or after[0] in BARE_WORDS or after[0].isdigit():
            return text
        word = after[0]
        if self._measure_run(after) and (len(self._measure_run(after)) > 1 or not self._measure_said_before(text, found)):
            return text  # "by total paid": what the rows are ordered or measured by, not a breakdown
        if self._names_dimension([word]) or self._value_decision(word).outcome != Outcome.REFUSE or \
                not self._known(word):
            return text  # a value ("by broker") is a filter; an unknown word is the left-over reading's
        closest = [c.label for c in self.vocabulary.closest(word, n=3, kind="dimension")]
        self.missing.append({"term": word, "kind": "dimension", "closest": closest})
        return remove_words(text, [word], near=found.start())

    def _measure_run(self, words: list[str]) -> list[str]:
        """Return the words at the start of ``words`` (up to three) that name one measure exactly, or []."""
        for size in (3, 2, 1):
            run = words[:size]
            if len(run) == size and run[-1] not in STOP and self._measure_word(" ".join(run)):
                return run
        return []

    def _measure_said_before(self, text: str, found: re.Match[str]) -> bool:
        return any(self._measure_word(w) for w in text[: found.start()].split() if w not in STOP)

    def _subject(self, text: str, dims: list[str]) -> tuple[list[str], str]:
        """Return the dimension a question or a list is about ("which region …", "list every product
        with …", "the 15 adjusters with …") when nothing else groups the widget."""
        if dims:
            return dims, text
        for lead in SUBJECT_LEADS:
            for found in lead.finditer(text):
                after = text[found.end():].split()
                key, used = self._dimension_at(after)
                if key and after[len(used):len(used) + 1] and NEGATION.match(" " + after[len(used)] + " "):
                    continue  # "every region except the west": a filter's scope
                if key and self._value_follows(key, after[len(used):]):
                    continue  # "for adjuster thomas moore", "whose status is open": the name of a filter's dimension
                if key:
                    return [key], remove_words(text, used, near=found.end())
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
        if compared or len(dims) >= 2 or not VERSUS.search(self._original):
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
                 if content <= set(m.words) and m.score >= RUN_CLOSE and m.via not in ("description", "closest")]
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

    def _abbreviated(self, word: str) -> Match | None:
        """Return the one dimension whose one-word name (its label or a synonym, or their plural) ``word`` writes
        without vowels ("regn", "chnl", "adjstrs"), when no measure or value is named by it; else None."""
        if self._measure_word(word) or self._value_decision(word).outcome == Outcome.USE:
            return None
        fits = {key: Match("dimension", key, dimension.get("label", key), CLOSE_SCORE, False, "shortened", name, (word,))
                for key, dimension in self.dimensions.items()
                for name in [dimension.get("label", ""), *dimension.get("synonyms", [])]
                if " " not in clean(name).strip() and any(abbreviates(word, form) for form in
                                                          (clean(name).strip(), clean(name).strip() + "s"))}
        return next(iter(fits.values())) if len(fits) == 1 else None

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
        while words and (words[0] in BEFORE_DIMENSION or words[0].isdigit()):
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
                    table_word(run[0], best.key) and all(w in STOP or w in best.words for w in run[1:]):
                found, note = (best.key, run), (decision, " ".join(run[1:]))  # "claim state": the claim's state
            elif (close := self._close_run(run)) is not None:  # "adjuster teem": one slip in a name of two words
                found, note = (close.key, run), (Decision(Outcome.USE, close, (), "close"), " ".join(run))
            elif (short := self._shortened_run(run)) is not None:  # "cust segment", "sales chan", "claim sz band"
                found, note = (short.key, run), (Decision(Outcome.USE, short, (), "close"), " ".join(run))
            elif size == 1 and (short := self._abbreviated(run[0])) is not None:  # "regn", "chnl"
                found, note = (short.key, run), (Decision(Outcome.USE, short, (), "close"), run[0])
        if note is not None:
            self._note_inexact(*note)
        return found

    def _names_dimension(self, words: list[str]) -> bool:
        """Tell whether ``words`` are, all of them, one dimension's name ("adjuster team", "regions")."""
        decision = self.vocabulary.decide(" ".join(words), kind="dimension")
        return decision.outcome == Outcome.USE and decision.best is not None and \
            len(decision.best.words) == len(words) and decision.best.score >= CLOSE_SCORE

    def _plural_rows(self, words: list[str]) -> bool:
        """Tell whether ``words`` end with a dimension's rows said in the plural ("regions", "the products"):
        a superlative with no number then orders every row, it does not pick one."""
        last = words[-1:]
        return bool(last) and last[0].endswith("s") and not last[0].endswith("ss") and \
            self._dimension_ending(words)[0] is not None
