#!/usr/bin/env python3
"""Generate safealign/data/train/reasoning.jsonl: short arithmetic/reasoning tasks.

Stdlib only and deterministic (``random.Random(1234)``). Every row is produced
by code, so every answer is computed rather than written by hand, and then
re-checked by an independent verifier (``verify_row``) that re-parses the
question text and re-evaluates every equation written in the think block.

Assistant turns use the project's reasoning format::

    <think>
    short readable steps, 1-4 lines
    </think>
    The answer is 42.

Run from anywhere:  python scripts/data/build_reasoning.py
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from datafiles import argument_parser, out_path, shown, write_jsonl

OUT_PATH = out_path("train/reasoning.jsonl")

SEED = 1234
MAX_THINK_WORDS = 60  # strictly fewer than this
MAX_THINK_LINES = 4

TARGETS = {
    "addition": 50,
    "subtraction": 50,
    "multiplication": 45,
    "word_problem": 63,  # 21 templates x 3
    "comparison": 45,
    "chain_sum": 45,
    "counting_letters": 45,
    "unit_conversion": 45,
}

PLACES = ["Ones", "Tens", "Hundreds", "Thousands"]

Example = tuple[str, list[str], str]  # (question, think lines, answer)


def fmt_num(value: Fraction | int) -> str:
    """Exact plain formatting: integers without separators, terminating decimals."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    assert Fraction(text) == value, value
    return text


def digits_rev(n: int) -> list[int]:
    return [int(c) for c in reversed(str(n))]


# ---------------------------------------------------------------------------
# addition
# ---------------------------------------------------------------------------
ADD_PHRASES = [
    "What is {a} + {b}?",
    "Compute {a} + {b}.",
    "Calculate {a} + {b}.",
    "Find {a} + {b}.",
    "Work out {a} + {b}.",
    "Please add {a} and {b}.",
    "What do you get if you add {a} and {b}?",
    "What is the sum of {a} and {b}?",
    "Add {b} to {a}.",
]


def add_steps(a: int, b: int) -> list[str]:
    da, db = digits_rev(a), digits_rev(b)
    n = max(len(da), len(db))
    carry = 0
    lines: list[str] = []
    written: list[str] = []
    for i in range(n):
        x = da[i] if i < len(da) else 0
        y = db[i] if i < len(db) else 0
        terms = [str(x), str(y)] + (["1"] if carry else [])
        s = x + y + carry
        expr = " + ".join(terms)
        if i == n - 1:
            lines.append(f"{PLACES[i]}: {expr} = {s}.")
            written.append(str(s)[::-1])
        elif s >= 10:
            lines.append(f"{PLACES[i]}: {expr} = {s}, write {s % 10}, carry 1.")
            written.append(str(s % 10))
        else:
            lines.append(f"{PLACES[i]}: {expr} = {s}, write {s}.")
            written.append(str(s))
        carry = 1 if s >= 10 and i < n - 1 else 0
    result = int("".join(written)[::-1])
    assert result == a + b, (a, b, result)
    lines.append(f"So {a} + {b} = {result}.")
    return lines


def gen_addition(rng: random.Random) -> Example:
    shape = rng.choice(["2+2", "2+2", "3+2", "3+3", "3+3"])
    if shape == "2+2":
        a, b = rng.randint(10, 99), rng.randint(10, 99)
    elif shape == "3+2":
        a, b = rng.randint(100, 999), rng.randint(10, 99)
        if rng.random() < 0.5:
            a, b = b, a
    else:
        a, b = rng.randint(100, 999), rng.randint(100, 999)
    question = rng.choice(ADD_PHRASES).format(a=a, b=b)
    return question, add_steps(a, b), str(a + b)


# ---------------------------------------------------------------------------
# subtraction
# ---------------------------------------------------------------------------
SUB_PHRASES = [
    "What is {a} - {b}?",
    "Compute {a} - {b}.",
    "Calculate {a} - {b}.",
    "Find {a} - {b}.",
    "Work out {a} minus {b}.",
    "Subtract {b} from {a}.",
    "What do you get if you take {b} away from {a}?",
    "What is {a} minus {b}?",
]


def sub_steps(top: int, bottom: int) -> tuple[list[str], int]:
    """Column subtraction of top - bottom (top >= bottom) with borrowing."""
    assert top >= bottom >= 0
    dt, db = digits_rev(top), digits_rev(bottom)
    borrow = 0
    lines: list[str] = []
    written: list[int] = []
    for i in range(len(dt)):
        t = dt[i]
        b = db[i] if i < len(db) else 0
        if i >= len(db):
            d = t - borrow
            lines.append(f"{PLACES[i]}: {t} - {borrow} = {d}.")
            written.append(d)
            borrow = 0
            continue
        minus_borrow = " - 1" if borrow else ""
        effective = t - borrow
        if effective < b:
            d = effective + 10 - b
            lines.append(f"{PLACES[i]}: {t}{minus_borrow} < {b}, borrow: {t + 10}{minus_borrow} - {b} = {d}.")
            borrow = 1
        else:
            d = effective - b
            lines.append(f"{PLACES[i]}: {t}{minus_borrow} - {b} = {d}.")
            borrow = 0
        written.append(d)
    assert borrow == 0
    result = int("".join(str(d) for d in reversed(written)))
    assert result == top - bottom, (top, bottom, result)
    return lines, result


