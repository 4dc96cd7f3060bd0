"""The transparency bundle on real run folders made by `safealign run` on the tiny model.

One session fixture runs the pipeline twice in the same folder: first a recipe with SFT only (its
folder is copied aside: the partial run), then the full recipe, which skips the finished stages
and adds RL, rejection sampling, distillation and the student's eval (the full run). Both times
the pipeline itself writes the bundle as its last step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from safealign.card import RunFolderError, load_run, write_bundle
from safealign.card.data_card import eval_datasets
from safealign.card.model_card import harm_judge_limits
from safealign.card.run_folder import demote, number, pct, rate
from safealign.corpus import TRAIN_DATASETS, dataset_path
from safealign.corpus.mixture import sha256_file
from safealign.runs import read_json

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)),
    None,
)
SCREENSHOT_DIR = Path(os.environ.get("SAFEALIGN_SCREENSHOTS", "runs/screenshots")).resolve()
FILES = ("README.md", "DATA_CARD.md", "lineage.json", "report.html")


def tiny_recipe(data: Path, full: bool) -> dict:
    # RL safety prompts read every shipped training file; leave them out while one is still missing.
    shipped = _all_exist()
    spec = {
        "name": "tinyrun",
        "output_dir": "runs",
        "precision": "fp32",
        "model": {"name": "tiny"},
        "eval": {"suites": ["harmful", "borderline", "reasoning"], "limit": 2, "max_new_tokens": 6},
        "sft": {
            "datasets": {str(data): 1.0, "reasoning": 0.02},
            "method": "full",
            "max_steps": 2,
            "batch_size": 2,
            "logging_steps": 1,
            "learning_rate": 1e-3,
        },
    }
    if full:
        spec |= {
            "rl": {
                "tasks": {"arithmetic": 0.5, "safety": 0.5} if shipped else {"arithmetic": 1.0},
                "num_prompts": 8,
                "max_steps": 2,
                "prompts_per_step": 2,
                "num_generations": 2,
                "max_completion_length": 8,
                "method": "full",
                "gates": {"enabled": True, "every_steps": 2, "limit": 4},
            },
            "sample": {
                "num_prompts": 4,
                "k": 2,
                "max_new_tokens": 8,
                "safety_share": 0.5 if shipped else 0.0,
            },
            "distill": {
                "student": "prune:0.5",
                "max_steps": 2,
                "batch_size": 2,
                "transfer_data": {str(data): 0.5},
            },
        }
    return spec


def _all_exist() -> bool:
    from safealign.errors import DataError

    try:
        return all(dataset_path(name).is_file() for name in TRAIN_DATASETS)
    except DataError:
        return False


@pytest.fixture(scope="session")
def runs(tmp_path_factory, safealign_home) -> dict[str, Path]:
    """{"partial": SFT-only run folder, "full": every stage}; paths in stage.json are relative, as with `output_dir: runs`."""
    from safealign.config import parse_recipe
    from safealign.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("card")
    data = root / "chat.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(
                {
                    "kind": "benign",
                    "category": "chat",
                    "language": "en",
                    "source": "test-fixture",
                    "messages": [
                        {"role": "user", "content": f"Say {i}."},
                        {"role": "assistant", "content": f"I say {i}."},
                    ],
                }
            )
            for i in range(8)
        )
        + "\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        run_pipeline(parse_recipe(tiny_recipe(data, full=False)), show_progress=False)
        shutil.copytree(root / "runs", root / "partial" / "runs")
        # A random tiny model never writes a correct, safe answer; accept every sample so distillation has traces.
        patch.setattr(
            "safealign.stages.sample.rejection_reasons", lambda samples, judges: [[] for _ in samples]
        )
        run_pipeline(parse_recipe(tiny_recipe(data, full=True)), show_progress=False)
    return {"partial": root / "partial" / "runs" / "tinyrun", "full": root / "runs" / "tinyrun"}


def table_row(markdown: str, *first_cells: str) -> list[str]:
    """The cells of the Markdown table row that starts with ``first_cells``."""
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[: len(first_cells)] == list(first_cells):
            return cells
    raise AssertionError(f"no table row starting with {first_cells}")


def test_pipeline_writes_the_bundle(runs, safealign_home):
    for run_dir in runs.values():
        for name in FILES:
            assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 500, name
        assert read_json(run_dir / "judge_quality.json")["measured"]
    assert len(list((safealign_home / "judge_quality").glob("*.json"))) == 1, (
        "measured once, shared by later runs"
    )
    assert not load_run(runs["full"]).missing
    assert "Stages not in this run" not in (runs["full"] / "README.md").read_text()
    for record in runs["full"].glob("**/stage.json"):  # each stage says how much of the machine it had
        load = read_json(record)["machine_load"]
        assert load["this_process"] > 0 and sum(load.values()) == pytest.approx(1.0, abs=0.001), record


def test_numbers_trace_to_run_files(runs):
    run_dir = runs["full"]
    card, data_card, report = (
        (run_dir / n).read_text() for n in ("README.md", "DATA_CARD.md", "report.html")
    )

    sft = read_json(run_dir / "sft" / "stage.json")
    row = table_row(card, "`sft`", "done")
    assert row[2] == f"{sft['wall_time_s']:.1f} s" and row[3] == str(sft["metrics"]["tokens"])
    assert f"{sft['wall_time_s']:.1f} s" in report

    assert (
        "hold for greedy decoding" in card and "--temperature 0" in card
    )  # the decoding the rates are valid for
    for label in ("base", "sft", "rl", "student"):  # every eval cell of the held-out refusal rate
        summary = read_json(run_dir / "eval" / label / "summary.json")
        entry = summary["suites"]["harmful"]["metrics"]["held_out"]["refusal_rate"]
        cells = table_row(card, "harmful", "harmful requests refused (↑)", "held-out")
        assert cells[3 + ["base", "sft", "rl", "student"].index(label)] == rate(entry)
        assert (
            rate(entry)
            == f"{100 * entry['value']:.1f}% [{100 * entry['low']:.1f}%, {100 * entry['high']:.1f}%] n={entry['n']}"
        )
        assert (
            f'<b>{pct(entry["value"])}</b> <span class="ci">[{pct(entry["low"])}, {pct(entry["high"])}] n={entry["n"]}</span>'
            in report
        )

    mixture = read_json(run_dir / "sft" / "data_mixture.json")
    reasoning = next(s for s in mixture["sources"] if s["name"] == "reasoning")
    assert reasoning["sha256"] == sha256_file(dataset_path("reasoning"))
    assert table_row(data_card, "reasoning", "SFT mixture (`sft`)")[4] == f"`{reasoning['sha256']}`"
    assert reasoning["sha256"] in report

    sample = read_json(run_dir / "sample" / "stage.json")["metrics"]  # its tokens count the prompts too
    assert sample["tokens"] > sample["completion_tokens"] > 0
    assert f"(and {number(sample['completion_tokens'])} generated in rejection sampling)" in card

    gates = (run_dir / "rl" / "gates.jsonl").read_text().splitlines()
    assert len(gates) == read_json(run_dir / "rl" / "stage.json")["metrics"]["gate_events"] >= 2
    assert f"{len(gates)} gate event(s) in `rl/gates.jsonl`" in card
    assert f"Gate events ({len(gates)})" in report
    assert "tolerance refusal -5%, over-refusal +5% and at least 2 items" in card
    assert "student prune:0.5 (depth: 1 layer kept, [0])" in card  # the tiny teacher has 2 layers
    distill = read_json(run_dir / "distill" / "stage.json")["metrics"]
    assert f"generates {distill['generation_speedup']:.2f}x as fast" in card and "best of 3 rounds" in card

    quality = read_json(run_dir / "judge_quality.json")
    harm = quality["scores"]["harm"]
    assert table_row(card, "harmful content (harm judge)")[1:4] == [
        f"{100 * harm[k]:.1f}%" for k in ("precision", "recall", "f1")
    ]


def test_model_card_loads_with_huggingface_hub(runs):
    from huggingface_hub import ModelCard

    card = ModelCard.load(runs["full"] / "README.md")
    assert (
        card.data.pipeline_tag == "text-generation" and card.data.base_model == "tiny" and card.data.license
    )
    assert "grpo" in card.data.tags and "reasoning" in card.data.datasets
    summary = read_json(runs["full"] / "eval" / "student" / "summary.json")
    results = card.data.eval_results
    assert results and {r.dataset_type for r in results} == {
        "safealign/harmful",
        "safealign/borderline",
        "safealign/reasoning",
    }
    for result in results:
        suite = result.dataset_type.split("/", 1)[1]
        assert (
            result.metric_value
            == summary["suites"][suite]["metrics"][result.dataset_split][result.metric_type]["value"]
        )
    # The partial run's card reports the SFT checkpoint's eval.
    partial = ModelCard(Path(runs["partial"] / "README.md").read_text())
    sft = read_json(runs["partial"] / "eval" / "sft" / "summary.json")
    first = partial.data.eval_results[0]
    assert (
        first.metric_value
        == sft["suites"][first.dataset_type.split("/")[1]]["metrics"][first.dataset_split][first.metric_type][
            "value"
        ]
    )


def test_lineage_links_every_stage(runs):
    lineage = read_json(runs["full"] / "lineage.json")
    stages = {s["stage"]: s for s in lineage["stages"]}
    assert list(stages) == [
        "eval:base",
        "sft",
        "eval:sft",
        "rl",
        "eval:rl",
        "sample",
        "distill",
        "eval:student",
    ]
    for stage in stages.values():
        assert (
            stage["status"] == "done"
            and stage["versions"]["torch"]
            and "seed" in stage
            and stage["started_at"] <= stage["finished_at"]
        )
        assert stage["files"] and all("sha256" in f for f in stage["files"])
    edges = {(e["from"], e["to"]) for e in lineage["edges"]}
    assert {
        ("model:tiny", "model:sft/model"),
        ("dataset:reasoning", "model:sft/model"),
        ("model:sft/model", "model:rl/model"),
        ("model:rl/model", "dataset:sample/traces.jsonl"),
        ("dataset:sample/traces.jsonl", "model:distill/model"),
        ("model:distill/model", "eval:student"),
    } <= edges
    traces = next(n for n in lineage["nodes"] if n["id"] == "dataset:sample/traces.jsonl")
    assert traces["sha256"] == sha256_file(runs["full"] / "sample" / "traces.jsonl")
    assert stages["rl"]["config"] == read_json(runs["full"] / "rl" / "stage.json")["config"]
    suite = next(
        n for n in lineage["nodes"] if n["id"] == "dataset:eval-suite:harmful"
    )  # what each eval read
    assert suite["sha256"] == sha256_file(
        Path(__file__).parents[1] / "safealign" / "data" / "evals" / "harmful.jsonl"
    )
    assert ("dataset:eval-suite:harmful", "eval:base") in edges
    # the RL safety prompts come from the shipped files, which a clone always has (tracked in git)
    assert _all_exist(), "a shipped training file under safealign/data/train is missing: restore it from git"
    assert ("dataset:harmful_refusals", "dataset:rl-prompts") in edges


def test_partial_run_says_what_is_missing(runs):
    run_dir = runs["partial"]
    card, report = (run_dir / "README.md").read_text(), (run_dir / "report.html").read_text()
    for key in ("rl", "sample", "distill"):
        assert f"`{key}` (not in the recipe)" in card
        assert f"<code>{key}</code> (not in the recipe)" in report
    assert "`eval:student` (no distill stage, so nothing to evaluate)" in card
    assert "No RL stage in this run" in card and "No RL stage in this run: no reward curves" in report
    assert read_json(run_dir / "lineage.json")["missing_stages"] == [
        "rl",
        "eval:rl",
        "sample",
        "distill",
        "eval:student",
    ]
    assert "sample/traces.jsonl" not in (run_dir / "DATA_CARD.md").read_text()


def test_a_crashed_stage_is_reported(runs, tmp_path):
    run_dir = tmp_path / "runs" / "tinyrun"
    shutil.copytree(runs["full"], run_dir, ignore=_without_weights)
    (run_dir / "distill" / "stage.json").unlink()
    (run_dir / "pipeline.json").unlink()
    write_bundle(run_dir)
    card = (run_dir / "README.md").read_text()
    assert "`distill` (started but did not finish (no stage.json)" in card
    # the command that resumes it, as the stage commands say it; it read "resume with \\`safealign run\\`" (escaped)
    assert "resume with safealign run RECIPE (or safealign distill RECIPE)" in card
    assert "\\`safealign" not in card
    # The final model is the last finished stage's (rl): the scores are its eval's, not the student eval left behind.
    assert "| **Final model** | `rl/model` (scores from `eval/rl/summary.json`)" in card
    # distill/data_mixture.json is still there: its traces and transfer rows trained no model of this run
    assert (run_dir / "distill" / "data_mixture.json").is_file()
    assert "(`distill`)" not in (run_dir / "DATA_CARD.md").read_text()
    assert "sample/traces.jsonl" not in card.split("---")[1], (
        "the model card's datasets are finished stages' only"
    )


def test_a_final_model_whose_eval_is_missing_is_not_credited_with_another_models_scores(runs, tmp_path):
    """The student's eval crashed: the card named the student the final model, with the RL teacher's scores (and put
    them in the model-index as the student's)."""
    run_dir = tmp_path / "runs" / "tinyrun"
    shutil.copytree(runs["full"], run_dir, ignore=_without_weights)
    for name in ("stage.json", "summary.json"):
        (run_dir / "eval" / "student" / name).unlink()
    (run_dir / "pipeline.json").unlink()
    write_bundle(run_dir)
    card = (run_dir / "README.md").read_text()
    assert "| **Final model** | `distill/model` (not evaluated: no scores in this card are its own) |" in card
    assert "the final model was not evaluated" in card and "model-index" not in card.split("---")[1]
    assert "Where the final model does worse" not in card
    # nor with the base eval's settings: the Evaluation section named the base eval's suites and token limit
    evaluation = card.split("## Evaluation results", 1)[1].split("## Safety evaluation", 1)[0]
    assert "**The final model was not evaluated**" in evaluation
    assert "Suites and splits the final model was scored with" not in evaluation


def test_cli_rerenders_from_the_cache(runs, tmp_path):
    from typer.testing import CliRunner

    from safealign.cli.main import app

    cached = runs["partial"] / "judge_quality.json"
    before = cached.stat().st_mtime_ns
    result = CliRunner().invoke(app, ["card", str(runs["partial"])])
    assert result.exit_code == 0, result.output
    assert "stages not in this run" in result.output and "report.html" in result.output
    assert cached.stat().st_mtime_ns == before, "judge quality came from judge_quality.json"
    assert CliRunner().invoke(app, ["card", str(tmp_path)]).exit_code == 2
    with pytest.raises(RunFolderError):
        write_bundle(tmp_path)


def test_limits_and_helpers():
    assert "cannot judge how dangerous the content itself is" in harm_judge_limits()
    assert demote("# A\n```\n# not a heading\n```\n## B", 2) == "### A\n```\n# not a heading\n```\n#### B"
    assert rate({"value": 0.5, "low": 0.1, "high": 0.9, "n": 2}) == "50.0% [10.0%, 90.0%] n=2"


def chromium(*args: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90)


@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)"
)
@pytest.mark.parametrize("which", ["full", "partial"])
def test_report_renders_in_chromium(runs, which):
    page = (runs[which] / "report.html").resolve().as_uri()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / f"card_report_{which}.png"
    shot.unlink(missing_ok=True)
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page)
    assert shot.is_file() and shot.stat().st_size > 20_000, taken.stderr[-2000:]
    dumped = chromium("--dump-dom", page)
    dom = dumped.stdout
    for section in (
        "summary",
        "stages",
        "evals",
        "training",
        "alerts",
        "data",
        "judges",
        "samples",
        "provenance",
    ):
        assert f'id="{section}"' in dom, section
    assert "Evaluation at every stage" in dom and "Sample completions" in dom
    assert not re.search(r"Uncaught|SyntaxError|Failed to load resource", taken.stderr + dumped.stderr)
    assert not re.search(r'(src|href)="https?:|url\((?!#)|@import', dom)  # self-contained: nothing to fetch
    plots = dom.count("<svg")
    if which == "full":
        assert plots >= 4 and 'id="plot-rewards"' in dom and 'id="plot-gates"' in dom
    else:
        assert plots >= 2 and 'id="missing-stages"' in dom and "No RL stage in this run" in dom


