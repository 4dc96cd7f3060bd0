"""Tests that kill the mutants of model loading, generation and decoding that survived the rest of the suite: the
engine's per-batch seed, its stop strings, end tokens and answer text; the sampler's processor order, left-padded
positions, ignore_eos and repetition penalty; and load_model's float32 weights, pad token, eval mode and adapters
(merged and stacked). Each test names the one-token change it guards against."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import safealign.generation as generation
from safealign.decoding import decode_batch, logits_processors
from safealign.generation import GenerationEngine, SamplingParams
from safealign.models import load_model
from safealign.models.loading import load_tokenizer
from safealign.models.tiny import real_tokenizer_folder

# --- the engine ---


def token_ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def completion_of(tiny, tokens: list[int], params: SamplingParams) -> generation.Completion:
    """The Completion the engine makes of ``tokens`` decoded after a one-token prompt."""
    return GenerationEngine(tiny.model, tiny.tokenizer)._completion((0, 0), [[1]], tokens, params)


def test_samples_of_one_prompt_in_different_batches_differ(tiny) -> None:
    # batch_seed = params.seed instead of params.seed + start: every one-row batch draws the same sample
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1)
    out = engine.generate(["Hi"], SamplingParams(max_new_tokens=8, temperature=1.0, num_samples=3, seed=5))
    assert len({tuple(c.token_ids) for c in out}) == 3


def test_stop_strings_reach_the_decode_loop(tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    # stop_strings=None: decoding runs on to max_new_tokens and the token counts are inflated
    seen = []
    real = generation.decode_batch

    def spy(*args, **kwargs):
        seen.append(kwargs["stop_strings"])
        return real(*args, **kwargs)

    monkeypatch.setattr(generation, "decode_batch", spy)
    GenerationEngine(tiny.model, tiny.tokenizer).generate(
        ["Hi"], SamplingParams(max_new_tokens=4, stop=["zz"])
    )
    assert seen and seen[0] is not None and seen[0].stops == ["zz"]


def test_a_stop_string_on_the_last_token_is_not_length(tiny) -> None:
    # truncated without "not hit_stop_string": an answer cut by its stop string on the last token reads "length"
    tokens = token_ids(tiny.tokenizer, "one two three STOP")
    c = completion_of(tiny, tokens, SamplingParams(max_new_tokens=len(tokens), stop=["STOP"]))
    assert c.text == "one two three" and c.finish_reason == "stop"


def test_ignore_eos_keeps_the_tokens_past_an_end_token(tiny) -> None:
    # the end-token cut made whatever ignore_eos says: a benchmark's text and token count stop at the end token
    tok = tiny.tokenizer
    tokens = token_ids(tok, "alpha") + [tok.eos_token_id] + token_ids(tok, " beta")
    c = completion_of(tiny, tokens, SamplingParams(max_new_tokens=len(tokens), ignore_eos=True))
    assert "beta" in c.text and c.completion_tokens == len(tokens)


def test_special_tokens_are_not_in_the_text(tiny) -> None:
    # skip_special_tokens=False: a chat-template token the model emits shows in the answer
    tok = tiny.tokenizer
    tokens = token_ids(tok, "alpha") + [tok.convert_tokens_to_ids("<|im_start|>")] + token_ids(tok, " beta")
    c = completion_of(tiny, tokens, SamplingParams(max_new_tokens=64))
    assert "<|im_start|>" not in c.text and "alpha" in c.text and "beta" in c.text


def test_the_text_is_stripped(tiny) -> None:
    # text=text instead of text.strip(): the answer keeps its leading and trailing whitespace
    c = completion_of(tiny, token_ids(tiny.tokenizer, "\n  alpha  \n"), SamplingParams(max_new_tokens=64))
    assert c.text == "alpha"


class UnkTokenizer:
    """A tokenizer whose vocabulary has <|im_end|> but no other end token: the others read as unk's id, 0."""

    eos_token_id = 5
    vocab = {"<|im_end|>": 5, "<unk>": 0}

    def convert_tokens_to_ids(self, token: str) -> int:
        return self.vocab.get(token, 0)

    def convert_ids_to_tokens(self, token_id: int) -> str:
        return {v: k for k, v in self.vocab.items()}[token_id]


def test_an_unknown_end_token_does_not_make_unk_a_stop() -> None:
    # any int id taken as an end token: the unk id 0 of a missing <|eot_id|> ends every answer that contains it
    engine = GenerationEngine.__new__(GenerationEngine)
    engine.tokenizer = UnkTokenizer()
    assert engine._stop_token_ids() == [5]


# --- decoding ---


