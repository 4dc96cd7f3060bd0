"""GRPO reasoning RL with safety rewards, cross-validation gates and reward-hacking detectors.

Starts from the SFT checkpoint (or any model spec), runs TRL's GRPOTrainer on a mixture of
verifiable reasoning prompts and safety prompts, with KL to the reference on by default.
"""

from __future__ import annotations

import logging
import shutil
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from safealign.config import RLConfig
from safealign.corpus import read_rows
from safealign.corpus.eval_texts import current_suites
from safealign.distributed import (
    check_stage_launch,
    is_main_process,
    main_process_first,
    process_device,
    wait_for_everyone,
)
from safealign.errors import SafealignError
from safealign.hacking import replay_detectors, too_little_data
from safealign.models import load_model
from safealign.models.loading import weights_problem
from safealign.rewards import build_rewards, checked_reward
from safealign.runs import (
    StageRecord,
    StageResult,
    checkpoints_still_apply,
    finished_stage,
    stage_done,
    write_json,
    write_stage_config,
)
from safealign.stages.rl_difficulty import screened_prompt_rows
from safealign.stages.rl_prompts import (
    build_prompt_rows,
    check_prompts_render,
    prompts_sha256,
    safety_source_files,
)
from safealign.training.callbacks import JsonlMetricsCallback, NanGuardCallback, use_concise_progress
from safealign.training.common import (
    apply_embedding_policy,
    check_trackers_installed,
    checkpointing_args,
    peft_config,
    precision_args,
    require_chat_template,
    resume_checkpoint,
    run_args,
    save_final_model,
    train_or_finish,
    trainer_settings,
    without_trl_model_card,
)
from safealign.training.compact_lm_head import compact_lm_head
from safealign.training.evicting_rollouts import _default as generate_default
from safealign.training.evicting_rollouts import effective_config, evicting_rollouts
from safealign.training.gates import GateCallback, earlier_events, stopped_at
from safealign.training.hacking_callback import HackingCallback, stopped_by_alert
from safealign.training.packed_attention import restore_attention, use_packed_attention
from safealign.training.rollouts import RolloutCallback, RolloutLog
from safealign.training.unpadded_scoring import packed_calls, score_grpo_unpadded

log = logging.getLogger(__name__)


def trl_grpo_config(
    cfg: RLConfig, stage_dir: Path, seed: int, precision: str, trust_remote_code: bool = False
) -> Any:
    from trl import GRPOConfig

    vllm = {"use_vllm": True, "vllm_mode": cfg.vllm_mode} if cfg.use_vllm else {}
    return GRPOConfig(
        output_dir=str(stage_dir),
        learning_rate=cfg.learning_rate,
        beta=cfg.beta,
        loss_type=cfg.loss_type,
        max_steps=cfg.max_steps,
        # One generation round per num_iterations optimizer steps: prompts_per_step prompts x num_generations completions.
        per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations,
        gradient_accumulation_steps=1,
        steps_per_generation=1,
        num_iterations=cfg.num_iterations,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=0.05,
        save_steps=cfg.save_steps,
        save_total_limit=cfg.keep_checkpoints,
        logging_steps=cfg.logging_steps,
        report_to=cfg.report_to or "none",
        # vLLM (use_vllm, colocate) builds its own copy of the policy from its folder, with this
        trust_remote_code=trust_remote_code,
        **run_args(seed),
        **checkpointing_args(cfg.gradient_checkpointing),
        **vllm,
        **precision_args(precision),
    )


def grpo_settings(trainer: Any) -> dict[str, Any]:
    """:func:`trainer_settings` and the GRPO settings that change the update, as the GRPOTrainer holds them (TRL's
    defaults unless the recipe sets them): the clipping range (``epsilon_high`` unset is ``epsilon``), how rewards are
    scaled into advantages, whether truncated completions count in the loss, the importance-sampling level, and the
    rollouts' sampling, with what ``generate`` takes from the model's own generation_config where TRL leaves a setting
    unset (as the decode loop honours it: :func:`~safealign.training.evicting_rollouts.effective_config`)."""
    # TRL's for generate; under vLLM, TRL passes the trainer's own settings
    generation = getattr(trainer, "generation_config", None)
    sampling = effective_config(trainer.model, generation) if generation is not None else trainer
    rollout = {key: getattr(sampling, key, None) for key in ("top_p", "top_k", "min_p", "repetition_penalty")}
    if generation is not None:
        # a setting left unset runs as generate's default (so does the decode loop's): top_k 50, not "off"
        unset = [key for key in ("top_p", "top_k", "repetition_penalty") if rollout[key] is None]
        rollout |= {key: generate_default(key) for key in unset}
    return trainer_settings(trainer) | {
        "epsilon": trainer.epsilon_low,
        "epsilon_high": trainer.epsilon_high,
        "scale_rewards": trainer.scale_rewards,
        "mask_truncated_completions": trainer.mask_truncated_completions,
        "importance_sampling_level": trainer.importance_sampling_level,
        "rollout_sampling": rollout,
    }


