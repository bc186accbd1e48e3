"""Matching an analyst's words onto the dictionary: metrics, dimensions and filter values.

A ``Vocabulary`` (``index.py``) is built once from a catalog (``selectors.catalog``) and, for
dimensions that list only a sample there, every value in the values index
(``selectors.dimension_values``); ``vocabulary_for`` keeps one per catalog. Its terms are the
metrics' names, keys and synonyms, the dimensions' labels, names and synonyms, the dimension values
and their synonyms; metrics' and dimensions' descriptions are bags of words that can make a match
*close*, never clear.

Words (``words.py``) are compared one by one, case-insensitively and singular (``homeowner`` is
``Homeowners``), in any order, with typos forgiven by rapidfuzz's edit distances (``totl paid``,
``northest``, ``calims``): a vowel or a doubled letter left out and a swapped pair of letters cost
least, as they are the commonest slips, and a different first letter costs most; words of three
letters or fewer must be exact, or a longer word with one vowel or doubled letter left out ("los").
A few English question forms stand for the word a dictionary uses ("how long" for time).

A score is 0-100. 100 is the term itself, word for word. Otherwise it is the larger of how much of
the term the phrase holds (the term's words weighted by how rare they are among the candidates of
their kind, times how alike the phrase's word is), nudged down a little for words of the phrase the
term leaves unexplained; and, for a phrase wholly inside a longer term ("Smith", "standard"), how
much of the phrase the term explains, scaled by how much of the term that is. ``decide``
(``decisions.py``) applies one rule to metrics, dimensions and values alike: at least MATCH_SCORE
with no rival within AMBIGUITY_MARGIN is a match to use (``exact`` says whether to list it as an
assumption); from CLOSE_SCORE it is close but not clear, to ask about; below it the dictionary has
no such thing, and ``closest`` says what there is instead. ``mentions`` decides each thing a longer
text names.
"""
from __future__ import annotations

from sql_gen.services.vocabulary.decisions import (
    AMBIGUITY_MARGIN,
    CLOSE_SCORE,
    MATCH_SCORE,
    Candidate,
    Decision,
    Match,
    Outcome,
    ValueMatch,
    decide,
    mentions,
)
from sql_gen.services.vocabulary.index import DESCRIPTION_CAP, Vocabulary, source_vocabulary, vocabulary_for
from sql_gen.services.vocabulary.words import MIN_FUZZY_CHARS, word_similarity

__all__ = [
    "AMBIGUITY_MARGIN", "CLOSE_SCORE", "DESCRIPTION_CAP", "MATCH_SCORE", "MIN_FUZZY_CHARS", "Candidate", "Decision",
    "Match", "Outcome", "ValueMatch", "Vocabulary", "decide", "mentions", "source_vocabulary", "vocabulary_for",
    "word_similarity",
]  # fmt: skip
