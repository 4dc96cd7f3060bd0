"""Literal-input tests for the scoring shared by evals and rewards: format, answers, problems, language."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from safealign.tasks import (
    EVAL_SEED,
    TRAIN_SEED,
    Problem,
    UnknownNameError,
    check_answer,
    detect_language,
    extract_answer,
    format_score,
    generate_problems,
    is_mixed,
    language_share,
    parse_reasoning,
)
from safealign.tasks.problems import FamilyConfigError, family_settings

WELL_FORMED = "<think>\n47 + 38: 7 + 8 = 15, carry 1; 4 + 3 + 1 = 8.\n</think>\nThe answer is 85."


def test_well_formed_reasoning() -> None:
    parsed = parse_reasoning(WELL_FORMED)
    assert parsed.well_formed
    assert parsed.think.startswith("47 + 38")
    assert parsed.answer == "The answer is 85."
    assert format_score(WELL_FORMED) == 1.0


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("<think>\n\n</think>\nThe answer is 85.", 0.5),  # empty think block
        ("Sure! <think>\nadd\n</think>\nThe answer is 85.", 0.5),  # text before the block
        ("<think>\nadd\n</think>\n", 0.5),  # no answer after it
        ("<think>\na\n</think>\n<think>\nb\n</think>\nThe answer is 1.", 0.5),  # two blocks
        ("<think>\nadd the ones, then the tens\nThe answer is 85.", 0.0),  # never closed
        ("The answer is 85.", 0.0),
        ("", 0.0),
    ],
)
def test_format_score_on_malformed_text(text: str, score: float) -> None:
    assert format_score(text) == score
    assert not parse_reasoning(text).well_formed


def test_missing_close_tag_has_no_think_block() -> None:
    parsed = parse_reasoning("<think>\nadd\nThe answer is 85.")
    assert parsed.think is None
    assert not parsed.well_formed


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        (WELL_FORMED, "85"),
        ("The answer is **-9**.", "-9"),
        ("The answer is $1,234$.", "1234"),
        ("The answer is 3.5.", "3.5"),
        ("The answer is 42 legs.", "42"),
        ("The answer is x = 5.", "5"),
        ("The final answer is: True", "True"),
        ("<think>\nthe answer is 5\n</think>\nSo we get 42", "42"),  # after the think block wins
        ("<think>\n2 + 3 = 5\n</think>", "5"),  # nothing after it: last number anywhere
        ("I think it is 12, no wait, 13", "13"),
        ("no numbers here", None),
        ("The result is $\\boxed{12}$ since 3 groups of 4.", "12"),  # a boxed answer beats the last number
        ("The final answer is $\\boxed{\\frac{3}{4}}$", "3/4"),  # nested braces kept whole
        ("The answer is $\\frac{138}{583}$.", "138/583"),
        ("The answer is 0.0, 5.0", "0.0, 5.0"),  # a list of numbers is not its first number
        ("The answer is 1,234 apples.", "1234"),
    ],
)
def test_extract_answer(text: str, answer: str | None) -> None:
    assert extract_answer(text) == answer


# Held-out answers cut off by the token limit inside the think block, whose last number matched the reference
# (the first one's 3 is half of 33).
CUT_OFF_IN_THINK = [
    ("gcd", "3", "<think>\nOnes: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 30, 31, 32, 3"),
    ("gcd", "9", "<think>\nWrite both with 1000: 18 × 9 = 18 × 90 = 18 × 900 = 18 × 90 = 18 × 9"),
    ("leg_counting", "10", "<think>\nSplit 1 leg into 1 leg, 2 legs, 7 legs, 10 feet, 10 feet, 10 feet,"),
]


@pytest.mark.parametrize(("family", "reference", "text"), CUT_OFF_IN_THINK)
def test_an_answer_cut_off_in_the_think_block_is_not_read(family: str, reference: str, text: str) -> None:
    """The last number of unfinished reasoning was read as the answer and scored correct."""
    assert extract_answer(text) is None
    assert check_answer(Problem("a", "How many?", reference, family, "held_out"), text) == 0.0


def test_an_answer_line_or_box_still_counts_in_an_unclosed_think_block() -> None:
    assert extract_answer("<think>\n27 = 9 × 3, so the answer is 3.\n3, 6") == "3"
    assert extract_answer("<think>\nso $\\boxed{3}$, then 6") == "3"


def test_a_complete_answer_without_the_format_is_still_read() -> None:
    problem = Problem("a", "Find the GCD of 15, 5.", "5", "arithmetic")
    assert check_answer(problem, "The GCD of 15 and 5 is 5.") == 1.0  # the base model writes no answer line
    closed_think_then_bare_number = "<think>\n15 = 3 × 5\n</think>\n5"
    assert check_answer(problem, closed_think_then_bare_number) == 1.0


def test_generated_problems_are_deterministic_and_seed_dependent() -> None:
    first = generate_problems("arithmetic", 20, EVAL_SEED)
    assert first == generate_problems("arithmetic", 20, EVAL_SEED)
    assert [p.prompt for p in first] != [p.prompt for p in generate_problems("arithmetic", 20, TRAIN_SEED)]
    assert len({p.id for p in first}) == 20
    assert all(p.family == "arithmetic" and p.split == "in_distribution" for p in first)
    assert TRAIN_SEED < EVAL_SEED


def test_check_answer_arithmetic() -> None:
    problem = Problem("a", "What is 47 + 38?", "85", "arithmetic")
    assert check_answer(problem, WELL_FORMED) == 1.0
    assert check_answer(problem, "The answer is 85.0") == 1.0
    assert check_answer(problem, "The answer is 58.") == 0.0
    assert check_answer(problem, "I don't know.") == 0.0
    for p in generate_problems("word_problem", 10, EVAL_SEED):
        assert check_answer(p, f"<think>\nsteps\n</think>\nThe answer is {p.answer}.") == 1.0


def test_check_answer_reasoning_gym_family() -> None:
    problems = generate_problems("leg_counting", 5, EVAL_SEED, split="held_out")
    assert problems == generate_problems("leg_counting", 5, EVAL_SEED, split="held_out")
    problem = problems[0]
    assert problem.split == "held_out" and "legs" in problem.prompt
    assert check_answer(problem, f"<think>\ncount\n</think>\nThe answer is {problem.answer}.") == 1.0
    wrong = str(int(problem.answer) + 1) + "1"  # a different number that contains the right digits
    assert check_answer(problem, f"The answer is {wrong}.") == 0.0


def test_an_unsimplified_fraction_fails_fraction_simplification() -> None:
    # the value shortcut took "1768/1958" for 884/979 and never asked reasoning-gym's lowest-terms checker
    for problem in generate_problems("fraction_simplification", 6, EVAL_SEED):
        top, bottom = problem.metadata["simplified_numerator"], problem.metadata["simplified_denominator"]
        assert check_answer(problem, f"The answer is {problem.answer}.") == 1.0
        assert check_answer(problem, f"The answer is {top}/{bottom}.") == 1.0
        assert check_answer(problem, f"The answer is {2 * int(top)}/{2 * int(bottom)}.") == 0.0
        assert check_answer(problem, f"The answer is {int(top) / int(bottom):.7f}.") == 0.0


def test_fraction_simplification_scores_zero_or_one_in_every_style() -> None:
    # the plain style read only "138" of "138 / 583", and the LaTeX styles paid 0.1 for the question's own fraction
    problems = generate_problems("fraction_simplification", 40, 1)
    assert {problem.metadata["style"] for problem in problems} >= {"plain", "latex_frac"}
    for problem in problems:
        meta = problem.metadata
        top, bottom = meta["simplified_numerator"], meta["simplified_denominator"]
        assert check_answer(problem, f"The answer is {top} / {bottom}.") == 1.0, meta["style"]
        assert check_answer(problem, f"The answer is {meta['numerator']}/{meta['denominator']}.") == 0.0


def test_families_whose_checker_sets_the_precision_are_scored_by_it() -> None:
    # the value shortcut's relative 1e-6 failed right answers at the precision each family asks for
    power = [p for p in generate_problems("power_function", 6, 1) if abs(float(p.answer)) > 1e-3]
    assert power
    for problem in power:
        value = float(problem.answer)
        assert check_answer(problem, f"The answer is {value:.3g}.") == 1.0, (
            problem.answer
        )  # 3 significant figures
        assert check_answer(problem, f"The answer is {value * 1.1:.3g}.") == 0.0
    for problem in generate_problems("coin_flip", 8, 1):
        value = float(problem.answer)
        assert check_answer(problem, f"The answer is {value:.4f}.") == 1.0, problem.answer  # within 1e-4
        assert check_answer(problem, f"The answer is {value + 0.01:.4f}.") == 0.0
    half = Problem(id="x", prompt="q", answer="0.5", family="coin_flip")
    assert check_answer(half, "The answer is 1/2.") == 1.0
    assert (
        check_answer(half, "The answer is 0.59.") == 0.0
    )  # reasoning-gym's checker pays its prefix "0.5" in full
    for problem in generate_problems("decimal_arithmetic", 6, 1):
        value = float(problem.answer)
        assert check_answer(problem, f"The answer is {value:.3f}.") == 1.0, problem.answer  # within 1e-3
        assert check_answer(problem, f"The answer is {value + 0.1:.3f}.") == 0.0


def test_a_right_fraction_with_words_or_bold_after_it_passes_fraction_simplification() -> None:
    # the whole line reached reasoning-gym's checker, so "**745/899**." and "745/899 exactly." scored 0
    problems = [
        p for p in generate_problems("fraction_simplification", 10, EVAL_SEED) if p.metadata["factor"] > 1
    ]
    assert problems
    for problem in problems:
        meta = problem.metadata
        for fraction, score in [
            (f"{meta['simplified_numerator']}/{meta['simplified_denominator']}", 1.0),
            (f"{meta['numerator']}/{meta['denominator']}", 0.0),  # not in lowest terms
        ]:
            for text in [
                f"The answer is **{fraction}**.",
                f"{fraction} exactly.",
                f"{fraction} (lowest terms)",
            ]:
                assert check_answer(problem, text) == score, (text, problem.answer)
        # the leading fraction alone is not read when a hedge or another number follows it
        right = f"{meta['simplified_numerator']}/{meta['simplified_denominator']}"
        wrong = f"{meta['simplified_numerator'] + 1}/{meta['simplified_denominator']}"
        unsimplified = f"{meta['numerator']}/{meta['denominator']}"
        for text in [
            f"The answer is {right} or {wrong}.",
            f"The answer is {right}, {wrong} or {unsimplified}.",
            f"The answer is {right}, maybe {wrong}.",
        ]:
            assert check_answer(problem, text) == 0.0, (text, problem.answer)


def test_a_latex_fraction_without_an_answer_line_is_read_whole() -> None:
    # the last-number fallback read "\frac{745}{899}" as 899
    assert extract_answer("<think>\nw\n</think>\n\\frac{745}{899}") == "745/899"
    problem = generate_problems("fraction_simplification", 1, EVAL_SEED)[0]
    meta = problem.metadata
    latex = f"\\frac{{{meta['simplified_numerator']}}}{{{meta['simplified_denominator']}}}"
    assert check_answer(problem, f"<think>\nw\n</think>\n{latex}") == 1.0


@pytest.mark.parametrize("reference", ["9.00838033280344e+16", "90083803328034400"])
def test_power_function_reads_e_notation_as_one_number(reference: str) -> None:
    # "9.01e+16" (the form its prompt asks for) was read as 16, and a bold one whole ("9.01e+16**.") failed Decimal()
    problem = Problem(id="x", prompt="q", answer=reference, family="power_function")
    assert check_answer(problem, "<think>\nw\n</think>\n9.01e+16") == 1.0
    assert check_answer(problem, "The answer is **9.01e+16**.") == 1.0
    assert check_answer(problem, "The answer is 9.01e+16 exactly.") == 1.0
    assert check_answer(problem, "<think>\nw\n</think>\n9.19e+16") == 0.0
    assert check_answer(problem, "The answer is **9.19e+16**.") == 0.0


def test_decimal_arithmetic_is_checked_at_the_places_its_items_were_drawn_with() -> None:
    # the checker came from reasoning-gym's default config: 1e-3 whatever the suite's max_num_decimal_places
    config = {"min_num_decimal_places": 5, "max_num_decimal_places": 6}
    for problem in generate_problems("decimal_arithmetic", 4, EVAL_SEED, config=config):
        value = float(problem.answer)
        assert check_answer(problem, f"The answer is {value:.6f}.") == 1.0, problem.answer  # within 1e-6
        assert check_answer(problem, f"The answer is {value + 8e-4:.6f}.") == 0.0, problem.answer


@pytest.mark.parametrize("places", [0, 1])
def test_decimal_arithmetic_with_few_places_is_not_checked_looser_than_the_default(places: int) -> None:
    # at 1 place the item's own checker passed 17.4 for 17.3, at 0 places 8 for 7
    config = {
        "min_num_decimal_places": places,
        "max_num_decimal_places": places,
        "min_terms": 2,
        "max_terms": 2,
    }
    one_unit = Decimal(10) ** -places
    for problem in generate_problems("decimal_arithmetic", 4, EVAL_SEED, config=config):
        assert check_answer(problem, f"The answer is {problem.answer}.") == 1.0, problem.answer
        wrong = Decimal(problem.answer) + one_unit
        assert check_answer(problem, f"The answer is {wrong}.") == 0.0, (problem.answer, wrong)


def test_unknown_family_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'chain_sum'"):
        generate_problems("chain_sun", 3, EVAL_SEED)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The answer is 42, because we add the two numbers together.", "en"),
        (
            "Pour faire une pâte à crêpes, mélangez la farine et les œufs, puis ajoutez le lait petit à petit.",
            "fr",
        ),
        ("Die Antwort ist 42, weil wir die beiden Zahlen addieren.", "de"),
        ("La respuesta es 42 porque sumamos los dos números.", "es"),
        ("答案是42，因为我们把两个数相加。", "zh"),
        ("La risposta è 42 perché sommiamo i due numeri.", "it"),
        ("A resposta é 42 porque somamos os dois números.", "pt"),
        ("答えは42です。二つの数を足しました。", "ja"),
        ("Ответ 42, потому что мы складываем два числа.", "ru"),
        ("الجواب هو 42 لأننا نجمع العددين.", "ar"),
    ],
)
def test_pure_text_is_not_mixed(text: str, lang: str) -> None:
    assert language_share(text, lang) == 1.0
    assert not is_mixed(text, lang)
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "lang", "at_most"),
    [
        ("The answer is 42, 因为我们把两个数相加", "en", 0.3),
        ("La réponse est simple, but I think we should check the numbers again.", "fr", 0.4),
        (
            "First add the ones, then the tens. Ensuite, on additionne les dizaines et on obtient le résultat.",
            "en",
            0.6,
        ),
        ("答案是42, because we add them", "zh", 0.5),
        ("Yes, of course.", "fr", 0.0),
    ],
)
def test_planted_mixed_text_is_caught(text: str, lang: str, at_most: float) -> None:
    assert language_share(text, lang) <= at_most
    assert is_mixed(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Spanish answers to a Portuguese and an Italian prompt: the first clause (es 0.54, pt 0.36) and the repeated
        # one (es 0.24, it 0.18) were ambiguous, so counted on target (share 0.53 and 1.0)
        (
            "El mejor momento para visitar el Nordeste es en primavera, cuando el clima es agradable y hay pocos turistas.",
            "pt",
        ),
        (
            "La forma de la forma de la forma de la forma de la forma de la forma de la forma de la forma.",
            "it",
        ),
    ],
)
def test_a_long_run_in_another_language_is_off_target_without_a_clear_lead(text: str, lang: str) -> None:
    assert language_share(text, lang) < 0.1
    assert is_mixed(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "O melhor momento para visitar o Nordeste é na primavera, quando o clima é agradável e há poucos turistas.",
            "pt",
        ),
        # lingua puts the long run in German (de 0.45, en 0.16: a lead of 0.29, under CLEAR_MARGIN), the whole text
        # in English; this pins the long-run rule, not the margin (tests/test_measure_mutants.py pins 0.4)
        ("To keep your pictures safe, turn on iCloud Photos on an iPhone or Google Photos on Android.", "en"),
    ],
)
def test_a_long_ambiguous_run_in_a_text_in_the_target_language_stays_on_target(text: str, lang: str) -> None:
    assert language_share(text, lang) == 1.0


def test_numbers_code_and_tags_are_not_words() -> None:
    assert language_share("<think>\n12 + 30 = 42\n</think>\n42", "fr") == 1.0
    assert language_share("Utilisez `git status` pour voir les fichiers modifiés.", "fr") == 1.0
    assert detect_language("123 456") is None


def test_rl_task_settings_reach_the_generator_and_stay_off_eval_items() -> None:
    from safealign.stages.rl_prompts import _eval_prompt_texts, build_prompt_rows, problem_key

    rows = build_prompt_rows(
        {"basic_arithmetic?max_digits=1&max_terms=2&operators=*": 1.0, "safety": 0.5}, 30, seed=3
    )
    products = [json.loads(r["task"]) for r in rows if r["kind"] == "reasoning"]
    assert len(products) == 20 and sum(r["kind"] != "reasoning" for r in rows) == 10
    for problem in products:
        assert problem["family"] == "basic_arithmetic"
        question = problem["prompt"]
        assert (
            "*" in question and "+" not in question and "-" not in question
        )  # one product of one-digit numbers
        assert all(int(n) <= 10 for n in re.findall(r"\d+", question))  # reasoning-gym: 0 to 10**max_digits
        assert problem_key(problem["prompt"]) not in _eval_prompt_texts()
    assert len({p["prompt"] for p in products}) == len(products)  # no question twice while the space has more
    default = build_prompt_rows({"basic_arithmetic": 1.0}, 20, seed=3)
    assert any(
        "+" in json.loads(r["task"])["prompt"] or "-" in json.loads(r["task"])["prompt"] for r in default
    )


def test_prompt_mixture_has_exactly_the_asked_number_of_prompts() -> None:
    from safealign.stages.rl_prompts import build_prompt_rows

    # The sample stage's mixture: rounding each family's share on its own gave 97 prompts for 96.
    reasoning = {"arithmetic": 0.35, "basic_arithmetic": 0.15, "chain_sum": 0.15, "word_problem": 0.15}
    mixture = {name: 0.7 * weight / 0.8 for name, weight in reasoning.items()} | {"safety": 0.3}
    rows = build_prompt_rows(mixture, 96, seed=7)
    assert len(rows) == 96
    assert sum(r["kind"] == "reasoning" for r in rows) == 67


@pytest.mark.parametrize(
    ("family", "index"),
    [
        ("time_intervals", 0),
        ("countdown", 1),
        ("prime_factorization", 0),
        ("list_functions", 0),
        ("complex_arithmetic", 0),
        ("sentence_reordering", 1),
        ("survo", 0),
        ("tower_of_hanoi", 0),
    ],
)  # the last two: answers of several lines
def test_an_answer_that_is_not_one_number_is_scored_whole(family: str, index: int) -> None:
    """ "The answer is 03:22:03." was read as "03" and scored 0 by the family's own checker."""
    problem = generate_problems(family, 4, 1)[index]
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {problem.answer}.") == 1.0
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is \\boxed{{{problem.answer}}}") == 1.0


