"""LoRA settings, precision flags and saving, shared by SFT, RL and distillation."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from safealign.config import LoraConfig
from safealign.precision import resolve_precision

log = logging.getLogger(__name__)


# Trackers whose availability transformers' get_available_reporting_integrations() reports, and what to install for
# each; others (flyte, azure_ml: never or not always in that list) are left to the Trainer.
TRACKER_PACKAGES = {
    "tensorboard": "'safealign[tracking]'",
    "wandb": "wandb",
    "mlflow": "mlflow",
    "comet_ml": "comet-ml",
    "neptune": "neptune",
    "clearml": "clearml",
    "codecarbon": "codecarbon",
    "dvclive": "dvclive",
    "swanlab": "swanlab",
    "trackio": "trackio",
    "dagshub": "dagshub mlflow",  # transformers' DagsHub logger needs both
}


def check_trackers_installed(report_to: list[str]) -> None:
    """A SafealignError naming the package when a tracker ``report_to`` asks for is not installed: transformers
    raises it from deep inside the Trainer's constructor, after the model has loaded."""
    from transformers.integrations import get_available_reporting_integrations

    from safealign.errors import SafealignError

    available = get_available_reporting_integrations()
    missing = [name for name in report_to if name in TRACKER_PACKAGES and name not in available]
    if missing:
        install = " and ".join(f"pip install {TRACKER_PACKAGES[name]}" for name in missing)
        raise SafealignError(
            f"report_to asks for {', '.join(missing)}, which is not installed: {install}, or drop it from report_to"
        )


def require_chat_template(tokenizer: Any, model_spec: str, stage: str) -> None:
    """A SafealignError when the tokenizer has no chat template: the training stages format every row with it (TRL
    raises deep in dataset preparation otherwise). Generation falls back to plain text, so evals still run."""
    if getattr(tokenizer, "chat_template", None):
        return
    from safealign.errors import SafealignError

    raise SafealignError(
        f"{stage}: {model_spec}'s tokenizer has no chat template, and {stage} formats every training row with it. Add one "
        "to the model folder (a chat_template.jinja file, or chat_template in tokenizer_config.json: the instruct version "
        "of the model has one), or start from an instruct model"
    )


def ended_at(checkpoint: Path | None, args: Any, stopped: bool = False) -> bool:
    """Whether ``checkpoint`` holds the end of training (a crash came during the final save): its step reached
    ``args.max_steps`` (or its epoch ``args.num_train_epochs``), or ``stopped`` (a gate or a critical hacking alert
    stopped the stage there)."""
    if checkpoint is None:
        return False
    state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    if args.max_steps and args.max_steps > 0:
        return stopped or state.get("global_step", 0) >= args.max_steps
    return stopped or float(state.get("epoch") or 0) >= float(args.num_train_epochs) - 1e-6


MISSING_KEYS = "There were missing keys in the checkpoint model loaded: "


def tied_head_keys(model: Any) -> set[str]:
    """The parameter names of ``model``'s output head where it is its input embeddings (tied, as SmolLM2's): a checkpoint
    leaves that copy out by design, and it loads with the embeddings."""
    try:  # a model of its own code may lack either, or raise NotImplementedError (PreTrainedModel's default)
        head, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    except (AttributeError, NotImplementedError):
        return set()
    weight = getattr(head, "weight", None)
    if weight is None or weight is not getattr(embeddings, "weight", None):
        return set()
    names = {name for name, param in model.named_parameters(remove_duplicate=False) if param is weight}
    return names - {name for name, param in model.named_parameters() if param is embeddings.weight}


class TiedHeadNotMissing(logging.Filter):
    """Drops transformers' "There were missing keys in the checkpoint model loaded: ['lm_head.weight']", said at each
    resume of a model whose head is tied to its embeddings (its Trainer only knows ``_keys_to_ignore_on_save``): read
    as a damaged checkpoint, though the head loads with the embeddings. Other missing keys are still said."""

    def __init__(self, tied: set[str]) -> None:
        super().__init__()
        self.line = f"{MISSING_KEYS}{sorted(tied)}."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.line


