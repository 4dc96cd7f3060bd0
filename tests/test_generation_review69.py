"""Review 69 of the generation engine and the decode loop."""

from __future__ import annotations

import pytest
import torch

from safealign.decoding import decode_batch
from safealign.errors import SettingError
from safealign.generation import GenerationEngine, SamplingParams


def tiny_lfm2():
    """A random two-layer LFM2 (one conv layer, one attention layer): its cache keeps the conv layer's state in a
    linear attention cache layer, as Qwen3-Next's and Qwen3.5's do."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(
        "lfm2",
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_attention_heads=2,
        num_key_value_heads=1,
        num_hidden_layers=2,
        layer_types=["conv", "full_attention"],
        initializer_range=0.5,  # answers that are not one token repeated
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config).eval()


def test_a_model_whose_cache_cannot_drop_a_row_keeps_finished_rows_and_answers_as_alone(tiny):
    """A linear attention cache layer has no batch_select_indices: on LFM2, Qwen3-Next and Qwen3.5 the first row of a
    batch to finish raised AttributeError (every eval, sample stage and served batch of two prompts or more)."""
    model = tiny_lfm2()
    ids = torch.tensor([[0, 0, 5, 9, 13], [3, 4, 8, 11, 6]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        first, second = (
            decode_batch(model, ids[row : row + 1], mask[row : row + 1], max_new_tokens=6, stop_token_ids=[])
            for row in range(2)
        )
        first, second = first[0], second[0]
        end = first[1]  # the first row ends at its second token; the second row never says it
        assert end not in second
        finished: list[int] = []
        together = decode_batch(
            model, ids, mask, max_new_tokens=6, stop_token_ids=[end], on_finished=finished.append
        )
    assert together == [first[:2], second]
    assert finished == [1, 1]
    from safealign.decoding import rows_can_leave

    with torch.inference_mode():
        assert not rows_can_leave(model(input_ids=ids[:1], use_cache=True).cache)
        # an attention-only model's rows still leave the batch
        assert rows_can_leave(tiny.model(input_ids=ids[:1], use_cache=True).cache)


def test_a_string_or_one_chat_given_as_the_prompts_is_refused_with_the_fix(tiny):
    """A string was read as one prompt per character (16 answers for "What is 17 + 25?"); one chat, not wrapped in a
    list, failed in the chat template with "'str' object is not a mapping"."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    params = SamplingParams(max_new_tokens=1)
    with pytest.raises(SettingError, match=r"got a string .*wrap one prompt or one chat in a list"):
        engine.generate("What is 17 + 25?", params)
    with pytest.raises(SettingError, match=r"got one chat .*wrap one prompt or one chat in a list"):
        engine.generate([{"role": "user", "content": "hi"}], params)
    answers = engine.generate([[{"role": "user", "content": "hi"}], "hi"], params)
    assert [c.prompt_index for c in answers] == [0, 1]


def test_a_length_cut_inside_a_character_drops_its_first_bytes_not_answers_a_replacement_character(
    tiny, monkeypatch
):
    """SmolLM2 writes 你 as two byte tokens: an answer cut between them ended in U+FFFD ("你\ufffd"), a character the
    model never wrote, about every other time a Chinese answer reached the length limit."""
    import safealign.generation as generation

    said = tiny.tokenizer.encode("你好", add_special_tokens=False)
    says = lambda *args, max_new_tokens, **kwargs: [said[:max_new_tokens]]  # noqa: E731
    monkeypatch.setattr(generation, "decode_batch", says)
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    answers = [engine.generate(["hi"], SamplingParams(max_new_tokens=n))[0] for n in range(1, len(said) + 1)]
    assert [a.text for a in answers] == ["", "你", "你", "你好"]
    assert all(a.truncated for a in answers)
    # the tokens were generated, and are counted
    assert [a.completion_tokens for a in answers] == [1, 2, 3, 4]
