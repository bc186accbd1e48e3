"""The Vocabulary: the dictionary's terms, and how a phrase is scored against them."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from sql_gen.models import DataSource
from sql_gen.selectors import catalog, dimension_values
from sql_gen.services.vocabulary.decisions import (
    AMBIGUITY_MARGIN,
    CLOSE_SCORE,
    Candidate,
    Decision,
    Match,
    Outcome,
    ValueMatch,
    decide,
)
from sql_gen.services.vocabulary.words import (
    MIN_FUZZY_CHARS,
    PARAPHRASE_SIMILARITY,
    STOPWORDS,
    Phrase,
    folded_words,
    phrase_of,
    raw_words,
    stem,
    word_similarity,
)

DESCRIPTION_CAP = 80.0  # a match on description words alone is at most close
_VIA_RANK = {"name": 0, "label": 0, "value": 0, "synonym": 1, "value_synonym": 1, "key": 2, "column": 2,
             "description": 3, "closest": 4}


@dataclass(frozen=True)
class _Term:
    kind: str  # metric, dimension, value
    key: str  # metric or dimension key
    label: str  # metric name, dimension label, or the stored value
    text: str
    tokens: tuple[str, ...]
    via: str


@dataclass
class _Kind:
    terms: list[_Term] = field(default_factory=list)
    by_token: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    weights: dict[str, float] = field(default_factory=dict)
    bags: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)  # key -> (label, description words)
    bag_weights: dict[str, float] = field(default_factory=dict)
    seen: set[tuple[str, str, tuple[str, ...]]] = field(default_factory=set)

    def add(self, term: _Term) -> None:
        """Add a term, unless it has no words or says what another term of the same thing says."""
        ident = (term.key, term.label, term.tokens)
        if not term.tokens or ident in self.seen:
            return
        self.seen.add(ident)
        for token in term.tokens:
            self.by_token[token].add(len(self.terms))
        self.terms.append(term)

    def finish(self) -> None:
        """Weigh each word by how rare it is among this kind's candidates (a word every metric has
        says little), and each description word likewise."""
        owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for term in self.terms:
            for token in term.tokens:
                owners[token].add((term.key, term.label))
        for token, who in owners.items():
            self.weights[token] = 1 / len(who)
        bag_owners: dict[str, int] = defaultdict(int)
        for _, words in self.bags.values():
            for word in words:
                bag_owners[word] += 1
        self.bag_weights = {w: 1 / n for w, n in bag_owners.items()}


class Vocabulary:
    """The dictionary's words, built once from a catalog; every lookup is deterministic."""

    def __init__(self, catalog: dict[str, Any], values: dict[str, list[str]] | None = None) -> None:
        """``catalog`` as ``selectors.catalog`` returns it; ``values`` every indexed value of the
        dimensions whose catalog entry lists only a sample (``selectors.dimension_values``)."""
        self._kinds = {"metric": _Kind(), "dimension": _Kind(), "value": _Kind()}
        for metric in catalog.get("metrics", []):
            self._add_metric(metric)
        for dimension in catalog.get("dimensions", []):
            self._add_dimension(dimension, (values or {}).get(dimension["key"], []))
        tokens: set[str] = set()
        for kind in self._kinds.values():
            kind.finish()
            tokens |= set(kind.by_token) | {w for _, words in kind.bags.values() for w in words}
        self._tokens = sorted(tokens)
        self._token_set = frozenset(tokens)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        for token in self._tokens:
            self._by_stem[stem(token)].append(token)
        self._similar: dict[str, dict[str, float]] = {}

    def _add_metric(self, metric: dict[str, Any]) -> None:
        kind, key, name = self._kinds["metric"], metric["key"], metric.get("name") or metric["key"]
        kind.add(_Term("metric", key, name, name, folded_words(name), "name"))
        kind.add(_Term("metric", key, name, key, folded_words(key), "key"))
        for synonym in metric.get("synonyms", []):
            kind.add(_Term("metric", key, name, synonym, folded_words(synonym), "synonym"))
        description = metric.get("definition") or metric.get("description") or ""
        kind.bags[key] = (name, frozenset(folded_words(description)) - STOPWORDS)

    def _add_dimension(self, dimension: dict[str, Any], indexed: list[str]) -> None:
        kind, key = self._kinds["dimension"], dimension["key"]
        label = dimension.get("label") or key.split(".")[-1].replace("_", " ")
        kind.add(_Term("dimension", key, label, label, folded_words(label), "label"))
        kind.add(_Term("dimension", key, label, key.split(".")[-1], folded_words(key.split(".")[-1]), "column"))
        for synonym in dimension.get("synonyms", []):
            kind.add(_Term("dimension", key, label, synonym, folded_words(synonym), "synonym"))
        kind.bags[key] = (label, frozenset(folded_words(dimension.get("description") or "")) - STOPWORDS)
        values = self._kinds["value"]
        for value in dict.fromkeys([*map(str, dimension.get("values", [])), *map(str, indexed)]):
            values.add(_Term("value", key, value, value, folded_words(value), "value"))
        for synonym, value in (dimension.get("value_synonyms") or {}).items():
            values.add(_Term("value", key, str(value), str(synonym), folded_words(str(synonym)), "value_synonym"))

    # -- lookups -----------------------------------------------------------------------------------

    def match_metrics(self, phrase: str, *, keys: Iterable[str] | None = None) -> list[Match]:
        """Return the metrics ``phrase`` may name (of ``keys`` only, when given), best first."""
        return [_public(c) for c in self._match("metric", phrase, keys)]  # type: ignore[misc]

    def match_dimensions(self, phrase: str, *, keys: Iterable[str] | None = None) -> list[Match]:
        """Return the dimensions ``phrase`` may name (of ``keys`` only, when given), best first."""
        return [_public(c) for c in self._match("dimension", phrase, keys)]  # type: ignore[misc]

    def match_values(self, phrase: str, dimension: str | Iterable[str] | None = None) -> list[ValueMatch]:
        """Return the stored values ``phrase`` may name, of ``dimension`` (a key or several) or of
        any dimension, best first, one per (dimension, value)."""
        keys = [dimension] if isinstance(dimension, str) else dimension
        return [_public(c) for c in self._match("value", phrase, keys)]  # type: ignore[misc]

    def decide(self, phrase: str, *, kind: str, keys: Iterable[str] | None = None) -> Decision:
        """Return ``decide`` of the phrase's matches of ``kind`` (metric, dimension or value, of
        ``keys`` only when given); on refusal the options are the closest things of that kind."""
        decision = decide([_public(c) for c in self._match(kind, phrase, keys)])
        if decision.outcome == Outcome.REFUSE:
            return Decision(Outcome.REFUSE, None, tuple(self.closest(phrase, kind=kind, keys=keys)), "none")
        return decision

    def closest(self, phrase: str, n: int = 3, *, kind: str | None = None,
                keys: Iterable[str] | None = None) -> list[Candidate]:
        """Return the ``n`` things of ``kind`` (all kinds when None) nearest to ``phrase``, however
        far: for "there is no X; closest: ...". Those the word comparison finds nothing for are
        ranked by whole-text similarity, with scores below CLOSE_SCORE / 2."""
        kinds = [kind] if kind else ["metric", "dimension", "value"]
        found: list[_Candidate] = []
        for name in kinds:
            found += self._match(name, phrase, keys, floor=0.0)
        found.sort(key=_order)
        seen = {(c.kind, c.key, c.label) for c in found}
        if len(found) < n:
            found += [c for c in self._by_text(phrase, kinds, keys) if (c.kind, c.key, c.label) not in seen]
        return [_public(c) for c in found[:n]]

    # -- scoring -------------------------------------------------------------------------------------

    def _match(self, kind_name: str, text: str, keys: Iterable[str] | None, floor: float = 1.0) -> list[_Candidate]:
        phrase = phrase_of(text)
        if not phrase.content:
            return []
        kind = self._kinds[kind_name]
        allowed = set(keys) if keys is not None else None
        sims = [self._similar_pair(t, shown) for t, shown in zip(phrase.tokens, phrase.shown, strict=True)]
        best: dict[tuple[str, str], _Candidate] = {}
        for index in self._candidates(kind, sims):
            term = kind.terms[index]
            if allowed is not None and term.key not in allowed:
                continue
            found = _score(term, kind.weights, phrase, sims)
            if found and found.score >= floor:
                _keep(best, found)
        for key, (label, words) in kind.bags.items():
            if allowed is None or key in allowed:
                found = _score_bag(kind_name, key, label, words, kind.bag_weights, phrase, sims)
                if found and found.score >= floor:
                    _keep(best, found)
        return _promote(sorted(best.values(), key=_order))

    def _candidates(self, kind: _Kind, sims: list[dict[str, float]]) -> set[int]:
        out: set[int] = set()
        for similar in sims:
            for token in similar:
                out |= kind.by_token.get(token, set())
        return out

    def _similar_pair(self, folded: str, shown: str) -> dict[str, float]:
        """Return the dictionary's words like a phrase word, folded or as typed, whichever is closer: a
        typo can make the folding wrong ("stauts" folds to "staut", but is one swap from "status")."""
        found = self._similar_words(folded)
        if shown == folded or " " in shown:
            return found
        merged = dict(found)
        for token, similarity in self._similar_words(shown).items():
            merged[token] = max(similarity, merged.get(token, 0.0))
        return merged

    def _similar_words(self, typed: str) -> dict[str, float]:
        """Return the dictionary's words like ``typed`` with their similarity (cached per word)."""
        cached = self._similar.get(typed)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if len(typed) < MIN_FUZZY_CHARS - 1:
            pool = [typed] if typed in self._token_set else []
        else:
            close = process.extract(typed, self._tokens, scorer=OSA.normalized_similarity,
                                    score_cutoff=0.55, limit=None)
            pool = [t for t, _, _ in close] + self._by_stem.get(stem(typed), [])
            pool += [t for t in self._tokens if len(typed) >= 5 and t.startswith(typed)]
        for token in pool:
            similarity = word_similarity(typed, token)
            if similarity:
                found[token] = similarity
        if len(self._similar) > 10_000:
            self._similar.clear()
        self._similar[typed] = found
        return found

    def _by_text(self, text: str, kinds: list[str], keys: Iterable[str] | None) -> list[_Candidate]:
        allowed = set(keys) if keys is not None else None
        terms = [t for k in kinds for t in self._kinds[k].terms if allowed is None or t.key in allowed]
        if not terms or not text.strip():
            return []
        ranked = process.extract(" ".join(raw_words(text)), [" ".join(raw_words(t.text)) for t in terms],
                                 scorer=fuzz.WRatio, limit=None)
        out: dict[tuple[str, str, str], _Candidate] = {}
        for _, similarity, index in ranked:
            term = terms[index]
            ident = (term.kind, term.key, term.label)
            if ident not in out:
                score = round(similarity * CLOSE_SCORE / 200, 1)
                out[ident] = _Candidate(term.kind, term.key, term.label, score, False, "closest", term.text, ())
        return sorted(out.values(), key=_order)



