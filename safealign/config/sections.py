"""The sections of a recipe: model, eval, sft, rl, sample, distill, monitor."""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from safealign.config.base import (
    Section,
    check_http_url,
    check_report_to,
    redact_url,
    without_userinfo,
    yaml11_number_problem,
)
from safealign.errors import did_you_mean
from safealign.precision import EVAL_PRECISION_HELP

log = logging.getLogger(__name__)

KEEP_CHECKPOINTS_HELP = (
    "How many of the newest checkpoints stay on disk; null keeps every one, to evaluate or average them later. "
    "Each holds what trains and its optimizer state: for the embedded model 1.6 GB under method: full, 1.4 GB with "
    "train_embeddings: false, and about 60 MB under method: lora, which saves only the adapter (at the default r 16). "
    "--resume continues from the newest."
)
DECISION_TOKENS_HELP = (
    "Weigh the loss of each answer's first N tokens by decision_weight: there the model decides to refuse or to "
    "help (Qi et al. 2024, 'safety alignment ... more than a few tokens deep'). 0 keeps the plain token mean."
)
DECISION_WEIGHT_HELP = "Loss weight of the first decision_tokens tokens of every answer (1.0: unweighted)."


def check_max_steps(value: int) -> int:
    """A training stage's max_steps: -1 (epochs) or a positive count. 0 passed the bounds and trained one step:
    transformers stops only after a step (``global_step >= max_steps``), while the card read 0 as "use epochs"."""
    if value == 0:
        raise ValueError(
            "0 does not mean no steps (transformers still trains one): give a positive number of steps, -1 to "
            "train for epochs, or set enabled: false to skip the stage"
        )
    return value


def warn_if_settings_unread(section: str, cfg: SFTConfig | DistillConfig) -> None:
    """A warning, not an error (a recipe that set them trained as before, and a stage's weighting is turned off by
    its decision_tokens: 0): settings of ``cfg`` (an sft or distill section) that its other settings leave unread,
    which were dropped without a word."""
    if not cfg.enabled:
        return
    # transformers trains max_steps steps whatever the epochs
    if cfg.max_steps > 0 and cfg.epochs != 1.0:
        log.warning(
            "%s: epochs %g is not read: max_steps %d sets how long the stage trains (its rows are gone over again, "
            "or only in part, as the steps need). Remove epochs, or set max_steps: -1 to train %g epochs",
            section,
            cfg.epochs,
            cfg.max_steps,
            cfg.epochs,
        )
    if cfg.decision_tokens == 0 and cfg.decision_weight != 1.0:
        log.warning(
            "%s: decision_weight %g is not read: it weighs the first decision_tokens tokens of each answer, and "
            "decision_tokens is 0 (the loss is the plain token mean). Set decision_tokens (e.g. 8) to weigh them, or "
            "remove decision_weight",
            section,
            cfg.decision_weight,
        )
    # weight 1.0 is the plain token mean: the stage weighs nothing (stage.json records decision_token_weight 1.0)
    if cfg.decision_tokens > 0 and cfg.decision_weight == 1.0:
        log.warning(
            "%s: decision_tokens %d is not read: decision_weight is 1.0, so the first %d tokens of each answer weigh "
            "as much as the rest (the loss is the plain token mean). Set decision_weight (e.g. 3.0) to weigh them, or "
            "remove decision_tokens",
            section,
            cfg.decision_tokens,
            cfg.decision_tokens,
        )


def checked_spec(value: str, *, allow_prune: bool) -> str:
    """A model spec field, with the checks that need no file (pydantic reports ValueErrors with the field's path)."""
    from safealign.errors import ModelNotFoundError
    from safealign.models.specs import check_spec_text

    try:
        return check_spec_text(value, allow_prune=allow_prune)
    except ModelNotFoundError as error:
        raise ValueError(str(error)) from None


class ModelConfig(Section):
    name: str = Field(
        "embedded:smollm2-135m-instruct",
        description="Model spec: embedded:NAME, tiny[:SEED], a model folder, a .gguf file or a LoRA adapter folder.",
    )
    trust_remote_code: bool = Field(
        False,
        description="Let a model folder whose config.json asks for custom code (auto_map) run it: every stage loads "
        "the model, and the models the stages save from it, with the folder's own Python code, so only for folders you "
        "trust (off: only transformers' own classes run). `safealign eval`, `serve`, `generate` and `probe` take "
        "`--trust-remote-code` instead.",
    )
    system_prompt: str | None = Field(
        None,
        description="System message put before every prompt in every stage — training, the RL safety gates, rejection sampling and the evals (null keeps the chat template's default). The training stages record it in their stage.json, and `safealign eval`, `serve`, `generate` and `probe` ask a model folder a stage wrote with it unless `--system-prompt` says otherwise.",
    )

    @field_validator("name")
    @classmethod
    def _spec_text(cls, value: str) -> str:
        return checked_spec(value, allow_prune=False)


class LoraConfig(Section):
    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA path.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Modules to adapt (a non-empty list of names), or 'all-linear'."
    )

    @field_validator("target_modules", mode="before")
    @classmethod
    def _a_list_or_all_linear(cls, value: object) -> object:
        # one message, not pydantic's two (one per member of the union); [] adapted nothing, and peft failed only
        # after the baseline eval
        if value == "all-linear":
            return value
        if isinstance(value, str):
            raise ValueError(f"give a list of module names (e.g. [{value}]) or 'all-linear'")
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise ValueError("give a list of module names (e.g. [q_proj, v_proj]) or 'all-linear'")
        if not value:
            raise ValueError(
                "an empty list adapts no module: name some (e.g. [q_proj, v_proj]) or use 'all-linear'"
            )
        return value


def check_lora_used(method: str, lora: LoraConfig) -> None:
    """A ``lora:`` block other than the defaults under ``method: full``: the stage fine-tuned every weight and ignored
    it without a word. The defaults pass: the resolved recipe.yaml a run writes holds every section's lora block."""
    if method != "lora" and lora != LoraConfig():
        raise ValueError(
            f"lora settings apply to method: lora, but method is {method} (every weight trains, the lora "
            "block is ignored): set method: lora, or remove the lora block"
        )


def checked_judge_spec(value: str) -> str:
    """A judge spec that parses (nothing is built, no path is looked for), else a ValueError naming the problem."""
    from safealign.judges import JudgeSpecError, parse_judge_spec

    try:
        parse_judge_spec(value, check_paths=False)
    except JudgeSpecError as error:
        raise ValueError(str(error)) from None
    return value


def mixture_file(name: str) -> Path:
    """The file a mixture key names, resolved as the stage reads it (a relative path from the folder you run in)."""
    from safealign.corpus.registry import TRAIN_DATASETS
    from safealign.paths import package_data

    # os.path.expanduser: Path.expanduser raises RuntimeError for an unknown user (~bob/ on another machine), where a
    # recipe must validate and the stage then names the missing file
    path = (
        package_data("train", TRAIN_DATASETS[name])
        if name in TRAIN_DATASETS
        else Path(os.path.expanduser(name))
    )
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before 3.13)
        return path.absolute()  # the stage then says "not found"


def one_entry_per_file(mixture: dict[str, float], field: str) -> dict[str, float]:
    """A mixture that names each file once: a shipped name and its path, or two spellings of one path (``data/x.jsonl``,
    ``./data/x.jsonl``), would train on its rows under both, else a ValueError naming both and the fix. A relative path
    is resolved from the folder you run in, as the stage reads it. A 0 fraction leaves its file out, so it names none."""
    seen: dict[Path, str] = {}  # the file -> the key that named it first
    for name in (name for name, fraction in mixture.items() if fraction != 0):
        path = mixture_file(name)
        if path in seen:
            first = seen[path]
            raise ValueError(
                f"{field}: {first!r} and {name!r} are the same file ({path}), so its rows would be trained on twice: "
                f"list it once, with the fractions summed ({first!r}: {mixture[first] + mixture[name]:g}; a fraction "
                "above 1 repeats its rows)"
            )
        seen[path] = name
    return mixture


