"""One process at a time in a run folder: the same recipe started twice moved the first run's live logs and
checkpoints aside, took its half-written answers and interleaved its metrics (safealign.runs.run_lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.runs import LOCK_FILE, run_lock, set_aside_stage

# `safealign run` whose baseline eval waits for a file to appear: a run caught in its first stage
SLOW_RUN = """
import sys, time
from pathlib import Path

import safealign.card
import safealign.pipeline as pipeline
from safealign.config import load_recipe

started, release = Path(sys.argv[2]), Path(sys.argv[3])


def slow_eval(*args, **kwargs):
    started.touch()
    deadline = time.time() + 120
    while not release.exists() and time.time() < deadline:
        time.sleep(0.05)


pipeline.run_eval_stage = slow_eval
safealign.card.write_bundle = lambda run_dir: {}
pipeline.run_pipeline(load_recipe(Path(sys.argv[1])), show_progress=False)
"""


def said(result) -> str:  # noqa: ANN001
    return " ".join(result.output.replace("│", " ").split())


def test_a_second_run_stage_or_compare_on_a_busy_run_folder_is_refused(tmp_path: Path, safealign_home: Path):
    recipe = tmp_path / "r.yaml"
    spec = {"name": "twice", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}}
    recipe.write_text(yaml.safe_dump(spec | {"eval": {"suites": ["harmful"], "limit": 1}}))
    run_dir = tmp_path / "runs" / "twice"
    started, release = tmp_path / "started", tmp_path / "release"
    env = os.environ | {"SAFEALIGN_HOME": str(safealign_home)}
    first = subprocess.Popen(
        [sys.executable, "-c", SLOW_RUN, str(recipe), str(started), str(release)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 180
        while not started.exists():
            assert first.poll() is None and time.time() < deadline, (
                first.stdout.read() if first.stdout else ""
            )
            time.sleep(0.1)
        busy = f"{run_dir} is in use by another safealign process (pid {first.pid}"
        for command in ("run", "compare"):
            result = CliRunner().invoke(app, [command, str(recipe)])
            assert result.exit_code == 2 and busy in said(result), result.output
            assert "Wait for it to finish, or give the recipe another name" in said(result)
        assert not (run_dir / "ablation.md").exists()  # compare tabled nothing of the run in progress
        result = CliRunner().invoke(app, ["sft", str(recipe)])
        assert result.exit_code == 2 and busy in said(result), result.output
        assert "or give this stage another --out (outside" in said(result)
        assert not (run_dir / "sft").exists()
    finally:
        release.touch()
        output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    with run_lock(run_dir, "wait"):  # released with the process that held it; the file stays, never listed
        assert (run_dir / LOCK_FILE).read_text() == str(os.getpid())


def test_one_process_may_hold_its_run_folder_twice(tmp_path: Path):
    """compare holds the run folder and runs the pipeline, which holds it again."""
    with run_lock(tmp_path / "run", "wait"), run_lock(tmp_path / "run", "wait"):
        pass
    with run_lock(tmp_path / "run", "wait"):
        pass


def test_a_stage_folder_set_aside_keeps_the_lock_it_holds(tmp_path: Path):
    """A stage command's --out outside its run folder holds the lock in that folder: moved, it would lock nothing."""
    stage = tmp_path / "my_sft"
    with run_lock(stage, "give this stage another --out"):
        (stage / "stage.json").write_text("{}")
        kept = set_aside_stage(stage)
        assert (stage / LOCK_FILE).is_file() and not (kept / LOCK_FILE).exists()
        with pytest.raises(Exception, match="in use by another safealign process"):
            _lock_in_another_process(stage)


def _lock_in_another_process(folder: Path) -> None:
    code = "import sys; from pathlib import Path; from safealign.runs import run_lock\n"
    code += "with run_lock(Path(sys.argv[1]), 'give this stage another --out'): pass"
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