def train_or_finish(trainer: Any, checkpoint: Path | None, stopped: bool = False) -> Any:
    """See :func:`train_or_resume`; resuming, transformers' warning of a tied head missing from the checkpoint is
    dropped (see :class:`TiedHeadNotMissing`)."""
    tied = tied_head_keys(getattr(trainer, "model", None)) if checkpoint is not None else set()
    if not tied:
        return train_or_resume(trainer, checkpoint, stopped)
    quiet = TiedHeadNotMissing(tied)
    trainer_log = logging.getLogger("transformers.trainer")
    trainer_log.addFilter(quiet)
    try:
        return train_or_resume(trainer, checkpoint, stopped)
    finally:
        trainer_log.removeFilter(quiet)


def train_or_resume(trainer: Any, checkpoint: Path | None, stopped: bool = False) -> Any:
    """``trainer.train()``, resuming from ``checkpoint``; or, when that checkpoint is where training ended (see
    :func:`ended_at`), its weights and state without training: transformers takes one more step before it checks
    ``max_steps``, so a stage killed during its final save would otherwise train past its end (or past a gate's stop).
    The TrainOutput of a finished checkpoint has no loss or runtime: none was measured in this process."""
    if not ended_at(checkpoint, trainer.args, stopped):
        return trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    from transformers import TrainerState
    from transformers.trainer_utils import TrainOutput

    trainer._load_from_checkpoint(
        str(checkpoint)
    )  # transformers' own loader: full weights, adapters, sharded files
    trainer.state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    if not stopped and 0 < trainer.args.max_steps < trainer.state.global_step:  # max_steps lowered on resume
        log.warning(
            "%s was saved at step %d, past max_steps %d: its weights are the stage's model, trained %d steps (rerun "
            "with --no-resume to train %d steps from the start)",
            checkpoint,
            trainer.state.global_step,
            trainer.args.max_steps,
            trainer.state.global_step,
            trainer.args.max_steps,
        )
    else:
        log.info(
            "%s holds the end of training (the stage was stopped while saving): its weights are the stage's model",
            checkpoint,
        )
    return TrainOutput(trainer.state.global_step, None, {})


def tokens_per_second(trainer: Any, result: Any, tokens_at_start: int) -> float | None:
    """Training tokens per second of this process's training: a resumed stage's earlier tokens are not in its runtime."""
    runtime = result.metrics.get("train_runtime")
    if not runtime:
        return None
    return (trainer.state.num_input_tokens_seen - tokens_at_start) / runtime


def checkpoint_tokens(checkpoint: Path | None) -> int:
    """Training tokens a checkpoint had seen (0 without one)."""
    if checkpoint is None:
        return 0
    state = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))
    return int(state.get("num_input_tokens_seen") or 0)


