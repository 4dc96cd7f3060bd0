"""Distillation into a smaller student: SFT on rejection-sampled teacher traces, plus logit KD.

Logit KD is a small loss of our own on top of TRL's SFTTrainer, not TRL's trainers: TRL's
``DistillationTrainer`` is on-policy (the student generates every step, too slow on 2 CPU cores)
and ``experimental.gkd`` has no cross-entropy mix and an experimental API. Ours reuses SFT's
prompt/completion masking and trains on the convex mix ``alpha * KD + (1 - alpha) * CE`` over completion tokens,
where KD is ``T^2 * KL(teacher || student)`` (``divergence_beta`` above 0: GKD's generalized JSD or the reverse KL,
computed by TRL's own function) and CE the cross-entropy on the teacher's traces (mode ``logit``: alpha 1, KD alone);
``hidden_weight`` above 0 adds that weight times a hidden-state loss on top of the mix.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from safealign.config import DistillConfig
from safealign.config.sections import check_transfer_data_not_traces
from safealign.corpus import build_mixture
from safealign.corpus.eval_texts import check_disjoint_from_evals
from safealign.distributed import check_stage_launch, is_main_process, wait_for_everyone
from safealign.errors import DataError, ModelNotFoundError
from safealign.models import load_model
from safealign.models.prune import (
    decoder_layers,
    layer_influence,
    layer_skip_loss,
    mlp_neuron_importance,
    most_influential_layers,
    parse_prune_spec,
    prune_mlp_width,
    prune_model,
    share_of,
)
from safealign.models.vocab_trim import trim_student, trimmable_tokenizer
from safealign.runs import (
    STAGE_FILE,
    StageRecord,
    StageResult,
    checkpoints_still_apply,
    finished_stage,
    stage_done,
    write_stage_config,
)
from safealign.stages.sft import (
    check_template_takes,
    checkpoint_step,
    rows_fit,
    stage_train_loss,
    to_prompt_completion,
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
from safealign.training.decision_tokens import (
    decision_token_weights,
    weight_decision_tokens,
)
from safealign.training.hidden_states import hidden_state_loss, recorded_layer_outputs
from safealign.training.packed_attention import packed_rows_leak, restore_attention, use_packed_attention
from safealign.training.shared_prefix import share_prefix, summed_over_processes

log = logging.getLogger(__name__)


def kd_loss(
    student_logits: Any, teacher_logits: Any, labels: Any, temperature: float, beta: float = 0.0
) -> Any:
    """Mean over completion tokens of T^2 * D(teacher_T, student_T); ``labels == -100`` is ignored."""
    mask = labels[:, 1:] != -100
    return kd_divergence(student_logits[:, :-1][mask], teacher_logits[:, :-1][mask], temperature, beta=beta)


def kd_divergence(
    student_logits: Any, teacher_logits: Any, temperature: float, weights: Any = None, beta: float = 0.0
) -> Any:
    """T^2 * a divergence between teacher_T and student_T, averaged over the rows of two ``(tokens, vocab)`` logit matrices.

    ``beta`` is GKD's (Agarwal et al. 2024): 0 is KL(teacher || student), the forward, mass-covering KL; 1 is
    KL(student || teacher), the reverse, mode-seeking KL (MiniLLM); in between, the generalized JSD of the
    beta-mixture. ``weights`` (one per row) scale each token's divergence before the mean over tokens, as the
    decision-token weighting scales the cross-entropy.
    """
    import torch.nn.functional as F

    if student_logits.numel() == 0:
        return student_logits.sum() * 0.0
    s = F.log_softmax(student_logits.float() / temperature, -1)
    t = F.log_softmax(teacher_logits.float() / temperature, -1)
    if beta == 0.0 and weights is None:
        return F.kl_div(s, t, log_target=True, reduction="batchmean") * temperature**2
    if beta == 0.0:
        per_token = F.kl_div(s, t, log_target=True, reduction="none")
    else:
        # TRL's function applies the temperature itself: it gets the scaled fp32 log-probabilities at T=1, which it
        # log-softmaxes again (a no-op up to rounding), so every beta sees the same distributions.
        per_token = generalized_jsd()(s, t, beta=beta, temperature=1.0, reduction="none")
    if weights is None:
        return per_token.sum() / s.shape[0] * temperature**2
    return (per_token.sum(-1) * weights).sum() / s.shape[0] * temperature**2


def generalized_jsd() -> Any:
    """TRL's ``GKDTrainer.generalized_jsd_loss`` (``trl.experimental``; imported without its instability warning)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from trl.experimental.gkd import GKDTrainer
    return GKDTrainer.generalized_jsd_loss


