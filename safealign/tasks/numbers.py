"""Numbers as a model writes them ("1,234.5", "-9", "3/4"), their values, and when two are one value."""

from __future__ import annotations

import re

# A number as a model writes it: 1,234.5 / -9 / 3.25 / 1/2. Thousands separators only in groups of three,
# so a list like "1, 2, 3" is three numbers, not one.
NUMBER = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?"
# Thousands split by a space, a no-break space or a narrow no-break space ("6 860", "1 000 000"): one number only when
# a whole answer is written so; in running text "3 000" may as well be two numbers.
SPACED_THOUSANDS = r"[-−]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:\.\d+)?"


def number_value(text: str) -> float | None:
    """The value of ``text`` when it is one number ("1,000", "-3", "3/4"), else None.

    >>> [number_value(t) for t in ["1,000", "−3", "3/4", "3 apples"]]
    [1000.0, -3.0, 0.75, None]
    """
    text = text.strip().replace(",", "").replace("−", "-")
    if not re.fullmatch(NUMBER, text):
        return None
    if "/" in text:
        top, bottom = text.split("/")
        return float(top) / float(bottom) if float(bottom) else None
    return float(text)


def numbers_equal(predicted: str, reference: str) -> bool:
    """Whether two numbers as written have one value ("1/2" and "0.5"; a relative 1e-6 apart)."""
    a, b = number_value(predicted), number_value(reference)
    return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(b))
