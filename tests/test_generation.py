from __future__ import annotations

import pytest

from safealign.generation import GenerationEngine, SamplingParams

PROMPTS = [
    "hi",
    "What is 17 + 25? Explain each step carefully please.",
    "a b c d e f g",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me a fact."}],
    "One more prompt of middling length here.",
]


def test_batched_equals_one_by_one_under_greedy(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=3, precision="fp32")
    params = SamplingParams(max_new_tokens=10)
    batched = engine.generate(PROMPTS, params)
    single = [engine.generate([p], params)[0] for p in PROMPTS]
    assert [c.prompt_index for c in batched] == list(range(len(PROMPTS)))
    assert [c.text for c in batched] == [c.text for c in single]
    assert len({c.text for c in batched}) > 1, "tiny model should answer prompts differently"


def test_records_tokens_and_truncation(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    out = engine.generate(PROMPTS[:2], SamplingParams(max_new_tokens=6))
    for c in out:
        assert c.prompt_tokens == len(engine.encode(PROMPTS[c.prompt_index]))
        assert c.completion_tokens <= 6
        assert c.truncated == (c.completion_tokens == 6)
        assert c.to_dict()["finish_reason"] in ("stop", "length")


def test_each_sequence_stops_at_its_own_end_token(tiny):
    """Declare prompt 0's first greedy token an end-of-turn token: that row stops at once, the rest go on."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    params = SamplingParams(max_new_tokens=8)
    before = engine.generate(PROMPTS, params)
    first = before[0].token_ids[0]
    engine.stop_token_ids = [*engine.stop_token_ids, first]
    after = engine.generate(PROMPTS, params)
    assert after[0].text == "" and after[0].completion_tokens == 1 and not after[0].truncated
    for old, new in zip(before[1:], after[1:], strict=True):
        if first not in old.token_ids:
            assert new.text == old.text and new.truncated == old.truncated


def test_stop_strings_cut_text(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=2, precision="fp32")
    full = engine.generate(["a b c d e f g"], SamplingParams(max_new_tokens=12))[0].text
    cut_word = full.split()[1] if len(full.split()) > 1 else full[2:5]
    out = engine.generate(["a b c d e f g"], SamplingParams(max_new_tokens=12, stop=[cut_word]))[0]
    assert cut_word not in out.text
    assert not out.truncated


def test_sampling_is_seeded(tiny):
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=4, precision="fp32")
    params = SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=5)
    a = engine.generate(PROMPTS[:2], params)
    b = engine.generate(PROMPTS[:2], params)
    assert [c.text for c in a] == [c.text for c in b]
    assert len(a) == 6 and {c.sample_index for c in a} == {0, 1, 2}
    other = engine.generate(PROMPTS[:2], SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=6))
    assert [c.text for c in a] != [c.text for c in other]


def test_bf16_matches_fp32_mostly(tiny):
    """bf16 autocast is a speed setting: on the tiny model greedy answers mostly agree with float32."""
    fp32 = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="fp32")
    bf16 = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=8, precision="bf16")
    params = SamplingParams(max_new_tokens=4)
    a, b = fp32.generate(PROMPTS, params), bf16.generate(PROMPTS, params)
    first_tokens_agree = sum(x.text.split()[:1] == y.text.split()[:1] for x, y in zip(a, b, strict=True))
    assert first_tokens_agree >= len(PROMPTS) - 1


@pytest.mark.parametrize("bad", [dict(max_new_tokens=0), dict(temperature=-1), dict(top_p=0), dict(num_samples=0)])
def test_bad_sampling_params(bad):
    with pytest.raises(ValueError):
        SamplingParams(**bad)


@pytest.mark.parametrize("temperature", [float("nan"), float("inf"), -0.5])
def test_a_temperature_that_is_not_a_finite_number_at_least_0_is_refused(temperature):
    from safealign.errors import SettingError

    with pytest.raises(SettingError, match="temperature must be a finite number >= 0"):
        SamplingParams(temperature=temperature)
