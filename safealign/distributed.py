"""Several processes, one run: who logs, who writes the run's files, and what vLLM and the gates need.

``accelerate launch`` starts one process per GPU (in the tests: two CPU processes over gloo), and
every process runs the same stage code. The Trainer already writes checkpoints from the main process
only; the files safealign writes itself (manifests, ``model/``, ``stage.json``) must follow the same
rule, and the other ranks wait for them, so every rank returns the same paths. In a single plain
process every helper here is a no-op that answers "main".
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from safealign.errors import SafealignError

T = TypeVar("T")

# Launchers name the process's global rank differently: torchrun/accelerate/deepspeed set RANK, MPI the others;
# each sets the number of processes beside it.
RANK_VARIABLES = ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
SIZE_VARIABLES = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")

log = logging.getLogger(__name__)


def launched_rank() -> int:
    """This process's global rank as the launcher set it (0 when not launched), without importing torch.

    Logging is set up when the CLI starts, before any stage knows whether it runs on CPU or GPU;
    reading the environment keeps that from initialising a process group for every command.
    A rank without a world size above 1 beside it (``RANK=1`` alone: an environment half set, or left in the shell)
    is a single process, as accelerate and the Trainer read it, said in a warning: read as rank 1, its INFO lines were
    dropped and the run folder was left unlocked (rank 0's to lock) while the Trainer trained it as the main process.
    """
    for name, size_name in zip(RANK_VARIABLES, SIZE_VARIABLES, strict=True):
        value, size = os.environ.get(name, ""), os.environ.get(size_name, "")
        if not value.isdigit():
            continue
        if int(value) and not (size.isdigit() and int(size) > 1):
            _warn_half_set(name, value, size_name)
            return 0
        return int(value)
    return 0


@functools.cache  # once a process: launched_rank is read at every run lock
def _warn_half_set(name: str, value: str, size_name: str) -> None:
    log.warning(
        "%s=%s is set with %s: no launch of several processes sets that, so this is read as a single process "
        "(rank 0), as accelerate and the Trainer read it. Unset %s, or start the ranks with `accelerate launch` or "
        "`torchrun`, which set both",
        name,
        value,
        _shown_env(size_name),
        name,
    )


def setup_rank_logging(logger: logging.Logger | None = None) -> None:
    """Only rank 0 logs INFO; the other ranks log WARNING and up, each line prefixed with its rank.

    Call after the handlers are set up (``logging.basicConfig``). Eight ranks repeating every INFO
    line would bury the one log worth reading; their warnings and errors still show, marked.
    """
    rank = launched_rank()
    if rank == 0:
        return
    target = logger or logging.getLogger()
    target.setLevel(max(target.level, logging.WARNING))
    for handler in target.handlers:
        handler.setFormatter(logging.Formatter(f"[rank {rank}] %(message)s"))


# The Trainer's default ddp_timeout. Whoever first makes the process group sets its timeout for the
# whole run, so ours matches the Trainer's: rank-0-only work between collectives (a gate's suite
# evaluation, an eval stage) must finish within it.
PROCESS_GROUP_TIMEOUT_S = 1800


def _state() -> Any:
    """accelerate's process state, created the way the Trainer will create it.

    ``cpu`` must match the Trainer's ``use_cpu`` (``precision_args``: CPU when no CUDA). A state first
    made with ``cpu=False`` on a CPU-only machine under ``accelerate launch`` sees one process, not two.
    """
    from datetime import timedelta

    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available(), timeout=timedelta(seconds=PROCESS_GROUP_TIMEOUT_S))


def process_device() -> Any:
    """The device this process trains on: its GPU under accelerate (``cuda:LOCAL_RANK``), else the CPU."""
    return _state().device


def process_index() -> int:
    return _state().process_index


def num_processes() -> int:
    return _state().num_processes


def is_main_process() -> bool:
    """True on global rank 0 (and in a plain single process): the one that writes run files."""
    return _state().is_main_process


def wait_for_everyone() -> None:
    """Barrier: every rank waits here until all have arrived (e.g. until rank 0 has saved the model)."""
    _state().wait_for_everyone()


@contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first, then the others: for work whose result the others then reuse
    (a reference model written to disk, a cache filled once)."""
    with _state().main_process_first():
        yield


def main_process_value(value: T) -> T:
    """Rank 0's ``value`` on every rank, for decisions each rank would otherwise make alone
    (a timing-based precision choice, a gate's verdict): ranks that disagree desynchronise or hang."""
    state = _state()
    if state.num_processes == 1:
        return value
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value], from_process=0)[0]


