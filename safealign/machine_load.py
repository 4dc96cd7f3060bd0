"""Who else had the CPU while a piece of work ran: the hypervisor's steal and other processes' CPU time.

On a shared VM the same stage, training bit for bit the same model, took 849 s on a quiet hour and 1,433 s on an
hour when the hypervisor took ~6% of the CPU and a test suite ran beside it. A stage time means little without
that, so every ``stage.json`` records it (``machine_load``) and ``safealign run`` says when a stage shared the
machine. The counters are psutil's (the system-wide CPU times of /proc/stat on Linux, and the stage's own processes':
this one and its children, or under ``accelerate launch``/``torchrun`` every rank on this machine); steal is
Linux-only and reads 0 elsewhere. Where the stage may run on only some of the machine's CPUs (a cpuset: a Slurm job,
``docker --cpuset-cpus``, a Kubernetes pod with exclusive CPUs), only those CPUs' times count: /proc/stat lists every
CPU of the host, and other jobs' work on CPUs the stage cannot use took nothing from it. Where a CPU quota caps the
stage below those CPUs (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``: ``docker --cpus``, a Kubernetes CPU limit), the
shares are of the CPU time the quota lets it have: other processes took from it only what the CPUs it could never use
could not hold.
"""

from __future__ import annotations

import os
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A stage whose CPU time was this much someone else's (steal + other processes) ran on a shared machine.
SHARED_AT = 0.05

# /proc/stat's columns after the CPU's name, in seconds once divided by the clock tick (psutil's names)
CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")


@dataclass(frozen=True)
class CpuSnapshot:
    """System-wide CPU seconds by kind (all cores together) and the stage's own processes' CPU seconds, at one moment."""

    busy: float
    idle: float
    steal: float
    own: float
    # what the counters are of, not counters (snapshots compare by their counters): how many CPUs' times they sum, and
    # the CPUs' worth of time a cgroup quota lets the stage use (None without one)
    cpus: int | None = field(default=None, compare=False)
    quota: float | None = field(default=None, compare=False)


