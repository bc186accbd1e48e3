"""Measures: the metrics named (by name, synonym, description or a slip), ratios and aggregates the
dictionary lacks, and the question or refusal when none is clear.

A part of the offline reader (``clarifier_offline.Reader``): its methods read and write the state the
reader's ``__init__`` sets up.
"""
from __future__ import annotations

import itertools
import re

from sql_gen.services.vocabulary import (
    CLOSE_SCORE,
    Outcome,
)
from widgets.services.offline_words import (
    STOP,
    clean,
)
from widgets.services.reader.text import (
    AGGREGATES,
    BARE_WORDS,
    GENERIC_MEASURE,
    MONEY,
    MONEY_ASKED,
    OF_CLAIMS,
    RATIO_SAID,
    SINGLE_CLOSE,
    SLOT_WORDS,
    blank_span,
    each_named,
    measure_end,
    measure_start,
    position_of,
    remove_mention,
    remove_words,
    similar,
)


class MeasureReading:
    """The reader's steps for measures."""

    def _aggregate_lacking(self, metric_keys: list[str]) -> bool:
        """Refuse a measure taken another way than any metric the dictionary has ("median claimed amount",
        "payout per claim" when only the sums are kept): never the sum or the count in its place. Return
        whether it was refused."""
        tokens = self._untimed.split()
        said = [i for i, w in enumerate(tokens) if AGGREGATES.get(w)]
        per_claim = [i for i, w in enumerate(tokens[:-1]) if w == "per" and tokens[i + 1] in ("claim", "claims")]
        if not said and not per_claim:
            return False
        asked = [q for q in self.questions if q["id"] == "metric"]
        if not metric_keys and not asked:
            return False
        if said and metric_keys and any(self._metric_taken(k, AGGREGATES[tokens[said[0]]]) for k in metric_keys):
            return False
        if not said and metric_keys and all(self.metrics[k].get("unit") != "currency" for k in metric_keys):
            return False  # "open claims per claim" says nothing; an amount per claim is an average
        start = said[0] if said else measure_start(tokens, per_claim[0])
        end = per_claim[0] + 2 if per_claim else measure_end(tokens, start)
        closest = [self.metrics[k]["name"] for k in metric_keys if k in self.metrics] or \
            [name for q in asked for name in q.get("options", [])][:3]
        self.questions = []
        self.missing.append({"term": " ".join(tokens[start:end]), "kind": "metric", "closest": closest})
        return True

    def _metric_taken(self, key: str, how: str) -> bool:
        """Tell whether a metric's name or synonyms say it is taken ``how`` ("average settlement time")."""
        metric = self.metrics[key]
        words = " ".join([metric.get("name", ""), *metric.get("synonyms", [])]).lower().split()
        return any(AGGREGATES.get(w) == how for w in words)

    def _metrics_beside_values(self, text: str, *, slow: bool) -> tuple[list[str], str]:
        """Return ``_metrics`` of the text, reading no measure in a stored value's name typed in full
        ("claims for auto premium": the product Auto Premium, not earned premium on Auto), nor in a
        noun that only says what a value is; the value's words are left for the value filters."""
        spans = [(m.start(), m.end()) for name in self._long_values
                 for m in re.finditer(rf"(?<= ){re.escape(name)}(?= )", text)]
        spans += self._unknown_name_starts(text)
        hidden = self._without_value_nouns(text)
        for start, end in spans:
            hidden = blank_span(hidden, start, end)
        metric_keys, rest = self._metrics(hidden, slow=slow)
        for start, end in spans:
            rest = rest[:start] + text[start:end] + rest[end:]
        return metric_keys, rest

    def _metrics(self, text: str, *, slow: bool) -> tuple[list[str], str]:
        """Return the metric keys the text names, in reading order, and the text without them."""
        self._before_metrics = text
        chosen: list[tuple[int, str]] = []
        used: set[str] = set()  # words already naming a chosen metric: one word names one thing
        unclear: list[tuple[list[str], set[str]]] = []  # undecided mentions, with their words
        for decision in self._segment_mentions(text):
            if decision.outcome == Outcome.ASK and decision.options:
                named = each_named(decision, text)
                fresh = [o for o in decision.options if not set(o.words) <= used]
                if not named and len(decision.options) == 1 and fresh and fresh[0].score >= SINGLE_CLOSE:
                    named = fresh  # one candidate, close: use it, and say so
                    self.assumptions.append(f"Read “{' '.join(fresh[0].words)}” as {fresh[0].label}.")
                for option in named:
                    chosen.append((position_of(text, option.words) or 0, option.key))
                    used |= set(option.words)
                    text = remove_words(text, list(option.words))
                if not named and fresh:
                    unclear.append(([o.key for o in decision.options], set(decision.options[0].words)))
                continue
            best = decision.best
            if decision.outcome != Outcome.USE or best is None or set(best.words) <= used:
                continue
            if set(best.words) <= GENERIC_MEASURE:
                continue  # "numbers", "totals": nothing measurable is named
            if set(best.words) <= BARE_WORDS:
                self._bare_count.add(best.key)  # "claims", "totals for … claims": no amount or count is named
            if best.key not in [k for _, k in chosen]:
                chosen.append((position_of(text, best.words) or 0, best.key))
                self._note_inexact(decision, " ".join(best.words))
            used |= set(best.words)
            text = remove_mention(text, list(best.words))
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
        asked = [keys for keys, said in unclear if (not chosen or not said <= GENERIC_MEASURE)
                 and not set(keys) <= taken]
        if asked:
            self._ask_metric(asked[0])
        count = next((k for k, m in self.metrics.items() if "claims" in m.get("synonyms", [])), None)
        if count and count not in [k for _, k in chosen] and " claims " in text and self._claims_coordinated():
            chosen.append((position_of(text, ["claims"]) or 0, count))  # "claims, open claims and claimants"
            self._bare_count.add(count)
            text = remove_words(text, ["claims"])
        # "claims" alone names the claim count only when nothing else is measured ("paid on water claims").
        if len(chosen) > 1 and not self._claims_coordinated():
            chosen = [(at, key) for at, key in chosen if key not in self._bare_count] or chosen
        if chosen and {k for _, k in chosen} <= self._bare_count and MONEY_ASKED.search(self._before_metrics):
            # "value of claims", "claim $", "how much did the claims come to": an amount, but which?
            self._ask_metric([k for k in self.metrics if self.metrics[k].get("unit") == "currency"][:4])
            return [], text
        keys = [k for _, k in sorted(chosen) if k]
        return keys, text

    def _ratio_of(self, keys: list[str]) -> tuple[str, tuple[str, str]] | None:
        """Return the ratio metric whose numerator and then denominator the request names, said as a ratio
        ("paid-to-premium ratio", "paid as a share of premium"), with its parts; None otherwise. The other
        way round ("premium to paid") is no metric of the dictionary, and is left as two measures."""
        if not RATIO_SAID.search(self._before_metrics):
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
            if before and before not in SLOT_WORDS and before not in ("of", "the"):
                continue  # where a name stands: first, or after "in", "of", "the" ("how long they take": no name)
            if word in STOP or after in STOP or after.isdigit() or self._known(after):
                continue
            decision = self.vocabulary.decide(word, kind="metric")
            lead = decision.best or (decision.options[0] if decision.options else None)
            if lead is None or lead.exact or len(lead.words) != 1:
                continue
            head = clean(lead.term).split()[-1:]
            if head and not similar(word, head[0]):
                spans.append((at, at + len(word)))
                self._name_words.add(word)
        return spans

    def _count_metric(self) -> str | None:
        """Return the metric that counts claims (the one "claims" alone names), or None."""
        return next((k for k, m in self.metrics.items() if "claims" in m.get("synonyms", [])), None)

    def _claims_coordinated(self) -> bool:
        """Tell whether "claims" stands in a list of measures ("claims, open claims and claimants", "claims and
        payouts", "claims vs total paid" on a scatter), not as the noun of a filter ("medium claims, every region")."""
        words = {w for m in self.metrics.values() for term in [m["name"], *m.get("synonyms", [])]
                 for w in clean(term).split()} - {"claim", "claims", "number", "of", "count", "total"}
        measure = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
        qualifier = r"(?:(?:the|a|total|average|avg|mean|number of|count of)\s+)*"  # "claims plus total paid"
        joined = r"(?:,|and\b|plus\b|&|vs\b\.?|versus\b|along with\b|alongside\b|as well as\b|together with\b)"
        after = rf"\bclaims\s*{joined}\s*{qualifier}(?:{measure})\b"
        before = rf"\b(?:{measure})\s*{joined}\s*(?:the\s+)?(?:number of\s+)?claims\b"
        return bool(re.search(after, self._raw) or re.search(before, self._raw))

    def _fallback_metric(self, text: str) -> list[str]:
        """With no metric named: ask about money words that fit several ("value", "$"), else nothing."""
        if [w for w in text.split() if w in MONEY]:
            self._ask_metric([k for k in self.metrics if self.metrics[k].get("unit") == "currency"][:4])
        return []

    def _measure_before_claims(self, unknown: list[str]) -> list[str]:
        """Return the unknown words that open the request before "on", "about", "for" or "of" when the claims are
        named only later, as the noun of a filter ("fraud referrals on motor claims", "complaints about travel
        claims"): what is asked of those claims is a measure the data lacks. [] when the request opens otherwise
        (a verb before the claims themselves, "tally claims for motor", names no measure)."""
        tokens = [w for w in self._original.split() if w not in STOP or w in OF_CLAIMS]
        for at, word in enumerate(tokens[:4]):
            if word in OF_CLAIMS:
                opening = [w for w in tokens[:at] if w in unknown]
                return opening if opening and "claims" in tokens[at:] and "claims" not in tokens[:at] else []
        return []

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

    def _ask_metric(self, keys: list[str]) -> None:
        if any(q["id"] == "metric" for q in self.questions):
            return
        names = [self.metrics[k]["name"] for k in keys if k in self.metrics][:8]
        self.questions.append({"id": "metric", "text": "Which measure should the widget show?", "options": names})

    def _first_metric(self, word: str) -> str:
        return next((k for k in self.metrics if word in k), "")