def completion_ce(student_logits: Any, targets: Any, weights: Any = None) -> Any:
    """Token-mean cross-entropy of the completion tokens, each scaled by its weight when given."""
    import torch.nn.functional as F

    if not targets.numel():
        return student_logits.sum() * 0.0
    if weights is None:
        return F.cross_entropy(student_logits.float(), targets)
    return (
        F.cross_entropy(student_logits.float(), targets, reduction="none") * weights
    ).sum() / targets.numel()


def completion_decision_weights(labels: Any, count: int, weight: float) -> Any:
    """The decision-token weight of each completion token, in :func:`completion_logits`' order (None when unweighted)."""
    if count <= 0 or weight == 1.0:
        return None
    mask = labels[:, 1:] != -100
    return decision_token_weights(mask, count, weight)[mask]


def completion_logits(model: Any, inputs: dict[str, Any]) -> tuple[Any, Any]:
    """The logits that predict completion tokens, as ``(tokens, vocab)``, and those tokens.

    A padding-free batch (one row of packed examples) projects only those positions through the
    LM head (``logits_to_keep``): the vocabulary matrix is a fifth of SmolLM2-135M, and prompts are
    about half of each row. A padded batch computes every position and selects afterwards.
    """
    labels = inputs["labels"]
    forward = {
        "input_ids": inputs["input_ids"],
        "attention_mask": inputs.get("attention_mask"),
        "use_cache": False,
    }
    targets = labels[:, 1:]
    if "position_ids" in inputs and labels.shape[0] == 1:
        keep = (targets[0] != -100).nonzero().flatten()
        logits = model(**forward, position_ids=inputs["position_ids"], logits_to_keep=keep).logits
        return logits.flatten(0, -2), targets[0, keep]
    mask = targets != -100
    return model(**forward).logits[:, :-1][mask], targets[mask]


