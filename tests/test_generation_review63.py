"""Review 63 of the generation engine against plain transformers ``generate``: end tokens the model declares, and
vLLM's reading of ``stop``."""

from __future__ import annotations

import pytest

from safealign.errors import SettingError
from safealign.generation import GenerationEngine, SamplingParams


def test_an_end_token_only_the_generation_config_declares_ends_the_answer_as_in_generate(tiny, monkeypatch):
    """Gemma ends a turn with <end_of_turn> and Llama-3.1 with <|eom_id|>, listed in generation_config.eos_token_id
    beside the tokenizer's eos: ``generate`` stops there, the engine ran on to the length limit."""
    import torch

    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    free = engine.generate(["hi"], SamplingParams(max_new_tokens=8))[0].token_ids
    end = free[3]
    monkeypatch.setattr(tiny.model.generation_config, "eos_token_id", [tiny.tokenizer.eos_token_id, end])
    ids = torch.tensor([engine.encode("hi")])
    reference = tiny.model.generate(
        ids, attention_mask=torch.ones_like(ids), max_new_tokens=8, do_sample=False
    )
    reference = reference[0, ids.shape[1] :].tolist()

    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    answer = engine.generate(["hi"], SamplingParams(max_new_tokens=8))[0]
    assert end in engine.stop_token_ids and tiny.tokenizer.eos_token_id in engine.stop_token_ids
    # generate keeps the end token; the engine counts it, leaves it out of token_ids and the text
    assert answer.token_ids + [end] == reference
    assert answer.completion_tokens == len(reference) and answer.finish_reason == "stop"


def test_one_end_token_in_the_generation_config_is_read_as_well_as_a_list(tiny, monkeypatch):
    monkeypatch.setattr(tiny.model.generation_config, "eos_token_id", 7)
    assert GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32").stop_token_ids == [0, 2, 7]
    monkeypatch.setattr(tiny.model.generation_config, "eos_token_id", None)
    assert GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32").stop_token_ids == [0, 2]


def test_a_stop_given_as_one_string_is_one_stop_string_as_in_vllm(tiny):
    """A str was iterated character by character: stop=" lists" ended the answer at its first "t" or "s"."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    free = engine.generate(["hi"], SamplingParams(max_new_tokens=12))[0].text
    stop = free[-6:]
    assert SamplingParams(stop=stop).stop == [stop]
    as_str = engine.generate(["hi"], SamplingParams(max_new_tokens=12, stop=stop))[0]
    as_list = engine.generate(["hi"], SamplingParams(max_new_tokens=12, stop=[stop]))[0]
    assert as_str.text == as_list.text == free[: free.index(stop)].strip()
    assert as_str.completion_tokens == as_list.completion_tokens > 1


@pytest.mark.parametrize("stop", [[""], ["END", ""], [3], None])
def test_an_empty_or_non_string_stop_is_refused(stop):
    """[""] decoded to the length limit (the decode loop skips an empty stop) and then came back as "" with "stop"."""
    with pytest.raises(SettingError, match="stop"):
        SamplingParams(stop=stop)
