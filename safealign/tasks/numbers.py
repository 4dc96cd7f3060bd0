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
    """Whether two numbers as written have one value ("1/2" and "0.5", "12" and "12.0").

    Whole numbers and fractions compare exactly: a relative tolerance let a wrong 8717453 pass for 8717446. A decimal
    may be a rounding, so it gets half a unit in the last place it writes ("0.333333" for "1/3": 1/3 is 3.3e-7 away,
    within 5e-7), never more than a relative 1e-6 (absolute 1e-6 below 1): a decimal that differs in its last
    written digit is another number ("8717446.1" is not 8717446, "1000000.6" not 1000000.5, "0.0000001" not 0).
    Of two decimals the coarser one's place counts: "8717446.5" is "8717446.47" rounded.
    A decimal of ten or more places is float noise in a reference ("2.9999999999999996" for 3), not a rounding: it
    gets the relative 1e-6, capped by half a unit of the other side's last place when that side is a whole number,
    so "3" matches "2.9999999999999996" but "8717447" still does not match "8717446.0000000001".
    """
    if number_value(predicted) is None or number_value(reference) is None:
        return False
    if _plain(predicted) == _plain(reference):
        return True  # also for numbers too long for int() (over 4300 digits)
    a, b = _exact_value(predicted), _exact_value(reference)
    if a is None or b is None:
        return False
    if "." not in predicted and "." not in reference:
        return a == b
    tolerance = Fraction(1, 10**6) * max(1, abs(b))
    rounding = _rounding_allowance(predicted, reference)
    return abs(a - b) <= (tolerance if rounding is None else min(tolerance, rounding))


# A decimal this long is a float's noise ("0.30000000000000004"), not a number rounded to a place.
NOISE_PLACES = 10


def _rounding_allowance(predicted: str, reference: str) -> Fraction | None:
    """Half a unit in the last place that bounds the comparison, or None when only the relative tolerance does.

    That is the coarsest decimal that is not float noise; failing one, a whole number's units (a fraction is exact).
    """
    sides = (predicted, reference)
    places = [_places(text) for text in sides if "." in text]
    rounded = [place for place in places if place < NOISE_PLACES]
    if rounded:
        return Fraction(1, 2 * 10 ** min(rounded))
    if any("." not in text and "/" not in text for text in sides):
        return Fraction(1, 2)
    return None


def _exact_value(text: str) -> Fraction | None:
    """The value of one number as written, without float rounding; None past int()'s 4300 digits."""
    top, _, bottom = _plain(text).partition("/")
    try:
        return Fraction(top) / Fraction(bottom) if bottom else Fraction(top)
    except ValueError:
        return None


def _plain(text: str) -> str:
    return text.strip().replace(",", "").replace("−", "-")


def _places(text: str) -> int:
    """How many decimal places ``text`` writes: 2 for "3.25"."""
    decimals = text.split(".", 1)[1]
    return len(decimals) - len(decimals.lstrip("0123456789"))
