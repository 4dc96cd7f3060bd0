"""Session 75's review of the gates and model conversion: a breach said once under several processes, a gate check
that runs out of memory named with its settings, a last step that no multiple of every_steps reaches checked, and a
GGUF file that lacks tensors refused rather than converted with random ones."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import safealign.training.gates as gates
from safealign.config import GateConfig
from safealign.errors import ModelNotFoundError, SafealignError
from safealign.training.gates import GateCallback, GateMetrics

SAFE = GateMetrics(refusal=0.9, over_refusal=0.1, accuracy=0.2, harmful_items=16, borderline_items=16)
UNSAFE = GateMetrics(refusal=0.5, over_refusal=0.1, accuracy=0.2, harmful_items=16, borderline_items=16)


def rank_state(step: int, main: bool, max_steps: int = 40) -> SimpleNamespace:
    return SimpleNamespace(global_step=step, is_world_process_zero=main, log_history=[], max_steps=max_steps)


def control() -> SimpleNamespace:
    return SimpleNamespace(should_training_stop=False, should_save=False)


def test_a_breach_is_said_once_by_rank_zero_and_every_rank_rolls_back(tmp_path, monkeypatch, caplog) -> None:
    """Each rank logged 'gate breach at step N' (a line per GPU); rank 0 decides and says it, the others act alike."""
    # Rank 0's verdict, as broadcast: a breach at step 10 (the other ranks measure nothing themselves)
    monkeypatch.setattr(gates, "main_process_value", lambda value: UNSAFE if value is None else value)
    ranks = []
    for main in (True, False):
        model = torch.nn.Linear(2, 2)
        gate = GateCallback(GateConfig(), lambda m: UNSAFE, tmp_path / f"gates-{main}.jsonl")
        gate.baseline = SAFE
        gate._snapshot(model, 0)
        with torch.no_grad():
            model.weight.add_(1.0)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="safealign.training.gates"):
            gate.on_step_end(None, rank_state(10, main), control(), model=model)
        said = [r.levelno for r in caplog.records if "gate breach at step 10" in r.getMessage()]
        ranks.append(
            (said, [e.action for e in gate.events], torch.equal(model.weight, gate.snapshot["weight"]))
        )
    assert ranks[0] == ([logging.WARNING], ["rollback+continue"], True)
    assert ranks[1] == ([logging.DEBUG], ["rollback+continue"], True), (
        "rank 1 rolls back alike, without a warning"
    )


@pytest.mark.parametrize(
    "error",
    [
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        MemoryError(),
        RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 40000000000 bytes"),
    ],
)
def test_a_gate_check_out_of_memory_names_the_gates_batch_size(tmp_path, error) -> None:
    """A bare torch.OutOfMemoryError traceback ended the stage: nothing said that a gate check, sized by
    rl.gates.batch_size and rl.gates.limit, had run out of memory."""

    def evaluate(model):
        raise error

    gate = GateCallback(GateConfig(limit=16, batch_size=48), evaluate, tmp_path / "gates.jsonl")
    with pytest.raises(SafealignError) as stopped:
        gate.on_train_begin(None, rank_state(0, True), control(), model=torch.nn.Linear(2, 2))
    said = str(stopped.value)
    assert "gate check at step 0 ran out of memory" in said
    assert (
        "rl.gates.batch_size (now 48)" in said and "rl.gates.limit (now 16" in said and "--no-resume" in said
    )


def test_every_rank_stops_on_rank_zeros_out_of_memory_and_other_errors_stay_as_they_are(
    tmp_path, monkeypatch
) -> None:
    """Rank 0's out-of-memory reaches the other ranks as its message: they stop with it, not wait on a verdict."""
    said = "gates: the gate check at step 10 ran out of memory (...)"
    monkeypatch.setattr(gates, "main_process_value", lambda value: said)
    gate = GateCallback(GateConfig(), lambda m: SAFE, tmp_path / "gates.jsonl")
    gate.baseline = SAFE
    with pytest.raises(SafealignError, match=r"step 10 ran out of memory"):
        gate.on_step_end(None, rank_state(10, False), control(), model=torch.nn.Linear(2, 2))

    def broken(model):
        raise RuntimeError("shape mismatch")

    gate = GateCallback(GateConfig(), broken, tmp_path / "other.jsonl")
    with pytest.raises(RuntimeError, match="shape mismatch"):
        gate.on_train_begin(None, rank_state(0, True), control(), model=torch.nn.Linear(2, 2))


@pytest.mark.parametrize(("max_steps", "checked"), [(25, [0, 10, 20, 25]), (20, [0, 10, 20]), (5, [0, 5])])
def test_the_last_step_is_checked_when_every_steps_does_not_reach_it(tmp_path, max_steps, checked) -> None:
    """max_steps 25 at every_steps 10: steps 21-25 went into the model unchecked. The quickstart's 20 at 10 checks as
    before."""
    gate = GateCallback(GateConfig(), lambda m: SAFE, tmp_path / "gates.jsonl")
    model = torch.nn.Linear(2, 2)
    gate.on_train_begin(None, rank_state(0, True, max_steps), control(), model=model)
    for step in range(1, max_steps + 1):
        gate.on_step_end(None, rank_state(step, True, max_steps), control(), model=model)
    assert [e.step for e in gate.events] == checked


