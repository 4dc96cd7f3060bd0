"""Session 75: a stage command refuses a run folder that is another run's stage folder, as `safealign run` does."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from safealign.cli.main import app


def test_a_stage_command_refuses_a_run_folder_that_is_another_runs_stage_folder(tmp_path: Path) -> None:
    """`safealign sft` of a recipe named `sft` with output_dir runs/x trained into runs/x/sft/sft, inside runs/x's SFT
    stage (its sessions.jsonl: under way), which redoing that stage moves aside; `safealign run` refused it."""
    live = tmp_path / "runs" / "x" / "sft"
    live.mkdir(parents=True)
    (live / "sessions.jsonl").write_text('{"started_at": "2026-12-07T00:00:00+00:00"}\n')
    recipe = tmp_path / "r2.yaml"
    recipe.write_text(
        yaml.safe_dump({"name": "sft", "output_dir": str(tmp_path / "runs" / "x"), "model": {"name": "tiny"}})
    )
    result = CliRunner().invoke(app, ["sft", str(recipe)])
    said = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2, result.output
    assert f"{live} is the folder of a stage of another run" in said, said
    assert sorted(p.name for p in live.iterdir()) == ["sessions.jsonl"]  # nothing written into the live stage
