"""Which model, judge, suite file and eval each number of the bundle belongs to, on hand-written run folders.

An eval kept after its training stage was redone, an eval/base of another model, judges changed in the recipe after
the evals ran, a user's suite file, the dev suites, evals of different sizes, alerts of an offline audit, and run-folder
files of the wrong shape. No training: each test writes the stage.json, summary.json and log files it needs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.card import load_run
from safealign.errors import SafealignError
from safealign.runs import read_json, write_json

T0 = 1_790_000_000.0  # the stages' clock: each stage starts 10 s after the one before finished


def rate(count: int, n: int = 20) -> dict:
    from safealign.evals.metrics import Rate

    return Rate.proportion(count, n).to_dict()


def summary(refused: int = 10, accuracy: int = 10, judges: str = "default", n_items: int = 20) -> dict:
    held_out = {"harmful": {"refusal_rate": rate(refused)}, "reasoning": {"accuracy": rate(accuracy)}}
    return {
        "suites": {
            suite: {"kind": suite, "n_items": n_items, "metrics": {"held_out": m, "all": m}}
            for suite, m in held_out.items()
        },
        "config": {"suites": ["harmful", "reasoning"], "judges": judges, "params": {"max_new_tokens": 8}},
    }


def stage(run: Path, folder: str, parent: str, at: float, **record) -> None:
    """``<folder>/stage.json`` of a stage that ran from ``at`` to ``at + 5``; an eval gets its summary.json (``summary``),
    a training stage its model folder."""
    (run / folder).mkdir(parents=True, exist_ok=True)
    if folder.startswith("eval/"):
        output = run / folder / "summary.json"
        write_json(output, record.pop("summary", None) or summary())
    else:
        output = run / folder / "model"
        output.mkdir(exist_ok=True)
    write_json(
        run / folder / "stage.json",
        {
            "stage": folder.replace("eval/", "eval:"),
            "parent": parent,
            "output": str(output),
            "seed": 1,
            "wall_time_s": 5.0,
            "started_at": at,
            "finished_at": at + 5,
        }
        | record,
    )


def new_run(root: Path, model: str = "tiny") -> Path:
    run = root / "runs" / "tr"
    run.mkdir(parents=True)
    (run / "recipe.yaml").write_text(f"name: tr\noutput_dir: {root / 'runs'}\nmodel: {{name: '{model}'}}\n")
    return run


def sft_run(root: Path, model: str = "tiny", **evals: dict) -> Path:
    """eval/base, sft and eval/sft, in that order; ``evals``: each eval's summary.json by label."""
    run = new_run(root, model)
    stage(run, "eval/base", model, T0, summary=evals.get("base"))
    stage(run, "sft", model, T0 + 20)
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40, summary=evals.get("sft"))
    return run


def test_an_eval_kept_after_its_stage_was_retrained_is_not_credited_to_the_new_model(tmp_path, card):
    """distill/ (here sft/) deleted and trained again, eval/sft kept: the card gave the new model the old one's scores."""
    run = sft_run(tmp_path)
    stage(run, "sft", "tiny", T0 + 3600)  # retrained after eval/sft scored the first one
    folder = load_run(run)
    assert folder.final_eval is None and "sft" not in folder.evals and "base" in folder.evals
    assert folder.eval_issues["sft"].startswith("scored an earlier model: it started ")
    text = card(run)
    assert (
        "| **Final model** | `sft/model` (not evaluated (`eval/sft` scored an earlier model): no scores in this card are its own) |"
        in text
    )
    assert "- **`eval/sft` set aside.** It scored an earlier model: it started" in text
    assert "| `eval:sft` | done, but scored an earlier model (set aside) |" in text
    assert read_json(run / "lineage.json")["stages"][2]["scored_another_model"] == folder.eval_issues["sft"]

    stage(run, "eval/sft", str(run / "sft/model"), T0 + 3700)  # scored again
    assert load_run(run).final_eval == "sft" and not load_run(run).eval_issues


def test_the_eval_stage_scores_a_retrained_model_again(tmp_path, monkeypatch, caplog):
    """The pipeline skipped eval/student as "already done" after distill/ was retrained."""
    from safealign.config import EvalConfig
    from safealign.stages import evaluate

    class Loaded(Exception):
        """The eval went on to load the model: it scores it again."""

    def load_model(spec, **kwargs):
        raise Loaded(spec)

    monkeypatch.setattr(evaluate, "load_model", load_model)
    run = sft_run(tmp_path)
    model = str(run / "sft/model")
    assert (
        evaluate.run_eval_stage(EvalConfig(), model, run / "eval/sft", label="sft").record["started_at"]
        == T0 + 40
    )
    stage(run, "sft", "tiny", T0 + 3600)
    with caplog.at_level(logging.WARNING), pytest.raises(Loaded):
        evaluate.run_eval_stage(EvalConfig(), model, run / "eval/sft", label="sft")
    assert "scored an earlier model: it started" in caplog.text and f"scoring {model} again" in caplog.text
    assert not (run / "eval/sft/stage.json").exists()


def test_a_base_eval_of_another_model_is_not_the_baseline(tmp_path, card):
    """model.name changed from tiny to tiny:5, sft/ retrained from tiny:5, eval/base kept: the card called tiny the base
    model and listed regressions against its scores."""
    from safealign.card.summary import base_eval, regressions

    run = sft_run(
        tmp_path, "tiny:5", base=summary(refused=2, accuracy=19), sft=summary(refused=12, accuracy=4)
    )
    write_json(run / "eval/base/stage.json", read_json(run / "eval/base/stage.json") | {"parent": "tiny"})
    folder = load_run(run)
    assert folder.base_model == "tiny:5" and base_eval(folder) is None and regressions(folder) == []
    text = card(run)
    assert "base_model: tiny:5\n" in text.split("---")[1] and "| **Base model** | `tiny:5`" in text
    assert (
        "no base-model scores to compare with: `eval/base` scored another model (see **Known limitations**)"
        in text
    )
    assert (
        "- **`eval/base` set aside.** It scored another model: tiny, not tiny:5, the model the training stages started from"
        in text
    )
    assert "Where the final model does worse" not in text


def test_the_card_names_and_measures_the_judges_the_evals_ran(tmp_path, card):
    """recipe.yaml's eval.judge changed to default after the evals ran with an openai: judge: the card named the recipe's
    judges (and showed the CPU judges' limits) for scores the grader gave."""
    from safealign.card.judge_quality import judge_spec

    grader = "openai:http://user:s3cret@grader.example/v1#gpt-4o-mini"
    run = sft_run(
        tmp_path,
        base=summary(judges="default"),
        sft=summary(judges="openai:http://user:***@grader.example/v1#gpt-4o-mini"),
    )
    write_json(
        run / "eval/sft/stage.json", read_json(run / "eval/sft/stage.json") | {"config": {"judge": grader}}
    )
    (run / "recipe.yaml").write_text((run / "recipe.yaml").read_text() + "eval: {judge: default}\n")
    folder = load_run(run)
    assert judge_spec(folder) == grader  # as given, so that it can be measured
    text = card(run)
    assert (
        "Judge set that scored the final model (`eval/sft`): `openai:http://user:***@grader.example/v1#gpt-4o-mini`."
        in text
    )
    assert (
        "**The evals used different judges** (`eval/base`: `default`; `eval/sft`: `openai:http://user:***@grader"
        in text
    )
    assert "What the CPU judges cannot catch" not in text and "s3cret" not in text
    # lineage.json repeats the stage's config: its judge URL kept the password the rest of the bundle masks
    assert "s3cret" not in (run / "lineage.json").read_text()
    assert "openai:http://user:***@grader.example/v1#gpt-4o-mini" in (run / "lineage.json").read_text()

    write_json(run / "eval/sft/summary.json", summary(judges="default"))
    write_json(run / "eval/sft/stage.json", read_json(run / "eval/sft/stage.json") | {"config": {}})
    (run / "recipe.yaml").write_text(
        (run / "recipe.yaml").read_text().replace("{judge: default}", f"{{judge: '{grader}'}}")
    )
    text = card(run)
    assert (
        judge_spec(load_run(run)) == "default"
        and "Judge set that scored the final model (`eval/sft`): `default`." in text
    )
    assert "s3cret" not in (run / "lineage.json").read_text()  # the recipe's eval.judge, now the grader
    assert "What the CPU judges cannot catch" in text and "different judges" not in text


def test_lineage_masks_url_passwords_and_keeps_a_prompt_that_cites_a_url_as_written(tmp_path, card):
    """Every string holding '://' went through shown_judge_spec: a system prompt citing a URL lost its query and its
    trailing newline in lineage.json."""
    prompt = "Follow the policy at https://policy.example.com/v2?lang=en\n"
    note = "Mirror at https://bot:hunter2@mirror.example.com/p?lang=en (ask first).\n"
    grader = "openai:http://user:s3cret@grader.example/v1?key=abc#gpt-4o-mini"
    run = sft_run(tmp_path)
    write_json(
        run / "sft/stage.json",
        read_json(run / "sft/stage.json") | {"inputs": {"system_prompt": prompt, "note": note}},
    )
    write_json(
        run / "eval/sft/stage.json", read_json(run / "eval/sft/stage.json") | {"config": {"judge": grader}}
    )
    card(run)
    stages = {s["stage"]: s for s in read_json(run / "lineage.json")["stages"]}
    assert stages["sft"]["inputs"]["system_prompt"] == prompt
    assert (
        stages["sft"]["inputs"]["note"]
        == "Mirror at https://bot:***@mirror.example.com/p?lang=en (ask first).\n"
    )
    assert stages["eval:sft"]["config"]["judge"] == "openai:http://user:***@grader.example/v1?…#gpt-4o-mini"
    assert "s3cret" not in (run / "lineage.json").read_text()


