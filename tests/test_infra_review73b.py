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