@dataclass(frozen=True)
class _Candidate:
    kind: str
    key: str
    label: str
    score: float
    exact: bool
    via: str
    term: str
    words: tuple[str, ...]


def _public(c: _Candidate) -> Candidate:
    if c.kind == "value":
        return ValueMatch(c.key, c.label, c.score, c.exact, c.via, c.term, c.words)
    return Match(c.kind, c.key, c.label, c.score, c.exact, c.via, c.term, c.words)


def _order(c: _Candidate) -> tuple[float, int, bool, int, str, str]:
    return (-c.score, -len(c.words), not c.exact, _VIA_RANK.get(c.via, 5), c.key, c.label)


def _promote(found: list[_Candidate]) -> list[_Candidate]:
    """Return ``found`` with each candidate preceded by any within AMBIGUITY_MARGIN below it that
    reads more of the same words: "opne claims" is open claims, not the claim count of "claims"."""
    out, i = list(found), 0
    while i < len(out):
        wider = next((j for j in range(i + 1, len(out)) if out[i].score - out[j].score < AMBIGUITY_MARGIN
                      and set(out[i].words) < set(out[j].words)), None)
        if wider is None:
            i += 1
        else:  # the words at i only grow, so this ends
            out.insert(i, out.pop(wider))
    return out


def _keep(best: dict[tuple[str, str], _Candidate], found: _Candidate) -> None:
    ident = (found.key, found.label)
    if ident not in best or _order(found) < _order(best[ident]):
        best[ident] = found


