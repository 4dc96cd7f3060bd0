from __future__ import annotations

import json

import pytest
from transformers import TrainerCallback

from safealign.config import SFTConfig
from safealign.errors import DataError
from safealign.runs import last_checkpoint, read_json
from safealign.stages.sft import run_sft
from safealign.training.callbacks import NanLossError


def write_memorisation_set(path, n=6):
    rows = [
        {"id": f"m{i}", "kind": "benign", "messages": [{"role": "user", "content": f"Say the code word number {i}."}, {"role": "assistant", "content": f"The code word is banana {i}."}]}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def config(data, **overrides):
    base = dict(datasets={str(data): 1.0}, method="full", learning_rate=3e-2, max_steps=12, batch_size=3, save_steps=4, logging_steps=1, warmup_ratio=0.0, lr_scheduler="constant", max_length=64)
    return SFTConfig(**(base | overrides))


def losses(stage_dir):
    return [json.loads(line) for line in (stage_dir / "metrics.jsonl").read_text().splitlines() if '"loss"' in line]


def test_sft_lowers_loss_and_records_provenance(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    result = run_sft(config(data), "tiny", tmp_path / "sft", precision="fp32")
    logged = losses(tmp_path / "sft")
    assert logged[-1]["loss"] < 0.7 * logged[0]["loss"]
    assert (result.model_path / "model.safetensors").is_file()
    stage = read_json(tmp_path / "sft" / "stage.json")
    assert stage["metrics"]["steps"] == 12 and stage["metrics"]["tokens"] > 0
    mixture = read_json(tmp_path / "sft" / "data_mixture.json")
    assert mixture["rows"] == 6 and len(mixture["sources"][0]["sha256"]) == 64


def test_lora_sft_writes_merged_model_and_adapter(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    result = run_sft(config(data, method="lora", max_steps=3, learning_rate=1e-2), "tiny", tmp_path / "sft", precision="fp32")
    assert (tmp_path / "sft" / "adapter" / "adapter_config.json").is_file()
    assert (result.model_path / "config.json").is_file()


class CrashAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated crash")


def test_resume_continues_from_saved_step(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")
    stage_dir = tmp_path / "sft"
    with pytest.raises(KeyboardInterrupt):
        run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32", callbacks=[CrashAt(6)])
    assert last_checkpoint(stage_dir).name == "checkpoint-4"
    assert not (stage_dir / "stage.json").exists()
    before = len(losses(stage_dir))
    run_sft(config(data, max_steps=8), "tiny", stage_dir, precision="fp32")
    resumed_steps = [r["step"] for r in losses(stage_dir)[before:]]
    assert resumed_steps and min(resumed_steps) == 5, resumed_steps
    assert read_json(stage_dir / "stage.json")["inputs"]["resumed_from"].endswith("checkpoint-4")


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = write_memorisation_set(tmp_path / "mem.jsonl")

    class PoisonAt(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step == 5:
                for p in model.parameters():
                    p.data.fill_(float("nan"))

    with pytest.raises(NanLossError, match="checkpoint-4"):
        run_sft(config(data, max_steps=10), "tiny", tmp_path / "sft", precision="fp32", callbacks=[PoisonAt()])
    assert last_checkpoint(tmp_path / "sft").name == "checkpoint-4"
    assert not (tmp_path / "sft" / "stage.json").exists()


def test_bad_data_is_named(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        run_sft(config(empty), "tiny", tmp_path / "a", precision="fp32")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n{"prompt": "no messages"}\n')
    with pytest.raises(DataError, match=r"broken.jsonl:2: field 'messages'"):
        run_sft(config(broken), "tiny", tmp_path / "b", precision="fp32")
