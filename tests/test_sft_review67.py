"""Review 67: the SFT stage's plumbing and the shared training helpers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest


@pytest.mark.parametrize(
    ("tracker", "install"), [("trackio", "pip install trackio"), ("dagshub", "dagshub mlflow")]
)
def test_trackers_transformers_lists_are_checked_before_the_model_loads(monkeypatch, tracker, install):
    # trackio and dagshub are in transformers' list of trackers it can find installed, and the recipe takes them;
    # the early check skipped them, and the Trainer's constructor raised after the model had loaded
    import transformers.integrations as integrations

    from safealign.errors import SafealignError
    from safealign.training.common import check_trackers_installed

    monkeypatch.setattr(integrations, "get_available_reporting_integrations", lambda: [])
    with pytest.raises(SafealignError, match=install):
        check_trackers_installed([tracker])


def test_a_full_fine_tune_leaves_no_earlier_adapter_beside_its_model(tiny, tmp_path: Path):
    # an earlier LoRA attempt that wrote adapter/ and stopped before stage.json; the stage reran as method: full
    from safealign.card.lineage import output_files
    from safealign.training.common import save_final_model

    stage = tmp_path / "sft"
    (stage / "adapter").mkdir(parents=True)
    (stage / "adapter" / "adapter_model.safetensors").write_bytes(b"an earlier attempt's adapter")

    class FullTrainer:
        accelerator = SimpleNamespace(unwrap_model=lambda model: model)
        model = tiny.model

        def save_model(self, path: str) -> None:
            self.model.save_pretrained(path)

    save_final_model(FullTrainer(), tiny.tokenizer, stage)
    assert (stage / "model" / "model.safetensors").is_file()
    assert not (stage / "adapter").exists()
    assert not [f for f in output_files(stage, tmp_path) if f["path"].startswith("sft/adapter")]


def test_a_checkpoint_past_a_lowered_max_steps_is_not_called_the_end_of_training(tmp_path: Path, caplog):
    # resumed with max_steps 40 from checkpoint-50: the stage's model is that checkpoint (50 steps), which the log
    # called "the end of training (the stage was stopped while saving)"
    import json
    import logging

    from safealign.training.common import train_or_finish

    checkpoint = tmp_path / "checkpoint-50"
    checkpoint.mkdir()
    (checkpoint / "trainer_state.json").write_text(json.dumps({"global_step": 50, "max_steps": 100}))

    class Trainer:
        args = SimpleNamespace(max_steps=40, num_train_epochs=1.0)

        def _load_from_checkpoint(self, path: str) -> None:
            pass

    with caplog.at_level(logging.INFO, logger="safealign.training.common"):
        assert train_or_finish(Trainer(), checkpoint).global_step == 50
    [record] = [r for r in caplog.records if "checkpoint-50" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "past max_steps 40" in record.getMessage() and "--no-resume" in record.getMessage()
    assert "stopped while saving" not in record.getMessage()
