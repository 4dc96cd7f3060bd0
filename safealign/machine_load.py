"""Who else had the CPU while a piece of work ran: the hypervisor's steal and other processes' CPU time.

On a shared VM the same stage, training bit for bit the same model, took 849 s on a quiet hour and 1,433 s on an
hour when the hypervisor took ~6% of the CPU and a test suite ran beside it. A stage time means little without
that, so every ``stage.json`` records it (``machine_load``) and ``safealign run`` says when a stage shared the
machine. The counters are psutil's (the system-wide CPU times of /proc/stat on Linux, and the stage's own processes':
this one and its children, or under ``accelerate launch``/``torchrun`` every rank on this machine); steal is
Linux-only and reads 0 elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

# A stage whose CPU time was this much someone else's (steal + other processes) ran on a shared machine.
SHARED_AT = 0.05


@dataclass(frozen=True)
class CpuSnapshot:
    """System-wide CPU seconds by kind (all cores together) and the stage's own processes' CPU seconds, at one moment."""

    busy: float
    idle: float
    steal: float
    own: float


def snapshot() -> CpuSnapshot | None:
    """The CPU counters now, or None where psutil cannot read them."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        machine = psutil.cpu_times()
        own = sum(process_cpu(process) for process in launch_processes())
    except (OSError, RuntimeError, psutil.Error):
        return None
    steal = getattr(machine, "steal", 0.0)
    idle = machine.idle + getattr(machine, "iowait", 0.0)
    # guest and guest_nice are already counted in user and nice on Linux; summing them would count them twice
    busy = sum(getattr(machine, kind, 0.0) for kind in ("user", "nice", "system", "irq", "softirq"))
    return CpuSnapshot(busy=busy, idle=idle, steal=steal, own=own)


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
    None without both."""
    if start is None or end is None:
        return None
    busy, idle, steal = end.busy - start.busy, end.idle - start.idle, end.steal - start.steal
    total = busy + idle + steal
    if total <= 0:
        return None
    own = min(max(end.own - start.own, 0.0), busy)
    return {
        "steal": round(steal / total, 4),
        "other_processes": round((busy - own) / total, 4),
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