def test_a_list_does_not_pass_for_its_first_number() -> None:
    problem = Problem("a", "What is 47 + 38?", "85", "arithmetic")
    assert check_answer(problem, "The answer is 85, 86, 87.") == 0.0
    assert check_answer(problem, "The answer is 85, because 47 + 38 = 85.") == 1.0


@pytest.mark.parametrize(
    ("reference", "line", "score"),
    [
        ("3", "3 6", 0.0),  # read as its first group, 3: a list or hedge took full credit
        ("3", "3 18", 0.0),
        ("3", "3 5 7", 0.0),
        ("6", "3 6", 0.0),  # math_verify reads the last number of "3 6"
        ("3", "3 000", 0.0),  # 3000 written with a space
        ("3000", "3 000", 1.0),
        ("6860", "6 860", 1.0),  # read as 6 and scored 0
        ("6860", "6\u202f860", 1.0),  # narrow no-break space
        ("6860", "**6 860**", 1.0),
    ],
)
def test_numbers_split_by_spaces_are_one_number_only_in_groups_of_three(
    reference: str, line: str, score: float
) -> None:
    problem = Problem("a", "What is it?", reference, "arithmetic")
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {line}.") == score


def test_a_space_separated_answer_does_not_pass_for_its_first_number_in_reasoning_gym() -> None:
    problem = Problem("a", "Find the GCD of 15 and 6.", "3", "gcd", "held_out")
    assert check_answer(problem, "<think>\nx\n</think>\nThe answer is 3.") == 1.0
    assert check_answer(problem, "<think>\nx\n</think>\nThe answer is 3 6.") == 0.0
    assert check_answer(problem, "<think>\nx\n</think>\nThe answer is 3 000.") == 0.0


