"""Run folders: ``runs/<name>/<stage>/``, a stage is done only when its ``stage.json`` exists.

``stage.json`` is written last and atomically, so a crash (even ``kill -9``) leaves a stage
without it, and the pipeline resumes that stage from its last checkpoint. A finished stage made from an
earlier stage's output that was made again since is redone (see ``retrained_input``).
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import platform
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from safealign.errors import DataError, SafealignError
from safealign.machine_load import CpuSnapshot, machine_load, snapshot

STAGE_FILE = "stage.json"
SESSIONS_FILE = (
    "sessions.jsonl"  # when each session of a stage started: a resumed stage's wall time counts them all
)
log = logging.getLogger(__name__)

PACKAGES = (
    "safealign",
    "torch",
    "transformers",
    "trl",
    "peft",
    "datasets",
    "accelerate",
    "reasoning-gym",
    "sentence-transformers",
)


def _temp_beside(path: Path) -> Path:
    """A temp file name beside ``path`` that no other process or thread writing ``path`` at the same time uses (a per
    process name let two threads truncate, rename and remove each other's temp file)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")


def write_text(path: Path, text: str | bytes) -> None:
    """Write a file atomically (temp file + rename), so readers never see half a file: a crash or Ctrl-C mid-write
    leaves the old file (or none). Text in UTF-8, whatever the locale; bytes as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path)
    try:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # after an error: no temp file left beside it


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (see :func:`write_text`)."""
    # UTF-8 as read_json reads it (ensure_ascii=False keeps non-ASCII text as is), whatever the locale
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))


def write_jsonl(path: Path, rows: Iterable[Any]) -> None:
    """Write one JSON value a line atomically (temp file + rename): a crash mid-write leaves the file as it was, not a
    half file that reads as a whole one with fewer rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path)
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # after an error: no temp file left beside it


def read_json(path: Path, expect: type | None = None) -> Any:
    """A JSON file (``expect``: the type its top level must have); a file that is not, after a hand edit or a
    disk error, is a DataError naming it rather than a decoder's traceback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(
            f"{path}: not valid JSON ({error}); restore the file, or delete it and rerun the stage that writes it"
        ) from None
    if expect is not None and not isinstance(data, expect):
        raise DataError(
            f"{path}: expected a JSON {'object' if expect is dict else expect.__name__}, got {type(data).__name__}; "
            "restore the file, or delete it and rerun the stage that writes it"
        )
    return data


def drop_undone_rows(path: Path, step: int) -> int:
    """Rewrite a stage's append-only log keeping only rows up to ``step``, the checkpoint a resumed stage starts from:
    rows past it describe steps the crash undid, which the resumed stage logs again (kept, each step showed twice and
    the detectors read both). A line that is not a JSON object (a crash cut it mid-write) goes too: the next row was
    appended onto it, and both were lost to every reader. Returns how many rows were dropped; a row without a step is
    kept."""
    if step <= 0 or not path.is_file():
        return 0
    text = path.read_text(encoding="utf-8", errors="replace")
    kept, dropped, cut = [], 0, 0
    # split on "\n" only: str.splitlines also cuts at U+2028, U+2029 and U+0085, which json.dumps(ensure_ascii=False)
    # writes raw inside a string, and the row was lost (and rewritten without it here)
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            cut += 1
            continue
        row_step = row.get("step")
        if isinstance(row_step, int | float) and not isinstance(row_step, bool) and row_step > step:
            dropped += 1
        else:
            kept.append(line)
    if dropped or cut or (text and not text.endswith("\n")):
        # atomic, as the temp file it was: a full disk leaves the log as it was and no temp file beside it
        write_text(path, "".join(f"{line}\n" for line in kept))
        log.info(
            "%s: dropped %d rows of steps after %d (undone by the crash; the resumed stage logs them again)%s",
            path,
            dropped,
            step,
            f" and {cut} line(s) a crash cut short" if cut else "",
        )
    return dropped + cut


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The object rows of a log that a stage appends to line by line (metrics, gates, rollouts, alerts). A crash,
    even ``kill -9``, can leave its last line half written: lines that are not a JSON object are skipped, and said."""
    if not path.is_file():
        return []
    rows, skipped = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):  # not splitlines(): see above
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # JSONDecodeError; an integer past Python's 4,300 digits; deep nesting
            row = None
        if isinstance(row, dict):
            rows.append(row)
        else:
            skipped += 1
    if skipped:
        log.warning(
            "%s: skipped %d line(s) that are not a JSON object (a crash mid-write leaves half a line)",
            path,
            skipped,
        )
    return rows


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@functools.cache
def source_state() -> tuple[str | None, bool | None]:
    """The commit of the safealign checkout this process runs, and whether its ``safealign/`` had uncommitted changes
    (untracked files included); ``(None, None)`` outside a git checkout. Read once, at the first call, and kept for
    the process: a stage that read HEAD when it started named a commit made while an earlier stage ran, not the code
    it had imported, and a dirty tree named a commit whose code did not run."""
    here = Path(__file__).parent
    env = os.environ | {
        "GIT_OPTIONAL_LOCKS": "0"
    }  # `git status` must not take the index lock of a user's git command
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=here, env=env
        )
        commit = head.stdout.strip() if head.returncode == 0 else ""
        if not commit:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=here,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.stdout.strip()) if status.returncode == 0 else None


def git_commit() -> str | None:
    """The commit this process's safealign code came from (see :func:`source_state`)."""
    return source_state()[0]


