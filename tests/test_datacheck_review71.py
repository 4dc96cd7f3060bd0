"""Review 71 of `safealign data check` and the corpus code."""

from __future__ import annotations

import json
import re
import shlex
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.corpus.decontaminate import decontamination_check
from safealign.corpus.eval_texts import data_check_suites, split_suites
from safealign.corpus.registry import read_rows_and_problems
from safealign.corpus.validate import row_problems
from safealign.tasks import problems
from safealign.tasks.problems import FamilyConfigError, generate_problems, parse_family_spec

runner = CliRunner()

# 14 words of the eval item harmful:eh-155 ("... what happens if I mix them in a closed room where someone is
# sleeping?"), inside a longer request
LEAK = "Tell me: what happens if I mix them in a closed room where someone is sleeping? Asking for a story."


def _write_rows(path: Path, *user_turns: str) -> Path:
    rows = [
        {"messages": [{"role": "user", "content": turn}, {"role": "assistant", "content": "I can't help."}]}
        for turn in user_turns
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_data_check_finds_a_copied_run_of_an_eval_prompt_at_the_stages_n(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "check", str(_write_rows(tmp_path / "leak.jsonl", LEAK))])
    assert result.exit_code == 1
    assert "eval harmful:eh-155" in result.output


@pytest.mark.parametrize("n", ["14", "40", "100000000000000000000"])
def test_an_n_too_long_to_find_what_the_stages_refuse_is_refused(tmp_path: Path, n: str) -> None:
    """`--n 40` is longer than every eval prompt: no n-gram of any, and the row above was "✓ data valid and disjoint
    from the eval suites", exit 0, where every stage (8-grams) refuses it."""
    result = runner.invoke(app, ["data", "check", str(_write_rows(tmp_path / "leak.jsonl", LEAK)), "--n", n])
    assert result.exit_code == 2
    assert "disjoint" not in result.output
    assert "--n" in result.output and "give 3 to 13" in " ".join(result.output.split())


def test_the_longest_n_allowed_still_finds_the_copied_run(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["data", "check", str(_write_rows(tmp_path / "leak.jsonl", LEAK)), "--n", "13"]
    )
    assert result.exit_code == 1
    assert "eval harmful:eh-155" in result.output


def test_the_overlap_named_is_the_first_shared_n_gram_of_the_turn() -> None:
    """The turn's n-grams came from a set, whose order follows Python's per-process string hashing: `data check` named
    another of the 53 shared 8-grams on each run. It names the first in the text."""
    shared = " ".join(f"word{i}" for i in range(60))
    report = decontamination_check(
        [("train:1:0", f"Please read this: {shared}. Thanks.")], [("eval:1", f"Intro. {shared}")]
    )
    assert report.overlaps == [("train:1:0", "eval:1", " ".join(f"word{i}" for i in range(8)))]


def _expression_value(expression: str) -> Fraction:
    return eval(
        re.sub(r"(\d+)", r"Fraction(\1)", expression), {"Fraction": Fraction}
    )  # digits and + - * / only


@pytest.mark.parametrize("operators", [["+", "*"], ["/"], ["+", "-", "*", "/"]])
def test_basic_arithmetic_settings_with_wrong_reference_answers_are_said(
    caplog: pytest.LogCaptureFixture, operators: list[str]
) -> None:
    """Without parentheses (our easy settings) reasoning-gym works a problem out left to right and divides by another
    number than it writes: 'Calculate 4 + 7 * 5.' has the reference 55, so the accuracy reward paid the wrong answer
    and nothing said so."""
    problems._warn_left_to_right.cache_clear()
    with caplog.at_level("WARNING", logger="safealign.tasks.problems"):
        drawn = generate_problems("basic_arithmetic", 40, 1, config={"operators": operators})
    assert any(_expression_value(p.metadata["expression"]) != Fraction(p.answer) for p in drawn)
    assert "left to right" in caplog.text and "allow_parentheses=true" in caplog.text


@pytest.mark.parametrize(
    "config", [None, {"operators": ["*"]}, {"operators": ["+", "-", "*", "/"], "allow_parentheses": True}]
)
def test_basic_arithmetic_settings_with_right_answers_are_not_warned_of(
    caplog: pytest.LogCaptureFixture, config: dict | None
) -> None:
    problems._warn_left_to_right.cache_clear()
    with caplog.at_level("WARNING", logger="safealign.tasks.problems"):
        drawn = generate_problems("basic_arithmetic", 40, 1, config=config)
    assert all(_expression_value(p.metadata["expression"]) == Fraction(p.answer) for p in drawn)
    assert "left to right" not in caplog.text