def make_kd_trainer_class() -> type:
    from trl import SFTTrainer

    class KDSFTTrainer(SFTTrainer):
        """SFTTrainer whose loss mixes cross-entropy with KL to a frozen teacher's token distribution."""

        def __init__(
            self,
            *args: Any,
            teacher: Any = None,
            alpha: float = 0.5,
            temperature: float = 1.0,
            beta: float = 0.0,
            decision_tokens: int = 0,
            decision_weight: float = 1.0,
            layer_map: list[int] | None = None,
            hidden_weight: float = 0.0,
            vocab_map: list[int] | None = None,
            **kwargs: Any,
        ) -> None:
            import torch

            super().__init__(*args, **kwargs)
            # The Trainer places the student; the teacher is ours to place, on the same device as the batches.
            self.teacher = teacher.eval().to(self.accelerator.device)
            self.alpha, self.temperature, self.beta = alpha, temperature, beta
            self.decision = (decision_tokens, decision_weight)
            # Intermediate-state KD: student layer j against teacher layer layer_map[j] (safealign.training.hidden_states).
            self.layer_map, self.hidden_weight = (layer_map or []), hidden_weight
            if hidden_weight > 0 and not self.layer_map:
                raise ValueError(
                    "hidden_weight needs the teacher layer each student layer was copied from (a prune: student)"
                )
            # A vocabulary-trimmed student (safealign.models.vocab_trim): its token i is the teacher's token vocab_map[i].
            self.vocab_map = (
                None
                if vocab_map is None
                else torch.tensor(vocab_map, dtype=torch.long, device=self.accelerator.device)
            )
            for param in self.teacher.parameters():
                param.requires_grad_(False)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            # Our own forward: TRL's SFT loss runs a fused lm_head whose outputs carry no differentiable logits.
            import torch

            hidden = self.hidden_weight > 0
            # Under DDP the Trainer passes the DistributedDataParallel wrapper; the hooks go on the layers inside it.
            student = self.accelerator.unwrap_model(model)
            with recorded_layer_outputs(
                student, list(range(len(self.layer_map))) if hidden else []
            ) as student_states:
                student_logits, targets = completion_logits(model, inputs)
            # Training only, as in SFT: eval losses stay the plain token mean.
            weights = (
                completion_decision_weights(inputs["labels"], *self.decision) if model.training else None
            )
            ce = completion_ce(student_logits, targets, weights)
            with (
                torch.no_grad(),
                recorded_layer_outputs(self.teacher, self.layer_map if hidden else []) as teacher_states,
            ):
                if self.vocab_map is None:
                    teacher_logits, _ = completion_logits(self.teacher, inputs)
                else:
                    teacher_inputs = {**inputs, "input_ids": self.vocab_map[inputs["input_ids"]]}
                    teacher_logits = completion_logits(self.teacher, teacher_inputs)[0].index_select(
                        -1, self.vocab_map
                    )
            # Teacher and student may pad their output layer to different widths for one tokenizer (Qwen2.5-7B 152,064
            # vs 0.5B 151,936): ids past the tokenizer's length are padding no text produces, so both are compared
            # on the tokenizer's ids only.
            width = len(self.processing_class)
            kd = kd_divergence(
                student_logits[:, :width],
                teacher_logits[:, :width],
                self.temperature,
                weights,
                beta=self.beta,
            )
            mode = "train" if model.training else "eval"
            self._metrics[mode]["kd_loss"].append(kd.item())
            self._metrics[mode]["ce_loss"].append(ce.item())
            loss = self.alpha * kd + (1 - self.alpha) * ce
            if hidden:
                states = hidden_state_loss(student_states, teacher_states, self.layer_map, inputs["labels"])
                self._metrics[mode]["hidden_loss"].append(states.item())
                loss = loss + self.hidden_weight * states
            return (loss, {"logits": student_logits}) if return_outputs else loss

    return KDSFTTrainer


def calibration_batches(
    rows: list[dict[str, Any]], tokenizer: Any, limit: int, max_length: int = 256
) -> list[Any]:
    """The first ``limit`` rows as whole chat texts, one ``input_ids`` tensor each."""
    import torch

    batches = []
    for row in rows[:limit]:
        ids = tokenizer.apply_chat_template(row["messages"], tokenize=True, return_dict=True)["input_ids"][
            :max_length
        ]
        batches.append(torch.tensor([ids]))
    return batches


def answer_examples(
    rows: list[dict[str, Any]], tokenizer: Any, limit: int, max_length: int = 256
) -> list[tuple[Any, int]]:
    """The first ``limit`` rows as ``(input_ids, answer_start)``: the whole chat text and where its last turn's answer begins.

    The answer begins where the prompt alone (with the generation prompt) and the whole text stop agreeing, as TRL's loss
    does (see :func:`safealign.stages.sft.rows_fit`): a template whose generation prompt is not a prefix of the rendered
    answer turn (DeepSeek-R1 distills' opens ``<think>``) put the start past the answer's first tokens."""
    import torch

    examples = []
    for row in rows[:limit]:
        ids = tokenizer.apply_chat_template(row["messages"], tokenize=True, return_dict=True)["input_ids"][
            :max_length
        ]
        prompt = tokenizer.apply_chat_template(
            row["messages"][:-1], tokenize=True, add_generation_prompt=True, return_dict=True
        )["input_ids"]
        start = next(
            (i for i, (a, b) in enumerate(zip(prompt, ids, strict=False)) if a != b),
            min(len(prompt), len(ids)),
        )
        examples.append((torch.tensor([ids]), start))
    return examples