@pytest.mark.parametrize(
    "line",
    [
        "not 85",
        "definitely not 85",
        "less than 85",
        "greater than 85",
        "either 84 or 85",
        "unknown (maybe 85)",
        "at least 85",
        "84, 85",
        "{84, 85}",
        # the line was read as its first number: "85 or 86" scored 1.0 for 85 (and math_verify's last number, 1.0 for 86)
        "85 or 86",
        "85 (or maybe 86)",
        "85 and 86",
        "85-86",
        "85 to 86",
        "85, or 86",
        "84 and 85",
        "84 to 85",
        "84–85",
        # markup around the numbers, "(maybe N)", "or about N" and "- or N" hid the hedge: each scored 1.0 for 85
        "**85** or **86**",
        "$85$ or $86$",
        "`85` or `86`",
        "\\(85\\) or \\(86\\)",
        "85 (maybe 86)",
        "85 or about 86",
        "85 - or 86",
        "85-86 apples",
        "85 or 85.0 or 86",
        # a word after the second number does not make a range or an alternative an explanation
        "85 - 86 apples",
        "85 or 86 apples",
        "85 (or maybe 86 apples)",
        # math_verify read an en dash between numbers as the first and "~" as the last
        "85–86",
        "85 ~ 86",
        "84 ~ 85",
    ],
)
def test_a_hedge_around_the_right_number_is_wrong(line: str) -> None:
    """math_verify read the last number out of the line: "The answer is not 85." scored 1.0 for 85."""
    problem = Problem("a", "What is 47 + 38?", "85", "arithmetic")
    assert check_answer(problem, f"<think>\n47 + 38\n</think>\nThe answer is {line}.") == 0.0