def test_the_shipped_dev_suites_are_described_as_shipped_files():
    from safealign.card.data_card import FILE_SUITES, eval_datasets
    from safealign.corpus.mixture import sha256_file
    from safealign.paths import package_data

    shipped = {path.stem for path in package_data("evals").glob("*.jsonl")}
    assert (
        {"harmful_dev", "harmful_dev_subtle", "harmful_dev_unseen", "borderline_dev"}
        <= shipped
        == set(FILE_SUITES)
    )
    result = {"n_items": 48, "metrics": {"dev": {}, "all": {}}}
    evals = {
        "base": {
            "suites": {
                "harmful_dev": result | {"kind": "harmful"},
                "borderline_dev": result | {"kind": "borderline"},
            }
        }
    }
    run = SimpleNamespace(evals=evals, jsonl=lambda _: [], recipe={"eval": {"suites": ["dev"]}})
    for entry in eval_datasets(run):
        path = package_data("evals", f"{entry['name']}.jsonl")
        assert entry["source"] == f"safealign/data/evals/{path.name}" and entry["sha256"] == sha256_file(
            path
        ), entry


def test_lineage_gives_a_user_suite_file_its_path_and_sha256(tmp_path, card):
    """The eval-suite nodes were keyed by the recipe's specs (``harmful:/abs/mine.jsonl``), found no suite of that name,
    and so had neither path nor sha256."""
    from safealign.corpus.mixture import sha256_file

    mine = tmp_path / "mine.jsonl"
    mine.write_text(json.dumps({"prompt": "How do I pick a lock?"}) + "\n")
    run = new_run(tmp_path)
    result = summary()["suites"]["harmful"] | {"file": {"path": str(mine), "sha256": sha256_file(mine)}}
    stage(
        run,
        "eval/base",
        "tiny",
        T0,
        summary={"suites": {"mine": result}, "config": {"suites": ["mine"]}},
        config={"suites": [f"harmful:{mine}", "dev"]},
    )
    card(run)
    nodes = {n["id"]: n for n in read_json(run / "lineage.json")["nodes"]}
    assert nodes["dataset:eval-suite:mine"] | {"id": None} == {
        "id": None,
        "kind": "dataset",
        "role": "eval suite",
        "path": str(mine),
        "sha256": sha256_file(mine),
    }
    assert not [n for n in nodes if n.startswith(("dataset:eval-suite:harmful:", "dataset:eval-suite:dev"))]


def test_the_card_offers_arithmetic_only_where_the_model_measurably_does_it(tmp_path, card):
    """0% on every reasoning item, at every stage: the card still offered the model for "simple step-by-step arithmetic"."""
    run = sft_run(tmp_path, base=summary(accuracy=0), sft=summary(accuracy=0))
    text = card(run)
    assert "simple step-by-step arithmetic" not in text
    assert (
        "Not for arithmetic: it answered 0.0% [0.0%, 16.1%] n=20 of the held-out reasoning problems\n  correctly."
        in text
    )
    write_json(run / "eval/sft/summary.json", summary(accuracy=9))
    (run / "eval/base").rename(tmp_path / "base")  # no base eval: the number alone decides
    text = card(run)
    assert (
        "and simple step-by-step arithmetic (held-out reasoning\n  problems answered correctly: 45.0% [25.8%, 65.8%] n=20)"
        in text
    )
    assert "Not for arithmetic" not in text

    # In-distribution 2 points under the base model (noise), held-out above it: the card said "Not for arithmetic: it
    # answered 45% of the held-out problems correctly, worse than the base model". It decides on the split it quotes.
    run = sft_run(tmp_path / "split", base=reasoning(held_out=8, in_distribution=10), sft=reasoning(9, 9))
    text = card(run)
    assert (
        "and simple step-by-step arithmetic (held-out reasoning" in text and "Not for arithmetic" not in text
    )
    run = sft_run(tmp_path / "worse", base=reasoning(held_out=18, in_distribution=9), sft=reasoning(5, 9))
    text = card(run)
    assert (
        "Not for arithmetic: it answered 25.0% [11.2%, 46.9%] n=20 of the held-out reasoning problems\n  correctly, "
        "worse than the base model beyond noise." in text
    )
    # exp51: held-out 2/40 (5.0% [1.4%, 16.5%]) vs the base model's 4/40, within noise: the card offered the model for
    # "simple step-by-step arithmetic". Any drop on the quoted split blocks the offer; "beyond noise" only when it is.
    # exp56 (reviewer C2 #3): a lower score was called "no better than the base model"; it is worse, within noise.
    run = sft_run(tmp_path / "drop", base=reasoning(4, 9, n=40), sft=reasoning(2, 9, n=40))
    text = card(run)
    assert "simple step-by-step arithmetic" not in text
    assert (
        "Not for arithmetic: it answered 5.0% [1.4%, 16.5%] n=40 of the held-out reasoning problems\n  correctly, "
        "worse than the base model (5.0% [1.4%, 16.5%] n=40 vs 10.0% [4.0%, 23.1%] n=40, within noise).\n"
        in text
    )
    assert "worse than the base model beyond noise" not in text
    assert "5.0% [1.4%, 16.5%] n=40 vs the base model's 10.0% [4.0%, 23.1%] n=40\n" in text


def reasoning(held_out: int, in_distribution: int, n: int = 20) -> dict:
    """A summary whose reasoning suite has held-out and in-distribution accuracies (correct of ``n``)."""
    data = summary()
    data["suites"]["reasoning"]["metrics"] = {
        "held_out": {"accuracy": rate(held_out, n)},
        "in_distribution": {"accuracy": rate(in_distribution, n)},
    }
    return data


def test_the_system_prompt_is_shown_as_written(tmp_path, card):
    """A prompt of several lines broke out of its one-line quote: ``<think>`` vanished as HTML, ``# Rules`` became a heading."""
    from markdown_it import MarkdownIt

    from safealign.card.stage_readme import stage_readme

    prompt = "Reason inside <think></think> tags, then answer.\n# Rules\nQuote code as ```python``` blocks."
    data = summary()
    data["config"]["system_prompt"] = prompt
    run = sft_run(tmp_path, base=data, sft=data)
    text = card(run)
    assert "\n````text\n" + prompt + "\n````\n" in text
    html = MarkdownIt("commonmark").render(text)
    assert (
        "&lt;think&gt;&lt;/think&gt; tags, then answer.\n# Rules\nQuote code as ```python``` blocks.\n</code></pre>"
        in html
    )
    record = {
        "stage": "sft",
        "parent": "tiny",
        "output": "runs/q/sft/model",
        "seed": 1,
        "inputs": {"system_prompt": prompt},
    }
    assert "\n````text\n" + prompt + "\n````\n" in stage_readme(record)


def test_the_data_card_counts_each_evals_items_and_the_final_evals_categories(tmp_path, card):
    """eval.limit raised after eval/base ran: the data card gave every stage eval/base's item count and categories."""
    run = sft_run(tmp_path, base=summary(n_items=2), sft=summary(n_items=164))
    for label, category in (("base", "old"), ("sft", "new")):
        (run / f"eval/{label}/samples.jsonl").write_text(
            json.dumps({"suite": "harmful", "id": "h1", "category": category}) + "\n"
        )
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "| harmful | harmful | base 2, sft 164 |" in data_card
    assert "Categories evaluated (`eval/sft`): new 1;" in data_card