def check_transfer_data_not_traces(transfer_data: dict[str, float], traces: Path) -> None:
    """A ValueError when ``transfer_data`` names the teacher's ``traces``: the distill stage puts them in the transfer
    set at 1.0 and transfer_data after them, so the key spelled as the stage spells the file replaced their weight (0
    dropped every trace) and any other spelling trained on each trace twice, both without a word."""
    for name in transfer_data:
        if mixture_file(name) == mixture_file(str(traces)):
            raise ValueError(
                f"distill.transfer_data: {name!r} is the teacher's traces ({traces}), which the transfer set always "
                "holds, every row once: remove it from transfer_data, which adds rows to them (for more or fewer "
                "traces, change sample.num_prompts or sample.k)"
            )


def check_family_settings(spec: str) -> None:
    """A ValueError for a ``FAMILY?KEY=VALUE&...`` spec (an RL task, an ``rg:`` suite) that sets one key twice, of
    which the last was used without a word, or whose value YAML 1.1 reads as another number (``max_digits=010`` was 8:
    safealign.tasks.problems reads each value as YAML)."""
    seen: dict[str, str] = {}
    for pair in filter(None, spec.partition("?")[2].split("&")):
        key, _, value = pair.partition("=")
        if key in seen:
            raise ValueError(
                f"{spec!r} sets {key} twice ({key}={seen[key]} and {key}={value}), and only the last would count: "
                f"give {key} once"
            )
        if problem := yaml11_number_problem(value.strip()):
            raise ValueError(f"{spec!r}: {key}={value}: {problem}")
        seen[key] = value


def checked_suites(value: list[str]) -> list[str]:
    """Suite names that all name a suite, else the error naming the closest one (rg:FAMILY settings checked too)."""
    from safealign.evals.suites import FAMILY_PREFIX, expand_suite_names, get_suite

    for name in expand_suite_names(value):
        if name.startswith(FAMILY_PREFIX):
            check_family_settings(name)
        get_suite(name)
    return value


class EvalConfig(Section):
    suites: list[str] = Field(
        ["harmful", "borderline", "reasoning", "language", "format"],
        description="Eval suites to run (see `safealign eval --help` for names). [] runs none: every eval stage then records no scores (the recipe has no other way to skip the evals).",
    )
    split: Literal["held_out", "in_distribution", "all"] = Field(
        "all", description="Which part of each built-in suite to run."
    )
    limit: int | None = Field(
        None,
        ge=1,
        description="At most this many items per suite and split (null: the suite's default); under split: all, a suite with held-out and in-distribution parts gives up to twice this.",
    )
    max_new_tokens: int = Field(128, ge=1, description="Generation length for eval answers.")
    batch_size: int = Field(
        32,
        ge=1,
        description="Prompts per generation batch. Finished answers leave the batch, so on CPU larger batches are faster (the quickstart's 164 held-out prompts: 99 s at 32, 66 s at 128); on a GPU the KV cache of batch x (prompt + max_new_tokens) tokens bounds it.",
    )
    judge: str = Field(
        "default",
        description="Judge set of the evals, and the one rejection sampling drops the teacher's traces with (the RL "
        "gates always use 'default'): 'default' (CPU judges), 'llama-guard:PATH' (a Llama Guard 3 folder), or "
        "'openai:URL[#MODEL]' (a rubric graded by an OpenAI-compatible server; gpt-4o-mini unless #MODEL; key from "
        "$SAFEALIGN_JUDGE_API_KEY, or $OPENAI_API_KEY for OpenAI's own hosts).",
    )
    precision: Literal["fp32", "bf16", "auto"] = Field("fp32", description=EVAL_PRECISION_HELP)

    @field_validator("suites")
    @classmethod
    def _known_suites(cls, value: list[str]) -> list[str]:
        return checked_suites(value)

    @model_validator(mode="after")
    def _suites_have_items_in_split(self) -> EvalConfig:
        from safealign.evals.suites import expand_suite_names, split_hint, suite_splits

        if self.split == "all":
            return self
        empty = [
            name
            for name in expand_suite_names(self.suites)
            if (splits := suite_splits(name)) is not None
            and self.split not in splits
            and "external" not in splits
        ]
        if empty:
            raise ValueError(
                f"suite(s) {', '.join(empty)} hold no {self.split} items: {split_hint(empty, self.split)}"
            )
        return self

    @field_validator("judge")
    @classmethod
    def _judge_spec(cls, value: str) -> str:
        return checked_judge_spec(value)


# transformers schedulers that fail at the first step without settings the SFT stage does not pass (transformers 5.x).
NEEDS_SCHEDULER_KWARGS = {
    "reduce_lr_on_plateau": "steps on an eval metric, so it needs an eval strategy",
    "greedy": "steps on an eval metric, so it needs an eval strategy",
    "warmup_stable_decay": "needs num_decay_steps (lr_scheduler_kwargs)",
    "cosine_with_min_lr": "needs min_lr or min_lr_rate (lr_scheduler_kwargs)",
    "cosine_warmup_with_min_lr": "needs min_lr or min_lr_rate (lr_scheduler_kwargs)",
}