def needs_borrow(top: int, bottom: int) -> bool:
    dt, db = digits_rev(top), digits_rev(bottom)
    return any(dt[i] < (db[i] if i < len(db) else 0) for i in range(len(dt)))


def gen_subtraction(rng: random.Random) -> Example:
    shape = rng.choice(["2-2", "3-2", "3-3", "3-3", "neg"])
    while True:
        if shape == "2-2":
            a, b = rng.randint(20, 99), rng.randint(10, 89)
        elif shape == "3-2":
            a, b = rng.randint(100, 999), rng.randint(10, 99)
        elif shape == "3-3":
            a, b = rng.randint(200, 999), rng.randint(100, 899)
        else:
            a, b = rng.randint(10, 89), rng.randint(20, 99)
        if shape == "neg" and a >= b:
            continue
        if shape != "neg" and a <= b:
            continue
        top, bottom = max(a, b), min(a, b)
        # Mostly cases that need borrowing, as the brief asks.
        if needs_borrow(top, bottom) or rng.random() < 0.2:
            break
    question = rng.choice(SUB_PHRASES).format(a=a, b=b)
    column_lines, diff = sub_steps(top, bottom)
    if a >= b:
        lines = column_lines + [f"So {a} - {b} = {diff}."]
    else:
        lines = (
            [f"{b} is bigger than {a}, so work out {b} - {a} and make it negative."]
            + column_lines
            + [f"So {a} - {b} = -{diff}."]
        )
    return question, lines, str(a - b)


# ---------------------------------------------------------------------------
# multiplication (one-digit x two-digit)
# ---------------------------------------------------------------------------
MUL_PHRASES = [
    "What is {a} × {b}?",
    "Compute {a} × {b}.",
    "Calculate {a} times {b}.",
    "Multiply {a} by {b}.",
    "Work out {a} × {b}.",
    "Find the product of {a} and {b}.",
    "What do you get if you multiply {a} by {b}?",
    "What is {a} times {b}?",
]


def mul_line(big: int, small: int) -> str:
    """One line such as '46 × 7 = 40 × 7 + 6 × 7 = 280 + 42 = 322'."""
    parts = [int(c) * 10**p for p, c in enumerate(reversed(str(big))) if c != "0"][::-1]
    result = big * small
    if len(parts) == 1:
        return f"{big} × {small} = {result}"
    split = " + ".join(f"{p} × {small}" for p in parts)
    products = " + ".join(str(p * small) for p in parts)
    return f"{big} × {small} = {split} = {products} = {result}"


def gen_multiplication(rng: random.Random) -> Example:
    big = rng.randint(12, 99)
    small = rng.randint(2, 9)
    a, b = (big, small) if rng.random() < 0.6 else (small, big)
    question = rng.choice(MUL_PHRASES).format(a=a, b=b)
    tens, ones = big // 10 * 10, big % 10
    if ones == 0:
        lines = [
            f"{tens} × {small} = {tens // 10} × {small} × 10 = {tens // 10 * small} × 10 = {big * small}.",
            f"So {a} × {b} = {big * small}.",
        ]
    else:
        lines = [
            f"Split {big} into {tens} + {ones}.",
            f"{tens} × {small} = {tens * small}.",
            f"{ones} × {small} = {ones * small}.",
            f"{tens * small} + {ones * small} = {big * small}.",
        ]
    assert (tens + ones) * small == a * b
    return question, lines, str(a * b)


# ---------------------------------------------------------------------------
# word problems (hand-written story templates)
# ---------------------------------------------------------------------------
NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farah",
    "George",
    "Hana",
    "Isaac",
    "Jin",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
]
SMALL_THINGS = ["apples", "oranges", "pencils", "stickers", "marbles", "shells", "cards", "stamps"]


def wp_buy_more(r: random.Random) -> Example:
    n, obj = r.choice(NAMES), r.choice(SMALL_THINGS)
    a, b = r.randint(5, 40), r.randint(3, 25)
    q = f"{n} has {a} {obj} and buys {b} more. How many {obj} does {n} have now?"
    return q, [f"{n} starts with {a} {obj}.", f"Buying {b} more: {a} + {b} = {a + b}."], str(a + b)


