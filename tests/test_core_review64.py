"""Review 64 of the compute core: machine load under a cpuset, and the allocator on older glibc and its off switch."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace

import pytest

from safealign import machine_load
from safealign.errors import SafealignError


class PinnedProcess:
    """A stage process that may run on ``cpus`` only (a Slurm job's or a container's cpuset)."""

    def __init__(self, cpus: list[int]) -> None:
        self.cpus = cpus

    def cpu_affinity(self) -> list[int]:
        return self.cpus

    def cpu_times(self) -> SimpleNamespace:
        return SimpleNamespace(user=3.0, system=1.0, children_user=0.0, children_system=0.0)


# psutil's cpu_times() on Linux
CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")


def times(user: float, idle: float, steal: float = 0.0) -> CpuTimes:
    return CpuTimes(user, 0.0, 0.0, idle, 0.0, 0.0, 0.0, steal, 0.0, 0.0)


def test_a_stage_in_a_cpuset_counts_only_its_own_cpus(monkeypatch) -> None:
    psutil = pytest.importorskip("psutil")
    # CPU 0 is the stage's; CPU 1 (another job's) was busy all along: /proc/stat's total line holds both
    per_cpu = {0: times(user=4.0, idle=6.0, steal=1.0), 1: times(user=10.0, idle=0.0)}
    monkeypatch.setattr(machine_load, "per_cpu_times", lambda: per_cpu, raising=False)
    monkeypatch.setattr(psutil, "cpu_times", lambda percpu=False: times(user=14.0, idle=6.0, steal=1.0))
    monkeypatch.setattr(machine_load, "launch_processes", lambda: [PinnedProcess([0])])
    assert machine_load.snapshot() == machine_load.CpuSnapshot(busy=4.0, idle=6.0, steal=1.0, own=4.0)

    # free to run anywhere: the whole machine, as before
    monkeypatch.setattr(machine_load, "launch_processes", lambda: [PinnedProcess([0, 1])])
    assert machine_load.snapshot() == machine_load.CpuSnapshot(busy=14.0, idle=6.0, steal=1.0, own=4.0)


def test_per_cpu_times_are_read_by_cpu_number() -> None:
    per_cpu = machine_load.per_cpu_times()
    if not per_cpu:
        pytest.skip("no /proc/stat here")
    assert all(isinstance(cpu, int) for cpu in per_cpu)
    assert all(t.user >= 0 and t.idle >= 0 for t in per_cpu.values())


class OlderGlibc:
    """mallopt as glibc 2.33 and before answer it: an mmap threshold over HEAP_MAX_SIZE / 2 (32 MiB) is refused."""

    def __init__(self) -> None:
        self.took: dict[int, int] = {}

    def mallopt(self, param: int, value: int) -> int:
        if param == -3 and value > 32 << 20:
            return 0
        self.took[param] = value
        return 1


def test_an_older_glibc_gets_its_largest_mmap_threshold_and_the_trim_one(monkeypatch) -> None:
    from safealign import allocator

    libc = OlderGlibc()
    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.delenv("SAFEALIGN_KEEP_FREED_MEMORY", raising=False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: libc)
    assert allocator.keep_freed_memory() is True
    # M_MMAP_THRESHOLD (-3) at the most that glibc takes, and M_TRIM_THRESHOLD (-1): before, neither was set
    assert libc.took == {-3: 32 << 20, -1: 2**31 - 1}


@pytest.mark.parametrize("value", ["0", "false", "False", "off", "no", " 0 "])
def test_keeping_freed_memory_is_switched_off_by_any_usual_no(monkeypatch, value) -> None:
    from safealign import allocator

    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.setenv("SAFEALIGN_KEEP_FREED_MEMORY", value)
    libc = SimpleNamespace(mallopt=lambda param, value: 1)  # a glibc that takes every setting
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: libc)
    assert allocator.keep_freed_memory() is False


@pytest.mark.parametrize("value", ["1", "yes", "on", "True"])
def test_a_deepspeed_switch_transformers_reads_as_on_is_read_as_on(monkeypatch, value) -> None:
    # transformers' TrainingArguments reads ACCELERATE_USE_DEEPSPEED with strtobool: "1" trains under DeepSpeed,
    # where the gates' rollback does not hold; the launch check read only "true" and let it through.
    from safealign.distributed import check_stage_launch, sharded_training

    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    monkeypatch.delenv("ACCELERATE_DEEPSPEED_CONFIG_FILE", raising=False)
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", value)
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "2")
    assert sharded_training() == "deepspeed"
    with pytest.raises(SafealignError, match="rl.gates need DDP"):
        check_stage_launch("full", gates_enabled=True)
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "0")
    assert sharded_training() is None


def test_vllm_without_a_gpu_says_an_unset_cuda_visible_devices_is_unset(monkeypatch) -> None:
    import torch

    from safealign.distributed import require_gpu_for_vllm

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(SafealignError, match="CUDA_VISIBLE_DEVICES unset"):
        require_gpu_for_vllm()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(SafealignError, match="CUDA_VISIBLE_DEVICES=''"):
        require_gpu_for_vllm()
