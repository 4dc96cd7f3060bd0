"""Review 63 of the CLI's side commands (data, models, judges, card, probe, the stand-alone stages)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.runs import LOCK_FILE

runner = CliRunner()

# what `safealign run` does first: hold the run folder (run_lock), then write its recipe.yaml; held until killed
HOLD_RUN = """
import sys, time
from pathlib import Path
from safealign.runs import run_lock

run_dir = Path(sys.argv[1])
with run_lock(run_dir, "give the recipe another name"):
    (run_dir / "recipe.yaml").write_text("name: x\\n")
    (run_dir / "held").touch()
    time.sleep(120)
"""


def said(result) -> str:  # noqa: ANN001
    return " ".join(result.output.replace("│", " ").split())


def _recipe(tmp_path: Path, name: str) -> Path:
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(
        yaml.safe_dump({"name": name, "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}})
    )
    return recipe


def _lock_elsewhere(folder: Path) -> str:
    """What another process gets trying to hold ``folder``: 'held', or its error's last line."""
    code = "import sys; from pathlib import Path; from safealign.runs import run_lock\n"
    code += "with run_lock(Path(sys.argv[1]), 'wait'): print('held')"
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True)
    return done.stdout.strip() if not done.returncode else done.stderr.strip().splitlines()[-1]


@pytest.fixture()
def trained(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """run_sft stubbed: the stage folders it was asked to train in (and nothing trained)."""
    import safealign.stages.sft as sft_stage

    calls: list[Path] = []

    def fake_run_sft(cfg, model, stage_dir, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append(stage_dir)
        return SimpleNamespace(record={"output": str(stage_dir / "model"), "metrics": {}})

    monkeypatch.setattr(sft_stage, "run_sft", fake_run_sft)
    return calls


def test_stage_out_in_a_busy_run_folder_of_another_recipe_is_refused(tmp_path: Path, trained: list[Path]):
    """`safealign sft other.yaml --out runs/x/sft` while `safealign run` of runs/x runs held runs/x/sft only, not
    runs/x: both processes wrote runs/x/sft."""
    run_dir = tmp_path / "runs" / "x"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN, str(run_dir)])
    try:
        deadline = time.time() + 60
        while not (run_dir / "held").exists():
            assert holder.poll() is None and time.time() < deadline
            time.sleep(0.05)
        result = runner.invoke(app, ["sft", str(_recipe(tmp_path, "other")), "--out", str(run_dir / "sft")])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2, result.output
    assert f"{run_dir} is in use by another safealign process (pid {holder.pid}" in said(result)
    assert f"give this stage an --out outside {run_dir}" in said(result)
    assert not trained and not (run_dir / "sft").exists()


def test_stage_out_in_another_run_folder_holds_that_run_folder_while_it_trains(
    tmp_path: Path, trained: list[Path]
):
    """The other way round: a `safealign run` of runs/x started while the stage trains in runs/x/sft is refused."""
    run_dir = tmp_path / "runs" / "x"
    run_dir.mkdir(parents=True)
    (run_dir / "recipe.yaml").write_text("name: x\n")  # a run folder an earlier `safealign run` held
    (run_dir / LOCK_FILE).write_text("")
    seen: list[str] = []
    import safealign.stages.sft as sft_stage

    stub = sft_stage.run_sft

    def training(cfg, model, stage_dir, **kwargs):  # noqa: ANN001, ANN003, ANN202
        seen.append(_lock_elsewhere(run_dir))
        return stub(cfg, model, stage_dir, **kwargs)

    sft_stage.run_sft = training
    try:
        result = runner.invoke(app, ["sft", str(_recipe(tmp_path, "other")), "--out", str(run_dir / "sft")])
    finally:
        sft_stage.run_sft = stub
    assert result.exit_code == 0, result.output
    assert trained == [run_dir / "sft"] and len(seen) == 1
    assert "is in use by another safealign process" in seen[0], seen
    assert _lock_elsewhere(run_dir) == "held"  # let go when the stage ended


def test_stage_out_leaves_another_tools_lock_file_above_it_alone(tmp_path: Path, trained: list[Path]):
    """Only a run folder a safealign process held is held: another tool's .lock above --out is not overwritten."""
    project = tmp_path / "project"
    project.mkdir()
    (project / LOCK_FILE).write_text("owned by another tool\n")
    (project / "recipe.yaml").write_text("not a run\n")
    result = runner.invoke(app, ["sft", str(_recipe(tmp_path, "other")), "--out", str(project / "my_sft")])
    assert result.exit_code == 0, result.output
    assert trained == [project / "my_sft"]
    assert (project / LOCK_FILE).read_text() == "owned by another tool\n"