def git_dirty() -> bool | None:
    """Whether this process's ``safealign/`` differed from :func:`git_commit` when first asked (see :func:`source_state`)."""
    return source_state()[1]


# CPU features that change how fast torch runs a matmul on this machine; speed figures are only comparable between equal sets
MATMUL_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")


def cpu_model(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU's model name and its matmul extensions, from ``/proc/cpuinfo`` (empty where there is none)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    info: dict[str, Any] = {"cpu_model": fields["model name"]} if fields.get("model name") else {}
    if flags:
        info["cpu_matmul_flags"] = [flag for flag in MATMUL_FLAGS if flag in flags]
    return info


def hardware() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "torch_threads": torch.get_num_threads(),
    }
    info |= cpu_model()
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


@dataclass
class StageRecord:
    """What a finished stage writes to ``stage.json``: enough to trace every number back."""

    stage: str
    parent: str
    output: str
    config: dict[str, Any]
    seed: int
    started_at: float
    finished_at: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=package_versions)
    git_commit: str | None = field(default_factory=git_commit)
    git_dirty: bool | None = field(
        default_factory=git_dirty
    )  # uncommitted changes to safealign/: not git_commit's code
    hardware: dict[str, Any] = field(default_factory=hardware)
    # the machine's CPU counters when the stage started; finish() turns them into ``machine_load`` (see machine_load.py)
    cpu_at_start: CpuSnapshot | None = field(default_factory=snapshot, repr=False)
    # seconds each earlier session of a resumed stage ran (see open_session); wall_time_s adds them to this session's
    earlier_sessions_s: list[float] = field(default_factory=list)

    @property
    def wall_time_s(self) -> float:
        return self.finished_at - self.started_at + sum(self.earlier_sessions_s)

    def open_session(self, stage_dir: Path, checkpoint: Path | None) -> None:
        """Record in ``sessions.jsonl`` that a session of this stage starts now and, when it resumes from
        ``checkpoint``, take the time the earlier sessions ran, so a stage resumed after a crash reports what it cost
        in all (``wall_time_s``), not its last session's part. A session that crashed ran until its last row in
        ``metrics.jsonl`` (rows carry their time; a copied folder's file times would not); one that logged no row
        counts 0 s. A stage that starts over (no checkpoint) counts from now: what ran before left nothing it uses,
        and its logs and checkpoints are set aside (see set_aside_logs)."""
        path = stage_dir / SESSIONS_FILE
        if checkpoint is None:
            set_aside_logs(stage_dir)
        else:
            set_aside_audit(stage_dir)
        sessions = (
            [row for row in read_jsonl(path) if isinstance(row.get("started_at"), int | float)]
            if checkpoint
            else []
        )
        if sessions:
            times = [
                row["time"]
                for row in read_jsonl(stage_dir / "metrics.jsonl")
                if isinstance(row.get("time"), int | float)
            ]
            ends = [row["started_at"] for row in sessions[1:]] + [self.started_at]
            for row, next_start in zip(sessions, ends, strict=True):
                if not isinstance(row.get("ran_s"), int | float):
                    logged = [t for t in times if row["started_at"] <= t <= next_start]
                    row["ran_s"] = round(max(logged) - row["started_at"], 1) if logged else 0.0
            self.earlier_sessions_s = [row["ran_s"] for row in sessions]
        elif checkpoint:
            log.info(
                "%s: no record of the sessions before this one (a stage started before 2026-12-05); its wall time "
                "counts this session only",
                stage_dir,
            )
        stage_dir.mkdir(parents=True, exist_ok=True)
        rows = [
            *sessions,
            {"started_at": self.started_at, "checkpoint": checkpoint.name if checkpoint else None},
        ]
        write_sessions(path, rows)

    def close_session(self, stage_dir: Path) -> None:
        """Give this session's row in ``sessions.jsonl`` the seconds it ran, as the next session's open_session gives a
        crashed one's: the session that finishes has no next session to fill it in."""
        path = stage_dir / SESSIONS_FILE
        rows = read_jsonl(path)
        mine = [row for row in rows if row.get("started_at") == self.started_at]
        if not mine:  # a stage that opened no session (or a sessions.jsonl from elsewhere)
            return
        mine[-1]["ran_s"] = round(self.finished_at - self.started_at, 1)
        write_sessions(path, rows)

    def finish(self, stage_dir: Path) -> None:
        """Write ``stage.json`` (the stage counts as done from here on) and, for a training stage, its README."""
        from safealign.card.stage_readme import write_stage_readme

        self.finished_at = time.time()
        self.close_session(stage_dir)
        record = asdict(self) | {
            "wall_time_s": self.wall_time_s,
            "sessions": len(self.earlier_sessions_s) + 1,
            "machine_load": machine_load(self.cpu_at_start, snapshot()),
        }
        del record["cpu_at_start"]
        write_stage_readme(stage_dir, record)
        write_json(stage_dir / STAGE_FILE, record)


