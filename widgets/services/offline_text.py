"""Phrase matching for the offline model: whole words, case-insensitive, longest first."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    key: str
    phrase: str
    start: int
    end: int


def normalize(text: str) -> str:
    """Return ``text`` lower-cased with runs of non-word characters folded to one space."""
    return " " + re.sub(r"[^a-z0-9%$.]+", " ", text.lower().replace("_", " ")).strip() + " "


def find_phrases(text: str, candidates: dict[str, list[str]]) -> list[Match]:
    """Return non-overlapping matches of each key's phrases in normalized ``text``,
    longest phrase first, then earliest position."""
    found: list[Match] = []
    for key, phrases in candidates.items():
        for phrase in phrases:
            needle = normalize(phrase).strip()
            if not needle:
                continue
            for m in re.finditer(rf"(?<= ){re.escape(needle)}(?= )", text):
                found.append(Match(key=key, phrase=needle, start=m.start(), end=m.end()))
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    chosen: list[Match] = []
    for match in found:
        if all(match.end <= c.start or match.start >= c.end for c in chosen):
            chosen.append(match)
    return chosen


def blank_out(text: str, matches: list[Match]) -> str:
    """Return ``text`` with the matched spans replaced by spaces, so they match nothing else."""
    chars = list(text)
    for match in matches:
        chars[match.start : match.end] = " " * (match.end - match.start)
    return "".join(chars)
