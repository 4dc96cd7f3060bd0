"""A completion the length limit cut off inside its think block, parsed by TRL with a response template (Qwen3-style),
came back with the block closed and no answer: the rewards rebuilt a closing tag the model never wrote, and the
cut-off arithmetic "... 37 + 5 = 42" scored accuracy 1 and format 0.5 (0 and 0 as plain text)."""

from __future__ import annotations

import copy

import pytest
from trl.chat_template_utils import add_response_schema, parse_response, qwen3_chat_template

from safealign.rewards import build_rewards
from safealign.rewards.functions import accuracy, reasoning_format

TASK = '{"family": "arithmetic", "prompt": "What is 17 + 25?", "answer": "42", "id": "x", "split": "train", "metadata": {}}'
CUT_IN_THINK = "<think>\n17 + 25: 17 + 20 = 37, 37 + 5 = 42"
CLOSED_THEN_EMPTY = "<think>\n17 + 25 = 42\n</think>\n\n<|im_end|>"
ANSWERED = "<think>\n17 + 25 = 42\n</think>\n\nThe answer is 42.<|im_end|>"


@pytest.fixture(scope="module")
def qwen_style(tiny):
    """The tiny model's tokenizer with Qwen3's chat template and response template, and a prompt's ids."""
    tokenizer = copy.deepcopy(tiny.tokenizer)
    tokenizer.chat_template = qwen3_chat_template
    tokenizer = add_response_schema(tokenizer)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 17 + 25?"}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )["input_ids"]
    return tokenizer, list(prompt)


class Trainer:
    """What the rewards read of TRL's GRPOTrainer: its end tokens, through the bound ``log_metric`` it passes."""

    def __init__(self, tokenizer) -> None:
        self.eos_token_ids = [tokenizer.convert_tokens_to_ids("<|im_end|>")]
        self._tokenizer = tokenizer

    def _log_metric(self, name: str, value: float) -> None:
        pass


def scores(tokenizer, prompt, raw: str, parsed: bool, limit: int | None = None, trainer: bool = True):
    """(accuracy, format) of ``raw`` generated under ``limit`` tokens (its own length unless given), called as TRL
    calls the registry's rewards."""
    ids = tokenizer(raw, add_special_tokens=False)["input_ids"]
    (acc, fmt), _ = build_rewards(
        {"accuracy": 1.0, "format": 1.0}, {"max_completion_length": limit or len(ids)}
    )
    completion = (
        [parse_response(tokenizer, ids, prefix=prompt)]
        if parsed
        else tokenizer.decode(ids, skip_special_tokens=True)
    )
    call = dict(
        prompts=["q"], completions=[completion], completion_ids=[ids], task=[TASK], kind=["reasoning"]
    )
    if trainer:
        call["log_metric"] = Trainer(tokenizer)._log_metric
    return acc(**call)[0], fmt(**call)[0]


def test_a_parsed_completion_cut_off_in_its_think_block_scores_as_its_plain_text(qwen_style):
    tokenizer, prompt = qwen_style
    assert scores(tokenizer, prompt, CUT_IN_THINK, parsed=False) == (0.0, 0.0)
    assert scores(tokenizer, prompt, CUT_IN_THINK, parsed=True) == (0.0, 0.0)  # was (1.0, 0.5)


def test_a_parsed_completion_that_closed_its_think_block_keeps_its_score(qwen_style):
    """Ended by <|im_end|> exactly at the limit, or short of it: the model closed the block, and is scored so."""
    tokenizer, prompt = qwen_style
    for limit in (None, 64):
        assert scores(tokenizer, prompt, CLOSED_THEN_EMPTY, parsed=True, limit=limit) == (1.0, 0.5)
        assert scores(tokenizer, prompt, ANSWERED, parsed=True, limit=limit) == (1.0, 1.0)
    # cut off after the block closed, in the answer: the closing tag is the model's own
    cut_in_answer = ANSWERED.removesuffix("<|im_end|>")
    assert scores(tokenizer, prompt, cut_in_answer, parsed=True) == (1.0, 1.0)


def test_plain_string_completions_score_as_before(qwen_style):
    """SmolLM2 (the quickstart) has no response template: TRL passes strings, whatever was cut off."""
    tokenizer, prompt = qwen_style
    for raw, expected in ((CUT_IN_THINK, (0.0, 0.0)), (ANSWERED.removesuffix("<|im_end|>"), (1.0, 1.0))):
        text = tokenizer.decode(
            tokenizer(raw, add_special_tokens=False)["input_ids"], skip_special_tokens=True
        )
        assert (accuracy([text], task=[TASK])[0], reasoning_format([text])[0]) == expected
        assert scores(tokenizer, prompt, raw, parsed=False) == expected


def test_without_the_signal_a_parsed_completion_scores_as_before(qwen_style):
    """A direct call (no completion ids, or no trainer to name the end tokens) cannot tell a cut-off: unchanged."""
    tokenizer, prompt = qwen_style
    ids = tokenizer(CUT_IN_THINK, add_special_tokens=False)["input_ids"]
    parsed = [parse_response(tokenizer, ids, prefix=prompt)]
    assert accuracy([parsed], task=[TASK]) == [1.0] and reasoning_format([parsed]) == [0.5]
    assert accuracy([parsed], task=[TASK], completion_ids=[ids], max_completion_length=len(ids)) == [1.0]
    assert scores(tokenizer, prompt, CUT_IN_THINK, parsed=True, trainer=False) == (1.0, 0.5)


def test_the_safety_language_and_repetition_rewards_read_a_cut_off_think_block_as_written(qwen_style):
    """Only accuracy and format left the cut-off block open: the refusal judge (whose think_howto reads the block), the
    language share and the repetition share read the closing tag the model never wrote."""
    from safealign.judges.base import Verdict

    tokenizer, prompt = qwen_style
    ids = tokenizer(CUT_IN_THINK, add_special_tokens=False)["input_ids"]
    parsed = [parse_response(tokenizer, ids, prefix=prompt)]
    seen: list[str] = []

    class Recording:
        name = "recording"

        def judge(self, prompts, texts):
            seen.extend(texts)
            return [Verdict("compliance", 0.0, "answers", "recording") for _ in texts]

    settings = {"max_completion_length": len(ids), "judge": Recording()}
    funcs, _ = build_rewards({"safety": 1.0, "language": 1.0, "repetition": 1.0}, settings)
    call = dict(
        prompts=["q"],
        completions=[parsed],
        completion_ids=[ids],
        kind=["benign"],
        language=["en"],
        log_metric=Trainer(tokenizer)._log_metric,
    )
    plain = tokenizer.decode(ids, skip_special_tokens=True)
    results = [func(**call)[0] for func in funcs]
    assert seen == [plain.strip()] or seen == [plain], seen  # the judge read the block unclosed, as generated
    plain_call = call | {"completions": [plain]}
    assert results == [func(**plain_call)[0] for func in funcs]