def write_sessions(path: Path, rows: list[dict[str, Any]]) -> None:
    """Replace ``sessions.jsonl`` with ``rows`` at once: a stop mid-write (or a full disk) leaves the old file, and
    no temp file beside it."""
    write_text(path, "".join(json.dumps(row) + "\n" for row in rows))


# What a training stage appends to as it trains: rows a resumed stage trims to its checkpoint (drop_undone_rows)
STAGE_LOGS = ("metrics.jsonl", "rollouts.jsonl", "gates.jsonl", "alerts.jsonl")
# What `safealign audit` writes into an RL stage folder from those logs: stale once the stage trains again
AUDIT_FILE = "audit.json"
# What the RL stage derives from the model it starts from, reused while it resumes: its KL reference copy and its
# difficulty screen. A stage that starts over may start from another model (under the same path, too): set aside.
STAGE_STARTS = ("reference_model", "difficulty_filter.json")


def set_aside_logs(stage_dir: Path, with_settings: bool = False) -> Path | None:
    """Move the logs and ``checkpoint-N`` folders of an earlier attempt of a stage that now starts from step 0 (it
    crashed before its first checkpoint, or `--no-resume`) into ``earlier_attempts/<time>/``: appended to, the logs
    held two runs' steps 1, 2, ... and the detectors, the gate counts and `audit` read both; left in place, the
    checkpoints were what the next resume picked if this attempt crashed before it saved a newer one (a model trained
    half under each attempt's settings). The files of STAGE_STARTS go with them: reused, the KL reference was the
    earlier attempt's starting model, not this one's. An offline audit of those logs (``audit.json``) goes too. Moved,
    not deleted: they are the only record of that attempt. ``with_settings``: its ``config.json`` and
    ``sessions.jsonl`` go with them (see :func:`write_stage_config`). Returns the folder, or None when there was
    nothing to move."""
    logs = [stage_dir / name for name in (*STAGE_LOGS, AUDIT_FILE) if (stage_dir / name).is_file()]
    checkpoints = [
        p for p in stage_dir.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()
    ]
    starts = [stage_dir / name for name in STAGE_STARTS if (stage_dir / name).exists()]
    if not logs and not checkpoints and not starts:
        return None
    settings = [
        stage_dir / name
        for name in ("config.json", SESSIONS_FILE)
        if with_settings and (stage_dir / name).is_file()
    ]
    target = attempt_folder(stage_dir)
    # the logs last: a stop part way leaves every checkpoint still here with its logs (the next resume is of the
    # earlier attempt, whole), where one that had moved the logs first resumed from a checkpoint whose logs were gone
    for path in [*checkpoints, *starts, *logs, *settings]:
        path.replace(target / path.name)
    kept = ", ".join(
        [
            *(["logs"] if logs else []),
            *(["checkpoints"] if checkpoints else []),
            *(p.name for p in [*starts, *settings]),
        ]
    )
    log.warning(
        "%s starts from step 0: the %s of its earlier attempt are now in %s (delete it to free the disk)",
        stage_dir,
        kept,
        target,
    )
    return target


def set_aside_audit(stage_dir: Path) -> Path | None:
    """Move the ``safealign audit`` of a stage that now resumes into ``earlier_attempts/<time>/``: it read steps the
    resume undoes and none it trains now, and the finished stage's README and the card read its notes as this model's.
    The stage's own detectors judge the whole log when it finishes. Returns the folder, or None without an audit."""
    audit = stage_dir / AUDIT_FILE
    if not audit.is_file():
        return None
    target = attempt_folder(stage_dir)
    audit.replace(target / audit.name)
    log.warning(
        "%s resumes: the audit of its earlier attempt is now in %s (run `safealign audit` again once it finishes)",
        stage_dir,
        target,
    )
    return target