def test_alerts_of_an_offline_audit_are_credited_to_it(tmp_path, card):
    """An alert only `safealign audit` found (rl/audit.json) was said to come from the final audit (rl/alerts.json)."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    alert = {"detector": "length_blowup", "severity": "warning", "step": 3, "message": "longer"}
    write_json(run / "rl/alerts.json", [alert])
    write_json(
        run / "rl/audit.json",
        [alert | {"detector": "repetition", "step": 5}, {"detector": "kl", "severity": "info", "step": 0}],
    )
    text = card(run)
    assert "final audit: `rl/alerts.json`; `safealign audit`: `rl/audit.json`)." in text
    assert (
        "- **length_blowup** (warning, step 3, found by the final audit (`rl/alerts.json`)): longer" in text
    )
    assert "- **repetition** (warning, step 5, found by `safealign audit` (`rl/audit.json`)): longer" in text
    assert "· <code>safealign audit</code> (rl/audit.json)" in (run / "report.html").read_text()


def _edit_json(relative: str, change) -> callable:
    def damage(run: Path) -> None:
        data = read_json(run / relative)
        change(data)
        write_json(run / relative, data)

    return damage


def _write(relative: str, row: dict) -> callable:
    return lambda run: (run / relative).write_text(json.dumps(row) + "\n")


DAMAGES = {
    "suites a list": _edit_json("eval/sft/summary.json", lambda s: s.update(suites=[])),
    "a rate without its low": _edit_json(
        "eval/sft/summary.json",
        lambda s: s["suites"]["harmful"]["metrics"]["held_out"]["refusal_rate"].pop("low"),
    ),
    "a sample without an id": _write("eval/sft/samples.jsonl", {"suite": "harmful", "prompt": "p"}),
    "wall_time_s null": _edit_json("sft/stage.json", lambda s: s.update(wall_time_s=None)),
    "stage metrics null": _edit_json("sft/stage.json", lambda s: s.update(metrics=None)),
    "a gate event without metrics": _write(
        "rl/gates.jsonl", {"step": 2, "passed": True, "action": "pass", "reason": "x"}
    ),
    "an alert without a severity": _write(
        "rl/alerts.jsonl", {"detector": "length_blowup", "step": 3, "message": "m"}
    ),
    "a family without its acceptance rate": lambda run: write_json(
        run / "sample/acceptance.json", {"arithmetic": {"total": 4}}
    ),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_run_folder_file_of_the_wrong_shape_is_named_not_a_traceback(tmp_path, card, damage):
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    stage(run, "sample", str(run / "rl/model"), T0 + 80, metrics={"accepted": 3, "samples": 8})
    card(run)  # undamaged, it renders
    DAMAGES[damage](run)
    with pytest.raises(
        SafealignError, match=r"(stage|summary|samples|gates|alerts|acceptance)\.jsonl?: .*(restore|delete)"
    ):
        card(run)


def test_plots_of_nothing_but_nulls_are_left_out():
    from safealign.card.plots import gate_timeline, reward_curves

    assert (
        reward_curves([{"step": 1, "rewards/safety/mean": None}, {"step": 2, "rewards/safety/mean": None}])
        is None
    )
    assert gate_timeline([], [{"step": 1, "loss": 0.1}]) is None
    assert reward_curves([{"step": 1, "rewards/safety/mean": 0.5}]).startswith("<svg")


def test_the_gate_timeline_draws_only_rates_inside_its_percent_axis(monkeypatch):
    """The safety reward (-1 to +1) was drawn on the gates' 0-100% axis: the real quickstart run's collapse before its
    step-20 rollback (reward -0.5 and -1.0) fell below the frame, and its other points read as percentages."""
    from safealign.card import plots

    figures = []
    monkeypatch.setattr(plots, "to_svg", lambda fig: figures.append(fig) or "<svg/>")
    metrics = [
        {
            "step": step,
            "rewards/safety/mean": safety,
            "rewards/accuracy/mean": 0.06,
            "safety/harmful_refusal_rate": harmful,
            "safety/benign_refusal_rate": 0.125,
        }
        for step, safety, harmful in ((6, -0.5, 0.25), (12, -0.5, 0.0), (18, -1.0, 0.0), (19, 0.4, 0.875))
    ]
    gate = {
        "step": 20,
        "passed": False,
        "action": "rollback",
        "metrics": {"refusal": 0.8, "over_refusal": 0.25},
    }
    plots.gate_timeline([gate], metrics)
    (ax,) = figures[0].axes
    low, high = ax.get_ylim()
    drawn = {
        line.get_label(): list(line.get_ydata()) for line in ax.get_lines() if line.get_label()[0] != "_"
    }
    assert not any("safety reward" in label for label in drawn)
    assert "harmful refused (training batch)" in drawn and "over-refusal (training batch)" in drawn
    points = [v for values in drawn.values() for v in values if v is not None]
    assert points and all(low <= v <= high for v in points)


def test_the_card_lists_the_detectors_that_could_not_judge(tmp_path, card):
    """The final audit's "too few logged steps" notes were dropped: the card said "0 alert(s) … none fired during
    training" of a run where three detectors never ran. A detector that fired is not listed again."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    note = {
        "detector": "length_blowup",
        "severity": "info",
        "step": 20,
        "message": "needs 20 logged steps, has 19",
    }
    fired = {"detector": "kl", "severity": "warning", "step": 9, "message": "drifted"}
    write_json(run / "rl/alerts.json", [note, note | {"detector": "reward_accuracy_divergence"}, fired])
    write_json(run / "rl/audit.json", [note | {"detector": "kl"}, note | {"detector": "refusal_collapse"}])
    text = card(run)
    assert "1 alert(s) from the reward-hacking detectors (none fired during training;" in text
    assert (
        "3 detector(s) could not judge (too few logged steps, or nothing logged to judge), so their silence is no evidence: "
        "**length_blowup** (needs 20 logged steps, has 19, `rl/alerts.json`); **reward_accuracy_divergence** (needs 20 "
        "logged steps, has 19, `rl/alerts.json`); **refusal_collapse** (needs 20 logged steps, has 19, `rl/audit.json`)."
    ) in text
    report = (run / "report.html").read_text()
    assert "<h3>Alerts (1)</h3>" in report and "3 detector(s) could not judge" in report


def test_the_card_says_which_half_of_a_detector_could_not_judge(tmp_path, card):
    """refusal_collapse's gate half compared 3 checks while its training-stream trend had 9 of 20 steps: the card said
    the detector could not judge."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    message = "its training-stream trend needs 20 logged steps, has 9 (safety/benign_refusal_rate); its gate checks judged"
    half = {"detector": "refusal_collapse", "severity": "info", "step": 9, "message": message}
    write_json(run / "rl/alerts.json", [half | {"evidence": {"judged": ["gate checks"]}}])
    text = card(run)
    assert "could not judge" not in text
    assert (
        "1 detector(s) judged on part of their data only, so their silence covers that part: **refusal_collapse** "
        f"({message}, `rl/alerts.json`)."
    ) in text
    report = (run / "report.html").read_text()
    assert "could not judge" not in report
    assert (
        "1 detector(s) judged on part of their data only, so their silence covers that part: <b>refusal_collapse</b> "
        f"({message})."
    ) in report


@pytest.fixture()
def git(monkeypatch):
    """Answers the git commands safealign.runs asks (``heads``: successive HEADs; ``status``: porcelain output, None: not
    a git checkout); the process's cached answer is cleared before and after."""
    import subprocess

    from safealign import runs

    real, asked = subprocess.run, []
    state = SimpleNamespace(heads=["a" * 40], status=" M safealign/training/gates.py\n", asked=asked)

    def run(command, *args, **kwargs):
        if command[:1] != ["git"]:
            return real(command, *args, **kwargs)
        asked.append(command[1])
        if state.status is None:
            return subprocess.CompletedProcess(command, 128, "", "fatal: not a git repository")
        out = state.heads.pop(0) if command[1] == "rev-parse" else state.status
        return subprocess.CompletedProcess(command, 0, out + "\n", "")

    monkeypatch.setattr(subprocess, "run", run)
    runs.source_state.cache_clear()
    yield state
    runs.source_state.cache_clear()


def test_a_stage_records_the_code_its_process_started_with_and_its_uncommitted_changes(tmp_path, git, card):
    """rl/stage.json named 7e637cd, but the gates.py that ran was uncommitted then (committed later as 14dc7e6); and a
    later stage of the same process read HEAD again after that commit, naming code it had not imported."""
    from safealign.card.lineage import build_lineage
    from safealign.runs import StageRecord

    git.heads = ["a" * 40, "b" * 40]  # a commit made while the first stage ran
    run = new_run(tmp_path)
    for at, name in ((T0, "sft"), (T0 + 20, "rl")):
        (run / name / "model").mkdir(parents=True)
        record = StageRecord(name, "tiny", str(run / name / "model"), {}, 1, at)
        record.finish(run / name)
    assert git.asked == ["rev-parse", "status"]  # once per process
    for name in ("sft", "rl"):
        record = read_json(run / name / "stage.json")
        assert (record["git_commit"], record["git_dirty"]) == ("a" * 40, True)
        assert (
            "| uncommitted changes to `safealign/` | **yes**: the code that ran is commit `aaaaaaaaaaaa`"
            in (run / name / "README.md").read_text()
        )
    stages = build_lineage(load_run(run))["stages"]
    assert [
        (s["stage"], s.get("git_commit"), s.get("git_dirty")) for s in stages if s["status"] == "done"
    ] == [
        ("sft", "a" * 40, True),
        ("rl", "a" * 40, True),
    ]
    card(run)
    assert "with uncommitted changes to <code>safealign/</code>" in (run / "report.html").read_text()


def test_the_report_names_every_commit_the_stages_ran_and_which_stages_ran_it(tmp_path, card):
    """report.html named the first stage's commit and versions only: a run resumed after a commit showed eval/base's
    commit for the sft model too."""
    run = new_run(tmp_path)
    code = {"versions": {"torch": "2.0"}}
    stage(run, "eval/base", "tiny", T0, git_commit="a" * 40, git_dirty=False, **code)
    stage(run, "sft", "tiny", T0 + 20, git_commit="b" * 40, git_dirty=True, **code)
    stage(run, "eval/sft", str(run / "sft/model"), T0 + 40, git_commit="b" * 40, git_dirty=True, **code)
    card(run)
    report = (run / "report.html").read_text()
    assert "The stages did not all run the same code" in report
    assert f"git commit <code>{'a' * 40}</code>; torch 2.0: <code>eval:base</code></li>" in report
    assert (
        f"git commit <code>{'b' * 40}</code> with uncommitted changes to <code>safealign/</code>" in report
        and "torch 2.0: <code>sft</code>, <code>eval:sft</code></li>" in report
    )
    assert "see each stage's README" not in report and "<code>lineage.json</code>" in report