def test_data_card_names_the_source_of_a_reasoning_gym_family_suite():
    summary = {
        "suites": {
            "rg:count_bits": {"kind": "reasoning", "n_items": 60, "metrics": {"external": {}, "all": {}}}
        }
    }
    run = SimpleNamespace(
        evals={"base": summary},
        jsonl=lambda _: [{"suite": "rg:count_bits", "category": "count_bits", "language": "en"}],
    )
    [entry] = eval_datasets(run)
    assert entry["source"] == "generated by reasoning-gym (count_bits)"
    assert (
        entry["splits"] == ["external"]
        and entry["categories"] == {"count_bits": 1}
        and entry["stages"] == ["base"]
    )


def test_model_card_names_the_system_prompt_the_evals_used(runs, tmp_path):
    """The card said the eval's prompt was the one the model was trained with, and to serve it with it, when SFT had
    trained with none (the prompt came from the eval's config, not the training stage's record)."""
    run = tmp_path / "run"
    shutil.copytree(runs["partial"], run)
    assert "was asked with the system prompt" not in (run / "README.md").read_text()
    for summary in run.glob("**/eval/*/summary.json"):
        data = json.loads(summary.read_text())
        data["config"]["system_prompt"] = "Decline only real harm."
        summary.write_text(json.dumps(data))
    write_bundle(run)
    card = (run / "README.md").read_text()
    assert (
        "the system prompt the model was trained with" not in card and "serve the model with it" not in card
    )
    assert "**The final model was asked with another system prompt than it was trained with**" in card
    assert (
        "Asked with:\n\n```text\nDecline only real harm.\n```" in card
        and "Trained with no system prompt." in card
    )

    record = read_json(run / "sft" / "stage.json")
    record["inputs"]["system_prompt"] = "Decline only real harm."  # trained with it: the card may say so
    (run / "sft" / "stage.json").write_text(json.dumps(record))
    write_bundle(run)
    card = (run / "README.md").read_text()
    assert (
        "was asked with the system prompt the model was trained with" in card
        and "```text\nDecline only real harm.\n```" in card
        and "another system prompt" not in card
    )


