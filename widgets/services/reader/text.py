"""Word lists, patterns and small text operations shared by the offline reader's parts."""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import Any

from sql_gen.services.vocabulary import (
    CLOSE_SCORE,
    Decision,
    Outcome,
)
from sql_gen.services.vocabulary.words import word_similarity
from widgets.services.offline_words import (
    GENERIC,
    LOW_FIRST,
    SPEED,
    STOP,
    clean,
    said_direction,
)

# Words that name claims, or an amount of them, without saying which measure ("claims", "totals for … claims").
BARE_WORDS = frozenset({"claim", "claims", "total", "totals", "amount", "amounts", "value", "values", "sum", "figures"})
TIE_MARGIN = 8.0  # two values this close to one misspelt word are a question, not a guess
SINGLE_CLOSE = 78.0  # a lone metric candidate this close is what was meant (and is listed as an assumption)
RUN_CLOSE = 75.0  # a dimension name of two or more words, each word typed or nearly so, with one slip ("adjustor teem")
GENERIC_MEASURE = frozenset({"number", "numbers", "count", "counts", "total", "totals", "amount", "amounts",
                              "figure", "figures", "value", "values", "sum"})
MONEY_ASKED = re.compile(r" (?:value|values|amount|amounts|\$|money|sum|sums|totals|dollars|cost|how much|come to) ")
LINKS_BEFORE = frozenset({"is", "was", "were", "are", "be", "been", "of", "has", "had", "a", "an", "the", "its",
                           "their", "with", "where", "whose", "when", "that", "which"})
UNIT_WORDS = frozenset({"amount", "amounts", "days", "day", "value", "usd"})
SLOW_AT = re.compile(r" (?:to |at |in )?(?:settle|settling|settlement)(?= )")
WHICH_N = re.compile(r" (?:which|what) (?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                      r"fifteen|twenty) (?=[a-z])")
RATIO_SAID = re.compile(r" (?:ratio|divided by|as an? (?:share|percentage|percent|proportion|fraction) of|"
                         r"relative to)(?= )")
# How a measure is taken, said before it: a metric is asked for that way only when its own words say so.
AGGREGATES = {"average": "average", "avg": "average", "mean": "average", "median": "median",
               "typical": "median"}
ORDER_VERBS = frozenset({"ranked", "sorted", "ordered", "listed", "show", "list"})
VERSUS = re.compile(r" (?:vs|versus|v)\.? ")
# Words after a measure and before the claims it is asked of ("fraud referrals on motor claims").
OF_CLAIMS = frozenset({"on", "about", "for", "of", "regarding", "concerning", "from", "among", "across"})
SLOT_WORDS = frozenset({"in", "from", "at", "by", "per", "within", "across", "for", "with"})
# A measure's head noun after an unknown word ("litigation rate", "combined ratio", "fraud score"): a measure
# the dictionary lacks, whatever else was named.
MEASURE_HEADS = frozenset("rate rates ratio ratios score scores index level levels percentage share cost costs "
                           "spend margin margins recoveries recovery adequacy expense expenses time".split())
MONEY = frozenset("value values amount amounts $ money sum sums totals dollars".split())
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20}
DOWN = frozenset({"bottom", "worst", "lowest", "smallest", "fewest", "least", "shortest", "fastest", "quickest"})
SLOWNESS = frozenset({"fastest", "quickest", "slowest", "longest", "shortest"})
# Words that judge rather than measure: which end is "worst" depends on whether up is good for the metric.
JUDGED = frozenset({"best", "worst"})
SETTLE_WORDS = re.compile(r" (?:settle|settled|settling|settlement|close|closed|closing|took|take|taking|days) ")
PAID_WORDS = re.compile(r" (?:paid|payout|payouts|payment|payments|pay|paying)(?= )")
CLAIMED_WORDS = re.compile(r" (?:claimed|claim|claims|asked|asking|amount|worth|value|requested) ")
COLUMN_BEFORE = re.compile(r" (?:(?:that |which |where |when )?(?:we |they |it )?(?:settled|closed|took|taking|paid|"
                            r"payouts?|payments?|(?:paid|claimed) amounts?) (?:was |were |is |of )?(?:in |after )?|"
                            r"(?:to settle|settling) (?:in )?)(?= )")
