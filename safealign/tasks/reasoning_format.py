"""The reasoning format the SFT data teaches, and how answers are read out of it.

The SFT data teaches::

    <think>
    ...steps...
    </think>
    The answer is 42.

:func:`format_score` counts an answer as well formed when it opens with the one think block, the block holds
some reasoning, and some text follows it; what that text says (a "The answer is" line or not) is left to the
answer checks.

The same functions score eval suites (format compliance, accuracy) and RL rewards, so "well formed"
and "the answer" mean one thing from training to evaluation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from safealign.tasks.hedges import MARKUP, hedged_numbers
from safealign.tasks.numbers import NUMBER, SPACED_THOUSANDS

OPEN, CLOSE = "<think>", "</think>"

_NUMBER_RE = re.compile(NUMBER)
# A number in e-notation too ("9.01e+16", the form power_function's prompt asks for): read so only where the caller
# asks (check_answer, for PRECISION_FAMILIES), so that other families read numbers as before.
_EXPONENT_NUMBER = rf"{NUMBER}(?:[eE][-+]?\d+)?"
_EXPONENT_NUMBER_RE = re.compile(_EXPONENT_NUMBER)
# An answer's leading number, whole: not "2" of "2,5" (a decimal comma, or a list) nor of "2.5x" or "2a". After the
# number come only dots, then no letter, digit or ",digit": "[\d.]*" there, digits and all, was rescanned for each
# shorter number tried, and "The answer is " with 10,000 digits and a letter took 0.3 s.
_NOT_CUT = r"(?!\.*(?:\w|,\d))"
_LEADING_NUMBER = re.compile(rf"\$?\s*({NUMBER}){_NOT_CUT}")
_LEADING_EXPONENT_NUMBER = re.compile(rf"\$?\s*({_EXPONENT_NUMBER}){_NOT_CUT}")
# "The answer is X" / "the final answer is: X" / "Answer: X": X runs to the end of its line or to the next "answer is"
# on it, so that "The answer is 42. Actually the answer is 41." is read as its last answer, 41 (the whole line was
# one match, read as 42).
_ANSWER_MARKER = r"the\s+(?:final\s+)?answer\s+is|\banswer\s*:"
_ANSWER_IS_RE = re.compile(rf"(?:{_ANSWER_MARKER})\s*:?\s*((?:(?!{_ANSWER_MARKER})[^\n])*)", re.IGNORECASE)
# Markup, brackets and a sentence's end around an answer: the runs of them that open it and that end it (see
# _undecorated).
_LEADING_DECORATION = re.compile(r"[\s*_`$\\(\[{]+")
_TRAILING_DECORATION = re.compile(r"[\s*_`$\\)\]}.!,;:]+")
# Around an answer read whole, only bold/code markers and math dollars go: brackets, inner punctuation and
# underscores (an n-queens board's empty squares) are the answer's.
_WHOLE_DECORATION = re.compile(r"[\s*`$]+")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
# A number followed by more numbers: "0.0, 5.0" is a list, not the answer 0.0 ("1,234" is one number).
_NUMBER_LIST = re.compile(rf"\$?\s*{NUMBER}\s*(?:;|,\s)\s*{NUMBER}")
_SPACED_THOUSANDS = re.compile(SPACED_THOUSANDS)
# Numbers side by side ("3 6", "3 5 7") are a list, not their first number: they are written with commas so that every
# checker reads a list (math_verify would read "3 6" as 6).
_SIDE_BY_SIDE = re.compile(r"(?<=\d)[ \u00a0\u202f]+(?=\d)")
_LETTER = re.compile(r"[^\W\d_]")
_BOXED = "\\boxed{"
# Words in LaTeX maths ("\\boxed{42 \\text{ or } 43}"): read as the words they are.
_LATEX_TEXT = re.compile(r"\\(?:text|textrm|textbf|mathrm|mbox)\s*\{([^{}]*)\}")
# LaTeX's ways to group a number's digits ("10,\\!000" in MATH's answers, "10{,}000", a thin space "10\\,000"): read as
# "10,000", one number, not as 10 followed by markup (10,000 took 1.0 for 10, and 10000 scored 0).
_LATEX_DIGIT_GROUP = re.compile(r"(?<=\d)(?:\{,\}|,\\!|\\,)(?=\d{3}(?!\d))")


@dataclass
class ParsedReasoning:
    """The think block (``None`` when there is no closed one), the text after it, and whether the whole is well formed."""

    think: str | None
    answer: str
    well_formed: bool


def require_text(value: Any, name: str, caller: str) -> None:
    """A TypeError naming ``caller``'s argument ``name`` and what to pass, unless ``value`` is a str: None, bytes or a
    chat message's content parts failed deep inside with "'NoneType' object has no attribute 'find'" or "argument
    should be integer or bytes-like object, not 'str'"."""
    if isinstance(value, str):
        return
    if value is None:
        fix = "pass '' for no text"
    elif isinstance(value, bytes | bytearray):
        fix = "decode it first: .decode('utf-8')"
    elif isinstance(value, list):
        fix = (
            "pass its text: safealign.chat_content.message_text(content) joins a message's content parts, "
            "safealign.rewards.functions.completion_text reads a completion's chat messages"
        )
    else:
        fix = "pass the text as a str"
    raise TypeError(f"{caller}: {name} must be a str, got {type(value).__name__} ({value!r:.60}); {fix}")


