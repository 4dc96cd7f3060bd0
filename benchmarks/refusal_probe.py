"""Experiment exp39: does the SFT model's representation tell harmful from borderline prompts apart where its
behaviour does not? A linear probe, and a probe-routed decoding simulated on stored answers.

    python benchmarks/refusal_probe.py --model runs/quickstart/sft/model --answers runs/exp-vote --out runs/exp-probe

Rule: docs/rules/exp39/RULE_refusal_probe.txt. For every prompt, rendered as the eval renders it (chat template, the
recipe's system prompt, assistant header), the script reads the hidden state of every layer at the last prompt token
and averaged over the user message's tokens (fp32, no generation). A logistic-regression probe (sklearn,
standardised features, balanced classes) is fitted on the SFT training rows only (harmful_refusals vs
benign_helpful, user turns). The feature kind, layer and C with the best dev ROC AUC (harmful_dev +
harmful_dev_subtle + harmful_dev_unseen vs borderline_dev) are chosen and saved before the held-out prompts
(harmful, borderline held_out) are scored, for that configuration only.

``--answers`` (the folder of ``benchmarks/refusal_vote.py``: greedy and 8-sample evals of the same model, plus
``unseen_greedy`` / ``unseen_sampled`` for harmful_dev_unseen) turns on the lever: the probe decides refuse or
answer at the dev-chosen threshold, and the answer is the greedy one when it agrees, else the first sampled answer
that does. Without ``--answers`` only the probe is scored (for a model without stored answers, such as the base model).
Results: a printed table and ``benchmarks/results/NAME.json``. ~2 min of forward passes per model on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))

from _common import QUICKSTART, model_spec, recipe_system_prompt, report, result_name  # noqa: E402
from refusal_vote import BARS, auc, refused_by_prompt  # noqa: E402

from safealign.models.loading import load_model  # noqa: E402
from safealign.probing import best_threshold, prompt_states  # noqa: E402

DATA = Path(__file__).parent.parent / "safealign" / "data"
C_VALUES = (0.01, 0.1, 1.0)
KINDS = ("last", "mean")
DEV = {
    "harmful": ("harmful_dev", "harmful_dev_subtle", "harmful_dev_unseen"),
    "borderline": ("borderline_dev",),
}
# stored answers per split: (greedy folder, sampled folder) pairs inside --answers
ANSWER_DIRS = {
    "dev": [("dev_greedy", "dev_sampled"), ("unseen_greedy", "unseen_sampled")],
    "held": [("held_greedy", "held_sampled")],
}

Item = tuple[str, str, str, int]  # (suite, id, prompt, label: 1 harmful, 0 borderline or benign)


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def train_items() -> list[Item]:
    items = []
    for name, label in (("harmful_refusals", 1), ("benign_helpful", 0)):
        for row in jsonl(DATA / "train" / f"{name}.jsonl"):
            if row["language"] == "en":
                user = next(m["content"] for m in row["messages"] if m["role"] == "user")
                items.append((name, row["id"], user, label))
    return items


def eval_items(suites: tuple[str, ...], label: int, split: str | None) -> list[Item]:
    return [
        (suite, row["id"], row["prompt"], label)
        for suite in suites
        for row in jsonl(DATA / "evals" / f"{suite}.jsonl")
        if split is None or row["split"] == split
    ]


def fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000))
    return probe.fit(x, y)


def counts(labels: list[int], refused: list[bool]) -> dict[str, Any]:
    harmful, borderline = sum(labels), len(labels) - sum(labels)
    r = sum(1 for y, d in zip(labels, refused, strict=True) if y and d)
    o = sum(1 for y, d in zip(labels, refused, strict=True) if not y and d)
    return {
        "refused": r,
        "harmful": harmful,
        "over_refused": o,
        "borderline": borderline,
        "margin": round(100 * r / harmful - 100 * o / borderline, 1),
    }


def stored_answers(folder: Path, split: str) -> dict[tuple[str, str], tuple[bool, list[bool]]]:
    answers = {}
    for greedy_dir, sampled_dir in ANSWER_DIRS[split]:
        greedy, sampled = (
            refused_by_prompt(folder / greedy_dir / "samples.jsonl"),
            refused_by_prompt(folder / sampled_dir / "samples.jsonl"),
        )
        answers.update({key: (greedy[key][0], sampled[key]) for key in greedy})
    return answers


def routed(decide_refuse: bool, greedy: bool, sampled: list[bool]) -> bool:
    """Whether the routed answer refuses: the greedy one if it agrees with the probe, else the first sampled one that
    does, else the greedy one after all."""
    if greedy == decide_refuse:
        return greedy
    return decide_refuse if decide_refuse in sampled else greedy


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=model_spec, required=True, help="the model whose hidden states are probed"
    )
    parser.add_argument("--recipe", type=Path, default=QUICKSTART, help="its system prompt is used")
    parser.add_argument(
        "--answers", type=Path, help="stored greedy and sampled evals of --model (see the docstring)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/exp-probe"),
        help="the selection is saved here before held-out scoring",
    )
    parser.add_argument(
        "--name", type=result_name, default="refusal_probe", help="results file: benchmarks/results/NAME.json"
    )
    args = parser.parse_args()
    system_prompt = recipe_system_prompt(parser, args.recipe)
    # the answers are read after minutes of forward passes: a missing one was a FileNotFoundError then
    if args.answers is not None:
        needed = [
            args.answers / folder / "samples.jsonl"
            for pairs in ANSWER_DIRS.values()
            for pair in pairs
            for folder in pair
        ]
        if missing := [str(path) for path in needed if not path.is_file()]:
            parser.error(
                f"--answers {args.answers}: no {', '.join(missing)}; give the --out folder of benchmarks/refusal_vote.py "
                "for this model (with unseen_greedy and unseen_sampled evals of harmful_dev_unseen), or leave --answers out"
            )
    torch.manual_seed(0)
    loaded = load_model(args.model)
    sets = {
        "train": train_items(),
        "dev": eval_items(DEV["harmful"], 1, None) + eval_items(DEV["borderline"], 0, None),
        "held": eval_items(("harmful",), 1, "held_out") + eval_items(("borderline",), 0, "held_out"),
    }
    feats = {
        name: prompt_states(loaded.model, loaded.tokenizer, [p for _, _, p, _ in items], system_prompt, KINDS)
        for name, items in sets.items()
    }
    labels = {name: [y for *_, y in items] for name, items in sets.items()}
    categories = {
        (suite, row["id"]): row["category"]
        for suite in (*DEV["harmful"], *DEV["borderline"], "harmful", "borderline")
        for row in jsonl(DATA / "evals" / f"{suite}.jsonl")
    }
    y_train = np.array(labels["train"])
    n_layers = feats["train"]["last"].shape[1]

    grid = []
    for kind in KINDS:
        for layer in range(n_layers):
            for c in C_VALUES:
                probe = fit(feats["train"][kind][:, layer], y_train, c)
                dev_scores = probe.predict_proba(feats["dev"][kind][:, layer])[:, 1]
                grid.append(
                    {
                        "kind": kind,
                        "layer": layer,
                        "C": c,
                        "dev_auc": round(auc(list(zip(labels["dev"], dev_scores, strict=True))), 4),
                    }
                )
    chosen = max(grid, key=lambda g: (g["dev_auc"], -g["layer"], -g["C"]))
    probe = fit(feats["train"][chosen["kind"]][:, chosen["layer"]], y_train, chosen["C"])
    scores = {
        name: probe.predict_proba(feats[name][chosen["kind"]][:, chosen["layer"]])[:, 1]
        for name in ("dev", "held")
    }
    tau = best_threshold(labels["dev"], scores["dev"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "selection.json").write_text(
        json.dumps({"chosen": chosen, "tau": tau}, indent=2)
    )  # before held-out is read

    results: dict[str, Any] = {"chosen": chosen, "tau": tau, "grid": grid}
    for name in ("dev", "held"):
        split = {
            "auc": round(auc(list(zip(labels[name], scores[name], strict=True))), 4),
            "probe_at_tau": counts(labels[name], [s >= tau for s in scores[name]]),
        }
        if args.answers:
            answers = stored_answers(args.answers, name)
            keys = [(suite, item_id) for suite, item_id, _, _ in sets[name]]
            split["greedy"] = counts(labels[name], [answers[k][0] for k in keys])
            split["routed"] = counts(
                labels[name], [routed(s >= tau, *answers[k]) for k, s in zip(keys, scores[name], strict=True)]
            )
        # per prompt, for the write-up's per-category reading
        split["items"] = [
            {
                "suite": suite,
                "id": item_id,
                "category": categories.get((suite, item_id)),
                "harmful": bool(y),
                "score": round(float(s), 4),
            }
            for (suite, item_id, _, y), s in zip(sets[name], scores[name], strict=True)
        ]
        results[name] = split
    held_labels = labels["held"]
    results["held"]["tau_meeting_bars"] = [
        t
        for t in sorted(set(scores["held"].tolist()))
        if (c := counts(held_labels, [s >= t for s in scores["held"]]))["refused"]
        >= BARS["refused"] * c["harmful"]
        and c["over_refused"] <= BARS["over_refused"] * c["borderline"]
    ]
    # for the write-up only: the held-out AUC at every layer of the chosen kind and C (chooses nothing)
    results["held_by_layer"] = [
        round(
            auc(
                list(
                    zip(
                        held_labels,
                        fit(feats["train"][chosen["kind"]][:, layer], y_train, chosen["C"]).predict_proba(
                            feats["held"][chosen["kind"]][:, layer]
                        )[:, 1],
                        strict=True,
                    )
                )
            ),
            4,
        )
        for layer in range(n_layers)
    ]
    results["dev_by_layer"] = [
        g["dev_auc"] for g in grid if g["kind"] == chosen["kind"] and g["C"] == chosen["C"]
    ]

    def cell(split: dict[str, Any], key: str) -> str:
        return (
            f"{split[key]['refused']} / {split[key]['over_refused']} of {split[key]['harmful']} / {split[key]['borderline']}"
            if key in split
            else "—"
        )

    rows = [
        [
            name,
            results[name]["auc"],
            cell(results[name], "probe_at_tau"),
            cell(results[name], "greedy"),
            cell(results[name], "routed"),
        ]
        for name in ("dev", "held")
    ]
    report(
        args.name,
        f"Probe: {chosen['kind']} token, layer {chosen['layer']}, C {chosen['C']} (dev AUC {chosen['dev_auc']}); tau {tau:.3f} from dev",
        [
            "split",
            "probe ROC AUC",
            "probe >= tau: refused / over",
            "greedy refused / over",
            "routed refused / over",
        ],
        rows,
        {"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
    )


if __name__ == "__main__":
    main()
