"""lineage.json: the graph of artefacts a run made, and for each stage what it read and wrote.

Nodes are models, datasets and eval results; edges say which stage turned which inputs into which
output. Each stage entry repeats its ``stage.json`` (config, seed, package versions, git commit,
hardware, times) and lists its output files with sizes and sha256, so a copy of a model or a
summary can be matched to the run that made it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safealign.card.data_card import RL_SAFETY_SOURCES, eval_datasets
from safealign.card.run_folder import RunFolder, write_card_file
from safealign.card.summary import student_weights
from safealign.corpus import TRAIN_DATASETS
from safealign.paths import package_data

SCHEMA = "safealign.lineage/1"
HASH_LIMIT = 4 << 30  # files above 4 GiB are listed without a hash (hashing would dominate the render)
SKIP = ("checkpoint-", "reference_model", ".")
# a stage's model as it ships: model/, and a LoRA stage's adapter/ (see safealign.training.common.save_final_model)
MODEL_FOLDERS = ("model", "adapter")


def iso(timestamp: float | None) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds") if timestamp else None


def file_entry(path: Path, root: Path) -> dict[str, Any]:
    size = path.stat().st_size
    entry: dict[str, Any] = {"path": path.relative_to(root).as_posix(), "bytes": size}
    if size <= HASH_LIMIT:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        entry["sha256"] = digest.hexdigest()
    return entry


def output_files(stage_dir: Path, root: Path) -> list[dict[str, Any]]:
    """The stage's files and its final model's files (``model/``, and a LoRA stage's ``adapter/``: the adapter alone,
    which its README says how to load); checkpoints and the KL reference are left out."""
    files = []
    for path in sorted(stage_dir.iterdir()) if stage_dir.is_dir() else []:
        if path.name.startswith(SKIP):
            continue
        if path.is_file():
            files.append(file_entry(path, root))
        elif path.name in MODEL_FOLDERS:
            files.extend(file_entry(p, root) for p in sorted(path.rglob("*")) if p.is_file())
    return files


def base_weights(spec: str) -> dict[str, Any]:
    """For an embedded base model (by name, or by the path of its packaged copy: the model card names its Hub model
    then, :func:`~safealign.card.model_card.embedded_name`), the GGUF file every stage started from, with its size and
    sha256."""
    from safealign.card.model_card import embedded_name
    from safealign.errors import ModelNotFoundError
    from safealign.models.embedded import EMBEDDED_MODELS, gguf_path

    name = embedded_name(spec)
    if name is None:
        return {}
    try:
        path = gguf_path(name)
    except ModelNotFoundError:  # the package is not installed where the card is written
        return {"weights_file": EMBEDDED_MODELS[name].gguf_file}
    entry = file_entry(path, path.parent)
    return {
        "weights_file": entry["path"],
        "weights_bytes": entry["bytes"],
        "weights_sha256": entry.get("sha256"),
        "weights_package": EMBEDDED_MODELS[name].install.rsplit(" ", 1)[-1],
    }


def _model_node(run: RunFolder, spec: str) -> str:
    return f"model:{run.rel(spec)}"


def safety_sources(
    node: Callable[..., str], prompts: str, stage: str, recorded: list[dict[str, Any]] | None = None
) -> list[dict[str, str]]:
    """Edges from the shipped files whose user turns are a stage's safety prompts (RL's, rejection sampling's; see
    ``safealign.stages.rl_prompts.safety_prompts``) to its ``prompts`` node; ``node`` adds each file's node. ``recorded``:
    the files as the stage read them (``safety_sources`` in its inputs, with their sha256 then); a run from before that
    record gets the package's files as they are now."""
    if not recorded:
        recorded = []
        for name in RL_SAFETY_SOURCES:
            path = package_data("train", TRAIN_DATASETS[name])
            sha256 = file_entry(path, path.parent).get("sha256") if path.is_file() else None
            recorded.append({"name": name, "path": str(path), "sha256": sha256, "hashed_now": True})
    edges = []
    for entry in recorded:
        name, sha256 = str(entry.get("name")), entry.get("sha256")
        attrs = {
            "kind": "dataset",
            "path": f"safealign/data/train/{Path(str(entry.get('path'))).name}",
            "sha256": sha256,
        } | ({"sha256_hashed_when_the_card_was_written": True} if entry.get("hashed_now") else {})
        # one node per file version: a stage that read the file after it changed gets its own
        source = node(f"dataset:{name}", same_as=attrs, **attrs)
        edges.append({"from": source, "to": prompts, "stage": stage})
    return edges