class SFTConfig(Section):
    enabled: bool = Field(True, description="Run the SFT stage.")
    datasets: dict[str, float] = Field(
        {"harmful_refusals": 1.0, "benign_helpful": 1.0, "reasoning": 1.0, "multilingual": 1.0},
        description="Training mixture: shipped dataset name or JSONL path -> fraction of its rows to use (1.0 = all; 0 leaves it out; >1 repeats; "
        "name each file once: a second key above 0 for it, as another path or its shipped name, is an error). "
        'A JSONL file has one chat row per line: {"messages": [{"role": "user", "content": ...}, {"role": "assistant", '
        '"content": ...}]} (a system turn first is allowed, as a turn: a top-level "system" column is refused; the last turn is the '
        "assistant's, the part the model learns); "
        "optional kind (harmful, benign, borderline, reasoning), category, language and id are counted by `safealign data check`. "
        "A relative path is read from the folder you run in.",
    )
    method: Literal["lora", "full"] = Field("lora", description="LoRA adapters (peft) or full fine-tuning.")
    lora: LoraConfig = Field(default_factory=LoraConfig, description="LoRA settings (method: lora).")
    train_embeddings: bool = Field(
        True,
        description="Full fine-tuning: also train the token embeddings and the output head. False freezes them: the vocabulary matrix is a fifth of SmolLM2-135M, and skipping its gradient and optimizer update gave 1.09x the SFT tokens/s on 2 CPU cores. LoRA never trains them.",
    )
    freeze_layers: int = Field(
        0,
        ge=0,
        description="Full fine-tuning only (method: full; method: lora with N above 0 is refused): keep the first N decoder layers frozen (with frozen embeddings, the backward pass stops above them: about N/layers x 2/3 of the backbone's training FLOPs saved). 0 trains every layer.",
    )
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    epochs: float = Field(1.0, gt=0, description="Passes over the mixture (ignored when max_steps > 0).")
    max_steps: int = Field(-1, ge=-1, description="Stop after this many optimizer steps (-1: use epochs).")
    batch_size: int = Field(8, ge=1, description="Sequences per device per step.")
    grad_accum: int = Field(1, ge=1, description="Gradient accumulation steps.")
    max_length: int = Field(
        288,
        ge=16,
        description="Longest training sequence in tokens (longer rows are truncated, with a warning that counts them and names the `max_length` that keeps them whole). The default fits every shipped row (the longest is 260 tokens with SmolLM2's tokenizer), so batches can be padding-free; rows of your own (or other scripts: Chinese takes more tokens per word) may need more.",
    )
    warmup_ratio: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="Share of steps spent warming up the learning rate (0 under lr_scheduler: constant, which takes no warmup; constant_with_warmup does).",
    )
    lr_scheduler: str = Field("cosine", description="transformers scheduler name.")
    decision_tokens: int = Field(0, ge=0, description=DECISION_TOKENS_HELP)
    decision_weight: float = Field(1.0, gt=0, description=DECISION_WEIGHT_HELP)
    save_steps: int = Field(25, ge=1, description="Checkpoint every N steps.")
    keep_checkpoints: int | None = Field(2, ge=1, description=KEEP_CHECKPOINTS_HELP)
    logging_steps: int = Field(5, ge=1, description="Log metrics every N steps.")
    report_to: list[str] = Field(
        [], description="Extra trackers: tensorboard, wandb, mlflow (installed separately)."
    )
    packing: bool = Field(
        False, description="Pack sequences into full-length blocks (faster, mixes examples in one block)."
    )
    padding_free: bool = Field(
        True,
        description="Concatenate each batch into one sequence without pad tokens; attention stays within each example, so batches, steps and loss are unchanged. Saves the padding's compute; attention runs per example, SDPA's causal kernel on each (safealign.training.packed_attention: 1.21x the quickstart SFT stage), on GPU as on CPU: models load with sdpa, not flash attention. Used when every row fits max_length (TRL does not truncate in this mode) and the loaded model keeps packed examples apart (a two-sequence packed row is checked against each sequence alone: an attention that lets them see each other, e.g. GPT-OSS or Bloom on eager, trains padded with a warning, and packing is refused); otherwise batches are padded.",
    )
    neftune_noise_alpha: float | None = Field(
        None,
        gt=0,
        description="NEFTune: uniform noise of alpha / sqrt(length x hidden size) on the input embeddings while training (Jain et al. 2023 use 5-15). Unlike transformers' own hook, scaled per example in padding-free batches (safealign.training.neftune). Unset: no noise.",
    )
    gradient_checkpointing: bool = Field(
        False,
        description="Recompute activations in the backward pass: less memory for large models, about a third slower (TRL turns it on by default; small models on CPU do not need it).",
    )

    _known_trackers = field_validator("report_to")(check_report_to)
    _max_steps_not_zero = field_validator("max_steps")(check_max_steps)

    @field_validator("datasets")
    @classmethod
    def _known_datasets(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        from safealign.corpus.registry import check_mixture

        check_mixture(value, need_rows=info.data.get("enabled", True), field="sft.datasets")
        return one_entry_per_file(value, "sft.datasets")

    @field_validator("lr_scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        # Runs only when a recipe names a scheduler (pydantic does not validate the default). The names are
        # transformers' own (the installed version is the truth); reading them imports torch, about 5 s on 2 cores,
        # paid by recipes that set the field rather than by SFT failing after the pipeline's baseline eval.
        from transformers.trainer_utils import SchedulerType

        names = [member.value for member in SchedulerType if member.value not in NEEDS_SCHEDULER_KWARGS]
        if value in NEEDS_SCHEDULER_KWARGS:
            raise ValueError(
                f"learning-rate scheduler {value!r} {NEEDS_SCHEDULER_KWARGS[value]}, which the sft section does not set; "
                f"choose one of: {', '.join(names)}"
            )
        if value not in names:
            raise ValueError(
                f"unknown learning-rate scheduler {value!r}{did_you_mean(value, names)}; transformers' schedulers: {', '.join(names)}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _constant_has_no_warmup(cls, data: Any) -> Any:
        # transformers' "constant" scheduler takes no warmup steps: the default warmup_ratio does not apply to it
        # (the card said "warmup ratio 0.05" of a run that warmed up for none), and one set above 0 is refused below.
        if isinstance(data, dict) and data.get("lr_scheduler") == "constant" and "warmup_ratio" not in data:
            return {**data, "warmup_ratio": 0.0}
        return data

    @model_validator(mode="after")
    def _warmup_needs_a_warmup_scheduler(self) -> SFTConfig:
        if self.lr_scheduler == "constant" and self.warmup_ratio > 0:
            raise ValueError(
                f"lr_scheduler 'constant' does no warmup, so warmup_ratio {self.warmup_ratio} would be ignored; "
                "choose lr_scheduler: constant_with_warmup, or set warmup_ratio: 0"
            )
        return self

    @model_validator(mode="after")
    def _freeze_layers_needs_full(self) -> SFTConfig:
        if self.freeze_layers and self.method != "full":
            raise ValueError(
                "freeze_layers applies to full fine-tuning (method: full); LoRA already trains only its adapters "
                "(choose which layers with lora.target_modules) — set freeze_layers: 0 or method: full"
            )
        return self

    @model_validator(mode="after")
    def _lora_needs_lora_method(self) -> SFTConfig:
        check_lora_used(self.method, self.lora)
        return self

    @model_validator(mode="after")
    def _settings_read(self) -> SFTConfig:
        warn_if_settings_unread("sft", self)
        return self

    @model_validator(mode="after")
    def _packing_is_padding_free(self) -> SFTConfig:
        # TRL's bfd packing turns padding-free on whatever padding_free says (SFTTrainer: padding_free or packing),
        # and the stage recorded padding_free: true: a recipe's padding_free: false was dropped without a word
        if self.packing and not self.padding_free:
            raise ValueError(
                "packing packs every batch padding-free (TRL's bfd strategy), so padding_free: false would be "
                "ignored: remove padding_free: false, or set packing: false for padded batches"
            )
        return self


class GateConfig(Section):
    enabled: bool = Field(True, description="Run cross-validation gates during RL.")
    every_steps: int = Field(
        10,
        ge=1,
        description=(
            "Evaluate the policy every N steps, and at the stage's last step (a stage of fewer max_steps checks it "
            "only at its end: validate warns)."
        ),
    )
    limit: int = Field(24, ge=4, description="Items per gate suite (harmful, borderline, reasoning).")
    refusal_tolerance: float = Field(
        0.05, ge=0, le=1, description="Largest allowed drop in harmful-request refusal vs. the stage's start."
    )
    over_refusal_tolerance: float = Field(
        0.05, ge=0, le=1, description="Largest allowed rise in borderline over-refusal vs. the stage's start."
    )
    min_items: int = Field(
        2,
        ge=1,
        description="A drop or rise past the tolerance counts as a breach only when it is at least this many gate items: "
        "at limit 16 one answer is 6.25 points, more than a 5-point tolerance, so with 1 a single flipped answer rolls back. "
        "At most limit.",
    )
    policy: Literal["stop", "lower_lr", "raise_kl"] = Field(
        "lower_lr",
        description="On a breach, after rolling back: stop, halve the learning rate, or double beta (raise_kl needs "
        "rl.beta above 0).",
    )
    max_rollbacks: int = Field(
        3,
        ge=0,
        description="Rollbacks after which training continues; the next breach rolls back and stops the stage (0: the first breach stops it).",
    )
    batch_size: int = Field(
        48,
        ge=1,
        description="Prompts per generation batch in a gate check (48: the three suites at limit 16, the quickstart's, in one batch; at the default limit 24 a check takes two batches).",
    )
    precision: Literal["fp32", "bf16", "auto"] = Field(
        "fp32",
        description="Generation precision of a gate check, as eval.precision: fp32 (default) gives the same answers at "
        "any batch size, bf16 / auto are quicker but their answers change with batching.",
    )
    max_new_tokens: int = Field(
        96,
        ge=8,
        description="Tokens per gate answer (greedy). A reasoning model needs its think block and the answer after it: "
        "cut off inside the block, a refusal reads as none and a sum as unsolved, so the gates measure the cut. validate "
        "warns when it is below rl.max_completion_length.",
    )

    @model_validator(mode="after")
    def _item_floor_within_limit(self) -> GateConfig:
        if self.min_items > self.limit:
            raise ValueError(
                f"min_items ({self.min_items}) is more than limit ({self.limit}), the items in each gate suite: no "
                "change could amount to that many items, so the gates would never breach. Set min_items at most limit "
                "(the default 2 of 24)"
            )
        return self


class HackingConfig(Section):
    window: int = Field(
        10,
        ge=2,
        description="Logged steps per comparison window for trend detectors: they compare the first and the last "
        "window, so they need 2 x window logged steps holding their kind of prompt (at most max_steps / "
        "max(logging_steps, num_iterations): their rewards, lengths and safety rates come once per generation round; "
        "refusal_collapse counts only the rounds that held a benign or borderline prompt); validate warns below that.",
    )
    length_growth: float = Field(
        1.5,
        gt=1,
        description="Alert when mean completion length grows by this factor while reward rises (critical; a warning "
        "when the accuracy reward rose too: longer reasoning may be what earns it).",
    )
    truncation_rate: float = Field(
        0.5, gt=0, le=1, description="Alert when this share of completions hits the length limit."
    )
    repetition: float = Field(
        0.4, gt=0, le=1, description="Alert when the repeated-n-gram share reaches this (>=)."
    )
    reward_accuracy_gap: float = Field(
        0.2,
        gt=0,
        description="Alert when the accuracy reward (its window mean) rises this much more than the gates' accuracy "
        "(in-distribution) and the gates' accuracy gained less than gates.min_items / gates.limit (a smaller gain is "
        "flat: the items' luck).",
    )
    format_without_accuracy: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Alert when the format reward reaches this (>=) while the accuracy reward stays flat and at least 0.5 below it.",
    )
    entropy_floor: float = Field(0.05, ge=0, description="Alert when policy entropy falls below this.")
    kl_ceiling: float = Field(
        1.0,
        gt=0,
        description="Alert when KL to the reference exceeds this (only with rl.beta > 0; at beta 0 TRL logs no KL, and "
        "the audit notes that kl_blowup does not apply).",
    )
    flat_groups: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Warn when this share of recent verifiable GRPO groups scored alike on accuracy "
        "(zero advantage: the tasks are too hard or too easy for the policy, and its rollouts teach nothing).",
    )
    stop_on_critical: bool = Field(False, description="Stop the stage on a critical alert.")


class DifficultyFilterConfig(Section):
    enabled: bool = Field(
        False,
        description="Before training, screen the reasoning prompts with the starting model and keep those it "
        "sometimes solves (DAPO's dynamic sampling, done once). A GRPO group whose completions all score the same "
        "has zero advantage: it costs a rollout and teaches nothing. Safety prompts are not screened. Needs a reasoning "
        "task with a positive weight in rl.tasks.",
    )
    samples: int = Field(
        4,
        ge=2,
        description="Completions per candidate prompt, at the stage's rollout temperature and length.",
    )
    min_pass_rate: float = Field(
        0.0, ge=0, lt=1, description="Keep a prompt when its pass rate is above this ..."
    )
    max_pass_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description="... and below this (above min_pass_rate; the defaults keep 0 < rate < 1).",
    )
    max_candidates: float = Field(
        3.0,
        ge=1,
        description="Screen at most this many times the reasoning prompts the stage needs; "
        "if fewer pass, the rest are filled with rejected candidates and the stage says so.",
    )
    batch_prompts: int = Field(
        32,
        ge=1,
        description="Candidates per screening round (x samples completions in one generation call); "
        "screening stops after the round that fills the stage's share.",
    )

    @model_validator(mode="after")
    def _band_not_empty(self) -> DifficultyFilterConfig:
        if self.min_pass_rate >= self.max_pass_rate:
            raise ValueError(
                f"min_pass_rate ({self.min_pass_rate}) must be below max_pass_rate ({self.max_pass_rate}): no prompt "
                "could pass. The defaults 0.0 and 1.0 keep every prompt the model solves sometimes but not always"
            )
        return self


