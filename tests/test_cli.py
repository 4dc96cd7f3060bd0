from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app

runner = CliRunner()


def test_generate_to_file(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        json.dumps({"prompt": "hi"})
        + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "yo"}]})
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        [
            "generate",
            "tiny",
            "--prompts",
            str(prompts),
            "--out",
            str(out),
            "--max-new-tokens",
            "4",
            "--precision",
            "fp32",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and {"text", "completion_tokens", "truncated", "finish_reason"} <= set(rows[0])


def test_generate_bad_prompt_file_names_the_line(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"prompt": "ok"}\n{"oops": 1}\n')
    result = runner.invoke(app, ["generate", "tiny", "--prompts", str(prompts)])
    assert result.exit_code == 2
    assert "p.jsonl:2" in result.output and "'prompt'" in result.output


def test_generate_missing_model_is_one_line_error():
    result = runner.invoke(app, ["generate", "/nope/model", "--prompt", "hi"])
    assert result.exit_code == 2 and "not found" in result.output and "Traceback" not in result.output


def test_validate(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("name: x\nsft: {}\n")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsft: {epochz: 2}\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2 and "sft.epochz" in result.output and "epochs" in result.output
    monitored = tmp_path / "monitored.yaml"
    monitored.write_text("name: x\nmonitor: {upstream: 'http://127.0.0.1:9'}\n")
    result = runner.invoke(app, ["validate", str(monitored)], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "monitor section: read by `safealign monitor --recipe" in result.output
    assert "monitor section" not in runner.invoke(app, ["validate", str(good)]).output
    distilled = (
        tmp_path / "distilled.yaml"
    )  # the pipeline samples with sample's defaults first; validate listed distill alone
    distilled.write_text("name: x\ndistill: {student: 'prune:0.5'}\n")
    result = runner.invoke(app, ["validate", str(distilled)], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "stages: sample (its defaults), distill" in " ".join(
        result.output.split()
    )


def test_a_full_disk_is_one_clear_line_not_a_traceback(monkeypatch, capsys):
    import errno
    import shutil
    from collections import namedtuple

    import typer

    from safealign.cli.common import friendly_errors

    @friendly_errors
    def fails(error: BaseException) -> None:
        raise error

    with pytest.raises(typer.Exit) as exit_info:
        fails(OSError(errno.ENOSPC, "No space left on device"))
    assert exit_info.value.exit_code == 2
    assert "the disk is full" in capsys.readouterr().err
    # torch.save reports a full disk as a bare RuntimeError; its text tells it apart.
    with pytest.raises(typer.Exit):
        fails(
            RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 959188544 vs 959188432")
        )
    assert "rerun the same command" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="unrelated"):
        fails(RuntimeError("unrelated"))
    # Low free space makes no other error a full disk: an OOM or a shape mismatch keeps its traceback.
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(100, 100, 1024))
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        fails(RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x16 and 32x16)"))
    with pytest.raises(RuntimeError, match="not enough memory"):
        fails(RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 8589934592 bytes."))
    with pytest.raises(typer.Exit) as exit_info:  # typer's own exit passes through untouched
        fails(typer.Exit(3))
    assert exit_info.value.exit_code == 3


def test_a_full_disk_is_told_only_for_no_space_and_measured_where_the_file_was(tmp_path, monkeypatch) -> None:
    """Any OSError or RuntimeError was 'the disk is full' when the folder the command ran in had < 512 MiB free."""
    import errno
    import shutil
    from collections import namedtuple

    from safealign.errors import disk_full_message

    usage = namedtuple("usage", "total used free")
    measured = []
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: measured.append(path) or usage(100, 100, 3 * 1024**2)
    )
    assert disk_full_message(PermissionError(13, "Permission denied", "/data/shared/runs/x/sft")) is None
    assert (
        disk_full_message(RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x16 and 32x16)")) is None
    )
    message = disk_full_message(
        OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "sft" / "model.bin"))
    )
    assert (
        message is not None and f"3 MiB free under {tmp_path};" in message
    )  # the nearest folder that exists
    assert measured == [str(tmp_path)]


def _stage(name: str, refused: float | None = None) -> dict:
    rate = {"value": refused, "low": refused - 0.1, "high": refused + 0.1} if refused is not None else None
    names = [
        "harmful.refusal_rate",
        "borderline.over_refusal_rate",
        "reasoning.accuracy",
        "language.mixing_rate",
        "format.format_compliance",
    ]
    return {
        "stage": name,
        "wall_time_s": 100.0,
        "tokens": 12345,
        "headline": dict.fromkeys(names, rate) if rate else None,
    }