def require_gpu_for_vllm() -> None:
    """Fail at stage start, with the fix, when vLLM generation is asked for but cannot run here.

    vLLM has no CPU path in TRL's integration, and without a GPU its own error comes late and deep
    inside engine start-up. The import check repeats recipe validation's on purpose: a recipe
    checked on a laptop may run on a machine without the gpu extra.
    """
    import importlib.util

    import torch

    if not torch.cuda.is_available():
        raise SafealignError(
            "rl.use_vllm is on but this process sees no CUDA GPU (torch.cuda.is_available() is False; "
            f"{_shown_env('CUDA_VISIBLE_DEVICES')}). Run on a GPU machine, "
            "or set rl.use_vllm: false to generate with transformers."
        )
    if importlib.util.find_spec("vllm") is None:
        raise SafealignError(
            "rl.use_vllm is on but vLLM is not installed: pip install 'safealign[gpu]', or set rl.use_vllm: false."
        )


def _shown_env(name: str) -> str:
    """``NAME='value'``, or ``NAME unset`` (not ``NAME='unset'``, which reads as a value)."""
    return f"{name}={os.environ[name]!r}" if name in os.environ else f"{name} unset"


def sharded_training() -> str | None:
    """'deepspeed', 'zero3' or 'fsdp' when ``accelerate launch`` set the run up that way, else None.

    Read from the launcher's environment (and the DeepSpeed config file it names: :func:`deepspeed_zero_stage`),
    so it answers before the Trainer builds its Accelerator.
    """
    if _env_flag("ACCELERATE_USE_DEEPSPEED"):
        return "zero3" if deepspeed_zero_stage() == "3" else "deepspeed"
    if _env_flag("ACCELERATE_USE_FSDP"):
        return "fsdp"
    return None


def _env_flag(name: str) -> bool:
    """A launcher switch as transformers and accelerate read it (their ``strtobool``: 1, yes, on... not only "true"):
    a hand-set ACCELERATE_USE_DEEPSPEED=1 trains under DeepSpeed, and was read here as off, skipping its checks."""
    return os.environ.get(name, "").strip().lower() in ("1", "y", "yes", "t", "true", "on")


def deepspeed_zero_stage() -> str:
    """The ZeRO stage of a DeepSpeed launch, as text ('' when unset).

    A launcher config with ``deepspeed_config_file`` (ACCELERATE_DEEPSPEED_CONFIG_FILE) sets the stage in that
    JSON file's ``zero_optimization.stage``, and accelerate then ignores ``zero_stage``; otherwise the launcher
    exports its ``zero_stage`` as ACCELERATE_DEEPSPEED_ZERO_STAGE.
    """
    path = os.environ.get("ACCELERATE_DEEPSPEED_CONFIG_FILE", "")
    if not path or path == "none":  # accelerate's "no file" value
        return os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE", "")
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
        stage = config.get("zero_optimization", {}).get("stage", "")
    except (OSError, ValueError, AttributeError) as error:
        raise SafealignError(
            f"cannot read the ZeRO stage from the DeepSpeed config file {path} (ACCELERATE_DEEPSPEED_CONFIG_FILE, "
            f"the launcher config's deepspeed_config_file): {error}. Point deepspeed_config_file at a readable JSON "
            "file with zero_optimization.stage, or launch with recipes/accelerate/zero2.yaml or zero3.yaml."
        ) from error
    return str(stage)


def check_stage_launch(method: str, gates_enabled: bool = False, use_vllm: bool = False) -> None:
    """At stage start, before any model loads: refuse launch setups the stage cannot honour.

    - vLLM without a CUDA GPU (see :func:`require_gpu_for_vllm`).
    - Gates under DeepSpeed or FSDP. Gates measure on rank 0 alone and roll back by copying weights
      into the model, so every rank must hold the full, authoritative weights: true under DDP only.
      DeepSpeed's optimizer keeps its own fp32 master copy (ZeRO-1/2/3), so the rollback would be
      undone at the next step; under ZeRO-3 and FSDP a rank-0-only evaluation waits forever for the
      other ranks' shards.
    - LoRA under ZeRO-3/FSDP: the final model merges the adapter into the base weights in memory,
      which are shards there. LoRA's optimizer state is small; DDP or ZeRO-2 suits it.
    """
    if use_vllm:
        require_gpu_for_vllm()
    backend = sharded_training()
    if gates_enabled and backend is not None:
        raise SafealignError(
            f"rl.gates need DDP, but this run was launched with {backend}: a rollback would not restore the "
            "weights being trained. Launch the RL stage with recipes/accelerate/ddp.yaml (a 1.5B model fits "
            "per GPU under DDP: see docs/scaling.md), or set rl.gates.enabled: false."
        )
    if method == "lora" and backend in ("zero3", "fsdp"):
        raise SafealignError(
            f"method: lora cannot be merged into {backend}-sharded weights at the end of the stage. Launch "
            "with recipes/accelerate/ddp.yaml or zero2.yaml (LoRA's optimizer state is tiny), or use method: full."
        )
