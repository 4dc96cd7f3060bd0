"""Session 75's second review of the card: a stage deleted by hand, edited-copy names, a sampling the recipe leaves out,
and Markdown in names. No training: each test writes the stage.json and summary.json files it needs."""

from __future__ import annotations

import shutil

from test_card_review74 import pipeline_run
from test_card_run_folder_checks import stage

from safealign.card import load_run
from safealign.runs import write_json


def test_a_finished_stage_deleted_by_hand_is_not_carded_as_never_run(tmp_path, card):
    """`rm -r RUN/rl` after a finished run: the card listed `rl` as 'not run' beside eval/rl's scores of the model it
    made (stage table, stages not in this run, lineage.json)."""
    run = pipeline_run(tmp_path, sft={}, rl={})
    stage(run, "eval/base", "tiny", refused=0.3)
    stage(run, "sft", "tiny")
    stage(run, "eval/sft", str(run / "sft/model"), refused=0.6)
    stage(run, "rl", str(run / "sft/model"))
    stage(run, "eval/rl", str(run / "rl/model"), refused=0.9)
    write_json(run / "pipeline.json", {"stages": [{"stage": "rl"}], "final_model": str(run / "rl/model")})
    shutil.rmtree(run / "rl")
    reason = load_run(run).stage("rl").reason
    assert reason.startswith("finished, then deleted: no rl/ in the folder, though eval/rl/stage.json names what it made")
    text = card(run)
    assert "| **Final model** | `sft/model` (scores from `eval/sft/summary.json`) |" in text
    assert f"| `rl` | missing: {reason} |" in text and "not run" not in text.split("## Evaluation results")[0]

    shutil.rmtree(run / "eval/rl")  # no record names its model now: pipeline.json still lists it as run
    assert "though pipeline.json lists it as run" in load_run(run).stage("rl").reason
    write_json(run / "pipeline.json", {"stages": [{"stage": "rl (skipped: x)", "skipped": "x"}]})
    assert load_run(run).stage("rl").reason == "not run"


def test_two_edited_copies_kept_in_one_second_are_both_kept(tmp_path, card, monkeypatch):
    """The copy of an edited README.md was named by the second: an edit, a card, another edit and a card in the same
    second replaced the first copy with the second (the first edit lost)."""
    import datetime

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    run = pipeline_run(tmp_path)
    stage(run, "eval/base", "tiny")
    card(run)
    monkeypatch.setattr(datetime, "datetime", Frozen)
    for edit in ("first edit", "second edit"):
        (run / "README.md").write_text(edit)
        card(run)
    assert (run / "README.edited-20260102-030405.md").read_text() == "first edit"
    assert (run / "README.edited-20260102-030405-2.md").read_text() == "second edit"


def test_a_sampling_the_recipe_leaves_out_is_carded_as_an_earlier_runs(tmp_path, card):
    """A finished sample/ of an earlier run (sampled from tiny:7) under a recipe with no sample section and no
    distillation: the card listed it as done, as if this run had sampled it (the template's left-out note had no words
    for a sampling and failed on one)."""
    run = pipeline_run(tmp_path, rl={})
    stage(run, "eval/base", "tiny", refused=0.3)
    stage(run, "rl", "tiny")
    stage(run, "eval/rl", str(run / "rl/model"), refused=0.9)
    stage(run, "sample", "tiny:7")
    folder = load_run(run)
    assert folder.left_out["sample"].startswith("an earlier run's: the recipe (recipe.yaml) leaves it out")
    assert (folder.final_stage, folder.base_model) == ("rl", "tiny")
    text = card(run)
    assert "| `sample` | done, but an earlier run's, not part of the final model (see **Known limitations**) |" in text
    assert "- **`sample/` is an earlier run's.** The recipe (recipe.yaml) leaves it out" in text
    assert "an earlier run&#39;s" in (run / "report.html").read_text()

    # no sample section but distillation on (it samples with defaults), or a recipe that names no distill section (a
    # stage run by hand): the sampling is this run's
    (run / "recipe.yaml").write_text("name: tr\nmodel: {name: tiny}\nsample: null\ndistill: {}\n")
    assert load_run(run).left_out == {}
    (run / "recipe.yaml").write_text("name: tr\nmodel: {name: tiny}\nsample: null\n")
    assert load_run(run).left_out == {}


def test_a_model_name_with_markdown_characters_shows_as_written(tmp_path, card):
    """A base model at `a*b* [x](y)` (a user's folder): the card's title read 'a' then 'b' in italics and a link to y."""
    base = str(tmp_path / "a*b* [x](y)")
    run = pipeline_run(tmp_path, sft={})
    stage(run, "eval/base", base)
    stage(run, "sft", base)
    title = card(run).split("---\n", 2)[2].strip().splitlines()[0]
    assert title == f"# tr: {tmp_path}/a\\*b\\* [x\\](y) post-trained for safe reasoning with safealign", title
