"""Review 71 of the benchmark scripts: a result that cannot be written loses neither it nor the earlier one, and bad
input (a results name, a missing eval folder) stops a script with its reason. Results go to a temporary folder."""

from __future__ import annotations

import json
import sys

import pytest
from test_benchmark_fairness import benchmarks  # noqa: F401 - fixture

EARLIER = {"machine": {"date": "2026-11-30 10:00:00"}, "ratio": 1.4}


def _earlier_result(results) -> None:
    results.mkdir(parents=True)
    (results / "x.json").write_text(json.dumps(EARLIER))


def test_a_payload_that_does_not_serialise_leaves_the_earlier_result_in_place(benchmarks):  # noqa: F811
    """It moved to history first, then json.dumps failed: results/x.json, which the README quotes, was gone."""
    import _common

    _earlier_result(_common.RESULTS)
    with pytest.raises(TypeError):
        _common.report("x", "t", ["a"], [[1]], {"per_pair": {(1, 2): 3}})  # tuple keys: not JSON
    assert json.loads((_common.RESULTS / "x.json").read_text()) == EARLIER
    assert not (_common.RESULTS / "history").exists()


def test_a_path_in_the_payload_is_written_as_its_text(benchmarks, tmp_path):  # noqa: F811
    """A script's vars(args) with a --recipe Path ended the run in a TypeError after the whole measurement."""
    import _common

    _earlier_result(_common.RESULTS)
    path = _common.report("x", "t", ["a"], [[1]], {"args": {"recipe": tmp_path / "r.yaml"}, "ratio": 1.2})
    assert json.loads(path.read_text())["args"]["recipe"] == str(tmp_path / "r.yaml")
    (kept,) = (_common.RESULTS / "history").iterdir()
    assert json.loads(kept.read_text()) == EARLIER
    assert sorted(p.name for p in _common.RESULTS.iterdir()) == ["history", "x.json"]  # no temp file left


def _never(*args, **kwargs):
    raise AssertionError("the script went on past bad input")


# (script, its required arguments, what it must not start)
NAMED = [
    ("student_speed", ["--student", "tiny"], "load_model"),
    ("refusal_probe", ["--model", "tiny"], "load_model"),
    ("refusal_vote", ["--model", "tiny"], "evaluate"),
    ("rl_difficulty_lever", ["--sft", "tiny"], "evaluate"),
    ("sft_seed_spread", [], "train_and_score"),
    ("dev_split_validity", ["--model", "a=d:h"], "dev_suites"),
    ("judge_human_agreement", ["--eval", "sft=d"], "load_labels"),
]


@pytest.mark.parametrize(("script", "argv", "heavy"), NAMED)
@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("runs/x", "is not a file name"),
        ("", "is not a file name"),
        ("..", "is not a file name"),
        ("x.json", "without .json"),
    ],
)
def test_a_results_name_that_is_no_file_name_stops_the_script_first(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    script,
    argv,
    heavy,
    name,
    said,
):
    """--name runs/x ran the whole experiment, then report() failed on results/runs/ (FileNotFoundError), losing it;
    --name x.json wrote x.json.json."""
    module = __import__(script)
    monkeypatch.setattr(module, heavy, _never)
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv, "--name", name])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--name" in err and said in err


def test_dev_split_validity_names_a_missing_eval_folder(benchmarks, monkeypatch, tmp_path):  # noqa: F811
    """--model a=/typo:... ended in a FileNotFoundError's traceback on /typo/summary.json."""
    import dev_split_validity

    run = tmp_path / "run"
    run.mkdir()
    for dev, said in (
        (tmp_path / "typo", "typo not found"),
        (run, "run is not an eval folder (no summary.json)"),
    ):
        monkeypatch.setattr(sys, "argv", ["dev_split_validity.py", "--model", f"a={dev}:{dev}"])
        with pytest.raises(SystemExit) as exit_info:
            dev_split_validity.main()
        assert said in str(exit_info.value.code) and "safealign eval --out DIR" in str(exit_info.value.code)
    (run / "summary.json").write_text("[]")
    with pytest.raises(SystemExit, match="expected a JSON object"):
        dev_split_validity.side_rates(run, "harmful")


@pytest.mark.parametrize(
    ("script", "argv", "heavy"),
    [
        ("sft_throughput", ["--model", "MISSING"], ["build_mixture", "run_sft", "load_model"]),
        ("grpo_throughput", ["--model", "MISSING"], ["run_rl", "load_model"]),
        ("generation", ["--model", "MISSING"], ["load_model"]),
        ("student_speed", ["--teacher", "MISSING", "--student", "tiny"], ["load_model"]),
        ("student_speed", ["--student", "prune:0.5", "--student", "MISSING"], ["load_model"]),
    ],
)
def test_a_missing_model_stops_a_speed_script_before_anything_loads(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    tmp_path,
    script,
    argv,
    heavy,
):
    """It was a ModelNotFoundError's traceback once the data was built, or (a student) once the teacher had loaded."""
    module = __import__(script)
    for name in heavy:
        monkeypatch.setattr(module, name, _never)
    missing = str(tmp_path / "no-such-model")
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *(missing if a == "MISSING" else a for a in argv)])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 2 and f"model {missing!r} not found" in capsys.readouterr().err


