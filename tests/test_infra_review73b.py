"""Review 73b of the small infrastructure modules (errors, distributed, machine_load, http_deadline, paths...)."""

from __future__ import annotations

import errno

import pytest


def test_an_exceeded_disk_quota_is_told_as_such_with_the_fix(capsys) -> None:
    """EDQUOT (a user's quota on a cluster's shared disk) was neither a full disk nor a path error: a raw traceback."""
    import typer

    from safealign.cli.common import friendly_errors

    @friendly_errors
    def fails(error: BaseException) -> None:
        raise error

    with pytest.raises(typer.Exit) as exit_info:
        fails(OSError(errno.EDQUOT, "Disk quota exceeded", "/home/u/runs/x/sft/checkpoint-5/optimizer.pt"))
    assert exit_info.value.exit_code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "disk quota is exceeded" in err and "rerun the same command" in err
    assert "MiB free" not in err  # the disk's free space says nothing of a quota


def test_a_full_disk_under_a_safetensors_write_is_told_and_other_safetensors_errors_are_not() -> None:
    """model.safetensors (the Trainer's checkpoints, save_pretrained) fails on a full disk with a SafetensorError, which
    disk_full_message did not take for one. The texts are what safetensors raised writing onto a full tmpfs."""
    from safetensors import SafetensorError

    from safealign.errors import disk_full_message

    full = SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert (disk_full_message(full) or "").startswith("the disk is full (SafetensorError: Error while serializing")
    quota = SafetensorError("Error while serializing: I/O error: Disk quota exceeded (os error 122)")
    assert (disk_full_message(quota) or "").startswith("your disk quota is exceeded")
    assert disk_full_message(SafetensorError("Error while serializing: I/O error: Permission denied (os error 13)")) is None
    assert disk_full_message(SafetensorError("Error while deserializing header: HeaderTooLarge")) is None


def test_a_safealign_home_under_an_unknown_users_home_names_the_setting(monkeypatch) -> None:
    """SAFEALIGN_HOME=~name/... for a user this machine does not have raised pathlib's bare RuntimeError ("Could not
    determine home directory"), which the CLI showed as a traceback; it is a SafealignError naming the setting and the
    fix (the CLI's one red line)."""
    from safealign.errors import SafealignError
    from safealign.paths import models_cache

    monkeypatch.setenv("SAFEALIGN_HOME", "~nosuchuser73b/cache")
    with pytest.raises(SafealignError) as raised:
        models_cache()
    said = str(raised.value)
    assert "SAFEALIGN_HOME='~nosuchuser73b/cache' starts with a home folder this machine cannot find" in said
    assert "set SAFEALIGN_HOME to a folder you can write to" in said


def test_under_a_cpu_quota_other_processes_count_only_where_they_left_the_stage_short() -> None:
    """A stage capped at 2 CPUs' worth (docker --cpus 2, a Kubernetes limit) on a 16-CPU host whose other 14 CPUs ran
    other jobs was recorded as 'other processes 50%' and noted as having shared the machine, every stage of every run,
    though it had its whole quota; only others that left it short of its quota take from it."""
    from safealign.machine_load import CpuSnapshot, machine_load, shared_share

    start = CpuSnapshot(busy=0.0, idle=0.0, steal=0.0, own=0.0, cpus=16, quota=2.0)
    # 100 s on 16 CPUs: the stage used its 2 CPUs (200 CPU s), others 800, idle 600
    had_its_quota = machine_load(start, CpuSnapshot(busy=1000.0, idle=600.0, steal=0.0, own=200.0, cpus=16, quota=2.0))
    assert had_its_quota == {"steal": 0.0, "other_processes": 0.0, "this_process": 1.0, "idle": 0.0}
    assert shared_share(had_its_quota) == 0.0
    # a saturated host: others ran 1,500 CPU s, 100 more than the 14 CPUs beyond the quota hold; the stage got 100
    starved = machine_load(start, CpuSnapshot(busy=1600.0, idle=0.0, steal=0.0, own=100.0, cpus=16, quota=2.0))
    assert starved == {"steal": 0.0, "other_processes": 0.5, "this_process": 0.5, "idle": 0.0}
    # the hypervisor steals from every CPU alike: its share stays; no quota, or one of every CPU, changes nothing
    stolen = machine_load(start, CpuSnapshot(busy=1000.0, idle=440.0, steal=160.0, own=200.0, cpus=16, quota=2.0))
    assert stolen is not None and stolen["steal"] == 0.1 and stolen["other_processes"] == 0.0
    for quota in (None, 16.0):
        plain = machine_load(start, CpuSnapshot(busy=1000.0, idle=600.0, steal=0.0, own=200.0, cpus=16, quota=quota))
        assert plain == {"steal": 0.0, "other_processes": 0.5, "this_process": 0.125, "idle": 0.375}


def test_the_cpu_quota_is_read_from_cgroup_v2_and_v1_files(tmp_path, monkeypatch) -> None:
    """cgroup v2's cpu.max of the process's cgroup and those above it (the smallest); v1's cfs quota in a container,
    where /proc names the host's path of a cgroup mounted at the root; none without a quota or a /proc file."""
    import safealign.machine_load as machine_load

    mount, proc = tmp_path / "cgroup", tmp_path / "cgroup_of_self"
    monkeypatch.setattr(machine_load, "CGROUP_MOUNT", mount)
    monkeypatch.setattr(machine_load, "PROC_CGROUP", proc)
    assert machine_load.cgroup_cpu_quota() is None  # no /proc file (not Linux)
    (mount / "kubepods" / "pod1" / "ctr").mkdir(parents=True)
    (mount / "kubepods" / "pod1" / "cpu.max").write_text("400000 100000\n")
    (mount / "kubepods" / "pod1" / "ctr" / "cpu.max").write_text("max 100000\n")
    proc.write_text("0::/kubepods/pod1/ctr\n")
    assert machine_load.cgroup_cpu_quota() == 4.0
    (mount / "cpu,cpuacct").mkdir()
    (mount / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    (mount / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("150000\n")
    proc.write_text("5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    assert machine_load.cgroup_cpu_quota() == 1.5
    (mount / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("-1\n")
    assert machine_load.cgroup_cpu_quota() is None