def test_a_training_stage_folder_gets_our_readme_with_its_numbers_and_prompt(tmp_path):
    from safealign.card.stage_readme import write_stage_readme

    record = {
        "stage": "sft",
        "parent": "embedded:smollm2-135m-instruct",
        "output": "runs/q/sft/model",
        "seed": 7,
        "wall_time_s": 799.4,
        "git_commit": "0123456789abcdef",
        "metrics": {
            "steps": 138,
            "tokens": 142433,
            "tokens_per_s": 179.07,
            "precision": "bf16",
            "rollbacks": None,
        },
        "inputs": {"system_prompt": "Decline only real harm.\n"},
    }
    (tmp_path / "README.md").write_text(
        "# Model Card for sft\nThis model is a fine-tuned version of [None](https://huggingface.co/None)."
    )
    write_stage_readme(tmp_path, record)
    readme = (tmp_path / "README.md").read_text()
    assert "None" not in readme and "started from `embedded:smollm2-135m-instruct`" in readme
    for row in (
        "| seed | 7 |",
        "| wall time | 799.4 s (13.3 min) |",
        "| training tokens | 142,433 |",
        "| precision | bf16 |",
        "| safealign commit | `0123456789ab` |",
    ):
        assert row in readme, row
    assert "gate rollbacks" not in readme  # a metric the stage did not record gets no row
    assert (
        "```text\nDecline only real harm.\n```\n" in readme
        and 'from_pretrained("runs/q/sft/model")' in readme
    )
    write_stage_readme(tmp_path / "eval", {"stage": "eval:sft"})  # not a training stage: nothing written
    assert not (tmp_path / "eval").exists()