def build_lineage(run: RunFolder) -> dict[str, Any]:
    """The lineage document (see the module docstring); stages that did not finish are listed with the reason."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []
    stages = []

    def node(node_id: str, same_as: dict[str, Any] | None = None, **attrs: Any) -> str:
        """Add a node once; ``same_as``: the attributes a node of that id must have to be this one (another version of a
        file, with another sha256, gets an id of its own)."""
        if same_as and node_id in nodes and nodes[node_id].get("sha256") != same_as.get("sha256"):
            node_id = f"{node_id}@{str(same_as.get('sha256'))[:12]}"
        nodes.setdefault(node_id, {"id": node_id, **attrs})
        return node_id

    node(
        _model_node(run, run.base_model),
        kind="model",
        role="base model",
        spec=run.base_model,
        **base_weights(run.base_model),
    )
    summaries = run.all_evals  # an eval that scored another model is still part of the run's history
    suites = {
        entry["name"]: entry for entry in eval_datasets(run, summaries)
    }  # each eval suite's source file and sha256
    issues = run.eval_issues
    for info in run.stages:
        if not info.done:
            stages.append(
                {"stage": info.key, "status": "missing", "reason": info.reason, "dir": info.spec.folder}
            )
            continue
        record = info.record or {}
        if info.key.startswith("eval:"):
            # an eval that started before its model's stage last finished scored what that stage made before it was
            # redone (see RunFolder.eval_issues), not the model now at its path
            earlier = (
                run.stage(info.spec.after).spec.folder if info.label in issues and info.spec.after else None
            )
        else:
            earlier = run.retrained_from(info.key)

        def made_before(node_id: str, path: Any, redone: str | None = earlier) -> tuple[str, dict[str, Any]]:
            """An input made again since this stage read it (see ``RunFolder.retrained``): a node of its own, the
            output that is gone, not the one now at its path."""
            if redone and run.rel(str(path or "")).split("/", 1)[0] == redone:
                return f"{node_id}@before-{redone}-was-redone", {
                    "gone": f"what {redone} made before it was redone"
                }
            return node_id, {}

        parent_id, gone = made_before(_model_node(run, record.get("parent", "")), record.get("parent"))
        parent = node(parent_id, kind="model", spec=record.get("parent"), **gone)
        inputs = [parent]
        if info.key.startswith("eval:"):
            output = node(
                f"eval:{info.label}",
                kind="eval",
                path=f"{info.spec.folder}/summary.json",
                suites=record.get("config", {}).get("suites"),
            )
            # by the names the eval gave its suites (a file's stem, a group's members), not the recipe's specs
            for suite, result in summaries.get(info.label, {}).get("suites", {}).items():
                file, entry = result.get("file"), suites.get(suite, {})
                path, sha256 = (
                    (file.get("path"), file.get("sha256"))
                    if isinstance(file, dict)
                    else (entry.get("source"), entry.get("sha256"))
                )
                # one node per file version: an eval that read a user's suite file after it changed gets its own
                inputs.append(
                    node(
                        f"dataset:eval-suite:{suite}",
                        same_as={"sha256": sha256},
                        kind="dataset",
                        role="eval suite",
                        path=path,
                        sha256=sha256,
                    )
                )
        elif info.key == "sample":
            output = node(
                "dataset:sample/traces.jsonl",
                kind="dataset",
                role="teacher traces",
                path="sample/traces.jsonl",
            )
            config = record.get("config") or {}
            prompts = {"rows": config.get("num_prompts"), "safety_share": config.get("safety_share")}
            inputs.append(
                node("dataset:sample-prompts", kind="dataset", role="generated sampling prompts", **prompts)
            )
            if config.get("safety_share"):  # its safety prompts are user turns of the shipped files, as RL's
                recorded = (record.get("inputs") or {}).get("safety_sources")
                edges.extend(safety_sources(node, "dataset:sample-prompts", "sample", recorded))
        else:
            output = node(
                _model_node(run, record.get("output", "")),
                kind="model",
                role=f"{info.key} output",
                path=run.rel(record.get("output")),
            )
            student = student_weights(record) if info.key == "distill" else None
            if student:  # not cut from the teacher (the parent): the weights the student started from
                student_id, gone = made_before(_model_node(run, student), student)
                student_id = node(
                    student_id,
                    kind="model",
                    role="distillation student's starting weights",
                    spec=student,
                    **base_weights(student),
                    **gone,
                )
                if student_id not in inputs:  # a student of the teacher's own spec is one node, one edge
                    inputs.append(student_id)
            data = record.get("inputs", {}).get("data") or record.get("inputs", {}).get("traces") or {}
            for source in data.get("sources", []):
                source_id, gone = made_before(f"dataset:{run.rel(source['name'])}", source["name"])
                # one node per file version: a distillation's transfer_data read after the SFT mixture's file changed
                # got the SFT's node, sha256 and rows
                inputs.append(
                    node(
                        source_id,
                        same_as={"sha256": source.get("sha256")},
                        kind="dataset",
                        path=source.get("path"),
                        sha256=source.get("sha256"),
                        rows=source.get("rows_in_file"),
                        **gone,
                    )
                )
            if info.key == "rl":
                prompts = record.get("inputs", {}).get("prompts", {})
                inputs.append(
                    node("dataset:rl-prompts", kind="dataset", role="generated RL prompts", **prompts)
                )
                if (prompts.get("tasks") or {}).get(
                    "safety"
                ):  # safety prompts are user turns of the shipped files
                    recorded = record.get("inputs", {}).get("safety_sources")
                    edges.extend(safety_sources(node, "dataset:rl-prompts", "rl", recorded))
        edges.extend({"from": i, "to": output, "stage": info.key} for i in inputs)
        files = output_files(info.dir, run.path)
        for entry in files:  # a file output (traces, summary) is identified by its hash
            if entry["path"] == nodes[output].get("path") and "sha256" in entry:
                nodes[output]["sha256"] = entry["sha256"]
        stages.append(
            {
                "stage": info.key,
                "status": "done",
                "dir": info.spec.folder,
                "parent": record.get("parent"),
                "inputs": record.get("inputs", {}),
                "config": record.get("config", {}),
                "seed": record.get("seed"),
                "versions": record.get("versions", {}),
                "git_commit": record.get("git_commit"),
                # True: safealign/ had uncommitted changes, so the code that ran is not git_commit's alone
                "git_dirty": record.get("git_dirty"),
                "hardware": record.get("hardware", {}),
                "started_at": iso(record.get("started_at")),
                "finished_at": iso(record.get("finished_at")),
                "started_at_unix": record.get("started_at"),
                "finished_at_unix": record.get("finished_at"),
                "wall_time_s": record.get("wall_time_s"),
                "sessions": record.get("sessions") or 1,
                "metrics": record.get("metrics", {}),
                "output": record.get("output"),
                "output_node": output,
                "files": files,
            }
            | (
                {"scored_another_model": issues[info.label]}
                if info.label in issues and info.key.startswith("eval:")
                else {}
            )
            | (
                {"made_from_an_earlier_output": run.retrained[info.key]}
                if earlier and not info.key.startswith("eval:")
                else {}
            )
        )
    return shown(
        {
            "schema": SCHEMA,
            "run": run.name,
            "run_dir": str(run.path),
            # the records' own time, not the clock's: a rebuild of the same run folder gives the same file
            "records_as_of": iso(run.records_as_of),
            "recipe": run.recipe,
            "base_model": run.base_model,
            "final_model": run.final_model,
            "missing_stages": [s.key for s in run.missing],
            "stages": stages,
            "nodes": list(nodes.values()),
            "edges": edges,
            "final_model_recipe_on_record": not run.final_recipe_unknown,
        }
    )


def shown(value: Any) -> Any:
    """``value`` with the password of every URL in it masked: an ``openai:`` judge spec or an endpoint in the recipe or a
    stage's config may carry one, which the rest of the bundle masks too. A value that is one URL or spec as a whole is
    shown as :func:`safealign.judges.shown_judge_spec` shows it (query cut: tokens ride there); in free text (a system
    prompt citing a URL) only ``user:password@`` is masked, the rest kept byte for byte."""
    from safealign.judges.openai_rubric import shown_url

    if isinstance(value, str):
        if "://" not in value:
            return value
        return shown_url(value) if len(value.split()) == 1 else _USERINFO_RE.sub(_masked_userinfo, value)
    if isinstance(value, dict):
        return {key: shown(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [shown(item) for item in value]
    return value


# user:password@ after a URL's scheme (as safealign.judges.openai_rubric masks it), in free text
_USERINFO_RE = re.compile(r"(?<=://)(?P<userinfo>[^/?#\s]*)@")


def _masked_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("userinfo").partition(":")
    return f"{user}:***@" if colon else "***@"  # a bare user name may be the token itself


def write_lineage(run: RunFolder, path: Path | None = None, text: str | None = None) -> Path:
    """Write lineage.json into the run folder; one a user edited is kept beside it (see ``write_card_file``). ``text``:
    as :func:`render_lineage` rendered it already."""
    path = path or run.path / "lineage.json"
    write_card_file(path, render_lineage(run) if text is None else text)
    return path


def render_lineage(run: RunFolder) -> str:
    """lineage.json's text (see :func:`build_lineage`)."""
    return json.dumps(build_lineage(run), indent=2, ensure_ascii=False, default=str)
