"""Review 74 of the data builders' command lines and of scripts/gpu_check.sh and scripts/redteam_garak.sh.

The builders ignored their arguments (``--out DIR`` wrote into safealign/data, ``--help`` rebuilt every file) and
``build_benign.py --extra`` could name the shipped training file, which it then replaced with the 96 unshipped rows.
``gpu_check.sh bundle`` ended without a word on a package its venv lacks (pipefail), and ``run`` on a folder without
the bundle said '*.whl is not a valid wheel filename'. ``redteam_garak.sh`` answered a down upstream or an empty model
list with a Python traceback, and printed a curl command that a REPORT_DIR with a space broke.
"""

from __future__ import annotations

import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILDERS = REPO / "scripts" / "data"
DATA = REPO / "safealign" / "data"

sys.path.insert(0, str(BUILDERS))
import build_benign  # noqa: E402


def run_builder(name: str, args: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAFEALIGN_DATA_OUT": str(out)}
    command = [sys.executable, str(BUILDERS / f"{name}.py"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "name",
    [
        "build_benign",
        "build_eval_suites",
        "build_harmful_refusals",
        "build_judge_set",
        "build_multilingual",
        "build_reasoning",
    ],
)
def test_a_builder_refuses_an_option_it_does_not_take_before_writing(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_builder(name, ["--out", str(tmp_path / "elsewhere")], out)
    assert done.returncode == 2, done.stdout[-500:]
    assert "unrecognized arguments: --out" in done.stderr
    assert not out.exists(), "a refused command line wrote files"


def test_a_builders_help_says_where_it_writes_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_builder("build_reasoning", ["--help"], out)
    assert done.returncode == 0, done.stderr
    # argparse wraps the epilog, even inside the path
    assert "SAFEALIGN_DATA_OUT" in done.stdout and str(out) in "".join(done.stdout.split())
    assert not out.exists()


def test_extra_may_not_replace_the_shipped_training_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_builder("build_benign", ["--extra", str(out / "train" / "benign_helpful.jsonl")], out)
    assert done.returncode == 2, done.stdout[-500:]
    assert "the file this builder writes the shipped rows to" in done.stderr
    assert "--extra runs/borderline_extra.jsonl" in done.stderr
    assert not out.exists()


def test_extra_refuses_the_shipped_data_folder_and_a_folder_only(tmp_path: Path) -> None:
    assert "shipped data folder safealign/data" in build_benign.extra_refused(DATA / "train" / "extra.jsonl")
    assert build_benign.extra_refused(tmp_path) == "it is a folder"
    assert build_benign.extra_refused(tmp_path / "runs" / "borderline_extra.jsonl") is None


# --- scripts/gpu_check.sh -------------------------------------------------------------------------------------


@pytest.fixture
def gpu_check(tmp_path: Path) -> Path:
    """gpu_check.sh in a checkout whose .venv knows no package (``pip show`` fails), as before make install-dev."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "gpu_check.sh", root / "scripts" / "gpu_check.sh")
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/usr/bin/env bash\necho "WARNING: Package(s) not found: $4" >&2\nexit 1\n')
    python.chmod(0o755)
    return root / "scripts" / "gpu_check.sh"


def bash(script: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_gpu_check_bundle_names_the_package_its_venv_lacks(gpu_check: Path, tmp_path: Path) -> None:
    done = bash(gpu_check, "bundle", str(tmp_path / "bundle dir"))
    assert done.returncode == 1
    assert "not installed in" in done.stderr and ": trl (run make install-dev first)" in done.stderr


def test_gpu_check_run_without_a_bundle_says_to_make_one_and_creates_nothing(
    gpu_check: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "no bundle"
    done = bash(gpu_check, "run", str(folder))
    assert done.returncode == 2
    assert "no wheels in" in done.stderr
    bundle = next(line for line in done.stderr.splitlines() if "gpu_check.sh bundle" in line)
    assert shlex.split(bundle) == [
        "scripts/gpu_check.sh",
        "bundle",
        str(folder),
    ]  # pasted, it makes that folder's
    assert not folder.exists()


@pytest.mark.parametrize("args", [["check", "somewhere"], ["run"], []])
def test_gpu_check_usage_errors_create_no_folder(gpu_check: Path, tmp_path: Path, args: list[str]) -> None:
    done = bash(gpu_check, *[str(tmp_path / a) if a == "somewhere" else a for a in args])
    assert done.returncode == 2
    assert done.stderr.strip() == "usage: scripts/gpu_check.sh bundle|run DIR"
    assert not (tmp_path / "somewhere").exists()


# --- scripts/redteam_garak.sh ----------------------------------------------------------------------------------


@pytest.fixture
def monitor() -> Iterator[dict]:
    """A stand-in monitor: /health answers; /v1/models answers as ``state['models']`` says (a list or a status)."""
    state: dict = {"models": [{"id": "m1"}]}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            models = state["models"]
            status, body = (
                (200, b"ok")
                if self.path == "/health"
                else (
                    (models, b"{}")
                    if isinstance(models, int)
                    else (200, json.dumps({"data": models}).encode())
                )
            )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def redteam(tmp_path: Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The script with a stand-in garak that only prints its arguments."""
    fake = tmp_path / "fake-garak" / "garak"
    fake.mkdir(parents=True, exist_ok=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("import sys\nprint('GARAK', sys.argv[1:])\n")
    env = {
        "PYTHON": sys.executable,
        "PYTHONPATH": str(fake.parent),
        "REPORT_DIR": str(tmp_path / "garak"),
        **env,
    }
    return bash(REPO / "scripts" / "redteam_garak.sh", url, env=env)


@pytest.mark.parametrize(("models", "reason"), [(502, "HTTP Error 502"), ([], "it lists no model")])
def test_redteam_without_a_model_to_name_says_so_without_a_traceback(
    monitor: dict, tmp_path: Path, models: object, reason: str
) -> None:
    monitor["models"] = models
    done = redteam(tmp_path, monitor["url"])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and f"({reason}" in done.stderr
    assert "scripts/redteam_garak.sh MONITOR_URL MODEL" in done.stderr and "GARAK" not in done.stdout


def test_redteam_advice_is_a_command_a_report_dir_with_a_space_survives(
    monitor: dict, tmp_path: Path
) -> None:
    reports = tmp_path / "my reports"
    done = redteam(tmp_path, monitor["url"], REPORT_DIR=str(reports))
    assert done.returncode == 0, done.stderr
    assert "'--model_name', 'm1'" in done.stdout
    curl = next(line for line in done.stdout.splitlines() if line.strip().startswith("curl "))
    words = shlex.split(curl)
    assert words[words.index(">") + 1] == str(reports / "safealign.jsonl")


def test_redteam_refuses_a_setting_that_is_not_a_count(monitor: dict, tmp_path: Path) -> None:
    done = redteam(tmp_path, monitor["url"], MAX_TOKENS="1k")
    assert done.returncode == 2
    assert "MAX_TOKENS=1k is not a whole number of at least 1" in done.stderr and "GARAK" not in done.stdout