def test_a_clean_checkout_and_no_checkout_say_so(git):
    from safealign.card.stage_readme import stage_readme
    from safealign.runs import git_commit, git_dirty, source_state

    git.status = ""
    assert (git_commit(), git_dirty()) == ("a" * 40, False)
    record = {
        "stage": "sft",
        "parent": "tiny",
        "output": "o",
        "seed": 1,
        "inputs": {},
        "git_commit": "a" * 40,
    }
    assert (
        "| uncommitted changes to `safealign/` | none: the code that ran is the commit below |"
        in stage_readme(record | {"git_dirty": False})
    )
    assert "uncommitted" not in stage_readme(record)  # a record from before git_dirty says nothing
    source_state.cache_clear()
    git.status = None  # a wheel installed outside a git checkout
    assert (git_commit(), git_dirty()) == (None, None)


def test_the_sample_stages_safety_prompts_are_traced_to_their_files(tmp_path, card):
    """Rejection sampling drew 30% of its prompts from the user turns of the shipped safety files (as RL does), but
    lineage.json and DATA_CARD.md named only the teacher as what the traces came from."""
    from safealign.card.data_card import RL_SAFETY_SOURCES, training_datasets
    from safealign.card.lineage import build_lineage

    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    config = {"num_prompts": 96, "k": 4, "safety_share": 0.3}
    stage(run, "sample", str(run / "rl/model"), T0 + 80, config=config, metrics={"accepted": 3, "samples": 8})
    lineage = build_lineage(load_run(run))
    into_prompts = [e["from"] for e in lineage["edges"] if e["to"] == "dataset:sample-prompts"]
    assert into_prompts == [f"dataset:{name}" for name in RL_SAFETY_SOURCES]
    assert {
        "from": "dataset:sample-prompts",
        "to": "dataset:sample/traces.jsonl",
        "stage": "sample",
    } in lineage["edges"]
    used = [(d["name"], d["stage"]) for d in training_datasets(load_run(run))]
    assert used == [(name, "sample") for name in RL_SAFETY_SOURCES]
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "| harmful_refusals | rejection-sampling safety prompts (`sample`) |" in data_card

    write_json(
        run / "sample/stage.json",
        read_json(run / "sample/stage.json") | {"config": config | {"safety_share": 0}},
    )
    lineage = build_lineage(load_run(run))
    assert not [
        e for e in lineage["edges"] if e["to"] == "dataset:sample-prompts" and e["from"] != "model:rl/model"
    ]
    assert training_datasets(load_run(run)) == []


def test_a_safety_prompt_file_changed_since_the_stage_read_it_is_flagged(tmp_path, card, monkeypatch):
    """rl and sample recorded nothing of the safety files they drew prompts from: the card hashed the package's files
    when it was written, so a file edited after training was described as the one trained on."""
    import shutil

    from safealign.corpus import registry
    from safealign.paths import package_data
    from safealign.stages.rl_prompts import SAFETY_SOURCES, safety_source_files

    shipped = tmp_path / "package"
    shutil.copytree(package_data("train"), shipped / "train")
    monkeypatch.setattr(registry, "package_data", lambda *parts: shipped.joinpath(*parts))
    sources = safety_source_files()
    assert [(s["name"], s["path"]) for s in sources] == [
        (name, str(registry.dataset_path(name))) for name in SAFETY_SOURCES
    ]
    run = sft_run(tmp_path)
    rl_inputs = {"prompts": {"rows": 8, "tasks": {"safety": 1.0}}, "safety_sources": sources}
    stage(run, "rl", str(run / "sft/model"), T0 + 60, inputs=rl_inputs)
    config = {"num_prompts": 4, "k": 2, "safety_share": 0.5}
    stage(run, "sample", str(run / "rl/model"), T0 + 80, config=config, inputs={"safety_sources": sources})
    card(run)
    assert "changed since training" not in (run / "DATA_CARD.md").read_text()

    edited = shipped / "train" / "harmful_refusals.jsonl"
    rows = edited.read_text().splitlines()
    edited.write_text("\n".join(rows[1:]) + "\n")  # a row removed after the stages drew their prompts
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "**2 file(s) changed since training**" in data_card
    flagged = [line for line in data_card.splitlines() if "**changed since training: now" in line]
    assert [line.split(" | ")[:2] for line in flagged] == [
        ["| harmful_refusals", "RL safety prompts (`rl`)"],
        ["| harmful_refusals", "rejection-sampling safety prompts (`sample`)"],
    ]
    assert f"`{sources[0]['sha256']}` **changed since training" in flagged[0]


def test_evals_asked_with_other_settings_are_not_compared_without_a_word(tmp_path, card):
    """eval/base kept from an earlier `eval:` section (6 new tokens), eval/sft scored with 24: the card put the base
    scores beside the SFT model's and listed a regression "beyond noise" without a word of the settings."""
    from safealign.card.summary import regressions

    run = sft_run(tmp_path, base=summary(refused=18), sft=summary(refused=2))
    for label, tokens in (("base", 6), ("sft", 24)):
        path = run / f"eval/{label}/stage.json"
        write_json(path, read_json(path) | {"config": {"max_new_tokens": tokens, "split": "all"}})
    assert regressions(load_run(run)) == []
    text = card(run)
    assert (
        "- **Scored differently.** The evals in this card were not all asked alike (max_new_tokens: eval/base 6, "
        "eval/sft 24)" in text
    )
    assert "Where the final model does worse" not in text and "beyond noise" not in text
    assert "**10.0% [2.8%, 30.1%] n=20** (base, scored differently: 90.0% [69.9%, 97.2%] n=20)" in text
    # report.html put the base scores beside the final model's under "base model" without a word (reviewer C #5)
    report = (run / "report.html").read_text()
    assert '<div class="banner" id="scored-differently"><b>Scored differently:</b>' in report
    assert "(max_new_tokens: eval/base 6, eval/sft 24)" in report
    assert "<th>base model (scored differently: not comparable)</th>" in report

    write_json(
        run / "eval/base/stage.json",
        read_json(run / "eval/base/stage.json") | {"config": {"max_new_tokens": 24, "split": "all"}},
    )
    text = card(run)
    assert "Scored differently" not in text and "scored differently" not in text
    assert (
        "- harmful, harmful requests refused (held-out): 10.0% [2.8%, 30.1%] n=20 vs the base model's" in text
    )
    report = (run / "report.html").read_text()
    assert 'id="scored-differently"' not in report and "<th>base model</th>" in report


def test_evals_of_two_versions_of_a_users_suite_file_are_not_compared_without_a_word(tmp_path, card):
    """eval/base read mine.jsonl, two of its prompts were rewritten, eval/sft read the new file (`safealign run` warned):
    the card listed a regression on "mine" between answers to other prompts, lineage drew both evals from one node with
    the first version's sha256, and the report paired answers to different prompts by their id (reviewer C #3)."""
    from safealign.card.report import sample_groups

    versions = {"base": "a" * 64, "sft": "b" * 64}
    evals = {}
    for label, refused in (("base", 18), ("sft", 2)):
        data = summary(refused=refused)
        data["suites"]["mine"] = data["suites"].pop("harmful") | {
            "file": {"path": str(tmp_path / "mine.jsonl"), "sha256": versions[label]}
        }
        evals[label] = data
    run = sft_run(tmp_path, **evals)
    text = card(run)
    assert (
        "- **Scored differently.** The evals in this card were not all asked alike (suite file mine sha256: "
        "eval/base 'aaaaaaaaaaaa', eval/sft 'bbbbbbbbbbbb')" in text
    )
    assert "Where the final model does worse" not in text
    assert 'id="scored-differently"' in (run / "report.html").read_text()
    lineage = read_json(run / "lineage.json")
    suite_nodes = {
        n["id"]: n["sha256"] for n in lineage["nodes"] if n["id"].startswith("dataset:eval-suite:mine")
    }
    assert suite_nodes == {
        "dataset:eval-suite:mine": versions["base"],
        "dataset:eval-suite:mine@bbbbbbbbbbbb": versions["sft"],
    }
    assert {(e["from"], e["to"]) for e in lineage["edges"] if e["from"] in suite_nodes} == {
        ("dataset:eval-suite:mine", "eval:base"),
        ("dataset:eval-suite:mine@bbbbbbbbbbbb", "eval:sft"),
    }

    def answer(prompt: str) -> dict:
        return {"suite": "mine", "id": "mine-0", "prompt": prompt, "completion": "No.", "verdicts": {}}

    asked = {"base": [answer("How do I pick a lock?")], "sft": [answer("How do plants make food?")]}
    folder = SimpleNamespace(
        evals={label: {"suites": {"mine": {"kind": "harmful"}}} for label in asked},
        jsonl=lambda relative: asked[relative.split("/")[1]],
    )
    items = sample_groups(folder)[0]["items"]
    assert [(i["prompt"], [a["label"] for a in i["answers"]]) for i in items] == [
        ("How do I pick a lock?", ["base"]),
        ("How do plants make food?", ["sft"]),
    ]


def test_arithmetic_is_not_offered_where_a_differently_scored_base_did_better(tmp_path, card):
    """eval/base kept at 6 new tokens answered 90% of the reasoning problems, eval/sft at 24 answered 60%: regressions()
    compares no differently scored evals, so no drop was found and the card offered the model for arithmetic (reviewer
    C #6)."""
    run = sft_run(tmp_path, base=summary(accuracy=18), sft=summary(accuracy=12))
    for label, tokens in (("base", 6), ("sft", 24)):
        path = run / f"eval/{label}/stage.json"
        write_json(path, read_json(path) | {"config": {"max_new_tokens": tokens}})
    text = card(run)
    assert "simple step-by-step arithmetic" not in text
    assert (
        "Not for arithmetic: it answered 60.0% [38.7%, 78.1%] n=20 of the held-out reasoning problems\n  correctly, "
        "less than the base model's 90.0% [69.9%, 97.2%] n=20, which was scored differently (see **Known "
        "limitations**): the two cannot be compared" in text
    )
    write_json(
        run / "eval/base/summary.json", summary(accuracy=10)
    )  # the base did worse: nothing to hold back
    assert "and simple step-by-step arithmetic (held-out reasoning" in card(run)


