"""Small defects of the seventy-fourth session: each test failed on the code before its fix."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from test_scripts_review74 import REPO, bash, monitor, redteam  # noqa: F401 - monitor: fixture


@pytest.mark.parametrize(
    ("env", "launched"),
    [
        ({"RANK": "1"}, False),  # left in the shell: launched_rank reads a single process
        ({"RANK": "1", "WORLD_SIZE": "1"}, False),
        ({"RANK": "0", "WORLD_SIZE": "2"}, True),
        ({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4"}, True),
        ({"LOCAL_RANK": "0"}, True),
    ],
)
def test_sigterm_reads_a_stray_rank_as_one_process(monkeypatch, env, launched) -> None:
    """A RANK without a world size above 1 beside it is one process (as launched_rank reads it): SIGTERM stops it as
    Ctrl-C does, and says how to resume; a real launch keeps SIGTERM's default."""
    from safealign.cli.common import sigterm_as_ctrl_c
    from safealign.distributed import RANK_VARIABLES, SIZE_VARIABLES

    for name in (*RANK_VARIABLES, *SIZE_VARIABLES, "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with sigterm_as_ctrl_c():
        assert (signal.getsignal(signal.SIGTERM) is signal.SIG_DFL) is launched
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize(
    ("file", "line", "said"),
    [
        (
            "metrics.jsonl",
            '{"step": 3, "kl": 1' + "0" * 400 + "}",
            r"metrics.jsonl:3: the record of step 3 logs 'kl'",
        ),
        (
            "gates.jsonl",
            '{"step": 2, "passed": true, "metrics": {"accuracy": -1' + "0" * 400 + "}}",
            r"gates.jsonl:2: the record of step 2 logs 'gate/accuracy'",
        ),
    ],
)
def test_audit_names_the_file_and_line_of_an_integer_past_a_float(tmp_path, file, line, said) -> None:
    """An integer past a float's range in a hand-written log was named by key and step only: audit names path:line."""
    import json

    from typer.testing import CliRunner

    from safealign.cli.main import app

    rows = {
        "metrics.jsonl": [{"step": step, "kl": 0.01, "reward": 0.5} for step in (1, 2)],
        "gates.jsonl": [{"step": 0, "passed": True, "metrics": {"accuracy": 0.9}}],
    }
    for name, records in rows.items():
        lines = [json.dumps(record) for record in records]
        (tmp_path / name).write_text(
            "\n".join([*lines, line] if name == file else lines) + "\n", encoding="utf-8"
        )
    result = CliRunner().invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split()).replace(str(tmp_path) + "/", "")


def test_llama_guard_reads_a_none_request_as_no_text(tiny, tmp_path, monkeypatch) -> None:
    """judge_requests([None]) was a TypeError from inside the guard's prompt builder; None is no text, as judge()
    reads a None prompt, and the request is judged as an empty one."""
    from test_judge_adapters import ScriptedGuard

    from safealign.judges import llama_guard as llama_guard_module
    from safealign.judges.llama_guard import LlamaGuardJudge
    from safealign.models import LoadedModel

    tokenizer = tiny.tokenizer
    safe_id, unsafe_id = (tokenizer.encode(word, add_special_tokens=False)[0] for word in ("safe", "unsafe"))
    model = ScriptedGuard(tiny.model, safe_id, unsafe_id, [(5.0, 0.0)] * 2, [tokenizer.eos_token_id])
    loaded = LoadedModel(model, tokenizer, tiny.spec, str(tmp_path))
    monkeypatch.setattr(llama_guard_module, "load_model", lambda path, device=None, dtype=None: loaded)
    verdicts = LlamaGuardJudge(tmp_path).judge_requests([None, ""])
    assert [verdict.label for verdict in verdicts] == ["safe", "safe"]
    assert model.inputs[0][0].tolist() == model.inputs[0][1].tolist()  # None read as the empty request
    with pytest.raises(TypeError, match="pass it as a list"):
        LlamaGuardJudge(tmp_path).judge_requests("one text")


def fake_command(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("#!/usr/bin/env bash\n" + body)
    (folder / name).chmod(0o755)


def test_redteam_runs_where_mktemp_takes_no_suffix(monitor: dict, tmp_path: Path) -> None:  # noqa: F811
    """`mktemp --suffix=.json` is GNU's alone: macOS's mktemp refused it and the script stopped before garak."""
    bsd = tmp_path / "bsd-bin"
    real = shutil.which("mktemp")
    fake_command(
        bsd,
        "mktemp",
        f'for a; do [[ $a == --* ]] && {{ echo "mktemp: illegal option" >&2; exit 1; }}; done\nexec {real} "$@"\n',
    )
    done = redteam(tmp_path, monitor["url"], PATH=f"{bsd}:{os.environ['PATH']}", TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "GARAK" in done.stdout and "--generator_option_file" in done.stdout
    assert not list(tmp_path.glob("redteam_garak.*"))  # the options are removed once garak is done


def test_gpu_check_bundle_shows_why_pip_downloaded_no_wheel(tmp_path: Path) -> None:
    """pip download's errors went to /dev/null: a network failure read as "no wheel" and asked for a python3.12."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "gpu_check.sh", root / "scripts" / "gpu_check.sh")
    fake_command(root / ".venv" / "bin", "python", 'echo "Version: 1.0"\n')
    offline = tmp_path / "offline-bin"
    fake_command(
        offline,
        "python3",
        "echo \"WARNING: Retrying after connection broken by 'NewConnectionError'\" >&2\nexit 1\n",
    )
    fake_command(offline, "python3.12", "exit 1\n")
    done = bash(
        root / "scripts" / "gpu_check.sh",
        "bundle",
        str(tmp_path / "bundle"),
        env={"PATH": f"{offline}:{os.environ['PATH']}", "PY312": str(offline / "python3.12")},
    )
    assert done.returncode != 0
    assert (
        "no wheel downloaded for trl==1.0; pip said:" in done.stderr and "NewConnectionError" in done.stderr
    )