def test_a_stage_readme_quotes_a_model_path_with_a_space_or_a_quote():
    """`safealign eval my runs/t/sft/model` split the path in two, and a quote in it ended the Python string."""
    import ast
    import shlex

    from safealign.card.stage_readme import stage_readme

    for path in ("my runs/t/sft/model", 'a "b" c\'s/sft/model'):
        record = {
            "stage": "sft",
            "parent": "tiny",
            "output": path,
            "seed": 1,
            "wall_time_s": 1.0,
            "metrics": {},
            "inputs": {},
        }
        readme = stage_readme(record)
        commands = [line.split("  #")[0] for line in readme.splitlines() if line.startswith("safealign ")]
        assert [shlex.split(line)[2] for line in commands] == [path, path], commands
        loads = [line for line in readme.splitlines() if "from_pretrained(" in line]
        assert [ast.literal_eval(line.split("from_pretrained(")[1][:-1]) for line in loads] == [path, path], (
            loads
        )


def test_an_rl_stage_readme_calls_its_tokens_rollout_tokens():
    """RL's count is TRL's num_tokens (every rollout's prompt and completion, rolled-back steps too): the page called it
    "training tokens", as the card did before it said "in rollouts"."""
    from safealign.card.stage_readme import stage_readme

    metrics = {"tokens": 76061, "tokens_per_s": 60.2}
    record = {
        "stage": "rl",
        "parent": "tiny",
        "output": "m",
        "seed": 1,
        "wall_time_s": 3.0,
        "metrics": metrics,
        "inputs": {},
    }
    page = stage_readme(record)
    assert (
        "| rollout tokens (prompts and completions of every step run, rolled-back ones too) | 76,061 |"
        in page
    )
    assert "| rollout tokens/s |" in page and "training tokens" not in page
    assert "| training tokens | 76,061 |" in stage_readme(record | {"stage": "sft"})


def test_an_rl_stage_readme_names_the_detectors_that_could_not_judge(tmp_path):
    """The page said "reward-hacking alerts | 0" only, where the model card says which detectors never judged."""
    import json

    from safealign.card.stage_readme import write_stage_readme

    stage = tmp_path / "my-rl"  # `safealign rl --out my-rl`: not a run folder's rl/
    stage.mkdir()
    notes = [
        {"detector": "kl_blowup", "severity": "info", "step": 2, "message": "does not apply: no KL logged"},
        {
            "detector": "repetition",
            "severity": "info",
            "step": 2,
            "message": "needs 8 logged steps, has 2 (a|b)",
        },
        {"detector": "truncation", "severity": "warning", "step": 2, "message": "clipped"},
        {"detector": "truncation", "severity": "info", "step": 2, "message": "needs 8 logged steps"},
    ]
    (stage / "alerts.json").write_text(json.dumps(notes))
    record = {
        "stage": "rl",
        "parent": "tiny",
        "output": str(stage / "model"),
        "seed": 1,
        "wall_time_s": 3.0,
        "metrics": {"steps": 2, "alerts": 1, "prompts_screened": 4},
        "inputs": {},
    }
    write_stage_readme(stage, record)
    lines = (stage / "README.md").read_text().splitlines()
    alerts_row = lines.index("| reward-hacking alerts | 1 |")
    assert lines[alerts_row + 1] == (
        "| detectors that could not judge (their silence is no evidence) | 2: **kl_blowup** (does not apply: no KL "
        "logged); **repetition** (needs 8 logged steps, has 2 (a\\|b)) |"
    )  # truncation raised an alert: not listed as unjudged, as on the model card
    (stage / "alerts.json").write_text(json.dumps(notes[2:3]))
    write_stage_readme(stage, record)
    assert "could not judge" not in (stage / "README.md").read_text()


def test_an_sft_stage_readme_names_the_files_it_trained_on():
    """It said "the recipe's safety and reasoning mixture" for a mixture of the user's own chat file alone."""
    from safealign.card.stage_readme import stage_readme

    source = {"name": "/data/my chat.jsonl", "rows_used": 30, "rows_in_file": 30, "fraction": 1.0}
    data = {"rows": 30, "by_kind": {"benign": 26, "unknown": 3, "reasoning": 1}, "sources": [source]}
    record = {
        "stage": "sft",
        "parent": "tiny",
        "output": "runs/u/sft/model",
        "seed": 1,
        "wall_time_s": 1.0,
        "metrics": {},
        "inputs": {"data": data},
    }
    readme = " ".join(stage_readme(record).split())
    assert "safety and reasoning" not in readme
    assert (
        "fine-tuned on 30 rows (`/data/my chat.jsonl`: 30; by kind: 26 benign, 3 with no kind, 1 reasoning; "
        "`data_mixture.json` lists the files and their sha256)" in readme
    )
    assert "fine-tuned on its data mixture" in stage_readme(
        record | {"inputs": {}}
    )  # a record older than inputs.data