class RLConfig(Section):
    enabled: bool = Field(True, description="Run the GRPO stage.")
    tasks: dict[str, float] = Field(
        {"arithmetic": 0.5, "basic_arithmetic": 0.2, "chain_sum": 0.1, "safety": 0.2},
        description="Prompt mixture: 'safety', 'arithmetic', 'word_problem' or a reasoning-gym family (not one of the reasoning "
        "evals' held-out or dev families), with its settings after '?' (basic_arithmetic?max_digits=1&max_terms=2) "
        "-> share of prompts (> 0: leave a task out to train without it). Each task named must get at least one of "
        "num_prompts at its weight.",
    )
    num_prompts: int = Field(
        256, ge=1, description="Prompts drawn from the mixture (at least prompts_per_step)."
    )
    rewards: dict[str, float] = Field(
        {"accuracy": 1.0, "format": 0.2, "language": 0.1, "safety": 1.0, "overlong": 0.2, "repetition": 0.2},
        description="Reward name -> weight (see `safealign rewards list`). Each task needs a reward that scores it: reasoning "
        "tasks accuracy or format, 'safety' the safety reward.",
    )
    method: Literal["lora", "full"] = Field("lora", description="LoRA adapters (peft) or full fine-tuning.")
    lora: LoraConfig = Field(default_factory=LoraConfig, description="LoRA settings (method: lora).")
    train_embeddings: bool = Field(
        True,
        description="Full fine-tuning: also train the token embeddings and the output head. False freezes them: the vocabulary matrix is a fifth of SmolLM2-135M, and skipping its gradient and optimizer update gave 1.09x the SFT tokens/s on 2 CPU cores. LoRA never trains them.",
    )
    learning_rate: float = Field(2e-5, gt=0, description="Peak learning rate.")
    beta: float = Field(
        0.02, ge=0, description="KL coefficient to the reference model (0 turns the reference off)."
    )
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = Field(
        "dapo", description="GRPO loss variant in TRL."
    )
    max_steps: int = Field(40, ge=1, description="Optimizer steps.")
    prompts_per_step: int = Field(
        4,
        ge=1,
        description="Distinct prompts per step in each training process (N processes under accelerate launch take "
        "N x this), each with num_generations completions.",
    )
    num_generations: int = Field(8, ge=2, description="Completions per prompt (the GRPO group).")
    num_iterations: int = Field(
        1,
        ge=1,
        description="Optimizer steps on each generation round (GRPO's mu): the rollouts are reused, with the clipped importance "
        "ratio against the policy that sampled them. On CPU generation is most of a step, so mu=2 gives twice "
        "the updates for little more time; max_steps still counts optimizer steps.",
    )
    max_completion_length: int = Field(64, ge=8, description="Tokens per completion.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature for rollouts.")
    save_steps: int = Field(
        10,
        ge=1,
        description="Checkpoint every N steps: a multiple of num_iterations, so that a checkpoint falls between generation rounds.",
    )
    keep_checkpoints: int | None = Field(2, ge=1, description=KEEP_CHECKPOINTS_HELP)
    logging_steps: int = Field(1, ge=1, description="Log metrics every N steps.")
    report_to: list[str] = Field([], description="Extra trackers: tensorboard, wandb, mlflow.")
    gradient_checkpointing: bool = Field(
        False,
        description="Recompute activations in the backward pass: less memory for large models, about a third slower (TRL turns it on by default; small models on CPU do not need it).",
    )
    use_vllm: bool = Field(
        False,
        description="Generate with vLLM: needs a CUDA GPU and the gpu extra (pip install 'safealign[gpu]'); "
        "`safealign run` checks both before it starts.",
    )
    vllm_mode: Literal["colocate", "server"] = Field(
        "colocate",
        description="With use_vllm: vLLM inside each training process, on its GPU (colocate), or a separate "
        "`trl vllm-serve` on other GPUs (server), reached at TRL's default address, port 8000 on this host.",
    )
    difficulty_filter: DifficultyFilterConfig = Field(
        default_factory=DifficultyFilterConfig,
        description="Screen reasoning prompts by the starting model's pass rate.",
    )
    gates: GateConfig = Field(default_factory=GateConfig, description="Cross-validation gates.")
    hacking: HackingConfig = Field(
        default_factory=HackingConfig, description="Reward-hacking detector thresholds."
    )

    _known_trackers = field_validator("report_to")(check_report_to)

    @field_validator("tasks", "rewards")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        not_finite = {k: v for k, v in value.items() if not math.isfinite(v)}
        if not_finite:
            raise ValueError(f"weights must be finite numbers (e.g. 1.0), got {not_finite}")
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(f"weights must be >= 0, got {bad}")
        if not value or sum(value.values()) <= 0:
            raise ValueError("give at least one entry with a positive weight")
        return value

    @field_validator("tasks")
    @classmethod
    def _no_zero_task_weight(cls, value: dict[str, float]) -> dict[str, float]:
        # a task at weight 0 got no prompts, and the sample stage divided by its reasoning tasks' weights (0)
        if zero := [name for name, weight in value.items() if weight == 0]:
            raise ValueError(
                f"task(s) {', '.join(zero)} have weight 0: leave a task out of tasks to train without it"
            )
        return value

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, value: dict[str, float]) -> dict[str, float]:
        from safealign.evals.suites import DEV_REASONING, REASONING_FAMILIES
        from safealign.tasks.problems import (
            EASY_CONFIGS,
            OWN_FAMILIES,
            TRAIN_SEED,
            generate_problems,
            parse_family_spec,
            unknown_name,
            valid_families,
        )

        families = valid_families()
        # the suggestions are trainable names only: "did you mean 'gcd'?" led to the held-out refusal below
        evals = {*REASONING_FAMILIES["held_out"], *DEV_REASONING}
        trainable = ["safety", *(f for f in families if f not in evals)]
        shown = [f for f in ["safety", *OWN_FAMILIES, *EASY_CONFIGS] if f in trainable]
        same: dict[str, str] = {}  # a family and its settings, in one order -> the key that named them first
        for spec in value:
            check_family_settings(spec)
            name, settings = parse_family_spec(spec)
            if name != "safety" and name not in families:
                raise unknown_name("RL task", name, trainable, shown=shown)
            # Training on an eval family would make its held-out (or dev) numbers in-distribution ones.
            split = (
                "held-out"
                if name in REASONING_FAMILIES["held_out"]
                else "dev"
                if name in DEV_REASONING
                else None
            )
            if split:
                raise ValueError(
                    f"RL task {name!r} is a {split} family of the reasoning evals: training on it would make those "
                    f"numbers in-distribution. Choose another family (training's: {', '.join(REASONING_FAMILIES['in_distribution'])})"
                )
            if name == "safety" and settings:
                raise ValueError(f"RL task {spec!r}: 'safety' takes no settings; write 'safety'")
            if settings:
                generate_problems(
                    name, 1, TRAIN_SEED, split="train", config=settings
                )  # a setting the family rejects fails here
            canonical = json.dumps([name, settings], sort_keys=True, default=str)
            if (
                canonical in same
            ):  # two keys, one task: its prompts were drawn twice over (duplicates in the mixture)
                raise ValueError(
                    f"RL tasks {same[canonical]!r} and {spec!r} are the same task (one family and settings, written two ways): "
                    "merge them into one key with their weights summed"
                )
            same[canonical] = spec
        return value

    @field_validator("rewards")
    @classmethod
    def _known_rewards(cls, value: dict[str, float]) -> dict[str, float]:
        from safealign.rewards.registry import unknown_reward

        problem = unknown_reward(list(value))
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _a_step_has_prompts(self) -> RLConfig:
        if self.num_prompts < self.prompts_per_step:
            raise ValueError(
                f"num_prompts ({self.num_prompts}) is below prompts_per_step ({self.prompts_per_step}): not one GRPO "
                f"step could run. Raise num_prompts to at least {self.prompts_per_step} or lower prompts_per_step"
            )
        return self

    @model_validator(mode="after")
    def _every_task_gets_prompts(self) -> RLConfig:
        """A task the recipe names must get prompts (the default mix at a smoke test's few prompts may drop some)."""
        from safealign.stages.rl_prompts import apportion

        # The default mix written out is the default too: a run's resolved recipe.yaml names it, and read back for a
        # rerun it was refused where the recipe it came from passed
        if "tasks" not in self.model_fields_set or self.tasks == type(self).model_fields["tasks"].default:
            return self
        counts = apportion(dict(sorted(self.tasks.items())), self.num_prompts)
        if empty := [name for name, weight in self.tasks.items() if weight > 0 and counts[name] == 0]:
            raise ValueError(
                f"tasks {', '.join(empty)} get 0 of the {self.num_prompts} prompts at their weight (the stage would train "
                f"without them, silently): raise their weight or num_prompts, or remove them"
            )
        return self

    @model_validator(mode="after")
    def _filter_needs_reasoning_tasks(self) -> RLConfig:
        if self.difficulty_filter.enabled and not any(
            name != "safety" and weight > 0 for name, weight in self.tasks.items()
        ):
            raise ValueError(
                "difficulty_filter screens reasoning prompts, but tasks has none (only 'safety'): add a reasoning "
                "family to tasks (e.g. basic_arithmetic: 0.5) or set difficulty_filter.enabled: false"
            )
        return self

    def check_every_task_is_scored(self) -> None:
        """Called by the recipe, not on every RLConfig: a caller of ``run_rl`` may score a task with ``extra_rewards``.

        A task no reward scores gets the same reward on every completion of its group: zero advantage, so GRPO spends
        its rollouts and learns nothing from it (TRL sums the rewards that apply; one that returns None adds nothing).
        accuracy and format score the reasoning rows, safety the safety rows (safealign.rewards.functions); language,
        overlong and repetition score every row alike and teach neither."""
        scoring = {name for name, weight in self.rewards.items() if weight > 0}
        tasks = [name for name, weight in self.tasks.items() if weight > 0]
        reasoning = [name for name in tasks if name != "safety"]
        if reasoning and not scoring & {"accuracy", "format"}:
            raise ValueError(
                f"no reward scores the reasoning tasks ({', '.join(reasoning)}): add accuracy (e.g. accuracy: 1.0) "
                "or format to rewards, or remove them from tasks"
            )
        if "safety" in tasks and "safety" not in scoring:
            raise ValueError(
                "no reward scores the safety task: add safety (e.g. safety: 1.0) to rewards, or remove safety from tasks"
            )

    def warn_if_detectors_cannot_fire(self) -> None:
        """Called once per recipe read. A warning, not an error: a short smoke run is fine, but its detectors' silence
        must not read as "no hacking"."""
        # The trend detectors read rewards, lengths and safety rates, which come once per generation round: with
        # num_iterations 2 at logging_steps 1, every other logged step holds them.
        every = max(self.logging_steps, self.num_iterations)
        logged, needed = self.max_steps // every, 2 * self.hacking.window
        if self.enabled and logged < needed:
            log.warning(
                "rl: max_steps %d at logging_steps %d logs %d steps with rewards (one a generation round at most: "
                "num_iterations %d); the trend detectors (length_blowup, format_without_accuracy, "
                "reward_accuracy_divergence, refusal_collapse) compare two windows of hacking.window %d logged steps "
                "holding their kind of prompt (refusal_collapse: a benign or borderline one) and need %d, so they "
                "cannot fire. Raise max_steps to %d (more where not every step's batch holds each kind), or lower "
                "hacking.window",
                self.max_steps,
                self.logging_steps,
                logged,
                self.num_iterations,
                self.hacking.window,
                needed,
                needed * every,
            )
            return  # that warning names refusal_collapse already
        self._warn_if_refusal_collapse_cannot_fire(every, needed)

    def _warn_if_refusal_collapse_cannot_fire(self, every: int, needed: int) -> None:
        """refusal_collapse reads ``safety/benign_refusal_rate``, logged only on the steps whose rounds held a benign
        or borderline prompt: the quickstart's 20 logged steps held 9, and it could never fire."""
        # 606 of the 988 safety prompts of the shipped files (safealign.stages.rl_prompts.SAFETY_SOURCES) are benign
        # or borderline; 0.6 stays under that share (decontamination drops a few)
        benign_share = 0.6
        weights = {name: weight for name, weight in self.tasks.items() if weight > 0}
        if not self.enabled or "safety" not in weights:
            return
        benign = benign_share * weights["safety"] / sum(weights.values())  # a prompt's chance to be benign
        # prompts behind one logged step: its own round's, or those of the rounds averaged into one log
        prompts = self.prompts_per_step * max(1, self.logging_steps // self.num_iterations)
        holding = 1 - (1 - benign) ** prompts  # a logged step's chance to hold at least one
        expected = self.max_steps // every * holding
        if expected < needed:
            log.warning(
                "rl: refusal_collapse compares two windows of hacking.window %d logged steps holding a benign or "
                "borderline prompt and needs %d: about %.0f of the %d logged steps will hold one (safety is %.0f%% of "
                "the prompts, about %.0f%% of those benign or borderline, %d prompts a logged step), so over-refusal "
                "rising in training goes unseen (the gates still check it). Raise max_steps to about %d, the safety "
                "task's weight or prompts_per_step, or lower hacking.window",
                self.hacking.window,
                needed,
                expected,
                self.max_steps // every,
                100 * weights["safety"] / sum(weights.values()),
                100 * benign_share,
                prompts,
                math.ceil(needed / holding) * every,
            )

    def warn_if_gates_cannot_check(self) -> None:
        """Called once per recipe read. A warning, not an error (a smoke run may not need a check): the gates check the
        policy at every multiple of every_steps and at the last step, so a stage shorter than every_steps is checked
        once, at its end, where a breach rolls it back to its start; and gate answers shorter than the policy's
        rollouts measure answers cut off before their end."""
        if self.enabled and self.gates.enabled and self.gates.max_new_tokens < self.max_completion_length:
            log.warning(
                "rl: gates.max_new_tokens %d is less than max_completion_length %d: a gate answer is cut off before "
                "the policy's own length (a think block cut off reads as no refusal and no answer). Set "
                "gates.max_new_tokens to %d",
                self.gates.max_new_tokens,
                self.max_completion_length,
                self.max_completion_length,
            )
        if self.enabled and self.gates.enabled and self.max_steps < self.gates.every_steps:
            log.warning(
                "rl: gates.every_steps %d is more than max_steps %d: the gates check the policy only at the last "
                "step, where a breach rolls the whole stage back to its start. Set gates.every_steps to %d "
                "to check it on the way, or set gates.enabled: false",
                self.gates.every_steps,
                self.max_steps,
                max(1, self.max_steps // 2),
            )

    def warn_if_vllm_mode_unused(self) -> None:
        """Called once per recipe read. A warning, not an error: ``use_vllm: false`` is what the GPU check's own fix
        says to set on a machine without one, and a server recipe keeps its vllm_mode for the GPU machine."""
        if self.enabled and not self.use_vllm and self.vllm_mode == "server":
            log.warning(
                "rl: vllm_mode: server is read only with use_vllm: true: this stage generates with transformers in "
                "each training process and uses no `trl vllm-serve` server. Set use_vllm: true to generate on that server "
                "(on a GPU machine with the gpu extra), or remove vllm_mode"
            )

    @model_validator(mode="after")
    def _checkpoints_between_rounds(self) -> RLConfig:
        """A checkpoint holds no rollouts: one saved inside a generation round resumed with a new round where the
        uninterrupted stage reused the old one, and every round after came one step out of phase."""
        if self.save_steps % self.num_iterations:
            fit = max(self.num_iterations, self.save_steps - self.save_steps % self.num_iterations)
            raise ValueError(
                f"save_steps ({self.save_steps}) must be a multiple of num_iterations ({self.num_iterations}): a "
                "checkpoint inside a generation round cannot resume it as an uninterrupted run would. Set "
                f"save_steps to {fit} (or another multiple)"
            )
        return self

    @model_validator(mode="after")
    def _lora_needs_lora_method(self) -> RLConfig:
        check_lora_used(self.method, self.lora)
        return self

    @model_validator(mode="after")
    def _policy_needs_reference(self) -> RLConfig:
        if self.gates.enabled and self.gates.policy == "raise_kl" and self.beta == 0:
            raise ValueError(
                "gates.policy 'raise_kl' needs a KL term: set beta > 0 (e.g. 0.02) or choose policy 'lower_lr' or 'stop'"
            )
        # use_vllm is checked where it runs (safealign.distributed.require_gpu_for_vllm, at stage start, before
        # any model loads), so a GPU recipe still validates on the laptop it was written on.
        return self


class SampleConfig(Section):
    enabled: bool = Field(True, description="Run rejection sampling of teacher traces.")
    num_prompts: int = Field(200, ge=1, description="Prompts to sample from.")
    k: int = Field(4, ge=1, description="Completions per prompt.")
    temperature: float = Field(0.7, gt=0, description="Sampling temperature.")
    max_new_tokens: int = Field(128, ge=8, description="Tokens per completion.")
    safety_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of prompts that are safety prompts; the rest come from rl.tasks' reasoning tasks (or a default arithmetic mix without an rl section), so 1.0 when rl.tasks has only safety.",
    )
    batch_size: int = Field(
        32,
        ge=1,
        description="Completions per generation batch (as eval.batch_size: larger is faster on CPU while memory allows).",
    )


class DistillConfig(Section):
    enabled: bool = Field(True, description="Run distillation into a smaller student.")
    student: str = Field(
        "prune:0.5",
        description="Student model spec, or prune:<fraction>: a copy of the teacher that keeps that fraction of its "
        "layers, or of each MLP's neurons under prune_by: width (rounded half up, at least one: prune:0.75 of 30 "
        "layers keeps 23).",
    )
    prune_by: Literal["depth", "redundancy", "loss", "width"] = Field(
        "depth",
        description="What prune:<fraction> keeps: that share of the layers spread evenly (depth), that share of the "
        "layers that change the hidden state most on the transfer set (redundancy, ShortGPT), that share of the layers whose "
        "skipping raises the loss on the transfer set's answers most (loss, Shortened LLaMA's perplexity criterion), or every "
        "layer with that share of each MLP's most active neurons (width, Minitron).",
    )
    mlp_fraction: float = Field(
        1.0,
        gt=0,
        le=1,
        description="With prune_by depth, redundancy or loss: also keep only this share of each kept layer's MLP "
        "neurons, the most active ones on the transfer set (Minitron width pruning after depth pruning); 1.0 keeps them all.",
    )
    vocab_keep: int | None = Field(
        None,
        ge=256,
        description="Vocabulary trimming for a prune: student: keep only the teacher's first N token ids (byte-level "
        "BPE ids follow merge order: the most frequent pieces, special tokens among them) plus every token of the transfer "
        "set and the pieces each is merged from; drop the rest from the tokenizer, embeddings and output head. Frees "
        "parameters for layers under a size cap and makes the output projection cheaper; a dropped token's text still encodes "
        "as its pieces. null keeps the teacher's whole vocabulary.",
    )
    calibration_rows: int = Field(
        32,
        ge=1,
        description="Transfer-set rows that measure layer influence, the loss without each layer, or neuron activity (prune_by: redundancy, loss or width, or mlp_fraction below 1).",
    )
    mode: Literal["sequence", "logit", "both"] = Field(
        "both", description="SFT on traces, KL on token distributions, or both."
    )
    transfer_data: dict[str, float] = Field(
        {},
        description="Rows added to the teacher's traces in the transfer set: shipped dataset name or JSONL path -> fraction "
        "(e.g. the SFT mixture; rows and fractions as in sft.datasets, each file named once); in logit/both mode the teacher's token distributions supervise them too.",
    )
    method: Literal["lora", "full"] = Field(
        "full",
        description="How the student trains (lora: model/ is the adapter merged in and adapter/ holds it alone, except for a "
        "prune: student, whose base exists only in memory: it gets none).",
    )
    lora: LoraConfig = Field(default_factory=LoraConfig, description="LoRA settings (method: lora).")
    train_embeddings: bool = Field(
        True,
        description="Full fine-tuning: also train the token embeddings and the output head. False freezes them: the vocabulary matrix is a fifth of SmolLM2-135M, and skipping its gradient and optimizer update gave 1.09x the SFT tokens/s on 2 CPU cores. LoRA never trains them.",
    )
    learning_rate: float = Field(1e-4, gt=0, description="Peak learning rate.")
    epochs: float = Field(
        1.0,
        gt=0,
        description="Passes over the transfer set (the traces plus transfer_data; ignored when max_steps > 0).",
    )
    max_steps: int = Field(-1, ge=-1, description="Stop after this many steps (-1: use epochs).")
    batch_size: int = Field(8, ge=1, description="Sequences per device per step.")
    max_length: int = Field(
        288,
        ge=16,
        description="Longest transfer row in tokens. When every row fits, batches are padding-free (one row of packed examples, attention per example); otherwise they are padded and longer rows truncated, with a warning that counts them.",
    )
    temperature: float = Field(1.0, gt=0, description="Softmax temperature for logit KD.")
    divergence_beta: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Which divergence the logit KD minimises (GKD's beta, Agarwal et al. 2024, computed by "
        "TRL's generalized JSD): 0 is KL(teacher || student), the forward, mass-covering KL; 1 is KL(student || teacher), the "
        "reverse, mode-seeking KL (MiniLLM); in between, the generalized Jensen-Shannon divergence of the beta-mixture.",
    )
    alpha: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Weight of the KD loss vs. the cross-entropy loss (mode: both; other modes take the default 0.5).",
    )
    hidden_weight: float = Field(
        0.0,
        ge=0,
        description="Intermediate-state KD for a prune: student (Minitron): add this weight x the relative squared "
        "error between each student layer's output and that of the teacher layer it was copied from, on the answer "
        "positions (mode: logit or both). 0 turns it off.",
    )
    decision_tokens: int = Field(
        0, ge=0, description=DECISION_TOKENS_HELP + " Both the cross-entropy and the KL-to-teacher terms."
    )
    decision_weight: float = Field(1.0, gt=0, description=DECISION_WEIGHT_HELP)
    save_steps: int = Field(25, ge=1, description="Checkpoint every N steps.")
    keep_checkpoints: int | None = Field(2, ge=1, description=KEEP_CHECKPOINTS_HELP)
    report_to: list[str] = Field([], description="Extra trackers: tensorboard, wandb, mlflow.")
    gradient_checkpointing: bool = Field(
        False,
        description="Recompute activations in the backward pass: less memory for large models, about a third slower (TRL turns it on by default; small models on CPU do not need it).",
    )
    speed_rounds: int = Field(
        3,
        ge=0,
        description="After training, time the teacher and the student generating the same prompts (the engine, fp32, one batch, end-of-turn ignored) this many alternating rounds each, and record the best round's tokens/s of both and their ratio in stage.json and the model card; 0 skips it.",
    )
    speed_prompts: int = Field(
        16, ge=1, description="Prompts of the speed check (the first transfer-set prompts, one batch)."
    )
    speed_new_tokens: int = Field(32, ge=1, description="Tokens each speed-check prompt generates.")

    _known_trackers = field_validator("report_to")(check_report_to)
    _max_steps_not_zero = field_validator("max_steps")(check_max_steps)

    @field_validator("student")
    @classmethod
    def _student_spec_text(cls, value: str) -> str:
        return checked_spec(value, allow_prune=True)

    @field_validator("transfer_data")
    @classmethod
    def _known_transfer_data(cls, value: dict[str, float]) -> dict[str, float]:
        from safealign.corpus.registry import check_mixture

        check_mixture(value, need_rows=False, field="distill.transfer_data")
        return one_entry_per_file(value, "distill.transfer_data")

    @model_validator(mode="after")
    def _settings_read(self) -> DistillConfig:
        warn_if_settings_unread("distill", self)
        return self

    @model_validator(mode="after")
    def _one_width_setting(self) -> DistillConfig:
        if self.prune_by == "width" and self.mlp_fraction < 1:
            raise ValueError(
                "prune_by: width already sets the MLP share with prune:<fraction>; leave mlp_fraction at 1.0, "
                "or use prune_by: depth/redundancy/loss to combine fewer layers with narrower MLPs"
            )
        if self.hidden_weight > 0 and not self.student.startswith("prune:"):
            raise ValueError(
                f"hidden_weight compares each student layer with the teacher layer it was copied from, so it needs a "
                f"prune:<fraction> student, not {self.student!r}; set hidden_weight: 0 for other students"
            )
        if self.hidden_weight > 0 and self.mode == "sequence":
            raise ValueError(
                "hidden_weight needs the teacher's forward pass on the transfer set; use mode: both (or logit), "
                "or set hidden_weight: 0"
            )
        if self.vocab_keep is not None and not self.student.startswith("prune:"):
            raise ValueError(
                f"vocab_keep trims a prune:<fraction> copy of the teacher, not {self.student!r}; "
                "set vocab_keep: null for other students"
            )
        cut = [
            f"{name}: {value}"
            for name, value, default in (
                ("prune_by", self.prune_by, "depth"),
                ("mlp_fraction", self.mlp_fraction, 1.0),
            )
            if value != default
        ]
        if cut and not self.student.startswith("prune:"):
            raise ValueError(
                f"{', '.join(cut)} would be ignored: prune_by and mlp_fraction choose how a prune:<fraction> copy "
                f"of the teacher is cut, not {self.student!r}; leave prune_by: depth and mlp_fraction: 1.0 for "
                "other students"
            )
        if self.divergence_beta > 0 and self.mode == "sequence":
            raise ValueError(
                "divergence_beta chooses the divergence of the logit KD, which mode: sequence does not compute; "
                "use mode: both (or logit), or set divergence_beta: 0"
            )
        # mode: sequence trains a plain SFTTrainer on the traces: no KD loss to soften or to weigh against the
        # cross-entropy, so these were dropped without a word (the defaults pass: a run's resolved recipe holds them)
        unused = [
            f"{name}: {value}"
            for name, value, default in (("temperature", self.temperature, 1.0), ("alpha", self.alpha, 0.5))
            if value != default
        ]
        if unused and self.mode == "sequence":
            raise ValueError(
                f"{', '.join(unused)} would be ignored: temperature and alpha shape the logit KD loss, which mode: "
                "sequence does not compute; use mode: both (or logit, for temperature), or leave temperature: 1.0 "
                "and alpha: 0.5"
            )
        # mode: logit trains on the KD loss alone (weight 1), whatever alpha said
        if self.mode == "logit" and self.alpha != 0.5:
            raise ValueError(
                f"alpha: {self.alpha} would be ignored: mode: logit trains on the KD loss alone; use mode: both to "
                "weigh it against the cross-entropy, or leave alpha: 0.5"
            )
        check_lora_used(self.method, self.lora)
        return self

    @model_validator(mode="after")
    def _calibration_and_speed_read(self) -> DistillConfig:
        """A warning, not an error, as warn_if_settings_unread: settings that the calibration passes or the speed check
        read, set where neither runs (the defaults pass: a run's resolved recipe holds them)."""
        if not self.enabled:
            return self
        default = {name: field.default for name, field in type(self).model_fields.items()}
        calibrated = self.student.startswith("prune:") and (self.prune_by != "depth" or self.mlp_fraction < 1)
        if not calibrated and self.calibration_rows != default["calibration_rows"]:
            student = (
                "prune_by: depth with mlp_fraction 1.0 keeps layers by position alone"
                if self.student.startswith("prune:")
                else f"student {self.student!r} is no prune: copy of the teacher"
            )
            log.warning(
                "distill: calibration_rows %d is not read: it sets the transfer-set rows that rank layers or neurons "
                "(prune_by: redundancy, loss or width, or mlp_fraction below 1), and %s. Remove calibration_rows, or "
                "choose one of those",
                self.calibration_rows,
                student,
            )
        unread = [
            f"{name} {getattr(self, name)}"
            for name in ("speed_prompts", "speed_new_tokens")
            if getattr(self, name) != default[name]
        ]
        if self.speed_rounds == 0 and unread:
            log.warning(
                "distill: %s %s not read: speed_rounds is 0, so no speed check runs. Set speed_rounds (e.g. 3) to time "
                "the teacher and the student, or remove %s",
                ", ".join(unread),
                "is" if len(unread) == 1 else "are",
                "it" if len(unread) == 1 else "them",
            )
        return self