@pytest.mark.parametrize(
    ("reference", "line"),
    [
        ("85", "Tom has 85 apples"),
        ("85", "85, because 47 + 38 = 85"),
        ("85", "\\frac{170}{2}"),
        ("85", "85 apples"),
        ("85", "85 and that is all"),
        ("85", "85 (47 + 38)"),
        ("42", "42 legs"),
        ("-3", "-3"),
        ("3.5", "3.5"),
        ("1000", "1,000"),
        ("0.75", "3/4"),
        # a line of pure maths is math_verify's to compute: these read as hedges ("5 - 3" as "5 or 3") and scored 0
        ("2", "\\boxed{5 - 3}"),
        ("-2", "\\boxed{-5 - -3}"),
        ("2", "5 - 3"),
        ("-1", "13 − 14"),
    ],
)
def test_a_line_that_states_the_right_number_still_passes(reference: str, line: str) -> None:
    problem = Problem("a", "What is it?", reference, "arithmetic")
    assert check_answer(problem, f"<think>\n47 + 38\n</think>\nThe answer is {line}.") == 1.0


@pytest.mark.parametrize("family", ["arithmetic", "basic_arithmetic"])
@pytest.mark.parametrize(
    ("reference", "line"),
    [
        ("5", "5 (−3 + 8)"),
        ("5", "5 (-3 + 8)"),
        ("0.5", "1/2 or 0.5"),
        ("0.5", "0.5 (or 1/2)"),
        ("12", "12 ~ 12.0"),
        ("12", "12 and 12"),
        ("12", "12 and 3 are left over"),
        ("12", "12, and 3 are left over"),
        ("12", "12 (and 3 left over)"),
        ("12", "**12** (and 3 left over)"),
        ("4", "4 and 2 is the remainder"),
        ("5", "5 and 0 remainder"),
        ("100", "100 — 40 for Tom and 60 for Ann"),
        ("100", "100 – 40 + 60"),
        ("15", "15 - 5 on Monday and 10 on Tuesday"),
        # working, a precision note and other units read as alternatives or a range: each scored 0
        ("56", "56 (or 7 × 8)"),
        ("56", "56 (or 7 x 8)"),
        ("56", "56, or 7 groups of 8"),
        ("120", "120 (or 2 hours)"),
        ("35", "35 — 5 each"),
        ("42", "42 - 6 weeks"),
        ("85", "85 (to 2 significant figures)"),
        ("4.0", "4.0 (to 1 decimal place)"),
        ("4.0", "4.0, to 1 decimal place"),
        ("4.0", "4.0 to 1 d.p."),
        ("0.25", "0.25 (or 25%)"),
        ("90", "90 (or 1.5 hours)"),
        # working of several steps, several units, units and scale words outside the old list: each scored 0
        ("15", "15 (or 10 + 2 + 3)"),
        ("24", "24 (or 2 × 3 × 4)"),
        ("19", "19 (or 4 × 4 + 3)"),
        ("150", "150 (or 2 hours and 30 minutes)"),
        ("90", "90 (or 1 hour 30 minutes)"),
        ("3", "3 (or 36 inches)"),
        ("12", "12 (or 1 foot)"),
        ("3", "3 (or 1 yard)"),
        ("2", "2 (or 32 ounces)"),
        ("1440", "1440 (or 1 day)"),
        ("168", "168 (or 1 week)"),
        ("2500000", "2,500,000 (or 2.5 million)"),
        ("1000", "1,000 (or 1 thousand)"),
        # working by subtraction (either minus sign) and division, zero in any unit, weights, weeks and dozens
        ("56", "56 (or 60 - 4)"),
        ("56", "56 (or 60 − 4)"),
        ("7", "7 (or 56 / 8)"),
        ("7", "7 (or 56 ÷ 8)"),
        ("0", "0 (or 0 minutes)"),
        ("2000", "2000 (or 2 kg)"),
        ("14", "14 (or 2 weeks)"),
        ("36", "36 (or 3 dozen)"),
    ],
)
def test_a_second_number_that_explains_the_answer_is_not_a_hedge(
    family: str, reference: str, line: str
) -> None:
    """Any number joined to the answer by "and", a dash or "or" made a hedge: a sign after "(" read as a range dash,
    "1/2 or 0.5" (one value twice), a remainder and a worked sum scored 0."""
    problem = Problem("a", "What is it?", reference, family)
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {line}.") == 1.0


