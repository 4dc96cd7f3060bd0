"""Review 64 of the generation engine and `safealign generate`: seeds that share no sample streams, counts that are
whole numbers, and the command's checks and printing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError, SettingError
from safealign.generation import GenerationEngine, SamplingParams


def _refuse_loading(monkeypatch) -> None:
    import safealign.models

    def load(*args, **kwargs):
        raise AssertionError("the model loaded")

    monkeypatch.setattr(safealign.models, "load_model", load)


def test_two_seeds_share_no_samples_when_batches_are_small(tiny):
    """A batch's seed was ``seed + its first job``: at --batch-size 1, --seed 1's samples were --seed 0's shifted by
    one, so three of four samples of a prompt came back the same under the two seeds."""
    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1, precision="fp32")
    runs = [
        {
            tuple(c.token_ids)
            for c in engine.generate(
                ["hi"], SamplingParams(max_new_tokens=6, temperature=1.0, num_samples=4, seed=seed)
            )
        }
        for seed in (0, 1)
    ]
    assert len(runs[0]) == len(runs[1]) == 4
    assert not runs[0] & runs[1]


def test_the_first_batch_still_samples_as_generate_does_under_the_seed(tiny):
    """The first batch keeps ``seed`` itself, so one prompt's sample equals ``torch.manual_seed(seed)`` + ``generate``."""
    import torch

    engine = GenerationEngine(tiny.model, tiny.tokenizer, batch_size=1, precision="fp32")
    answer = engine.generate(["hi"], SamplingParams(max_new_tokens=6, temperature=1.0, seed=3))[0]
    ids = torch.tensor([engine.encode("hi")])
    torch.manual_seed(3)
    reference = tiny.model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=6,
        do_sample=True,
        top_k=0,
        eos_token_id=engine.stop_token_ids,
        pad_token_id=tiny.tokenizer.pad_token_id,
    )
    assert answer.token_ids == reference[0, ids.shape[1] :].tolist()[: len(answer.token_ids)]


@pytest.mark.parametrize(
    "bad",
    [dict(max_new_tokens=4.0), dict(max_new_tokens=None), dict(num_samples=2.0), dict(num_samples=True)],
)
def test_a_count_that_is_not_a_whole_number_is_refused_before_generation(bad):
    """4.0 passed the ``>= 1`` check, then ``range()`` raised a TypeError mid-generate; None raised a TypeError."""
    name = next(iter(bad))
    with pytest.raises(SettingError, match=rf"{name} must be >= 1 \(a whole number\)"):
        SamplingParams(**bad)


def test_a_numpy_count_is_read_as_an_int():
    import numpy as np

    params = SamplingParams(max_new_tokens=np.int64(3), num_samples=np.int32(2))
    assert (type(params.max_new_tokens), type(params.num_samples)) == (int, int)


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_batch_size_below_1_is_refused_before_the_model_loads(monkeypatch, size):
    """It was refused by the engine, after the model had loaded, naming ``batch_size`` rather than the option."""
    _refuse_loading(monkeypatch)
    result = CliRunner().invoke(
        app, ["generate", "tiny", "-p", "hi", "--batch-size", size], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2, result.output
    assert f"batch_size must be >= 1, got {size}; give --batch-size 1 or more" in result.output, result.output


def test_a_prompts_folder_is_named_a_folder_not_a_missing_file(tmp_path):
    from safealign.cli.generate_cmd import read_prompts

    with pytest.raises(DataError, match="is a folder; give the JSONL file of prompts in it"):
        read_prompts(tmp_path)


def test_a_chat_is_printed_with_its_user_turn_even_when_a_system_message_follows(tmp_path):
    """The printed prompt was the chat's last message, here the system message, not the question."""
    prompts = tmp_path / "p.jsonl"
    chat = [{"role": "user", "content": "what is 2+2"}, {"role": "system", "content": "SYSTEM-NOTE"}]
    prompts.write_text(json.dumps({"messages": chat}) + "\n")
    result = CliRunner().invoke(
        app,
        ["generate", "tiny", "--prompts", str(prompts), "--max-new-tokens", "2", "--precision", "fp32"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    assert "> what is 2+2" in result.output and "SYSTEM-NOTE" not in result.output
