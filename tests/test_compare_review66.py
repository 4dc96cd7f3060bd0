"""Review of the ablation table (safealign.compare) and of the stages' session bookkeeping order: a training stage
without its record counted as free, a recipe that fails a check leaving a run folder behind under compare, the table
written non-atomically, and a refused resume that had already moved the stage's audit aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_compare import fake_eval
from test_distill import arithmetic_rows

from safealign.compare import write_ablation
from safealign.errors import SafealignError
from safealign.runs import read_jsonl, write_json


def test_an_arm_whose_training_stage_has_no_record_says_its_cost_is_unknown(tmp_path: Path) -> None:
    """sft/ without its stage.json (deleted for a rerun, or unfinished) while eval/sft kept its scores: the arms on
    its path said "0.0 min" and 0 tokens, and hybrid showed RL's cost alone as the whole path's."""
    run = tmp_path / "run"
    for arm in ("base", "sft", "rl"):
        fake_eval(run / "eval" / arm, refusal=0.5, accuracy=0.5)
    write_json(
        run / "rl" / "stage.json",
        {
            "stage": "rl",
            "wall_time_s": 900,
            "metrics": {"tokens": 40_000},
            "parent": str(run / "sft" / "model"),
        },
    )
    arms = {row["arm"]: row for row in write_ablation(run)["arms"]}
    assert (arms["base"]["wall_time_s"], arms["base"]["tokens"]) == (0, 0), "nothing trained: free, and known"
    for name in ("sft_only", "hybrid"):
        assert (arms[name]["wall_time_s"], arms[name]["tokens"]) == (None, None)
        assert arms[name]["no_record"] == [str(run / "sft")]
    assert arms["hybrid"]["tokens_by_stage"] == {"sft": None, "rl": 40_000}
    table = (run / "ablation.md").read_text(encoding="utf-8")
    assert "| unknown | unknown |" in table and "0.0 min" in table  # base's row only
    assert "15.0 min" not in table and "40,000" not in table
    assert f"hybrid ({run / 'sft'})" in table
    # recorded but without a token count (an older stage.json): the tokens are unknown, the wall time is not
    write_json(run / "sft" / "stage.json", {"stage": "sft", "wall_time_s": 600, "metrics": {}})
    arms = {row["arm"]: row for row in write_ablation(run)["arms"]}
    hybrid = arms["hybrid"]
    assert (hybrid["wall_time_s"], hybrid["tokens"], hybrid["no_record"]) == (1500, None, [])


def test_a_recipe_that_fails_a_check_leaves_no_run_folder_under_compare(tmp_path: Path) -> None:
    """`safealign run` makes its up-front checks before it takes the run folder's lock, so a missing data file leaves
    nothing; compare took the lock first and left runs/<name>/ with .lock, ablation.json and an "Incomplete" table."""
    from safealign.compare import run_compare
    from safealign.config.recipe import parse_recipe
    from safealign.errors import DataError

    recipe = parse_recipe(
        {
            "name": "r",
            "output_dir": str(tmp_path / "runs"),
            "model": {"name": "tiny"},
            "eval": {"suites": ["harmful"]},
            "sft": {"datasets": {str(tmp_path / "gone.jsonl"): 1.0}},
        }
    )
    with pytest.raises(DataError, match="gone.jsonl"):
        run_compare(recipe, show_progress=False)
    assert not recipe.run_dir.exists()


def test_a_table_write_cut_short_keeps_the_earlier_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ablation.md was written in place (ablation.json atomically): a second Ctrl-C while compare tabled the arms as
    it stopped, or a full disk, left half a table, or an empty file, in place of the earlier one."""
    run = tmp_path / "run"
    fake_eval(run / "eval" / "base", refusal=0.1, accuracy=0.2)
    write_ablation(run)
    earlier = (run / "ablation.md").read_text(encoding="utf-8")
    real_write_text = Path.write_text

    def cut_short(self: Path, data: str, *args, **kwargs) -> int:
        if "ablation.md" not in self.name:
            return real_write_text(self, data, *args, **kwargs)
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", cut_short)
    with pytest.raises(KeyboardInterrupt):
        write_ablation(run, failure="KeyboardInterrupt")
    monkeypatch.setattr(Path, "write_text", real_write_text)
    assert (run / "ablation.md").read_text(encoding="utf-8") == earlier
    assert [path.name for path in run.iterdir() if path.name.startswith(".ablation")] == []


def chat_rows(path: Path) -> Path:
    rows = arithmetic_rows(4)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("stage", ["sft", "rl", "distill"])
def test_a_refused_resume_leaves_the_stage_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """A resume refused for a changed setting (here the seed) trains nothing, yet open_session ran first and moved the
    stage's audit.json into earlier_attempts/ ("resumes: the audit of its earlier attempt is now in ...")."""
    import safealign.stages.distill
    import safealign.stages.rl
    import safealign.stages.sft
    from safealign.config import DistillConfig, RLConfig, SFTConfig

    stage_dir = tmp_path / stage
    checkpoint = stage_dir / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    write_json(stage_dir / "config.json", {"seed": 1, "stage_dir": str(stage_dir)})  # the crashed session's
    (stage_dir / "audit.json").write_text("{}", encoding="utf-8")
    (stage_dir / "sessions.jsonl").write_text(json.dumps({"started_at": 1.0, "checkpoint": None}) + "\n")
    before = {path.name: path.read_bytes() for path in stage_dir.iterdir() if path.is_file()}
    module = getattr(safealign.stages, stage)
    monkeypatch.setattr(module, "resume_checkpoint", lambda stage_dir, resume: checkpoint)
    data = chat_rows(tmp_path / "rows.jsonl")
    with pytest.raises(SafealignError, match="other settings"):
        if stage == "sft":
            safealign.stages.sft.run_sft(SFTConfig(datasets={str(data): 1.0}), "tiny", stage_dir, seed=2)
        elif stage == "rl":
            safealign.stages.rl.run_rl(RLConfig(), "tiny", stage_dir, seed=2)
        else:
            safealign.stages.distill.run_distill(DistillConfig(), "tiny", data, stage_dir, seed=2)
    assert sorted(path.name for path in stage_dir.iterdir()) == sorted([*before, "checkpoint-2"])
    assert {name: (stage_dir / name).read_bytes() for name in before} == before
    assert [row["started_at"] for row in read_jsonl(stage_dir / "sessions.jsonl")] == [1.0]