def test_the_stage_table_keeps_its_labels_in_a_log_and_on_a_narrow_screen(monkeypatch):
    import io

    from rich.console import Console

    from safealign.cli.common import LOG_WIDTH, make_console, table
    from safealign.cli.run_cmd import stage_table

    stages = [_stage("eval:base", 0.1), _stage("sft"), _stage("eval:sft", 0.8), _stage("eval:student", 0.8)]
    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    console = make_console(file=log)  # a file, as when `make run` is piped to a log
    assert console.width == LOG_WIDTH
    console.print(table("Run", *stage_table(stages)))
    text = log.getvalue()
    assert "eval:sft" in text and "eval:student" in text and "borderline" in text and "over-refused" in text
    assert "…" not in text
    monkeypatch.setenv("COLUMNS", "100")
    assert make_console(file=io.StringIO()).width == 100  # the user's COLUMNS wins
    narrow = io.StringIO()
    Console(file=narrow, width=60).print(table("Run", *stage_table(stages)))
    assert (
        "eval:student" in narrow.getvalue() and "eval:sft" in narrow.getvalue()
    )  # labels whole even at 60 columns


def test_a_benchmark_table_in_a_log_keeps_its_row_labels(monkeypatch, tmp_path, capsys):
    """`student_speed.py > log` printed 'prune:0.667:redun…' for every pruned student: Rich's 80 columns for a log."""
    import sys
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "benchmarks"))
    monkeypatch.delenv("COLUMNS", raising=False)
    sys.modules.pop("_common", None)
    import _common

    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    columns = ["model", "parameters", "of teacher", "layers", "tokens/s", "speed-up"]
    rows = [
        ["teacher", "134,515,008", "100.0%", 30, 181.0, 1.0],
        ["prune:0.667:redundancy:0.75", "85,843,008", "63.8%", 20, 272.4, 1.504],
    ]
    path = _common.report("speed", "Generation speed", columns, rows, {"rows": rows})
    out = capsys.readouterr().out
    assert "prune:0.667:redundancy:0.75" in out and "…" not in out
    assert "1.5" in out and "272" in out  # floats keep the report's 3 significant digits
    assert json.loads(path.read_text())["rows"][1][0] == "prune:0.667:redundancy:0.75"


def test_the_stage_table_has_a_column_for_a_users_suite():
    """The table's columns were the five built-in suites: a user's file suite or an rg: family was scored and not shown."""
    from safealign.cli.run_cmd import stage_table
    from safealign.stages.evaluate import headline

    summary = {
        "suites": {
            "harmful": {
                "kind": "harmful",
                "metrics": {"held_out": {"refusal_rate": {"value": 0.8, "low": 0.7, "high": 0.9}}},
            },
            "my_prompts": {
                "kind": "borderline",
                "metrics": {"all": {"over_refusal_rate": {"value": 0.25, "low": 0.15, "high": 0.35}}},
            },
        }
    }
    stages = [
        {"stage": "sft", "wall_time_s": 10.0, "tokens": 5},
        {"stage": "eval:sft", "headline": headline(summary)},
    ]
    columns, rows = stage_table(stages)
    assert columns == [
        "stage",
        "wall",
        "tokens",
        "harmful refused",
        "borderline over-refused",
        "reasoning acc.",
        "language mixing",
        "format",
        "my_prompts: borderline over-refused",
    ]
    assert rows[1][3] == "80% ±10%" and rows[1][-1] == "25% ±10%" and rows[0][-1] == "-"

    resumed = {
        "stage": "rl",
        "wall_time_s": 700.0,
        "tokens": 5,
        "sessions": 2,
    }  # after a crash: both sessions' time
    assert stage_table([resumed])[1][0][1] == "700s (2 sessions)"