def test_a_lora_stage_readme_says_model_is_merged_and_how_to_load_the_adapter():
    """`adapter/` sat beside `model/` unexplained, and nothing said `model/` had the adapter merged in."""
    from safealign.card.stage_readme import stage_readme

    record = {
        "stage": "rl",
        "parent": "/runs/u/sft/model",
        "output": "/runs/u/rl/model",
        "seed": 1,
        "wall_time_s": 1.0,
        "metrics": {"method": "lora"},
        "inputs": {},
    }
    lines = stage_readme(record).splitlines()
    row = lines[lines.index("| method | lora |") + 1]
    assert row.startswith(
        "| `adapter/` | the LoRA adapter alone; `model/` is this adapter merged into the parent "
    )
    assert (
        "`PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained('/runs/u/sft/model'), '/runs/u/rl/adapter')`"
        in row
    )
    tiny = " ".join(stage_readme(record | {"parent": "tiny"}).split())
    assert "PeftModel.from_pretrained(load_model('tiny').model, '/runs/u/rl/adapter')" in tiny
    assert "`adapter/`" not in stage_readme(record | {"metrics": {"method": "full"}})


def test_distillation_transfer_set_is_described_source_by_source(runs):
    """Only the sampled traces are teacher output; rows the recipe adds (distill.transfer_data) keep their own name and terms."""
    run_dir = runs["full"]
    card, data_card = ((run_dir / n).read_text() for n in ("README.md", "DATA_CARD.md"))
    sources = read_json(run_dir / "distill" / "stage.json")["inputs"]["traces"]["sources"]
    traces, added = sources
    assert (
        f"teacher traces (sample/traces.jsonl) {traces['rows_used']}, chat.jsonl {added['rows_used']}" in card
    )
    assert (
        table_row(data_card, "sample/traces.jsonl", "distillation traces (`distill`)")[3]
        == "generated by the teacher model; same terms as the model"
    )
    row = table_row(data_card, "chat.jsonl", "distillation transfer set (`distill`)")
    assert row[2] == f"{added['rows_used']} / 8" and row[3].startswith("not stated (user-supplied file")
    sample = read_json(run_dir / "sample" / "stage.json")["metrics"]
    assert sample["prompts"] == 4 and f"{sample['prompts']} prompts (50% safety)" in card
    # how the traces were kept: every rule of rejection_reasons, the offer filter and the stray-tag check included
    assert "harmful: refused, without offering the request again (`unsafe:offer`)" in data_card
    assert "any answer but a reasoning one: no stray `<think>` or `</think>` tag" in data_card


def test_rl_and_sample_record_the_safety_files_their_prompts_came_from(runs):
    """Neither stage recorded what it read: the data card hashed the package's files when it was written."""
    if not _all_exist():
        pytest.skip("a shipped training file is missing: the tiny run draws no safety prompts")
    for stage in ("rl", "sample"):
        sources = read_json(runs["full"] / stage / "stage.json")["inputs"]["safety_sources"]
        assert [s["name"] for s in sources] == ["harmful_refusals", "benign_helpful", "multilingual"]
        for source in sources:
            assert source["sha256"] == sha256_file(dataset_path(source["name"]))
            assert source["rows_in_file"] == len(dataset_path(source["name"]).read_text().splitlines())
    # the RL stage also records how many of its dataset's prompts each file gave, and their languages: the card's
    # language metadata counts a pool file only for those
    rl = read_json(runs["full"] / "rl" / "stage.json")["inputs"]["safety_sources"]
    assert sum(s["rows_used"] for s in rl) > 0
    assert all(sum(s["languages_used"].values()) == s["rows_used"] for s in rl), rl


def test_card_lists_what_the_final_model_does_worse_than_the_base(tmp_path):
    from safealign.card.summary import regressions

    def entry(value: float, low: float, high: float) -> dict:
        return {"value": value, "low": low, "high": high, "n": 40}

    def summary(refused: float, over_refused: float, mixing: float) -> dict:
        return {
            "suites": {
                "harmful": {
                    "kind": "harmful",
                    "metrics": {"held_out": {"refusal_rate": entry(refused, refused - 0.1, refused + 0.1)}},
                },
                "borderline": {
                    "kind": "borderline",
                    "metrics": {
                        "held_out": {
                            "over_refusal_rate": entry(
                                over_refused, max(0, over_refused - 0.1), over_refused + 0.1
                            )
                        }
                    },
                },
                "language": {
                    "kind": "language",
                    "metrics": {
                        "held_out": {"mixing_rate": entry(mixing, max(0, mixing - 0.05), mixing + 0.05)}
                    },
                },
            }
        }

    run = SimpleNamespace(
        evals={"base": summary(0.1, 0.02, 0.08), "student": summary(0.8, 0.375, 0.1)},
        final_eval="student",
        stage=lambda key: SimpleNamespace(dir=tmp_path / key),  # no stage.json: no eval settings to compare
    )
    found = {(r["suite"], r["beyond_noise"]) for r in regressions(run)}
    assert found == {
        ("borderline", True),
        ("language", False),
    }  # refusing more is not a regression; mixing +2 points is within noise


def test_a_moved_run_folder_still_finds_its_traces(runs, tmp_path, monkeypatch):
    """Stage records hold paths relative to the working directory of the run; a copied folder, carded from
    elsewhere, finds its own files instead of calling them missing."""
    moved = tmp_path / "archive" / "tinyrun"
    shutil.copytree(runs["full"], moved, ignore=shutil.ignore_patterns("checkpoint-*", "*.safetensors"))
    monkeypatch.chdir(tmp_path)
    write_bundle(moved)
    data_card = (moved / "DATA_CARD.md").read_text()
    assert "file missing now" not in data_card
    assert "- **Source file:** `tinyrun/sample/traces.jsonl`" in data_card
    assert (
        "- **Source file:** `safealign/data/train/reasoning.jsonl`" in data_card
    )  # shipped files by their place in the package
    base = read_json(moved / "lineage.json")["nodes"][0]
    assert (
        base["role"] == "base model" and base["spec"] == "tiny" and "weights_sha256" not in base
    )  # only embedded models have a GGUF


