"""End-to-end checks on the embedded SmolLM2-135M (about 30 s in all on CPU): `make test-slow`, or `pytest -m slow`.

The model must be prepared first (`safealign models prepare`, which the Makefile's test-slow target runs); a missing one
fails, it is not skipped: a slow run that checked nothing would pass.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from test_sft import config, losses, write_memorisation_set
from typer.testing import CliRunner

from safealign.models.embedded import DEFAULT_MODEL, cache_damage, is_prepared

pytestmark = pytest.mark.slow

NAME = DEFAULT_MODEL.removeprefix("embedded:")
# Read at import (collection), before conftest's session fixture points SAFEALIGN_HOME at a private folder: where
# `safealign models prepare` put the model for the user running the tests.
USER_HOME = Path(os.environ.get("SAFEALIGN_HOME") or Path.home() / ".cache" / "safealign").expanduser()


@pytest.fixture(scope="module")
def embedded(safealign_home: Path) -> str:
    """The embedded model's spec, its prepared folder linked into the tests' private home (read, never written)."""
    prepared = USER_HOME / "models" / NAME
    link = safealign_home / "models" / NAME
    if not (link.is_symlink() or link.exists()):
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(prepared, target_is_directory=True)
    if not is_prepared(NAME):
        problem = cache_damage(NAME) or "it is not there"
        pytest.fail(
            f"the embedded model is not prepared in {prepared} ({problem}): run `safealign models prepare` "
            "(`make test-slow` does it first)"
        )
    return DEFAULT_MODEL


def test_the_embedded_model_loads_as_plain_float32_smollm2_and_decodes_greedily_the_same_twice(
    embedded: str,
) -> None:
    from safealign.generation import GenerationEngine, SamplingParams
    from safealign.models import load_model

    loaded = load_model(embedded)
    cfg = loaded.model.config
    assert type(loaded.model).__name__ == "LlamaForCausalLM"
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.vocab_size) == (30, 576, 49152)
    assert (cfg.num_attention_heads, cfg.num_key_value_heads, cfg.intermediate_size) == (9, 3, 1536)
    assert getattr(cfg, "quantization_config", None) is None, "a gguf-quantized model refuses training"
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    assert 134_000_000 < loaded.num_parameters < 135_000_000  # tied embeddings: lm_head is embed_tokens
    assert loaded.info["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"

    engine = GenerationEngine(loaded.model, loaded.tokenizer, batch_size=2, precision="fp32")
    prompts = ["What is 17 + 25?", "Name a colour of the sky."]
    params = SamplingParams(max_new_tokens=24, temperature=0.0)
    first = [c.text for c in engine.generate(prompts, params)]
    second = [c.text for c in engine.generate(prompts, params)]
    assert first == second, "greedy decoding gave two different answers to the same prompts"
    assert all(text.strip() for text in first), first


def test_eval_of_the_embedded_model_reports_both_safety_sides_and_reasoning(
    embedded: str, tmp_path: Path
) -> None:
    from safealign.cli.main import app

    out = tmp_path / "eval"
    argv = [
        "eval",
        embedded,
        "--suites",
        "harmful,borderline,reasoning",
        "--limit",
        "1",
        "--max-new-tokens",
        "48",
    ]
    result = CliRunner().invoke(app, [*argv, "--precision", "fp32", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads((out / "summary.json").read_text())
    summary = written["summary"]
    rates = [
        summary["harmful"]["refusal_rate"],
        summary["borderline"]["over_refusal_rate"],
        summary["reasoning"]["accuracy"],
    ]
    assert all(0.0 <= rate <= 1.0 for rate in rates), summary
    # --limit is per suite and split: one in-distribution and one held-out item of each suite
    assert {name: suite["n_items"] for name, suite in written["suites"].items()} == {
        "harmful": 2,
        "borderline": 2,
        "reasoning": 2,
    }
    assert written["config"]["model"]["spec"] == embedded
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and all(s["completion"].strip() and s["completion_tokens"] > 0 for s in samples)
    assert all("refusal" in s["verdicts"] for s in samples if s["suite"] != "reasoning")


def test_a_few_sft_steps_on_the_embedded_model_lower_the_loss(embedded: str, tmp_path: Path) -> None:
    from safealign.stages.sft import run_sft

    data = write_memorisation_set(tmp_path / "mem.jsonl")
    # 6 rows in batches of 3: 8 steps are 4 epochs of the same answers, enough for a real model to memorise them
    cfg = config(data, learning_rate=1e-4, max_steps=8, save_steps=100)
    result = run_sft(cfg, embedded, tmp_path / "sft", precision="fp32")
    logged = losses(tmp_path / "sft")
    assert [row["step"] for row in logged] == list(range(1, 9))
    assert logged[-1]["loss"] < 0.7 * logged[0]["loss"], [row["loss"] for row in logged]
    assert (result.model_path / "model.safetensors").is_file()