@pytest.mark.parametrize("family", ["arithmetic", "basic_arithmetic"])
@pytest.mark.parametrize(
    ("reference", "line"),
    [
        # a word after "(or N" that is not a unit the answer converts to
        ("13", "13 (or 14 if you count the one she ate)"),
        ("13", "13, or 14 if Tom keeps one"),
        ("13", "13 (or 14 apples)"),
        ("13", "13, or 14 apples"),
        ("13", "13 (or 14 hours)"),
        # other units that are not the answer in any unit of theirs (13 cm is not 130 cm, 5 dollars not 50 cents)
        ("13", "13 (or 130 cm)"),
        ("5", "5 (or 50 cents)"),
        ("3", "3 (or 30 minutes)"),
        ("0", "0 (or 5 minutes)"),
        ("25", "25 (or 2 dozen)"),
        ("7.3", "7.3 (or 1 week)"),
        # a range in a unit: "1 to 7 days" is no precision note
        ("1", "1 to 7 days"),
        ("10", "10 to 1000 grams"),
        # working that does not give the answer, a precision word without "to"
        ("13", "13 or 14 - 15"),
        ("13", "13 (or 14 x 1)"),
        ("56", "56 (or 7 x 9)"),
        ("20", "20 (or 2 + 3 × 4)"),
        ("13", "13 or 14 decimal places"),
        # a hedge after an explanation
        ("56", "56 (or 7 × 8), or maybe 60"),
        ("120", "120 (or 2 hours) or 3"),
        ("4.0", "4.0 (to 1 decimal place) or 4.1"),
    ],
)
def test_an_explanation_that_does_not_give_the_answer_is_a_hedge(
    family: str, reference: str, line: str
) -> None:
    """Any word after "(or N" read as the answer in other units, any "× n", "- n" or "decimal" after N as its working
    or precision, and the first explaining pair ended the reading: each scored 1.0."""
    problem = Problem("a", "What is it?", reference, family)
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {line}.") == 0.0


