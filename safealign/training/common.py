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


def apply_embedding_policy(model: Any, method: str, train_embeddings: bool) -> int:
    """Freeze the vocabulary matrices for full fine-tuning when the recipe says ``train_embeddings: false``."""
    return freeze_embeddings(model) if method == "full" and not train_embeddings else 0


def freeze_embeddings(model: Any) -> int:
    """Stop training the token embeddings and the output head (one matrix when they are tied).

    Returns how many parameters were frozen. For full fine-tuning of a small model the vocabulary
    matrix is a large share of the weights; freezing it skips its weight gradient and its optimizer
    update (the Trainer builds its optimizer from the parameters that require grad).
    """
    frozen = 0
    seen: set[int] = set()
    for module in (model.get_input_embeddings(), model.get_output_embeddings()):
        weight = getattr(module, "weight", None)
        if weight is None or id(weight) in seen:
            continue
        seen.add(id(weight))
        weight.requires_grad_(False)
        frozen += weight.numel()
    log.info("embeddings and output head frozen: %.1fM parameters", frozen / 1e6)
    return frozen


def freeze_bottom_layers(model: Any, count: int) -> int:
    """Stop training the first ``count`` decoder layers; returns how many parameters were frozen.

    With the embeddings frozen too, nothing below the first trained layer needs a gradient, so
    autograd stops there: the frozen layers cost their forward pass only.
    """
    if count <= 0:
        return 0
    from safealign.errors import RecipeError
    from safealign.models.prune import decoder_layers

    layers = decoder_layers(model)
    if count >= len(layers):
        raise RecipeError(f"sft.freeze_layers is {count} but the model has {len(layers)} decoder layers; "
                          f"choose fewer than {len(layers)} so that some layers train")
    frozen = 0
    for layer in list(layers)[:count]:
        for parameter in layer.parameters():
            parameter.requires_grad_(False)
            frozen += parameter.numel()
    log.info("first %d of %d decoder layers frozen: %.1fM parameters", count, len(layers), frozen / 1e6)
    return frozen


def precision_args(precision: str) -> dict[str, Any]:
    """Trainer flags for the resolved precision (bf16 autocast with float32 master weights)."""
    import torch

    from safealign.distributed import main_process_value

    device = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = main_process_value(resolve_precision(precision, device))  # "auto" times a matmul: ranks could disagree
    return {"bf16": resolved == "bf16", "fp16": False, "use_cpu": device == "cpu"}


def run_args(seed: int) -> dict[str, Any]:
    """The trainer settings every training stage shares: seeded data order, the progress bar on, no loader workers.

    transformers turns the bar off by default when its logger is quiet, and then prints each log record as a raw dict
    (the distillation stage did until 2026-12-02); loader workers only cost start-up time with in-memory datasets.
    """
    return {"seed": seed, "data_seed": seed, "disable_tqdm": False, "dataloader_num_workers": 0}


def checkpointing_args(enabled: bool) -> dict[str, bool]:
    """The trainer flag for activation (gradient) checkpointing under the name this transformers takes.

    transformers 5.2x renamed ``gradient_checkpointing`` to ``activation_checkpointing`` and warns on every
    config that leaves the new name unset, which TRL's configs (``gradient_checkpointing=True`` by default) always do.
    """
    from transformers import TrainingArguments

    fields = TrainingArguments.__dataclass_fields__
    return {"activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing": enabled}


# What transformers' Trainer resumes model weights from (its _load_from_checkpoint); FSDP, DeepSpeed and multi-adapter
# checkpoints keep theirs in subfolders, which count too.
CHECKPOINT_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
                      "adapter_model.safetensors", "adapter_model.bin")


def resume_checkpoint(stage_dir: Path, resume: bool) -> Path | None:
    """The checkpoint a stage resumes from: the newest complete ``checkpoint-N`` when ``resume``, else None.

    Raises :class:`SafealignError` naming the folder when it holds no weights (files copied in part, or a
    ``checkpoint-N`` that is not this trainer's), where the Trainer would fail with "Can't find a valid checkpoint".
    """
    from safealign.errors import SafealignError
    from safealign.runs import last_checkpoint

    checkpoint = last_checkpoint(stage_dir) if resume else None
    if checkpoint is None:
        return None
    if not any((checkpoint / name).is_file() for name in CHECKPOINT_WEIGHTS) and not any(p.is_dir() for p in checkpoint.iterdir()):
        raise SafealignError(
            f"cannot resume from {checkpoint}: it has trainer_state.json but no model weights (model.safetensors or "
            "adapter_model.safetensors). "
            f"Rerun with --no-resume to start the stage over, or delete {checkpoint} to resume from the checkpoint before it."
        )
    log.info("resuming from %s", checkpoint)
    return checkpoint


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
