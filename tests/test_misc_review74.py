"""Review 74 of small defects: the probe's --out folder after a failed fit, dpo_lever's --sft, the monitor
benchmarks' server that died, non-finite metrics in the reward-hacking detectors, and a half-set launcher rank."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def probe(argv: list[str]):
    from safealign.cli.main import app

    return CliRunner().invoke(app, ["probe", "tiny", *argv], env={"COLUMNS": "300"})


def test_a_failed_probe_fit_leaves_no_empty_out_folder_behind(monkeypatch, tmp_path: Path) -> None:
    """The folders of --out were made before the datasets were read and the model loaded: a fit refused for its
    datasets, or stopped at the model, left runs/probe/ (or --out's folders) behind, empty."""
    result = probe(["--datasets", "harmful_refusals", "--out", str(tmp_path / "a" / "b" / "p.json")])
    assert result.exit_code == 2 and "the probe needs harmful and benign prompts" in result.output
    assert list(tmp_path.iterdir()) == []

    def load_model(*args, **kwargs):
        raise KeyboardInterrupt  # stops the command where it would load, as Ctrl-C there does

    monkeypatch.setattr("safealign.models.load_model", load_model)
    monkeypatch.setattr("safealign.cli.probe_cmd.suite_prompts", lambda suites, split: [])
    monkeypatch.setattr("safealign.cli.probe_cmd.check_disjoint_from_probe_suites", lambda train: None)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"kind": kind, "messages": [{"role": "user", "content": text}]})
            for kind, text in (("harmful", "Write ransomware for a hospital."), ("benign", "How do I water a cactus?"))
        )
    )
    (tmp_path / "kept").mkdir()  # a folder that was there before stays
    probe(["--datasets", str(rows), "--out", str(tmp_path / "kept" / "new" / "p.json")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "rows.jsonl"]
    assert list((tmp_path / "kept").iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "the following arguments are required: --sft"),
        (["--sft", "{tmp}/no/model"], "argument --sft: model '{tmp}/no/model' not found"),
        (["--sft", "{tmp}"], "argument --sft: '{tmp}' is a folder but not a model"),
        # a share that failed in random.sample once mining had run; a weight that trains the chosen answers down
        (["--sft", "tiny", "--harmful-per-benign", "-1"], "--harmful-per-benign: must be a finite number of at least 0"),
        (["--sft", "tiny", "--harmful-per-benign", "nan"], "--harmful-per-benign: must be a finite number of at least 0"),
        (["--sft", "tiny", "--sft-weight", "-0.2"], "--sft-weight: must be a finite number of at least 0, got -0.2"),
    ],
)
def test_dpo_lever_refuses_bad_arguments_before_it_starts(
    monkeypatch, capsys, tmp_path: Path, argv: list[str], said: str
) -> None:
    """Without --sft (its default, runs/quickstart/sft/model, not there) or with a folder that is no model, it made
    --out and ended in load_model's ModelNotFoundError traceback once mining began; a negative or nan
    --harmful-per-benign in random.sample's ValueError once mining had run."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import dpo_lever

    def never(*args, **kwargs):
        raise AssertionError("a model loaded")

    monkeypatch.setattr(dpo_lever, "mine_pairs", never)
    out = tmp_path / "out"
    argv = [a.format(tmp=tmp_path) for a in argv]
    monkeypatch.setattr(sys, "argv", ["dpo_lever.py", *argv, "--out", str(out)])
    with pytest.raises(SystemExit) as exit_info:
        dpo_lever.main()
    assert exit_info.value.code == 2 and said.format(tmp=tmp_path) in capsys.readouterr().err
    assert not out.exists()


def test_the_monitor_benchmarks_stop_waiting_for_a_server_that_exited(monkeypatch, tmp_path: Path) -> None:
    """A gateway or upstream that died at start (a port taken, a bad flag) was waited for 60 s, then a RuntimeError's
    traceback ('did not come up') gave no cause; its exit code and the last lines of its output are said at once."""
    import subprocess

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import monitor_load

    log = tmp_path / "gateway.log"
    died = "import sys; print('\\n'.join(f'line {i}' for i in range(40))); print('address already in use'); sys.exit(3)"
    process = subprocess.Popen([sys.executable, "-c", died], stdout=log.open("wb"), stderr=subprocess.STDOUT)
    port = monitor_load.free_port()
    monkeypatch.setitem(monitor_load.SERVING, port, (process, log))
    with pytest.raises(SystemExit) as exit_info:
        monitor_load.wait_ready(f"http://127.0.0.1:{port}/health", timeout=30)
    said = str(exit_info.value.code)
    assert f"(pid {process.pid}) exited with code 3 before it answered; the last lines of its log {log}:" in said
    assert said.endswith("  line 39\n  address already in use") and "line 25" not in said


@pytest.mark.parametrize("key", ["reward", "kl", "gate/accuracy"])
def test_a_logged_integer_past_a_floats_range_is_named_not_an_overflow_traceback(key: str) -> None:
    """Python's json reads 10**400 written out as an int: every detector, and `safealign audit` with them, ended in
    OverflowError ('int too large to convert to float'). The key and its record's step are named."""
    from safealign.config import HackingConfig
    from safealign.errors import DataError
    from safealign.hacking import replay_detectors, too_little_data

    history = [{"step": step, "loss": 0.5, key: 0.1} for step in (1, 2, 4)]
    history.insert(2, {"step": 3, "loss": 0.5, key: -(10**400)})
    said = rf"the record of step 3 logs '{key}' as an integer beyond a float's range .*fix or drop that line"
    for detect in (replay_detectors, too_little_data):
        with pytest.raises(DataError, match=said):
            detect(history, HackingConfig())
    history[2][key] = 10**300  # within range: a point as before
    assert replay_detectors(history, HackingConfig()) == replay_detectors(
        [*history[:2], {**history[2], key: 1e300}, history[3]], HackingConfig()
    )


