"""The decode loop: finished rows leave the batch, and the answers stay what ``generate`` gives."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from transformers import GenerationConfig

from safealign.decoding import StopStrings, decode_batch, without_padding
from safealign.generation import GenerationEngine
from safealign.training.evicting_rollouts import evicting_rollouts, unhandled_settings

PROMPTS = [
    "hi",
    "What is 17 + 25? Explain each step.",
    "a b c d e f g",
    "One more prompt of middling length.",
]


def left_padded(engine: GenerationEngine, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    encoded = [engine.encode(p) for p in prompts]
    width = max(map(len, encoded))
    pad = engine.tokenizer.pad_token_id
    ids = torch.full((len(encoded), width), pad)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, e in enumerate(encoded):
        ids[row, width - len(e) :], mask[row, width - len(e) :] = torch.tensor(e), 1
    return ids, mask


def generate_new_tokens(model, ids, mask, stop_ids, new_tokens: int) -> list[list[int]]:
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=new_tokens,
            do_sample=False,
            eos_token_id=stop_ids,
            pad_token_id=stop_ids[0],
        )
    rows = []
    for row in out[:, ids.shape[1] :].tolist():
        end = next((k for k, t in enumerate(row) if t in stop_ids), None)
        rows.append(row if end is None else row[: end + 1])
    return rows


def test_greedy_tokens_equal_generate_while_finished_rows_leave(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    ids, mask = left_padded(engine, PROMPTS)
    reference = generate_new_tokens(tiny.model, ids, mask, engine.stop_token_ids, 12)
    # Declare one row's third token an end token so that row finishes early and must leave the batch.
    stop_ids = [*engine.stop_token_ids, reference[0][2]]
    reference = generate_new_tokens(tiny.model, ids, mask, stop_ids, 12)
    batch_sizes: list[int] = []
    hook = tiny.model.register_forward_pre_hook(
        lambda _m, _a, kw: batch_sizes.append(kw["input_ids"].shape[0]), with_kwargs=True
    )
    finished: list[int] = []
    try:
        with torch.inference_mode():
            ours = decode_batch(
                tiny.model, ids, mask, max_new_tokens=12, stop_token_ids=stop_ids, on_finished=finished.append
            )
    finally:
        hook.remove()
    assert ours == reference
    assert batch_sizes[0] == len(PROMPTS) and min(batch_sizes) < len(PROMPTS), batch_sizes
    assert sum(finished) == len(PROMPTS)


def test_sampling_uses_the_given_generator(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    ids, mask = left_padded(engine, PROMPTS)

    def sample(seed: int) -> list[list[int]]:
        with torch.inference_mode():
            return decode_batch(
                tiny.model,
                ids,
                mask,
                max_new_tokens=8,
                stop_token_ids=engine.stop_token_ids,
                temperature=1.0,
                top_p=0.9,
                top_k=20,
                repetition_penalty=1.1,
                generator=torch.Generator().manual_seed(seed),
            )

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_rollouts_match_generate_layout_and_fall_back_for_other_settings(tiny):
    model = tiny.model
    engine = GenerationEngine(model, tiny.tokenizer, precision="fp32")
    ids, mask = left_padded(engine, PROMPTS)
    config = GenerationConfig(
        max_new_tokens=10,
        do_sample=False,
        pad_token_id=engine.stop_token_ids[0],
        eos_token_id=engine.stop_token_ids,
    )
    with torch.inference_mode():
        expected = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        calls: list[int] = []
        with evicting_rollouts(model):
            assert "generate" in vars(model)
            hook = model.register_forward_pre_hook(
                lambda _m, _a, kw: calls.append(kw["input_ids"].shape[0]), with_kwargs=True
            )
            try:
                ours = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
                beam = GenerationConfig(
                    max_new_tokens=4,
                    num_beams=2,
                    do_sample=False,
                    pad_token_id=engine.stop_token_ids[0],
                    eos_token_id=engine.stop_token_ids,
                )
                assert unhandled_settings(beam) == ["num_beams"]
                calls.clear()
                model.generate(input_ids=ids, attention_mask=mask, generation_config=beam)
            finally:
                hook.remove()
        assert "generate" not in vars(model)
    # TRL reads prompt + completion ids and masks after the first end token: identical up to trailing padding.
    assert torch.equal(ours, expected[:, : ours.shape[1]])
    assert (expected[:, ours.shape[1] :] == config.pad_token_id).all()
    assert calls and calls[0] == 2 * len(PROMPTS), "beam search went to generate (beams x rows)"


def test_rollout_patch_is_removed_after_an_error(tiny):
    with pytest.raises(RuntimeError), evicting_rollouts(tiny.model):
        raise RuntimeError("boom")
    assert "generate" not in vars(tiny.model)


@pytest.mark.parametrize("temperature", [1e-40, 1e-6])
def test_a_temperature_below_the_sampling_eps_decodes_greedily(tiny, temperature):
    """1e-40 passed validation, then divided the logits into inf - inf = NaN and multinomial raised; like vLLM, a
    temperature below 1e-5 is greedy decoding."""
    from safealign.decoding import is_sampled

    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    ids, mask = left_padded(engine, PROMPTS)

    def decode(temperature: float) -> list[list[int]]:
        with torch.inference_mode():
            return decode_batch(
                tiny.model,
                ids,
                mask,
                max_new_tokens=6,
                stop_token_ids=engine.stop_token_ids,
                temperature=temperature,
                generator=torch.Generator().manual_seed(0),
            )

    assert decode(temperature) == decode(0.0)
    assert not is_sampled(0.0) and not is_sampled(temperature) and is_sampled(1e-5) and is_sampled(1.0)


# Byte-level BPE: 3 tokens for one Korean syllable's bytes, 13 for a family emoji (more tokens than characters).
MULTIBYTE_STOPS = ["한국어", "👨\u200d👩\u200d👧"]


@pytest.mark.parametrize("stop", MULTIBYTE_STOPS)
def test_a_stop_string_of_more_tokens_than_characters_is_found(tiny, stop):
    """The tail decoded was len(stop) + 2 tokens: the start of such a stop string lay before it, never found."""
    assert len(tiny.tokenizer.encode(stop, add_special_tokens=False)) > len(stop) + 2
    assert StopStrings(tiny.tokenizer, MULTIBYTE_STOPS).hit(
        tiny.tokenizer.encode("x " + stop, add_special_tokens=False)
    )


class ScriptedModel:
    """Says ``script``'s tokens one per step, whatever the input."""

    def __init__(self, script: list[int], vocab_size: int) -> None:
        self.script, self.vocab_size = script, vocab_size

    def __call__(self, input_ids, attention_mask, position_ids, cache, use_cache, logits_to_keep):
        cache = cache or SimpleNamespace(step=0, batch_select_indices=lambda index: None)
        logits = torch.full((input_ids.shape[0], 1, self.vocab_size), -1e9)
        logits[:, 0, self.script[cache.step]] = 0
        cache.step += 1
        return SimpleNamespace(logits=logits, cache=cache)