def test_processors_keep_generates_order() -> None:
    # top-p before top-k: transformers' generate applies temperature, top-k, then top-p
    names = [type(p).__name__ for p in logits_processors(0.7, 0.9, 5, 1.0)]
    assert names == ["TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper"]


def test_the_first_real_token_of_a_left_padded_row_is_position_0(
    tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    # positions = attention.cumsum(-1) (no - 1): every row starts at position 1. Equivalent for rotary models like
    # the tiny Llama, but a learned-position model would read each token one place late.
    seen = []
    real = type(tiny.model).forward

    def spy(self, *args, **kwargs):
        seen.append(kwargs["position_ids"].clone())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(tiny.model), "forward", spy)
    prompts = ["Hi", "A much longer prompt than the first one"]
    GenerationEngine(tiny.model, tiny.tokenizer).generate(prompts, SamplingParams(max_new_tokens=2))
    first = seen[0]
    assert first[:, -1].min() > 0 and (first == 0).any(dim=1).all()
    assert first[-1, 0] == 0  # the shortest prompt's row is padded: its pads and its first real token are 0


def decoded(tiny, **settings) -> list[int]:
    """The tiny model's new tokens for one prompt, greedy unless ``settings`` say otherwise."""
    ids = torch.tensor([GenerationEngine(tiny.model, tiny.tokenizer).encode("Tell me a story")])
    with torch.inference_mode():
        return decode_batch(tiny.model, ids, torch.ones_like(ids), **settings)[0]


def test_ignore_eos_decodes_past_an_end_token(tiny) -> None:
    # "not ignore_eos" dropped from the end check: a benchmark's rows stop at an end token
    free = decoded(tiny, max_new_tokens=6, stop_token_ids=[])
    assert decoded(tiny, max_new_tokens=6, stop_token_ids=[free[2]], ignore_eos=True) == free


def test_the_repetition_penalty_reads_the_answer_so_far(tiny) -> None:
    # the sampled token never appended to the sequences: the penalty sees only the prompt, and repeats go through
    free = decoded(tiny, max_new_tokens=24, stop_token_ids=[])
    assert len(set(free)) < len(free)  # the tiny model repeats itself greedily
    out = decoded(tiny, max_new_tokens=24, stop_token_ids=[], repetition_penalty=1e4)
    assert len(set(out)) == len(out)


# --- loading ---


def test_a_bf16_saved_model_loads_as_float32(fresh_tiny, tmp_path: Path) -> None:
    # dtype=torch.float32 dropped: a model saved in bf16 loads, and trains, in bf16
    fresh_tiny.model.to(torch.bfloat16).save_pretrained(tmp_path)
    fresh_tiny.tokenizer.save_pretrained(tmp_path)
    assert load_model(str(tmp_path)).model.dtype == torch.float32


def test_a_tokenizers_own_pad_token_is_kept(tmp_path: Path) -> None:
    # the pad token set to eos whether or not the tokenizer has one
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(real_tokenizer_folder() / name, tmp_path / name)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config | {"pad_token": "<|endoftext|>"}))
    assert load_tokenizer(tmp_path).pad_token == "<|endoftext|>"


def test_a_loaded_model_is_in_eval_mode(fresh_tiny) -> None:
    # loaded.model.eval() dropped: the built tiny model stays in train mode (dropout on while generating)
    assert not fresh_tiny.model.training


def saved_adapter(tmp_path: Path, name: str, base: str = "tiny"):
    """A LoRA adapter with random weights on ``base`` saved to ``tmp_path / name``: the PeftModel and its folder."""
    from peft import LoraConfig, get_peft_model

    model = load_model(base, merge_adapter=True).model
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, lora)
    peft_model.save_pretrained(tmp_path / name)
    return peft_model, tmp_path / name


def test_a_merged_adapter_is_trainable_and_named_for_its_folder(tmp_path: Path) -> None:
    # merge_and_unload() without requires_grad_(True): the merged model's weights stay frozen; and the merged model
    # keeps its base's name instead of the adapter folder's
    _, folder = saved_adapter(tmp_path, "adapter")
    merged = load_model(str(folder), merge_adapter=True).model
    assert all(p.requires_grad for p in merged.parameters())
    assert merged.name_or_path == merged.config._name_or_path == str(folder.resolve())


def test_an_adapter_on_an_adapter_loads_both(tmp_path: Path) -> None:
    # the base adapter loaded with merge_adapter=False: the second adapter loads on an unmerged PeftModel
    _, first = saved_adapter(tmp_path, "a1")
    second, folder = saved_adapter(tmp_path, "a2", base=str(first))
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(first.resolve())
    loaded = load_model(str(folder))
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        assert torch.allclose(second(ids).logits, loaded.model(ids).logits, atol=1e-5)
