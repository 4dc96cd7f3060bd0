"""Review 72 of the tasks area: coin_flip answers with a huge exponent, and vocab_keep on a tokenizer it cannot trim."""

from __future__ import annotations

import fractions
import re
from typing import Any

import pytest

from safealign.tasks import Problem, check_answer

HUGE = re.compile(
    r"\s*[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d{6,}\s*"
)  # what Fraction would build as 10**exponent


class BuiltAHugePower(BaseException):
    """Not an Exception: reasoning-gym's checker call swallows those, and this must reach the test."""


@pytest.fixture()
def no_huge_fractions(monkeypatch):
    """Fraction refuses a string with an exponent of six digits or more, as building its 10**exponent would take a
    minute or for ever: the check must not ask for one (the old code did, in our _within and in reasoning-gym's
    coin_flip checker, whose score we replace anyway)."""
    original = fractions.Fraction.__new__

    def guarded(cls, numerator=0, denominator=None, **kwargs):
        if isinstance(numerator, str) and HUGE.fullmatch(numerator):
            raise BuiltAHugePower(numerator)
        return original(cls, numerator, denominator, **kwargs)

    monkeypatch.setattr(fractions.Fraction, "__new__", guarded)


def coin_flip(answer: str) -> Problem:
    return Problem(id="x", prompt="q", answer=answer, family="coin_flip")


def test_a_coin_flip_answer_with_a_huge_exponent_is_scored_without_building_it(no_huge_fractions) -> None:
    """'The answer is 1e99999999.' held a GRPO reward call for minutes (10**99999999 built twice per reading, for the
    answer with and without its full stop); a repetition loop's run of 9s never ended. The verdicts are exact."""
    assert check_answer(coin_flip("0.3125"), "The answer is 1e99999999.") == 0.0
    assert (
        check_answer(coin_flip("0.3125"), "The answer is 3125e-4.") == 1.0
    )  # ordinary e-notation, as before
    # a reference within 1e-4 of 0 (20 heads of 20 flips: 1/2**20): any positive speck of a number is within it
    tiny = coin_flip("9.5367431640625e-07")
    assert check_answer(tiny, "The answer is 1e-99999999.") == 1.0
    assert check_answer(tiny, "The answer is -1e-99999999.") == 1.0
    assert check_answer(tiny, "The answer is -1e99999999.") == 0.0
    # past Decimal's 18 exponent digits (Fraction refuses past 4300): no number, as an unreadable one is
    assert check_answer(tiny, "The answer is 1e-" + "9" * 30 + ".") == 0.0
    assert check_answer(tiny, "The answer is 1e-" + "9" * 5000 + ".") == 0.0


def python_tokenizer() -> Any:
    """A tokenizer written in Python, as a trust_remote_code model ships one (no tokenizers-library backend)."""
    from transformers import PythonBackend

    class Letters(PythonBackend):
        def __init__(self, **kwargs: Any) -> None:
            self.letters = {letter: i for i, letter in enumerate("?abcdefghijklmnopqrstuvwxyz ")}
            super().__init__(unk_token="?", **kwargs)

        @property
        def vocab_size(self) -> int:
            return len(self.letters)

        def get_vocab(self) -> dict[str, int]:
            return dict(self.letters)

        def _tokenize(self, text: str) -> list[str]:
            return list(text)

        def _convert_token_to_id(self, token: str) -> int:
            return self.letters.get(token, 0)

        def _convert_id_to_token(self, index: int) -> str:
            return next(letter for letter, i in self.letters.items() if i == index)

    return Letters()


def test_vocab_keep_on_a_tokenizer_it_cannot_trim_names_it_and_the_fix() -> None:
    """A Python tokenizer failed in "AttributeError: 'Letters' object has no attribute 'backend_tokenizer'" with a
    traceback; a Unigram one in a ValueError the CLI also printed as a traceback, naming no fix."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    from safealign.errors import SafealignError
    from safealign.models.vocab_trim import kept_token_ids

    unigram = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.Unigram([("?", 0.0), ("a", -1.0), ("b", -1.0)], unk_id=0)),
        unk_token="?",
    )
    for tokenizer, found in [(unigram, "is a Unigram tokenizer"), (python_tokenizer(), "(Letters) has no")]:
        with pytest.raises(SafealignError, match="vocab_keep") as error:
            kept_token_ids(tokenizer, ["ab"], 300)
        assert found in str(error.value) and "set vocab_keep: null" in str(error.value)
        assert isinstance(error.value, ValueError)  # as before, for callers that catch it


def test_width_pruning_refuses_an_mlp_with_another_weight_sized_by_its_neurons_before_calibrating() -> None:
    """BitNet's MLP norms its neurons (ffn_sub_norm): width pruning sliced gate/up/down only, and the student failed at
    its first training step ("The size of tensor a (48) must match the size of tensor b (24)")."""
    import torch
    from transformers import BitNetConfig, BitNetForCausalLM

    from safealign.errors import ModelNotFoundError
    from safealign.models.prune import mlp_neuron_importance

    config = BitNetConfig(
        hidden_size=16,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=300,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    teacher = BitNetForCausalLM(config)
    with pytest.raises(ModelNotFoundError, match="layer 0 of BitNetForCausalLM also has ffn_sub_norm.weight"):
        mlp_neuron_importance(teacher, [torch.tensor([[1, 5, 7]])])
    assert not any(layer.mlp.down_proj._forward_pre_hooks for layer in teacher.model.layers)