COLUMN_AFTER = re.compile(r" (?:claimed|paid|paid out|to settle|to close|to settle in)(?= )")
SUBJECT_LEADS = [re.compile(p) for p in (
    r" (?:which|what|whose|who) ", r" (?:list|show|table|rank|ranking|compare)(?: of| me)?(?: all| every| each| the)? ",
    r" (?:of|for|across) (?:all |every |each |the )?", r" (?:every|each|all) ")]
GROUP_LEAD = re.compile(r" (?:split by|broken down by|grouped by|group by|for each|for every|across all|across|"
                         r"by|per|each|every|vs each)(?= )")
SHAPE_NOUN = re.compile(r" (?:breakdown|breakout|split|distribution|mix|table|chart|graph|pie|bars|columns|report)(?= )")
# Words that open another part of a request, and so end what a negation before them excludes.
NEGATION_SCOPE_ENDS = frozenset({"in", "from", "at", "for", "by", "with", "within", "across", "during", "on", "via",
                                 "through", "where", "handled"})
NEGATION = re.compile(r" (?:except|excluding|exclude|excl|without|not|other than|besides|apart from|aside from|"
                       r"but not|minus|outside(?: of)?|barring|no|non)(?= )")


# Words before a dimension's name that only say which of its values ("by their current state").
BEFORE_DIMENSION = frozenset({"the", "all", "every", "each", "of", "their", "its", "our", "current", "present",
                               "latest"})


LINKS = frozenset({"is", "was", "are", "were", "of", "=", "equals", "equal", "being", "not", "isnt", "isn", "t"})


def whole_synonyms(decision: Decision) -> Decision:
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


def part_of_chosen(option: Any, by_dim: dict[tuple[str, str], list[str]]) -> bool:
    """Tell whether an option is a value already chosen in its dimension, or its words are all words of one."""
    chosen = by_dim.get((option.key, "in"), [])
    words = {clean(w).strip() for w in option.words}
    return option.label in chosen or any(words <= set(clean(value).split()) for value in chosen)


def table_word(word: str, key: str) -> bool:
    """Tell whether ``word`` names the table a dimension is a column of ("claim" for claims.status): said
    before the dimension's name, it only says whose the dimension is ("claim state", "region name")."""
    return word.rstrip("s") == key.split(".")[0].rstrip("s")