def test_a_model_that_was_not_trained_is_not_said_to_be_trained_with_the_evals_prompt(tmp_path, card):
    """An eval-only run asked with model.system_prompt: the card said it was "the system prompt the model was trained
    with", and to serve the model with it."""
    data = summary()
    data["config"]["system_prompt"] = "You are a careful assistant."
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0, summary=data)
    text = card(run)
    assert "trained with" not in text
    assert (
        "Every prompt was asked with the system prompt below (the recipe's `model.system_prompt`; the model was not trained\nhere)"
        in text
    )
    assert "```text\nYou are a careful assistant.\n```" in text


def test_the_method_line_names_the_stages_the_final_model_was_made_from(tmp_path, card):
    """Rejection sampling with no distillation after it: the card's method line ended in "→ Rejection sampling", as if
    the final model (RL's) came out of it; traces given to `safealign distill --traces` were "generated by the teacher"."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    stage(run, "sample", str(run / "rl/model"), T0 + 80, metrics={"accepted": 3, "samples": 8})
    text = card(run)
    assert (
        "| **Which method?** | Supervised fine-tuning → GRPO reasoning RL (also ran, not part of the final model: "
        "Rejection sampling of teacher traces) |" in text
    )

    mine = tmp_path / "mytraces.jsonl"
    mine.write_text(
        json.dumps(
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
        )
        + "\n"
    )
    source = {"name": str(mine), "path": str(mine), "rows_in_file": 1, "fraction": 1.0, "rows_used": 1}
    stage(
        run, "distill", str(run / "rl/model"), T0 + 100, inputs={"traces": {"rows": 1, "sources": [source]}}
    )
    write_json(run / "distill/config.json", {"traces": str(mine)})
    text = card(run)
    assert (
        "| **Which method?** | Supervised fine-tuning → GRPO reasoning RL → Distillation into a student (also ran, not part of the final model: Rejection sampling of teacher traces) |"
        in text
    )
    row = next(
        line
        for line in (run / "DATA_CARD.md").read_text().splitlines()
        if "mytraces.jsonl | distillation traces (`distill`)" in line
    )
    assert "generated by the teacher" not in row and "given to safealign distill --traces by hand" in row


def test_the_sample_stages_prompts_without_a_trace_are_no_rejection_reason(tmp_path, card):
    """acceptance.json gained each family's ``prompts`` and ``prompts_without_trace``: the data card listed them as
    reasons samples were rejected."""
    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    family = {"total": 8, "accepted": 3, "acceptance_rate": 0.375, "incorrect": 5}
    metrics = {
        "prompts": 4,
        "prompts_without_trace": 2,
        "samples": 8,
        "accepted": 3,
        "acceptance_rate": 0.375,
    }
    stage(
        run, "sample", str(run / "rl/model"), T0 + 80, metrics=metrics | {"by_family": {"arithmetic": family}}
    )
    write_json(
        run / "sample/acceptance.json", {"arithmetic": family | {"prompts": 4, "prompts_without_trace": 2}}
    )
    text = card(run)
    assert (
        "kept 3 of 8 samples (37.5%); 2 of 4 prompts got no trace; rejection reasons (a rejected sample can have several): incorrect 5"
        in text
    )
    assert "| arithmetic | 8 | 3 | 37.5% | 2 of 4 | incorrect 5 |" in (run / "DATA_CARD.md").read_text()


def _chat(user: str) -> str:
    return json.dumps(
        {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "Here you go."}]}
    )


def test_the_data_cards_decontamination_checks_each_file_and_says_how(tmp_path, card):
    """Two SFT files named train.jsonl (a/ with an eval prompt copied in, b/ clean): the data card checked only one of
    them and called the data clean; a file the stage took half of was checked whole without a word."""
    from safealign.corpus.mixture import sha256_file

    copied = json.loads(Path("safealign/data/evals/harmful.jsonl").read_text().splitlines()[0])["prompt"]
    files = {
        "a": _chat(copied),
        "b": _chat("How do I bake sourdough at home?") + "\n" + _chat("Name a colour."),
    }
    sources = []
    for folder, text in files.items():
        path = tmp_path / folder / "train.jsonl"
        path.parent.mkdir()
        path.write_text(text + "\n")
        fraction = 1.0 if folder == "a" else 0.5
        rows = len(text.splitlines())
        sources.append(
            {
                "name": str(path),
                "path": str(path),
                "sha256": sha256_file(path),
                "rows_in_file": rows,
                "fraction": fraction,
                "rows_used": max(1, int(rows * fraction)),
            }
        )
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(
        run,
        "sft",
        "tiny",
        T0 + 20,
        inputs={"data": {"rows": 2, "sources": sources, "decontamination": {"clean": True}}},
    )
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "**Result: 1 exact matches, 0 n-gram overlaps — not clean.**" in data_card
    assert (
        f"Checked whole, though the stage trained on part of them (its record keeps how many rows it took, not which):\n{tmp_path / 'b' / 'train.jsonl'}."
        in data_card
    )
    assert (
        "- **Decontamination:** 1 exact matches" in data_card
        and "(in the whole file: the stage trained on 1 of its rows)" in data_card
    )
    assert "Every system, user and assistant turn of the training files" in data_card
    assert "The stages' own check of the rows they trained on, before training: `sft` clean" in data_card


def test_the_data_cards_decontamination_counts_a_shipped_file_recorded_under_two_paths_once(tmp_path):
    """exp51: SFT recorded the shipped harmful_refusals.jsonl under the checkout it ran from, RL under the package's own
    path: the same bytes (same sha256) were checked and counted twice (train_items 2972 -> 4948), under path names."""
    import shutil

    from safealign.card.data_card import data_card_context
    from safealign.corpus.mixture import sha256_file
    from safealign.stages.rl_prompts import safety_source_files

    shipped = safety_source_files()[0]
    clone = tmp_path / "clone" / "safealign" / "data" / "train" / Path(shipped["path"]).name
    clone.parent.mkdir(parents=True)
    shutil.copyfile(shipped["path"], clone)
    assert sha256_file(clone) == shipped["sha256"]

    def checked(sft_path: str, folder: str) -> dict:
        run = new_run(tmp_path / folder)
        stage(run, "eval/base", "tiny", T0)
        source = shipped | {"path": sft_path, "fraction": 1.0, "rows_used": shipped["rows_in_file"]}
        stage(run, "sft", "tiny", T0 + 20, inputs={"data": {"rows": 1, "sources": [source]}})
        rl_inputs = {
            "prompts": {"rows": 8, "tasks": {"safety": 1.0}},
            "safety_sources": safety_source_files(),
        }
        stage(run, "rl", str(run / "sft/model"), T0 + 40, inputs=rl_inputs)
        return data_card_context(load_run(run))["decontamination"]

    one_path = checked(shipped["path"], "one")
    two_paths = checked(str(clone), "two")
    assert two_paths["train_items"] == one_path["train_items"]
    assert (
        list(two_paths["per_file"]) == list(one_path["per_file"]) and shipped["name"] in two_paths["per_file"]
    )
    clone.unlink()  # the checkout SFT ran from is gone: the same bytes in the package are checked in its place
    assert checked(str(clone), "gone")["train_items"] == one_path["train_items"]
    assert checked(str(clone), "gone2")["not_checked"] == []


def _edit_record(relative: str, change) -> callable:
    """A hand edit of a stage.json field the checks of ``runs.stage_done`` do not cover."""
    return _edit_json(relative, change)


CARD_DAMAGES = {
    "a speed-up as text": _edit_record(
        "distill/stage.json", lambda r: r.update(metrics={"generation_speedup": "1.2"})
    ),
    "max_steps null": _edit_record("sft/stage.json", lambda r: r.update(config={"max_steps": None})),
    "a mixture source without a name": _edit_record(
        "sft/stage.json", lambda r: r.update(inputs={"data": {"sources": [{"path": "x.jsonl"}]}})
    ),
    "the rewards a list": _edit_record("rl/stage.json", lambda r: r.update(config={"rewards": ["accuracy"]})),
    "an alert's evidence a list of numbers": _write(
        "rl/alerts.jsonl",
        {"detector": "d", "severity": "warning", "step": 1, "message": 5, "evidence": {"examples": [1, 2]}},
    ),
}


@pytest.mark.parametrize("damage", CARD_DAMAGES, ids=list(CARD_DAMAGES))
def test_a_hand_edited_record_field_is_named_not_a_traceback(tmp_path, card, damage):
    """A nested field of a stage record or log edited into another type: a TypeError, KeyError or template error
    traceback from deep in the card."""
    from safealign.errors import DataError

    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    stage(run, "sample", str(run / "rl/model"), T0 + 80, metrics={"accepted": 3, "samples": 8})
    stage(run, "distill", str(run / "rl/model"), T0 + 100)
    card(run)  # undamaged, it renders
    CARD_DAMAGES[damage](run)
    with pytest.raises(
        DataError, match=r"tr: a file of this run folder holds a value the card cannot read .*Restore it"
    ) as raised:
        card(run)
    assert type(raised.value.__cause__).__name__ in (
        "TypeError",
        "KeyError",
        "ValueError",
        "AttributeError",
        "UndefinedError",
    )


def test_lineage_keeps_the_safety_files_as_each_stage_read_them(tmp_path, card):
    """The safety-prompt nodes carried the sha256 of the package's files when the card was written, not the one each
    stage recorded reading: a file changed between RL and rejection sampling showed as one file."""
    from safealign.stages.rl_prompts import safety_source_files

    sources = safety_source_files()
    older = [dict(sources[0], sha256="0" * 64), *sources[1:]]
    run = sft_run(tmp_path)
    stage(
        run,
        "rl",
        str(run / "sft/model"),
        T0 + 60,
        inputs={"prompts": {"rows": 8, "tasks": {"safety": 1.0}}, "safety_sources": older},
    )
    config = {"num_prompts": 4, "k": 2, "safety_share": 0.5}
    stage(run, "sample", str(run / "rl/model"), T0 + 80, config=config, inputs={"safety_sources": sources})
    card(run)
    lineage = read_json(run / "lineage.json")
    nodes = {n["id"]: n for n in lineage["nodes"]}
    name = sources[0]["name"]
    assert nodes[f"dataset:{name}"]["sha256"] == "0" * 64
    assert nodes[f"dataset:{name}@{sources[0]['sha256'][:12]}"]["sha256"] == sources[0]["sha256"]
    assert {
        "from": f"dataset:{name}@{sources[0]['sha256'][:12]}",
        "to": "dataset:sample-prompts",
        "stage": "sample",
    } in lineage["edges"]


def test_the_data_cards_decontamination_compares_with_the_recipes_own_suites_wherever_it_is_written(
    tmp_path, card
):
    """The data card compared the training data with the recipe's own suites (prompt files, rg: families) only when
    `safealign run` wrote it (inside checking_recipe_suites): `safealign card RUN` later called an SFT file holding an
    item of the recipe's suite file clean, and the run itself counted a safety prompt the RL stage had left out."""
    from safealign.card.data_card import data_card_context
    from safealign.corpus import dataset_path, read_rows
    from safealign.corpus.eval_texts import checking_recipe_suites
    from safealign.corpus.mixture import sha256_file
    from safealign.stages.rl_prompts import safety_source_files

    (_, row), *_ = read_rows(dataset_path("harmful_refusals"))
    shipped_prompt = [m for m in row["messages"] if m["role"] == "user"][-1]["content"]
    item = "Describe the lighthouse keeper's whole morning routine in careful detail, please."
    suite = tmp_path / "my_suite.txt"
    suite.write_text(f"{item}\n{shipped_prompt}\n")
    data = tmp_path / "train.jsonl"
    data.write_text(_chat(item) + "\n")
    run = new_run(tmp_path)
    with (run / "recipe.yaml").open("a") as recipe:
        recipe.write(f"eval: {{suites: [harmful, '{suite}']}}\n")
    source = {"name": str(data), "path": str(data), "sha256": sha256_file(data), "rows_in_file": 1}
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20, inputs={"data": {"rows": 1, "sources": [source]}})
    rl_inputs = {"prompts": {"rows": 8, "tasks": {"safety": 1.0}}, "safety_sources": safety_source_files()}
    stage(run, "rl", str(run / "sft/model"), T0 + 40, inputs=rl_inputs)

    outside = data_card_context(load_run(run))["decontamination"]
    with checking_recipe_suites([str(suite)]):  # as while `safealign run` runs the recipe
        inside = data_card_context(load_run(run))["decontamination"]
    assert inside == outside
    assert (outside["exact_matches"], outside["clean"]) == (1, False)
    assert (
        outside["per_file"]["train.jsonl"]["exact"] == 1
        and outside["per_file"]["harmful_refusals"]["exact"] == 0
    )
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "**Result: 1 exact matches, 0 n-gram overlaps — not clean.**" in data_card
    assert f"and every item of the recipe's own suites `{suite}`" in data_card
    assert "were compared with the built-in prompts only: those stages leave out any prompt" in data_card

    suite.unlink()  # the card written on another machine: the suite file is not there
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert f"Not compared with the recipe's suite(s) `{suite}` (" in data_card
    assert "so the check above covers the built-in suites only." in data_card
    assert "**Result: 0 exact matches, 0 n-gram overlaps — clean.**" in data_card


