"""Whether an answer line hedges: two numbers offered as alternatives or a range ("13 or 14", "13-14") assert
neither, unless the second works the first out, notes its precision or restates it in other units ("56 (or 7 × 8)",
"4.0 (to 1 decimal place)", "120 (or 2 hours)")."""

from __future__ import annotations

import math
import re

from safealign.tasks.numbers import NUMBER, number_value, numbers_equal

# Two numbers offered as alternatives or a range assert neither, so the first is not the answer (the reference 13 took
# 1.0 for "13 or 14"). "or", "to" and their kin join alternatives wherever they stand: "13 or 14", "13 (or maybe 14)",
# "13 (maybe 14)", "13 or about 14", "13 - or 14". "and" and a dash do only where the second number ends the line (a dash
# may take one unit word: "13-14 apples"): "12 and 3 are left over", "15 - 5 on Monday and 10 on Tuesday" and
# "100 – 40 + 60" explain the answer. A sign right after "(" is the number's: "5 (-3 + 8)". A second number in
# working that gives the answer, in a precision note or in other units explains it too (see _explanation_end):
# "56 (or 7 × 8)", "120 (or 2 hours)"; what follows the explanation is still read: "56 (or 7 × 8), or maybe 60".
_DASHES = "-–—‒−~"
_MAYBE = r"(?:maybe|perhaps|possibly|probably)\b"
_QUALIFIERS = (
    r"(?:maybe|perhaps|possibly|probably|even|else|about|around|roughly|approximately|nearly|almost)\b"
)
_ALTERNATIVE = (
    rf"\s*(?:[{_DASHES}]\s*)?(?:,\s*)?(?:\(\s*)?"
    rf"(?:(?:or|nor|to|through|versus|vs)\b\.?(?:\s+{_QUALIFIERS})*|and(?:\s+{_MAYBE})+|{_MAYBE})"
)
_END = r"\s*(?:\)[.!?,;:]*\s*|[.!?,;:]+\s*)?$"
_HEDGED_PAIR = re.compile(
    rf"\s*(?P<first>{NUMBER})(?:{_ALTERNATIVE}\s*(?P<alternative>{NUMBER})"
    rf"|\s*(?:,\s*)?and\s*(?P<and>{NUMBER})(?={_END})"
    rf"|\s*(?P<dash>[{_DASHES}])\s*(?P<range>{NUMBER})(?=(?:\s+[^\W\d_]+)?{_END}))",
    re.IGNORECASE,
)
# Markdown and LaTeX around the numbers of a hedge: "**13** or **14**", "$13$ or $14$", "\(13\) or \(14\)".
MARKUP = re.compile(r"\*\*|`|\$|\\[()]")
# After a second number, what makes it part of the answer's working, a note on its precision or the answer in other
# units, not another answer. Working is a chain of operations that gives the answer: "56 (or 7 × 8)", "56, or 7 groups
# of 8", "19 (or 4 × 4 + 3)", not "13 or 14 - 15" or "56 (or 7 x 9)".
_STEP = re.compile(
    rf"\s*(?P<operator>[-+−×x*/÷]|times\b|[^\W\d_]+s\s+of\b)\s*(?P<operand>{NUMBER})", re.IGNORECASE
)
_BRACKET_END = re.compile(r"\s*\)?")
# A precision note after "to": "4.0 (to 1 decimal place)", "4.0 to 1 d.p.", "85 (to 2 significant figures)"; not
# "13 or 14 decimal places".
_TO = re.compile(r"\s*(?:,\s*)?(?:\(\s*)?to\s*", re.IGNORECASE)
_PRECISION = re.compile(
    r"\s*(?:(?:decimal|significant)(?:\s+(?:places?|figures?|digits?))?|sig\.?\s*figs?|d\.?p|s\.?f)\.?(?![^\W\d_])\s*\)?",
    re.IGNORECASE,
)
# The answer in other units after "(or" or ", or": unit words that end the bracket or clause, "120 (or 2 hours)",
# "0.25, or 25%", "150 (or 2 hours and 30 minutes)"; not "13 (or 14 apples)" or "13, or 14 if Tom keeps one".
_RESTATED = re.compile(r"\s*[,(]\s*or\s*", re.IGNORECASE)
_UNIT_WORD = re.compile(r"\s*(%|[^\W\d_]+)")
_NEXT_PART = re.compile(rf"\s*(?:,\s*)?(?:and\s+)?({NUMBER})\s*(%|[^\W\d_]+)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*(?=[).,;:!?]|$)\)?")
# Each unit's size in its dimension's base unit: a restatement must be the answer in one of these units (150 minutes
# = 2 hours 30 minutes), so "13 (or 14 hours)", "13 (or 130 cm)" and "5 (or 50 cents)" are hedges. "pound" is money
# and mass; a year is also 52 weeks.
_DAY, _YEAR = 86400, 365 * 86400  # seconds
_UNIT_SIZES = {
    "time": {
        "second": 1,
        "minute": 60,
        "hour": 3600,
        "day": _DAY,
        "week": 7 * _DAY,
        "month": _YEAR / 12,
        "year": _YEAR,
    },
    "weeks": {"week": 1, "year": 52},
    "count": {"dozen": 12, "hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9},
    "fraction": {"percent": 0.01},
    "money": {"cent": 1, "dollar": 100, "euro": 100, "pound": 100},
    "mass": {"gram": 1, "kilogram": 1000, "ounce": 28.349523125, "pound": 453.59237},
    "volume": {
        "millilitre": 1,
        "litre": 1000,
        "pint": 473.176473,
        "quart": 946.352946,
        "gallon": 3785.411784,
    },
    "length": {
        "millimetre": 1,
        "centimetre": 10,
        "metre": 1000,
        "kilometre": 10**6,
        "inch": 25.4,
        "foot": 12 * 25.4,
        "yard": 36 * 25.4,
        "mile": 5280 * 12 * 25.4,
    },
}
# Spellings other than a table name with or without "s" (American "-er" spellings are read as "-re").
_UNIT_SPELLINGS = {
    "%": "percent",
    "sec": "second",
    "min": "minute",
    "hr": "hour",
    "pence": "cent",
    "penny": "cent",
    "kg": "kilogram",
    "oz": "ounce",
    "lb": "pound",
    "ml": "millilitre",
    "mm": "millimetre",
    "cm": "centimetre",
    "km": "kilometre",
    "inches": "inch",
    "feet": "foot",
    "ft": "foot",
}
# A word after a second number (a unit or noun, not a hedging word): "2 hours", "5 each", not "14 maybe".
_UNIT = re.compile(rf"\s+(?!{_QUALIFIERS}|(?:or|nor|and|to)\b)[^\W\d_]", re.IGNORECASE)


def hedged_numbers(line: str, subtraction: bool = False) -> bool:
    """True when ``line`` opens with numbers of different values offered as alternatives or a range (see _HEDGED_PAIR):
    "13 or 14", "**13** or **14**", "13-14"; not "1/2 or 0.5" (one value), "12 and 3 are left over" or "5 (-3 + 8)".
    ``subtraction``: "-" and "−" between two numbers subtract (a line of pure maths, "5 - 3"), an en dash or "~" is
    still a range.

    >>> [hedged_numbers(t) for t in ["13 or 14", "13 (maybe 14)", "13-14", "1/2 or 0.5", "12 and 3 are left over"]]
    [True, True, True, False, False]
    """
    plain, start = MARKUP.sub("", line), 0
    while match := _HEDGED_PAIR.match(plain, start):
        second = next(name for name in ("alternative", "and", "range") if match.group(name) is not None)
        explained_to = _explanation_end(match, second)
        if explained_to is not None:
            # "56 (or 7 × 8), or maybe 60": the explanation goes, the answer is read against what follows it
            plain, start = plain[: match.end("first")] + plain[explained_to:], match.start("first")
            continue
        subtracts = second == "range" and subtraction and match.group("dash") in "-−"
        if not subtracts and not numbers_equal(match.group("first"), match.group(second)):
            return True
        start = match.start(second)  # "12 or 12.0 or 13": the next pair
    return False


def _explanation_end(pair: re.Match[str], second: str) -> int | None:
    """Where the explanation ends when the ``second`` number of a pair works the first out, notes its precision or
    restates it rather than offering another answer: "56 (or 7 × 8)", "4.0 (to 1 decimal place)", "120 (or 2 hours)",
    "42 - 6 weeks", "35 — 5 each"; None for "13 or 14", "13 (or 14 apples)", "13 or 14 - 15" or "13-14 apples"."""
    text, after = pair.string, pair.end(second)
    first, other = number_value(pair.group("first")), number_value(pair.group(second))
    if first is None or other is None:
        return None
    if _STEP.match(text, after):
        return _working_end(text, after, first, other)
    if second == "range":
        # a range runs upward ("13-14 apples"); a smaller number with a word after it restates or shares out the first
        # (the pattern leaves only that word before the end of the line)
        return len(text) if _UNIT.match(text, after) and other < first else None
    between = text[pair.end("first") : pair.start(second)]
    if _TO.fullmatch(between) and (precision := _PRECISION.match(text, after)):
        return precision.end()
    return _restatement_end(text, after, first, other) if _RESTATED.fullmatch(between) else None


def _working_end(text: str, after: int, first: float, other: float) -> int | None:
    """Where the working that starts with ``other`` at ``after`` ends, when it works out to ``first`` with the usual
    precedence: "15 (or 10 + 2 + 3)", "19 (or 4 × 4 + 3)"; None for "56 (or 7 x 9)" or "13 or 14 - 15"."""
    numbers, operators, end = [other], [], after
    while step := _STEP.match(text, end):
        operand = number_value(step.group("operand"))
        if operand is None:
            return None
        numbers.append(operand)
        operators.append(step.group("operator"))
        end = step.end()
    value = _evaluate(numbers, operators)
    gives_first = value is not None and math.isclose(value, first, rel_tol=1e-6, abs_tol=1e-6)
    return _BRACKET_END.match(text, end).end() if gives_first else None


def _evaluate(numbers: list[float], operators: list[str]) -> float | None:
    """``numbers`` joined by ``operators``, products and quotients first: "+", "-", "/", "÷", else a product ("×",
    "x", "*", "times", "groups of"). None on a division by zero."""
    terms, signs = [numbers[0]], []
    for operator, number in zip(operators, numbers[1:], strict=True):
        operator = operator.replace("−", "-").lower()
        if operator in ("+", "-"):
            terms.append(number)
            signs.append(operator)
        elif operator in ("/", "÷"):
            if not number:
                return None
            terms[-1] /= number
        else:
            terms[-1] *= number
    return terms[0] + sum(term if sign == "+" else -term for sign, term in zip(signs, terms[1:], strict=True))


def _restatement_end(text: str, after: int, first: float, other: float) -> int | None:
    """Where the answer restated in other units ends, the first part's number being ``other``: "120 (or 2 hours)",
    "150 (or 2 hours and 30 minutes)", "3 (or 36 inches)"; None unless the bracket or clause ends there and the parts
    add up to ``first`` in some unit of their dimension ("13 (or 14 apples)", "13 (or 130 cm)")."""
    unit = _UNIT_WORD.match(text, after)
    if unit is None:
        return None
    parts, end = [(other, unit.group(1))], unit.end()
    while part := _NEXT_PART.match(text, end):
        parts.append((number_value(part.group(1)), part.group(2)))
        end = part.end()
    close = _CLAUSE_END.match(text, end)
    return close.end() if close and _same_amount(first, parts) else None


def _same_amount(first: float, parts: list[tuple[float | None, str]]) -> bool:
    """Whether ``first``, in some unit, is the amount the (number, unit word) ``parts`` add up to: 150 and 2 hours 30
    minutes (150 minutes), 0.25 and 25%, 3 and 36 inches (3 feet)."""
    if any(number is None for number, _ in parts):
        return False
    names = [_unit_name(word) for _, word in parts]
    for sizes in _UNIT_SIZES.values():
        if not all(name in sizes for name in names):
            continue
        total = sum(number * sizes[name] for (number, _), name in zip(parts, names, strict=True))
        if any(math.isclose(first * size, total, rel_tol=1e-6) for size in (1, *sizes.values())):
            return True
    return False


def _unit_name(word: str) -> str:
    """The table's name for a unit as written: "hrs" -> "hour", "meters" -> "metre", "inches" -> "inch"."""
    word = word.lower()
    word = _UNIT_SPELLINGS.get(word) or _UNIT_SPELLINGS.get(word.removesuffix("s")) or word
    word = re.sub(r"ter(s?)$", r"tre\1", word)
    return word if any(word in sizes for sizes in _UNIT_SIZES.values()) else word.removesuffix("s")