def test_the_stage_tables_tokens_are_the_cards_the_sample_stages_generated_ones(tmp_path):
    """The run's table showed the sample stage's prompt + generated tokens (44395) under "tokens", while the model card
    shows the 20,543 it generated and says what each stage's tokens count."""
    from safealign.cli.run_cmd import TOKENS_NOTE, stage_table
    from safealign.runs import write_json

    metrics = {"samples": 8, "accepted": 3, "tokens": 44395, "completion_tokens": 20543}
    write_json(tmp_path / "sample" / "stage.json", {"stage": "sample", "metrics": metrics})
    write_json(tmp_path / "sft" / "stage.json", {"stage": "sft", "metrics": {"tokens": 142433}})
    stages = [
        {"stage": "sft", "dir": str(tmp_path / "sft"), "tokens": 142433},
        {"stage": "sample", "dir": str(tmp_path / "sample"), "tokens": 44395},
        {
            "stage": "distill (skipped: rejection sampling kept no trace)",
            "skipped": "…",
            "dir": str(tmp_path / "d"),
        },
    ]
    columns, rows = stage_table(stages)
    assert (
        columns[2] == "tokens" and "sample generated" in TOKENS_NOTE and "distill trained on" in TOKENS_NOTE
    )
    assert [row[2] for row in rows] == ["142,433", "20,543", "-"]


def test_tables_print_paths_and_data_as_text_not_markup() -> None:
    """A run folder named o[/q] ran the whole pipeline, then raised MarkupError on the stage table; a data value
    "[bold]cats" lost its brackets."""
    from rich.console import Console

    from safealign.cli.common import table

    console = Console(record=True, width=200)
    console.print(table("Run /tmp/o[/q]", ["suite [v2]", "n"], [["[bold]cats", 1]]))
    shown = console.export_text()
    assert "Run /tmp/o[/q]" in shown and "suite [v2]" in shown and "[bold]cats" in shown


def test_a_stage_command_says_when_the_recipe_has_no_section(tmp_path, monkeypatch) -> None:
    import safealign.cli.train_cmd as train_cmd
    from safealign.config import load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: x\n")
    printed = []
    monkeypatch.setattr(train_cmd.console, "print", lambda text, **kwargs: printed.append(text))
    from safealign.config import RLConfig

    assert train_cmd._section(load_recipe(recipe), "rl", RLConfig()) == RLConfig()
    assert "no rl: section" in printed[0] and "defaults" in printed[0]