def wp_give_away(r: random.Random) -> Example:
    n, obj = r.choice(NAMES), r.choice(SMALL_THINGS)
    a = r.randint(15, 60)
    b = r.randint(3, a - 2)
    q = f"{n} had {a} {obj} and gave {b} of them to a friend. How many {obj} are left?"
    return q, [f"Start with {a} {obj}.", f"Give away {b}: {a} - {b} = {a - b}."], str(a - b)


def wp_bus(r: random.Random) -> Example:
    a = r.randint(15, 45)
    b = r.randint(2, a - 5)
    c = r.randint(1, 15)
    x = a - b
    q = (
        f"A bus has {a} passengers. At the next stop, {b} people get off and {c} get on. "
        "How many passengers are on the bus now?"
    )
    return q, [f"After {b} get off: {a} - {b} = {x}.", f"After {c} get on: {x} + {c} = {x + c}."], str(x + c)


def wp_pages(r: random.Random) -> Example:
    n = r.choice(NAMES)
    p, d = r.randint(5, 30), r.randint(2, 9)
    q = f"{n} reads {p} pages every day. How many pages does {n} read in {d} days?"
    return q, [f"{p} pages a day for {d} days.", mul_line(p, d) + "."], str(p * d)


def wp_coins(r: random.Random) -> Example:
    n = r.choice(NAMES)
    a, b = r.randint(2, 9), r.randint(2, 9)
    x, y = a * 10, b * 5
    q = f"{n} has {a} ten-cent coins and {b} five-cent coins. How many cents does {n} have in total?"
    lines = [
        f"Ten-cent coins: {a} × 10 = {x}.",
        f"Five-cent coins: {b} × 5 = {y}.",
        f"Total: {x} + {y} = {x + y}.",
    ]
    return q, lines, str(x + y)


def wp_boxes(r: random.Random) -> Example:
    obj = r.choice(["crayons", "cupcakes", "tea bags", "light bulbs", "buttons", "candles"])
    a, b = r.randint(2, 9), r.randint(6, 24)
    q = f"There are {a} boxes with {b} {obj} in each box. How many {obj} are there altogether?"
    return q, [f"{a} boxes of {b} each means {b} × {a}.", mul_line(b, a) + "."], str(a * b)


def wp_share(r: random.Random) -> Example:
    n = r.choice(NAMES)
    obj = r.choice(["sweets", "grapes", "biscuits", "stickers", "strawberries"])
    k, each = r.randint(2, 9), r.randint(2, 12)
    t = k * each
    q = f"{n} shares {t} {obj} equally among {k} friends. How many {obj} does each friend get?"
    return q, [f"Each friend gets {t} ÷ {k}.", f"{k} × {each} = {t}, so {t} ÷ {k} = {each}."], str(each)


def wp_savings(r: random.Random) -> Example:
    n = r.choice(NAMES)
    a, w = r.randint(3, 25), r.randint(2, 9)
    q = f"{n} saves {a} dollars every week. How many dollars has {n} saved after {w} weeks?"
    return q, [f"{a} dollars each week for {w} weeks.", mul_line(a, w) + "."], str(a * w)


def wp_cookies(r: random.Random) -> Example:
    n = r.choice(NAMES)
    a = r.randint(20, 48)
    b = r.randint(1, 5)
    c = r.randint(3, a - b - 3)
    x = a - b
    q = f"{n} baked {a} cookies, ate {b} of them and gave {c} to the neighbours. How many cookies are left?"
    return (
        q,
        [f"After eating {b}: {a} - {b} = {x}.", f"After giving away {c}: {x} - {c} = {x - c}."],
        str(x - c),
    )


def wp_temperature(r: random.Random) -> Example:
    a, b, c = r.randint(5, 20), r.randint(2, 12), r.randint(1, 15)
    x = a + b
    q = (
        f"In the morning it was {a} degrees. By noon the temperature had risen by {b} degrees, and by "
        f"evening it had fallen by {c} degrees. What was the temperature in the evening, in degrees?"
    )
    return q, [f"Noon: {a} + {b} = {x}.", f"Evening: {x} - {c} = {x - c}."], str(x - c)


def wp_age(r: random.Random) -> Example:
    n = r.choice(NAMES)
    a, b, c = r.randint(5, 15), r.randint(2, 9), r.randint(2, 10)
    x = a + b
    q = f"{n} is {a} years old, and {n}'s brother is {b} years older. How old will the brother be in {c} years?"
    return q, [f"Brother now: {a} + {b} = {x}.", f"In {c} years: {x} + {c} = {x + c}."], str(x + c)