def peft_config(lora: LoraConfig, model: Any = None) -> Any:
    """peft's LoraConfig for the recipe's ``lora:`` section; with ``model``, each named target module is checked first."""
    from peft import LoraConfig as PeftLoraConfig

    if model is not None:
        check_lora_targets(lora, model)
    return PeftLoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def check_lora_targets(lora: LoraConfig, model: Any) -> None:
    """A SafealignError naming each ``lora.target_modules`` entry that matches no module of ``model`` (peft's rule: the
    module's name, or its last dotted parts), with the linear layers' names. peft fails only when no entry matches, with
    a traceback after the data and model loaded; one misspelt entry of several it skips without a word."""
    import torch

    if not isinstance(lora.target_modules, list):
        return  # "all-linear"
    names = [name for name, _ in model.named_modules() if name]
    missing = [
        target
        for target in lora.target_modules
        if not any(name == target or name.endswith("." + target) for name in names)
    ]
    if missing:
        from safealign.errors import SafealignError

        linear = sorted(
            {
                name.rsplit(".", 1)[-1]
                for name, module in model.named_modules()
                if isinstance(module, torch.nn.Linear)
            }
        )
        raise SafealignError(
            f"lora.target_modules {missing} name no module of this model; its linear layers are "
            f"{', '.join(linear)} (or use target_modules: all-linear)"
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
        raise RecipeError(
            f"sft.freeze_layers is {count} but the model has {len(layers)} decoder layers; "
            f"choose fewer than {len(layers)} so that some layers train"
        )
    frozen = 0
    for layer in list(layers)[:count]:
        for parameter in layer.parameters():
            parameter.requires_grad_(False)
            frozen += parameter.numel()
    log.info("first %d of %d decoder layers frozen: %.1fM parameters", count, len(layers), frozen / 1e6)
    return frozen


def precision_args(precision: str) -> dict[str, Any]:
    """Trainer flags for the resolved precision (bf16 autocast with float32 master weights).

    The recipe's precision decides, whatever the launcher says: see :func:`match_launcher_precision`. Call it just
    before building the TrainingArguments (it sets the environment they read).
    """
    import torch

    from safealign.distributed import main_process_value

    device = "cuda" if torch.cuda.is_available() else "cpu"
    # "auto" times a matmul: ranks could disagree
    resolved = main_process_value(resolve_precision(precision, device))
    match_launcher_precision(resolved)
    return {"bf16": resolved == "bf16", "fp16": False, "use_cpu": device == "cpu"}


def match_launcher_precision(resolved: str) -> None:
    """Set ACCELERATE_MIXED_PRECISION to the recipe's resolved precision when a launcher exported another.

    ``accelerate launch`` exports its config's ``mixed_precision`` as ACCELERATE_MIXED_PRECISION, and transformers
    takes it whenever ``bf16``/``fp16`` are off: a launcher saying bf16 made an fp32 recipe train in bf16 while
    stage.json recorded fp32. Overriding (rather than refusing) keeps any launcher config usable, ``precision: auto``
    included (it resolves per machine), and what stage.json records is what ran. Without the variable there is
    nothing to override (transformers' default is no mixed precision).
    """
    wanted = "bf16" if resolved == "bf16" else "no"
    launcher = os.environ.get("ACCELERATE_MIXED_PRECISION")
    if launcher is None or launcher == wanted:
        return
    # 'no' (the shipped launchers) leaves the choice to the recipe: nothing to warn about
    if launcher != "no":
        log.warning(
            "the launcher's mixed_precision: %s (ACCELERATE_MIXED_PRECISION) is overridden by the recipe's "
            "precision, %s here: set mixed_precision: 'no' in the accelerate config to silence this, or "
            "precision: bf16 in the recipe for bf16 training",
            launcher,
            resolved,
        )
    os.environ["ACCELERATE_MIXED_PRECISION"] = wanted


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
    return {
        "activation_checkpointing"
        if "activation_checkpointing" in fields
        else "gradient_checkpointing": enabled
    }


# What transformers' Trainer resumes model weights from (its _load_from_checkpoint); FSDP, DeepSpeed and multi-adapter
# checkpoints keep theirs in subfolders, which count too.
CHECKPOINT_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "adapter_model.safetensors",
    "adapter_model.bin",
)


