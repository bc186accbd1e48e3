"""Titles cut to the spec's 120 characters end at a word, marked as cut; a short one is kept as it is."""
from __future__ import annotations

import pytest

from backend.text import clipped


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Total paid · Northeast, Southwest", 28, "Total paid · Northeast…"),
    ("Total paid", 120, "Total paid"),
    ("  Claim count  ", 11, "Claim count"),
    ("Supercalifragilistic", 10, "Supercali…"),  # one word longer than the limit: cut inside it, marked
    ("Claims by region and", 21, "Claims by region and"),
])
def test_a_long_title_is_cut_at_a_word_and_says_so(text: str, limit: int, expected: str) -> None:
    assert clipped(text, limit) == expected
    assert len(clipped(text, limit)) <= limit

