"""What a match is, and the one rule that turns matches into use, ask or refuse."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MATCH_SCORE = 85.0  # at or above, with no rival: use it
CLOSE_SCORE = 70.0  # from here to MATCH_SCORE: close but not clear, ask; below: no such thing
AMBIGUITY_MARGIN = 5.0  # another candidate this close to the best one is a rival: ask


class Outcome(StrEnum):
    USE = "use"  # one clear match
    ASK = "ask"  # close but not clear, or several close candidates: ask, with them as options
    REFUSE = "refuse"  # nothing close: say it is not in the data, and offer the closest


@dataclass(frozen=True)
class Match:
    """A metric or dimension the phrase names. ``score`` is 0-100 (see the module docstring);
    ``exact`` when the phrase holds the term word for word (case, plurals and abbreviations aside);
    ``via`` the kind of term (name, label, synonym, key, column, description); ``term`` the
    dictionary's words; ``words`` the phrase's words that matched."""

    kind: str  # "metric" | "dimension"
    key: str
    label: str
    score: float
    exact: bool
    via: str
    term: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class ValueMatch:
    """A stored value of ``dimension`` the phrase names, as stored (``value``); ``via`` is "value"
    or "value_synonym" (then ``term`` is the synonym). Otherwise as ``Match``."""

    dimension: str
    value: str
    score: float
    exact: bool
    via: str
    term: str
    words: tuple[str, ...]

    kind = "value"

    @property
    def key(self) -> str:
        return self.dimension

    @property
    def label(self) -> str:
        return self.value


Candidate = Match | ValueMatch


@dataclass(frozen=True)
class Decision:
    """What to do with a phrase: ``best`` to use, ``options`` to ask about, or, on refusal, the
    closest things there are (``options`` again). ``reason``: exact, fuzzy, close, ambiguous, none."""

    outcome: Outcome
    best: Candidate | None
    options: tuple[Candidate, ...]
    reason: str


def decide(matches: list[Candidate]) -> Decision:
    """Return the decision for ``matches`` as a ``match_*`` method returned them (best first).

    A rival is another candidate within AMBIGUITY_MARGIN of the best, at least CLOSE_SCORE, that
    competes for the same words of the phrase and is not a part of the best (one matching only
    some of the best's words, like "claims" inside "open claims", is no rival; one matching other
    words is another mention, see ``mentions``)."""
    if not matches or matches[0].score < CLOSE_SCORE:
        return Decision(Outcome.REFUSE, None, tuple(matches[:3]), "none")
    best = matches[0]
    mine = set(best.words)
    rivals = [m for m in matches[1:] if m.score >= CLOSE_SCORE and best.score - m.score < AMBIGUITY_MARGIN
              and set(m.words) & mine and not set(m.words) < mine]
    if rivals:
        return Decision(Outcome.ASK, None, (best, *rivals), "ambiguous")
    if best.score >= MATCH_SCORE:
        return Decision(Outcome.USE, best, (), "exact" if best.exact else "fuzzy")
    return Decision(Outcome.ASK, None, (best,), "close")


def mentions(matches: list[Candidate]) -> list[Decision]:
    """Return one decision per mention in a longer text: the best candidate and those competing for
    its words, then the best of the rest, and so on while the best left is at least CLOSE_SCORE.
    ("homeowners in the northest" names Homeowners and Northeast.)"""
    left, out = list(matches), []
    while left and left[0].score >= CLOSE_SCORE:
        words = set(left[0].words)
        out.append(decide([m for m in left if set(m.words) & words]))
        left = [m for m in left if not set(m.words) & words]
    return out
