"""SFT "cold start": TRL's SFTTrainer on the shipped safety + reasoning-format mixture.

Rows are chat ``messages``; we hand TRL the prompt/completion form (prompt = every turn but the
last, completion = the assistant's answer) so the loss falls on the answer only. TRL's
``assistant_only_loss`` would need ``{% generation %}`` markers that SmolLM2's chat template lacks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from safealign.config import SFTConfig
from safealign.corpus import Mixture, build_mixture
from safealign.corpus.eval_texts import check_disjoint_from_evals
from safealign.distributed import check_stage_launch, is_main_process, wait_for_everyone
from safealign.errors import DataError, RecipeError
from safealign.models import load_model
from safealign.runs import (
    StageRecord,
    StageResult,
    checkpoints_still_apply,
    finished_stage,
    stage_done,
    write_stage_config,
)
from safealign.training.callbacks import (
    JsonlMetricsCallback,
    LastStepLogCallback,
    NanGuardCallback,
    use_concise_progress,
)
from safealign.training.common import (
    apply_embedding_policy,
    check_trackers_installed,
    checkpoint_tokens,
    checkpointing_args,
    freeze_bottom_layers,
    peft_config,
    precision_args,
    require_chat_template,
    resume_checkpoint,
    run_args,
    save_final_model,
    tokens_per_second,
    train_or_finish,
    trainer_settings,
    without_trl_model_card,
)
from safealign.training.compact_lm_head import compact_lm_head
from safealign.training.decision_tokens import weight_decision_tokens
from safealign.training.neftune import NoisyEmbeddings
from safealign.training.packed_attention import (
    PACKED_SDPA,
    packed_rows_leak,
    restore_attention,
    use_packed_attention,
)
from safealign.training.shared_prefix import share_prefix, summed_over_processes

log = logging.getLogger(__name__)


def to_prompt_completion(rows: list[dict[str, Any]], system_prompt: str | None) -> list[dict[str, Any]]:
    """Each row's turns as TRL's prompt (every turn but the last) and completion (the answer).

    A turn keeps only ``role`` and ``content``: the chat template reads nothing else (rows hold system, user and
    assistant turns only; tool calls are not supported), and an extra key whose type differs between rows (a
    ``metadata`` object in one, a string in another) stops ``Dataset.from_list`` with ArrowInvalid.
    """
    out = []
    for row in rows:
        messages = [{"role": message["role"], "content": message["content"]} for message in row["messages"]]
        prompt = messages[:-1]
        if system_prompt and prompt[0]["role"] != "system":
            prompt = [{"role": "system", "content": system_prompt}, *prompt]
        out.append({"prompt": prompt, "completion": [messages[-1]]})
    return out


def use_padding_free(
    cfg: SFTConfig,
    dataset: Any,
    tokenizer: Any,
    names: list[str] | None = None,
    system_prompt: str | None = None,
) -> bool:
    """Whether to train padding-free: asked for, not packing, and every row within ``max_length``.

    Padding-free batches are one concatenated sequence with restarting ``position_ids``; transformers
    builds a block-diagonal causal mask from them (flash attention uses them as sequence boundaries),
    so each example attends only to itself, as in a padded batch. On the quickstart mixture a padded
    batch of 8 is 1.37x its real tokens (rows of 90-260 tokens). On ``sdpa`` the stage then runs
    attention per packed sequence instead of through that mask (:mod:`safealign.training.packed_attention`). A model
    whose attention keeps its own mask (GPT-OSS, Bloom on ``eager``) would let the examples see each other: the stage
    checks the loaded model (:func:`~safealign.training.packed_attention.packed_rows_leak`) and pads its batches then.
    TRL does not truncate in this mode, hence the length check: a longer row gets the padded path
    and its usual truncation, with a warning either way. ``names``: each row's dataset; ``system_prompt``: the
    recipe's, which the rows carry (see :func:`rows_fit`).
    """
    fits = rows_fit(
        dataset, tokenizer, cfg.max_length, "sft", names, system_prompt
    )  # packing cuts each row at max_length too: same warning
    if cfg.packing:
        return False  # TRL packs padding-free itself (its bfd strategy); the stage records that as trainer.padding_free
    return cfg.padding_free and fits


def rows_fit(
    dataset: Any,
    tokenizer: Any,
    max_length: int,
    stage: str,
    names: list[str] | None = None,
    system_prompt: str | None = None,
) -> bool:
    """Whether every prompt/completion row of ``dataset`` is at most ``max_length`` tokens (a warning when not).

    TRL cuts a longer row to ``max_length`` tokens, then drops each row left without an answer token. So a row
    whose prompt alone (chat template and generation prompt, as TRL tokenizes it) reaches ``max_length`` is
    never trained on, and any other longer row loses the end of its answer (and its end-of-turn token). The
    warning counts both; when no row would be left, :class:`DataError` names the ``max_length`` that keeps them
    (``names``, each row's dataset, lets both name the datasets). A row the chat template refuses is a
    :class:`DataError` naming what to change (see :func:`refused_row`; ``system_prompt`` is the recipe's).
    """
    prompts, lengths = [], []
    for index, row in enumerate(dataset):
        with refusals_named(row["prompt"], tokenizer, stage, names[index] if names else None, system_prompt):
            prompt = tokenizer.apply_chat_template(
                row["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True
            )["input_ids"]
            full = tokenizer.apply_chat_template(
                [*row["prompt"], *row["completion"]], tokenize=True, return_dict=True
            )["input_ids"]
        # TRL's loss starts where the prompt alone and the whole row stop agreeing (trl.data_utils.common_prefix_length)
        prompts.append(
            next(
                (i for i, (a, b) in enumerate(zip(prompt, full, strict=False)) if a != b),
                min(len(prompt), len(full)),
            )
        )
        lengths.append(len(full))
    dropped = {
        i
        for i, (prompt, length) in enumerate(zip(prompts, lengths, strict=True))
        if prompt >= min(max_length, length)
    }
    affected = dropped | {i for i, length in enumerate(lengths) if length > max_length}
    if not affected:
        return True
    longest, longest_prompt = max(lengths), max((prompts[i] for i in dropped), default=0)
    whole = -(-longest // 32) * 32
    sources = ", ".join(sorted({names[i] for i in dropped})) if names else ""
    if len(dropped) == len(lengths):
        raise DataError(
            f"{stage}: every one of the {len(lengths)} rows{f' of {sources}' if sources else ''} has a prompt of "
            f"{stage}.max_length {max_length} tokens or more (the longest prompt has {longest_prompt} tokens), so "
            f"training would drop them all and learn nothing: raise {stage}.max_length to at least "
            f"{longest_prompt + 1} ({whole} keeps every row whole) or shorten the prompts"
        )
    cut = len(affected) - len(dropped)
    fates = []
    if cut:
        fates.append(
            f"training truncates {'them' if cut == len(affected) else cut}, cutting the end of their answers, in padded batches"
        )
    if dropped:
        fates.append(
            f"TRL drops {'them' if len(dropped) == len(affected) else len(dropped)}{f' (from {sources})' if sources else ''} "
            f"whose prompt alone has {max_length} tokens or more (the longest prompt has {longest_prompt}), so "
            f"they are not trained on at all"
        )
    log.warning(
        "%s: %d of %d rows are longer than %s.max_length %d (the longest has %d tokens): %s. Set %s.max_length: %d "
        "to keep every row whole (and train padding-free).",
        stage,
        len(affected),
        len(lengths),
        stage,
        max_length,
        longest,
        "; ".join(fates),
        stage,
        whole,
    )
    return False


@contextmanager
def refusals_named(
    prompt: list[dict[str, str]], tokenizer: Any, stage: str, source: str | None, system_prompt: str | None
) -> Iterator[None]:
    """A chat template's refusal of the row whose ``prompt`` is rendered inside as :func:`refused_row`'s DataError."""
    # transformers renders chat templates with jinja2; raise_exception(...) in a template raises its TemplateError
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        yield
    except TemplateSyntaxError:  # a broken template, not a refused conversation
        raise
    # a template's raise_exception: Gemma's "System role not supported", Mistral's "roles must alternate"
    except TemplateError as error:
        raise refused_row(error, prompt, tokenizer, stage, source, system_prompt) from None


def check_template_takes(
    rows: list[dict[str, Any]], tokenizer: Any, stage: str, names: list[str], system_prompt: str | None
) -> None:
    """Render each prompt/completion row (as text: cheaper than tokens) so that a row the chat template refuses is
    :func:`refused_row`'s DataError before any work that renders rows without that check (pruning's calibration,
    vocab_keep's trim), not jinja2's TemplateError from inside it."""
    for row, name in zip(rows, names, strict=True):
        with refusals_named(row["prompt"], tokenizer, stage, name, system_prompt):
            tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
            tokenizer.apply_chat_template([*row["prompt"], *row["completion"]], tokenize=False)


def refused_row(
    error: Exception,
    prompt: list[dict[str, str]],
    tokenizer: Any,
    stage: str,
    source: str | None,
    system_prompt: str | None,
) -> DataError:
    """The error for a row the chat template refuses, naming its system turn when that is what the template refuses.

    Gemma's and Mistral's templates take no system turn; it comes from ``model.system_prompt`` (which
    :func:`to_prompt_completion` adds to each row without one) or from the row itself.
    """
    from jinja2 import TemplateError

    where = f" of {source}" if source else ""
    reason = (
        f"{stage}: the model's chat template refuses a row{where}: {getattr(error, 'message', None) or error}"
    )
    if prompt[0]["role"] == "system":
        try:  # the same row without its system turn: does the template take it?
            tokenizer.apply_chat_template(prompt[1:], tokenize=False, add_generation_prompt=True)
        except TemplateError:
            pass
        else:
            if system_prompt and prompt[0]["content"] == system_prompt:
                # RL's rows are the stage's own prompts (task generators, the shipped safety prompts): none to edit
                fold = (
                    "" if stage == "rl" else " (fold its text into the first user turn of the rows instead)"
                )
                return DataError(
                    f"{reason}. It takes no system turn, and model.system_prompt adds one to every row: drop "
                    f"model.system_prompt{fold}, or use a model whose chat template takes a system turn"
                )
            return DataError(
                f"{reason}. It takes no system turn, and the row holds one: fold the system message into the first "
                "user turn of such rows, or use a model whose chat template takes a system turn"
            )
    return DataError(
        f"{reason}. Change the rows as it asks (e.g. alternate user and assistant turns), or use a model whose chat "
        "template takes them"
    )


def checkpoint_step(checkpoint: Path | None) -> int:
    """The step a checkpoint was saved at (0 without one)."""
    if checkpoint is None:
        return 0
    return int(
        json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8")).get("global_step") or 0
    )


def stage_train_loss(trainer: Any, result: Any, resumed_at: int) -> float | None:
    """The mean loss over every step the stage trained, in all its sessions. transformers' ``training_loss`` is over
    this session's steps only (a resumed SFT said 1.277 where the same training uninterrupted said 2.296). The steps up
    to ``resumed_at`` (the checkpoint's) come from the log the checkpoint restored, where each ``loss`` is the mean over
    its logging window (the steps since the log before), so it counts that many times. Steps after the checkpoint's last
    log were never logged and are left out: none when save_steps is a multiple of logging_steps."""
    if result.training_loss is None or not resumed_at:
        return result.training_loss
    total, steps, last = 0.0, 0, 0
    for entry in trainer.state.log_history:
        if "loss" in entry and last < entry["step"] <= resumed_at:
            total += entry["loss"] * (entry["step"] - last)
            steps += entry["step"] - last
            last = entry["step"]
    session = trainer.state.global_step - resumed_at
    return (total + result.training_loss * session) / max(steps + session, 1)


def trl_sft_config(
    cfg: SFTConfig, stage_dir: Path, seed: int, precision: str, padding_free: bool = False
) -> Any:
    """TRL's SFTConfig for ``cfg``; ``padding_free`` as decided by :func:`use_padding_free`."""
    from trl import SFTConfig as TRLSFTConfig

    return TRLSFTConfig(
        output_dir=str(stage_dir),
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        max_length=None if padding_free else cfg.max_length,  # checked by use_padding_free: every row fits
        padding_free=padding_free,
        warmup_steps=cfg.warmup_ratio,  # transformers 5: a float < 1 is a ratio of all steps
        lr_scheduler_type=cfg.lr_scheduler,
        save_steps=cfg.save_steps,
        save_total_limit=cfg.keep_checkpoints,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        report_to=cfg.report_to or "none",
        packing=cfg.packing,
        **checkpointing_args(cfg.gradient_checkpointing),
        completion_only_loss=True,
        include_num_input_tokens_seen="non_padding",
        **run_args(seed),
        **precision_args(precision),
    )


def run_sft(
    cfg: SFTConfig,
    model_spec: str,
    stage_dir: Path,
    seed: int = 42,
    precision: str = "auto",
    system_prompt: str | None = None,
    resume: bool = True,
    callbacks: list | None = None,
    trust_remote_code: bool = False,
) -> StageResult:
    """Fine-tune ``model_spec`` on the recipe's mixture; write ``stage_dir/model`` and ``stage.json``.

    ``trust_remote_code`` (the recipe's ``model.trust_remote_code``) lets a model folder's own code build the model."""
    from datasets import Dataset
    from trl import SFTTrainer

    if done := finished_stage(stage_dir, "sft", stage_dir / "model"):
        return done
    check_stage_launch(cfg.method)
    check_trackers_installed(cfg.report_to)
    # before anything loads: a checkpoint without weights fails here; none of a start model made again since
    checkpoint = resume_checkpoint(
        stage_dir, resume and checkpoints_still_apply(stage_dir, "sft", model_spec)
    )
    record = StageRecord(
        stage="sft",
        parent=model_spec,
        output=str(stage_dir / "model"),
        config=cfg.model_dump(),
        seed=seed,
        started_at=time.time(),
    )

    mixture: Mixture = build_mixture(cfg.datasets, seed=seed)
    mixture.decontamination = check_disjoint_from_evals(mixture.rows)
    if is_main_process():  # under accelerate launch every rank runs this function; one writes the run's files
        # The files' content, not only their names: a dataset edited or regenerated under the same name must not resume
        # a model half trained on the old rows.
        data_sha256 = {source["name"]: source["sha256"] for source in mixture.sources}
        write_stage_config(  # before open_session: a resume it refuses leaves the folder as it was (audit.json too)
            stage_dir,
            {
                "sft": cfg.model_dump(),
                "model": model_spec,
                "data_sha256": data_sha256,
                # The rows themselves, in their training order: the same fractions in another key order draw other
                # rows in another order (one seeded generator takes each file's share in turn), and a checkpoint
                # resumed on them trains some rows twice and others never.
                "mixture": {"datasets_in_order": list(data_sha256), "rows_sha256": mixture.sha256},
                "seed": seed,
                "precision": precision,
                "system_prompt": system_prompt,
            },
            checkpoint,
        )
        record.open_session(stage_dir, checkpoint)
        mixture.write_manifest(stage_dir / "data_mixture.json")
    dataset = Dataset.from_list(to_prompt_completion(mixture.rows, system_prompt))
    log.info(
        "sft: %d rows (%s), sha256 %s", len(mixture.rows), mixture.manifest()["by_kind"], mixture.sha256[:12]
    )

    # a LoRA adapter trains as its merged weights
    loaded = load_model(model_spec, trust_remote_code=trust_remote_code, merge_adapter=True)
    require_chat_template(loaded.tokenizer, model_spec, "sft")
    apply_embedding_policy(loaded.model, cfg.method, cfg.train_embeddings)
    freeze_bottom_layers(loaded.model, cfg.freeze_layers)
    padding_free = use_padding_free(
        cfg, dataset, loaded.tokenizer, [row["dataset"] for row in mixture.rows], system_prompt
    )
    attention = use_packed_attention(loaded.model) if padding_free else None
    leak = packed_rows_leak(loaded.model) if padding_free or cfg.packing else None
    if leak and cfg.packing:
        raise RecipeError(
            f"sft: packing: true packs examples into padding-free rows, but {leak} ({model_spec}): set packing: false "
            "to train on padded batches"
        )
    if leak:
        log.warning("sft: padded batches, not padding-free ones: %s (%s)", leak, model_spec)
        restore_attention(loaded.model, attention)
        attention, padding_free = None, False
    use_cache = getattr(loaded.model.config, "use_cache", None)
    if padding_free:  # with a KV cache in the forward, transformers skips the packed-sequence mask (examples would see each other)
        loaded.model.config.use_cache = False
    nan_guard = NanGuardCallback()
    trainer = SFTTrainer(
        model=loaded.model,
        args=trl_sft_config(cfg, stage_dir, seed, precision, padding_free),
        train_dataset=dataset,
        processing_class=loaded.tokenizer,
        peft_config=peft_config(cfg.lora, loaded.model) if cfg.method == "lora" else None,
        callbacks=[
            JsonlMetricsCallback(stage_dir / "metrics.jsonl"),
            nan_guard,
            LastStepLogCallback(),
            *(callbacks or []),
        ],
    )
    use_concise_progress(trainer)
    without_trl_model_card(trainer)
    # The system message once per batch, not once per example; not under NEFTune, where each example's embeddings get
    # noise of its own length's scale: a shared prefix would carry its source example's noise into the others.
    if cfg.neftune_noise_alpha and attention is not None:
        log.info("sft: NEFTune is on, so every packed example keeps its own copy of the shared prompt prefix")
    shared = share_prefix(trainer, None if cfg.neftune_noise_alpha else attention)
    weighted = weight_decision_tokens(trainer, cfg.decision_tokens, cfg.decision_weight)
    noise = NoisyEmbeddings(loaded.model, cfg.neftune_noise_alpha) if cfg.neftune_noise_alpha else None
    tokens_before = checkpoint_tokens(checkpoint)  # now: the checkpoint may be rotated away while training
    resumed_at = checkpoint_step(checkpoint)
    try:
        with compact_lm_head() as compact:
            result = train_or_finish(trainer, checkpoint)
    finally:
        if noise:
            noise.remove()  # the saved model, and any later use of it, embeds without noise
    nan_guard.raise_if_tripped(stage_dir)

    if use_cache is not None:
        loaded.model.config.use_cache = use_cache  # the saved model generates with its cache
    restore_attention(loaded.model, attention)
    model_path = save_final_model(trainer, loaded.tokenizer, stage_dir)
    record.inputs = {
        "data": mixture.manifest(),
        "system_prompt": system_prompt,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "trainer": trainer_settings(trainer),
    }
    # every rank calls this (a collective): the prefix tokens each process dropped, summed as the Trainer's tokens are
    shared_tokens = summed_over_processes(shared.shared_tokens, trainer.args) if shared else 0
    record.metrics = {
        "train_loss": stage_train_loss(trainer, result, resumed_at),
        "steps": trainer.state.global_step,
        "tokens": int(trainer.state.num_input_tokens_seen),
        "train_runtime_s": result.metrics.get("train_runtime"),
        "tokens_per_s": tokens_per_second(trainer, result, tokens_before),
        "first_loss": next((h["loss"] for h in trainer.state.log_history if "loss" in h), None),
        "last_loss": next((h["loss"] for h in reversed(trainer.state.log_history) if "loss" in h), None),
        "parameters": loaded.num_parameters,
        "method": cfg.method,
        "precision": "bf16" if trainer.args.bf16 else "fp32",
        "packing": cfg.packing,
        "padding_free": bool(getattr(trainer, "padding_free", padding_free)),  # TRL's, which packing turns on
        "padding_free_refused": leak,  # why padding-free rows were not used: this model's examples saw each other
        "compact_lm_head": compact,
        "attention": loaded.model.config._attn_implementation if attention is None else PACKED_SDPA,
        # over every process (one rank's alone under DDP); a resumed stage's earlier sessions' batches are not in it
        f"shared_prefix_tokens{'_last_session' if checkpoint else ''}": shared_tokens,
        "neftune_noise_alpha": cfg.neftune_noise_alpha,
        "decision_token_weight": cfg.decision_weight
        if weighted
        else 1.0,  # of "tokens", kept once per batch (this session)
    }
    if is_main_process():
        record.finish(stage_dir)
    wait_for_everyone()  # every rank returns the same, finished stage.json
    return StageResult(model_path, stage_done(stage_dir))
