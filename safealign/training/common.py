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

    device = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = resolve_precision(precision, device)
    return {"bf16": resolved == "bf16", "fp16": False, "use_cpu": device == "cpu"}


def save_final_model(model: Any, tokenizer: Any, stage_dir: Path) -> Path:
    """Save ``stage_dir/model`` as a plain safetensors model (LoRA merged in; the adapter kept too)."""
    target = stage_dir / "model"
    tmp = stage_dir / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    if hasattr(model, "merge_and_unload"):
        model.save_pretrained(stage_dir / "adapter")
        model = model.merge_and_unload()
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target
