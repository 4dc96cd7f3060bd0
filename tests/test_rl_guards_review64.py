"""Review of the RL guards and rewards (sixty-fourth session): each test failed before its fix."""

from __future__ import annotations

import copy

import pytest
import torch
from test_gate_breaches import counted
from transformers import TrainerControl, TrainerState

from safealign.config import GateConfig
from safealign.hacking.signals import repeated_ngram_share
from safealign.rewards.functions import (
    RepetitionPenalty,
    accuracy,
    completion_text,
    reasoning_format,
)
from safealign.training.gates import GateCallback


def gate_step(gate: GateCallback, model: torch.nn.Module, step: int) -> None:
    state = TrainerState(global_step=step)
    gate.on_step_end(None, state, TrainerControl(), model=model)


@pytest.mark.parametrize(("now", "dropped"), [(counted(14, 2), True), (counted(16, 0), False)])
def test_a_gate_rollback_drops_the_rollouts_the_discarded_weights_sampled(tmp_path, now, dropped) -> None:
    """GRPO trains num_iterations steps on one generation round (TRL's _buffered_inputs). A rollback inside a round
    (num_iterations 2, every_steps 1: a real stage generated once in two steps) left the round's next step training
    the restored weights on the discarded weights' completions. A pass keeps the round."""
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    checks = iter([counted(16, 0), now])
    gate = GateCallback(
        GateConfig(every_steps=1, policy="lower_lr"),
        evaluate=lambda m: next(checks),
        log_path=tmp_path / "g.jsonl",
    )
    round_ = [{"completion_ids": torch.ones(2, 3)}]
    gate.trainer = type(
        "Trainer",
        (),
        {
            "optimizer": optimizer,
            "lr_scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0),
            "_buffered_inputs": round_,
        },
    )()
    gate.on_train_begin(None, TrainerState(), TrainerControl(), model=model)
    gate_step(gate, model, 1)
    assert [e.action for e in gate.events] == ["baseline", "rollback+lower_lr" if dropped else "pass"]
    assert (gate.trainer._buffered_inputs is None) == dropped


def test_a_loop_in_chinese_or_japanese_is_repetition() -> None:
    """Chinese and Japanese are written without spaces: a loop of one short sentence was one "word", no 3-gram at all,
    so the repetition reward, the text/repetition signal and the judge's loop rule all read it as 0."""
    assert RepetitionPenalty()(["我不知道。" * 30, "わかりません。" * 20]) == [
        pytest.approx(-0.966, abs=1e-3),
        pytest.approx(-0.949, abs=1e-3),
    ]
    # a plain answer in Chinese repeats few character 3-grams; text with spaces is read as before
    plain = "光年是长度单位，不是时间单位。它指的是光在真空中传播一年所走过的距离，大约是九万四千六百亿公里。"
    assert repeated_ngram_share(plain) < 0.1
    assert repeated_ngram_share("a b c a b c a b c") == pytest.approx(4 / 7)


def test_a_think_block_a_response_template_parsed_out_is_scored(tiny) -> None:
    """A tokenizer with a response template (one that ships it, or any once TRL runs tools) makes GRPO parse each
    completion: the think block goes to ``reasoning_content``, and the rewards read ``content`` alone, so a well formed
    answer scored 0 on format."""
    from trl.chat_template_utils import add_response_schema, parse_response, qwen3_chat_template

    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = qwen3_chat_template
    tokenizer = add_response_schema(tokenizer)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 2?"}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )["input_ids"]
    answer = tokenizer("<think>\n2 + 2 = 4\n</think>\n\nThe answer is 4.<|im_end|>", add_special_tokens=False)
    completion = [
        parse_response(tokenizer, answer["input_ids"], prefix=list(prompt))
    ]  # as GRPOTrainer makes it
    assert completion[0]["reasoning_content"] == "2 + 2 = 4"  # what TRL gives
    assert completion_text(completion) == "<think>\n2 + 2 = 4\n</think>\nThe answer is 4."
    assert reasoning_format([completion], kind=["reasoning"]) == [1.0]
    task = '{"family": "arithmetic", "prompt": "What is 2 + 2?", "answer": "4", "id": "x", "split": "train", "metadata": {}}'
    assert accuracy([completion], task=[task]) == [1.0]
    # an empty reasoning field is no think block
    assert completion_text([{"role": "assistant", "reasoning_content": "", "content": "4"}]) == "4"