@pytest.mark.parametrize("note", [" (to 1 decimal place)", ", to 1 decimal place", " to 1 d.p."])
def test_a_decimal_answer_with_its_precision_is_right(note: str) -> None:
    """ "4.0 (to 1 decimal place)" read as the range "4.0 to 1" and scored 0 on reasoning-gym's decimal_chain_sum."""
    settings = family_settings(
        "min_terms=2&max_terms=2&min_digits=1&max_digits=1&min_decimal_places=1&max_decimal_places=1"
    )
    problem = generate_problems("decimal_chain_sum", 1, 20020, config=settings)[0]
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {problem.answer}{note}.") == 1.0


def test_a_boxed_expression_is_computed() -> None:
    """ "\\boxed{5 - 3}" read as the range 5-3 and scored 0 for 2; math_verify computed it before."""
    for reference, boxed in [("2", "5 - 3"), ("-2", "-5 - -3")]:
        problem = Problem("a", "What is it?", reference, "arithmetic")
        assert check_answer(problem, f"<think>\nx\n</think>\n\\boxed{{{boxed}}}") == 1.0, boxed


def test_a_sentence_with_a_second_number_is_not_a_hedge() -> None:
    """Any prose line with two numbers counted as a hedge: "after buying 5, Tom has 85 apples" scored 0 for 85."""
    problem = Problem(
        "w", "Tom has 80 apples and buys 5 more. How many apples does he have?", "85", "word_problem"
    )
    answer = "<think>\n80 + 5 = 85\n</think>\nThe answer is: after buying 5, Tom has 85 apples."
    assert check_answer(problem, answer) == 1.0


