"""Review 73 of the transparency bundle and the ablation table: report.html's answer-check chips, and compare's
rl_only arm before its branch trained.

No training: each test writes the run-folder files it needs or calls the function on literal input.
"""

from __future__ import annotations

from safealign.card.report import verdict
from safealign.evals.metrics import accuracy_metrics


def test_a_report_chip_is_good_where_the_accuracy_metric_counts_the_answer_correct():
    """The chip was "correct {score:.2g}", good at a score of 1 or more: a checker's 0.9999999999, which the accuracy
    counts as correct, read "correct 1" in red, and a partial credit of 0.996, which it counts as wrong, read
    "correct 1" too."""
    for score, chip in (
        (1.0, ("correct 1", "good")),
        (0.9999999999, ("correct 1", "good")),
        (0.996, ("correct 0.996", "bad")),
        (0.5, ("correct 0.5", "bad")),
        (0.0, ("correct 0", "bad")),
    ):
        counted = accuracy_metrics([score])["accuracy"].value == 1.0
        assert verdict({"scores": {"correct": score}, "kind": "reasoning"}) == [chip], score
        assert (chip[1] == "good") == counted, score


def test_an_rl_only_branch_compare_never_trained_is_not_trained_yet(tmp_path):
    """compare stopped after the run's own RL (an error or Ctrl-C in sampling or distillation) and before its rl_only
    branch: the table listed that arm as "not evaluated yet (no ablation/rl_only/eval/summary.json)", an eval still to
    make of a model that was never trained. It says the branch is not trained yet, as it does before the run's RL ends;
    a branch that started, or whose eval is there, is judged as before."""
    from test_compare import fake_eval, fake_stage

    from safealign.compare import write_ablation

    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    for arm in ("sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.9, accuracy=0.3)
        fake_stage(run / arm, 1, 10)
    branch = run / "ablation" / "rl_only"
    skipped = {entry["arm"]: entry["reason"] for entry in write_ablation(run)["skipped"]}
    assert skipped["rl_only"] == f"not trained yet ({branch} is trained after the run's own stages)"
    assert "rl_only (not trained yet" in (run / "ablation.md").read_text()

    (branch / "rl").mkdir(parents=True)  # started, stopped partway
    skipped = {entry["arm"]: entry["reason"] for entry in write_ablation(run)["skipped"]}
    assert skipped["rl_only"] == f"{branch / 'rl'} has not finished (no stage.json)"

    fake_stage(branch / "rl", 1, 10)  # trained, not evaluated yet
    skipped = {entry["arm"]: entry["reason"] for entry in write_ablation(run)["skipped"]}
    assert skipped["rl_only"] == f"not evaluated yet (no {branch / 'eval' / 'summary.json'})"


def test_an_eval_of_a_stage_being_made_again_is_set_aside(tmp_path, card):
    """rl/ set aside into earlier_attempts/ and being trained again (its SFT was redone), eval/rl kept: the card tabled
    eval/rl's scores as the rl column, of a model rl/ no longer holds, where `safealign compare` says such an arm's eval
    "scored an earlier model". The card sets it aside and says why."""
    from test_card_provenance import T0, sft_run, stage

    from safealign.card import load_run
    from safealign.runs import set_aside_stage

    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    stage(run, "eval/rl", str(run / "rl/model"), T0 + 80)
    assert "rl" in load_run(run).evals
    set_aside_stage(run / "rl")

    folder = load_run(run)
    assert "rl" not in folder.evals and folder.final_eval == "sft"
    assert folder.eval_issues["rl"].startswith(
        "scored an earlier model: the rl stage has not finished (no rl/stage.json: it is being made again, or it "
        "stopped), so its scores are of the model rl/ held before"
    )
    text = card(run)
    assert "| `eval:rl` | done, but scored an earlier model (set aside) |" in text
    assert "| suite | metric | split | base | sft | \n" in text  # no rl column


def test_a_final_model_made_from_a_stage_set_aside_says_its_making_is_not_on_record(tmp_path, card):
    """distill/ made from rl/model, then rl/ set aside into earlier_attempts/ (being trained again after its SFT was
    redone): the card's ancestry stopped at rl with no word, lineage.json said the final model's recipe was on record,
    and nothing said the stages that made the teacher are not (the card showed the new SFT's settings as if they could
    be the final model's)."""
    import json

    from test_card_provenance import T0, sft_run, stage

    from safealign.card import load_run
    from safealign.runs import set_aside_stage

    run = sft_run(tmp_path)
    stage(run, "rl", str(run / "sft/model"), T0 + 60)
    stage(run, "distill", str(run / "rl/model"), T0 + 80)
    assert not load_run(run).final_recipe_unknown
    set_aside_stage(run / "rl")

    text = card(run)
    assert (
        "- **`distill` was made from `rl/`, which holds no finished stage now** (no `rl/stage.json`: being made again, "
        "what it held before moved to `rl/earlier_attempts/`, or stopped or deleted)" in text
    )
    assert not json.loads((run / "lineage.json").read_text())["final_model_recipe_on_record"]
    folder = load_run(run)
    assert folder.unrecorded_sources == {"rl": ["distill"]} and folder.ancestry == ["distill"]
    assert "The final model's recipe cannot be read" not in text  # that bullet is of a stage made again since