def resume_checkpoint(stage_dir: Path, resume: bool) -> Path | None:
    """The checkpoint a stage resumes from: the newest usable ``checkpoint-N`` when ``resume``, else None.

    A checkpoint counts once its trainer_state.json is written (the Trainer writes it last). One that is damaged all
    the same (a truncated weights or optimizer file, trainer_state.json cut short: see :func:`checkpoint_problem`) is
    skipped with a warning, and the stage resumes from the newest one before it. Raises :class:`SafealignError` naming
    them when none is usable, where the Trainer would fail with a traceback from deep inside its loading code.
    """
    from safealign.errors import SafealignError

    if not resume:
        return None
    damaged: list[tuple[Path, str]] = []
    for checkpoint in saved_checkpoints(stage_dir):
        problem = checkpoint_problem(checkpoint)
        if problem is None:
            for skipped, why in damaged:
                log.warning(
                    "not resuming from %s: %s; resuming from %s instead (delete %s, or rerun with --no-resume "
                    "to start the stage over)",
                    skipped,
                    why,
                    checkpoint.name,
                    skipped.name,
                )
            log.info("resuming from %s", checkpoint)
            return checkpoint
        damaged.append((checkpoint, problem))
    if not damaged:
        return None
    reasons = "; ".join(f"{checkpoint}: {why}" for checkpoint, why in damaged)
    folders = ", ".join(str(checkpoint) for checkpoint, _ in damaged)
    raise SafealignError(
        f"cannot resume from {damaged[0][0]}: no usable checkpoint ({reasons}). "
        f"Rerun with --no-resume to start the stage over, or delete {folders} to resume from the checkpoint before it "
        "(a save cut short: a stopped run or a full disk)."
    )


def saved_checkpoints(stage_dir: Path) -> list[Path]:
    """The ``checkpoint-N`` folders with a trainer_state.json, newest first (what ``runs.last_checkpoint`` picks from)."""
    found = [
        p
        for p in stage_dir.glob("checkpoint-*")
        if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]), reverse=True)


# What the Trainer's _load_optimizer_and_scheduler, _load_scaler and _load_rng_state read with torch.load: zip archives
# (torch.save's format), whose directory sits at the end, so a file cut short does not open as one.
TRAINER_STATE_FILES = ("optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state.pth", "rng_state_*.pth")


def checkpoint_problem(checkpoint: Path) -> str | None:
    """Why the Trainer cannot resume from ``checkpoint``, else None; reads file headers only.

    Checks trainer_state.json parses as the Trainer's state, the folder holds model weights, every ``*.safetensors``
    opens (safetensors checks its header and that the file covers every tensor's data), the optimizer and scheduler
    files a plain (not DeepSpeed or FSDP) checkpoint has are there, and each of the Trainer's torch files is whole.
    """
    import zipfile

    from transformers import TrainerState

    from safealign.models.loading import damaged_safetensors

    try:
        TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as error:
        return f"its trainer_state.json does not load ({' '.join(str(error).split())[:120]})"
    subfolders = [p for p in checkpoint.iterdir() if p.is_dir()]  # DeepSpeed, FSDP and multi-adapter state
    if not any((checkpoint / name).is_file() for name in CHECKPOINT_WEIGHTS) and not subfolders:
        return (
            "it has trainer_state.json but no model weights (model.safetensors or adapter_model.safetensors)"
        )
    if problem := damaged_safetensors(sorted(checkpoint.rglob("*.safetensors"))):
        return problem
    if not subfolders:
        missing = [name for name in ("optimizer.pt", "scheduler.pt") if not (checkpoint / name).is_file()]
        if missing:
            return f"{' and '.join(missing)} missing (the Trainer would restart the optimizer or schedule silently)"
    for file in sorted(f for pattern in TRAINER_STATE_FILES for f in checkpoint.glob(pattern)):
        try:
            with zipfile.ZipFile(file):
                pass
        except (OSError, zipfile.BadZipFile) as error:
            return f"{file.name} is damaged ({error})"
    return None