@pytest.mark.parametrize("family", ["basic_arithmetic", "chain_sum", "products", "gcd", "leg_counting"])
@pytest.mark.parametrize(
    "hedge",
    [
        "{wrong}, {right}",
        "x{right}",
        "either {wrong} or {right}",
        "{right} or {wrong}",
        "{right} (or maybe {wrong})",
        "{right} and {wrong}",
        "{right}-{wrong}",
        "{right} to {wrong}",
        "{wrong} and {right}",
        "**{right}** or **{wrong}**",
        "${right}$ or ${wrong}$",
        "`{right}` or `{wrong}`",
        "\\({right}\\) or \\({wrong}\\)",
        "{right} (maybe {wrong})",
        "{right} or about {wrong}",
        "{right} - or {wrong}",
    ],
)
def test_a_number_reference_gets_no_partial_credit(family: str, hedge: str) -> None:
    """reasoning-gym gave len(reference) / len(answer) to an answer containing the reference: "4, 3" scored 0.25 for 3;
    "13 or 14" was read as 13 and scored 1.0."""
    problem = generate_problems(family, 1, 1)[0]
    line = hedge.format(right=problem.answer, wrong=int(problem.answer) + 1)
    assert check_answer(problem, f"<think>\nx\n</think>\nThe answer is {line}.") == 0.0