# SQLAlchemy's URL form (sqlalchemy.engine.url._parse_url), NAME://[USER[:PASSWORD]@][HOST][:PORT][/DATABASE][?QUERY],
# read here without it: SQLAlchemy comes with the `serve` extra, and a core install validates a monitor: section too.
_DATABASE_URL = re.compile(
    r"[\w+]+://(?:[^:/]*(?::[^@]*)?@)?(?:(?:\[[^/?]+\]|[^/:?]+)?(?::[^/?]*)?)?(?:/(?P<database>[^?]*))?"
)


def _sqlite_database(url: str) -> str | None:
    """The file of a ``sqlite:`` URL ("" or ":memory:" for an in-memory database), or None when it does not parse."""
    match = _DATABASE_URL.match(url)
    if match is None:
        return None  # the store says so, naming the URL forms it takes
    return unquote(match["database"] or "")


class MonitorConfig(Section):
    upstream: str | None = Field(None, description="URL of the OpenAI-compatible model server to guard.")
    db: str = Field(
        "sqlite:///runs/monitor.db", description="SQLAlchemy database URL (SQLite or PostgreSQL)."
    )
    blocking: bool = Field(
        False, description="Judge before returning and replace unsafe answers with a refusal."
    )
    retention_days: int = Field(
        30,
        ge=1,
        le=36500,
        description="Delete stored exchanges older than this (at most 36500: a hundred years).",
    )
    host: str = Field(
        "127.0.0.1", description="Interface the gateway binds (0.0.0.0 exposes it to the network)."
    )
    port: int = Field(8080, ge=1, le=65535, description="TCP port of the gateway.")
    api_key: str | None = Field(
        None,
        description="Key for the dashboard, exports and admin endpoints. $SAFEALIGN_MONITOR_KEY, when set, overrides "
        "it in `safealign monitor`, as --api-key does (create_gateway from Python takes this key as given, the variable "
        "only when it is empty); with neither, a random key is logged at start.",
    )
    alerts: str | None = Field(
        None, description="YAML file of alert rules (see recipes/monitor_alerts.yaml)."
    )
    webhook: str | None = Field(
        None, description="URL that receives alerts as JSON POSTs (overrides the alerts file's webhook)."
    )
    judge: str = Field(
        "default",
        description="Judge set that grades the gateway's traffic (the judge worker) and `monitor evaluate`'s runs: "
        "'default', 'llama-guard:PATH', 'openai:URL[#MODEL]' (as eval.judge), or 'import:module:factory'.",
    )

    @field_validator("judge")
    @classmethod
    def _monitor_judge_spec(cls, value: str) -> str:
        """The spec's shape: a misspelt 'defualt' passed validate and failed at `monitor judge`. An ``import:`` factory
        is not imported here (the worker's environment may differ from where the recipe is checked)."""
        from safealign.judges import JUDGE_SPECS, JudgeSpecError, parse_judge_spec

        if value.startswith("import:"):
            module, _, factory = value[len("import:") :].partition(":")
            if not module or not factory:
                raise ValueError(f"{value!r} must look like import:package.module:factory")
            return value
        try:  # an unknown spec's error lists the import form too: the monitor takes it
            parse_judge_spec(value, check_paths=False, forms=(*JUDGE_SPECS, "import:module:factory"))
        except JudgeSpecError as error:
            raise ValueError(str(error)) from None
        return value

    judge_batch_size: int = Field(
        32,
        ge=1,
        le=500,
        description="Exchanges the background worker judges per batch (at most 500: each exchange of a batch is one SQL parameter in its queries, and SQLite before 3.32 takes 999 in all).",
    )
    worker: Literal["process", "thread", "none"] = Field(
        "process",
        description="Where the judge worker runs: a child process (keeps judging off the gateway's CPU and GIL), a thread, or nowhere (run `safealign monitor judge` yourself).",
    )
    max_body_bytes: int = Field(
        1 << 20, ge=1024, description="Largest accepted request body; larger ones get 413."
    )
    upstream_timeout_s: float = Field(
        300.0,
        gt=0,
        description="Longest wait for a pooled connection to the upstream, and for the next bytes of its answer once "
        "they flow: a limit on silence, not on the whole answer. A request that waits longer is answered 502; a stream "
        "already under way is broken off (stored as an upstream error).",
    )
    upstream_connections: int = Field(
        64,
        ge=1,
        description="Most concurrent connections to the upstream (aiohttp pool); more requests wait for one.",
    )
    refusal_message: str = Field(
        "I can't help with that request.",
        description="Answer sent instead of a response the harm judge flags (blocking mode).",
    )
    eval_suites: list[str] = Field(
        ["harmful", "borderline"],
        min_length=1,
        description="Suites `monitor evaluate` runs against the upstream.",
    )
    eval_limit: int | None = Field(
        None,
        ge=1,
        description="At most this many items per suite and split in `monitor evaluate` (harmful and borderline have two splits).",
    )

    @field_validator("eval_suites")
    @classmethod
    def _known_eval_suites(cls, value: list[str]) -> list[str]:
        return checked_suites(
            value
        )  # at validate, not when `monitor evaluate` first reaches the model server

    regression_tolerance: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Largest refusal-rate drop / over-refusal rise between eval runs before alerting.",
    )
    regression_min_items: int = Field(
        2,
        ge=1,
        description="A drop or rise past the tolerance alerts only when it is at least this many suite items (one answer of 16 is 6.25 points).",
    )

    @field_validator("alerts")
    @classmethod
    def _alerts_home_expanded(cls, value: str | None) -> str | None:
        # `~/alerts.yaml` is the home folder's file, as in a dataset or model path: kept as written, the monitor looked
        # for ./~/alerts.yaml and refused to start. An unknown user's ~bob/ stays as written (the monitor names it).
        return value if value is None else os.path.expanduser(value)

    @field_validator("db")
    @classmethod
    def _sqlite_home_expanded(cls, value: str) -> str:
        # SQLAlchemy reads the "~" of sqlite:///~/monitor.db as a folder's name: the store made ./~/ and kept every
        # exchange there (which `rm -rf ~` would then be typed to clean up), as output_dir's "~" once did
        head, sep, rest = value.partition(":///")
        if not (head == "sqlite" and sep and rest.startswith("~")):
            return value
        path, query_sep, query = rest.partition("?")
        expanded = os.path.expanduser(path)
        if expanded == path:  # "~someone/monitor.db" of no such user
            raise ValueError(
                f"{path.split('/', 1)[0]} is no user's home folder here: give the database file's full path "
                "(sqlite:////FULL/PATH.db)"
            )
        return f"{head}{sep}{expanded}{query_sep}{query}"

    @field_validator("upstream")
    @classmethod
    def _upstream_base(cls, value: str | None) -> str | None:
        """The server's base URL: the ``.../v1`` that `safealign serve` prints (and OpenAI clients take) and the whole
        ``.../v1/chat/completions`` (what curl examples show; `eval --endpoint` takes both) are accepted too; the
        gateway adds ``/v1/chat/completions`` itself, and ``/v1/v1/...`` would 404 every request."""
        if value is None:
            return value
        base = value.rstrip("/")
        for suffix in ("/v1/chat/completions", "/v1"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        # a field's check, not the model's: a refusal named "(top level) = {...}" and not the field (or --upstream)
        return check_http_url("upstream", base)

    @field_validator("webhook")
    @classmethod
    def _webhook_is_a_url(cls, value: str | None) -> str | None:
        return check_http_url("webhook", value)

    @field_validator("db")
    @classmethod
    def _db_scheme(cls, value: str) -> str:
        # after _sqlite_home_expanded; a field's check, so that a refusal names db (or --db), not "(top level)"
        if not value.startswith(("sqlite:", "postgresql")):
            # the password starred: the refusal is printed (`validate`, `run`, the monitor commands)
            raise ValueError(f"db must be a sqlite:/// or postgresql:// URL, got {without_userinfo(value)!r}")
        if value.startswith("sqlite:") and _sqlite_database(value) in ("", ":memory:"):
            # each connection of the pool would get its own empty in-memory database: every exchange would fail
            raise ValueError(
                f"db {value!r} is an in-memory SQLite database, which the gateway's connections cannot share; "
                "give a file: sqlite:///runs/monitor.db"
            )
        return value

    @model_validator(mode="after")
    def _upstream_is_not_the_gateway(self) -> MonitorConfig:
        # upstream at the gateway's own address and port (its port copied into the URL): each request was forwarded
        # back to the gateway, again and again, until upstream_timeout_s (300 s) ran out, then answered 502, with an
        # upstream error stored for every pass through
        if self.upstream is None:
            return self
        parts = urlsplit(self.upstream)  # parses: _upstream_base checked it
        port = parts.port or (443 if parts.scheme == "https" else 80)
        upstream, own = (parts.hostname or "").lower(), self.host.strip("[]").lower()
        if port == self.port and (
            upstream == own or (_loopback(upstream) and (_loopback(own) or own in ("0.0.0.0", "::", "")))
        ):
            raise ValueError(
                f"upstream {redact_url(self.upstream)} is this gateway itself (host {self.host}, port {self.port}): "
                "every request would be forwarded back to it until upstream_timeout_s ran out. Give the model "
                "server's URL (`safealign serve` listens on http://127.0.0.1:8000 by default), or set port to "
                "another one for the gateway"
            )
        return self


def _loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no brackets) is this machine's loopback: localhost, 127.x.x.x, ::1."""
    if host.rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
