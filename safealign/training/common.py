"""LoRA settings, precision flags and saving, shared by SFT, RL and distillation."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from safealign.config import LoraConfig
from safealign.precision import resolve_precision

log = logging.getLogger(__name__)


def peft_config(lora: LoraConfig) -> Any:
    from peft import LoraConfig as PeftLoraConfig

    return PeftLoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def precision_args(precision: str) -> dict[str, Any]:
    """Trainer flags for the resolved precision (bf16 autocast with float32 master weights)."""
    import torch

    from safealign.distributed import main_process_value

    device = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = main_process_value(resolve_precision(precision, device))  # "auto" times a matmul: ranks could disagree
    return {"bf16": resolved == "bf16", "fp16": False, "use_cpu": device == "cpu"}


def save_final_model(trainer: Any, tokenizer: Any, stage_dir: Path) -> Path:
    """Save ``stage_dir/model`` as a plain safetensors model (LoRA merged in; the adapter kept too).

    Every process calls this: under ZeRO-3/FSDP ``trainer.save_model`` gathers the sharded weights
    collectively. Only the main process writes; the others wait until ``model/`` is complete.
    """
    from safealign.distributed import is_main_process, wait_for_everyone

    target = stage_dir / "model"
    tmp = stage_dir / "model.tmp"
    main = is_main_process()
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):  # LoRA: refused under ZeRO-3/FSDP at stage start
        trainer.save_model(str(stage_dir / "adapter"))
        if main:
            model.merge_and_unload().save_pretrained(tmp, safe_serialization=True)
    else:
        trainer.save_model(str(tmp))
    if main:
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    wait_for_everyone()
    return target