def test_the_decode_loop_stops_at_a_multibyte_stop_string(tiny):
    """The row ran on to max_new_tokens (100 tokens instead of 11), and the text was cut afterwards."""
    tokenizer = tiny.tokenizer
    before = tokenizer.encode("Sure: 한국어", add_special_tokens=False)
    script = tokenizer.encode(
        "Sure: 한국어 is the answer and then it keeps talking" + " blah" * 100, add_special_tokens=False
    )
    out = decode_batch(
        ScriptedModel(script, len(tokenizer)),
        torch.tensor([[1, 2]]),
        torch.ones(1, 2, dtype=torch.long),
        max_new_tokens=100,
        stop_token_ids=[tokenizer.eos_token_id],
        stop_strings=StopStrings(tokenizer, ["한국어"]),
    )
    assert len(out[0]) <= len(before) + 1 and "한국어" in tokenizer.decode(out[0])


@pytest.mark.parametrize("penalty", [1e-40, 1e-50])
def test_a_repetition_penalty_near_zero_samples_instead_of_raising(tiny, penalty):
    """1e-40 divided the positive logits into inf (1e-50 is 0 in float32: 0 / 0 is NaN), softmax gave NaN and
    multinomial raised: a 500 from serve."""
    from safealign.generation import SamplingParams

    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    for temperature in (1.0, 0.5, 1e-5):
        params = SamplingParams(max_new_tokens=4, temperature=temperature, repetition_penalty=penalty, seed=0)
        [completion] = engine.generate([[{"role": "user", "content": "hi"}]], params)
        assert completion.completion_tokens >= 1, temperature


def test_a_stop_string_split_by_special_tokens_is_found(tiny):
    """Special tokens decode to nothing: 14 of them filled the tail, and "Hello world" was never seen."""
    tokenizer = tiny.tokenizer
    hello, world = (
        tokenizer.encode("Hello", add_special_tokens=False),
        tokenizer.encode(" world", add_special_tokens=False),
    )
    tokens = hello + [tokenizer.convert_tokens_to_ids("<|im_start|>")] * 14 + world
    assert tokenizer.decode(tokens, skip_special_tokens=True) == "Hello world"
    assert StopStrings(tokenizer, ["Hello world"]).hit(tokens)


class FixedScoresModel:
    """Gives every row the same scores: 2.0 for token 2 (the end and padding token), 1.8 for token 7, -1e9 for the rest."""

    def __call__(self, input_ids, attention_mask, position_ids, cache, use_cache, logits_to_keep):
        logits = torch.full((input_ids.shape[0], 1, 10), -1e9)
        logits[:, 0, 2], logits[:, 0, 7] = 2.0, 1.8
        return SimpleNamespace(logits=logits, cache=SimpleNamespace(batch_select_indices=lambda index: None))


def test_the_repetition_penalty_reads_a_rows_tokens_not_its_left_padding():
    """SmolLM2 pads with its end token: a padded row's end was penalised (2.0 / 1.3 = 1.54 < 1.8), so the prompt
    ended alone and ran on when batched beside a longer one."""
    ids = torch.tensor([[2, 2, 4, 5], [3, 4, 5, 6]])
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    out = decode_batch(
        FixedScoresModel(), ids, mask, max_new_tokens=3, stop_token_ids=[2], repetition_penalty=1.3
    )
    assert out == [[2], [2]]
    assert without_padding(ids, mask).tolist() == [
        [4, 4, 4, 5],
        [3, 4, 5, 6],
    ]  # a row without padding is unchanged