def save_final_model(trainer: Any, tokenizer: Any, stage_dir: Path, write_adapter: bool = True) -> Path:
    """Save ``stage_dir/model`` as a plain safetensors model (LoRA merged in; the adapter alone in ``adapter/``).

    Every process calls this: under ZeRO-3/FSDP ``trainer.save_model`` gathers the sharded weights
    collectively. Only the main process writes; the others wait until ``model/`` is complete.
    ``write_adapter=False``: the LoRA's base was built in memory (a ``prune:`` student) and no folder holds it; its
    adapter would record the model it was built from (the teacher) as its base and load onto that one, so the adapter
    is merged into ``model/`` only.
    """
    from safealign.distributed import is_main_process, wait_for_everyone

    # save_model writes Trainer's arguments beside the weights (training_args.bin, a pickle): no part of a model, and
    # nothing reads it there; the checkpoints --resume reads keep theirs (Trainer writes those itself).
    training_args = "training_args.bin"
    target = stage_dir / "model"
    tmp = stage_dir / "model.tmp"
    main = is_main_process()
    if main:
        shutil.rmtree(tmp, ignore_errors=True)
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):  # LoRA: refused under ZeRO-3/FSDP at stage start
        if write_adapter:
            absolute_adapter_base(model)
            trainer.save_model(str(stage_dir / "adapter"))
            if main:
                (stage_dir / "adapter" / training_args).unlink(missing_ok=True)
        elif main:  # one an earlier run left would stand beside a model/ it is not part of
            shutil.rmtree(stage_dir / "adapter", ignore_errors=True)
        if main:
            model.merge_and_unload().save_pretrained(tmp, safe_serialization=True)
    else:
        trainer.save_model(str(tmp))
        if main:  # an earlier LoRA attempt's adapter is no part of this model (the lineage lists adapter/)
            shutil.rmtree(stage_dir / "adapter", ignore_errors=True)
    if main:
        (tmp / training_args).unlink(missing_ok=True)
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    wait_for_everyone()
    return target


def absolute_adapter_base(model: Any) -> None:
    """Record a parent that is a folder by its absolute path as the adapter's ``base_model_name_or_path``.

    peft (``AutoPeftModelForCausalLM``) and safealign read that field relative to the working folder, so a run under a
    relative ``output_dir`` wrote ``runs/x/sft/model``, which loads from that one folder only; the absolute path loads
    from anywhere until the run folder moves (the stage README names the parent too). A spec that is no folder
    (``tiny``, built in memory) stays as it is: safealign loads it, and there is no file to point at instead.
    """
    from safealign.errors import ModelNotFoundError
    from safealign.models.specs import resolve_spec

    for config in model.peft_config.values():
        try:
            spec = resolve_spec(config.base_model_name_or_path or "")
        except ModelNotFoundError:
            continue
        if spec.path is not None:
            config.base_model_name_or_path = str(spec.path.resolve())


def trainer_settings(trainer: Any) -> dict[str, Any]:
    """The settings that change the weights as the Trainer's arguments hold them once training ran, recipe or not: the
    recipe section (``stage.json``'s ``config``) does not hold the optimizer, gradient clipping, TRL's loss type or
    the schedule a stage sets in code (RL's, distillation's), which come from here and from TRL's and transformers'
    defaults. ``warmup`` as given (transformers 5: below 1, a share of all steps); ``warmup_steps`` what it came to."""
    args = trainer.args
    return {
        "optimizer": str(getattr(args.optim, "value", args.optim)),
        "learning_rate": args.learning_rate,
        "adam_betas": [args.adam_beta1, args.adam_beta2],
        "adam_epsilon": args.adam_epsilon,
        "weight_decay": args.weight_decay,
        "max_grad_norm": args.max_grad_norm,
        "lr_scheduler": str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)),
        "warmup": args.warmup_steps,
        "warmup_steps": args.get_warmup_steps(trainer.state.max_steps),
        "loss_type": getattr(args, "loss_type", None),
    }


def without_trl_model_card(trainer: Any) -> None:
    """Keep TRL from writing its model card into the stage folder. TRL's trainers write README.md there at every
    checkpoint ("a fine-tuned version of [tiny](https://huggingface.co/tiny)", a quick start loading ``model="None"``);
    the stage writes its own README only when it finishes, so a stopped stage's folder showed TRL's as the stage's."""
    trainer.create_model_card = lambda *args, **kwargs: None