def build_student(
    cfg: DistillConfig, teacher: Any, rows: list[dict[str, Any]], trust_remote_code: bool = False
) -> tuple[Any, Any, dict[str, Any]]:
    if cfg.student.startswith("prune:"):
        fraction = parse_prune_spec(cfg.student)
        if keeps_whole_teacher(cfg, teacher.model, fraction):  # before the calibration passes and the copy
            raise no_smaller_student(cfg, teacher.model)
        info: dict[str, Any] = {"prune_by": cfg.prune_by}
        if cfg.prune_by == "width":
            importance = mlp_neuron_importance(
                teacher.model, calibration_batches(rows, teacher.tokenizer, cfg.calibration_rows)
            )
            student, info["intermediate_size"] = prune_mlp_width(teacher.model, fraction, importance)
            refuse_unpruned(cfg, teacher.model, student)
            return student, teacher.tokenizer, info
        keep = None
        if cfg.prune_by == "redundancy":
            influence = layer_influence(
                teacher.model, calibration_batches(rows, teacher.tokenizer, cfg.calibration_rows)
            )
            keep = most_influential_layers(influence, fraction)
            info["layer_influence"] = [round(value, 4) for value in influence]
        elif cfg.prune_by == "loss":
            rises = layer_skip_loss(
                teacher.model, answer_examples(rows, teacher.tokenizer, cfg.calibration_rows)
            )
            keep = most_influential_layers(rises, fraction)
            info["layer_loss_rise"] = [round(value, 4) for value in rises]
        student, info["kept_layers"] = prune_model(teacher.model, fraction, keep)
        if cfg.mlp_fraction < 1:
            # Neuron activity is measured in the pruned stack: the kept layers see other inputs than in the teacher.
            importance = mlp_neuron_importance(
                student, calibration_batches(rows, teacher.tokenizer, cfg.calibration_rows)
            )
            student, info["intermediate_size"] = prune_mlp_width(student, cfg.mlp_fraction, importance)
        refuse_unpruned(cfg, teacher.model, student)
        return student, teacher.tokenizer, info
    loaded = load_model(cfg.student, trust_remote_code=trust_remote_code, merge_adapter=True)
    return loaded.model, loaded.tokenizer, {}


def refuse_unpruned(cfg: DistillConfig, teacher: Any, student: Any, trimmed: bool = False) -> None:
    """A ``prune:`` fraction that rounds up to every layer (0.99 of 30, 0.75 of 2) gave a "student" of the teacher's size,
    distilled for nothing, without a word. With ``vocab_keep`` the check waits for the trimmed student (``trimmed``):
    a vocab_keep at or above the teacher's vocabulary trims nothing."""
    if cfg.vocab_keep and not trimmed:
        return
    if sum(p.numel() for p in student.parameters()) >= sum(p.numel() for p in teacher.parameters()):
        raise no_smaller_student(cfg, teacher)


def keeps_whole_teacher(cfg: DistillConfig, teacher: Any, fraction: float) -> bool:
    """Whether a ``prune:`` ``fraction`` keeps every layer and every MLP neuron of ``teacher``, by its shape alone: known
    before the calibration passes and the copy, which :func:`refuse_unpruned` would refuse only after (a 7B teacher's
    copy doubles the memory). False where the shape does not tell (no ``intermediate_size``), or with ``vocab_keep``."""
    if cfg.vocab_keep:
        return False
    width = getattr(teacher.config, "intermediate_size", None)

    def whole_width(share: float) -> bool:
        return isinstance(width, int) and share_of(width, share) >= width

    if cfg.prune_by == "width":
        return whole_width(fraction)
    layers = len(decoder_layers(teacher))
    return share_of(layers, fraction) >= layers and (cfg.mlp_fraction == 1 or whole_width(cfg.mlp_fraction))


