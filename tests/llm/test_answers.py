"""unfence: the code in a model's text field, without fences or the prose around it."""
from __future__ import annotations

import pytest

from backend.llm.answers import unfence

TSX = ("function", "const", "//")


@pytest.mark.parametrize(("text", "expected"), [
    ("```tsx\nconst a = 1;\n```", "const a = 1;"),
    ("Here you go:\n```\nconst a = 1;\n```\nEnjoy.", "const a = 1;"),
    ("```tsx\nconst a = 1;", "const a = 1;"),  # an unclosed fence
    ("The component:\nfunction Widget() {\n  return null;\n}\n\nIt draws nothing.", "function Widget() {\n  return null;\n}"),
    ("function Widget() {\n  return null;\n}", "function Widget() {\n  return null;\n}"),
    ("no code at all", "no code at all"),
])
def test_it_keeps_the_code_and_drops_the_rest(text: str, expected: str) -> None:
    assert unfence(text, starts=TSX) == expected


def test_a_paragraph_starting_with_a_word_that_continues_code_is_kept() -> None:
    text = "const a = 1;\n\nReturn values are fine."  # "Return" read as prose without the hint
    assert unfence(text, starts=TSX) == "const a = 1;"
    assert unfence(text, starts=TSX, continues=("return",)) == text


def test_keywords_match_whole_words_only() -> None:
    assert unfence("constant care\nconst a = 1;", starts=TSX) == "const a = 1;"


def test_trailing_prose_can_be_kept() -> None:
    assert unfence("const a = 1;\n\nThat is all.", starts=TSX, trailing_prose=False) == "const a = 1;\n\nThat is all."