def snapshot() -> CpuSnapshot | None:
    """The CPU counters now, or None where psutil cannot read them."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        processes = launch_processes()
        machine, cpus = stage_cpu_times(processes[0])
        own = sum(process_cpu(process) for process in processes)
    except (OSError, RuntimeError, psutil.Error):
        return None
    steal = getattr(machine, "steal", 0.0)
    idle = machine.idle + getattr(machine, "iowait", 0.0)
    # guest and guest_nice are already counted in user and nice on Linux; summing them would count them twice
    busy = sum(getattr(machine, kind, 0.0) for kind in ("user", "nice", "system", "irq", "softirq"))
    return CpuSnapshot(busy=busy, idle=idle, steal=steal, own=own, cpus=cpus, quota=cgroup_cpu_quota())


def stage_cpu_times(root: Any) -> tuple[Any, int | None]:
    """The CPU times of the CPUs that ``root`` (the stage's first process: it or its launcher) may run on, summed, and
    how many they are; the system-wide ones (psutil's) where that is every CPU or the CPUs cannot be told apart (not
    Linux)."""
    import psutil

    per_cpu = per_cpu_times()
    try:
        allowed = set(root.cpu_affinity()) & set(per_cpu)
    except (AttributeError, OSError, psutil.Error):  # macOS has no affinity
        allowed = set()
    if not allowed or allowed == set(per_cpu):
        return psutil.cpu_times(), len(per_cpu) or psutil.cpu_count()
    summed = CpuTimes(*(sum(column) for column in zip(*(per_cpu[cpu] for cpu in allowed), strict=True)))
    return summed, len(allowed)


# Where the kernel says which cgroup a process is in, and where the cgroup file systems are mounted
PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_MOUNT = Path("/sys/fs/cgroup")


def cgroup_cpu_quota() -> float | None:
    """The CPUs' worth of time this process's cgroup and those above it let it use (the smallest quota over its period),
    or None without a quota or off Linux. cgroup v2 writes ``cpu.max`` ("200000 100000", or "max ..."); v1
    ``cpu.cfs_quota_us`` (-1 for none) and ``cpu.cfs_period_us``. In a container /proc names the host's path of a
    cgroup mounted at the root, so the folders above a path that is not there are tried too."""
    try:
        lines = PROC_CGROUP.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: one hierarchy
            mounts, read = [CGROUP_MOUNT], _v2_quota
        elif "cpu" in controllers.split(","):
            mounts, read = [CGROUP_MOUNT / controllers, CGROUP_MOUNT / "cpu"], _v1_quota
        else:
            continue
        relative = Path(path.lstrip("/"))
        folders = [mount / folder for mount in mounts for folder in (relative, *relative.parents)]
        quotas += [quota for folder in folders if (quota := read(folder)) is not None]
    return min(quotas, default=None)


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text(encoding="ascii").split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period = int((folder / "cpu.cfs_period_us").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def per_cpu_times() -> dict[int, CpuTimes]:
    """Each online CPU's times by its number, from /proc/stat ({} elsewhere). psutil's per-CPU list drops the numbers,
    and an offline CPU (SMT switched off) shifts every one after it, so they are read here."""
    try:
        lines = Path("/proc/stat").read_text(encoding="ascii").splitlines()
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return {}
    times = {}
    for line in lines:
        name, *values = line.split() or [""]
        if name.startswith("cpu") and name[3:].isdigit():
            counts = [int(value) / tick for value in values[: len(CpuTimes._fields)]]
            times[int(name[3:])] = CpuTimes(*counts, *[0.0] * (len(CpuTimes._fields) - len(counts)))
    return times


def launch_processes() -> list[Any]:
    """The processes whose CPU time is the stage's own: this one and its children; under a launcher that starts one
    process per rank on this machine (torchrun, ``accelerate launch``: LOCAL_WORLD_SIZE above 1), the launcher, every
    rank and their children. Rank 0 records the stage, and the other ranks' training is not "other processes"."""
    import psutil

    this = psutil.Process()
    local_ranks = os.environ.get("LOCAL_WORLD_SIZE", "1")
    root = (this.parent() or this) if local_ranks.isdigit() and int(local_ranks) > 1 else this
    return [root, *root.children(recursive=True)]


def process_cpu(process: Any) -> float:
    """CPU seconds of ``process`` and of its children it has waited for; 0 for one that ended since it was listed."""
    import psutil

    try:
        times = process.cpu_times()
    except psutil.Error:  # NoSuchProcess: a child that exited; AccessDenied
        return 0.0
    return (
        times.user
        + times.system
        + getattr(times, "children_user", 0.0)
        + getattr(times, "children_system", 0.0)
    )


def machine_load(start: CpuSnapshot | None, end: CpuSnapshot | None) -> dict[str, float] | None:
    """Shares of the machine's CPU time between two snapshots: taken by the hypervisor (``steal``), used by other
    processes (``other_processes``), used by the stage's own (``this_process``: every rank of a launch), and left idle;
    None without both. Under a CPU quota below the CPUs counted, shares of the time the quota lets the stage have."""
    if start is None or end is None:
        return None
    busy, idle, steal = end.busy - start.busy, end.idle - start.idle, end.steal - start.steal
    total = busy + idle + steal
    if total <= 0:
        return None
    own = min(max(end.own - start.own, 0.0), busy)
    others = busy - own
    quota, cpus = end.quota, end.cpus
    if quota is not None and cpus and quota < cpus:
        share = quota / cpus  # of the CPU time counted, what the quota lets the stage have
        others = max(0.0, others - total * (1 - share))  # the time the stage could never use held the rest
        total, steal = total * share, steal * share  # the hypervisor steals from every CPU alike
        own = min(own, total - steal - others)
        idle = total - steal - others - own
    return {
        "steal": round(steal / total, 4),
        "other_processes": round(others / total, 4),
        "this_process": round(own / total, 4),
        "idle": round(idle / total, 4),
    }


def shared_share(load: dict[str, Any] | None) -> float:
    """The share of the machine's CPU time that was someone else's: the hypervisor's and other processes'."""
    return (load or {}).get("steal", 0.0) + (load or {}).get("other_processes", 0.0)


def describe(load: dict[str, Any] | None) -> str:
    """``hypervisor steal 6.1%, other processes 35.0%`` (what a record's ``machine_load`` says), or '' without one."""
    if not load:
        return ""
    return f"hypervisor steal {load['steal']:.1%}, other processes {load['other_processes']:.1%}"