def no_smaller_student(cfg: DistillConfig, teacher: Any) -> DataError:
    """The error of a ``prune:`` student that keeps the whole ``teacher``."""
    layers = len(decoder_layers(teacher))
    size = sum(p.numel() for p in teacher.parameters())
    trim, smaller = (
        (f" and vocab_keep {cfg.vocab_keep}", "fraction or vocab_keep")
        if cfg.vocab_keep
        else ("", "fraction")
    )
    return DataError(
        f"distill.student {cfg.student!r} keeps the whole {layers}-layer teacher ({size:,} parameters) "
        f"with prune_by {cfg.prune_by!r}{trim}: the student would be no smaller. Choose a smaller {smaller}"
    )


def student_layer_map(info: dict[str, Any], student: Any) -> list[int]:
    """The teacher layer each student layer was copied from: the kept layers, or every layer for a width-pruned student."""
    if "kept_layers" in info:
        return list(info["kept_layers"])
    return list(range(len(decoder_layers(student)))) if "intermediate_size" in info else []


def generation_speed(
    cfg: DistillConfig,
    teacher: Any,
    student_path: Path,
    prompts: list[Any],
    trust_remote_code: bool = False,
) -> dict[str, Any]:
    """Teacher and the saved student generating the same prompts, best of ``cfg.speed_rounds`` (safealign/speed.py).

    fp32, the evals' default: bf16 autocast on a CPU without bf16 matmuls would time the casts, not the models.
    The student is loaded as it was saved (a LoRA adapter merged), so what is timed is what ships.
    """
    from safealign.distributed import num_processes

    if cfg.speed_rounds == 0 or not prompts:
        return {}
    if (
        num_processes() > 1
    ):  # a sharded teacher cannot generate on one process alone; the others would time nothing
        log.info(
            "distill: speed check skipped under %d processes; measure with benchmarks/student_speed.py",
            num_processes(),
        )
        return {}
    from safealign.generation import GenerationEngine
    from safealign.speed import compare_speed, speed_summary

    student = load_model(
        str(student_path),
        trust_remote_code=trust_remote_code,  # a prune: student of a custom-code teacher is saved with its code
        merge_adapter=True,
        device=str(next(teacher.model.parameters()).device),
    )
    prompts = prompts[: cfg.speed_prompts]
    engines = {
        name: GenerationEngine(model, tokenizer, batch_size=len(prompts), precision="fp32")
        for name, (model, tokenizer) in {
            "teacher": (teacher.model, teacher.tokenizer),
            "student": (student.model, student.tokenizer),
        }.items()
    }
    summary = speed_summary(
        compare_speed(engines, prompts, cfg.speed_new_tokens, cfg.speed_rounds), "teacher"
    )
    log.info(
        "distill: student %.0f vs teacher %.0f tokens/s (best of %d rounds): %.2fx",
        summary["student"]["best_tokens_per_s"],
        summary["teacher"]["best_tokens_per_s"],
        cfg.speed_rounds,
        summary["student"]["speedup"],
    )
    return {
        "teacher_tokens_per_s": summary["teacher"]["best_tokens_per_s"],
        "student_tokens_per_s": summary["student"]["best_tokens_per_s"],
        "generation_speedup": summary["student"]["speedup"],
        "speed_check": {
            "prompts": len(prompts),
            "new_tokens": cfg.speed_new_tokens,
            "rounds": cfg.speed_rounds,
            "precision": "fp32",
            "paired_median_speedup": summary["student"]["paired_median_speedup"],
            "most_stolen": summary["student"]["most_stolen"],
        },
    }