def reseed_epochs(trainer: Any) -> None:
    """Give the trainer's prompt sampler a ``set_epoch``: TRL's RepeatSampler draws every epoch's order from one
    generator seeded once, so a stage resumed in its second epoch or later drew the first epoch's order again (the
    Trainer skips the resumed epoch's trained batches, and nothing else). The Trainer calls ``set_epoch(e)`` (0 for the
    first epoch) before each epoch; from the second on it reseeds with seed + e, which a resumed stage does too. The
    first epoch's order is the one TRL draws."""
    make_sampler = trainer._get_train_sampler

    def sampler(dataset: Any = None) -> Any:
        built = make_sampler(dataset)

        def set_epoch(epoch: int) -> None:
            if epoch >= 1 and built.shuffle:
                built.generator.manual_seed(built.seed + epoch)

        built.set_epoch = set_epoch
        return built

    trainer._get_train_sampler = sampler


def is_full_model_folder(path: Path) -> bool:
    """Whether ``path`` is a folder transformers loads as the whole model (not an adapter, not a name)."""
    return path.is_dir() and (path / "config.json").is_file() and not (path / "adapter_config.json").is_file()


def with_prompts_used(sources: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``sources`` (:func:`safety_source_files`), each with the safety prompts of ``rows`` taken from it: ``rows_used``
    (repeats counted) and their ``languages_used``. ``rows`` is the stage's prompt dataset, as a mixture file's rows
    are SFT's: GRPO samples ``max_steps`` x ``prompts_per_step`` of it (the quickstart: 80 of 160), as SFT's
    ``max_steps`` may stop before an epoch. The cards count a pool file only for these: a file the dataset took no row
    from is not training data, and the languages of its other rows are not the model's."""
    # a prompt's text -> the first file that holds it, as safety_prompt_categories reads them
    owner: dict[str, str] = {}
    for source in sources:
        for _, row in read_rows(Path(source["path"])):
            user = [m for m in row["messages"] if m["role"] == "user"]
            owner.setdefault(user[-1]["content"], source["name"])
    drawn: dict[str, Counter] = {source["name"]: Counter() for source in sources}
    for row in rows:
        prompt = row["prompt"]  # the conversation (build_prompt_rows), or its text
        text = prompt[-1]["content"] if isinstance(prompt, list) else prompt
        name = owner.get(text) if not row.get("task") else None  # reasoning rows carry their task
        if name:
            drawn[name][str(row.get("language", "en"))] += 1
    return [
        source
        | {
            "rows_used": drawn[source["name"]].total(),
            "languages_used": dict(drawn[source["name"]].most_common()),
        }
        for source in sources
    ]


def run_rl(
    cfg: RLConfig,
    model_spec: str,
    stage_dir: Path,
    seed: int = 42,
    precision: str = "auto",
    system_prompt: str | None = None,
    resume: bool = True,
    gate_evaluate: Any = None,
    extra_rewards: dict[str, Any] | None = None,
    callbacks: list | None = None,
    trust_remote_code: bool = False,
) -> StageResult:
    """GRPO from ``model_spec``; writes ``stage_dir/model``, metrics, rollouts, gate events, alerts.

    ``trust_remote_code`` (the recipe's ``model.trust_remote_code``) lets a model folder's own code build the model
    (here, and in TRL's vLLM engine)."""
    from datasets import Dataset
    from trl import GRPOTrainer

    if done := finished_stage(stage_dir, "rl", stage_dir / "model"):
        return done
    check_stage_launch(cfg.method, gates_enabled=cfg.gates.enabled, use_vllm=cfg.use_vllm)
    check_trackers_installed(cfg.report_to)
    # before anything loads: a checkpoint without weights fails here; none of a start model made again since
    checkpoint = resume_checkpoint(stage_dir, resume and checkpoints_still_apply(stage_dir, "rl", model_spec))
    # The prompts are drawn before config.json, which holds their digest unscreened: a resume refuses other prompts (a
    # prompt-file eval suite edited since leaves other safety prompts out), as SFT refuses other rows. Screened ones are
    # the same on resume: difficulty_filter.json keeps them.
    drawn = build_prompt_rows(cfg.tasks, cfg.num_prompts, seed, system_prompt)
    record = StageRecord(
        stage="rl",
        parent=model_spec,
        output=str(stage_dir / "model"),
        config=cfg.model_dump(),
        seed=seed,
        started_at=time.time(),
    )
    if is_main_process():  # under accelerate launch every rank runs this function; one writes the run's files
        write_stage_config(  # before open_session: a resume it refuses leaves the folder as it was (audit.json too)
            stage_dir,
            {
                "rl": cfg.model_dump(),
                "model": model_spec,
                "seed": seed,
                "precision": precision,
                "system_prompt": system_prompt,
                # the prompts stay off these suites' items: a suite added since would change the prompt set resumed
                "eval_suites": list(current_suites()),
                "prompts_sha256": None if cfg.difficulty_filter.enabled else prompts_sha256(drawn),
            },
            checkpoint,
        )
        record.open_session(stage_dir, checkpoint)

    # a LoRA adapter (e.g. a LoRA SFT's) trains as its merged weights
    loaded = load_model(model_spec, trust_remote_code=trust_remote_code, merge_adapter=True)
    require_chat_template(loaded.tokenizer, model_spec, "rl")
    check_prompts_render(drawn, loaded.tokenizer)  # the screen's candidates are built as these rows are
    screening = None
    if cfg.difficulty_filter.enabled:
        # the screen generates where the Trainer will train (it would move it there anyway)
        loaded.model.to(process_device())
        rows, screening = screened_prompt_rows(
            cfg, loaded.model, loaded.tokenizer, stage_dir, model_spec, seed, system_prompt, precision, drawn
        )
    else:
        rows = drawn
    # what the safety prompts were read from
    safety_sources = safety_source_files() if cfg.tasks.get("safety") else []
    dataset = Dataset.from_list(rows)
    if (
        cfg.method == "full"
        and cfg.beta > 0
        and not is_full_model_folder(Path(loaded.model.config._name_or_path))
    ):
        # TRL loads the KL reference from the policy's folder; a model built in memory gets one, and so does a LoRA
        # adapter merged into its base (its folder holds the adapter, which TRL cannot load as a model).
        reference = stage_dir / "reference_model"
        with main_process_first():  # rank 0 writes it; the others then find it there
            # none yet, or a save cut short: made (again)
            if not (reference / "config.json").is_file() or weights_problem(reference):
                # renamed once whole, so a stopped save leaves no half copy
                partial = stage_dir / "reference_model.tmp"
                shutil.rmtree(partial, ignore_errors=True)
                loaded.model.save_pretrained(partial)
                shutil.rmtree(reference, ignore_errors=True)
                partial.rename(reference)
        loaded.model.name_or_path = loaded.model.config._name_or_path = str(reference)
    # after the reference copy: that one stays whole
    apply_embedding_policy(loaded.model, cfg.method, cfg.train_embeddings)
    rollout_log = RolloutLog(group_size=cfg.num_generations)
    funcs, weights = build_rewards(cfg.rewards, {"max_completion_length": cfg.max_completion_length})
    for name, reward in (extra_rewards or {}).items():  # tests plant rewards here
        funcs.append(checked_reward(reward, name))
        weights.append(1.0)
    args = trl_grpo_config(cfg, stage_dir, seed, precision, trust_remote_code)
    args.reward_weights = weights

    stage_callbacks: list = [RolloutCallback(rollout_log, stage_dir / "rollouts.jsonl")]
    gate = None
    if cfg.gates.enabled:
        from safealign.training.gate_eval import suite_gate_evaluator

        evaluate = gate_evaluate or suite_gate_evaluator(
            loaded.tokenizer, cfg.gates, seed, system_prompt=system_prompt
        )
        gate = GateCallback(cfg.gates, evaluate, stage_dir / "gates.jsonl")
        stage_callbacks.append(gate)
    hacking = HackingCallback(cfg.hacking, stage_dir)
    nan_guard = NanGuardCallback()
    attention = use_packed_attention(loaded.model)  # for score_grpo_unpadded; generation keeps plain SDPA
    # the Trainer sets it to its args' (False) for training
    use_cache = getattr(loaded.model.config, "use_cache", None)
    trainer = GRPOTrainer(
        model=loaded.model,
        reward_funcs=[rollout_log.wrap(f) for f in funcs],
        args=args,
        train_dataset=dataset,
        processing_class=loaded.tokenizer,
        peft_config=peft_config(cfg.lora, loaded.model) if cfg.method == "lora" else None,
        callbacks=[
            *stage_callbacks,
            hacking,
            JsonlMetricsCallback(stage_dir / "metrics.jsonl"),
            nan_guard,
            *(callbacks or []),
        ],
    )
    use_concise_progress(trainer)
    without_trl_model_card(trainer)
    reseed_epochs(trainer)
    unpadded = attention is not None and score_grpo_unpadded(trainer)
    if gate:
        gate.trainer = trainer
    # Finished rollouts leave the generation batch (safealign.training.evicting_rollouts).
    with (
        compact_lm_head() as compact,
        evicting_rollouts(trainer.model) as rollout_calls,
        warnings.catch_warnings(),
    ):
        # TRL's GRPOTrainer asks the model `is_gradient_checkpointing`, which transformers 5.2x deprecates: a warning
        # about TRL's code that the user cannot act on.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        stopped = stopped_at(stage_dir / "gates.jsonl", checkpoint) or stopped_by_alert(
            stage_dir, checkpoint, cfg.hacking
        )
        result = train_or_finish(trainer, checkpoint, stopped=stopped)
    nan_guard.raise_if_tripped(stage_dir)
    # nothing trained: never record the starting model as a finished RL stage
    if trainer.state.global_step == 0:
        raise SafealignError(
            f"rl: GRPO ran 0 steps on {len(rows)} prompts (prompts_per_step {cfg.prompts_per_step}, max_steps "
            f"{cfg.max_steps}); raise rl.num_prompts or lower prompts_per_step. Nothing was saved as the RL model."
        )

    restore_attention(loaded.model, attention)  # the saved config names a standard implementation
    if use_cache is not None:
        loaded.model.config.use_cache = (
            use_cache  # the saved model's plain forward returns its KV cache, as the base's did
        )
    model_path = save_final_model(trainer, loaded.tokenizer, stage_dir)
    # The final pass replays the log prefix by prefix as the live detectors saw it (as `safealign audit` does): one pass
    # over the whole log missed a KL spike that had passed. The stage counts the detectors that either pass raised.
    alerts = replay_detectors([h for h in trainer.state.log_history if "step" in h], cfg.hacking)
    fired = {a.detector for a in alerts} | {str(a.get("detector")) for a in hacking.alerts}
    if is_main_process():
        # with the detectors that had too few logged steps to judge ("info" notes, not alerts; the card skips them)
        write_json(
            stage_dir / "alerts.json",
            [a.to_dict() for a in [*alerts, *too_little_data(trainer.state.log_history, cfg.hacking)]],
        )
    rewards_logged = [h["reward"] for h in trainer.state.log_history if "reward" in h]
    record.inputs = {
        "prompts": {"rows": len(rows), "tasks": cfg.tasks},
        "system_prompt": system_prompt,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "difficulty_filter": screening,
        # the pool files, each with the prompts the stage's dataset took from it (the cards count only those)
        "safety_sources": with_prompts_used(safety_sources, rows),
        "trainer": grpo_settings(trainer),
    }
    # From the log: a resumed stage, or one finished from its last checkpoint, holds earlier sessions' checks too.
    gate_log = earlier_events(stage_dir / "gates.jsonl", trainer.state.global_step) if gate else []
    record.metrics = {
        "steps": trainer.state.global_step,
        "train_runtime_s": result.metrics.get("train_runtime"),
        "reward_first": rewards_logged[0] if rewards_logged else None,
        "reward_last": rewards_logged[-1] if rewards_logged else None,
        "tokens": int(
            next((h["num_tokens"] for h in reversed(trainer.state.log_history) if "num_tokens" in h), 0)
        ),
        "gate_events": len(gate_log),
        "rollbacks": sum(str(e.get("action", "")).startswith("rollback") for e in gate_log),
        "alerts": len(fired),
        "method": cfg.method,
        "precision": "bf16" if trainer.args.bf16 else "fp32",
        "compact_lm_head": compact,
        "unpadded_scoring": unpadded
        and packed_calls(trainer.model) > 0,  # batches this session scored packed
        "rollout_generation": rollout_calls,
    }
    if screening:
        record.metrics |= {
            "prompts_screened": screening["screened"],
            "prompts_in_band": screening["in_band"],
            "screening_s": screening["seconds"],
        }
    if is_main_process():
        record.finish(stage_dir)
    wait_for_everyone()  # every rank returns the same, finished stage.json
    return StageResult(model_path, stage_done(stage_dir))
