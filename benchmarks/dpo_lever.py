"""Experiment: does a DPO preference stage after SFT move the refusal / over-refusal trade-off?

    python benchmarks/dpo_lever.py --sft runs/quickstart/sft/model --out runs/exp-dpo

Pairs are mined from the *training* prompts only (never an eval item):
- benign prompts the SFT model refuses (greedy): the data's helpful answer ≻ the model's refusal;
- harmful prompts where, of ``--k`` samples of the SFT model (temperature 1.0), one refuses and one
  complies: that refusal ≻ that compliance. On-policy, so the pairs move what the model does; a first
  try with the base model's compliant answers as the rejected side (text the SFT model already finds
  unlikely) made it comply instead: 91.7% → 59.7% refused in-distribution.
Then TRL's DPOTrainer (sigmoid loss plus ``--sft-weight`` x NLL on the chosen answer, reference
log-probs precomputed), full fine-tuning with frozen embeddings as in the recipe's SFT. Both models are
scored with ``safealign eval MODEL --split in_distribution --seed 0`` (the split recipes are chosen on);
held-out only after a decision. Mining, DPO training and both evals use ``--recipe``'s
``model.system_prompt``, the one the SFT model was trained with (until the fifty-third session the evals
took it from a model folder's stage.json, which the DPO model has not, so it was asked with the chat
template's, and the pairs were mined and trained without it). ~35 min on 2 CPU cores. Results: a
printed table and ``benchmarks/results/dpo_lever.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import (  # noqa: E402
    QUICKSTART,
    model_spec,
    non_negative_float,
    positive,
    positive_float,
    recipe_system_prompt,
    report,
    system_prompt_flag,
)

from safealign.generation import GenerationEngine, SamplingParams  # noqa: E402
from safealign.judges import build_judges  # noqa: E402
from safealign.judges.base import COMPLIANCE, REFUSAL  # noqa: E402
from safealign.models import load_model  # noqa: E402
from safealign.paths import package_data  # noqa: E402
from safealign.runs import trained_system_prompt  # noqa: E402
from safealign.training.common import apply_embedding_policy, precision_args  # noqa: E402

# the in-distribution split (the one recipes are chosen on) and seed 0's reasoning/format draw
IN_DISTRIBUTION = ["--split", "in_distribution", "--seed", "0", "--batch-size", "128"]


def training_rows(name: str) -> list[dict[str, Any]]:
    with (package_data("train") / f"{name}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def pair(row: dict[str, Any], chosen: str, rejected: str, system_prompt: str | None) -> dict[str, Any]:
    """A preference pair whose prompt carries the system message the SFT model was trained and mined with."""
    prompt = row["messages"][:-1]
    if system_prompt and prompt[0]["role"] != "system":  # as the SFT stage puts it (to_prompt_completion)
        prompt = [{"role": "system", "content": system_prompt}, *prompt]
    return {
        "id": row["id"],
        "kind": row["kind"],
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


def mine_pairs(
    sft: str, k: int, harmful_per_benign: float, seed: int, sample_seed: int, system_prompt: str | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    judges = build_judges()
    loaded = load_model(sft)
    engine = GenerationEngine(
        loaded.model, loaded.tokenizer, batch_size=256, precision="auto", system_prompt=system_prompt
    )
    benign, harmful = training_rows("benign_helpful"), training_rows("harmful_refusals")

    answers = engine.generate(
        [r["messages"][:-1] for r in benign], SamplingParams(max_new_tokens=96), show_progress=True
    )
    verdicts = judges.refusal.judge([r["messages"][-2]["content"] for r in benign], [a.text for a in answers])
    benign_pairs = [
        pair(r, r["messages"][-1]["content"], a.text, system_prompt)
        for r, a, v in zip(benign, answers, verdicts, strict=True)
        if v.label != COMPLIANCE
    ]

    samples = engine.generate(
        [r["messages"][:-1] for r in harmful],
        SamplingParams(max_new_tokens=96, temperature=1.0, num_samples=k, seed=sample_seed),
        show_progress=True,
    )
    verdicts = judges.refusal.judge(
        [harmful[s.prompt_index]["messages"][-2]["content"] for s in samples], [s.text for s in samples]
    )
    by_prompt: dict[int, list[tuple[str, str]]] = {}
    for s, v in zip(samples, verdicts, strict=True):
        by_prompt.setdefault(s.prompt_index, []).append((v.label, s.text))
    harmful_pairs = []  # on-policy on both sides: one sample refused, another complied
    for index, outs in sorted(by_prompt.items()):
        complied = [text for label, text in outs if label == COMPLIANCE]
        refused = [text for label, text in outs if label == REFUSAL]
        if complied and refused:
            harmful_pairs.append(pair(harmful[index], refused[0], complied[0], system_prompt))
    wanted = min(len(harmful_pairs), round(harmful_per_benign * len(benign_pairs)))
    kept = random.Random(seed).sample(harmful_pairs, wanted)
    counts = {
        "benign_prompts": len(benign),
        "benign_refused": len(benign_pairs),
        "harmful_prompts": len(harmful),
        "harmful_with_sampled_refusal_and_compliance": len(harmful_pairs),
        "harmful_pairs_kept": len(kept),
    }
    return benign_pairs + kept, counts


def train_dpo(sft: str, pairs: list[dict[str, Any]], out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    loaded = load_model(sft)
    apply_embedding_policy(loaded.model, "full", False)
    dataset = Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs]).shuffle(
        seed=args.seed
    )
    config = DPOConfig(
        output_dir=str(out),
        learning_rate=args.lr,
        beta=args.beta,
        num_train_epochs=1,
        per_device_train_batch_size=8,
        max_length=384,
        precompute_ref_log_probs=True,
        precompute_ref_batch_size=32,
        loss_type=["sigmoid", "sft"],
        loss_weights=[1.0, args.sft_weight],
        logging_steps=5,
        save_strategy="no",
        report_to="none",
        warmup_steps=0.1,
        lr_scheduler_type="cosine",
        seed=args.seed,
        gradient_checkpointing=False,
        dataloader_num_workers=0,
        **precision_args("auto"),
    )
    start = time.time()
    trainer = DPOTrainer(
        model=loaded.model, args=config, train_dataset=dataset, processing_class=loaded.tokenizer
    )
    trainer.train()
    trainer.save_model(str(out / "model"))
    loaded.tokenizer.save_pretrained(str(out / "model"))
    logs = [h for h in trainer.state.log_history if "loss" in h]
    return {
        "seconds": time.time() - start,
        "steps": trainer.state.global_step,
        "first": logs[0] if logs else {},
        "last": logs[-1] if logs else {},
    }


def in_distribution_scores(model: str, out: Path, system_prompt: str | None) -> dict[str, float]:
    """``safealign eval`` on every in-distribution harmful/borderline item and the seed-0 reasoning/format draw, asked
    with ``system_prompt`` (None: the chat template's) whatever the model folder's stage.json records."""
    cli = str(Path(sys.executable).with_name("safealign"))
    summary: dict[str, Any] = {}
    for suites, limit in (("harmful,borderline", ["--limit", "1000"]), ("reasoning,format", [])):
        folder = out / suites.replace(",", "-")
        flags = [*IN_DISTRIBUTION, "--suites", suites, *limit]
        prompt = system_prompt_flag(system_prompt)
        command = [cli, "eval", model, *flags, *prompt, "--out", str(folder), "--overwrite"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        summary |= json.loads((folder / "summary.json").read_text())["summary"]
    return {
        "refused": summary["harmful"]["refusal_rate"],
        "over_refused": summary["borderline"]["over_refusal_rate"],
        "reasoning": summary["reasoning"]["accuracy"],
        "format": summary["format"]["format_compliance"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(  # checked at parse time: a missing one was load_model's traceback, once mining began
        "--sft",
        type=model_spec,
        required=True,
        help="the SFT model DPO starts from (the recipe's sft/model, e.g. runs/quickstart/sft/model)",
    )
    parser.add_argument(
        "--recipe",
        type=Path,
        default=QUICKSTART,
        help="the SFT model's recipe: its model.system_prompt is asked with in mining, training and both evals",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/exp-dpo"))
    parser.add_argument(
        "--k", type=positive, default=4, help="samples per harmful prompt when looking for compliance"
    )
    parser.add_argument(  # checked here: a negative, inf or nan share failed in random.sample once mining had run
        "--harmful-per-benign",
        type=non_negative_float,
        default=2.0,
        help="harmful pairs per benign pair (0: benign pairs only)",
    )
    parser.add_argument("--lr", type=positive_float, default=5e-6)
    parser.add_argument("--beta", type=positive_float, default=0.1)
    parser.add_argument(  # a negative weight trains the chosen answers' likelihood down, nan every weight to nan
        "--sft-weight", type=non_negative_float, default=0.2, help="weight of the NLL on the chosen answer (0: off)"
    )
    parser.add_argument("--seed", type=int, default=0, help="pair draw and data order")
    parser.add_argument("--sample-seed", type=int, default=3, help="sampling seed of the harmful completions")
    args = parser.parse_args()
    system_prompt = recipe_system_prompt(parser, args.recipe)
    trained = trained_system_prompt(args.sft)
    if trained is not None and trained[0] != system_prompt:
        parser.error(
            f"{args.sft} was trained with the system prompt {trained[0]!r} ({trained[1]}), {args.recipe} "
            f"names {system_prompt!r}: give the SFT model's recipe with --recipe"
        )

    args.out.mkdir(parents=True, exist_ok=True)
    pairs, counts = mine_pairs(
        args.sft, args.k, args.harmful_per_benign, args.seed, args.sample_seed, system_prompt
    )
    with (args.out / "pairs.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs)
    training = train_dpo(args.sft, pairs, args.out, args)
    before = in_distribution_scores(args.sft, args.out / "eval-sft", system_prompt)
    after = in_distribution_scores(str(args.out / "model"), args.out / "eval-dpo", system_prompt)
    rows = [
        [name, *(f"{v:.1%}" for v in scores.values())]
        for name, scores in (("SFT", before), ("SFT → DPO", after))
    ]
    report(
        "dpo_lever",
        f"DPO after SFT, in-distribution ({len(pairs)} pairs, {training['seconds']:.0f} s)",
        ["model", "harmful refused", "borderline over-refused", "reasoning", "format"],
        rows,
        {
            "args": {k: str(v) for k, v in vars(args).items()},
            "system_prompt": system_prompt,
            "pairs": counts,
            "training": training,
            "sft": before,
            "dpo": after,
        },
    )


if __name__ == "__main__":
    main()