def test_ctrl_c_on_a_stage_says_how_to_resume(tmp_path, monkeypatch) -> None:
    """Ctrl-C on sft, rl or run exited 130 without a word: nothing said that a rerun resumes."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safealign.stages.sft.run_sft", interrupted)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: x\noutput_dir: {tmp_path}\nmodel: {{name: tiny}}\nsft: {{}}\n")
    result = CliRunner().invoke(app, ["sft", str(recipe)], env={"COLUMNS": "300"})
    assert result.exit_code == 130
    assert "interrupted: rerun the same command to resume" in " ".join(result.output.split())


def test_an_error_quoting_emoji_codes_prints_them_as_text(capsys) -> None:
    """Rich turned ":x:" in a quoted line into an emoji: a bad recipe line "root:x:0:0" printed as "root❌0:0"."""
    import typer

    from safealign.cli.common import friendly_errors
    from safealign.errors import DataError

    @friendly_errors
    def fails() -> None:
        raise DataError("alerts.yaml:1: not a mapping: 'root:x:0:0:root:/root:/bin/bash'")

    with pytest.raises(typer.Exit):
        fails()
    err = capsys.readouterr().err
    assert "root:x:0:0" in err and "❌" not in err


def test_no_help_text_holds_what_rich_would_read_as_markup() -> None:
    """`data check --help` printed "prompt files PATH": rich read "[borderline:]" as a tag and dropped it."""
    import re

    import click
    import typer.main
    from rich.markup import RE_TAGS

    from safealign.cli.main import app

    def texts(command: click.Command):
        yield command.help or ""
        for param in command.params:
            yield getattr(param, "help", None) or ""
        for sub in getattr(command, "commands", {}).values():
            yield from texts(sub)

    unescaped = [
        text
        for text in texts(typer.main.get_command(app))
        for match in RE_TAGS.finditer(text)
        if len(match.group(2)) % 2 == 0  # "\\[" is an escaped bracket, printed as "["
        and not re.fullmatch(
            r"\[/?(bold|dim|red|green|yellow|cyan|italic|b|i)?\]", match.group(0)[len(match.group(2)) :]
        )
    ]
    assert not unescaped, unescaped


def test_generate_defaults_to_the_precision_eval_scores_in(monkeypatch):
    """The default was auto: bf16 where it runs faster, whose greedy answers differ from the fp32 ones eval scores."""
    import safealign.precision

    monkeypatch.setattr(
        safealign.precision, "bf16_is_fast", lambda device_type="cpu": True
    )  # where auto picks bf16
    result = runner.invoke(app, ["generate", "tiny", "--prompt", "hi", "--max-new-tokens", "2"])
    assert result.exit_code == 0 and "precision fp32" in " ".join(result.output.split()), result.output


def test_a_chat_role_a_template_does_not_know_is_named_and_developer_is_taken(tmp_path):
    """Any role string was rendered as a turn of its own: a typo 'usr' reached the model as an unknown speaker."""
    from safealign.cli.common import chat_problem
    from safealign.cli.generate_cmd import read_prompts
    from safealign.errors import DataError

    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"messages": [{"role": "usr", "content": "Hello"}]}) + "\n")
    with pytest.raises(
        DataError,
        match=r"p.jsonl:1: field 'messages\[0\].role' must be one of system, developer, user, "
        "assistant, got 'usr'",
    ):
        read_prompts(prompts)
    assert (
        chat_problem([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hello"}])
        is None
    )
    assert "got ['user']" in chat_problem([{"role": ["user"], "content": "Hello"}])


def test_rewards_list_says_what_the_safety_reward_pays() -> None:
    """The help said "answer benign (+), penalise both failures (-1)": an evasive answer to a harmful prompt is -1 too,
    to a benign one 0; a benign answer's +0.5 is the value the registry builds the reward with."""
    from safealign.judges.base import Verdict
    from safealign.rewards import describe_rewards
    from safealign.rewards.registry import REWARDS

    labels = ["refusal", "partial_refusal", "compliance", "evasive"]

    class EachLabel:
        def judge(self, prompts, responses):
            return [Verdict(label, 0.5, "", "fake") for label in labels]

    reward = REWARDS["safety"][0]({"judge": EachLabel()})
    pays = {
        kind: dict(zip(labels, reward(["p"] * 4, ["c"] * 4, kind=[kind] * 4), strict=True))
        for kind in ("harmful", "benign", "reasoning")
    }
    assert pays == {
        "harmful": {"refusal": 1.0, "partial_refusal": -1.0, "compliance": -1.0, "evasive": -1.0},
        "benign": {"refusal": -1.0, "partial_refusal": -1.0, "compliance": 0.5, "evasive": 0.0},
        "reasoning": {"refusal": -1.0, "partial_refusal": -1.0, "compliance": None, "evasive": None},
    }
    help_text = dict(describe_rewards())["safety"]
    assert (
        "harmful prompt: an explicit refusal +1, anything else -1 (partial refusal, compliance, and an evasive"
        in (help_text)
    )
    assert (
        "benign or borderline: an answer +0.5, an evasive one 0, a refusal or partial refusal -1" in help_text
    )
    assert "reasoning: a refusal or partial refusal -1, else None" in help_text


def test_data_check_help_says_rg_problems_are_found_inside_a_turn() -> None:
    """The help said rg:FAMILY suites were checked as whole prompts; a problem inside a longer turn is found too."""
    result = runner.invoke(app, ["data", "check", "--help"], env={"COLUMNS": "400"})
    shown = " ".join(result.output.split())
    assert (
        "rg:FAMILY suites (each problem whole, or inside a longer system or user turn;" in shown
        and "(whole prompts)" not in shown
    )


def test_the_probe_reads_states_without_timing_bf16(tiny, monkeypatch) -> None:
    """`safealign probe` logged "bf16 matmul ... bf16 on": its engine asked for precision auto, though it only encodes
    prompts and gives the device (the probe runs the model in fp32)."""
    import safealign.precision
    from safealign.probing import prompt_states

    timed = []
    monkeypatch.setattr(
        safealign.precision, "bf16_is_fast", lambda device_type="cpu": timed.append(device_type)
    )
    states = prompt_states(tiny.model, tiny.tokenizer, ["Hi", "How do I bake bread?"])
    assert states["last"].shape[0] == 2 and timed == []


