"""The sixty-eighth review of the sample, SFT and RL-difficulty stages."""

from __future__ import annotations

import shutil
from pathlib import Path

from test_rl_difficulty import config

from safealign.runs import read_json
from safealign.stages import rl_difficulty
from safealign.stages.rl_difficulty import candidate_rows


def test_max_candidates_bounds_the_screen_without_float_noise() -> None:
    """10 reasoning prompts at max_candidates 1.1 are 1.0000000000000009 extra in floats: math.ceil took 2, so the
    screen had 12 candidates where the help says at most 11."""
    cfg = config(
        tasks={"basic_arithmetic": 1.0},
        num_prompts=10,
        difficulty_filter={"enabled": True, "max_candidates": 1.1},
    )
    _, candidates, needed = candidate_rows(cfg, 42, None)
    assert (needed, len(candidates)) == (10, 11)


def test_a_screen_is_reused_after_its_run_folder_moved(tmp_path: Path, monkeypatch) -> None:
    """A run folder moved (copied to another machine) between a crash and the resume: the stage's config.json takes
    the move, but the screen's key held the old path of the start model, so the prompts were screened again there and
    could differ from the ones the checkpoint trained on."""
    calls: list[int] = []

    def fake_screen(candidates, needed, *args, **kwargs):
        calls.append(needed)
        return candidates[:needed], {"screened": needed, "in_band": needed, "seconds": 0.0}

    monkeypatch.setattr(rl_difficulty, "screen", fake_screen)
    cfg = config()
    before = tmp_path / "home" / "runs" / "x"
    rows, _ = rl_difficulty.screened_prompt_rows(
        cfg, None, None, before / "rl", str(before / "sft" / "model"), 42
    )
    after = tmp_path / "mnt" / "x"
    after.parent.mkdir()
    shutil.move(before, after)
    again, _ = rl_difficulty.screened_prompt_rows(
        cfg, None, None, after / "rl", str(after / "sft" / "model"), 42
    )
    assert len(calls) == 1 and again == rows
    saved = read_json(after / "rl" / rl_difficulty.FILTER_FILE)
    assert saved["key"]["model"] == str(after / "sft" / "model") and saved["stage_dir"] == str(after / "rl")

    # a moved stage that starts from a model outside its run is screened anew
    elsewhere = str(tmp_path / "models" / "sft")
    shutil.move(after, tmp_path / "mnt" / "y")
    rl_difficulty.screened_prompt_rows(cfg, None, None, tmp_path / "mnt" / "y" / "rl", elsewhere, 42)
    assert len(calls) == 2


def test_a_sample_stage_that_judges_kept_completions_counts_their_generation_time(
    tmp_path: Path, monkeypatch
) -> None:
    """A sample stage rerun after its judges failed reused the completions file, and its wall time was the judging's
    alone while its tokens counted every reused completion: compare's student arm cost too little."""
    import json

    import pytest
    from test_sample_filters import EGG, SCRIPT, ScriptedTeacher, fake_stage, word_judges

    from safealign.config import SampleConfig
    from safealign.stages.sample import COMPLETIONS_SO_FAR, run_sample

    cfg = SampleConfig(num_prompts=1, k=2, safety_share=1.0)
    fake_stage(monkeypatch, [("benign", EGG)], ScriptedTeacher(SCRIPT), word_judges(down=True))
    with pytest.raises(ConnectionError):
        run_sample(cfg, "fake-teacher", tmp_path)
    kept = tmp_path / COMPLETIONS_SO_FAR
    header, *rows = kept.read_text(encoding="utf-8").split("\n")
    meta = json.loads(header)
    assert isinstance(meta["generation_s"], float) and meta["generation_s"] >= 0  # written by the first run
    kept.write_text("\n".join([json.dumps(meta | {"generation_s": 500.0}), *rows]), encoding="utf-8")
    fake_stage(monkeypatch, [("benign", EGG)], ScriptedTeacher({}), word_judges())
    run_sample(cfg, "fake-teacher", tmp_path)
    assert read_json(tmp_path / "stage.json")["wall_time_s"] >= 500.0