def front_matter_of(text: str) -> dict:
    import yaml

    return yaml.safe_load(text.split("---\n", 2)[1])


def test_the_hub_front_matter_lists_only_the_data_the_final_model_was_made_from(tmp_path, card):
    """Rejection sampling drew safety prompts from the shipped files and no distillation followed: the card said it was
    "not part of the final model", yet the front matter listed those files and their languages (reviewer C #4)."""
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"language": "en"} | json.loads(_chat("Name a colour."))) + "\n")
    source = {"name": str(data), "path": str(data), "rows_in_file": 1, "fraction": 1.0, "rows_used": 1}
    run = sft_run(tmp_path)
    write_json(
        run / "sft/stage.json",
        read_json(run / "sft/stage.json") | {"inputs": {"data": {"sources": [source]}}},
    )
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    config = {"num_prompts": 96, "k": 4, "safety_share": 0.3}
    stage(run, "sample", str(run / "rl/model"), T0 + 80, config=config, metrics={"accepted": 3, "samples": 8})
    text = card(run)
    assert (
        "| harmful_refusals | rejection-sampling safety prompts (`sample`) |"
        in (run / "DATA_CARD.md").read_text()
    )
    hub = front_matter_of(text)
    assert hub["datasets"] == ["mine.jsonl"] and hub["language"] == ["en"]


def test_a_student_with_weights_of_its_own_is_traced_to_them(tmp_path, card):
    """distill.student tiny:3 (not a prune of the teacher): lineage drew the distilled model from the teacher alone, the
    card said it started from the teacher, and the Hub's base_model was the teacher's (reviewer C #7)."""
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    inputs = {"teacher": "tiny", "student": "tiny:3"}
    stage(run, "distill", "tiny", T0 + 20, inputs=inputs, config={"student": "tiny:3"})
    text = card(run)
    assert (
        "- **Starts from:** `tiny:3` (the student's own weights; teacher `tiny`); **writes:** `distill/model`"
        in text
    )
    assert front_matter_of(text)["base_model"] == "tiny:3"
    lineage = read_json(run / "lineage.json")
    nodes = {n["id"]: n for n in lineage["nodes"]}
    assert nodes["model:tiny:3"]["role"] == "distillation student's starting weights"
    into = {e["from"] for e in lineage["edges"] if e["to"] == "model:distill/model"}
    assert into == {"model:tiny", "model:tiny:3"}
    assert (
        '<code>tiny:3</code><br><span class="muted">teacher <code>tiny</code></span>'
        in (run / "report.html").read_text()
    )

    # a student pruned from the teacher is made of the teacher's weights: nothing more to trace
    write_json(
        run / "distill/stage.json",
        read_json(run / "distill/stage.json")
        | {"inputs": {"student": "prune:0.5"}, "config": {"student": "prune:0.5"}},
    )
    text = card(run)
    assert "- **Starts from:** `tiny`; **writes:** `distill/model`" in text
    assert front_matter_of(text)["base_model"] == "tiny"
    assert "model:tiny:3" not in {n["id"] for n in read_json(run / "lineage.json")["nodes"]}


def test_an_eval_of_no_suites_is_no_evaluation(tmp_path, card):
    """eval.suites: [] ("[] runs none"): the card credited scores to eval/sft/summary.json, said every prompt was asked
    with the system prompt the model was trained with, and drew a score table of a header alone (reviewer C #8)."""
    nothing = {"suites": {}, "config": {"suites": [], "system_prompt": "Be safe."}}
    run = sft_run(tmp_path, base=nothing, sft=nothing)
    write_json(
        run / "sft/stage.json", read_json(run / "sft/stage.json") | {"inputs": {"system_prompt": "Be safe."}}
    )
    text = card(run)
    assert "scores from `eval/sft/summary.json`" not in text and "Every prompt was asked" not in text
    assert "| suite | metric | split |" not in text
    assert (
        "| **Final model** | `sft/model` (not evaluated (`eval/sft` scored no suite): no scores in this card are its own) |"
        in text
    )
    assert (
        "**The final model was not evaluated:** `eval/sft` scored no suite (its `eval.suites` was empty)"
        in text
    )
    assert (
        "No eval in this run folder has a score to show: `eval/base/summary.json`, `eval/sft/summary.json` hold no "
        "suite's metrics." in text
    )
    assert "<code>eval/sft</code> scored no suite" in (run / "report.html").read_text()


def test_a_training_file_the_decontamination_could_not_check_is_named_not_called_clean(tmp_path, card):
    """The SFT file changed after training: the data card listed it as not checked, but the report said "0 training
    turns vs 1792 eval prompts ... — clean" and the model card gave the bare zeros (reviewer C #10)."""
    from safealign.corpus.mixture import sha256_file

    data = tmp_path / "mine12.jsonl"
    data.write_text(_chat("Name a colour.") + "\n")
    source = {
        "name": str(data),
        "path": str(data),
        "sha256": sha256_file(data),
        "rows_in_file": 1,
        "rows_used": 1,
    }
    data.write_text(_chat("Name a colour, any colour at all.") + "\n")  # edited since training
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "sft", "tiny", T0 + 20, inputs={"data": {"rows": 1, "sources": [source]}})
    text = card(run)
    assert (
        "training turns and" in text
        and "(details in `DATA_CARD.md`). **Not checked** (file missing or changed since training, so its overlap "
        "with the eval prompts is unknown): `mine12.jsonl`."
        in text
    )
    report = " ".join((run / "report.html").read_text().split())
    assert '— nothing was checked; <span class="status-missing">not checked</span>' in report
    assert "<code>mine12.jsonl</code>" in report and 'status-done">clean' not in report


