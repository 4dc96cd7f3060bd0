"""Cheap text signals the detectors and rewards share."""

from __future__ import annotations

import re

# A Chinese or Japanese character is a word, as safealign.tasks.language counts them: those scripts are written without
# spaces, so "我不知道。" x 30 was one word, no 3-gram at all, and its loop scored 0.
_CJK_CHARACTER = re.compile(
    "([\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d])"
)


def repeated_ngram_share(text: str, n: int = 3) -> float:
    """Share of word n-grams that repeat an earlier one: 0 for varied text, near 1 for loops. Words are split on
    whitespace, and each CJK character is one.

    >>> repeated_ngram_share("a b c a b c a b c", 3)
    0.5714285714285714
    """
    words = [piece for word in text.split() for piece in _CJK_CHARACTER.split(word) if piece]
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)
