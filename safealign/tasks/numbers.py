"""Numbers as a model writes them ("1,234.5", "-9", "3/4"), their values, and when two are one value."""

from __future__ import annotations

import re
from fractions import Fraction

# A number as a model writes it: 1,234.5 / -9 / 3.25 / 1/2. Thousands separators only in groups of three,
# so a list like "1, 2, 3" is three numbers, not one.
NUMBER = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?"
# Thousands split by a space, a no-break space or a narrow no-break space ("6 860", "1 000 000"): one number only when
# a whole answer is written so; in running text "3 000" may as well be two numbers.
SPACED_THOUSANDS = r"[-−]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:\.\d+)?"


def number_value(text: str) -> float | None:
    """The value of ``text`` when it is one number ("1,000", "-3", "3/4"), else None.

    >>> [number_value(t) for t in ["1,000", "−3", "3/4", "3 apples", "2,5"]]
    [1000.0, -3.0, 0.75, None, None]
    """
    text = text.strip().replace("−", "-")
    # commas in groups of three only, as NUMBER reads them: "2,5" is a decimal comma or a list, not 25
    if not re.fullmatch(NUMBER, text):
        return None
    text = text.replace(",", "")
    if "/" in text:
        top, bottom = text.split("/")
        return float(top) / float(bottom) if float(bottom) else None
    return float(text)


def numbers_equal(predicted: str, reference: str) -> bool:
    """Whether two numbers as written have one value ("1/2" and "0.5", "12" and "12.0").

    Whole numbers and fractions compare exactly: a relative tolerance let a wrong 8717453 pass for 8717446. When
    either side is a decimal, a relative 1e-6 (absolute 1e-6 below 1) covers a rounded fraction ("0.333333" for
    "1/3") and float noise in a reference ("3" for "2.9999999999999996", "742756124" for "742756124.0000001").
    A known leniency: that tolerance is relative, so on a large number a decimal within it passes although it differs
    in its last written digit ("8717446.1" for 8717446, "0.0000001" for 0).
    """
    a, b = number_value(predicted), number_value(reference)
    if a is None or b is None:
        return False
    if _plain(predicted) == _plain(reference):
        return True  # also for numbers too long for int() (over 4300 digits)
    if "." in predicted or "." in reference:
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))
    exact_a, exact_b = _exact_value(predicted), _exact_value(reference)
    return exact_a is not None and exact_a == exact_b


def _exact_value(text: str) -> Fraction | None:
    """The value of one number as written, without float rounding; None past int()'s 4300 digits."""
    top, _, bottom = _plain(text).partition("/")
    try:
        return Fraction(top) / Fraction(bottom) if bottom else Fraction(top)
    except ValueError:
        return None


def _plain(text: str) -> str:
    return text.strip().replace(",", "").replace("−", "-")