def parse_reasoning(text: str) -> ParsedReasoning:
    """Split ``text`` into its think block and answer.

    >>> parse_reasoning("<think>\\n2+2=4\\n</think>\\nThe answer is 4.")
    ParsedReasoning(think='2+2=4', answer='The answer is 4.', well_formed=True)
    """
    require_text(text, "text", "parse_reasoning")
    start, end = text.find(OPEN), text.find(CLOSE)
    if start == -1 or end == -1 or end < start:
        return ParsedReasoning(think=None, answer=text.strip(), well_formed=False)
    think = text[start + len(OPEN) : end].strip()
    answer = text[end + len(CLOSE) :].strip()
    well_formed = (
        text.lstrip().startswith(OPEN)
        and text.count(OPEN) == 1
        and text.count(CLOSE) == 1
        and _visible(think)
        and _visible(answer)
    )
    return ParsedReasoning(think=think, answer=answer, well_formed=well_formed)


def _visible(text: str) -> bool:
    """Whether ``text`` shows anything: a think block or answer of zero-width spaces, joiners or byte-order marks
    (Unicode Cf, which ``str.strip`` keeps) is as empty as one of white space, and took the format reward's 1.0."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text)


def format_score(text: str) -> float:
    """1.0 well formed; 0.5 a closed think block with something else off; 0.0 no closed think block.

    >>> [format_score(t) for t in ["<think>\\nx\\n</think>\\nThe answer is 1.", "<think></think>\\n1", "1"]]
    [1.0, 0.5, 0.0]
    """
    parsed = parse_reasoning(text)
    if parsed.well_formed:
        return 1.0
    return 0.5 if parsed.think is not None else 0.0


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (nested braces kept whole), ``\\frac{a}{b}`` written ``a/b``.

    >>> last_boxed(r"so $\\boxed{\\frac{3}{4}}$ of it")
    '3/4'
    """
    start = text.rfind(_BOXED)
    end = _box_end(text, start) if start != -1 else None
    if end is None:
        return None  # none, or never closed: a truncated answer
    return _FRAC.sub(r"\1/\2", text[start + len(_BOXED) : end]).strip()