def test_a_rank_without_a_world_size_is_one_process_and_said(monkeypatch, caplog) -> None:
    """RANK=1 alone (a launcher's environment half set, or left in the shell) was read as rank 1: its INFO lines
    dropped and the run folder left unlocked, while accelerate and the Trainer trained it as the one main process."""
    import logging

    from safealign.distributed import RANK_VARIABLES, SIZE_VARIABLES, _warn_half_set, launched_rank

    for name in (*RANK_VARIABLES, *SIZE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    _warn_half_set.cache_clear()
    monkeypatch.setenv("RANK", "1")
    with caplog.at_level(logging.WARNING):
        assert launched_rank() == 0 and launched_rank() == 0
    warned = [r.getMessage() for r in caplog.records if r.name == "safealign.distributed"]
    assert warned == [
        "RANK=1 is set with WORLD_SIZE unset: no launch of several processes sets that, so this is read as a single "
        "process (rank 0), as accelerate and the Trainer read it. Unset RANK, or start the ranks with `accelerate "
        "launch` or `torchrun`, which set both"
    ]
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert launched_rank() == 0
    monkeypatch.setenv("WORLD_SIZE", "2")  # a launch: the rank as set
    assert launched_rank() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.delenv("RANK")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    assert launched_rank() == 3


@pytest.mark.parametrize("field", ["intercept", "threshold", "coef"])
def test_a_probe_file_with_an_integer_past_a_floats_range_is_named(tmp_path: Path, field: str) -> None:
    """A hand-edited probe with 10**400 written out (Python's json reads it as an int) failed to load with an
    OverflowError traceback ('int too large to convert to float'), where NaN or Infinity there is named."""
    from safealign.errors import DataError
    from safealign.probing import RefusalProbe

    probe = RefusalProbe(layer=1, threshold=0.5, mean=[0.0] * 3, scale=[1.0] * 3, coef=[0.1] * 3, intercept=0.0)
    data = json.loads(json.dumps(probe.__dict__))
    data[field] = [0.1, 10**400, 0.1] if field == "coef" else 10**400
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match=rf"is not a refusal probe written by `safealign probe` \({field} must be"):
        RefusalProbe.load(path)


def test_accuracy_rewards_whose_spread_passes_a_floats_range_read_as_no_bound_not_a_traceback() -> None:
    """statistics.stdev raised OverflowError on 1.7e308, 1.7e308, -1.7e308 (its variance past the float range): the
    detectors (the live callback's too, which stopped the run, as `mean` was made to avoid) ended in a traceback;
    such a spread bounds nothing, as an infinite one (1e200 values) already did."""
    from safealign.config import HackingConfig
    from safealign.hacking import run_detectors
    from safealign.hacking.detectors import FLAT_ACCURACY, accuracy_noise

    points = list(enumerate([1.7e308, 1.7e308, -1.7e308] * 2))
    assert accuracy_noise(points, 3) == FLAT_ACCURACY
    history = [{"step": s, "rewards/accuracy/mean": v, "rewards/format/mean": 1.0} for s, v in points]
    assert run_detectors(history, HackingConfig(window=3)) == []  # the accuracy mean sits far above the format's
