"""Words as the vocabulary compares them: folded to a canonical singular, and how alike two are."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import OSA, Levenshtein

MIN_FUZZY_CHARS = 4  # shorter words match only exactly ("nps" is not "ops"), or nearly ("los" is "loss")

STOPWORDS = frozenset(
    "a an the of to for in on at by per and or with from as is are was were be been do does did done we our us "
    "i me my you your it its that this these those what which who how show give get see all any each "
    "please want need like some there their them than then every everything".split()
)
_VOWELS = frozenset("aeiou")
_SUFFIXES = ("ment", "ing", "ed")
# Abbreviations read the same on both sides.
_CANONICAL = {"avg": "average", "mean": "average", "amt": "amount", "amnt": "amount", "amts": "amounts",
              "num": "number", "nr": "number",
              "qty": "quantity", "pct": "percent", "percentage": "percent", "cnt": "count", "clm": "claim",
              "clms": "claims"}
# English question forms, read as the noun a dictionary would use (never exact).
_QUESTION_FORMS = {("how", "long"): "time", ("how", "many"): "number", ("how", "much"): "amount",
                   ("how", "often"): "number"}
PARAPHRASE_SIMILARITY = 0.9


def canonical(word: str) -> str:
    """Return the word an abbreviation stands for ("amt" -> "amount"), else ``word`` as it is."""
    return _CANONICAL.get(word, word)


def _fold(word: str) -> str:
    """Return ``word`` canonical and singular: "claims" -> "claim", "avg" -> "average"."""
    word = canonical(word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def raw_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", text.replace("_", " "))


def folded_words(text: str) -> tuple[str, ...]:
    return tuple(_fold(w) for w in raw_words(text))


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _light_slip(a: str, b: str) -> bool:
    """Return True when ``a`` and ``b`` differ by one vowel or one doubled letter left out (or
    typed once too often): "totl", "northest", "chanel"."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) != len(short) + 1:
        return False
    return any(
        long_[:i] + long_[i + 1:] == short and (long_[i] in _VOWELS or long_[i] in long_[max(0, i - 1):i + 2:2])
        for i in range(len(long_))
    )


def word_similarity(typed: str, known: str) -> float:
    """Return how likely the folded word ``typed`` stands for ``known``, from 0 to 1."""
    if typed == known:
        return 1.0
    if min(len(typed), len(known)) < MIN_FUZZY_CHARS:
        # A short word may only be a longer one with a vowel or a doubled letter left out: "los".
        return 0.85 if len(typed) == 3 and typed[0] == known[0] and _light_slip(typed, known) else 0.0
    if stem(typed) == stem(known):
        return 0.9  # settle, settled, settlement
    distance = OSA.distance(typed, known)
    if distance == 1 and _light_slip(typed, known):
        return 0.95  # totl, northest, premum, chanel
    if distance == 1 and Levenshtein.distance(typed, known) == 2 and typed[0] == known[0]:
        return 0.92  # calims: two letters swapped
    similarity = 1 - distance / max(len(typed), len(known))
    if typed[0] != known[0]:
        similarity -= 0.1  # a slip rarely hits the first letter: "center" is not "renter"
    if known.startswith(typed) and len(typed) >= 5:
        similarity = max(similarity, 0.75)  # north -> northeast, northwest
    return similarity if similarity >= 0.7 else 0.0


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]  # folded; a question form is one token
    shown: tuple[str, ...]  # the words as typed, for reporting
    paraphrased: frozenset[int]  # positions that stand for a question form
    content: tuple[int, ...]  # positions of words that carry meaning (not stopwords)


def phrase_of(text: str) -> Phrase:
    raw = raw_words(text)
    tokens, shown, paraphrased = [], [], set()
    i = 0
    while i < len(raw):
        pair = tuple(raw[i:i + 2])
        if pair in _QUESTION_FORMS:
            paraphrased.add(len(tokens))
            tokens.append(_QUESTION_FORMS[pair])  # type: ignore[index]
            shown.append(" ".join(pair))
            i += 2
            continue
        tokens.append(_fold(raw[i]))
        shown.append(raw[i])
        i += 1
    content = tuple(j for j, t in enumerate(tokens) if t not in STOPWORDS)
    return Phrase(tuple(tokens), tuple(shown), frozenset(paraphrased), content)