def _box_end(text: str, start: int) -> int | None:
    """Where the ``\\boxed{`` at ``start`` closes (the index of its brace), or None when it never does."""
    depth = 0
    for index in range(start + len(_BOXED) - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def _unboxed(text: str) -> str:
    """``text`` with each ``\\boxed{X}`` written X, ``\\text{ or }`` written " or " and ``\\frac{a}{b}`` a/b."""
    parts, position = [], 0
    while (start := text.find(_BOXED, position)) != -1 and (end := _box_end(text, start)) is not None:
        parts += [text[position:start], text[start + len(_BOXED) : end]]
        position = end + 1
    parts.append(text[position:])
    return _FRAC.sub(r"\1/\2", _LATEX_TEXT.sub(r" \1 ", "".join(parts)))


def _boxed_answer(text: str) -> str | None:
    """The last ``\\boxed{}`` answer; but its line as written, boxes unwrapped, when the box offers its number beside
    the one before it or after it as alternatives, a range or a list: "\\boxed{42} or \\boxed{43}", "42 or
    \\boxed{43}", "\\boxed{42 \\text{ or } 43}" (the last box alone took 1.0 for 43, or 42)."""
    boxed = last_boxed(text)
    if boxed is None:
        return None
    start = text.rfind(_BOXED)
    before = _unboxed(text[text.rfind("\n", 0, start) + 1 : start])
    line = before + _unboxed(text[start : _line_end(text, start)])
    # the number before the box on its line, then the box's own first number
    starts = [m.start() for m in _NUMBER_RE.finditer(before)][-1:]
    starts += [m.start() for m in _NUMBER_RE.finditer(line, len(before))][:1]
    return next((hedge for s in starts if (hedge := _hedge_from(line, s)) is not None), boxed)


def _hedge_from(text: str, start: int) -> str | None:
    """``text`` from ``start`` to its line's end, as written, when the number at ``start`` and the next one are
    alternatives, a range or a list ("42 or 43", "42, 43", see hedged_numbers); None otherwise."""
    # cut as _answer_is cuts: the hedge rule is slow on a long run of digits
    tail = text[start : _line_end(text, start)].strip()[:200]
    # a line of pure maths subtracts with "-" ("100 - 15"), as check_answer reads it
    if _NUMBER_LIST.match(MARKUP.sub("", tail)) or hedged_numbers(
        tail, subtraction=not _LETTER.search(tail)
    ):
        return tail
    return None


def _clean(candidate: str) -> str:
    boxed = _boxed_answer(candidate)
    candidate = boxed if boxed is not None else _FRAC.sub(r"\1/\2", candidate)
    return _undecorated(candidate.strip(), _LEADING_DECORATION, _TRAILING_DECORATION).strip()


def _undecorated(text: str, leading: re.Pattern[str], trailing: re.Pattern[str]) -> str:
    """``text`` less the run of ``leading`` characters that opens it and the run of ``trailing`` ones that ends it. The
    end's run is matched at the start of the reversed text: one pattern ending in ``+$`` is tried from every character
    of a run that does not end the text, and a line of 20,000 spaces before the answer's last word took 4 s."""
    start = opening.end() if (opening := leading.match(text)) else 0
    ending = trailing.match(text[::-1], 0, len(text) - start)
    return text[start : len(text) - (ending.end() if ending else 0)]


def _normalise_number(number: str) -> str:
    return re.sub(r"[,\u00a0\u202f ]", "", number).replace("−", "-")


WHOLE_ANSWER_CHARS = 20_000  # the longest answer read as written (a list of moves, a grid)


def _answer_is(text: str, whole: bool = False, lines: int = 1, exponent: bool = False) -> str | None:
    matches = [
        match.group(1) + _following_lines(text, _line_end(text, match.end()), lines - 1)
        for match in _ANSWER_IS_RE.finditer(text)
    ]
    for raw in reversed(matches):
        if whole:  # an answer that is not one number ("03:22:03", "F=4,W=0", "[22, 98]") is read as written
            boxed = last_boxed(raw)
            candidate = _undecorated(
                _FRAC.sub(r"\1/\2", raw) if boxed is None else boxed, _WHOLE_DECORATION, _WHOLE_DECORATION
            )
            if candidate:
                # a list of moves can be long: tower_of_hanoi's 63 moves are 2,015 characters, which a cut at 2,000
                # scored 0; the cut only bounds the verifier's work on a runaway answer
                return candidate[:WHOLE_ANSWER_CHARS]
            continue
        candidate = _clean(raw)
        if "=" in candidate:  # "x = 5" / "47 + 38 = 85": the value is after the last "="
            candidate = _clean(candidate.rsplit("=", 1)[1])
        if not candidate:
            continue
        if _SPACED_THOUSANDS.fullmatch(candidate):  # "6 860" is 6860, not 6
            return _normalise_number(candidate)
        # "42 legs" / "$85$." -> the leading number; non-numeric answers ("True", "cat"), lists of numbers ("0.0,
        # 5.0") and hedges between numbers ("13 or 14") stay as written.
        leading = (_LEADING_EXPONENT_NUMBER if exponent else _LEADING_NUMBER).match(candidate)
        if leading and re.match(r"\s+\d", candidate[leading.end() :]):  # "3 6", "3 000 apples": not 3
            return _SIDE_BY_SIDE.sub(", ", candidate)[:200]
        # "**42**, **43**" is a list too
        listed = _NUMBER_LIST.match(MARKUP.sub("", candidate))
        if leading and not listed and not hedged_numbers(candidate):
            return _normalise_number(leading.group(1))
        return candidate[:200]
    return None


def _line_end(text: str, position: int) -> int:
    """Where the line holding ``position`` ends (an "answer is" that is not its line's last stops before the end)."""
    end = text.find("\n", position)
    return len(text) if end == -1 else end


def _following_lines(text: str, end: int, count: int) -> str:
    """The ``count`` lines after position ``end`` (the rest of an answer that spans lines: a grid, a list of moves)."""
    if count <= 0:
        return ""
    return (
        "".join("\n" + line for line in text[end:].lstrip("\n").split("\n")[:count] if line.strip())
        if text[end:].strip()
        else ""
    )


def _last_number(text: str, exponent: bool = False) -> str | None:
    """The last number of ``text``; but when it is offered with the number before it on its line as alternatives, a
    range or a list ("42 or 43", "It is either 42 or 43.", "42, 43"), that line from the first of them as written, so
    that the checks score the hedge as they score it on an answer line (43 took 1.0 for a bare "42 or 43")."""
    numbers = list((_EXPONENT_NUMBER_RE if exponent else _NUMBER_RE).finditer(text))
    if not numbers:
        return None
    if len(numbers) > 1 and "\n" not in text[numbers[-2].start() : numbers[-1].start()]:
        hedge = _hedge_from(text, numbers[-2].start())
        if hedge is not None:
            return hedge
    return _normalise_number(numbers[-1].group())


def extract_answer(text: str, whole: bool = False, lines: int = 1, exponent: bool = False) -> str | None:
    """The final answer: the last "The answer is X" after the think block, else the last ``\\boxed{X}``, else the last
    number there (a line that offers it with the number before it as alternatives is read as written: "42 or 43");
    the same over the whole text only when nothing follows the think block or there is none. ``whole`` keeps an
    "answer is" line as written instead of its leading number, for answers that are not one number (a time, a list,
    an expression); ``lines`` reads an answer of that many lines from "The answer is" on (a grid); ``exponent`` reads
    e-notation ("9.01e+16") as one number, not 16. A think block opened and never closed is an answer cut off mid-thought (the token limit): only an
    "answer is" line or a ``\\boxed{}`` counts there, not the last number of the unfinished reasoning.

    >>> extract_answer("<think>\\n47 + 38 = 85\\n</think>\\nThe answer is 85.")
    '85'
    >>> extract_answer("I think it is 12, no wait, 13")
    '13'
    >>> extract_answer("The answer is 03:22:03.", whole=True)  # the full stop may be the answer's: check_answer tries both
    '03:22:03.'
    >>> extract_answer("<think>\\nOnes: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 3") is None  # cut off: not answered
    True
    """
    require_text(text, "text", "extract_answer")
    parsed = parse_reasoning(text)
    after_think = parsed.answer if parsed.think is not None else None
    # "…31, 32, 3" cut off inside the think block: its last number is a step of the reasoning, not an answer
    cut_off = text.rfind(OPEN) > text.rfind(CLOSE)
    # the answer after a closed think block is the answer: the think is read only when nothing follows it ("<think>…
    # the answer is 42</think> I don't know." scored 1.0 for 42)
    for part in (after_think,) if after_think else (text,):
        if part:
            part = _LATEX_DIGIT_GROUP.sub(",", part)
            found = (
                _answer_is(part, whole, lines, exponent)
                or (last_boxed(part) if whole else _boxed_answer(part))
                # "\frac{745}{899}" is 745/899, not 899
                or (None if cut_off else _last_number(_FRAC.sub(r"\1/\2", part), exponent))
            )
            if found is not None:
                return _normalise_number(found) if _as_plain_number(found) else found
    return None


def _as_plain_number(text: str) -> bool:
    return re.fullmatch(rf"\s*{NUMBER}\s*", text) is not None