def _score(term: _Term, weights: dict[str, float], phrase: Phrase, sims: list[dict[str, float]]) -> _Candidate | None:
    """Return the term's candidate for the phrase, or None when no word of meaning matched."""
    meaning = [i for i, t in enumerate(term.tokens) if t not in STOPWORDS] or list(range(len(term.tokens)))
    pairs = sorted(
        ((sims[j][term.tokens[i]] * (PARAPHRASE_SIMILARITY if j in phrase.paraphrased else 1.0), i, j)
         for i in meaning for j in phrase.content if sims[j].get(term.tokens[i])),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    taken: dict[int, tuple[float, int]] = {}  # term word -> (similarity, phrase position)
    for similarity, i, j in pairs:
        if i not in taken and all(j != w for _, w in taken.values()):
            taken[i] = (similarity, j)
    if not taken:
        return None
    positions = sorted(j for _, j in taken.values())
    total = sum(weights.get(term.tokens[i], 1.0) for i in meaning)
    coverage = sum(weights.get(term.tokens[i], 1.0) * s for i, (s, _) in taken.items()) / total
    explained = sum(s for s, _ in taken.values()) / len(phrase.content)
    score = max(coverage * (0.9 + 0.1 * explained), explained * (0.6 + 0.4 * coverage))
    score *= _spread_penalty(positions, set(phrase.content))
    exact = len(taken) == len(meaning) and all(s == 1.0 for s, _ in taken.values()) and _side_by_side(
        [taken[i][1] for i in meaning], phrase)
    words = tuple(phrase.shown[j] for j in positions)
    return _Candidate(term.kind, term.key, term.label, round(100 * score, 1), exact, term.via, term.text, words)


def _side_by_side(positions: list[int], phrase: Phrase) -> bool:
    """Return True when the positions follow each other in order, with only stopwords between."""
    content = set(phrase.content)
    return all(b > a and not any(j in content for j in range(a + 1, b)) for a, b in zip(positions, positions[1:]))


def _spread_penalty(positions: list[int], content: set[int]) -> float:
    """Lower the score of a term whose words are scattered: more than one word of meaning between them."""
    if len(positions) < 2:
        return 1.0
    between = sum(1 for j in range(positions[0], positions[-1]) if j in content and j not in positions)
    return 0.9 ** max(0, between - 1)


def _score_bag(kind: str, key: str, label: str, words: frozenset[str], weights: dict[str, float],
               phrase: Phrase, sims: list[dict[str, float]]) -> _Candidate | None:
    """Return a description match: the share of the phrase's words of meaning found in the
    description (rarer description words count more), at most DESCRIPTION_CAP."""
    found: list[tuple[int, float]] = []
    for j in phrase.content:
        similarity = max((s * weights.get(t, 0.0) for t, s in sims[j].items() if t in words), default=0.0)
        if similarity:
            found.append((j, similarity))
    if not found:
        return None
    # One word in common says little: a description match needs two words to reach its cap.
    score = DESCRIPTION_CAP * sum(s for _, s in found) / len(phrase.content) * min(1.0, len(found) / 2)
    shown = tuple(phrase.shown[j] for j, _ in found)
    return _Candidate(kind, key, label, round(score, 1), False, "description", label, shown)


# -- building once per catalog ----------------------------------------------------------------------

_BUILT: dict[str, Vocabulary] = {}
_BUILT_MAX = 8


def vocabulary_for(*, catalog: dict[str, Any], values: dict[str, list[str]] | None = None) -> Vocabulary:
    """Return the Vocabulary of this catalog and values, built once: it is kept under a digest of
    its inputs, so an edited dictionary (a new catalog) gets a new one and none is ever stale."""
    digest = hashlib.sha256(json.dumps([catalog, values or {}], sort_keys=True, default=str).encode()).hexdigest()
    vocabulary = _BUILT.get(digest)
    if vocabulary is None:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.pop(next(iter(_BUILT)))
        vocabulary = _BUILT[digest] = Vocabulary(catalog, values)
    return vocabulary


def source_vocabulary(*, source: DataSource) -> Vocabulary:
    """Return the Vocabulary of a data source's catalog and values index."""
    return vocabulary_for(catalog=catalog(source=source), values=dimension_values(source=source))
