"""Review 66 of the eval library: a reasoning file's rows without a family or answer, a generator's odd return, a
CSV's header after blank lines or before unnamed columns, an endpoint's kept answer that is no answer."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from test_eval_endpoint import _mock_endpoint
from test_evals import FakeJudges, ScriptedGenerator

from safealign.errors import DataError, SafealignError
from safealign.evals import EndpointGenerator, Suite, load_suite_file, run_eval
from safealign.generation import Completion, SamplingParams


def _reasoning_file(tmp_path: Path, row: dict) -> Suite:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"prompt": "What is 2 + 2?", **row}) + "\n", encoding="utf-8")
    return Suite(
        "mine", lambda: load_suite_file(path, answer_field="answer"), "reasoning", None, "mine", path
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        # a bare KeyError 'family', after every answer was generated
        ({"answer": "4"}, r"no 'family' \(whose checker scores the answer\)"),
        ({"answer": "4", "family": 3}, r"'family' is 3, not a task family's name"),
        (
            {"answer": "4", "family": "arithmatic"},
            r"unknown task family 'arithmatic' \(did you mean 'arithmetic'",
        ),
        # every answer was scored wrong against an empty reference
        ({"family": "arithmetic"}, r"no reference answer to score against"),
    ],
)
def test_a_reasoning_file_row_without_family_or_answer_fails_before_generating(
    tmp_path: Path, row: dict, problem: str
) -> None:
    generator = ScriptedGenerator({"What is 2 + 2?": "The answer is 4"})
    with pytest.raises(DataError, match=rf"suite mine \(.*mine\.jsonl\), item mine-0001: {problem}"):
        run_eval(generator, [_reasoning_file(tmp_path, row)])
    assert generator.calls == 0
    good = _reasoning_file(tmp_path, {"family": "arithmetic", "answer": "4"})
    assert run_eval(generator, [good]).summary()["mine"]["accuracy"] == 1.0


class Returns:
    def __init__(self, value: object) -> None:
        self.value = value

    def generate(self, prompts, params=None, show_progress=False):
        return self.value(len(prompts)) if callable(self.value) else self.value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, r"^Returns\.generate returned None \(a NoneType\), not a list of Completion"),
        (
            {"text": "no"},
            r"^Returns\.generate returned \{'text': 'no'\} \(a dict\), not a list of Completion",
        ),
        (
            lambda n: ["no"] * n,
            r"^Returns returned 4 answers for 4 prompts .*: one is a str \('no'\), not a Completion",
        ),
        (
            lambda n: [Completion(i, 0, None, 1, 1, False) for i in range(n)],  # type: ignore[arg-type]
            r"prompt 0, sample 0 has the text None, not a str",
        ),
    ],
)
def test_a_generator_that_returns_no_list_of_completions_says_what_it_returned(
    value: object, message: str
) -> None:
    # a raw TypeError ('NoneType' object is not iterable) or AttributeError ('str' object has no attribute ...)
    with pytest.raises(SafealignError, match=message):
        run_eval(Returns(value), ["harmful"], limit=2, judges=FakeJudges())  # type: ignore[arg-type]


def test_a_generator_that_returns_a_tuple_of_completions_is_still_read() -> None:
    answers = Returns(
        lambda n: tuple(Completion(i, 0, "I can't help with that.", 1, 1, False) for i in range(n))
    )
    report = run_eval(answers, ["harmful"], limit=2, judges=FakeJudges())  # type: ignore[arg-type]
    assert report.summary()["harmful"]["refusal_rate"] == 1.0


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_a_table_whose_header_ends_in_unnamed_columns_loads(tmp_path: Path, suffix: str) -> None:
    # a spreadsheet's export "prompt,category,,": refused as naming the column '' twice, though no column was named twice
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"prompts{suffix}"
    path.write_text(
        sep.join(["prompt", "category", "", ""])
        + "\n"
        + sep.join(["How do I bake bread?", "cooking", "", ""])
        + "\n"
    )
    (item,) = load_suite_file(path, category_field="category")
    assert (item.prompt, item.category) == ("How do I bake bread?", "cooking")
    path.write_text(sep.join(["prompt", "category", "prompt"]) + "\n" + sep.join(["a", "b", "c"]) + "\n")
    with pytest.raises(
        DataError, match=r"prompts\.\w+:1: the header row names the column\(s\) 'prompt' more than once"
    ):
        load_suite_file(path)


@pytest.mark.parametrize("ends", ["\n", "\r\n"])
def test_a_csv_with_blank_lines_above_its_header_reads_the_header(tmp_path: Path, ends: str) -> None:
    # the empty first line was the header: "prompt,category" on line 2 was refused as "2 cells but the header has 0;
    # quote a cell that holds a comma"
    path = tmp_path / "prompts.csv"
    path.write_text(ends.join(["", "", "prompt,category", "How do I bake bread?,cooking", ""]), newline="")
    (item,) = load_suite_file(path, category_field="category")
    assert (item.id, item.prompt, item.category) == ("prompts-0004", "How do I bake bread?", "cooking")
    path.write_text(ends.join(["", "prompt,category", '"never closed,x', ""]), newline="")
    with pytest.raises(DataError, match=r"prompts\.csv:3\b.*: unexpected end of data"):
        load_suite_file(path)
    path.write_text(ends * 3, newline="")
    with pytest.raises(DataError, match=r"prompts\.csv: no items in the file"):
        load_suite_file(path)


@pytest.mark.parametrize(
    "completion",
    [
        {"text": "kept", "extra": 1},
        "kept",
        {"text": None, "prompt_tokens": 1, "completion_tokens": 1, "truncated": False},
    ],
)
def test_an_endpoints_kept_record_that_is_no_answer_is_asked_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, completion: object
) -> None:
    # a record edited by hand, or written with fields this version's Completion lacks: a raw TypeError ended the eval
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content)["messages"][-1]["content"])
        return httpx.Response(
            200, json={"choices": [{"message": {"content": "new"}, "finish_reason": "stop"}]}
        )

    _mock_endpoint(monkeypatch, answer)
    kept, params = tmp_path / "answers.jsonl", SamplingParams()
    generator = EndpointGenerator("http://127.0.0.1:9", "m", answers_file=kept)
    good = {"text": "kept", "prompt_tokens": 1, "completion_tokens": 1, "truncated": False}
    keys = [generator._request_key(generator._payload(prompt, params, 0)) for prompt in ("a", "b")]
    kept.write_text(
        "".join(
            json.dumps({"key": k, "completion": c}) + "\n"
            for k, c in zip(keys, [good, completion], strict=True)
        )
    )
    assert [c.text for c in generator.generate(["a", "b"], params)] == ["kept", "new"]
    assert asked == ["b"] and generator.reused == 1