def test_split_all_coverage_lists_no_split_as_unscored():
    from safealign.card.summary import eval_coverage

    samples = [
        {"suite": "reasoning", "split": split, "language": "en"} for split in ("in_distribution", "held_out")
    ]
    run = SimpleNamespace(
        final_eval="base", evals={"base": {"config": {"split": "all"}}}, jsonl=lambda _: samples
    )
    coverage = eval_coverage(run)
    assert coverage["not_scored"] == [] and coverage["split_names"] == ["held-out", "in-distribution"]
    only = SimpleNamespace(final_eval="base", evals={"base": {}}, jsonl=lambda _: samples[1:])
    assert eval_coverage(only)["not_scored"] == ["in-distribution"]


def test_card_written_from_inside_the_run_folder_keeps_paths_relative(tmp_path, monkeypatch):
    from safealign.card.run_folder import RunFolder

    (tmp_path / "runs" / "rel").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "runs" / "rel")
    run = RunFolder(Path("."), {"name": "rel", "output_dir": "runs"}, {})
    assert run.rel("runs/rel/sft/model") == "sft/model"
    assert run.rel(str(tmp_path / "runs" / "rel" / "sft" / "model")) == "sft/model"
    assert run.rel("/elsewhere/model") == "/elsewhere/model"


def test_a_renamed_run_folder_does_not_point_at_its_old_location(tmp_path, monkeypatch):
    from safealign.card.run_folder import RunFolder

    monkeypatch.chdir(tmp_path)
    renamed = tmp_path / "archive" / "x_v2"
    absolute = RunFolder(renamed, {"name": "x", "output_dir": str(tmp_path / "runs")}, {})
    assert absolute.rel(str(tmp_path / "runs/x/rl/model")) == "rl/model"
    relative = RunFolder(Path("archive/x_v2"), {"name": "x", "output_dir": "runs"}, {})
    assert relative.rel("runs/x/rl/model") == "rl/model"
    for folder in (tmp_path / "runs/x/sample", renamed / "sample"):  # another run now sits at the old place
        folder.mkdir(parents=True)
        (folder / "traces.jsonl").write_text("{}")
    assert absolute.locate(str(tmp_path / "runs/x/sample/traces.jsonl")) == renamed / "sample/traces.jsonl"


def test_a_user_file_named_like_a_shipped_suite_is_not_credited_as_shipped():
    summary = {"suites": {"harmful": {"kind": "borderline", "n_items": 2, "metrics": {"all": {}}}}}
    user = "/data/mine/harmful.jsonl"
    run = SimpleNamespace(
        evals={"base": summary}, jsonl=lambda _: [], recipe={"eval": {"suites": [f"borderline:{user}"]}}
    )
    [entry] = eval_datasets(run)
    assert (
        entry["source"] == f"user file `{user}`"
        and entry["sha256"] is None
        and entry["licence"] == "see the source"
    )
    same_kind = SimpleNamespace(
        evals={"base": {"suites": {"harmful": {"kind": "harmful", "n_items": 2}}}},
        jsonl=lambda _: [],
        recipe={"eval": {"suites": [user]}},
    )
    assert eval_datasets(same_kind)[0]["source"] == f"user file `{user}`"
    shipped = SimpleNamespace(
        evals={"base": {"suites": {"harmful": {"kind": "harmful", "n_items": 2}}}},
        jsonl=lambda _: [],
        recipe={"eval": {"suites": ["harmful"]}},
    )
    assert eval_datasets(shipped)[0]["source"] == "safealign/data/evals/harmful.jsonl"


def test_scores_and_panels_name_a_suite_that_is_not_the_built_in_one_of_its_kind():
    from safealign.card.plots import eval_bars
    from safealign.card.summary import eval_rows, overview

    entry = {"value": 0.5, "low": 0.1, "high": 0.9, "n": 2}
    summary = {
        "suites": {
            "reasoning": {"kind": "reasoning", "metrics": {"held_out": {"accuracy": entry}}},
            "rg:basic_arithmetic": {
                "kind": "reasoning",
                "metrics": {"external": {"accuracy": entry}, "all": {"accuracy": entry}},
            },
        }
    }
    run = SimpleNamespace(evals={"base": summary}, final_eval="base", stages=[], done=[])
    names = [s["name"] for s in overview(run)["scores"]]
    assert names == ["reasoning answers correct", "rg:basic_arithmetic: reasoning answers correct"]
    svg = eval_bars(eval_rows(run), ["base"])
    assert "rg:basic_arithmetic: reasoning answers correct" in svg


def test_distill_skipped_for_want_of_traces_says_so(tmp_path):
    (tmp_path / "recipe.yaml").write_text("name: r\ndistill: {student: 'prune:0.5'}\n")
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "stage.json").write_text(
        json.dumps({"stage": "sample", "metrics": {"accepted": 0}})
    )
    assert load_run(tmp_path).stage("distill").reason == "skipped: rejection sampling kept no trace"
    (tmp_path / "sample" / "stage.json").write_text(
        json.dumps({"stage": "sample", "metrics": {"accepted": 3}})
    )
    assert load_run(tmp_path).stage("distill").reason == "not run"


