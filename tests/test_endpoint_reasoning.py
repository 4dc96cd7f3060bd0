"""An endpoint whose server parses the think block out of the answer (vLLM's --reasoning-parser): the eval reads the
answer as the model wrote it, think block first, as a local eval of the same model does."""

from __future__ import annotations

import pytest
from test_eval_endpoint import _answer_with

from safealign.evals import EndpointGenerator
from safealign.tasks.reasoning_format import format_score


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_a_parsed_out_think_block_is_put_back_in_front_of_the_answer(monkeypatch: pytest.MonkeyPatch, key) -> None:
    message = {"content": "The answer is 4.", key: " 2 + 2 = 4 \n"}
    _answer_with(monkeypatch, {"choices": [{"message": message, "finish_reason": "stop"}]})
    completion = EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])[0]
    assert completion.text == "<think>\n2 + 2 = 4\n</think>\nThe answer is 4."
    assert format_score(completion.text) == 1.0  # read as content alone, every format item failed


def test_an_answer_cut_off_while_thinking_keeps_its_block_open(monkeypatch: pytest.MonkeyPatch) -> None:
    message = {"content": None, "reasoning_content": "First, 17 * 3"}
    _answer_with(monkeypatch, {"choices": [{"message": message, "finish_reason": "length"}]})
    completion = EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])[0]
    assert completion.text == "<think>\nFirst, 17 * 3" and completion.truncated


@pytest.mark.parametrize("reasoning", [None, "", "  \n", 7])
def test_no_reasoning_leaves_the_answer_as_it_was(monkeypatch: pytest.MonkeyPatch, reasoning) -> None:
    message = {"content": " Paris. ", "reasoning_content": reasoning}
    _answer_with(monkeypatch, {"choices": [{"message": message, "finish_reason": "stop"}]})
    assert EndpointGenerator("http://127.0.0.1:9", "m").generate(["q"])[0].text == "Paris."
