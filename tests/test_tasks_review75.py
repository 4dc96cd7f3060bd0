"""Review 75 of the verifiable tasks: an answer line's long run of digits before a letter is read in one pass; text
of another type is a TypeError naming the argument and the fix; a language code is read in any case, an unknown one
refused; a decimal_arithmetic item whose difficulty is no mapping is a DataError naming it; a count of terms or digits
past any question is refused before reasoning-gym draws it for ever; a word with commas for a list of words is refused
with the list to write."""

from __future__ import annotations

import re

import pytest

from safealign.errors import DataError
from safealign.tasks import (
    Problem,
    check_answer,
    detect_language,
    extract_answer,
    format_score,
    language_share,
)
from safealign.tasks.problems import FamilyConfigError, generate_problems, parse_family_spec

DIGITS = "1" * 200_000


# The answer's leading number was followed by "(?![\d.]*(?:\w|,\d))": for each shorter number tried, the rest of the
# digits were scanned again, 0.3 s for 10,000 digits and a letter, minutes for 200,000.
@pytest.mark.timeout(60)  # a hang guard: about 0.2 s now
def test_a_long_run_of_digits_before_a_letter_is_read_in_one_pass() -> None:
    # no one number: the line as written, cut at 200 characters as before
    assert extract_answer("The answer is " + DIGITS + "a") == DIGITS[:200]
    assert extract_answer("The answer is " + DIGITS + "a", exponent=True) == DIGITS[:200]
    assert extract_answer("The answer is 1." + DIGITS + "x") == "1." + DIGITS[:198]


@pytest.mark.parametrize(
    ("text", "exponent", "answer"),
    [
        ("The answer is 42 legs.", False, "42"),
        ("The answer is 2,5.", False, "2,5"),  # a decimal comma, or a list: not 2
        ("The answer is 1,234.", False, "1234"),
        ("The answer is 2.5x.", False, "2.5x"),
        ("The answer is 3... or so", False, "3"),
        ("The answer is 3..a", False, "3..a"),
        ("The answer is 12a", False, "12a"),
        ("The answer is 9.01e+16.", True, "9.01e+16"),
        ("The answer is 9.01e+16.", False, "9.01e+16"),
        ("The answer is $-7$, done", False, "-7"),
    ],
)
def test_the_leading_number_of_an_answer_is_read_as_before(text: str, exponent: bool, answer: str) -> None:
    assert extract_answer(text, exponent=exponent) == answer


NOT_TEXT = [
    (None, "pass '' for no text"),
    (b"The answer is 2", "decode it first: .decode('utf-8')"),
    (2, "pass the text as a str"),
    ([{"type": "text", "text": "The answer is 2"}], "safealign.chat_content.message_text(content)"),
]


@pytest.mark.parametrize(("value", "fix"), NOT_TEXT)
def test_text_of_another_type_is_a_type_error_naming_the_argument(value: object, fix: str) -> None:
    """None, bytes, a number or content parts failed inside with "'NoneType' object has no attribute 'find'" or a
    regex's "argument should be integer or bytes-like object, not 'str'"."""
    problem = Problem("p", "What is 1 + 1?", "2", "arithmetic")
    calls = [
        ("extract_answer: text must be a str", lambda: extract_answer(value)),
        ("check_answer: completion_text must be a str", lambda: check_answer(problem, value)),
        ("language_share: text must be a str", lambda: language_share(value, "en")),
        ("detect_language: text must be a str", lambda: detect_language(value)),
        ("parse_reasoning: text must be a str", lambda: format_score(value)),
    ]
    for named, call in calls:
        with pytest.raises(TypeError) as error:
            call()
        assert named in str(error.value) and fix in str(error.value)
        assert f"got {type(value).__name__}" in str(error.value)


def test_a_language_code_is_read_in_any_case() -> None:
    """A code in capitals was no language lingua names: every word off target, 0.0 for "EN" where "en" gave 1.0."""
    english, chinese = "The cat sleeps on the sofa all afternoon.", "猫在沙发上睡了一下午"
    assert language_share(english, "EN") == language_share(english, "en") == 1.0
    assert language_share(chinese, "Zh") == language_share(chinese, "zh") == 1.0
    assert language_share("Le chat dort sur le canapé tout l'après-midi.", "EN") == 0.0