def test_judge_human_agreement_names_a_missing_or_broken_labels_file(benchmarks, tmp_path):  # noqa: F811
    """--labels with a typo was a FileNotFoundError's traceback, a cut line a JSONDecodeError's."""
    import judge_human_agreement

    with pytest.raises(SystemExit, match="no such file; give a labels JSONL such as"):
        judge_human_agreement.load_labels(tmp_path / "typo.jsonl")
    broken = tmp_path / "labels.jsonl"
    broken.write_text('{"model": "sft", "id": "a", "label": "refusal"}\n{"model": "sft", "id"\n')
    with pytest.raises(SystemExit, match=r"labels.jsonl:2: not a JSON row"):
        judge_human_agreement.load_labels(broken)


def test_the_monitor_load_title_says_how_many_requests_went_unanswered(benchmarks, monkeypatch, capsys):  # noqa: F811
    """Latency and req/s count the requests answered 200 only, and the table said nothing of the others: a gateway
    that failed 40 of 200 under load showed the latency of the 160 it answered."""
    import os
    import types

    import monitor_load

    def summary(ok: int) -> dict:
        return {
            "requests": 200,
            "ok": ok,
            "throughput_rps": 50.0,
            "p50_ms": 1.0,
            "p90_ms": 1.5,
            "p99_ms": 2.0,
        }

    async def scenario(args, delay_ms, upstream, gateway, pids):
        cpu = {f"{side}:{name}": 0.1 for side in ("direct", "gateway") for name in ("upstream", "gateway")}
        return {
            "delay_ms": delay_ms,
            "direct": summary(200),
            "gateway": summary(160),
            "added_p50_ms": 0.0,
            "added_p99_ms": 0.0,
            "added_server_side": {"p50_le_ms": 1.0, "p99_le_ms": 1.0},
            "cpu_ms_per_request": cpu,
            "acked_markers": [],
        }

    process = types.SimpleNamespace(pid=os.getpid())  # its /proc children file exists
    monkeypatch.setattr(monitor_load, "start_upstream", lambda *a, **k: process)
    monkeypatch.setattr(monitor_load, "start_gateway", lambda *a, **k: process)
    for name in ("wait_ready", "stop"):
        monkeypatch.setattr(monitor_load, name, lambda *a, **k: None)
    monkeypatch.setattr(monitor_load, "wait_backlog_drained", lambda *a, **k: 0)
    monkeypatch.setattr(monitor_load, "stored_markers", lambda *a, **k: {})
    monkeypatch.setattr(monitor_load, "scenario", scenario)
    monkeypatch.setattr(sys, "argv", ["monitor_load.py", "--delays-ms", "100"])
    monitor_load.main()
    said = " ".join(capsys.readouterr().out.split())
    assert "NOT ANSWERED 200 (left out of every column): 40 of 200 gateway at 100 ms" in said


def _scored(folder, model: str, system_prompt: str | None) -> None:
    """An eval folder's summary.json as `safealign eval MODEL --system-prompt ... --out folder` writes its config."""
    from safealign.probing import model_identity

    folder.mkdir(parents=True)
    config = {"model": {"spec": model, "identity": model_identity(model)}, "system_prompt": system_prompt}
    (folder / "summary.json").write_text(json.dumps({"suites": {}, "config": config}))


def test_lever_scripts_reuse_an_eval_only_of_the_same_model_and_system_prompt(
    benchmarks,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    """A rerun with another --sft (or --recipe) and the same --out reused the first model's evals and reported their
    counts as the second's."""
    import refusal_vote
    import rl_difficulty_lever

    ran: list[list[str]] = []
    monkeypatch.setattr(rl_difficulty_lever.subprocess, "run", lambda command, **kwargs: ran.append(command))
    first, second = tmp_path / "sft-a", tmp_path / "sft-b"
    out = tmp_path / "exp" / "sft" / "eval"
    for part in rl_difficulty_lever.EVALS:
        _scored(out / part, str(first), "Be helpful.")
    rl_difficulty_lever.evaluate(str(first), out, "Be helpful.")
    assert ran == []  # the same model and prompt: reused
    with pytest.raises(SystemExit, match=f"holds an eval of {first}, not {second}: give another --out"):
        rl_difficulty_lever.evaluate(str(second), out, "Be helpful.")
    with pytest.raises(SystemExit, match="asked with the system prompt 'Be helpful.', not None"):
        refusal_vote.evaluate(str(first), out / "ind", "dev", False, None)
    _scored(tmp_path / "template", str(first), None)  # --system-prompt '': the template's, recorded as null
    refusal_vote.evaluate(str(first), tmp_path / "template", "dev", False, "")
    assert ran == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--eval", "sft=a", "--eval", "sft=b"], "--eval sft given twice (a and b)"),
        (["--eval", "=a"], "NAME=DIR"),
    ],
)
def test_judge_human_agreement_checks_its_evals_before_anything_loads(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    argv,
    said,
):
    """A model named twice was judged twice, the JSON keeping the second under the name the table showed twice; a
    malformed --eval after a good one was refused only once the first model had been judged."""
    import judge_human_agreement

    monkeypatch.setattr(judge_human_agreement, "load_labels", _never)
    monkeypatch.setattr(sys, "argv", ["judge_human_agreement.py", *argv])
    with pytest.raises(SystemExit) as exit_info:
        judge_human_agreement.main()
    assert exit_info.value.code == 2 and said in capsys.readouterr().err


