"""Cheap text signals the detectors and rewards share."""

from __future__ import annotations


def repeated_ngram_share(text: str, n: int = 3) -> float:
    """Share of word n-grams that repeat an earlier one: 0 for varied text, near 1 for loops.

    >>> repeated_ngram_share("a b c a b c a b c", 3)
    0.5714285714285714
    """
    words = text.split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)