def attempt_folder(stage_dir: Path) -> Path:
    """A new, empty ``earlier_attempts/<time>/`` folder in ``stage_dir`` (``<time>-2``, ... when that second has one)."""
    base = stage_dir / "earlier_attempts" / time.strftime("%Y%m%d-%H%M%S")
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    target.mkdir(parents=True)
    return target


# The fields of stage.json its readers (the stage table, compare, the card) use, and the types they must have
RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "stage": str,
    "parent": str,
    "output": str,
    "config": dict,
    "metrics": dict,
    "inputs": dict,
    "wall_time_s": (int, float),
    "seed": int,
}


def stage_done(stage_dir: Path) -> dict[str, Any] | None:
    """A finished stage's record (its ``stage.json``), or None. A record hand-edited into another shape (a number as
    text, a list for the metrics) is a DataError naming the field, not a traceback in whatever reads it next."""
    path = stage_dir / STAGE_FILE
    if not path.is_file():
        return None
    record = read_json(path, dict)
    for name, kind in RECORD_FIELDS.items():
        value = record.get(name)
        if name in record and (not isinstance(value, kind) or isinstance(value, bool)):
            wanted = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
            raise DataError(
                f"{path}: field {name!r} is {value!r}, not {wanted}; restore the file, or delete {stage_dir} and "
                "rerun the stage"
            )
    return record


def check_stage_output_there(model_spec: str) -> None:
    """A model that a finished stage wrote (``STAGE_DIR/model``, the ``output`` its ``stage.json`` records) must be
    there for a stage to start from or score it: deleted to free the disk (or left out of a copy), the stage was
    'already done, skipping' and the next one failed with "model '.../sft/model' not found ... Use
    'embedded:smollm2-135m-instruct', 'tiny', ...", naming no way to get it back. A ModelNotFoundError naming the
    record and the fix; any other spec is left to load_model."""
    from safealign.errors import ModelNotFoundError

    path = Path(model_spec)
    if path.exists() or not (path.parent / STAGE_FILE).is_file():
        return
    record = stage_done(path.parent) or {}
    output = record.get("output")
    if (
        not isinstance(output, str)
        or Path(as_moved(output, recorded_move(record, path.parent))).resolve() != path.resolve()
    ):
        return
    raise ModelNotFoundError(
        f"{model_spec} is gone, though {path.parent / STAGE_FILE} records the {record.get('stage', 'stage')} stage "
        f"that wrote it as finished (the model deleted, or not copied with its folder?): put the model back there, or "
        f"delete {path.parent} and rerun the recipe that made it to make that stage again (the stages made from it are "
        "then made again too)"
    )


def trained_system_prompt(model_spec: str) -> tuple[str, Path] | None:
    """The system prompt a model folder was trained with, and the record that says so; None when there is none.

    A stage writes its model to ``STAGE_DIR/model`` (or ``STAGE_DIR/checkpoint-N``) and records the system prompt it
    trained with in ``STAGE_DIR/stage.json``; a model asked without it answers like another model.
    """
    path = Path(model_spec)
    if not path.is_dir():
        return None
    # absolute: `safealign eval .` inside STAGE_DIR/model looked for ./stage.json ('.'.parent is '.'); links kept
    path = Path(os.path.abspath(path))
    record = stage_done(path.parent)
    prompt = (record or {}).get("inputs", {}).get("system_prompt")
    return (prompt, path.parent / STAGE_FILE) if isinstance(prompt, str) and prompt else None


@dataclass
class StageResult:
    """A stage's output (model folder, traces file or eval summary) and its ``stage.json`` record."""

    model_path: Path
    record: dict[str, Any]


def finished_stage(stage_dir: Path, stage: str, output: Path) -> StageResult | None:
    """``output`` and the record of a finished run of ``stage`` in ``stage_dir`` (its ``stage.json`` exists), else None.

    Done stages are skipped. One made from an earlier stage's output that was made again since (see
    :func:`retrained_input`) is not done: its folder is set aside (see :func:`set_aside_stage`), with a warning, and the
    stage runs again. ``output`` is where the stage writes (a run folder may have moved since the record was written).
    """
    from safealign.distributed import is_main_process, main_process_first

    with (
        main_process_first()
    ):  # every rank calls this: rank 0 sets a stale stage aside before the others look
        done = stage_done(stage_dir)
        upstream = retrained_input(stage_dir, done) if done is not None else None
        if upstream is not None:
            if is_main_process():
                kept = set_aside_stage(stage_dir)
                log.warning(
                    "%s: %s was made again after this stage started, so what %s holds is of an earlier one: "
                    "redoing %s (its earlier result is now in %s)",
                    stage,
                    upstream,
                    stage_dir,
                    stage,
                    kept,
                )
            done = None
    if done is None:
        return None
    recorded = str(done.get("stage", stage))
    if recorded.split(":", 1)[0] != stage:
        from safealign.errors import SafealignError

        raise SafealignError(
            f"{stage_dir} holds a finished `{recorded}` stage, not `{stage}`: give this stage its own folder "
            f"(--out), or delete that one"
        )
    log.info("%s: already done (%s), skipping", stage, stage_dir)
    return StageResult(output, done)