def wp_change(r: random.Random) -> Example:
    n = r.choice(NAMES)
    p = r.choice([10, 20, 50])
    c = r.randint(3, p - 1)
    item = r.choice(["a book", "a T-shirt", "a board game", "a lunch box", "a plant"])
    q = f"{n} pays with a {p}-dollar note for {item} that costs {c} dollars. How many dollars of change does {n} get?"
    return q, [f"Change is the note minus the price: {p} - {c} = {p - c}."], str(p - c)


def wp_chairs(r: random.Random) -> Example:
    rows, per = r.randint(3, 9), r.randint(5, 12)
    total = rows * per
    t = r.randint(5, total - 5)
    q = f"A hall has {rows} rows of {per} chairs. {t} chairs are taken. How many chairs are free?"
    return (
        q,
        [f"Total chairs: {mul_line(per, rows)}.", f"Free chairs: {total} - {t} = {total - t}."],
        str(total - t),
    )


def wp_compare(r: random.Random) -> Example:
    n1, n2 = r.sample(NAMES, 2)
    obj = r.choice(SMALL_THINGS)
    b = r.randint(5, 40)
    a = b + r.randint(2, 30)
    q = f"{n1} has {a} {obj} and {n2} has {b}. How many more {obj} does {n1} have than {n2}?"
    return q, [f"Find the difference: {a} - {b} = {a - b}."], str(a - b)


def wp_trip(r: random.Random) -> Example:
    w, t, v = r.randint(5, 20), r.randint(15, 55), r.randint(3, 15)
    x = w + t
    q = (
        f"The walk to the station takes {w} minutes, the train ride takes {t} minutes, and the walk "
        f"from the station takes {v} minutes. How many minutes does the whole trip take?"
    )
    return q, [f"Walk and train: {w} + {t} = {x}.", f"Add the last walk: {x} + {v} = {x + v}."], str(x + v)


def wp_legs(r: random.Random) -> Example:
    c, k = r.randint(2, 12), r.randint(2, 9)
    x, y = c * 2, k * 4
    q = f"A farm has {c} chickens and {k} cows. How many legs do the animals have altogether?"
    lines = [
        f"Chickens have 2 legs: {c} × 2 = {x}.",
        f"Cows have 4 legs: {k} × 4 = {y}.",
        f"Total: {x} + {y} = {x + y}.",
    ]
    return q, lines, str(x + y)


def wp_eggs(r: random.Random) -> Example:
    n = r.choice(NAMES)
    b, k = r.randint(2, 6), r.randint(1, 6)
    x = b * 6
    q = f"{n} buys {b} boxes of 6 eggs and drops one box on the way home, breaking {k} eggs. How many unbroken eggs are left?"
    return q, [f"Eggs bought: {b} × 6 = {x}.", f"Unbroken: {x} - {k} = {x - k}."], str(x - k)


def wp_tulips(r: random.Random) -> Example:
    n = r.choice(NAMES)
    rows, per, extra = r.randint(2, 6), r.randint(4, 12), r.randint(2, 15)
    x = rows * per
    q = f"{n} plants {rows} rows of {per} tulips and then {extra} more tulips by the gate. How many tulips does {n} plant in total?"
    return (
        q,
        [f"Rows: {mul_line(per, rows)}.", f"Add the extra tulips: {x} + {extra} = {x + extra}."],
        str(x + extra),
    )


def wp_library(r: random.Random) -> Example:
    a = r.randint(30, 90)
    b = r.randint(5, 25)
    c = r.randint(1, b)
    x = a - b
    q = (
        f"A class library had {a} books. Students borrowed {b} books on Monday and returned {c} of them "
        "on Friday. How many books are on the shelf now?"
    )
    return q, [f"After borrowing: {a} - {b} = {x}.", f"After returns: {x} + {c} = {x + c}."], str(x + c)


def wp_laps(r: random.Random) -> Example:
    n = r.choice(NAMES)
    m, k = r.choice([200, 250, 400]), r.randint(2, 9)
    q = f"A running track is {m} metres around. {n} runs {k} laps. How many metres does {n} run?"
    return q, [f"{k} laps of {m} metres.", mul_line(m, k) + "."], str(m * k)


def wp_pizza(r: random.Random) -> Example:
    k = r.randint(2, 5)
    x = k * 8
    e = r.randint(3, x - 2)
    q = f"{k} pizzas are each cut into 8 slices. {e} slices are eaten. How many slices are left?"
    return q, [f"Slices: {k} × 8 = {x}.", f"Left: {x} - {e} = {x - e}."], str(x - e)


WORD_TEMPLATES: list[Callable[[random.Random], Example]] = [
    wp_buy_more,
    wp_give_away,
    wp_bus,
    wp_pages,
    wp_coins,
    wp_boxes,
    wp_share,
    wp_savings,
    wp_cookies,
    wp_temperature,
    wp_age,
    wp_change,
    wp_chairs,
    wp_compare,
    wp_trip,
    wp_legs,
    wp_eggs,
    wp_tulips,
    wp_library,
    wp_laps,
    wp_pizza,
]