@pytest.mark.parametrize("code", ["xx", "en-US", "english", None])
def test_an_unknown_language_code_is_refused_naming_the_known_ones(code: object) -> None:
    with pytest.raises(
        ValueError, match="unknown language code .*pass one of ar, de, en, es, fr, it, ja, ko, pt"
    ):
        language_share("The cat sleeps on the sofa all afternoon.", code)


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        ({"difficulty": [3, 3]}, "metadata['difficulty'] is [3, 3], not a mapping"),
        ({"difficulty": "hard"}, "metadata['difficulty'] is 'hard', not a mapping"),
        ("hard", "its metadata (an eval file's 'task' field) is 'hard', not a mapping"),
    ],
)
def test_a_decimal_item_whose_difficulty_is_no_mapping_is_named(metadata: object, named: str) -> None:
    """A hand-written item's difficulty of another shape was "'list' object has no attribute 'get'" from inside
    check_answer, after every answer of the eval was generated."""
    problem = Problem("mine-3", "What is 1.5 + 2.25?", "3.75", "decimal_arithmetic", metadata=metadata)
    with pytest.raises(DataError, match="decimal_arithmetic item mine-3") as error:
        check_answer(problem, "The answer is 3.75")
    assert named in str(error.value) and '{"difficulty": {"decimal_places": [LOW, HIGH]}}' in str(error.value)


@pytest.mark.parametrize(
    "metadata", [{}, {"difficulty": None}, None, {"difficulty": {"decimal_places": [3, 3]}}]
)
def test_a_decimal_item_without_a_difficulty_is_checked_to_its_default_places(metadata: object) -> None:
    problem = Problem("mine-3", "What is 1.5 + 2.25?", "3.75", "decimal_arithmetic", metadata=metadata)
    assert check_answer(problem, "The answer is 3.7502") == 1.0  # within 1e-3
    assert check_answer(problem, "The answer is 3.76") == 0.0


@pytest.mark.timeout(
    60
)  # a hang guard: reasoning-gym drew 10**30 terms, or numbers of 10**30 digits, for ever
@pytest.mark.parametrize(
    ("spec", "named"),
    [
        (
            "basic_arithmetic?max_terms=1000000000000000000000000000000",
            "max_terms=1000000000000000000000000000000",
        ),
        ("chain_sum?min_digits=1&max_digits=1.0e+30", "max_digits=1e+30"),  # YAML 1.1 reads it as a float
        ("polynomial_equations?max_terms=10000001", "max_terms=10000001"),
    ],
)
def test_a_count_of_terms_or_digits_past_any_question_is_refused_naming_it(spec: str, named: str) -> None:
    family, config = parse_family_spec(spec)
    with pytest.raises(
        FamilyConfigError, match=f"{family}: {re.escape(named)} is past 10,000,000.*its default: "
    ):
        generate_problems(family, 1, seed=1, config=config)


def test_a_count_of_terms_or_digits_a_recipe_uses_still_draws() -> None:
    family, config = parse_family_spec("chain_sum?max_terms=100&max_digits=20")
    (problem,) = generate_problems(family, 1, seed=1, config=config)
    assert problem.prompt and problem.answer


@pytest.mark.parametrize(
    ("spec", "fix"),
    [
        # one man named "James,John" in every question
        ("aiw?male_names=James,John", "male_names='James,John' is one item with commas in it"),
        ("boxnet?colour_list=red, blue", "write colour_list=[red, blue]"),
        # "unsupported operator: +,-; check each value's type and range (integers where the field takes integers)"
        ("basic_arithmetic?operators=+,-", "write operators=[+, -]"),
        # AttributeError: 'tuple' object has no attribute 'is_commutative', a traceback from sympy
        ("polynomial_multiplication?variables=x,y", "write variables=[x, y]"),
    ],
)
def test_a_word_with_commas_for_a_list_of_words_is_refused_with_the_list_to_write(
    spec: str, fix: str
) -> None:
    family, config = parse_family_spec(spec)
    with pytest.raises(FamilyConfigError, match=re.escape(fix)):
        generate_problems(family, 1, seed=1, config=config)


def test_a_list_of_words_or_one_word_still_draws() -> None:
    for spec in (
        "basic_arithmetic?operators=[+, -]",
        "basic_arithmetic?operators=+",
        "aiw?male_names=[James, John]",
    ):
        family, config = parse_family_spec(spec)
        assert generate_problems(family, 1, seed=1, config=config)


@pytest.mark.parametrize(
    ("family", "config", "said"),
    [
        ("arc_agi", {"board_format_opts": 1}, "'int' object has no attribute 'alphabet'"),  # AttributeError
        (
            "figlet_font",
            {"static_font": 0},
            "FontNotFound(0,)",
        ),  # its str() fails: "__str__ returned non-string"
        ("spell_backward", {"data_file": "abc"}, "No such file or directory"),  # FileNotFoundError
    ],
)
def test_what_reasoning_gym_trips_over_on_a_bad_value_is_a_family_config_error(
    family: str, config: dict, said: str
) -> None:
    """These were tracebacks from inside reasoning-gym (and pyfiglet), not the one-line error of a rejected setting."""
    with pytest.raises(FamilyConfigError, match=f"{family} rejected the settings") as error:
        generate_problems(family, 2, seed=1, config=config)
    assert said in str(error.value)