def stage_inputs(record: dict[str, Any]) -> list[str]:
    """What a finished stage was made from, as its ``stage.json`` records it: the model it started from or scored
    (``parent``) and, for distillation, the files of its transfer set (the sample stage's traces among them)."""
    inputs = [record.get("parent")]
    traces = record.get("inputs", {}).get("traces") if isinstance(record.get("inputs"), dict) else None
    if isinstance(traces, dict) and isinstance(traces.get("sources"), list):
        inputs += [source.get("name") for source in traces["sources"] if isinstance(source, dict)]
    return [path for path in inputs if isinstance(path, str) and path]


def retrained_input(stage_dir: Path, record: dict[str, Any] | None = None) -> Path | None:
    """The folder of a stage whose output this finished stage was made from (see :func:`stage_inputs`) and which
    finished after this stage started: trained (or sampled) again since, at the same path, so this stage's model,
    traces or scores are of an output that is gone (deleting `sft/` and rerunning kept `rl/` and the evals as done).
    None when every such stage is older, or an input is no stage's output (a model name, a folder outside a run).
    ``record``: the stage's ``stage.json`` when the caller has it read already."""
    record = stage_done(stage_dir) if record is None else record
    started = (record or {}).get("started_at")
    if not record or not isinstance(started, int | float) or isinstance(started, bool):
        return None
    moved = recorded_move(record, stage_dir)
    for name in stage_inputs(record):
        path = Path(as_moved(name, moved))
        upstream = path.parent
        if (
            not path.exists()
            or upstream.resolve() == stage_dir.resolve()
            or not (upstream / STAGE_FILE).is_file()
        ):
            continue
        finished = (stage_done(upstream) or {}).get("finished_at")
        if isinstance(finished, int | float) and not isinstance(finished, bool) and finished > started:
            return upstream
    return None


def checkpoints_still_apply(stage_dir: Path, stage: str, parent: str, traces: Path | None = None) -> bool:
    """Whether an unfinished stage may resume from its checkpoints: False (with a warning) when the stage it starts
    from (``parent``'s folder) or that made distillation's ``traces`` finished after this stage's first session started
    (``sessions.jsonl``), as :func:`retrained_input` judges a finished stage. A crashed RL whose SFT was then deleted and
    made again resumed from checkpoints trained from the old SFT model, under the new one's path; the stage starts over
    instead, its earlier attempt set aside (see :func:`set_aside_logs`), as a finished one would be redone."""
    from safealign.distributed import is_main_process

    starts = [
        row["started_at"]
        for row in read_jsonl(stage_dir / SESSIONS_FILE)
        if isinstance(row.get("started_at"), int | float) and not isinstance(row.get("started_at"), bool)
    ]
    if not starts:  # nothing to resume, or a stage from before sessions were recorded: as it was
        return True
    sources = [{"name": str(traces)}] if traces is not None else []
    record = {"started_at": min(starts), "parent": parent, "inputs": {"traces": {"sources": sources}}}
    upstream = retrained_input(stage_dir, record)
    if upstream is None:
        return True
    if is_main_process():
        log.warning(
            "%s: %s was made again after this stage started, so the checkpoints in %s are of an earlier one: "
            "starting %s over",
            stage,
            upstream,
            stage_dir,
            stage,
        )
    return False


def set_aside_stage(stage_dir: Path) -> Path:
    """Move everything a stage's folder holds (its record, model, checkpoints, logs, caches) into
    ``earlier_attempts/<time>/``, so that the stage runs again from nothing; returns that folder. A lock held on the
    folder (a stage command's --out outside its run folder, see :func:`run_lock`) stays: moved, it would lock nothing.
    The record goes last: a crash mid-way leaves the stage still done (and still stale, set aside again by the next
    run), where one that had moved it first left a stage that looked unfinished and resumed from the stale stage's
    checkpoints."""
    target = attempt_folder(stage_dir)
    # False sorts first: the record last
    for path in sorted(stage_dir.iterdir(), key=lambda path: path.name == STAGE_FILE):
        if path.name not in ("earlier_attempts", LOCK_FILE):
            path.replace(target / path.name)
    return target


