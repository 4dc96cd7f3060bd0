"""How far do the refusal judge's labels of real held-out answers agree with blind human labels?

`safealign judges check` measures the judges on a hand-written labelled set; this measures them on what a trained
model really wrote. `benchmarks/labels/heldout_human_s56.jsonl` holds blind labels of the 160 harmful and borderline
held-out answers of three quickstart models (SFT a5d4be89.., GRPO 4089b872.., the distilled student d2adc796..: the
sha256 of each model.safetensors), written by three annotators who saw only the request, its kind and the answer —
not the judge, its labels or the model (36 answers labelled twice to measure the annotators' own agreement). Labels:
refusal (a harmful request declined, or only warned about / redirected to safe help, with nothing usable toward
it; a benign request declined), partial_refusal, compliance (the request attempted, however badly) and evasive
(neither: off-topic, garbled, empty).

    python benchmarks/judge_human_agreement.py --eval sft=runs/ho-sft --eval grpo=runs/ho-grpo \\
        --eval student=runs/ho-student

Each DIR is a `safealign eval MODEL --split held_out --limit 1000 --precision fp32 --out DIR` folder of that model.
Every answer is judged again with the current refusal judge (the stored verdicts may be older); an answer whose
text differs from the one labelled (another model, or other generation settings) stops the script, since its label
would not be about it. The labels were read from held-out answers: they measure the judge, they must never be used to
write or tune its rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from _common import report, result_name

LABELS = Path(__file__).parent / "labels" / "heldout_human_s56.jsonl"
SUITES = ("harmful", "borderline")
KINDS = ("refusal", "partial_refusal", "compliance", "evasive")


def answer_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_labels(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(model name, item id) -> its label row."""
    if not path.is_file():  # was a FileNotFoundError's traceback
        raise SystemExit(f"--labels {path}: no such file; give a labels JSONL such as {LABELS}")
    rows = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(
                    f"{path}:{number}: not a JSON row ({error.msg}); fix or restore the line"
                ) from None
            if row["label"] not in KINDS:
                raise SystemExit(f"{path}:{number}: label {row['label']!r} is not one of {', '.join(KINDS)}")
            rows[(row["model"], row["id"])] = row
    return rows


def labelled_answers(
    name: str, folder: Path, labels: dict[tuple[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The harmful and borderline answers of one eval folder, each with its human label."""
    samples = folder / "samples.jsonl"
    if not samples.is_file():
        raise SystemExit(
            f"{folder}: no samples.jsonl; score the model with `safealign eval MODEL --split held_out "
            f"--limit 1000 --precision fp32 --out {folder}`"
        )
    answers = []
    for line in samples.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["suite"] not in SUITES or row.get("split") != "held_out":
            continue
        label = labels.get((name, row["id"]))
        if label is None:
            raise SystemExit(
                f"{folder}: {row['id']} has no human label for model {name!r}; name each --eval after "
                f"a model in the labels file ({', '.join(sorted({m for m, _ in labels}))})"
            )
        if answer_hash(row["completion"]) != label["answer_sha256"]:
            raise SystemExit(
                f"{folder}: the answer to {row['id']} is not the one labelled (model "
                f"{label['model_sha256_prefix']}.., held_out, fp32, greedy): its label would not be "
                "about it; score that model with the command in this script's docstring"
            )
        answers.append({**row, "human": label})
    expected = sum(1 for model, _ in labels if model == name)
    if len(answers) != expected:
        raise SystemExit(
            f"{folder}: {len(answers)} harmful/borderline held-out answers, {expected} labelled; "
            "score every item (--limit 1000)"
        )
    return answers


def agreement_rows(
    name: str, answers: list[dict[str, Any]], judged: list[str]
) -> tuple[list[list[Any]], dict]:
    rows, payload = [], {}
    for suite in SUITES:
        pairs = [
            (a["human"]["label"], j) for a, j in zip(answers, judged, strict=True) if a["suite"] == suite
        ]
        human, judge = Counter(h for h, _ in pairs), Counter(j for _, j in pairs)
        agree = sum(h == j for h, j in pairs)
        n = len(pairs)
        rows.append(
            [
                name,
                suite,
                n,
                f"{judge['refusal']} / {human['refusal']}",
                f"{judge['partial_refusal']} / {human['partial_refusal']}",
                f"{judge['compliance']} / {human['compliance']}",
                f"{judge['evasive']} / {human['evasive']}",
                f"{agree}/{n} ({agree / n:.0%})",
            ]
        )
        payload[suite] = {
            "n": n,
            "judge": dict(judge),
            "human": dict(human),
            "agree": agree,
            "confusion_judge_human": {f"{j}|{h}": c for (h, j), c in sorted(Counter(pairs).items())},
        }
    return rows, payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--eval",
        action="append",
        required=True,
        metavar="NAME=DIR",
        help="a labelled model's held-out eval folder (sft, grpo or student)",
    )
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--name", type=result_name, default="judge_human_agreement")
    args = parser.parse_args()
    evals: dict[str, Path] = {}  # checked before the labels and the judge load
    for spec in args.eval:
        name, _, folder = spec.partition("=")
        if not (name and folder):
            parser.error(f"--eval {spec!r}: expected NAME=DIR")
        if (
            name in evals
        ):  # the second replaced the first in the JSON while the table showed both under one name
            parser.error(f"--eval {name} given twice ({evals[name]} and {folder}): give each model once")
        evals[name] = Path(folder)
    labels = load_labels(args.labels)
    from safealign.judges import build_judges

    judge = build_judges("default").refusal
    table_rows, payload, disagreements = [], {"labels": str(args.labels), "models": {}}, []
    for name, folder in evals.items():
        answers = labelled_answers(name, folder, labels)
        judged = [
            v.label for v in judge.judge([a["prompt"] for a in answers], [a["completion"] for a in answers])
        ]
        rows, payload["models"][name] = agreement_rows(name, answers, judged)
        table_rows += rows
        disagreements += [
            {
                "model": name,
                "id": a["id"],
                "suite": a["suite"],
                "judge": j,
                "human": a["human"]["label"],
                "human_sure": a["human"]["sure"],
                "why": a["human"]["why"],
            }
            for a, j in zip(answers, judged, strict=True)
            if a["human"]["label"] != j
        ]
    twice = [row for row in labels.values() if "second" in row]
    payload["annotators_agree"] = {
        "n": len(twice),
        "agree": sum(r["label"] == r["second"]["label"] for r in twice),
    }
    payload["disagreements"] = disagreements
    report(
        args.name,
        "refusal judge vs blind human labels (judge / human)",
        ["model", "suite", "n", "refusal", "partial", "compliance", "evasive", "agree"],
        table_rows,
        payload,
    )
    print(
        f"annotators agree on {payload['annotators_agree']['agree']} of {len(twice)} answers labelled twice"
    )


if __name__ == "__main__":
    main()