def cut(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    found = pattern.search(text)
    if not found:
        return "", text
    return found.group(0).strip(), blank(text, found)


def words_end(text: str, start: int, words: list[str]) -> int:
    """Return where ``words``, read from ``start`` over any blanks between them, end in the text."""
    found = re.compile(r" +" + r" +".join(map(re.escape, words))).match(text, start)
    return found.end() if found else start


def direction_said(found: re.Match[str]) -> dict[str, Any]:
    """Return the order a direction phrase says: "sorted asc", "lowest first" (by a value, "fastest" by
    speed) or "z to a" (by the labels)."""
    groups = found.groupdict()
    if "dir" in groups:
        return {"direction": said_direction(groups["dir"])}
    if "first" in groups:
        return {"direction": "asc" if groups["first"] in LOW_FIRST else "desc", "speed": groups["first"] in SPEED}
    return {"direction": "desc" if groups.get("rev") or groups.get("z") else "asc", "names": True}


def row_sort(order: dict[str, Any] | None, metric_keys: list[str], dims: list[str], settlement: str) -> dict[str, str] | None:
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


def blank_span(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def blank(text: str, found: re.Match[str]) -> str:
    return text[: found.start()] + " " * (found.end() - found.start()) + text[found.end():]


def spelled_out(label: str, text: str) -> bool:
    """Tell whether every word of a stored value appears in the text as typed ("linda smith")."""
    words = set(text.split())
    parts = clean(label).split()
    return len(parts) > 1 and all(p in words for p in parts)


def each_named(decision: Decision, text: str) -> list[Any]:
    """Return the options of an undecided mention when each is named by a word of its own ("claimed and
    paid amounts" names two metrics, not one unclear one); [] when they compete for the same words."""
    options = [o for o in decision.options if o.score >= CLOSE_SCORE]
    if len(options) < 2:
        return []
    own = [set(o.words) - set().union(*(set(p.words) for p in options if p is not o)) for o in options]
    words = set(text.split())
    return options if all(mine and mine & words for mine in own) else []


def measure_start(tokens: list[str], per: int) -> int:
    """Return where the measure said before "per claim" starts: after the last slot or stop word before it."""
    start = per
    while start > 0 and tokens[start - 1] not in SLOT_WORDS and tokens[start - 1] not in STOP:
        start -= 1
    return start if start < per else max(0, per - 1)


def measure_end(tokens: list[str], start: int) -> int:
    """Return where a measure said from ``start`` ends: at the first slot word after it, or a list break."""
    end = start + 1
    while end < len(tokens) and end - start < 5 and tokens[end] not in SLOT_WORDS:
        end += 1
    return end


def count_of(n: str) -> int:
    """Return the number a ranking says, in digits or in words ("5", "five")."""
    return int(n) if n.isdigit() else NUMBER_WORDS[n]


def ranking_of(word: str, n: int) -> dict[str, Any]:
    """Return a ranking of ``n`` rows by the superlative ``word`` ("slowest", "fewest", "best")."""
    return {"direction": "bottom" if word in DOWN else "top", "n": n, "slowness": word in SLOWNESS,
            "judged": word in JUDGED}


def blank_column_words(text: str, start: int, end: int) -> str:
    """Blank out the words naming a comparison's column right next to it ("settled in", "claimed", "we paid")."""
    for pattern in (COLUMN_BEFORE, COLUMN_AFTER):
        window_start = max(0, start - 30) if pattern is COLUMN_BEFORE else end - 1
        window_end = start + 2 if pattern is COLUMN_BEFORE else end + 25
        found = pattern.search(text, window_start, window_end)
        if found:
            text = blank(text, found)
    return text


def position_of(text: str, words: tuple[str, ...] | list[str]) -> int | None:
    tokens = text.split(" ")
    offsets, at = [], 0
    for token in tokens:
        offsets.append(at)
        at += len(token) + 1
    wanted = set(words)
    for token, offset in zip(tokens, offsets, strict=True):
        if token in wanted or any(same_word(token, w) for w in wanted):
            return offset
    return None


def same_word(a: str, b: str) -> bool:
    return a == b or a.rstrip("s") == b.rstrip("s")


def similar(typed: str, matched: str) -> bool:
    """Tell whether a typed word is the matched word (plurals and the vocabulary's typo rules aside)."""
    return same_word(typed, matched) or word_similarity(typed, matched) >= 0.8


def remove_mention(text: str, words: list[str]) -> str:
    """Blank out the words of one mention where they stand together ("claims, open claims": the second)."""
    tokens = [(m.start(1), m.group(1)) for m in re.finditer(r" (\S+)(?= )", text)]
    spots = [[i for i, (_, token) in enumerate(tokens) if same_word(token, word)] for word in words]
    if not words or any(not s for s in spots):
        return remove_words(text, words)
    best = min(itertools.product(*spots), key=lambda picks: (max(picks) - min(picks), -min(picks)))
    for i in sorted(set(best), reverse=True):
        start, token = tokens[i]
        text = text[:start] + " " * len(token) + text[start + len(token):]
    return text


def remove_words(text: str, words: list[str], *, near: int | None = None) -> str:
    """Blank out each of ``words`` once (the first occurrence at or after ``near``, else the first)."""
    for word in words:
        for part in word.split():
            pattern = re.compile(rf" {re.escape(part)}(?= )")
            found = (pattern.search(text, max(0, near - 1)) if near is not None else None) or pattern.search(text)
            if found is None:
                found = next((m for m in re.finditer(r" (\S+)(?= )", text) if same_word(m.group(1), part)), None)
            if found is not None:
                text = blank(text, found)
    return text


def within(words: list[str], others: list[str]) -> bool:
    """Tell whether ``words`` appear in ``others`` in the same order (not necessarily side by side)."""
    rest = iter(others)
    return all(word in rest for word in words)


def phrase_of(text: str, unknown: list[str], *, as_typed: bool = False) -> str:
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