# A run folder's lock: a dot file, so that the card's listings of a folder's files (lineage.json) leave it out. It is
# left in place after the run: removed, a process that opened it just before would lock a file no longer there.
LOCK_FILE = ".lock"
# the run folders this process holds, and how many times (compare runs the pipeline)
_held: dict[Path, int] = {}
# What flock says on a filesystem that takes no file locks (an NFS mount whose lock service is down or missing, some
# FUSE and network mounts): not another process's lock, and no run could start there at all if it stopped this one
NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL})


@contextmanager
def run_lock(run_dir: Path, fix: str) -> Iterator[None]:
    """Hold ``run_dir`` while this process writes in it: a second process on the same folder (the same recipe started
    twice) moved the first's live logs and checkpoints aside, took its half-written answers and interleaved its
    metrics. An exclusive ``flock`` on ``RUN_DIR/.lock``, which the kernel releases when the process ends (kill -9
    too), so a crash leaves no stale lock; on a filesystem that takes no file locks (NO_LOCKS) the run goes on
    unlocked, with a warning. Linux (and macOS) only: fcntl. Under ``accelerate launch`` rank 0 holds it
    for every rank. ``fix`` is what the error offers besides waiting (another recipe name, another --out)."""
    from safealign.distributed import launched_rank

    check_outside_stage_folders(run_dir, itself=False)  # before mkdir: refused, it leaves no folder behind
    key = run_dir.resolve()
    if key in _held or launched_rank() != 0:
        _held[key] = _held.get(key, 0) + 1
        try:
            yield
        finally:
            _held[key] -= 1
            if not _held[key]:
                del _held[key]
        return
    import fcntl

    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / LOCK_FILE).open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            who = f"pid {holder}" if holder else "its pid not written yet"
            raise SafealignError(
                f"{run_dir} is in use by another safealign process ({who}; it holds {run_dir / LOCK_FILE}): two at "
                f"once move each other's logs and checkpoints aside and mix their results. Wait for it to finish, or "
                f"{fix}"
            ) from None
        except OSError as error:
            if error.errno not in NO_LOCKS:
                raise
            log.warning(
                "%s: cannot lock %s (%s): its filesystem takes no file locks (an NFS mount without its lock "
                "service?). Running without the lock, so a second safealign process on this folder is not refused: "
                "start none until this one ends, or write to a folder on a local disk (the recipe's output_dir, or --out)",
                run_dir,
                run_dir / LOCK_FILE,
                error.strerror or error,
            )
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]  # closing the file releases the lock


def check_outside_stage_folders(folder: Path, itself: bool = True) -> None:
    """Refuse a run folder (or a stage command's --out) that lies inside a stage's folder (one holding ``stage.json``
    or ``sessions.jsonl``), or is one (``itself``; a stage command's own --out is one by design): redoing that stage
    moves everything in its folder into ``earlier_attempts/``, the other run's folder, live logs and lock included,
    and the stage's README and the card list its files as the stage's."""
    resolved = folder.resolve()
    for candidate in (resolved, *resolved.parents) if itself else resolved.parents:
        if (candidate / STAGE_FILE).is_file() or (candidate / SESSIONS_FILE).is_file():
            where = "is" if candidate == resolved else f"lies inside {candidate}, which is"
            raise SafealignError(
                f"{folder} {where} the folder of a stage of another run (it holds {STAGE_FILE} or {SESSIONS_FILE}): "
                f"redoing that stage would move everything in it aside, this run's files included. Choose a folder "
                f"outside it (the recipe's output_dir or name, or --out)"
            )


def changed_settings(
    stage_dir: Path, config: dict[str, Any], run: dict[str, tuple[str, Any]] | None = None
) -> dict[str, tuple[Any, Any]]:
    """Settings a finished stage ran with that differ from ``config`` now: ``{key: (then, now)}``.

    ``run``: settings from outside the stage's section, ``{label: (field of stage.json, value now)}`` — the seed
    (``"seed"``), the system prompt (``"inputs.system_prompt"``), the model it started from (``"parent"``).
    Empty when the stage is not finished, or finished with these settings (keys added since count only when
    their value differs from what the record has). A data file the stage trained on that was edited since counts
    too (see :func:`edited_data_files`): the recipe names it as before, and the stage's model is of other rows.
    """
    done = stage_done(stage_dir)
    if not done:
        return {}
    then = done.get("config") if isinstance(done.get("config"), dict) else {}
    changed = {
        key: (then.get(key), value) for key, value in config.items() if key in then and then[key] != value
    }
    for key in (MIXTURE_SETTINGS & config.keys() & then.keys()) - changed.keys():
        if (order := drawn_order(then[key])) != (now_order := drawn_order(config[key])):
            changed[f"{key} (their order)"] = (order, now_order)
    moved = recorded_move(done, stage_dir)
    for label, (field_path, now) in (run or {}).items():
        record: Any = done
        for part in field_path.split("."):
            record = record.get(part, _ABSENT) if isinstance(record, dict) else _ABSENT
        if record is not _ABSENT and record != now and not same_run_path(record, now, moved):
            changed[label] = (record, now)
    return changed | edited_data_files(done, stage_dir)


