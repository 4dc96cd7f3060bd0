"""Small defects of the seventy-fourth session: each test failed on the code before its fix."""

from __future__ import annotations

import signal

import pytest


@pytest.mark.parametrize(
    ("env", "launched"),
    [
        ({"RANK": "1"}, False),  # left in the shell: launched_rank reads a single process
        ({"RANK": "1", "WORLD_SIZE": "1"}, False),
        ({"RANK": "0", "WORLD_SIZE": "2"}, True),
        ({"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4"}, True),
        ({"LOCAL_RANK": "0"}, True),
    ],
)
def test_sigterm_reads_a_stray_rank_as_one_process(monkeypatch, env, launched) -> None:
    """A RANK without a world size above 1 beside it is one process (as launched_rank reads it): SIGTERM stops it as
    Ctrl-C does, and says how to resume; a real launch keeps SIGTERM's default."""
    from safealign.cli.common import sigterm_as_ctrl_c
    from safealign.distributed import RANK_VARIABLES, SIZE_VARIABLES

    for name in (*RANK_VARIABLES, *SIZE_VARIABLES, "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with sigterm_as_ctrl_c():
        assert (signal.getsignal(signal.SIGTERM) is signal.SIG_DFL) is launched
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