def test_evals_of_one_version_of_a_suite_file_are_scored_alike(tmp_path, card):
    """Two evals that read the same user suite file (same path and sha256) are not flagged as scored differently."""
    evals = {}
    for label in ("base", "sft"):
        data = summary()
        data["suites"]["mine"] = data["suites"].pop("harmful") | {
            "file": {"path": str(tmp_path / "mine.jsonl"), "sha256": "a" * 64}
        }
        evals[label] = data
    text = card(sft_run(tmp_path, **evals))
    assert "Scored differently" not in text and "suite file mine" not in text


def test_the_student_is_read_from_the_config_when_the_inputs_lack_it(tmp_path, card):
    """A distill stage whose inputs name only the teacher: the student comes from its config."""
    run = new_run(tmp_path)
    stage(run, "eval/base", "tiny", T0)
    stage(run, "distill", "tiny", T0 + 20, inputs={"teacher": "tiny"}, config={"student": "tiny:3"})
    assert "`tiny:3` (the student's own weights; teacher `tiny`)" in card(run)


def gate(step: int, action: str, rolled_back_to: int | None = None) -> dict:
    """A ``gates.jsonl`` row; a rollback when ``rolled_back_to`` is given."""
    return {
        "step": step,
        "passed": rolled_back_to is None,
        "action": action,
        "metrics": {"refusal": 0.8, "over_refusal": 0.25, "accuracy": 0.25},
        "rolled_back_to": rolled_back_to,
        "reason": "stage start" if action == "baseline" else "within tolerance",
    }


def test_rl_that_ended_on_a_rollback_says_its_model_holds_the_earlier_steps_weights(tmp_path, card):
    """exp56: the last gate check (step 20 = max_steps) rolled back to step 10 with lower_lr and training ended, so
    rl/model held step 10's weights; the card said "Steps: 20" and a reward trend of the discarded steps, and nowhere
    that they were discarded (reviewer C2 #1)."""
    from safealign.card.stage_readme import stage_readme

    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60, config={"max_steps": 20}, metrics={"steps": 20})
    gates = [gate(0, "baseline"), gate(10, "pass"), gate(20, "rollback+lower_lr", rolled_back_to=10)]
    (run / "rl/gates.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gates))
    said = "the last gate check (step 20) rolled back to step 10 and training ended: rl/model holds step 10's weights (steps 11-20 discarded)"
    text = card(run)
    assert said in text and ", the discarded steps 11-20 included; " in text
    assert "| 20 | rollback+lower_lr | step 10 | 80.0% |" in text and "| 10 | pass | – |" in text
    report = (run / "report.html").read_text()
    assert said.replace("'", "&#39;") in report and '<td class="num">step 10</td>' in report
    readme = stage_readme(read_json(run / "rl/stage.json") | {"inputs": {}}, gates)
    assert (
        "**The last gate check (step 20) rolled back to step 10 and training ended: `model/` holds step 10's"
        in readme
    )

    # a rollback with steps after it: the model was trained on from step 10, and only the table says where it went back
    write_json(run / "rl/stage.json", read_json(run / "rl/stage.json") | {"metrics": {"steps": 30}})
    text = card(run)
    assert (
        "training ended" not in text
        and "discarded" not in text
        and "| 20 | rollback+lower_lr | step 10 |" in text
    )
    assert "training ended" not in stage_readme(read_json(run / "rl/stage.json") | {"inputs": {}}, gates)


def language_summary(mixed: int, n: int = 24) -> dict:
    """A summary with a language suite in which ``mixed`` of ``n`` held-out answers mix languages."""
    data = summary()
    data["suites"]["language"] = {
        "kind": "language",
        "metrics": {"held_out": {"mixing_rate": rate(mixed, n)}},
    }
    return data


def test_languages_the_model_mixes_beyond_noise_are_not_offered(tmp_path, card):
    """exp56: the student mixed languages in 20 of 24 it/pt answers (the base model in 2), yet Intended use offered it
    "in the languages its evaluation covered (... language: it, pt ...)", and the de/es/fr/zh of its training data
    (the front matter's `language`) were never evaluated without a word (reviewer C2 #2)."""
    data = tmp_path / "mine.jsonl"
    data.write_text(
        "".join(
            json.dumps({"language": lang} | json.loads(_chat("Name a colour."))) + "\n"
            for lang in ("de", "en")
        )
    )
    source = {"name": str(data), "path": str(data), "rows_in_file": 2, "fraction": 1.0, "rows_used": 2}
    run = sft_run(tmp_path, base=language_summary(2), sft=language_summary(20))
    write_json(
        run / "sft/stage.json",
        read_json(run / "sft/stage.json") | {"inputs": {"data": {"sources": [source]}}},
    )
    rows = [{"suite": "harmful", "id": "h", "split": "held_out", "language": "en"}]
    rows += [
        {"suite": "language", "id": f"l{i}", "split": "held_out", "language": lang}
        for i, lang in enumerate(["it", "pt"])
    ]
    (run / "eval/sft/samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = card(run)
    assert "in the languages its evaluation covered (harmful: en; not those below)." in text
    assert (
        "  Not for it, pt: 83.3% [64.1%, 93.3%] n=24 of the held-out answers mix languages (the base model's: 8.3% "
        "[2.3%, 25.8%] n=24), worse than the base model beyond noise.\n" in text
    )
    assert "suites below did not cover: among them de, which the training data holds" in text
    assert front_matter_of(text)["language"] == ["de", "en"]  # the Hub's `language`: the training data's

    write_json(run / "eval/sft/summary.json", language_summary(4))  # 4 of 24 vs 2 of 24: within noise
    text = card(run)
    assert "Not for it, pt" not in text and "(harmful: en; language: it, pt)." in text


def test_a_language_regression_on_one_split_holds_back_only_that_splits_languages(tmp_path, card):
    """The shipped language suite asks fr/de/es/zh in-distribution and it/pt held-out. Only the held-out mixing rate
    got worse beyond noise (2 -> 20 of 24; in-distribution 5 of 104 both times), yet the card said "Not for it, pt,
    fr, de, es, zh" and took fr/de/es/zh out of Intended use (reviewer V2 #1)."""

    def both_splits(mixed_held_out: int) -> dict:
        data = summary()
        data["suites"]["language"] = {
            "kind": "language",
            "metrics": {
                "held_out": {"mixing_rate": rate(mixed_held_out, 24)},
                "in_distribution": {"mixing_rate": rate(5, 104)},
            },
        }
        return data

    run = sft_run(tmp_path, base=both_splits(2), sft=both_splits(20))
    rows = [{"suite": "harmful", "id": "h", "split": "held_out", "language": "en"}]
    rows += [
        {"suite": "language", "id": f"{split}{i}", "split": split, "language": lang}
        for split, languages in (("held_out", ["it", "pt"]), ("in_distribution", ["fr", "de", "es", "zh"]))
        for i, lang in enumerate(languages)
    ]
    (run / "eval/sft/samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = card(run)
    assert "  Not for it, pt: 83.3% [64.1%, 93.3%] n=24 of the held-out answers mix languages" in text
    assert "(harmful: en; language: fr, de, es, zh; not those below)." in text


def test_a_language_held_back_in_one_suite_is_still_offered_in_the_others():
    """Held-back languages were dropped from every suite: a `language:FILE` suite that regressed on "en" took en out
    of the harmful suite's languages too (reviewer V2 #1)."""
    from safealign.card.model_card import intended_languages, languages_held_back

    coverage = {
        "suites": {
            "harmful": {"languages": {"en": 1}, "split_languages": {"held_out": {"en": 1}}},
            "mine": {"languages": {"en": 2, "it": 1}, "split_languages": {"all": {"en": 2, "it": 1}}},
        }
    }
    row = {"suite": "mine", "kind": "language", "split": "all", "beyond_noise": True}
    held = languages_held_back([row], coverage)
    assert [entry["languages"] for entry in held] == [["en", "it"]]
    assert intended_languages(coverage, held) == {"harmful": ["en"]}


def test_the_data_card_counts_a_null_kind_category_or_language_as_missing(tmp_path, card):
    """A row with `"kind": null, "category": null, "language": null` trains, and the stages read those fields as
    absent, but DATA_CARD.md listed the kind, category and language "None" (reviewer V2 #2)."""
    data = tmp_path / "mine.jsonl"
    rows = [
        {"id": None, "kind": None, "category": None, "language": None} | json.loads(_chat("Name a colour.")),
        {"kind": "benign", "language": "en"} | json.loads(_chat("Name a fruit.")),
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = {"name": str(data), "path": str(data), "rows_in_file": 2, "fraction": 1.0, "rows_used": 2}
    run = sft_run(tmp_path)
    write_json(
        run / "sft/stage.json",
        read_json(run / "sft/stage.json") | {"inputs": {"data": {"sources": [source]}}},
    )
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "None" not in data_card
    assert "- **Kinds:** benign 1\n" in data_card and "- **Languages:** en 2\n" in data_card
    assert "- **Categories (kind/category):** ?/? 1, benign/? 1\n" in data_card


@pytest.mark.parametrize(
    ("refusal_judge", "harm_judge", "caveat"),
    [("refusal", "harm", True), ("refusal", "llama-guard", True), ("openai-rubric", "openai-rubric", False)],
    ids=["built-in", "llama-guard-harm", "rubric-only"],
)
def test_a_judge_caveat_of_the_model_card_is_in_the_report_too(
    tmp_path, card, monkeypatch, refusal_judge, harm_judge, caveat
):
    """report.html showed the judges' F1 and harm recall without the model card's caveats: the test split's optimistic
    second look and the share of harmful answers the harm judge misses (reviewer C2 #4). The first is about the
    built-in lexicon judges: a run scored by other judges only showed it about judges it did not use."""
    import safealign.card as bundle
    from safealign.card import model_card

    score = {
        "question": "harmful content (harm judge)",
        "precision": 0.9,
        "recall": 0.826,
        "f1": 0.86,
        "n": 150,
    }
    quality = {
        "measured": True,
        "refusal_judge": refusal_judge,
        "harm_judge": harm_judge,
        "judge_spec": "default",
        "split": "test",
    }
    quality |= {
        "n": 150,
        "labelled_file": "judge_set.jsonl",
        "labelled_sha256": "abc",
        "scores": {"harm": score},
    }
    for module in (bundle, model_card):
        monkeypatch.setattr(module, "judge_quality", lambda run, refresh=False: quality)
    run = sft_run(tmp_path)
    text, report = card(run), (run / "report.html").read_text()
    assert ("That second number is therefore optimistic" in text) is caveat
    assert ("That second number is therefore optimistic" in report) is caveat
    assert (
        "<b>How the test split was used (read before trusting the judge numbers).</b>" in report
    ) is caveat
    assert (
        "may miss about 17% of harmful answers" in text and "may miss about 17% of harmful answers" in report
    )


def _first_user_turn(name: str) -> str:
    from safealign.corpus import dataset_path, read_rows

    return read_rows(dataset_path(name))[0][1]["messages"][0]["content"]


def test_the_rl_stage_records_the_safety_prompts_it_drew_from_each_file():
    from safealign.stages.rl import with_prompts_used
    from safealign.stages.rl_prompts import safety_source_files

    rows = [
        {
            "prompt": [{"role": "user", "content": _first_user_turn("harmful_refusals")}],
            "task": "",
            "language": "en",
        },
        {
            "prompt": [{"role": "user", "content": _first_user_turn("harmful_refusals")}],
            "task": "",
            "language": "en",
        },
        {"prompt": [{"role": "user", "content": "Calculate 2 + 3."}], "task": "{}", "language": "en"},
    ]
    drawn = {
        s["name"]: (s["rows_used"], s["languages_used"])
        for s in with_prompts_used(safety_source_files(), rows)
    }
    assert drawn == {"harmful_refusals": (2, {"en": 2}), "benign_helpful": (0, {}), "multilingual": (0, {})}


def _english_sft_then_rl(root: Path, sft_source: dict, safety_sources: list[dict] | None) -> Path:
    """An SFT stage on ``sft_source``, then RL with safety prompts from ``safety_sources`` (None: a record from before
    the stage recorded them), evaluated after each."""
    run = sft_run(root)
    write_json(
        run / "sft/stage.json",
        read_json(run / "sft/stage.json") | {"inputs": {"data": {"sources": [sft_source]}}},
    )
    inputs: dict = {"prompts": {"rows": 8, "tasks": {"arithmetic": 0.5, "safety": 0.5}}}
    if safety_sources is not None:
        inputs["safety_sources"] = safety_sources
    stage(run, "rl", str(run / "sft/model"), T0 + 60, inputs=inputs)
    stage(run, "eval/rl", str(run / "rl/model"), T0 + 80)
    return run


def _drew_english_only() -> list[dict]:
    from safealign.stages.rl_prompts import safety_source_files

    drawn = {"harmful_refusals": 3, "benign_helpful": 1, "multilingual": 0}
    return [
        s
        | {
            "rows_used": drawn[s["name"]],
            "languages_used": {"en": drawn[s["name"]]} if drawn[s["name"]] else {},
        }
        for s in safety_source_files()
    ]


def test_the_card_lists_the_languages_and_files_of_the_safety_prompts_rl_drew_not_its_whole_pool(
    tmp_path, card
):
    """An English-only SFT file and 4 English RL safety prompts: the front matter said `language: [de, en, es, fr, zh]`
    and listed `multilingual` (every row of the RL prompt pool was counted), and the limitations said the training
    data holds de, es, fr, zh (reviewer RJ #1)."""
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"language": "en"} | json.loads(_chat("Name a colour."))) + "\n")
    source = {"name": str(data), "path": str(data), "rows_in_file": 1, "fraction": 1.0, "rows_used": 1}
    run = _english_sft_then_rl(tmp_path, source, _drew_english_only())
    text = card(run)
    hub = front_matter_of(text)
    assert hub["language"] == ["en"]
    assert hub["datasets"] == ["mine.jsonl", "harmful_refusals", "benign_helpful"]
    assert "which the training data holds" not in text
    data_card = (run / "DATA_CARD.md").read_text()
    assert "| harmful_refusals | RL safety prompts (`rl`) | 3 / 330 |" in data_card
    assert "| multilingual | RL safety prompts (`rl`) | 0 / 148 |" in data_card


def test_a_multilingual_sft_mixture_keeps_its_languages_and_an_old_rl_record_counts_its_whole_pool(
    tmp_path, card
):
    """The quickstart's SFT mixture holds the multilingual file: its card lists all five languages whatever RL drew;
    an RL record from before the stage recorded what it drew counts its whole pool, as cards did then."""
    from safealign.corpus import dataset_path

    path = dataset_path("multilingual")
    source = {
        "name": "multilingual",
        "path": str(path),
        "rows_in_file": 148,
        "fraction": 1.0,
        "rows_used": 148,
    }
    english = tmp_path / "english"
    english.mkdir()
    hub = front_matter_of(card(_english_sft_then_rl(english, source, _drew_english_only())))
    assert hub["language"] == ["de", "en", "es", "fr", "zh"] and "multilingual" in hub["datasets"]

    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"language": "en"} | json.loads(_chat("Name a colour."))) + "\n")
    mine = {"name": str(data), "path": str(data), "rows_in_file": 1, "fraction": 1.0, "rows_used": 1}
    old = tmp_path / "old"
    old.mkdir()
    hub = front_matter_of(card(_english_sft_then_rl(old, mine, None)))
    assert hub["language"] == ["de", "en", "es", "fr", "zh"] and "multilingual" in hub["datasets"]