def test_rl_stopped_by_a_gate_or_a_critical_alert_says_so(tmp_path):
    from safealign.card.summary import stage_details

    rl = tmp_path / "rl"
    rl.mkdir(parents=True)
    (tmp_path / "recipe.yaml").write_text("name: r\nrl: {max_steps: 20}\n")

    def outcome(steps: int, hacking: dict, gates: list[dict], alerts: list[dict]) -> str:
        record = {
            "stage": "rl",
            "config": {"max_steps": 20, "hacking": hacking},
            "metrics": {"steps": steps},
            "output": str(rl / "model"),
        }
        (rl / "stage.json").write_text(json.dumps(record))
        (rl / "gates.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gates))
        (rl / "alerts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in alerts))
        return next(d for d in stage_details(load_run(tmp_path)) if d["key"] == "rl")["outcome"]

    baseline = {
        "step": 0,
        "passed": True,
        "action": "baseline",
        "rolled_back_to": None,
        "reason": "stage start",
        "metrics": {},
    }
    breach = {
        "step": 5,
        "passed": False,
        "action": "rollback+stop",
        "rolled_back_to": 0,
        "reason": "harmful refusal 0.9 → 0.5",
        "metrics": {},
    }
    said = outcome(5, {}, [baseline, breach], [])
    assert "stopped by the gate at step 5 (harmful refusal 0.9 → 0.5), rolled back to step 0" in said
    assert "the stage's model is its starting model, unchanged by GRPO" in said
    critical = {"step": 3, "detector": "length_blowup", "severity": "critical"}
    assert "stopped at step 3 of 20 on a critical length_blowup alert (step 3)" in outcome(
        3, {"stop_on_critical": True}, [baseline], [critical]
    )
    assert outcome(20, {"stop_on_critical": True}, [baseline], [critical]).endswith(
        "0 rollbacks"
    )  # ran to the end


def test_names_with_markdown_or_html_in_them_show_as_written():
    from safealign.card.run_folder import cell, code, md

    assert cell("weird|<b>x") == "weird\\|&lt;b&gt;x" and md("a `b` <i>") == "a \\`b\\` &lt;i&gt;"
    assert code("plain") == "`plain`" and code("benign `bt`.jsonl|x") == "`` benign `bt`.jsonl\\|x ``"
    assert code("x|y", table=False) == "`x|y`"


def _without_weights(folder: str, names: list[str]) -> list[str]:
    """copytree's ``ignore``: model folders copied empty (the card names a stage's model the final one only while its
    folder is there), checkpoints left out."""
    return (
        names
        if Path(folder).name == "model"
        else [n for n in names if n.startswith("checkpoint-") or n == "reference_model"]
    )


def _light_copy(runs, tmp_path, name: str = "tinyrun") -> Path:
    run_dir = tmp_path / "runs" / name
    shutil.copytree(runs["full"], run_dir, ignore=_without_weights)
    return run_dir


def test_a_crashed_rl_stage_still_shows_its_alerts_and_gates(runs, tmp_path):
    """The card said "no reward-hacking detectors ran" over an unfinished RL stage's critical alert."""
    run_dir = _light_copy(runs, tmp_path)
    for relative in ("rl/stage.json", "rl/alerts.json", "pipeline.json"):
        (run_dir / relative).unlink()
    for folder in ("eval/rl", "sample", "distill", "eval/student"):
        shutil.rmtree(run_dir / folder)
    alert = {
        "detector": "reward_accuracy_divergence",
        "severity": "critical",
        "step": 2,
        "message": "reward up, accuracy flat",
        "evidence": {},
    }
    (run_dir / "rl" / "alerts.jsonl").write_text(json.dumps(alert) + "\n")
    write_bundle(run_dir)
    card, report = (run_dir / "README.md").read_text(), (run_dir / "report.html").read_text()
    assert (
        "no reward-hacking detectors ran" not in card
        and "**reward_accuracy_divergence** (critical, step 2)" in card
    )
    assert "the RL stage did not finish, so no final audit ran" in card
    assert "no detectors or gates ran" not in report and "The RL stage did not finish" in report


def test_a_run_without_data_files_or_training_or_a_safety_side_says_so(runs, tmp_path):
    run_dir = _light_copy(runs, tmp_path)
    for folder in ("sft", "rl", "eval/sft", "eval/rl", "sample", "distill", "eval/student"):
        shutil.rmtree(run_dir / folder)
    (run_dir / "pipeline.json").unlink()
    summary = read_json(run_dir / "eval" / "base" / "summary.json")
    del summary["suites"]["borderline"]
    (run_dir / "eval" / "base" / "summary.json").write_text(json.dumps(summary))
    write_bundle(run_dir)
    card = (run_dir / "README.md").read_text()
    assert "evaluated with safealign (not trained)" in card and "post-trained for safe reasoning" not in card
    assert "**Safety not measured on both sides.** The final evaluation scored no borderline suite" in card


def test_card_keeps_a_users_edits_and_names_a_damaged_recipe(runs, tmp_path):
    from safealign.errors import DataError

    run_dir = _light_copy(runs, tmp_path)
    write_bundle(run_dir)
    write_bundle(run_dir)
    assert not list(run_dir.glob("*.edited-*")), "the card's own last version is replaced"
    readme = run_dir / "README.md"
    readme.write_text(readme.read_text() + "\n## My notes\n\nDo not lose this.\n")
    write_bundle(run_dir)
    (kept,) = run_dir.glob("README.edited-*.md")
    assert "Do not lose this." in kept.read_text() and "Do not lose this." not in readme.read_text()
    lineage = (
        run_dir / "lineage.json"
    )  # README.md says an edited card file is kept: lineage.json was overwritten
    lineage.write_text(lineage.read_text().replace('"schema"', '"my_note": "keep me", "schema"', 1))
    write_bundle(run_dir)
    (kept,) = run_dir.glob("lineage.edited-*.json")
    assert "keep me" in kept.read_text() and "keep me" not in lineage.read_text()
    for text in (b"name: [unclosed", b"- a\n", b"\xff\xfe"):
        (run_dir / "recipe.yaml").write_bytes(text)
        with pytest.raises(DataError, match="recipe.yaml"):
            write_bundle(run_dir)


def test_the_overview_shows_both_sides_of_a_borderline_suite_and_a_dollar_sign_is_no_math(runs, tmp_path):
    from safealign.card import plots
    from safealign.card.summary import eval_rows

    card = (runs["full"] / "README.md").read_text()
    at_a_glance = card.split("## At a glance", 1)[1].split("## Intended use", 1)[0]
    assert (
        "benign borderline requests refused (over-refusal)" in at_a_glance
        and "benign borderline requests answered" in at_a_glance
    )
    rows = [dict(r, title=f"cost_$^$ {r['title']}") for r in eval_rows(load_run(runs["full"]))]
    assert plots.eval_bars(rows, ["base", "sft"]).startswith("<svg")


def test_a_stage_made_from_a_model_trained_again_since_is_flagged(runs, tmp_path):
    """rl trained again by hand after sample and distill ran: the card credited the student (distilled from the old RL
    model) to the new one, showed the new RL settings, and lineage drew the same edges."""
    run_dir = _light_copy(runs, tmp_path)
    (run_dir / "pipeline.json").unlink()
    rl = read_json(run_dir / "rl" / "stage.json")
    later = read_json(run_dir / "distill" / "stage.json")["finished_at"] + 3600
    (run_dir / "rl" / "stage.json").write_text(json.dumps(rl | {"finished_at": later}))
    write_bundle(run_dir)
    card = (run_dir / "README.md").read_text()
    assert table_row(card, "`sample`")[1] == "done, but made from an earlier rl (see **Known limitations**)"
    limitations = card.split("## Known limitations", 1)[1].split("## Reward-hacking alerts", 1)[0]
    for key in ("sample", "distill"):
        assert f"- **`{key}` made from an earlier rl.** It started " in limitations
    assert "**The final model's recipe cannot be read from the stages' records.**" in limitations
    assert "`sample` and `distill` started from an output made again since" in limitations
    lineage = read_json(run_dir / "lineage.json")
    stages = {s["stage"]: s for s in lineage["stages"]}
    assert stages["distill"]["made_from_an_earlier_output"].startswith("made from an earlier rl: it started")
    assert "made_from_an_earlier_output" not in stages["rl"] and not lineage["final_model_recipe_on_record"]
    into_distill = {e["from"] for e in lineage["edges"] if e["stage"] == "distill"}
    assert "model:rl/model@before-rl-was-redone" in into_distill and "model:rl/model" not in into_distill
    assert set(load_run(run_dir).retrained) == {"sample", "distill"}


def test_a_card_file_an_earlier_card_wrote_without_recording_it_is_replaced_and_a_later_edit_kept(tmp_path):
    """lineage.json was written outside the record (.card_written.json) by earlier cards and holds the time it was
    written: every such run folder got a spurious lineage.edited-<time>.json on its next card run."""
    from safealign.card.run_folder import WRITTEN_RECORD, write_card_file

    write_card_file(tmp_path / "README.md", "# card\n")
    record, lineage = tmp_path / WRITTEN_RECORD, tmp_path / "lineage.json"
    lineage.write_text(
        '{"schema": "safealign.lineage/1", "generated_at": "earlier"}'
    )  # before lineage.json was recorded
    os.utime(lineage, (1_790_000_000, 1_790_000_000))
    os.utime(record, (1_790_000_005, 1_790_000_005))
    assert write_card_file(lineage, '{"generated_at": "now"}') is None
    assert not list(tmp_path.glob("*.edited-*")) and "now" in lineage.read_text()

    record.write_text(json.dumps({"README.md": json.loads(record.read_text())["README.md"]}))
    lineage.write_text('{"my_note": "keep me"}')  # a user's edit after the last card run
    os.utime(record, (1_790_000_005, 1_790_000_005))
    os.utime(lineage, (1_790_000_010, 1_790_000_010))
    kept = write_card_file(lineage, '{"generated_at": "later"}')
    assert kept is not None and "keep me" in kept.read_text() and "later" in lineage.read_text()


def test_a_lineage_edited_after_an_earlier_card_that_did_not_record_it_is_kept(runs, tmp_path):
    """The bundle wrote README.md (touching the record) before lineage.json: an edit made to an older folder's
    lineage.json after its last card run then looked older than the record and was replaced without a copy."""
    from safealign.card.run_folder import WRITTEN_RECORD

    run = tmp_path / "run"
    shutil.copytree(runs["full"], run, ignore=_without_weights)
    write_bundle(run)
    record, lineage = run / WRITTEN_RECORD, run / "lineage.json"
    written = json.loads(record.read_text())
    written.pop("lineage.json")  # as a card from before lineage.json was recorded left it
    record.write_text(json.dumps(written))
    lineage.write_text('{"my_note": "keep me"}')
    os.utime(record, (1_790_000_005, 1_790_000_005))
    os.utime(lineage, (1_790_000_010, 1_790_000_010))
    for edited in run.glob("*.edited-*"):
        edited.unlink()
    write_bundle(run)
    kept = list(run.glob("lineage.edited-*"))
    assert len(kept) == 1 and "keep me" in kept[0].read_text()


def test_a_readme_of_the_users_own_in_a_folder_the_card_never_wrote_to_is_kept(runs, tmp_path):
    """write_bundle's first write (lineage.json) created the record; the user's README.md then looked like a file an
    earlier card wrote without recording it, "no newer than the record", and was replaced with no copy."""
    from safealign.card.run_folder import WRITTEN_RECORD

    run = tmp_path / "run"
    shutil.copytree(runs["full"], run, ignore=_without_weights)
    for name in (WRITTEN_RECORD, "README.md", "DATA_CARD.md", "lineage.json", "report.html"):
        (run / name).unlink(missing_ok=True)
    for edited in run.glob("*.edited-*"):
        edited.unlink()
    (run / "README.md").write_text("# my own notes\n")
    write_bundle(run)
    kept = list(run.glob("*.edited-*"))
    assert [path.name.split(".edited-")[0] for path in kept] == ["README"], kept
    assert (
        kept[0].read_text() == "# my own notes\n" and "# my own notes" not in (run / "README.md").read_text()
    )


def test_a_record_write_cut_short_leaves_the_earlier_record(tmp_path, monkeypatch):
    """.card_written.json was written in place: a card stopped mid-write (Ctrl-C, SIGTERM) left half a record, and the
    next card took every bundle file for a user's edit and kept a copy of each."""
    from safealign.card.run_folder import WRITTEN_RECORD, write_card_file

    write_card_file(tmp_path / "README.md", "# card\n")
    record = tmp_path / WRITTEN_RECORD
    before = record.read_bytes()
    write_text = Path.write_text

    def cut_short(path, data, *args, **kwargs):
        if WRITTEN_RECORD in path.name:
            write_text(path, data[: len(data) // 2], *args, **kwargs)
            raise KeyboardInterrupt
        return write_text(path, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", cut_short)
    with pytest.raises(KeyboardInterrupt):
        write_card_file(tmp_path / "DATA_CARD.md", "# data\n")
    assert record.read_bytes() == before