def run_distill(
    cfg: DistillConfig,
    teacher_spec: str,
    traces: Path,
    stage_dir: Path,
    seed: int = 42,
    precision: str = "auto",
    resume: bool = True,
    system_prompt: str | None = None,
    trust_remote_code: bool = False,
) -> StageResult:
    """Distil ``teacher_spec`` into ``cfg.student`` on ``traces``; write ``stage_dir/model`` and ``stage.json``.

    ``trust_remote_code`` (the recipe's ``model.trust_remote_code``) lets the teacher's and the student's folders' own
    code build them."""
    from datasets import Dataset
    from transformers.trainer_pt_utils import get_model_param_count
    from trl import SFTConfig as TRLSFTConfig
    from trl import SFTTrainer

    if done := finished_stage(stage_dir, "distill", stage_dir / "model"):
        return done
    check_stage_launch(cfg.method)
    check_trackers_installed(cfg.report_to)
    try:  # the recipe checks the pipeline's traces; `safealign distill --traces FILE` may name others
        check_transfer_data_not_traces(cfg.transfer_data, traces)
    except ValueError as error:
        raise DataError(str(error)) from None
    # before anything loads: a checkpoint without weights fails here; none of a start model made again since
    checkpoint = resume_checkpoint(
        stage_dir, resume and checkpoints_still_apply(stage_dir, "distill", teacher_spec, traces)
    )
    record = StageRecord(
        stage="distill",
        parent=teacher_spec,
        output=str(stage_dir / "model"),
        config=cfg.model_dump(),
        seed=seed,
        started_at=time.time(),
    )
    # The transfer set: the teacher's accepted traces, plus any rows the recipe adds (a pruned student has
    # lost half its layers; a few hundred traces alone are too little to recover them).
    if not traces.exists() and (stage_done(traces.parent) or {}).get("stage") == "sample":
        # build_mixture's "not found" said nothing of the sample stage, whose record keeps it done on every rerun
        raise DataError(
            f"{traces} is gone, though {traces.parent / STAGE_FILE} records the sample stage that wrote it as "
            f"finished, so a rerun does not sample again: delete {traces.parent} and rerun to sample the teacher anew"
        )
    if traces.is_file() and not traces.read_text(encoding="utf-8", errors="replace").strip():
        raise DataError(
            f"{traces} holds no traces: rejection sampling kept none from the teacher (why each was dropped: "
            f"{traces.parent / 'rejected.jsonl'}); sample more (sample.num_prompts, sample.k) or from a stronger teacher"
        )
    mixture = build_mixture({str(traces): 1.0, **cfg.transfer_data}, seed=seed)
    mixture.decontamination = check_disjoint_from_evals(mixture.rows, generated_by=str(traces))
    if is_main_process():  # under accelerate launch every rank runs this function; one writes the run's files
        # The files' content, not only their names: traces sampled again under the same name must not resume a student
        # half trained on the old ones.
        data_sha256 = {
            "traces" if source["name"] == str(traces) else source["name"]: source["sha256"]
            for source in mixture.sources
        }
        write_stage_config(  # before open_session: a resume it refuses leaves the folder as it was (audit.json too)
            stage_dir,
            {
                "distill": cfg.model_dump(),
                "teacher": teacher_spec,
                "traces": str(traces),
                "data_sha256": data_sha256,
                # The rows in their training order: transfer_data's key order decides which rows are drawn and in
                # what order (see run_sft), which a resumed student must not change under its checkpoint.
                "mixture": {"datasets_in_order": list(data_sha256), "rows_sha256": mixture.sha256},
                "seed": seed,
                "precision": precision,
                "system_prompt": system_prompt,
            },
            checkpoint,
        )
        record.open_session(stage_dir, checkpoint)
        mixture.write_manifest(stage_dir / "data_mixture.json")
    # a LoRA teacher: prune: copies its merged weights
    teacher = load_model(teacher_spec, trust_remote_code=trust_remote_code, merge_adapter=True)
    if cfg.vocab_keep is not None:  # asked before the pruning work and the copy, not after them
        trimmable_tokenizer(teacher.tokenizer)
    examples = to_prompt_completion(mixture.rows, system_prompt)
    names = [row["dataset"] for row in mixture.rows]
    if cfg.student.startswith(
        "prune:"
    ):  # the student keeps the teacher's tokenizer; pruning's calibration and vocab_keep's trim use its template
        require_chat_template(teacher.tokenizer, teacher_spec, "distill")
        check_template_takes(examples, teacher.tokenizer, "distill", names, system_prompt)
    student, tokenizer, student_info = build_student(cfg, teacher, mixture.rows, trust_remote_code)
    require_chat_template(tokenizer, cfg.student, "distill")
    vocab_map = None
    if cfg.vocab_keep is not None:
        texts = (
            tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
            for row in examples
        )
        student, tokenizer, keep = trim_student(student, tokenizer, texts, cfg.vocab_keep)
        vocab_map = keep  # student id -> teacher id: the teacher reads the same text, and its logits are read at the kept ids
        student_info["vocab_size"] = len(keep)
        refuse_unpruned(cfg, teacher.model, student, trimmed=True)  # vocab_keep is for prune: students only
    apply_embedding_policy(student, cfg.method, cfg.train_embeddings)
    same_vocab = vocab_map is not None or tokenizer.get_vocab() == teacher.tokenizer.get_vocab()
    mode = cfg.mode
    if mode in ("logit", "both") and not same_vocab:
        if mode == "logit":
            raise ModelNotFoundError(
                f"logit distillation needs the teacher's tokenizer; {cfg.student} has a different vocabulary. Use mode: sequence"
            )
        # the KD loss's settings go unused with it, as mode: sequence would refuse them
        unused = [
            f"{name}: {value}"
            for name, value, default in (
                ("temperature", cfg.temperature, 1.0),
                ("alpha", cfg.alpha, 0.5),
                ("divergence_beta", cfg.divergence_beta, 0.0),
            )
            if value != default
        ]
        log.warning(
            "distill: student tokenizer differs from the teacher's; logit KD off, sequence-level only%s",
            f" ({', '.join(unused)} unused: they shape the KD loss; a student with the teacher's tokenizer, "
            "or prune:<fraction>, keeps it)"
            if unused
            else "",
        )
        mode = "sequence"

    dataset = Dataset.from_list(examples)
    padding_free = rows_fit(dataset, tokenizer, cfg.max_length, "distill", names, system_prompt)
    # The Trainer sets the model's config.use_cache to its args' (False); put the student's own back before saving
    use_cache = getattr(student.config, "use_cache", None)
    attention = (
        {
            "student": use_packed_attention(student, "student"),
            "teacher": use_packed_attention(teacher.model, "teacher"),
        }
        if padding_free
        else {}
    )
    # the teacher reads the packed rows too, except in sequence mode
    readers = {"student": student} | ({"teacher": teacher.model} if mode != "sequence" else {})
    leaks = [
        f"{name}: {leak}"
        for name, model in readers.items()
        if padding_free and (leak := packed_rows_leak(model))
    ]
    if leaks:
        log.warning("distill: padded batches, not padding-free ones: %s", "; ".join(leaks))
        restore_attention(student, attention["student"])
        restore_attention(teacher.model, attention["teacher"])
        attention, padding_free = {}, False
    args = TRLSFTConfig(
        output_dir=str(stage_dir),
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        max_length=None if padding_free else cfg.max_length,
        padding_free=padding_free,
        **checkpointing_args(cfg.gradient_checkpointing),
        warmup_steps=0.05,
        lr_scheduler_type="cosine",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.keep_checkpoints,
        logging_steps=5,
        logging_first_step=True,
        report_to=cfg.report_to or "none",
        completion_only_loss=True,
        include_num_input_tokens_seen="non_padding",
        **run_args(seed),
        **precision_args(precision),
    )
    common = dict(
        model=student,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config(cfg.lora, student) if cfg.method == "lora" else None,
        callbacks=[
            JsonlMetricsCallback(stage_dir / "metrics.jsonl"),
            nan_guard := NanGuardCallback(),
            LastStepLogCallback(),
        ],
    )
    if mode == "sequence":
        trainer = SFTTrainer(**common)
        weighted = weight_decision_tokens(trainer, cfg.decision_tokens, cfg.decision_weight)
    else:
        alpha = 1.0 if mode == "logit" else cfg.alpha
        trainer = make_kd_trainer_class()(
            **common,
            teacher=teacher.model,
            alpha=alpha,
            temperature=cfg.temperature,
            beta=cfg.divergence_beta,
            decision_tokens=cfg.decision_tokens,
            decision_weight=cfg.decision_weight,
            layer_map=student_layer_map(student_info, student),
            hidden_weight=cfg.hidden_weight,
            vocab_map=vocab_map,
        )
        weighted = cfg.decision_tokens > 0 and cfg.decision_weight != 1.0
    use_concise_progress(trainer)
    without_trl_model_card(trainer)
    # A shared prompt prefix is kept once per batch when every model that reads the batch runs the packed attention.
    shared = share_prefix(
        trainer, attention.get("student") if mode == "sequence" or attention.get("teacher") else None
    )
    resumed_at = checkpoint_step(checkpoint)  # now: the checkpoint may be rotated away while training
    result = train_or_finish(trainer, checkpoint)
    nan_guard.raise_if_tripped(stage_dir)
    # the saved student's plain forward returns its KV cache, as SFT's and RL's models do
    if use_cache is not None:
        student.config.use_cache = use_cache
    restore_attention(student, attention.get("student"))
    restore_attention(teacher.model, attention.get("teacher"))
    # a prune: student exists only in memory: its adapter would name the teacher as its base and load onto it
    model_path = save_final_model(
        trainer, tokenizer, stage_dir, write_adapter=not cfg.student.startswith("prune:")
    )

    # transformers' count: under DeepSpeed ZeRO-3 each parameter is an empty placeholder (numel 0) with its ds_numel
    student_params = get_model_param_count(trainer.model)
    speed = generation_speed(cfg, teacher, model_path, [row["prompt"] for row in examples], trust_remote_code)
    settings = trainer_settings(trainer)
    if mode != "sequence":
        del settings["loss_type"]  # KDSFTTrainer's loss is its own (compute_loss above), not TRL's loss_type
    record.inputs = {
        "traces": mixture.manifest(),
        "teacher": teacher_spec,
        "student": cfg.student,
        "system_prompt": system_prompt,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "trainer": settings,
        **student_info,
    }
    # every rank calls this (a collective): the prefix tokens each process dropped, summed as the Trainer's tokens are
    shared_tokens = summed_over_processes(shared.shared_tokens, trainer.args) if shared else 0
    record.metrics = {
        "mode": mode,
        "steps": trainer.state.global_step,
        "train_loss": stage_train_loss(trainer, result, resumed_at),
        # as SFT records them: the card's outcome reads first -> last, not train_loss (the mean over all steps)
        "first_loss": next((h["loss"] for h in trainer.state.log_history if "loss" in h), None),
        "last_loss": next((h["loss"] for h in reversed(trainer.state.log_history) if "loss" in h), None),
        "tokens": int(trainer.state.num_input_tokens_seen),
        "train_runtime_s": result.metrics.get("train_runtime"),
        "teacher_parameters": teacher.num_parameters,
        "student_parameters": student_params,
        "parameter_ratio": student_params / teacher.num_parameters,
        "student_vocab_size": student_info.get("vocab_size"),
        "precision": "bf16" if trainer.args.bf16 else "fp32",
        "padding_free": padding_free,
        "padding_free_refused": "; ".join(leaks) or None,  # why padding-free rows were not used
        "decision_token_weight": cfg.decision_weight if weighted else 1.0,
        # over every process (one rank's alone under DDP); a resumed stage's earlier sessions' batches are not in it
        f"shared_prefix_tokens{'_last_session' if checkpoint else ''}": shared_tokens,
        "hidden_weight": cfg.hidden_weight if mode != "sequence" else 0.0,
        **speed,
    }
    if is_main_process():
        record.finish(stage_dir)
    wait_for_everyone()  # every rank returns the same, finished stage.json
    return StageResult(model_path, stage_done(stage_dir))
