"""Session 74's review of the card: a finished stage the run's recipe.yaml leaves out is not carded as the final model.
No training: each test writes the stage.json and summary.json files it needs."""

from __future__ import annotations

from pathlib import Path

import yaml
from test_card_run_folder_checks import stage

from safealign.card import load_run
from safealign.config import Recipe
from safealign.runs import write_json


def pipeline_run(root: Path, **sections) -> Path:
    """A run folder with the recipe.yaml `safealign run` writes: the resolved recipe, every section named."""
    run = root / "runs" / "tr"
    run.mkdir(parents=True)
    recipe = Recipe.model_validate(
        {"name": "tr", "output_dir": str(root / "runs"), "model": {"name": "tiny"}} | sections
    )
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False))
    return run


def test_an_sft_the_rerun_leaves_out_is_not_carded_as_the_final_model(tmp_path, card):
    """A rerun without `sft:` over an earlier run's finished sft/: `safealign run` printed 'final model: tiny', the card
    said 'Final model `sft/model`' with eval/sft's scores."""
    run = pipeline_run(tmp_path)
    stage(run, "eval/base", "tiny", refused=0.3)
    stage(run, "sft", "tiny")
    stage(run, "eval/sft", str(run / "sft/model"), refused=0.9)
    write_json(run / "pipeline.json", {"stages": [], "final_model": "tiny"})
    folder = load_run(run)
    assert (folder.final_stage, folder.final_model, folder.final_eval) == (None, "tiny", "base")
    text = card(run)
    assert "| **Final model** | `tiny` (scores from `eval/base/summary.json`) |" in text
    assert (
        "| `sft` | done, but an earlier run's, not part of the final model (see **Known limitations**)"
        in text
    )
    assert "- **`sft/` is an earlier run's.** The recipe (recipe.yaml) leaves it out" in text
    assert "- sft\n" not in text.split("---")[1]  # no `sft` tag in the front matter


def test_a_distillation_turned_off_leaves_the_rl_model_final_and_a_stage_run_by_hand_still_counts(
    tmp_path, card
):
    """distill.enabled: false over an earlier run's distill/ and eval/student: the card carded the student. A recipe.yaml
    that does not name a section (a stage run by hand) still counts it."""
    run = pipeline_run(tmp_path, rl={}, distill={"enabled": False})
    stage(run, "rl", "tiny")
    stage(run, "eval/rl", str(run / "rl/model"))
    stage(run, "sample", str(run / "rl/model"))
    stage(run, "distill", str(run / "rl/model"))
    stage(run, "eval/student", str(run / "distill/model"))
    folder = load_run(run)
    assert folder.rel(folder.final_model) == "rl/model" and folder.final_eval == "rl"
    assert "the recipe (recipe.yaml) turns it off" in folder.left_out["distill"]

    (run / "recipe.yaml").write_text("name: tr\nmodel: {name: tiny}\n")  # names no distill section
    assert load_run(run).final_stage == "distill" and load_run(run).left_out == {}


def test_an_eval_of_a_stage_no_longer_in_the_folder_is_set_aside(tmp_path):
    """An earlier run's eval/student kept after distill/ was deleted and the rerun skipped distillation (sampling kept
    no trace): the card listed the student's scores, and its stage table said eval:student done, of a model the run
    did not make."""
    run = pipeline_run(tmp_path, rl={}, distill={})
    stage(run, "eval/base", "tiny", refused=0.3)
    stage(run, "rl", "tiny")
    stage(run, "eval/rl", str(run / "rl/model"))
    stage(run, "sample", str(run / "rl/model"), metrics={"accepted": 0})
    stage(run, "eval/student", str(run / "distill/model"), refused=0.99)
    folder = load_run(run)
    assert list(folder.evals) == ["base", "rl"] and folder.final_eval == "rl"
    assert folder.eval_issues["student"].startswith(
        "scored a model no longer on record: the distill stage is not"
    )


def test_the_data_card_counts_a_row_without_a_language_as_english(tmp_path):
    """Training, `data check` and languages_used read a row without a language (or with a JSON null) as English; the
    data card's Languages count left it out: 'en 1' for a file training read as 'en 3'."""
    import json

    from safealign.card.data_card import describe_file

    chat = {
        "messages": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}]
    }
    data = tmp_path / "mine.jsonl"
    data.write_text(
        "".join(json.dumps(extra | chat) + "\n" for extra in ({"language": None}, {"language": "en"}, {}))
    )
    assert describe_file(data)["languages"] == {"en": 3}