def test_a_breach_at_the_last_step_rolls_the_model_back(tmp_path) -> None:
    measured = iter([SAFE, SAFE, UNSAFE])
    gate = GateCallback(GateConfig(), lambda m: next(measured), tmp_path / "gates.jsonl")
    model = torch.nn.Linear(2, 2)
    gate.on_train_begin(None, rank_state(0, True, 13), control(), model=model)
    for step in range(1, 14):
        with torch.no_grad():
            model.weight.fill_(float(step))
        gate.on_step_end(None, rank_state(step, True, 13), control(), model=model)
    assert [(e.step, e.action) for e in gate.events][-1] == (13, "rollback+continue")
    assert torch.all(model.weight == 10.0), "the model ends with step 10's checked weights"


def byte_level_tokens() -> list[str]:
    """GPT-2's stand-ins for the 256 bytes, as a byte-level BPE vocabulary writes them."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = [b for b in range(256) if b not in kept]
    return [chr(c) for c in kept] + [chr(256 + i) for i in range(len(extra))]


def write_small_gguf(path: Path, left_out: tuple[str, ...] = ()) -> Path:
    """A one-layer llama GGUF (a byte-level vocabulary of 258 tokens), less the tensors named in ``left_out``."""
    import gguf
    import numpy as np

    hidden, ffn, heads, kv = 8, 16, 2, 1
    tokens = [*byte_level_tokens(), "Ġt", "<|endoftext|>"]
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_context_length(64)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * (len(tokens) - 1) + [3])
    writer.add_token_merges(["Ġ t"])
    for add in (writer.add_bos_token_id, writer.add_eos_token_id, writer.add_pad_token_id):
        add(len(tokens) - 1)
    kv_rows = hidden // heads * kv
    shapes = {
        "token_embd.weight": (len(tokens), hidden),
        "output_norm.weight": (hidden,),
        "blk.0.attn_norm.weight": (hidden,),
        "blk.0.ffn_norm.weight": (hidden,),
        "blk.0.attn_q.weight": (hidden, hidden),
        "blk.0.attn_k.weight": (kv_rows, hidden),
        "blk.0.attn_v.weight": (kv_rows, hidden),
        "blk.0.attn_output.weight": (hidden, hidden),
        "blk.0.ffn_gate.weight": (ffn, hidden),
        "blk.0.ffn_up.weight": (ffn, hidden),
        "blk.0.ffn_down.weight": (hidden, ffn),
    }
    rng = np.random.default_rng(0)
    for name, shape in shapes.items():
        if name not in left_out:
            writer.add_tensor(name, rng.standard_normal(shape).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_lacking_tensors_is_refused_naming_them_and_the_file(tmp_path) -> None:
    """transformers filled the tensors a GGUF lacks with random values, with a warning only: the file converted and
    loaded, its attention half noise."""
    from safealign.models import load_model

    holed = write_small_gguf(tmp_path / "holed.gguf", left_out=("blk.0.attn_q.weight", "blk.0.ffn_up.weight"))
    with pytest.raises(ModelNotFoundError) as refused:
        load_model(str(holed))
    said = str(refused.value)
    assert said.startswith(f"{holed} lacks 2 of the tensors its model needs")
    assert "model.layers.0.mlp.up_proj.weight, model.layers.0.self_attn.q_proj.weight" in said
    whole = load_model(str(write_small_gguf(tmp_path / "whole.gguf")))
    assert whole.model.config.num_hidden_layers == 1, "a whole file converts (its lm_head tied, not missing)"


def test_a_resume_without_a_gate_snapshot_is_said_by_rank_zero_alone(tmp_path, caplog) -> None:
    """Every rank warned that checkpoint-N holds no gate snapshot, as every rank warned of a breach."""
    import json

    log_path = tmp_path / "gates.jsonl"
    log_path.write_text(json.dumps({"step": 0, "action": "baseline", "metrics": vars(SAFE)}) + "\n")
    (tmp_path / "checkpoint-4").mkdir()
    levels = []
    for main in (True, False):
        gate = GateCallback(GateConfig(), lambda m: SAFE, log_path)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="safealign.training.gates"):
            gate.on_train_begin(
                SimpleNamespace(output_dir=str(tmp_path)),
                rank_state(4, main),
                control(),
                model=torch.nn.Linear(2, 2),
            )
        levels.append([r.levelno for r in caplog.records if "holds no gate snapshot" in r.getMessage()])
        assert gate.snapshot_step == 4 and gate.baseline == SAFE
    assert levels == [[logging.WARNING], [logging.DEBUG]]
