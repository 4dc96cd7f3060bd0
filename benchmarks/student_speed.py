"""Student vs. teacher generation speed: same engine, same batch, same prompts, same token count.

    python benchmarks/student_speed.py --teacher runs/quickstart/rl/model --student runs/quickstart/distill/model
    python benchmarks/student_speed.py --student prune:0.5 --student prune:0.4:width   # untrained pruned copies
    python benchmarks/student_speed.py --student prune:0.667:redundancy:0.75           # 20 layers, MLPs at 75%
    python benchmarks/student_speed.py --student prune:0.867:redundancy:0.75 --vocab-keep 16000   # 26, vocabulary trimmed

A ``prune:<fraction>[:<prune_by>]`` student is built from the teacher on the spot (speed does not
depend on training; calibration rows for ``redundancy``/``loss``/``width`` come from the shipped SFT data).
Both sides decode greedily for exactly ``--new-tokens`` tokens (end-of-turn ignored), so a student
that rambles is not faster for it.

Models alternate over ``--repeats`` rounds; each model's speed is its best round, the speed-up the
ratio of best rounds (why: safealign/speed.py, which the distill stage uses too). Beside it: the
median of the rounds' paired ratios with its range, the paired ratio per CPU-second of this process,
and the largest share of a measurement's CPU time the hypervisor gave other guests (/proc/stat
steal). Until the fortieth session this script reported the ratio of medians, which moved by 0.2
between runs on the shared 2-core VM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).parent))

from _common import PRECISIONS, model_spec, positive, report, result_name  # noqa: E402
from generation import prompts  # noqa: E402

from safealign.config import DistillConfig  # noqa: E402
from safealign.config.base import format_validation_error  # noqa: E402
from safealign.corpus import build_mixture  # noqa: E402
from safealign.generation import GenerationEngine  # noqa: E402
from safealign.models import load_model  # noqa: E402
from safealign.models.vocab_trim import trim_student  # noqa: E402
from safealign.speed import compare_speed, speed_summary  # noqa: E402
from safealign.stages.distill import build_student, refuse_unpruned  # noqa: E402


def prune_config(spec: str, vocab_keep: int | None = None) -> DistillConfig:
    """The distill settings of a ``prune:<fraction>[:<prune_by>[:<mlp_fraction>]]`` student, checked as a recipe's
    would be; a ValueError that names the problem otherwise."""
    parts = spec.removeprefix("prune:").split(":")
    if len(parts) > 3:
        raise ValueError(
            f"--student {spec}: write prune:<fraction>[:depth|redundancy|loss|width[:<mlp_fraction>]]"
        )
    fraction, prune_by, mlp_fraction = [*parts, "", ""][:3]
    try:
        mlp = float(mlp_fraction or 1.0)
    except ValueError:
        raise ValueError(
            f"--student {spec}: the MLP share {mlp_fraction!r} is not a number, e.g. 0.75"
        ) from None
    try:
        return DistillConfig(
            student=f"prune:{fraction}", prune_by=prune_by or "depth", mlp_fraction=mlp, vocab_keep=vocab_keep
        )
    except ValidationError as error:
        raise ValueError(str(format_validation_error(error, DistillConfig, f"--student {spec}"))) from None


def student_model(spec: str, teacher, vocab_keep: int | None = None):  # noqa: ANN001, ANN201 - a LoadedModel; (torch module, tokenizer)
    if not spec.startswith("prune:"):
        loaded = load_model(spec, merge_adapter=True)  # as the distill stage loads it: an adapter, merged
        return loaded.model, loaded.tokenizer
    rows = build_mixture(
        {"harmful_refusals": 0.1, "benign_helpful": 0.1, "reasoning": 0.1, "multilingual": 0.1}, seed=0
    ).rows
    # with vocab_keep, as the stage: a fraction that keeps every layer is refused only if the trim leaves it no smaller
    cfg = prune_config(spec, vocab_keep)
    student, tokenizer, _ = build_student(cfg, teacher, rows)
    if vocab_keep is None:
        return student, tokenizer
    # The stage trims to its transfer set; the whole shipped SFT mixture stands in for it (about as many distinct tokens).
    full = build_mixture(
        {"harmful_refusals": 1.0, "benign_helpful": 1.0, "reasoning": 1.0, "multilingual": 1.0}, seed=0
    ).rows
    texts = (tokenizer.apply_chat_template(row["messages"], tokenize=False) for row in full)
    student, tokenizer, _ = trim_student(student, tokenizer, texts, vocab_keep)
    refuse_unpruned(cfg, teacher.model, student, trimmed=True)
    return student, tokenizer


def layer_count(model) -> int | str:  # noqa: ANN001 - a transformers model
    """The decoder layers a model runs: ``model.layers`` where it has them (a pruned copy's kept ones), else its
    config's count (GPT-2 keeps them in ``transformer.h``); "-" if neither says."""
    layers = getattr(getattr(model, "model", None), "layers", None)
    if layers is not None:
        return len(layers)
    return getattr(model.config.get_text_config(), "num_hidden_layers", None) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--teacher", type=model_spec, default="embedded:smollm2-135m-instruct")
    parser.add_argument(
        "--student",
        action="append",
        required=True,
        help="model spec, or prune:<fraction>[:depth|redundancy|loss|width[:<mlp_fraction>]]",
    )
    parser.add_argument("--prompts", type=positive, default=32)
    parser.add_argument("--new-tokens", type=positive, default=64)
    parser.add_argument("--batch-size", type=positive, default=32)
    parser.add_argument("--repeats", type=positive, default=7, help="rounds; each measures every model once")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    parser.add_argument(
        "--vocab-keep",
        type=int,
        default=None,
        help="trim every prune: student's vocabulary (distill.vocab_keep)",
    )
    parser.add_argument(
        "--name", type=result_name, default="student_speed", help="results file: benchmarks/results/NAME.json"
    )
    args = parser.parse_args()
    if repeated := sorted({spec for spec in args.student if args.student.count(spec) > 1}):
        parser.error(
            f"--student {', '.join(repeated)} given more than once: one row per model, so give each once"
        )
    # the teacher's row has that name: this student would replace it and be measured against itself
    if "teacher" in args.student:
        parser.error("--student teacher: the teacher's row has that name; give the folder as ./teacher")
    try:  # before the teacher loads
        for spec in args.student:
            if spec.startswith("prune:"):
                prune_config(spec, args.vocab_keep)
            else:
                model_spec(spec)
        if args.vocab_keep is not None:
            prune_config("prune:0.5", args.vocab_keep)  # checked even when no student is a prune: copy
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(str(error))
    if args.vocab_keep is not None and not any(spec.startswith("prune:") for spec in args.student):
        # it was ignored, and the JSON's args said the students were trimmed to it
        parser.error(
            f"--vocab-keep {args.vocab_keep} trims the prune: students built here, and no --student is one: a trained "
            "student is measured as its folder holds it; give a prune: student or leave --vocab-keep out"
        )

    teacher = load_model(
        args.teacher, merge_adapter=True
    )  # as the distill stage: prune: copies merged weights
    pairs = {"teacher": (teacher.model, teacher.tokenizer)} | {
        spec: student_model(spec, teacher, args.vocab_keep) for spec in args.student
    }
    models = {name: model for name, (model, _) in pairs.items()}
    engines = {
        name: GenerationEngine(model, tokenizer, batch_size=args.batch_size, precision=args.precision)
        for name, (model, tokenizer) in pairs.items()
    }
    runs = compare_speed(engines, prompts(args.prompts), args.new_tokens, args.repeats)
    summary = speed_summary(runs, "teacher")

    teacher_params = sum(p.numel() for p in teacher.model.parameters())
    rows, payload = [], {}
    for name, model in models.items():
        params_n, row = sum(p.numel() for p in model.parameters()), summary[name]
        ratios, stolen = row["round_speedups"], row["most_stolen"]
        rows.append(
            [
                name,
                f"{params_n:,}",
                f"{params_n / teacher_params:.1%}",
                layer_count(model),
                row["best_tokens_per_s"],
                row["speedup"],
                row["paired_median_speedup"],
                f"{min(ratios):.2f}-{max(ratios):.2f}",
                f"{row['cpu_speedup']:.2f}" if row["cpu_speedup"] else "-",
                f"{stolen:.0%}" if stolen is not None else "-",
            ]
        )
        payload[name] = {
            "parameters": params_n,
            "parameter_ratio": params_n / teacher_params,
            "tokens_per_s": [m.tokens_per_s for m in runs[name]],
            **row,
        }
    report(
        args.name,
        f"Generation speed, {args.prompts} prompts x {args.new_tokens} tokens, batch {args.batch_size}, {engines['teacher'].precision}, "
        f"{args.repeats} rounds; speed-up: best round vs the teacher's best",
        [
            "model",
            "parameters",
            "of teacher",
            "layers",
            "tokens/s (best)",
            "speed-up",
            "paired, median",
            "rounds' range",
            "per CPU-second",
            "most stolen",
        ],
        rows,
        {"args": vars(args), "precision": engines["teacher"].precision, "models": payload},
    )


if __name__ == "__main__":
    main()
