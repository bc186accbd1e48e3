"""What a widget did not apply: the words of the request its final spec does not use.

Computed by our code from the request and the final spec, never taken from the model's own report (a
model that drops a filter would not say so). It is a coverage check: every content word of the request
and its answers is *used* (a metric's name, synonyms or definition, a dimension's label or synonyms, a
filter's values and their synonyms, a numeric column; time, ranking, chart and shape words are the
window's, the ranking's and the chart's), or a function or filler word ("show me", "pls", "plus"), or it
is reported. The default for an unexplained word is to report it, as the phrase it stands in: the
qualifier that introduces it ("excluding weekends", "net of recoveries", "only litigated") and function
words between two such words. Markup is reported as its tags, and never read as words.

A follow-up to a widget ("make it a table", "remove the region filter") is checked the same way, against
the spec before the change as well as after it (a removal names what it removes; both titles explain a
rename), with the verbs of a change as function words.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sql_gen.services.synonyms import unreadable_letters
from sql_gen.services.vocabulary import Outcome, vocabulary_for
from sql_gen.services.vocabulary.words import folded_words, word_similarity
from widgets.services import offline_words as reading
from widgets.services.offline_dates import read_time
from widgets.services.spec_sort import default_order, sort_read

_NUMBERS = re.compile(r" \$? ?\d+(?:\.\d+)?(?: ?(?:k|m|thousand|million|grand))?(?= )")
_OTHER_COMPARISON = re.compile(r" [a-z]+ than \$? ?\d+(?:\.\d+)?(?: ?(?:k|m))?(?: [a-z]+)?(?= )")
_SLOTS = frozenset({"in", "from", "at", "for", "by", "per"})
_SUBJECT = frozenset({"claim", "claims", "every", "everything", "except", "excluding", "excl", "without", "only", "outside",
                      "barring", "aside"})
# Words that introduce a qualifier: when what follows is not applied, they are reported with it.
_QUALIFIERS = frozenset("excluding exclude except without only just net minus where with that which who whose "
                        "are is were not but other than besides apart unless when having if no non".split())
# Filler of a request that names nothing in any dictionary ("pls", "can you", "i need", "a chart of").
# Verbs and joiners that only carry the sentence ("claims that came in", "open claims alongside total claimed").
_FILLER = frozenset("pls plz please hey hi hello thx cheers kindly wanna gonna im id ill ive maybe really bit "
                    "little whole entire etc quick quickly real plus alongside along together via showing shown "
                    "came come comes coming took take takes taking brought bring brings saw seen people they "
                    "them share breakdown break items ones wise".split())
# The verbs and joiners of a follow-up: they say how the widget changes, and name nothing in the dictionary.
_CHANGE_WORDS = frozenset("make change changed switch swap replace replaced instead rather turn convert use "
                          "remove removed drop clear delete take off rid keep add added adding include including "
                          "also again back rename renamed call title name it its this that now more less "
                          "same different new old version previous split breakdown grouping unsplit "
                          "just only without except no not any comparison comparisons filter filters ranking "
                          "rankings unranked grain window".split())
# Words of a grain: in a custom widget's visual they describe the data, which only the spec's grain explains.
_GRAIN_WORDS = frozenset(folded_words("day days daily week weeks weekly month months monthly quarter quarters "
                                      "quarterly year years yearly annual annually hour hourly"))
# Words that only say a measure is an amount of money: a currency metric explains them.
_MONEY = frozenset("value values amount amounts money sum sums dollars worth usd".split())
_BREAK_TOKEN = "zzmarkupzz"  # stands where a tag was: no phrase runs across it
_MARKUP = re.compile(r"<\s*/?\s*[a-z!][^<>]*>|&(?:[a-z]+|#\d+);", re.IGNORECASE)
_GAP = 3  # function words that may join two unexplained words into one phrase ("where the claimant is a minor")
_LEAD_REACH = 3  # function words between a qualifier and the unexplained word it introduces


def not_applied(*, words: str, spec: dict[str, Any], catalog: dict[str, Any], today: dt.date,
                before: dict[str, Any] | None = None) -> list[str]:
    """Return what the request (and its answers) says that the spec does not apply, in reading order: markup,
    comparisons nothing kept, and each unexplained content word as the phrase around it ("excluding weekends").

    With ``before`` (the widget's spec before a follow-up), ``words`` are a follow-up: a word either spec
    explains is used, and the verbs of a change are function words."""
    specs = [spec] if before is None else [spec, before]
    filler = _FILLER if before is None else _FILLER | _CHANGE_WORDS
    markup, words = _without_markup(words)
    text = reading.fix_time_typos(reading.clean(words))
    if before is not None:
        text = reading.AS_BEFORE.sub(" ", text)  # "same but last quarter": the rest stays as the widget has it
    time = read_time(reading.weeks_as_days(reading.QUALIFIER.sub(" ", text)), today=today)
    text = time.text
    for phrase in [p for one in specs for p in _used_phrases(one, catalog)]:
        if len(phrase) > 1:  # said in full, a used term is not read for chart words ("product lines")
            text = re.sub(rf" {re.escape(' '.join(phrase))}(?:s|es)?(?= )", " ", text)
    for pattern in _sort_patterns(specs) + _others_patterns(specs, follow_up=before is not None) + reading.SHAPE_PATTERNS:
        text = pattern.sub(" ", text)
    kept = {float(f["values"][0]) for one in specs for f in one.get("filters", []) if f.get("op") not in ("in", "not_in")}
    # Words in letters the reader drops ("Авто"), then time words the window does not use ("before march").
    dropped: list[str] = [*markup, *_unreadable(words), *time.unread]
    for found in reading.BETWEEN_AMOUNTS.finditer(text):
        if not {float(reading.amount(found)), float(reading.amount(found, "num2", "suffix2"))} <= kept:
            dropped.append(found.group(0).strip())
    text = reading.BETWEEN_AMOUNTS.sub(" ", text)
    for _, op_words in reading.COMPARE_OPS:
        for found in re.finditer(rf" (?:\S+ )?{op_words} {reading.AMOUNT}(?: days?)?(?= )", text):
            if float(reading.amount(found)) not in kept:
                dropped.append(found.group(0).strip())  # "older than 90 days": a comparison nothing applied
        text = re.sub(rf" {op_words} {reading.AMOUNT}(?: days?)?(?= )", " ", text)
    for found in _OTHER_COMPARISON.finditer(text):
        dropped.append(found.group(0).strip())
    text = _OTHER_COMPARISON.sub(" ", text)
    text = reading.TRAILING_OPS.sub(" ", reading.QUALIFIER.sub(" ", text))
    tokens = _NUMBERS.sub(" ", text).split()
    reported = _unexplained(tokens, specs=specs, catalog=catalog, filler=filler,
                            titles=before is not None)
    return list(dict.fromkeys([*dropped, *_phrases(tokens, reported)]))


def _sort_patterns(specs: list[dict[str, Any]]) -> list[re.Pattern[str]]:
    """Return the patterns of the order words the specs explain: any order of a breakdown's rows, which a sort
    or the default order (a breakdown highest first) says. A sort the spec step dropped is reported by the
    departures; order words on a series or a single number are reported here."""
    ordered = any(sort_read(spec) or default_order(spec) for spec in specs)
    return [*reading.SORT_PATTERNS, reading.SORT_DIRECTION] if ordered else []


def _others_patterns(specs: list[dict[str, Any]], *, follow_up: bool) -> list[re.Pattern[str]]:
    """Return the pattern of an "all others" row's words ("plus the rest") when they are explained: a spec's
    ranking has the row, or, for a first request, the spec ranks (the departures report a row it left out).
    Said of no ranking, or in a follow-up whose spec has no row, they are reported here."""
    rankings = [spec.get("ranking") or {} for spec in specs]
    explained = any(r.get("others") for r in rankings) or (not follow_up and any(rankings))
    return [reading.OTHERS_ROW] if explained else []


def _unreadable(words: str) -> list[str]:
    """Return the words written wholly in letters the reader drops, such as Cyrillic or Chinese ones: it reads
    a to z only (accents folded), so they vanish from the text read, and nothing of the spec can come from them.
    (A word with some such letters, "straße", leaves the rest, which is reported as any unexplained word is.)"""
    def dropped(word: str) -> bool:
        letters = [c for c in word if c.isalpha()]
        return bool(letters) and all(unreadable_letters(c) for c in letters)

    return [word.strip(_PUNCTUATION) for word in words.split() if dropped(word)]


_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»"


def _without_markup(words: str) -> tuple[list[str], str]:
    """Return the markup tags of ``words`` ("<b>") and the words without them: a tag is never read as words,
    and never vanishes unreported."""
    tags: list[str] = []
    for tag in _MARKUP.findall(words):
        shown = " ".join(tag.split())[:40]
        closing = re.sub(r"^<\s*/\s*", "<", shown)
        if shown not in tags and not (closing != shown and any(t.startswith(closing[:-1]) for t in tags)):
            tags.append(shown)  # "<b>" once, not its "</b>" too
    return tags, _MARKUP.sub(f" {_BREAK_TOKEN} ", words)


def _unexplained(tokens: list[str], *, specs: list[dict[str, Any]], catalog: dict[str, Any], filler: frozenset[str],
                 titles: bool) -> set[int]:
    """Return the positions of the content words no term of the specs explains (nor their titles, with
    ``titles``): the default for a word that is neither a function word, filler, nor used is to report it."""
    used = {w for spec in specs for w in _used_words(spec, catalog, said=tokens)}
    if titles:
        used |= {w for spec in specs for w in folded_words(str(spec.get("title") or ""))}
    used_keys = {k for spec in specs for k in [*spec.get("dimensions", []),
                                                *(f["dimension"] for f in spec.get("filters", []))]}
    phrases = [p for spec in specs for p in _used_phrases(spec, catalog)]
    vocabulary = vocabulary_for(catalog=catalog)
    negated = any(f.get("op") == "not_in" for spec in specs for f in spec.get("filters", []))
    reported: set[int] = set()
    for i, token in enumerate(tokens):
        if _is_function_word(token) or token == _BREAK_TOKEN or (negated and token in ("not", "isnt")):
            continue  # "status is not closed": a filter that excludes applies the "not"
        folded = folded_words(token)
        if not folded or all(f in filler for f in folded):
            continue
        if any(_names_used_term(vocabulary, token, spec=spec, used_keys=used_keys) for spec in specs):
            continue  # "stauts" for the status used: a slip the reader read right
        if _in_said_name(tokens, i, phrases):
            continue  # "cust" of "cust segment", the customer segment used: a name said with a word shortened
        if any(_explains(word, f) for f in folded for word in used):
            # A word explained by a used term's wording may still name another dimension outright ("adjusters"
            # when only the adjuster team is filtered): that breakdown was not applied.
            named = vocabulary.decide(token, kind="dimension")
            if named.outcome != Outcome.USE or named.best is None or named.best.key in used_keys or \
                    not named.best.exact or _in_used_phrase(tokens, i, phrases):
                continue
        reported.add(i)
    return reported


def _names_used_term(vocabulary: Any, token: str, *, spec: dict[str, Any], used_keys: set[str]) -> bool:
    """Tell whether the dictionary reads ``token`` alone as a metric or dimension the spec uses."""
    metric_keys = {ref["key"] for ref in [spec["metric"], *spec.get("extra_metrics", [])]}
    for kind, keys in (("metric", metric_keys), ("dimension", used_keys)):
        named = vocabulary.decide(token, kind=kind)
        if named.outcome == Outcome.USE and named.best is not None and named.best.key in keys:
            return True
    return False


def _is_function_word(token: str) -> bool:
    return token in reading.STOP or token in reading.GENERIC or token in _SUBJECT or token in _FILLER or \
        len(token) < 2 or token.isdigit()


def _phrases(tokens: list[str], reported: set[int]) -> list[str]:
    """Return each run of reported words as the phrase it stands in: function words between two of them
    join them ("net of recoveries"), and a qualifier just before leads it ("only litigated")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i not in reported:
            i += 1
            continue
        start, end = _lead(tokens, i, reported), i + 1
        while True:
            gap = next((j for j in range(end, min(end + _GAP + 1, len(tokens))) if j in reported), None)
            if gap is None or any(tokens[k] not in reading.STOP for k in range(end, gap)):
                break
            end = gap + 1
        out.append(" ".join(tokens[start:end]))
        i = end
    return out


def _lead(tokens: list[str], i: int, reported: set[int]) -> int:
    """Return where the phrase of the reported word at ``i`` starts: at a qualifier that introduces it
    ("excluding", "net of", "that are"), over function words only, or at the word itself."""
    for back in range(i - 1, max(-1, i - 1 - _LEAD_REACH), -1):
        if back in reported or not _is_function_word(tokens[back]):
            break
        if tokens[back] in _QUALIFIERS:
            start = back
            while start > 0 and tokens[start - 1] in _QUALIFIERS and start - 1 not in reported:
                start -= 1  # "but not", "other than", "that are only"
            return start
    return i


def _in_used_phrase(tokens: list[str], i: int, phrases: list[tuple[str, ...]]) -> bool:
    """Tell whether the word at ``i`` belongs to a used term said in full ("adjuster team", "product line")."""
    for phrase in phrases:
        n = len(phrase)
        for start in range(max(0, i - n + 1), i + 1):
            window = tuple(folded_words(" ".join(tokens[start:start + n])))
            if len(phrase) > 1 and window == phrase:
                return True
    return False


def _in_said_name(tokens: list[str], i: int, phrases: list[tuple[str, ...]]) -> bool:
    """Tell whether the word at ``i`` is one of a used term of several words said in its place, with words
    shortened ("cust segment", "sales chan"), as the reader reads such a name (``says_name``)."""
    return any(reading.says_name(tokens[start:start + len(phrase)], list(phrase))
               for phrase in phrases if len(phrase) > 1
               for start in range(max(0, i - len(phrase) + 1), i + 1))


def _used_phrases(spec: dict[str, Any], catalog: dict[str, Any]) -> list[tuple[str, ...]]:
    """Return the folded words of each label and synonym of the dimensions the spec uses."""
    dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
    keys = [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]
    terms = [t for key in keys for t in [(dimensions.get(key) or {}).get("label", ""),
                                         *(dimensions.get(key) or {}).get("synonyms", [])] if t]
    return [tuple(folded_words(term)) for term in terms]


def _explains(known: str, typed: str) -> bool:
    return known == typed or word_similarity(typed, known) >= 0.8


def _used_words(spec: dict[str, Any], catalog: dict[str, Any], *, said: list[str]) -> set[str]:
    """Return the folded words of every term the spec uses. A value's synonym of several words counts only
    when ``said`` (the request's words) holds all of them: one word of it ("biz" of "small biz", "insurance" of
    "car insurance") names no value, so a filter read from it is not what that word asked for."""
    metrics = {m["key"]: m for m in catalog.get("metrics", [])}
    dimensions = {d["key"]: d for d in catalog.get("dimensions", [])}
    numbers = {n["key"]: n for n in catalog.get("numbers", [])}
    terms: list[str] = []
    for ref in [spec["metric"], *spec.get("extra_metrics", [])]:
        metric = metrics.get(ref["key"], {})
        terms += [ref["key"], metric.get("name", ""), metric.get("description", ""), *metric.get("synonyms", [])]
        if metric.get("unit") == "currency":
            terms += sorted(_MONEY)
    for key in [*spec.get("dimensions", []), *(f["dimension"] for f in spec.get("filters", []))]:
        dimension = dimensions.get(key) or numbers.get(key) or {}
        terms += [key.split(".")[-1], dimension.get("label", ""), *dimension.get("synonyms", [])]
    for flt in spec.get("filters", []):
        values = {str(v) for v in flt["values"]}
        terms += list(values)
        synonyms = (dimensions.get(flt["dimension"]) or {}).get("value_synonyms", {})
        terms += [word for word, value in synonyms.items() if value in values and _said_whole(word, said)]
        named = {reading.clean(v).strip() for v in values} | {w for w, v in synonyms.items() if v in values}
        terms += [verb for verb in said if set(reading.past_forms(verb)) & named]  # "we deny": the status denied
        if flt.get("op") not in ("in", "not_in"):
            terms += ["claimed", "paid", "payout", "settled", "settle", "days", "worth", "value", "amount", "valued"]
    used = {word for term in terms for word in folded_words(str(term))}
    if spec.get("visual"):
        # A custom widget's visual explains how it looks, not what it counts: a word of it that names a grain,
        # a metric or a dimension ("by region and month" echoed in it) is explained only by the spec using it.
        vocabulary = vocabulary_for(catalog=catalog)
        used |= {word for word in folded_words(str(spec["visual"]))
                 if word in used or not (word in _GRAIN_WORDS or _names_data(vocabulary, word))}
    return used


def _said_whole(term: str, said: list[str]) -> bool:
    """Tell whether every word of ``term`` but its function words is among the words ``said``."""
    typed = {f for token in said for f in folded_words(token)}
    return all(any(_explains(word, t) for t in typed) for word in folded_words(term) if word not in reading.STOP)


def _names_data(vocabulary: Any, word: str) -> bool:
    """Tell whether the dictionary reads ``word`` alone, exactly, as a metric or a dimension."""
    for kind in ("metric", "dimension"):
        named = vocabulary.decide(word, kind=kind)
        if named.outcome == Outcome.USE and named.best is not None and named.best.exact:
            return True
    return False
