"""What a widget did not apply: the words of the request its final spec does not use.

Computed by our code from the request and the final spec, never taken from the model's own report (a
model that drops a filter would not say so). A content word is applied when a term the spec uses
explains it (a metric's name or synonyms, a dimension's label or synonyms, a filter's values and their
synonyms, a numeric column); time, ranking and chart words are the window's, the ranking's and the
chart's. What is left is reported when it means something: it names something in the dictionary
the spec ignores ("motor" when no Auto filter was kept), or it stands where a value would ("in
europe") and matches nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sql_gen.services.vocabulary import CLOSE_SCORE, Outcome, vocabulary_for
from sql_gen.services.vocabulary.words import folded_words, word_similarity
from widgets.services import offline_words as reading
from widgets.services.offline_dates import read_time

_NUMBERS = re.compile(r" \$? ?\d+(?:\.\d+)?(?: ?(?:k|m|thousand|million|grand))?(?= )")
_OTHER_COMPARISON = re.compile(r" [a-z]+ than \$? ?\d+(?:\.\d+)?(?: ?(?:k|m))?(?: [a-z]+)?(?= )")
_SLOTS = frozenset({"in", "from", "at", "for", "by", "per"})
_SUBJECT = frozenset({"claim", "claims", "every", "everything", "except", "excluding", "without", "only"})


def not_applied(*, words: str, spec: dict[str, Any], catalog: dict[str, Any], today: dt.date) -> list[str]:
    """Return the words of the request (and its answers) that the spec does not apply, in their order."""
    text = read_time(reading.QUALIFIER.sub(" ", reading.clean(words)), today=today).text
    for pattern in reading.SHAPE_PATTERNS:
        text = pattern.sub(" ", text)
    kept = {float(f["values"][0]) for f in spec.get("filters", []) if f.get("op") not in ("in", "not_in")}
    dropped: list[str] = []
    for _, op_words in reading.COMPARE_OPS:
        for found in re.finditer(rf" (?:\S+ )?{op_words} {reading.AMOUNT}(?: days?)?(?= )", text):
            if float(reading.amount(found)) not in kept:
                dropped.append(found.group(0).strip())  # "older than 90 days": a comparison nothing applied
        text = re.sub(rf" {op_words} {reading.AMOUNT}(?: days?)?(?= )", " ", text)
    for found in _OTHER_COMPARISON.finditer(text):
        dropped.append(found.group(0).strip())
    text = _OTHER_COMPARISON.sub(" ", text)
    text = reading.TRAILING_OPS.sub(" ", reading.QUALIFIER.sub(" ", text))
    text = _NUMBERS.sub(" ", text)
    used = _used_words(spec, catalog)
    used_keys = {*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))}
    phrases = _used_phrases(spec, catalog)
    vocabulary = vocabulary_for(catalog=catalog)
    tokens, out = text.split(), list(dropped)
    for i, token in enumerate(tokens):
        if token in reading.STOP or token in reading.GENERIC or token in _SUBJECT or len(token) < 2 or token in out:
            continue
        folded = folded_words(token)
        if not folded:
            continue
        if any(_explains(word, f) for f in folded for word in used):
            # A word explained by a used term's wording may still name another dimension outright ("adjusters"
            # when only the adjuster team is filtered): that breakdown was not applied.
            named = vocabulary.decide(token, kind="dimension")
            if named.outcome != Outcome.USE or named.best is None or named.best.key in used_keys or \
                    not named.best.exact or _in_used_phrase(tokens, i, phrases):
                continue
            out.append(token)
            continue
        close = vocabulary.closest(token, n=1)
        meaningful = bool(close) and close[0].score >= CLOSE_SCORE
        in_slot = i > 0 and tokens[i - 1] in _SLOTS
        if meaningful or in_slot:
            out.append(token)
    return out


def _in_used_phrase(tokens: list[str], i: int, phrases: list[tuple[str, ...]]) -> bool:
    """Tell whether the word at ``i`` belongs to a used term said in full ("adjuster team", "product line")."""
    for phrase in phrases:
        n = len(phrase)
        for start in range(max(0, i - n + 1), i + 1):
            window = tuple(folded_words(" ".join(tokens[start:start + n])))
            if len(phrase) > 1 and window == phrase:
                return True
    return False


def _used_phrases(spec: dict[str, Any], catalog: dict[str, Any]) -> list[tuple[str, ...]]:
    """Return the folded words of each label and synonym of the dimensions the spec uses."""
    dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
    keys = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    terms = [t for key in keys for t in [(dimensions.get(key) or {}).get("label", ""),
                                         *(dimensions.get(key) or {}).get("synonyms", [])] if t]
    return [tuple(folded_words(term)) for term in terms]


def _explains(known: str, typed: str) -> bool:
    return known == typed or word_similarity(typed, known) >= 0.8


def _used_words(spec: dict[str, Any], catalog: dict[str, Any]) -> set[str]:
    """Return the folded words of every term the spec uses."""
    metrics = {m["key"]: m for m in catalog.get("metrics", [])}
    dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
    numbers = {n["key"]: n for n in catalog.get("numbers", [])}
    terms: list[str] = []
    for ref in [spec["metric"], *spec.get("extra_metrics", [])]:
        metric = metrics.get(ref["key"], {})
        terms += [ref["key"], metric.get("name", ""), *metric.get("synonyms", [])]
    for key in [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]:
        dimension = dimensions.get(key) or numbers.get(key) or {}
        terms += [key.split(".")[-1], dimension.get("label", ""), *dimension.get("synonyms", [])]
    for flt in spec.get("filters", []):
        values = {str(v) for v in flt["values"]}
        terms += list(values)
        synonyms = (dimensions.get(flt["dimension"]) or {}).get("value_synonyms", {})
        terms += [word for word, value in synonyms.items() if value in values]
        if flt.get("op") not in ("in", "not_in"):
            terms += ["claimed", "paid", "payout", "settled", "settle", "days"]
    if spec.get("visual"):
        terms.append(spec["visual"])
    return {word for term in terms for word in folded_words(str(term))}