def test_monitor_crash_does_not_call_a_queue_that_never_drained_drained(monkeypatch, tmp_path):
    """The wait for the queue gives up 300 s after the restart, and the row 'queue drained after restart in (s)' then
    read 300.0 with 5 exchanges still queued."""
    from test_benchmarks_review63 import BENCHMARKS, _Clock, _Process

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in ("_common", "monitor_load", "monitor_crash"):
        sys.modules.pop(name, None)
    import _common
    import monitor_crash

    monkeypatch.setattr(_common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(monitor_crash, "time", _Clock())
    monkeypatch.setattr(monitor_crash, "start_upstream", lambda port: _Process())
    monkeypatch.setattr(monitor_crash, "start_gateway", lambda *args, **kwargs: _Process())
    monkeypatch.setattr(monitor_crash, "wait_ready", lambda url: None)
    monkeypatch.setattr(monitor_crash, "alive", lambda pid: False)
    answered = [{"marker": "crash-0", "status": 200, "latency": 0.01, "acked": True}]

    async def load_and_kill(args, gateway, victim, children):
        children.append(4321)
        return answered, 1.0

    async def after_restart(gateway, args):
        return answered

    stuck = {"stored": {"crash-0": "queued"}, "queued": 5, "verdict_counts": [0]}
    monkeypatch.setattr(monitor_crash, "load_and_kill", load_and_kill)
    monkeypatch.setattr(monitor_crash, "_after_restart", after_restart)
    monkeypatch.setattr(monitor_crash, "audit", lambda db_path: stuck)
    monkeypatch.setattr(sys, "argv", ["monitor_crash.py"])
    with pytest.raises(SystemExit, match="crash test failed"):
        monitor_crash.main()
    checks = json.loads((tmp_path / "results" / "monitor_crash.json").read_text())["checks"]
    assert (
        checks["queue drained after restart in (s)"] == "not drained: 5 still queued 300 s after the restart"
    )


def test_refusal_probe_checks_its_stored_answers_before_the_forward_passes(
    benchmarks,  # noqa: F811
    monkeypatch,
    capsys,
    tmp_path,
):
    """--answers without the unseen_* evals (refusal_vote.py makes only dev_* and held_*) ended in a FileNotFoundError
    after every prompt's hidden states and the whole probe grid."""
    import refusal_probe

    answers = tmp_path / "exp-vote"
    for folder in ("dev_greedy", "dev_sampled", "held_greedy", "held_sampled"):
        (answers / folder).mkdir(parents=True)
        (answers / folder / "samples.jsonl").write_text("")
    monkeypatch.setattr(refusal_probe, "load_model", _never)
    monkeypatch.setattr(sys, "argv", ["refusal_probe.py", "--model", "tiny", "--answers", str(answers)])
    with pytest.raises(SystemExit) as exit_info:
        refusal_probe.main()
    err = " ".join(capsys.readouterr().err.split())
    assert exit_info.value.code == 2 and f"no {answers / 'unseen_greedy' / 'samples.jsonl'}, " in err
    assert "dev_greedy" not in err


def test_sft_seed_spread_reuses_a_seed_s_model_only_of_the_same_recipe(benchmarks, monkeypatch, tmp_path):  # noqa: F811
    """A rerun with another --recipe and the same --out kept each seed's model trained from the first recipe."""
    import sft_seed_spread

    commands: list[tuple[str, ...]] = []
    monkeypatch.setattr(sft_seed_spread, "safealign", lambda *args: commands.append(args))
    monkeypatch.setattr(sft_seed_spread, "reuse_eval", lambda *args: True)
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("name: a\nsft:\n  learning_rate: 5.0e-5\n")
    second.write_text("name: a\nsft:\n  learning_rate: 1.0e-4\n")
    out = tmp_path / "spread"
    sft_seed_spread.train_and_score(first, 1, out, None)
    assert commands == [("sft", str(out / "seed1" / "recipe.yaml"), "--out", str(out / "seed1" / "sft"))]
    (out / "seed1" / "sft" / "model").mkdir(parents=True)  # trained
    sft_seed_spread.train_and_score(first, 1, out, None)  # the same recipe: reused
    assert len(commands) == 1
    with pytest.raises(
        SystemExit, match="was trained from .*recipe.yaml, not .*b.yaml with seed 1: give another --out"
    ):
        sft_seed_spread.train_and_score(second, 1, out, None)
