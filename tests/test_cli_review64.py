"""Review 64 of the eval and monitor command lines (eval, eval-diff, eval-arms, monitor)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_eval_endpoint import FakeServer, free_port
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import DataError

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # one line per message: the asserts read paths whole


def said(result) -> str:  # noqa: ANN001
    return " ".join(result.output.replace("│", " ").split())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _eval(server: FakeServer, model: str, *extra: str, env: dict[str, str] | None = None):  # noqa: ANN202
    argv = [
        "eval",
        model,
        "--endpoint",
        server.url,
        "--suites",
        "format",
        "--limit",
        "1",
        "--max-new-tokens",
        "4",
    ]
    return runner.invoke(app, [*argv, *extra], env={**WIDE, **(env or {})})


def test_paths_with_brackets_are_said_as_they_are_and_a_finished_eval_exits_0(
    server: FakeServer, tmp_path: Path
) -> None:
    """The last line read --out as Rich markup: `--out runs/x[v2]` said it wrote runs/x/summary.json, and
    `--out o[/q]` ended a finished eval with a MarkupError traceback and exit code 1; eval-diff's `wrote --json` the
    same."""
    shown, broken = tmp_path / "run[v2]", tmp_path / "o[/q]"
    for out in (shown, broken):
        result = _eval(server, "served", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert f"wrote {out}/summary.json, samples.jsonl" in said(result)
    for json_out in (tmp_path / "diff[v2].json", tmp_path / "d[/x].json"):
        result = runner.invoke(app, ["eval-diff", str(shown), str(broken), "--json", str(json_out)], env=WIDE)
        assert result.exit_code == 0, result.output
        assert f"wrote {json_out}" in said(result) and json_out.is_file()


def test_the_gateway_says_its_database_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's start line read the --db URL as Rich markup: a file named g[/x].db stopped the gateway with a
    MarkupError traceback before it served, and monitor[prod].db was said as monitor.db."""
    import safealign.serve

    served: list[int] = []
    monkeypatch.setattr(safealign.serve, "run_server", lambda app, host, port, grace_s: served.append(port))
    for name in ("g[/x].db", "monitor[prod].db"):
        db = f"sqlite:///{tmp_path}/{name}"
        port = free_port()
        argv = [
            "monitor",
            "--upstream",
            "http://127.0.0.1:9",
            "--db",
            db,
            "--worker",
            "none",
            "--port",
            str(port),
        ]
        result = runner.invoke(app, argv, env=WIDE)
        assert result.exit_code == 0, result.output
        assert f"db {db}" in said(result) and served[-1] == port


def test_monitor_evaluate_says_the_model_as_named(server: FakeServer, tmp_path: Path) -> None:
    """`monitor evaluate` printed the model's name as Rich markup: `--model m[/x]` turned a stored run into a failed
    first run (exit code 2, "eval run failed: MarkupError"), and m[v2] was said as m."""
    for model in ("m[v2]", "m[/x]"):
        argv = ["monitor", "evaluate", "--upstream", server.url, "--model", model, "--suites", "format"]
        result = runner.invoke(
            app, [*argv, "--limit", "1", "--once", "--db", f"sqlite:///{tmp_path}/m.db"], env=WIDE
        )
        assert result.exit_code == 0, result.output
        assert f"({model}), judge default" in said(result)