def test_a_setting_that_fails_while_drawing_names_the_family_and_the_setting() -> None:
    """reasoning-gym draws lazily: min_terms=2.5 failed in random.randrange, naming neither family nor setting."""
    with pytest.raises(
        FamilyConfigError, match=r"chain_sum.*min_terms.*integers where the field takes integers"
    ):
        generate_problems("chain_sum", 1, 1, config={"min_terms": 2.5})


def test_a_minus_operator_setting_is_not_a_yaml_null() -> None:
    assert family_settings("operators=-&max_terms=2&x=null") == {"operators": "-", "max_terms": 2, "x": None}
    assert "-" in generate_problems("basic_arithmetic", 1, 1, config=family_settings("operators=-"))[0].prompt


def test_families_that_hash_their_draws_are_said_to(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    generate_problems("ransom_note", 1, 1)
    assert "PYTHONHASHSEED=0" in caplog.text


def test_a_think_tag_ends_a_clause_with_or_without_a_line_break() -> None:
    """French reasoning glued to its tags ("...parce que</think> The answer") was read as one English clause."""
    glued = "<think>Je pense que c'est quarante-deux parce que</think> The answer is 42."
    assert language_share(glued, "en") == language_share(glued.replace("</think> ", "</think>\n"), "en") < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "No.",
        "Sure!",
        "True.",
        "Paris.",
        "Impossible.",
        "<think>\n12 * 4 = 48\n</think>\nTotal: 48",
        "<think>\n7 + 5 = 12\n</think>\nResult: 12",
    ],
)
def test_a_text_too_short_to_identify_is_on_target(text: str) -> None:
    """lingua guessed on one or two words: "No." scored 0.0 as English."""
    assert language_share(text, "en") == 1.0
    assert not is_mixed(text, "en")


def test_a_lone_greek_letter_is_a_maths_symbol_not_a_word() -> None:
    """ "Let θ be the angle" counted θ as a word in another language: share 0.80, mixed."""
    for text in [
        "<think>\nLet θ be the angle; then θ = 180 - 60 - 70 = 50.\n</think>\nThe answer is 50.",
        "<think>\nThe area of a circle is π r², so with r = 5 it is 25π.\n</think>\nThe answer is 25π.",
    ]:
        assert language_share(text, "en") == 1.0 and not is_mixed(text, "en")
    assert language_share("उत्तर बयालीस है क्योंकि हम दो संख्याएँ जोड़ते हैं", "en") == 0.0  # other scripts still count
