"""Lead follow-ups of the seventy-third session's review round."""

from __future__ import annotations

import pytest
import typer
from safetensors import SafetensorError

from safealign.cli.common import friendly_errors


def test_a_full_disk_under_a_safetensors_write_is_one_line_and_other_safetensors_errors_still_raise(capsys):
    """safetensors raises SafetensorError, no OSError, for a model.safetensors written on a full disk: the CLI printed
    its traceback though errors.disk_full_message reads it."""

    @friendly_errors
    def fails(error):
        raise error

    with pytest.raises(typer.Exit) as exit_info:
        fails(SafetensorError("Error while serializing: IoError(No space left on device (os error 28))"))
    assert exit_info.value.exit_code == 2
    stderr = " ".join(capsys.readouterr().err.split())
    assert "disk" in stderr and "rerun the same command" in stderr, stderr
    with pytest.raises(SafetensorError, match="header too large"):
        fails(SafetensorError("Error while deserializing header: HeaderTooLarge (header too large)"))
    with pytest.raises(ValueError, match="other"):
        fails(ValueError("other"))