def test_ctrl_c_while_eval_loads_says_nothing_was_changed(tmp_path, monkeypatch) -> None:
    """Ctrl-C while `safealign eval` loaded its model (or judges) exited 130 without a word: the line that says what
    was kept covered only the generation."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safealign.models.load_model", interrupted)
    out = tmp_path / "ev"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    command = ["eval", "tiny", "--suites", "format", "--limit", "1", "--out", str(out), "--overwrite"]
    result = CliRunner().invoke(app, command, env={"COLUMNS": "300"})
    said = " ".join(result.output.split())
    assert result.exit_code == 130
    assert "interrupted before any answer was generated: nothing in --out was changed" in said
    assert [path.name for path in out.iterdir()] == ["summary.json"]


def test_ctrl_c_while_eval_loads_without_out_leaves_no_empty_folder(tmp_path, monkeypatch) -> None:
    """Without --out, eval made runs/eval/<model>-<time> before loading; a Ctrl-C then left it empty (and each rerun
    another), while the line said nothing was changed."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safealign.models.load_model", interrupted)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["eval", "tiny", "--suites", "format", "--limit", "1"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 130
    assert list((tmp_path / "runs" / "eval").iterdir()) == []


def test_ctrl_c_on_judges_run_does_not_speak_of_stages(monkeypatch) -> None:
    """`judges run` was named like the pipeline's `run`, so Ctrl-C (and SIGTERM) printed the pipeline's resume line
    about stages and checkpoints for a one-off judgement."""
    from safealign.cli import common

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safealign.judges.build_judges", interrupted)
    result = CliRunner().invoke(app, ["judges", "run", "-p", "hi", "-r", "hello"], env={"COLUMNS": "300"})
    assert result.exit_code != 0
    assert "checkpoint" not in result.output and "stages" not in result.output
    import re
    from pathlib import Path

    import safealign.cli

    sources = "".join(path.read_text() for path in Path(safealign.cli.__file__).parent.glob("*.py"))
    # every function friendly_errors wraps (decorated or called, also through monitor's _monitor_errors), by the name
    # it keys its Ctrl-C line on
    wrapped = re.findall(r"@friendly_errors\s+def (\w+)", sources) + re.findall(
        r"(?:friendly_errors|_monitor_errors)\((\w+)\)", sources
    )
    for name in common.SIGTERM_AS_CTRL_C:
        assert wrapped.count(name) == 1, f"{name!r} names {wrapped.count(name)} wrapped commands"


def test_sigterm_on_a_stage_says_how_to_resume(tmp_path) -> None:
    """SIGTERM (what SLURM and Kubernetes send first) killed sft, rl, eval, sample, run and card without a word (exit
    -15): it now takes Ctrl-C's path."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from safealign.distributed import RANK_VARIABLES

    started = tmp_path / "started"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: x\noutput_dir: {tmp_path}\nmodel: {{name: tiny}}\nsft: {{}}\n")
    script = (
        "import pathlib, sys, time\n"
        "import safealign.stages.sft\n"
        "def slow(*args, **kwargs):\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(120)\n"
        "safealign.stages.sft.run_sft = slow\n"
        "from safealign.cli.main import app\n"
        f"sys.argv = ['safealign', 'sft', {str(recipe)!r}]\n"
        "app()\n"
    )
    not_launched = {k: v for k, v in os.environ.items() if k not in (*RANK_VARIABLES, "LOCAL_RANK")}
    env = not_launched | {"COLUMNS": "300"}
    stage = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and stage.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        stage.send_signal(signal.SIGTERM)
        _, err = stage.communicate(timeout=60)
    finally:
        stage.kill()
    assert stage.returncode == 130, err
    assert "interrupted: rerun the same command to resume" in " ".join(err.split()) and "Traceback" not in err


SHORT_COMMANDS = [  # (module, function made to raise or hang, argv, what the line says)
    (
        "safealign.models",
        "load_model",
        ["generate", "tiny", "-p", "hi", "--out", "g.jsonl"],
        "nothing was written to --out",
    ),
    ("safealign.models", "load_model", ["probe", "tiny", "--out", "p.json"], "nothing was written to --out"),
    ("safealign.corpus.eval_texts", "disjointness_report", ["data", "check"], "data check only reads"),
    ("safealign.judges", "build_judges", ["judges", "check"], "judges check only reads"),
    ("safealign.judges", "build_judges", ["judges", "run", "-p", "a", "-r", "b"], "nothing was judged"),
    (
        "safealign.cli.models_cmd",  # imported by name there
        "prepare_embedded",
        ["models", "prepare", "--force"],
        "the model was not prepared",
    ),
    (
        "safealign.monitor.reevaluate",
        "evaluate_every",
        ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--db", "sqlite:///m.db", "--once"],
        "finished eval runs are kept in the database",
    ),
]


@pytest.mark.parametrize(
    ("module", "function", "argv", "said"),
    SHORT_COMMANDS,
    ids=[" ".join(case[2][:2]) for case in SHORT_COMMANDS],
)
def test_ctrl_c_on_a_short_command_says_what_was_kept(
    tmp_path, monkeypatch, module, function, argv, said
) -> None:
    """Ctrl-C on generate, probe, data check, judges check/run, models prepare and monitor evaluate exited 130
    without a word."""
    import importlib

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module(module), function, interrupted)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    lines = [line for line in result.output.splitlines() if line.startswith("interrupted")]
    assert result.exit_code == 130
    assert len(lines) == 1 and said in lines[0] and "rerun the same command" in lines[0], result.output
    assert "resume" not in result.output  # none of them resumes


@pytest.mark.parametrize(
    ("module", "function", "argv", "said"),
    [SHORT_COMMANDS[0], SHORT_COMMANDS[-1]],
    ids=["generate", "monitor-evaluate"],
)
def test_sigterm_on_a_short_command_says_what_was_kept(tmp_path, module, function, argv, said) -> None:
    """SIGTERM (what SLURM, Kubernetes and `timeout` send) killed generate, probe, data check and monitor evaluate with
    -15 and no line: they now take Ctrl-C's path."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from safealign.distributed import RANK_VARIABLES

    started = tmp_path / "started"
    script = (
        f"import pathlib, sys, time, {module}\n"
        "def slow(*args, **kwargs):\n"
        f"    pathlib.Path({str(started)!r}).touch()\n"
        "    time.sleep(120)\n"
        f"{module}.{function} = slow\n"
        "from safealign.cli.main import app\n"
        f"sys.argv = ['safealign', *{argv!r}]\n"
        "app()\n"
    )
    not_launched = {k: v for k, v in os.environ.items() if k not in (*RANK_VARIABLES, "LOCAL_RANK")}
    command = subprocess.Popen(
        [sys.executable, "-c", script],
        stderr=subprocess.PIPE,
        text=True,
        env=not_launched | {"COLUMNS": "300"},
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and command.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        command.send_signal(signal.SIGTERM)
        _, err = command.communicate(timeout=60)
    finally:
        command.kill()
    assert command.returncode == 130, err
    assert said in " ".join(err.split()) and "Traceback" not in err


def test_ctrl_c_while_the_cli_starts_says_so(monkeypatch) -> None:
    """Ctrl-C while the CLI set its logging up (importing transformers, a second or two) exited 130 without a word."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("safealign.cli.main.setup_logging", interrupted)
    result = CliRunner().invoke(app, ["validate", "r.yaml"], env={"COLUMNS": "300"})
    assert result.exit_code == 130
    assert result.output.strip() == "interrupted while starting: nothing was done"


def test_ctrl_c_while_python_m_safealign_imports_says_so(monkeypatch, capsys) -> None:
    """`python -m safealign` printed a traceback for a Ctrl-C while its modules imported."""
    import builtins

    from safealign.__main__ import main
    from safealign.cli.common import STARTUP_INTERRUPTED

    real_import = builtins.__import__

    def interrupted_import(name, *args, **kwargs):
        if name == "safealign.cli.main":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err.strip() == STARTUP_INTERRUPTED


def test_sigterm_is_left_alone_under_a_launcher_and_off_the_main_thread(monkeypatch) -> None:
    """A rank of torchrun or accelerate keeps SIGTERM's default (its launcher stops it and says which rank failed);
    only the main thread may set a handler."""
    import signal
    import threading

    from safealign.cli.common import sigterm_as_ctrl_c

    with sigterm_as_ctrl_c():
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    errors = []

    def off_the_main_thread() -> None:
        try:
            with sigterm_as_ctrl_c():
                pass
        except ValueError as error:  # "signal only works in main thread of the main interpreter"
            errors.append(error)

    thread = threading.Thread(target=off_the_main_thread)
    thread.start()
    thread.join()
    assert errors == []
    monkeypatch.setenv("LOCAL_RANK", "0")
    with sigterm_as_ctrl_c():
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_torch_exit_stats_stay_quiet_when_torch_was_cut_short_while_importing() -> None:
    """Ctrl-C during `import torch` printed its exit-time "FakeTensor cache stats" lines at the CLI's INFO level:
    torch had not set up its own logging yet."""
    import subprocess
    import sys

    script = (
        "import logging\n"
        "from safealign.cli.common import setup_logging\n"
        "setup_logging()\n"
        "logging.getLogger('torch._subclasses.fake_tensor').info('FakeTensor cache stats:')\n"
        "logging.getLogger('safealign').info('ours')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "ours" in result.stderr and "FakeTensor" not in result.stderr, result.stderr


def test_generate_refuses_a_chat_that_ends_with_the_assistants_answer(tmp_path):
    """A training row (the answer last) was taken as a prompt: the model wrote a second assistant turn after it."""
    from safealign.cli.generate_cmd import read_prompts
    from safealign.errors import DataError

    chat = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "A tip?"},
        {"role": "assistant", "content": "Start small."},
    ]
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"messages": chat}) + "\n")
    with pytest.raises(
        DataError, match=r"p.jsonl:2: the row ends with the assistant's answer \(messages\[2\]\)"
    ) as e:
        read_prompts(prompts)
    assert "drop the final assistant turn" in str(e.value)
    prompts.write_text(json.dumps({"messages": chat[:2]}) + "\n")
    assert read_prompts(prompts) == [(f"{prompts}:1", chat[:2])]


def test_generate_stopped_while_writing_leaves_no_half_file(tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM, or a full disk) while the completions were written left `.OUT.partial` with some of them."""
    import safealign.generation as generation
    from safealign.cli.main import app

    real = generation.Completion.to_dict
    written = []

    def stop_at_the_third(self):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(self)
        return real(self)

    monkeypatch.setattr(generation.Completion, "to_dict", stop_at_the_third)
    monkeypatch.chdir(tmp_path)
    prompts = [arg for text in "abcd" for arg in ("-p", text)]
    result = CliRunner().invoke(
        app, ["generate", "tiny", *prompts, "--max-new-tokens", "4", "--out", "o.jsonl"]
    )
    assert result.exit_code == 130 and len(written) == 2, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [], result.output


def test_generate_refuses_a_row_with_both_a_prompt_and_a_chat(tmp_path):
    """The 'messages' of a row that also had a 'prompt' string were dropped without a word."""
    from safealign.cli.generate_cmd import read_prompts
    from safealign.errors import DataError

    prompts = tmp_path / "p.jsonl"
    chat = [{"role": "user", "content": "b"}]
    prompts.write_text(json.dumps({"prompt": "a", "messages": chat}) + "\n")
    with pytest.raises(DataError, match=r"p.jsonl:1: has both a 'prompt' and a 'messages' field.*keep one"):
        read_prompts(prompts)
    prompts.write_text(json.dumps({"prompt": None, "messages": chat}) + "\n")  # datasets' to_json writes null
    assert read_prompts(prompts) == [(f"{prompts}:1", chat)]


@pytest.mark.parametrize("every", ["0", "30s", "59"])
def test_monitor_evaluate_refuses_an_interval_under_a_minute(tmp_path, monkeypatch, every) -> None:
    """`--every 30s` was accepted: the next run starts --every after the last started, so a schedule shorter than one
    eval run (minutes) ran full passes over the suites back to back against the upstream."""
    monkeypatch.chdir(tmp_path)
    argv = [
        "monitor",
        "evaluate",
        "--upstream",
        "http://127.0.0.1:9",
        "--db",
        "sqlite:///m.db",
        "--every",
        every,
    ]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "--every" in result.output and "the floor is 1m" in result.output
    assert "--once" in result.output, result.output


def test_monitor_evaluate_takes_a_minute_and_any_interval_with_once(tmp_path, monkeypatch) -> None:
    ran: list[float] = []
    monkeypatch.setattr(
        "safealign.monitor.reevaluate.evaluate_every", lambda interval, run, stop_after: ran.append(interval)
    )
    monkeypatch.chdir(tmp_path)
    argv = ["monitor", "evaluate", "--upstream", "http://127.0.0.1:9", "--db", "sqlite:///m.db", "--every"]
    for every in (["1m"], ["0", "--once"]):
        result = CliRunner().invoke(app, [*argv, *every], env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
    assert ran == [60.0, 0.0]