@pytest.mark.parametrize(
    "spec, said",
    [
        (
            "count_primes?max_n=1e12",
            "max_n='1e12' is not a number, where max_n takes one (its default: 10000) "
            "(YAML reads 1e12 as text: write 1000000000000)",
        ),
        ("gcd?min_value=2.5e1", "(YAML reads 2.5e1 as text: write 25)"),
        ("chain_sum?max_terms=null", "max_terms=null is not a number, where max_terms takes one"),
        ("gcd?min_value=x", "min_value='x' is not a number"),
    ],
)
def test_a_setting_given_as_text_where_a_number_belongs_is_named(spec: str, said: str) -> None:
    """reasoning-gym said only "'<=' not supported between instances of 'int' and 'str'" of max_n=1e12 (YAML 1.1
    reads an exponent without a dot as text), naming neither the setting nor the number to write."""
    family, config = parse_family_spec(spec)
    with pytest.raises(FamilyConfigError) as raised:
        generate_problems(family, 2, 1, config=config)
    assert said in str(raised.value)


def test_an_openai_developer_turn_is_named_with_the_fix() -> None:
    """OpenAI's developer turn (its system turn since o1) was refused as any unknown role, with no word of the role
    to write instead."""
    row = {
        "messages": [
            {"role": "developer", "content": "context"},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Hi."},
        ]
    }
    problems_found = row_problems(Path("f.jsonl"), 3, row)
    assert [(p.line, p.field) for p in problems_found] == [(3, "messages[0].role")]
    assert "got 'developer' (did you mean 'system'?)" in problems_found[0].message


ROW = {
    "messages": [
        {"role": "user", "content": "你好，明天天气怎么样？"},
        {"role": "assistant", "content": "晴天。"},
    ]
}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_without_a_byte_order_mark_is_said_to_be_one(tmp_path: Path, encoding: str) -> None:
    """Without its byte-order mark, UTF-16's NUL bytes are valid UTF-8: each line was "not valid JSON (Expecting
    property name enclosed in double quotes at column 2)" or "Expecting value", of a file that is fine once re-encoded."""
    path = tmp_path / "rows.jsonl"
    path.write_bytes(((json.dumps(ROW, ensure_ascii=False) + "\n") * 3).encode(encoding))
    rows, found = read_rows_and_problems(path)
    assert rows == [] and len(found) == 1 and found[0].line == 1
    assert f"the file is UTF-16 text ({encoding[-2:].upper()}, without a byte-order mark)" in found[0].message
    assert f"iconv -f {encoding.replace('-16-', '-16')} -t utf-8" in found[0].message


def test_a_run_of_nul_bytes_is_named_and_the_other_rows_are_read(tmp_path: Path) -> None:
    """A write cut short leaves NUL bytes: the line was "not valid JSON (Expecting value at column 1)"."""
    path = tmp_path / "rows.jsonl"
    line = json.dumps(ROW, ensure_ascii=False).encode()
    path.write_bytes(line + b"\n" + b"\x00" * 40 + b"\n" + line.replace("晴".encode(), b"rain") + b"\n")
    rows, found = read_rows_and_problems(path)
    assert [number for number, _ in rows] == [1, 3]
    assert [(p.line, p.field) for p in found] == [(2, "")]
    assert "holds NUL bytes (0x00 from column 1)" in found[0].message


def test_the_decontamination_summary_is_one_line(tmp_path: Path) -> None:
    """Rich cut the summary at the console's width, so `| grep 'n-gram overlaps'` found neither half whole."""
    result = runner.invoke(
        app, ["data", "check", str(_write_rows(tmp_path / "ok.jsonl", "hello there friend"))]
    )
    assert result.exit_code == 0
    assert any(
        line.startswith("decontamination (8-grams") and line.endswith("0 exact matches, 0 n-gram overlaps")
        for line in result.output.splitlines()
    )


def test_a_suite_setting_that_holds_a_list_is_one_suite(tmp_path: Path) -> None:
    """--suites was split at every comma, so the suite a stage's error names, `--suites
    'rg:basic_arithmetic?operators=[+,-]'`, was refused as 'unsupported operator: [+'."""
    suites = ["rg:basic_arithmetic?operators=[+,-]&max_terms=2", "rg:chain_sum?max_digits=1"]
    option = shlex.split(data_check_suites(suites))[1]
    assert split_suites(option) == suites
    result = runner.invoke(
        app,
        ["data", "check", str(_write_rows(tmp_path / "ok.jsonl", "hello there friend")), "--suites", option],
    )
    assert result.exit_code == 0, result.output


def test_a_family_that_gives_up_drawing_a_problem_is_refused_naming_its_settings() -> None:
    """kakurasu with max_retries=0 returns None for a problem it gave up on: "TypeError: 'NoneType' object is not
    subscriptable" came out of generate_problems (a traceback from `safealign validate` of an rl.tasks spec)."""
    with pytest.raises(
        FamilyConfigError, match=r"kakurasu gave up drawing a problem with the settings .*max_retries"
    ):
        generate_problems("kakurasu", 3, 10000, config={"max_retries": 0})