# A stage's mappings of data files to fractions whose key order decides its rows: build_mixture takes each file's share in
# turn from one seeded generator, so the same fractions in another order are other rows in another order (dict
# equality, which ignores order, kept a finished stage trained on the old mixture without a word).
MIXTURE_SETTINGS = frozenset({"datasets", "transfer_data"})


def drawn_order(mapping: Any) -> Any:
    """The files of a mixture mapping that give rows, in the order they are drawn (a file at 0 is skipped, where it
    stands changes nothing); any other value as it is."""
    return (
        [name for name, fraction in mapping.items() if fraction != 0]
        if isinstance(mapping, dict)
        else mapping
    )


def data_sources(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The data files a finished stage read, as its ``stage.json`` records them (``name``, ``path``, ``sha256``):
    SFT's datasets (``inputs.data``), distillation's transfer set (``inputs.traces``) and the safety prompt pools of
    RL and sampling (``inputs.safety_sources``)."""
    inputs = record.get("inputs") if isinstance(record.get("inputs"), dict) else {}
    lists = [inputs.get("safety_sources")]
    lists += [
        manifest.get("sources") for key in ("data", "traces") if isinstance(manifest := inputs.get(key), dict)
    ]
    return [
        source for found in lists if isinstance(found, list) for source in found if isinstance(source, dict)
    ]


def edited_data_files(record: dict[str, Any], stage_dir: Path) -> dict[str, tuple[Any, Any]]:
    """The data files of a finished stage (see :func:`data_sources`) whose content changed since it read them:
    ``{"data file NAME": (sha256 then, now)}``, shortened. An edited ``sft.datasets`` file kept the model trained on
    its old rows without a word, as an edited eval suite file kept its scores. A file that is gone is left to the
    stage's own checks, and another stage's output (sample's traces) to :func:`retrained_input`, which redoes the
    stage rather than keep it."""
    from safealign.corpus.mixture import sha256_file

    moved = recorded_move(record, stage_dir)
    edited: dict[str, tuple[Any, Any]] = {}
    for source in data_sources(record):
        then, path = source.get("sha256"), source.get("path")
        if not isinstance(then, str) or not isinstance(path, str):
            continue
        file = Path(as_moved(path, moved))
        if not file.is_file() or (file.parent / STAGE_FILE).is_file():
            continue
        if (now := sha256_file(file)) != then:
            edited[f"data file {source.get('name', path)}"] = (then[:12], now[:12])
    return edited


# Folders between a run folder and a stage's folder (``eval/sft``, ``ablation/rl_only/rl``): how far past the stage's own
# folder a moved run's paths may still agree.
RUN_LAYOUT_FOLDERS = frozenset({"eval", "ablation", "rl_only"})


def moved_run(then: Path, now: Path) -> tuple[Path, Path] | None:
    """Where a stage's run folder was and is, from the stage folder's path then and now (``/a/x/rl`` and ``/b/y/rl``:
    ``/a/x`` and ``/b/y``); None when it has not moved. Only the stage's place inside the run is stripped, never the
    run folder's name or its parents: after ``mv /home/u/runs/x /mnt/runs/x`` the roots are ``…/runs/x``, not
    ``/home/u`` and ``/mnt``, so a model outside the run never passes for a moved one."""
    old, new = then.parts, now.parts
    tail = 0
    while (
        tail < min(len(old), len(new))
        and old[-1 - tail] == new[-1 - tail]
        and (tail == 0 or old[-1 - tail] in RUN_LAYOUT_FOLDERS)
    ):
        tail += 1
    if old == new or tail == 0:
        return None
    return Path(*old[: len(old) - tail] or ["."]), Path(*new[: len(new) - tail] or ["."])


def recorded_move(record: dict[str, Any], stage_dir: Path) -> tuple[Path, Path] | None:
    """:func:`moved_run` for a finished stage, from the output its ``stage.json`` recorded (None without one)."""
    output = record.get("output")
    return moved_run(Path(output).parent, stage_dir) if isinstance(output, str) else None


def as_moved(path: Any, moved: tuple[Path, Path] | None) -> Any:
    """A path recorded inside a run folder that has moved since (see :func:`moved_run`), where it is now; any other
    value as it is."""
    if moved is None or not isinstance(path, str):
        return path
    try:
        return str(moved[1] / Path(path).relative_to(moved[0]))
    except ValueError:
        return path


def same_run_path(then: Any, now: Any, moved: tuple[Path, Path] | None) -> bool:
    """Whether a recorded path (a stage's starting model, distill's traces) and today's name one file of the run,
    the run folder having moved (see :func:`moved_run`): ``/a/x/sft/model`` then is ``/b/y/sft/model`` now."""
    return (
        moved is not None
        and isinstance(then, str)
        and isinstance(now, str)
        and Path(as_moved(then, moved)) == Path(now)
    )


_ABSENT = object()  # a field an older stage.json does not have: not a change


def run_settings(
    seed: int, system_prompt: str | None, parent: str | None = None
) -> dict[str, tuple[str, Any]]:
    """The recipe settings outside a stage's section that decide its output, for :func:`changed_settings`."""
    settings = {"seed": ("seed", seed), "model.system_prompt": ("inputs.system_prompt", system_prompt)}
    return settings | ({"the model it starts from": ("parent", parent)} if parent is not None else {})


def describe_changes(changed: dict[str, tuple[Any, Any]]) -> str:
    """``key: then -> now`` for each changed setting (see :func:`changed_settings`), sorted by key."""
    return "; ".join(f"{key}: {then!r} -> {now!r}" for key, (then, now) in sorted(changed.items()))


# Settings a stage may change between a crash and its resumption: how often it saves and logs, where metrics go, and
# how long it trains (extending a run is what resuming is for). Any other change would mix two recipes in one model.
# (``stage_dir``: the run folder moved; paths inside it are compared relative to it.)
# (``speed_*``: distill's generation-speed check after training, which no checkpoint holds.)
RESUMABLE_CHANGES = frozenset(
    {
        "save_steps",
        "keep_checkpoints",
        "logging_steps",
        "report_to",
        "gradient_checkpointing",
        "max_steps",
        "epochs",
        "stage_dir",
        "speed_rounds",
        "speed_prompts",
        "speed_new_tokens",
    }
)


def write_stage_config(stage_dir: Path, settings: dict[str, Any], checkpoint: Path | None) -> None:
    """Write ``config.json``, the settings an unfinished stage runs with. When the stage resumes from ``checkpoint``,
    the settings it started with must still hold: a changed one is a SafealignError naming it (and config.json
    keeps the old ones), rather than a model trained half under each recipe or a checkpoint that no longer loads. A
    stage that starts over sets its earlier attempt aside first (:func:`set_aside_logs`), that attempt's config.json
    with it: overwritten, its logs and checkpoints kept no record of the settings they ran under."""
    path = stage_dir / "config.json"
    if checkpoint is None:
        set_aside_logs(stage_dir, with_settings=True)
    settings = settings | {
        "stage_dir": str(stage_dir)
    }  # where the stage ran: a run folder moved since is recognised
    if checkpoint is not None and path.is_file():
        then = _flat(read_json(path, dict))
        now = _flat(json.loads(json.dumps(settings, default=str)))  # as it would read back
        moved = (
            moved_run(Path(then["stage_dir"]), stage_dir) if isinstance(then.get("stage_dir"), str) else None
        )
        if moved:
            log.info(
                "%s: the run folder moved from %s to %s since the stage started; paths in it are compared as moved",
                stage_dir,
                *moved,
            )
        changed = {
            key: (then.get(key), now.get(key))
            for key in then.keys() | now.keys()
            if then.get(key) != now.get(key)
            and key in then
            and not same_run_path(then[key], now.get(key), moved)
        }
        blocking = {
            key: change for key, change in changed.items() if key.rsplit(".", 1)[-1] not in RESUMABLE_CHANGES
        }
        if blocking:
            from safealign.errors import SafealignError

            raise SafealignError(
                f"{stage_dir} was started with other settings than the recipe's now ({describe_changes(blocking)}), and "
                f"resuming from {checkpoint.name} would mix the two. Restore those settings to resume, or start the stage "
                f"over: delete {stage_dir}/checkpoint-* (or pass --no-resume to `safealign {next(iter(settings))}`)"
            )
        if changed:
            log.warning("%s: resuming with %s changed", stage_dir, describe_changes(changed))
    write_json(path, settings)


def _flat(settings: dict[str, Any]) -> dict[str, Any]:
    """``{"sft": {"learning_rate": 1e-4}, "seed": 42}`` -> ``{"sft.learning_rate": 1e-4, "seed": 42}`` (one level)."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            out[key] = value
    return out


def last_checkpoint(stage_dir: Path) -> Path | None:
    """The newest complete ``checkpoint-N`` folder (one with trainer_state.json)."""
    checkpoints = [
        p
        for p in stage_dir.glob("checkpoint-*")
        if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return max(checkpoints, key=lambda p: int(p.name.split("-")[-1]), default=None)