def test_evals_started_in_the_same_second_without_out_each_keep_their_results(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out, two evals started in one second (`for ck in ...; do safealign eval ... & done`) of models whose
    names slug alike (two runs' models of one long name: the folder keeps 60 characters) got one runs/eval folder; the
    one that finished last replaced the other's summary.json and samples.jsonl, and both said they wrote there."""
    import safealign.cli.eval_cmd as eval_cmd

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(eval_cmd.time, "strftime", lambda fmt, *args: "20250101-000000")  # the same second
    models = [
        f"runs/{seed}/quickstart-smollm2-135m-instruct-safety-2024/sft/checkpoint-100" for seed in ("seed1", "seed2")
    ]
    for model in models:
        result = _eval(server, model)
        assert result.exit_code == 0, result.output
    folders = sorted((tmp_path / "runs" / "eval").iterdir())
    assert len(folders) == 2, folders
    evaluated = [
        json.loads((folder / "summary.json").read_text())["config"]["model"]["name"] for folder in folders
    ]
    assert sorted(evaluated) == models
    assert folders[1].name == folders[0].name + "-2"
    # a file where runs/ belongs is said, not tried under another name without end
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "runs").write_text("")
    result = _eval(server, "served")
    assert result.exit_code == 2 and "is a file where a folder is needed" in said(result), result.output


@pytest.mark.parametrize(
    ("model", "options", "says"),
    [
        ("endpoint", ["--precision", "bf16"], "--precision acts only on a model loaded here"),
        (
            "endpoint",
            ["--batch-size", "4", "--precision", "auto"],
            "--precision, --batch-size act only on a model",
        ),
        ("tiny", ["--concurrency", "4"], "--concurrency acts only on the requests to an --endpoint"),
        ("tiny", ["--timeout", "5"], "--timeout acts only on the requests to an --endpoint"),
        ("tiny", ["--api-key", "sk-x"], "or drop --api-key"),
    ],
)
def test_flags_for_the_other_kind_of_model_are_refused(
    server: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    options: list[str],
    says: str,
) -> None:
    """--precision and --batch-size with --endpoint, and --concurrency, --timeout or --api-key on a local model, were
    accepted and changed nothing: an endpoint eval's summary.json recorded no precision for its --precision bf16."""
    import safealign.models

    def too_late(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("got past the option checks")

    monkeypatch.setattr(safealign.models, "load_model", too_late)
    out = tmp_path / "o"
    if model == "endpoint":
        result = _eval(server, "served", *options, "--out", str(out))
    else:
        result = runner.invoke(
            app, ["eval", model, "--suites", "format", *options, "--out", str(out)], env=WIDE
        )
    assert result.exit_code == 2 and says in said(result), result.output
    assert not out.exists()


def test_the_api_key_from_the_environment_is_not_taken_for_a_typed_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAFEALIGN_API_KEY set for other commands does not stop a local eval."""
    import safealign.models

    def loading(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise DataError("reached the model load")

    monkeypatch.setattr(safealign.models, "load_model", loading)
    argv = ["eval", "tiny", "--suites", "format", "--limit", "1", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, argv, env={**WIDE, "SAFEALIGN_API_KEY": "sk-x"})
    assert result.exit_code == 2 and "reached the model load" in said(result), result.output


def test_default_eval_folders_keep_the_end_of_a_long_model_path() -> None:
    # checkpoints of one run differ at the end of their path; the first 60 characters named them alike
    from safealign.cli.eval_cmd import _slug

    stem = "runs/" + "quickstart-with-a-long-descriptive-name-2024-11" * 2
    assert _slug(stem + "/sft/checkpoint-100") != _slug(stem + "/sft/checkpoint-200")
    assert _slug(stem + "/sft/checkpoint-100").endswith("sft-checkpoint-100")
    assert _slug("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB-SmolLM2-135M-Instruct"
    assert _slug("///") == "model"


def test_a_judge_for_suites_the_eval_does_not_run_is_refused(server: FakeServer, tmp_path: Path) -> None:
    # --suites format: no answer is judged, and --judge was neither built nor checked (a missing guard folder exited 0)
    result = _eval(server, "m", "--judge", "llama-guard:/no/such/guard", "--out", str(tmp_path / "o"))
    assert result.exit_code != 0
    assert "add harmful or borderline to --suites, or drop --judge" in said(result)
    assert not (tmp_path / "o").exists()
    assert _eval(server, "m", "--judge", "default", "--out", str(tmp_path / "d")).exit_code == 0


def test_eval_diff_refuses_one_folder_given_as_both_evals(tmp_path: Path) -> None:
    from test_eval_diff import _write_eval

    a = _write_eval(tmp_path / "a", harmful=[True] * 4, borderline=[False], correct=[True])
    result = runner.invoke(app, ["eval-diff", str(a), str(tmp_path / "." / "a")], env=WIDE)
    assert result.exit_code != 0 and "is given as both evals" in said(result)


def test_generate_refuses_a_bad_precision_before_the_model_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    import safealign.models

    def must_not_run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the model loaded before --precision was checked")

    monkeypatch.setattr(safealign.models, "load_model", must_not_run)
    result = runner.invoke(app, ["generate", "tiny", "--prompt", "hi", "--precision", "fp33"], env=WIDE)
    assert result.exit_code == 2 and "--precision must be 'auto', 'bf16' or 'fp32', got 'fp33'" in said(result), said(result)
