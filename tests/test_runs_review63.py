"""Review of run folders and resume (safealign.runs, safealign.pipeline): an edited data file behind a finished stage,
a run folder inside another run's stage folder, and a recipe.yaml cut short by Ctrl-C."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROWS = [
    {
        "messages": [
            {"role": "user", "content": f"What is {i} plus {i}?"},
            {"role": "assistant", "content": f"It is {2 * i}."},
        ],
        "kind": "benign",
    }
    for i in range(6)
]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_a_finished_stage_whose_data_file_was_edited_since_is_named(tmp_path: Path, caplog) -> None:
    """An sft.datasets file edited after SFT finished: the rerun kept the model trained on the old rows without a word
    (the eval stage names an edited suite file; the training stages said nothing)."""
    from safealign.config import SFTConfig
    from safealign.corpus.mixture import build_mixture
    from safealign.pipeline import warn_if_settings_changed
    from safealign.runs import changed_settings, run_settings, write_json

    data = tmp_path / "mine.jsonl"
    write_rows(data, ROWS)
    cfg = SFTConfig(datasets={str(data): 1.0})
    stage_dir = tmp_path / "run" / "sft"
    record = {
        "stage": "sft",
        "config": cfg.model_dump(),
        "parent": "tiny",
        "seed": 42,
        "output": str(stage_dir / "model"),
        "inputs": {"data": build_mixture(cfg.datasets, seed=42).manifest(), "system_prompt": None},
    }
    write_json(stage_dir / "stage.json", record)
    run = run_settings(42, None, "tiny")
    assert changed_settings(stage_dir, cfg.model_dump(), run) == {}, "nothing changed: nothing named"

    write_rows(data, ROWS[:3])  # the same path, other rows
    changed = changed_settings(stage_dir, cfg.model_dump(), run)
    assert list(changed) == [f"data file {data}"], changed
    with caplog.at_level(logging.WARNING):
        warn_if_settings_changed("sft", stage_dir, cfg, run)
    assert f"data file {data}" in caplog.text and "keeping it" in caplog.text


def test_traces_of_a_stage_made_again_are_left_to_the_redo_not_named_as_an_edited_file(
    tmp_path: Path,
) -> None:
    """distill's transfer set holds the sample stage's traces.jsonl: a sample stage made again is redone by
    retrained_input, so the up-front note must not say the distill stage is kept."""
    from safealign.runs import changed_settings, write_json

    sample = tmp_path / "run" / "sample"
    sample.mkdir(parents=True)
    write_rows(sample / "traces.jsonl", ROWS)
    write_json(sample / "stage.json", {"stage": "sample", "config": {}})
    distill = tmp_path / "run" / "distill"
    source = {"name": str(sample / "traces.jsonl"), "path": str(sample / "traces.jsonl"), "sha256": "0" * 64}
    write_json(
        distill / "stage.json",
        {
            "stage": "distill",
            "config": {},
            "output": str(distill / "model"),
            "inputs": {"traces": {"sources": [source]}},
        },
    )
    assert changed_settings(distill, {}) == {}


def stub_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    from safealign import pipeline

    monkeypatch.setattr(
        pipeline, "run_eval_stage", lambda *a, **k: SimpleNamespace(model_path=Path(""), record={})
    )
    monkeypatch.setattr("safealign.card.write_bundle", lambda run_dir: None)


@pytest.mark.parametrize("inside", [True, False], ids=["inside the stage folder", "the stage folder itself"])
def test_a_run_folder_in_another_runs_stage_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inside: bool
) -> None:
    """A recipe whose output_dir is another run's sft/ folder ran there without a word; redoing that SFT stage (its
    input made again) then moved the whole second run, its lock and live logs too, into sft/earlier_attempts/."""
    from safealign.config.recipe import parse_recipe
    from safealign.errors import SafealignError
    from safealign.pipeline import run_pipeline
    from safealign.runs import StageRecord

    outer = tmp_path / "runs" / "x"
    StageRecord(
        stage="sft", parent="tiny", output=str(outer / "sft" / "model"), config={}, seed=1, started_at=0.0
    ).finish(outer / "sft")
    stub_stages(monkeypatch)
    where = (
        {"output_dir": str(outer / "sft"), "name": "y"}
        if inside
        else {"output_dir": str(outer), "name": "sft"}
    )
    recipe = parse_recipe(where | {"model": {"name": "tiny"}})
    with pytest.raises(SafealignError, match=r"folder of a stage of another run.*Choose a folder outside it"):
        run_pipeline(recipe, show_progress=False)
    assert sorted(p.name for p in (outer / "sft").iterdir()) == ["README.md", "stage.json"], (
        "nothing written there"
    )


def test_a_stage_commands_out_inside_another_stage_folder_is_refused_by_the_lock(tmp_path: Path) -> None:
    from safealign.errors import SafealignError
    from safealign.runs import SESSIONS_FILE, run_lock

    stage_dir = tmp_path / "x" / "rl"
    stage_dir.mkdir(parents=True)
    (stage_dir / SESSIONS_FILE).write_text('{"started_at": 1.0}\n')  # an RL stage under way
    with run_lock(stage_dir, "give this stage another --out"):  # a stage command's own --out: held
        pass
    with (
        pytest.raises(SafealignError, match=r"lies inside .*x/rl, which is the folder of a stage"),
        run_lock(stage_dir / "mine", "give this stage another --out"),
    ):
        pass
    assert not (stage_dir / "mine").exists()


def test_a_recipe_yaml_cut_short_by_ctrl_c_is_not_kept_as_an_earlier_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """Ctrl-C while recipe.yaml was written left half of it, which the card read as the run's recipe; rerun with the
    same recipe, it was kept as recipe.<time>.yaml with "the recipe changed since the last run"."""
    from safealign.config.recipe import parse_recipe
    from safealign.pipeline import write_run_recipe

    source = tmp_path / "r.yaml"
    source.write_text(f"name: y\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\n")
    recipe = parse_recipe({"name": "y", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}})
    recipe.run_dir.mkdir(parents=True)
    write_text, write_bytes = Path.write_text, Path.write_bytes

    def interrupted(self: Path, text: Any, *args: Any, **kwargs: Any) -> int:
        (write_bytes if isinstance(text, bytes) else write_text)(self, text[:20], *args, **kwargs)
        raise KeyboardInterrupt

    for method in ("write_text", "write_bytes"):
        monkeypatch.setattr(Path, method, interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_run_recipe(recipe, source)
    monkeypatch.undo()
    assert not (recipe.run_dir / "recipe.yaml").exists(), "no half recipe.yaml"
    with caplog.at_level(logging.INFO):
        write_run_recipe(recipe, source)  # the rerun, same recipe
    assert sorted(p.name for p in recipe.run_dir.iterdir()) == ["recipe.source.yaml", "recipe.yaml"]
    assert "the recipe changed" not in caplog.text
    assert (recipe.run_dir / "recipe.source.yaml").read_bytes() == source.read_bytes()
