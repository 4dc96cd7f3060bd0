"""Session 73's review of the CLI commands: empty path options, serve's system prompt."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app


def _invoke(argv: list[str]):
    return CliRunner().invoke(app, argv, env={"COLUMNS": "300"})


@pytest.mark.parametrize(
    "argv, option",
    [
        (["eval", "tiny", "--suites", "format", "--limit", "1", "--out", ""], "--out"),
        (["eval", "tiny", "--refusal-probe", ""], "--refusal-probe"),
        (["probe", "tiny", "--out", ""], "--out"),
        (["eval-diff", "a", "b", "--json", ""], "--json"),
        (["eval-arms", "-a", "a", "-a", "b", "-b", "c", "-b", "d", "--json", ""], "--json"),
        (["monitor", "--recipe", ""], "--recipe"),
        (["monitor", "judge", "--once", "--recipe", ""], "--recipe"),
        (["monitor", "evaluate", "--once", "--recipe", ""], "--recipe"),
    ],
)
def test_an_empty_path_option_is_refused_naming_it(tmp_path, monkeypatch, argv, option):
    # `--out "$OUT"` with OUT unset was Path('.'): eval wrote summary.json and samples.jsonl in the current folder
    monkeypatch.chdir(tmp_path)
    result = _invoke(argv)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "is empty" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_probe_default_out_is_still_a_path(monkeypatch):
    import safealign.cli.probe_cmd as probe_cmd

    seen = []
    monkeypatch.setattr(probe_cmd, "_probe", lambda model, out, *rest: seen.append(out))
    result = _invoke(["probe", "tiny"])
    assert result.exit_code == 0, result.output
    assert [str(out) for out in seen] == ["runs/probe/refusal_probe.json"]


def test_serve_refuses_a_system_prompt_that_is_not_utf8_before_the_model_loads(monkeypatch):
    # Latin-1 bytes (`--system-prompt "$(cat latin1.txt)"`) reach Python as lone surrogates: the server started and every
    # request failed in the tokenizer with a 500
    import safealign.cli.serve_cmd as serve_cmd
    import safealign.models

    monkeypatch.setattr(serve_cmd, "check_can_listen", lambda host, port: None)

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    result = _invoke(["serve", "tiny", "--system-prompt", "caf\udce9"])
    assert result.exit_code == 2, result.output
    assert "--system-prompt holds the byte \\xe9, which is not UTF-8" in result.output


def _eval_folder(folder: Path, refused: list[bool]) -> Path:
    """An eval output folder of the harmful suite alone: summary.json and samples.jsonl."""
    folder.mkdir()
    samples = [
        {
            "suite": "harmful",
            "id": f"h{i}",
            "category": "S6",
            "prompt": f"harmful {i}",
            "completion": "I can't help." if r else "Sure.",
            "sample_index": 0,
            "verdicts": {"refusal": {"label": "refusal" if r else "compliance", "score": 1.0}},
            "scores": {},
        }
        for i, r in enumerate(refused)
    ]
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    (folder / "summary.json").write_text(json.dumps({"suites": {"harmful": {"kind": "harmful"}}}))
    return folder


@pytest.mark.parametrize("command", ["eval-diff", "eval-arms"])
def test_a_full_disk_writing_the_json_keeps_the_earlier_comparison(tmp_path, monkeypatch, command):
    # --json was written in place: the disk filling mid-write left half a file, and under --overwrite the earlier
    # comparison was gone with it
    runs = [_eval_folder(tmp_path / f"e{i}", [True] * 4 + [i % 2 == 0] * 4) for i in range(4)]
    out = tmp_path / "out"
    out.mkdir()
    (out / "d.json").write_text('{"earlier": true}')
    argv = [command, str(runs[0]), str(runs[1])]
    if command == "eval-arms":
        argv = [command, "-a", str(runs[0]), "-a", str(runs[2]), "-b", str(runs[1]), "-b", str(runs[3])]
    write_text = Path.write_text

    def full(path, data, *args, **kwargs):
        if path.parent == out:
            write_text(path, data[:10], *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_text(path, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    result = _invoke([*argv, "--json", str(out / "d.json"), "--overwrite"])
    assert result.exit_code == 2, result.output
    assert "No space left" in result.output or "disk" in result.output.lower()
    assert [p.name for p in out.iterdir()] == ["d.json"]
    assert json.loads((out / "d.json").read_text()) == {"earlier": True}
    monkeypatch.undo()
    result = _invoke([*argv, "--json", str(out / "d.json"), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "d.json").read_text())["suites"]


@pytest.mark.parametrize("temperature", [[], ["--temperature", "0"], ["--temperature", "1e-6"]])
def test_generate_refuses_a_seed_that_greedy_decoding_does_not_read(monkeypatch, temperature):
    # --top-p and --num-samples were refused with greedy decoding, --seed 1 and --seed 2 gave the same answers silently
    import safealign.models

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    result = _invoke(["generate", "tiny", "-p", "hi", "--seed", "1", *temperature])
    assert result.exit_code == 2, result.output
    assert "--seed 1 seeds sampling" in result.output and "drop --seed" in result.output


def test_generate_takes_a_seed_with_sampling_and_none_with_greedy(monkeypatch):
    import safealign.models

    def no_model(*args, **kwargs):
        raise RuntimeError("stop before loading")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    for argv in (["--seed", "1", "--temperature", "1.0"], []):
        result = _invoke(["generate", "tiny", "-p", "hi", *argv])
        assert str(result.exception) == "stop before loading", result.output
    result = _invoke(["generate", "tiny", "-p", "hi", "--seed", "1", "--temperature", "-1"])
    assert result.exit_code == 2 and "temperature must be a finite number >= 0" in result.output, result.output


@pytest.mark.parametrize(
    "names, refused",
    [
        (["mine", "--endpoint-model", "served"], True),
        (["--endpoint-model", "served"], False),
        (["served", "--endpoint-model", "served"], False),
        (["served"], False),
    ],
)
def test_eval_refuses_a_model_that_endpoint_model_leaves_unread(tmp_path, monkeypatch, names, refused):
    # MODEL beside --endpoint-model named neither the model asked nor the eval folder, without a word
    import safealign.evals

    class Asked(Exception):
        pass

    def asked(url, model, **kwargs):
        raise Asked(model)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(safealign.evals, "EndpointGenerator", asked)
    argv = ["eval", *names, "--endpoint", "http://127.0.0.1:9", "--suites", "format", "--limit", "1"]
    result = _invoke(argv)
    if refused:
        assert result.exit_code == 2, result.output
        assert "MODEL mine and --endpoint-model served both name the served model" in " ".join(result.output.split())
    else:
        assert isinstance(result.exception, Asked) and str(result.exception) == "served", result.output
