"""Machine load over a stage: shares of the CPU time from literal counters, the stage record, and where it is shown."""

from __future__ import annotations

import json
import time

import pytest

import safealign.runs as runs
from safealign.cli.run_cmd import shared_machine_notes
from safealign.machine_load import CpuSnapshot, describe, machine_load, shared_share, snapshot
from safealign.runs import StageRecord


def test_shares_of_the_cpu_time_between_two_snapshots() -> None:
    start = CpuSnapshot(busy=100.0, idle=50.0, steal=10.0, own=20.0)
    end = CpuSnapshot(
        busy=160.0, idle=70.0, steal=20.0, own=60.0
    )  # 90 s of CPU time: 60 busy (40 ours), 20 idle, 10 stolen
    assert machine_load(start, end) == {
        "steal": 0.1111,
        "other_processes": 0.2222,
        "this_process": 0.4444,
        "idle": 0.2222,
    }
    assert shared_share(machine_load(start, end)) == pytest.approx(0.3333)
    assert describe(machine_load(start, end)) == "hypervisor steal 11.1%, other processes 22.2%"


def test_no_load_without_both_snapshots_or_without_elapsed_cpu_time() -> None:
    now = CpuSnapshot(busy=1.0, idle=1.0, steal=0.0, own=0.5)
    assert machine_load(None, now) is None and machine_load(now, None) is None
    assert machine_load(now, now) is None  # no CPU time passed: no shares to give
    assert describe(None) == "" and shared_share(None) == 0.0


def test_own_time_counted_beyond_the_busy_time_is_capped() -> None:
    # process counters tick at another granularity than the system's: our share never exceeds what was busy
    load = machine_load(
        CpuSnapshot(0.0, 0.0, 0.0, 0.0), CpuSnapshot(busy=10.0, idle=10.0, steal=0.0, own=10.5)
    )
    assert load == {"steal": 0.0, "other_processes": 0.0, "this_process": 0.5, "idle": 0.5}


def test_this_process_burning_cpu_shows_as_its_own_share() -> None:
    start = snapshot()
    if start is None:
        pytest.skip("psutil cannot read the CPU counters here")
    deadline = time.process_time() + 0.5
    while time.process_time() < deadline:
        pass
    load = machine_load(start, snapshot())
    # Half a second of our CPU time is ~1/(cores x load) of the machine's: 0.11 at a load of 9 on 2 cores, where the
    # earlier bar (0.1) failed; a share of none (our counters not read) still fails this one.
    assert load is not None and load["this_process"] > 0.02
    assert sum(load.values()) == pytest.approx(1.0, abs=0.001)


def test_a_finished_stage_records_its_machine_load_and_not_the_raw_counters(tmp_path, monkeypatch) -> None:
    # literal counters at both ends: the load written is exact, not whatever the machine did meanwhile (or None)
    record = StageRecord(
        stage="eval:sft",
        parent="m",
        output=str(tmp_path / "summary.json"),
        config={},
        seed=1,
        started_at=time.time(),
    )
    record.cpu_at_start = CpuSnapshot(busy=100.0, idle=50.0, steal=10.0, own=20.0)
    monkeypatch.setattr(runs, "snapshot", lambda: CpuSnapshot(busy=160.0, idle=70.0, steal=20.0, own=60.0))
    record.finish(tmp_path)
    written = json.loads((tmp_path / "stage.json").read_text())
    assert "cpu_at_start" not in written
    assert written["machine_load"] == {
        "steal": 0.1111,
        "other_processes": 0.2222,
        "this_process": 0.4444,
        "idle": 0.2222,
    }


def test_the_run_table_names_stages_that_shared_the_machine() -> None:
    stages = [
        {
            "stage": "sft",
            "machine_load": {"steal": 0.061, "other_processes": 0.35, "this_process": 0.55, "idle": 0.039},
        },
        {
            "stage": "rl",
            "machine_load": {"steal": 0.002, "other_processes": 0.01, "this_process": 0.9, "idle": 0.088},
        },
        {"stage": "sample"},  # a record written before machine_load existed
    ]
    assert shared_machine_notes(stages) == [
        "sft shared the machine (hypervisor steal 6.1%, other processes 35.0% of the CPU time): its wall time is longer "
        "than the stage alone takes"
    ]


def test_stage_readme_and_model_card_state_the_load(tmp_path) -> None:
    from safealign.card.stage_readme import write_stage_readme
    from safealign.card.summary import hardware

    load = {"steal": 0.061, "other_processes": 0.35, "this_process": 0.55, "idle": 0.039}
    record = {
        "stage": "sft",
        "parent": "p",
        "output": "runs/q/sft/model",
        "seed": 7,
        "wall_time_s": 10.0,
        "metrics": {},
        "inputs": {},
        "machine_load": load,
        "hardware": {"cpu_count": 2, "torch_threads": 2},
    }
    write_stage_readme(tmp_path, record)
    assert (
        "| CPU time that was not this stage's | hypervisor steal 6.1%, other processes 35.0% |"
        in (tmp_path / "README.md").read_text()
    )
    assert hardware(record) == (
        "2 CPU cores (2 torch threads), no GPU (CPU time not this stage's: hypervisor steal 6.1%, "
        "other processes 35.0%)"
    )
    assert hardware(record | {"machine_load": None}) == "2 CPU cores (2 torch threads), no GPU"


def test_hardware_names_the_cpu_and_its_matmul_extensions() -> None:
    from safealign.card.summary import hardware
    from safealign.runs import cpu_model

    cpuinfo = (
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu sse avx2 avx512f amx_tile\n\n"
        "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu sse avx2 avx512f amx_tile\n"
    )
    info = cpu_model(cpuinfo)
    assert info == {
        "cpu_model": "Intel(R) Xeon(R) Platinum 8480+",
        "cpu_matmul_flags": ["avx2", "avx512f", "amx_tile"],
    }
    assert cpu_model("") == {}
    record = {"hardware": {"cpu_count": 2, "torch_threads": 2} | info}
    assert (
        hardware(record)
        == "2 CPU cores (2 torch threads) of Intel(R) Xeon(R) Platinum 8480+ [avx2, avx512f, amx_tile], no GPU"
    )