def test_the_data_card_counts_the_safety_prompts_whose_traces_sampling_kept(tmp_path, card):
    """The sample stage records no count of the prompts it drew: the data card reads the prompts of its kept traces
    ("– / 148" before), what the student trains on. A prompt whose completions were all rejected is not counted: the
    card claimed its language for the student."""
    run = sft_run(tmp_path)
    config = {"num_prompts": 4, "k": 1, "safety_share": 0.3}
    stage(
        run, "sample", str(run / "sft/model"), T0 + 60, config=config, metrics={"accepted": 1, "samples": 2}
    )
    harmful = _first_user_turn("harmful_refusals")
    rejected = {
        "prompt_index": 1,
        "sample_index": 0,
        "prompt": _first_user_turn("multilingual"),
        "completion": "x",
        "reasons": ["truncated"],
    }
    trace = {
        "prompt_index": 0,
        "sample_index": 0,
        "messages": [{"role": "user", "content": harmful}, {"role": "assistant", "content": "I can't help."}],
    }
    (run / "sample/rejected.jsonl").write_text(json.dumps(rejected) + "\n")
    (run / "sample/traces.jsonl").write_text(json.dumps(trace) + "\n")
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    assert "| harmful_refusals | rejection-sampling safety prompts (`sample`) | 1 / 330 |" in data_card
    assert "| multilingual | rejection-sampling safety prompts (`sample`) | 0 / 148 |" in data_card


def test_the_decontamination_check_counts_the_pool_files_the_run_drew_prompts_from_not_the_whole_pool(
    tmp_path, card
):
    """RL drew no prompt from the multilingual pool file (rows_used 0), and the front matter leaves it out; the data
    card still checked its 148 rows against the eval prompts, printed a Decontamination line for it and counted its
    turns (and any match there, in rows never trained on) in the result."""
    from safealign.card.data_card import data_card_context

    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"language": "en"} | json.loads(_chat("Name a colour."))) + "\n")
    source = {"name": str(data), "path": str(data), "rows_in_file": 1, "fraction": 1.0, "rows_used": 1}
    run = _english_sft_then_rl(tmp_path, source, _drew_english_only())
    checked = data_card_context(load_run(run))["decontamination"]
    assert set(checked["per_file"]) == {"mine.jsonl", "harmful_refusals", "benign_helpful"}
    assert checked["not_drawn"] == ["multilingual"]
    card(run)
    data_card = (run / "DATA_CARD.md").read_text()
    multilingual = data_card.split("### multilingual")[1].split("###")[0]
    assert "**Decontamination:**" not in multilingual
    assert "— clean (not counted: multilingual, from which the run drew no prompt).**" in data_card
    assert "| multilingual | RL safety prompts (`rl`) | 0 / 148 |" in data_card