# ---------------------------------------------------------------------------
# decimal comparison
# ---------------------------------------------------------------------------
LARGER_PHRASES = [
    "Which is larger, {x} or {y}?",
    "Which number is bigger: {x} or {y}?",
    "Which is greater, {x} or {y}?",
    "Of {x} and {y}, which is larger?",
]
SMALLER_PHRASES = [
    "Which is smaller, {x} or {y}?",
    "Which number is less: {x} or {y}?",
    "Of {x} and {y}, which is smaller?",
]
DEC_PLACES = ["tenths", "hundredths", "thousandths"]


def norm_dec(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def gen_comparison(rng: random.Random) -> Example:
    while True:
        shape = rng.choice(["1v2", "1v2", "2v3", "1v3", "int"])
        w = rng.randint(0, 9)
        if shape == "1v2":
            x = Decimal(w) + Decimal(rng.randint(1, 9)) / 10
            y = Decimal(w) + Decimal(rng.randint(1, 99)) / 100
        elif shape == "2v3":
            x = Decimal(w) + Decimal(rng.randint(1, 99)) / 100
            y = Decimal(w) + Decimal(rng.randint(1, 999)) / 1000
        elif shape == "1v3":
            x = Decimal(w) + Decimal(rng.randint(1, 9)) / 10
            y = Decimal(w) + Decimal(rng.randint(1, 999)) / 1000
        else:
            x = Decimal(w) + Decimal(rng.randint(1, 9)) / 10
            y = Decimal(w + 1) + Decimal(rng.randint(1, 99)) / 100
        xs, ys = norm_dec(x), norm_dec(y)
        if x != y and "." in xs and "." in ys:
            break
    if rng.random() < 0.5:
        x, y, xs, ys = y, x, ys, xs
    want_larger = rng.random() < 0.6
    phrase = rng.choice(LARGER_PHRASES if want_larger else SMALLER_PHRASES)
    question = phrase.format(x=xs, y=ys)

    k = max(len(xs.split(".")[1]), len(ys.split(".")[1]))
    xp, yp = format(x, f".{k}f"), format(y, f".{k}f")
    lines = [f"Write both with {k} decimal places: {xp} and {yp}."]
    xi, xf = xp.split(".")
    yi, yf = yp.split(".")
    if xi != yi:
        lines.append(f"Compare the whole parts: {xi} vs {yi}.")
    else:
        same = [DEC_PLACES[i] for i in range(k) if xf[: i + 1] == yf[: i + 1]]
        i = len(same)
        prefix = f"The whole parts are both {xi}"
        if same:
            prefix += " and the " + " and ".join(same) + " match"
        lines.append(f"{prefix}; compare the {DEC_PLACES[i]}: {xf[i]} vs {yf[i]}.")
    big, small = (xs, ys) if x > y else (ys, xs)
    if want_larger:
        lines.append(f"So {big} is larger than {small}.")
        answer = big
    else:
        lines.append(f"So {small} is smaller than {big}.")
        answer = small
    return question, lines, answer


# ---------------------------------------------------------------------------
# chain sums
# ---------------------------------------------------------------------------
CHAIN_PHRASES = [
    "Calculate {e}.",
    "What is {e}?",
    "Work out {e}.",
    "Compute {e}.",
    "Find the value of {e}.",
    "Evaluate {e}.",
    "What do you get from {e}?",
]


def gen_chain_sum(rng: random.Random) -> Example:
    count = rng.choice([3, 4, 4])
    nums = [rng.randint(5, 40)] + [rng.randint(1, 25) for _ in range(count - 1)]
    ops = [rng.choice("+-") for _ in range(count - 1)]
    expr = str(nums[0]) + "".join(f" {op} {n}" for op, n in zip(ops, nums[1:], strict=True))
    total = nums[0]
    lines: list[str] = []
    for op, n in zip(ops, nums[1:], strict=True):
        new = total + n if op == "+" else total - n
        lines.append(f"{total} {op} {n} = {new}.")
        total = new
    lines[0] = "Go left to right: " + lines[0]
    return rng.choice(CHAIN_PHRASES).format(e=expr), lines, str(total)


# ---------------------------------------------------------------------------
# counting letters
# ---------------------------------------------------------------------------
WORDS = [
    "strawberry",
    "banana",
    "mississippi",
    "bookkeeper",
    "committee",
    "occurrence",
    "necessary",
    "parallel",
    "assessment",
    "raspberry",
    "balloon",
    "address",
    "coffee",
    "pepper",
    "letter",
    "success",
    "bubble",
    "giraffe",
    "elephant",
    "cinnamon",
    "broccoli",
    "pineapple",
    "programming",
    "tomorrow",
    "accommodation",
    "embarrass",
    "possession",
    "referee",
    "tennessee",
    "hippopotamus",
    "millennium",
    "engineering",
    "chocolate",
    "umbrella",
    "butterfly",
    "grasshopper",
    "kangaroo",
    "mammal",
    "llama",
    "papaya",
    "baggage",
    "difference",
    "beginning",
    "vacuum",
    "yellow",
    "independence",
    "excellence",
    "alphabet",
    "photograph",
    "abracadabra",
    "onomatopoeia",
    "syllable",
    "cappuccino",
    "zucchini",
    "tattoo",
    "cheese",
    "volleyball",
]
LETTER_PHRASES = [
    "How many times does the letter {l} appear in '{w}'?",
    "Count the letter {l} in '{w}'.",
    "In the word '{w}', how many times does the letter {l} appear?",
    "How many times do you see the letter {l} in '{w}'?",
    "How often does the letter {l} occur in '{w}'?",
]


def join_positions(pos: list[int]) -> str:
    items = [str(p) for p in pos]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gen_counting_letters(rng: random.Random) -> Example:
    word = rng.choice(WORDS)
    letters = sorted(set(word))
    counts = {c: word.count(c) for c in letters}
    roll = rng.random()
    multi = [c for c in letters if counts[c] >= 2]
    single = [c for c in letters if counts[c] == 1]
    if roll < 0.72 and multi:
        letter = rng.choice(multi)
    elif roll < 0.92 and single:
        letter = rng.choice(single)
    else:
        letter = rng.choice([c for c in "bdfgjkqvwxz" if c not in word])
    question = rng.choice(LETTER_PHRASES).format(l=letter, w=word)
    pos = [i + 1 for i, c in enumerate(word) if c == letter]
    lines = [f"Spell it out: {'-'.join(word)}."]
    if not pos:
        lines.append(f"There is no letter {letter} in it.")
    elif len(pos) == 1:
        lines.append(f"The letter {letter} is at position {pos[0]} only.")
    else:
        lines.append(f"The letter {letter} is at positions {join_positions(pos)}.")
    lines.append(f"That makes {len(pos)}.")
    return question, lines, str(len(pos))


# ---------------------------------------------------------------------------
# unit conversion
# ---------------------------------------------------------------------------
# (big unit, small unit, how many small units in one big unit)
UNIT_PAIRS = [
    ("hours", "minutes", 60),
    ("minutes", "seconds", 60),
    ("days", "hours", 24),
    ("weeks", "days", 7),
    ("metres", "centimetres", 100),
    ("centimetres", "millimetres", 10),
    ("kilometres", "metres", 1000),
    ("kilograms", "grams", 1000),
    ("litres", "millilitres", 1000),
]
SINGULAR = {
    "hours": "hour",
    "minutes": "minute",
    "seconds": "second",
    "days": "day",
    "weeks": "week",
    "metres": "metre",
    "centimetres": "centimetre",
    "millimetres": "millimetre",
    "kilometres": "kilometre",
    "kilograms": "kilogram",
    "grams": "gram",
    "litres": "litre",
    "millilitres": "millilitre",
}
UNIT_PHRASES = [
    "How many {to} are in {n} {frm}?",
    "Convert {n} {frm} to {to}.",
    "What is {n} {frm} in {to}?",
    "Express {n} {frm} in {to}.",
]


def times_line(n: int, f: int) -> str:
    if f == 60:
        return f"{n} × 6 = {n * 6}, so {n} × 60 = {n * 60}."
    if f == 24:
        return f"{n} × 24 = {n} × 20 + {n} × 4 = {n * 20} + {n * 4} = {n * 24}."
    return f"{n} × {f} = {n * f}."


def divide_line(total: int, f: int) -> str:
    return f"{total} ÷ {f} = {total // f}, because {total // f} × {f} = {total}."


def gen_unit_conversion(rng: random.Random) -> Example:
    big, small, f = rng.choice(UNIT_PAIRS)
    n = rng.randint(2, 12)
    if rng.random() < 0.5:
        frm, to, value, answer = big, small, n, n * f
        lines = [f"1 {SINGULAR[big]} is {f} {small}, so multiply by {f}.", times_line(n, f)]
    else:
        frm, to, value, answer = small, big, n * f, n
        lines = [f"{f} {small} make 1 {SINGULAR[big]}, so divide by {f}.", divide_line(n * f, f)]
    question = rng.choice(UNIT_PHRASES).format(n=value, frm=frm, to=to)
    return question, lines, str(answer)


# ---------------------------------------------------------------------------
# independent verification
# ---------------------------------------------------------------------------
NUM = r"-?\d+(?:\.\d+)?"
EXPR = rf"{NUM}(?: [-+×÷] {NUM})*"
EQUATION = re.compile(rf"(?<![\d.]){EXPR}(?: = {EXPR})+")
FORMAT = re.compile(r"\A<think>\n(?P<think>.+)\n</think>\nThe answer is (?P<x>-?\d+(?:\.\d+)?)\.\Z", re.S)


def eval_expr(expr: str) -> Fraction:
    tokens = expr.split(" ")
    values = [Fraction(tokens[0])]
    ops: list[str] = []
    for op, tok in zip(tokens[1::2], tokens[2::2], strict=True):
        v = Fraction(tok)
        if op in "×÷":
            values[-1] = values[-1] * v if op == "×" else values[-1] / v
        else:
            ops.append(op)
            values.append(v)
    total = values[0]
    for op, v in zip(ops, values[1:], strict=True):
        total = total + v if op == "+" else total - v
    return total


def phrase_regex(template: str) -> re.Pattern[str]:
    marked = template.replace("{a}", "AAAPH").replace("{b}", "BBBPH")
    pattern = re.escape(marked).replace("AAAPH", r"(?P<a>\d+)").replace("BBBPH", r"(?P<b>\d+)")
    return re.compile(rf"\A{pattern}\Z")


ARITH_CHECKS: dict[str, tuple[list[re.Pattern[str]], Callable[[int, int], int]]] = {
    "addition": ([phrase_regex(p) for p in ADD_PHRASES], lambda a, b: a + b),
    "subtraction": ([phrase_regex(p) for p in SUB_PHRASES], lambda a, b: a - b),
    "multiplication": ([phrase_regex(p) for p in MUL_PHRASES], lambda a, b: a * b),
}
UNIT_FACTOR = {}
for _big, _small, _f in UNIT_PAIRS:
    UNIT_FACTOR[(_big, _small)] = Fraction(_f)
    UNIT_FACTOR[(_small, _big)] = Fraction(1, _f)


def letter_task(q: str) -> tuple[str, str] | None:
    """The (letter, word) a counting_letters question asks about, whatever its wording."""
    m = re.search(r"letter ([a-z])\b.*'([a-z]+)'|'([a-z]+)'.*letter ([a-z])\b", q)
    if not m:
        return None
    return (m[1], m[2]) if m[1] else (m[4], m[3])


def unit_task(q: str) -> tuple[int, str, str] | None:
    """The (amount, from unit, to unit) a unit_conversion question asks about, whatever its wording."""
    m = re.search(r"(\d+) ([a-z]+) (?:to|in) ([a-z]+)[.?]\Z", q)
    if m:
        return int(m[1]), m[2], m[3]
    m = re.search(r"How many ([a-z]+) are in (\d+) ([a-z]+)\?\Z", q)
    return (int(m[2]), m[3], m[1]) if m else None


def task_key(category: str, q: str) -> str:
    """What a question asks, independent of its wording: two rows with one key repeat a task.

    counting_letters: the (letter, word) pair; unit_conversion: (amount, from, to); addition and
    multiplication: the two operands in either order; subtraction: the operands in order. Other
    categories (chain sums, comparisons, word problems) keep the question itself.
    """
    task: tuple | None = None
    if category == "counting_letters":
        task = letter_task(q)
    elif category == "unit_conversion":
        task = unit_task(q)
    elif category in ARITH_CHECKS:
        m = next((m for m in (pat.match(q) for pat in ARITH_CHECKS[category][0]) if m), None)
        if m:
            task = (int(m["a"]), int(m["b"]))
            task = task if category == "subtraction" else tuple(sorted(task))
    return f"{category}: {task}" if task else f"{category}: {q}"


def expected_from_question(category: str, q: str) -> str | None:
    """Recompute the answer from the question text alone (None: not parseable)."""
    if category in ARITH_CHECKS:
        patterns, fn = ARITH_CHECKS[category]
        for pat in patterns:
            m = pat.match(q)
            if m:
                return str(fn(int(m["a"]), int(m["b"])))
        return None
    if category == "chain_sum":
        m = re.search(r"(\d+(?: [-+] \d+){2,3})[.?]\Z", q)
        return fmt_num(eval_expr(m[1])) if m else None
    if category == "counting_letters":
        task = letter_task(q)
        if task is None:
            return None
        letter, word = task
        return str(word.count(letter))
    if category == "comparison":
        nums = re.findall(r"\d+\.\d+", q)
        if len(nums) != 2:
            return None
        larger = bool(re.search(r"larger|bigger|greater", q))
        pick = max if larger else min
        return pick(nums, key=Decimal)
    if category == "unit_conversion":
        task = unit_task(q)
        if task is None:
            return None
        n, frm, to = task
        return fmt_num(n * UNIT_FACTOR[(frm, to)])
    return None  # word problems: checked through their equations below


def verify_row(row: dict) -> None:
    rid = row["id"]
    assert re.fullmatch(r"reason-\d{4}", rid), rid
    assert row["kind"] == "reasoning" and row["language"] == "en", rid
    q = row["messages"][0]["content"]
    content = row["messages"][1]["content"]
    m = FORMAT.match(content)
    assert m, f"{rid}: bad format {content!r}"
    think = m["think"]
    lines = think.split("\n")
    assert 1 <= len(lines) <= MAX_THINK_LINES, f"{rid}: {len(lines)} think lines"
    assert all(line.strip() for line in lines), f"{rid}: empty think line"
    assert len(think.split()) < MAX_THINK_WORDS, f"{rid}: think too long"
    assert m["x"] == row["answer"], f"{rid}: answer field mismatch"
    assert "," not in row["answer"], rid
    # Every equation written in the think block must be true.
    equations = EQUATION.findall(think)
    last_value = None
    for eq in equations:
        sides = [eval_expr(side) for side in eq.split(" = ")]
        assert all(s == sides[0] for s in sides), f"{rid}: wrong equation {eq!r}"
        last_value = sides[-1]
    # Independent re-computation from the question.
    expected = expected_from_question(row["category"], q)
    if row["category"] == "word_problem":
        assert last_value is not None, f"{rid}: word problem without equations"
        assert fmt_num(last_value) == row["answer"], f"{rid}: last step != answer"
    else:
        assert expected is not None, f"{rid}: could not re-parse {q!r}"
        assert expected == row["answer"], f"{rid}: expected {expected}, got {row['answer']}"


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
def render(lines: list[str], answer: str) -> str:
    return "<think>\n" + "\n".join(lines) + "\n</think>\n" + f"The answer is {answer}."


def main(argv: list[str] | None = None) -> int:
    argument_parser(__doc__).parse_args(argv)
    rng = random.Random(SEED)
    generators: dict[str, Callable[[random.Random], Example]] = {
        "addition": gen_addition,
        "subtraction": gen_subtraction,
        "multiplication": gen_multiplication,
        "comparison": gen_comparison,
        "chain_sum": gen_chain_sum,
        "counting_letters": gen_counting_letters,
        "unit_conversion": gen_unit_conversion,
    }
    seen: set[str] = set()
    tasks: set[str] = set()
    # Replaces a repeated task (same letter and word, amount and units, operands) with a new one.
    # Its own generator, so the main draw order, and with it every other row, stays as it was.
    redraw = random.Random(f"{SEED}:redraw")
    rows: list[dict] = []

    def new_task(category: str, example: Example) -> Example:
        if example[0] in seen:
            return example  # a repeated question: add() skips it and the main draw goes on
        for _ in range(1000):
            if example[0] not in seen and task_key(category, example[0]) not in tasks:
                return example
            example = generators[category](redraw)
        raise SystemExit(f"could not draw a new {category} task; add words or widen the ranges")

    def add(category: str, example: Example) -> bool:
        question, lines, answer = example
        if question in seen:
            return False
        seen.add(question)
        tasks.add(task_key(category, question))
        rows.append(
            {
                "id": f"reason-{len(rows) + 1:04d}",
                "kind": "reasoning",
                "category": category,
                "style": "direct",
                "language": "en",
                "messages": [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": render(lines, answer)},
                ],
                "source": "safealign-generated",
                "answer": answer,
            }
        )
        return True

    for category in TARGETS:
        target = TARGETS[category]
        made = 0
        attempts = 0
        if category == "word_problem":
            per_template = target // len(WORD_TEMPLATES)
            assert per_template * len(WORD_TEMPLATES) == target
            for template in WORD_TEMPLATES:
                done = 0
                while done < per_template:
                    attempts += 1
                    assert attempts < 10_000, category
                    done += add(category, template(rng))
            continue
        while made < target:
            attempts += 1
            assert attempts < 10_000, f"could not make enough unique {category} rows"
            made += add(category, new_task(category, generators[category](rng)))

    for row in rows:
        verify_row(row)
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    questions = [r["messages"][0]["content"] for r in rows]
    assert len(set(questions)) == len(questions)
    keys = Counter(task_key(r["category"], r["messages"][0]["content"]) for r in rows)
    repeated = [key for key, n in keys.items() if n > 1]
    assert not repeated, f"tasks asked twice in different words: {repeated}"
    counts = Counter(r["category"] for r in rows)
    for category, target in TARGETS.items():
        assert counts[category] == target >= 40, (category, counts[category])
    assert len(rows) >= 360

    # Verify every row again as read back from disk.
    for row in write_jsonl(OUT_PATH, rows):
        verify_row(row)

    print(f"wrote {len(rows)} rows to {shown(OUT_PATH)} (all answers re-verified)")
    for category in TARGETS:
        print(f"  {category}: {counts[category]}")
    print(f"  word_problem templates: {len(WORD_TEMPLATES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
