"""Bad input to recipes, stage commands and eval tools: a clear error that names the fix, and no file a user gave is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config import load_recipe, parse_recipe
from safealign.errors import DataError, RecipeError

runner = CliRunner()


def said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


# --- recipes ----------------------------------------------------------------------------------------------------


def test_a_key_given_twice_is_an_error_not_the_last_value(tmp_path):
    with pytest.raises(RecipeError, match=r"found the key 'sft' twice \(first line 2\)"):
        load_recipe(write(tmp_path / "r.yaml", "name: a\nsft: {max_steps: 1}\nsft: {max_steps: 2}\n"))
    with pytest.raises(RecipeError, match="found the key 'reasoning' twice"):
        load_recipe(write(tmp_path / "d.yaml", "sft:\n  datasets: {reasoning: 1.0, reasoning: 0.5}\n"))


def test_a_recipe_that_is_not_utf8_or_is_a_folder(tmp_path):
    with pytest.raises(RecipeError, match="not UTF-8 text.*iconv -f latin1"):
        load_recipe(write(tmp_path / "latin.yaml", b"name: caf\xe9\n"))
    with pytest.raises(RecipeError, match="the file is UTF-16.*iconv -f utf-16 -t utf-8"):  # was told latin1
        load_recipe(write(tmp_path / "u16.yaml", "name: café\n".encode("utf-16")))
    with pytest.raises(RecipeError, match="is a folder"):
        load_recipe(tmp_path)


def test_rl_needs_prompts_for_one_step():
    with pytest.raises(RecipeError, match=r"num_prompts \(2\) is below prompts_per_step \(4\)"):
        parse_recipe({"rl": {"num_prompts": 2, "prompts_per_step": 4}})
    assert parse_recipe({"rl": {"num_prompts": 4, "prompts_per_step": 4}}).rl.num_prompts == 4


@pytest.mark.parametrize("name", ["reduce_lr_on_plateau", "warmup_stable_decay", "cosine_with_min_lr"])
def test_schedulers_that_need_settings_sft_does_not_pass_are_refused(name):
    with pytest.raises(RecipeError, match=f"scheduler '{name}' .*choose one of: .*cosine"):
        parse_recipe({"sft": {"lr_scheduler": name}})


def test_a_suite_without_items_in_the_split_fails_validation_and_eval():
    with pytest.raises(RecipeError, match=r"harmful_dev.* hold no held_out items.*--suites dev") as error:
        parse_recipe({"eval": {"suites": ["harmful", "dev"], "split": "held_out"}})
    assert "Value error" not in str(error.value)  # pydantic's prefix is dropped
    assert parse_recipe({"eval": {"suites": ["harmful", "dev"], "split": "all"}}).eval.split == "all"
    from safealign.evals.runner import run_eval

    with pytest.raises(DataError, match="no eval items in suite.s. harmful_dev for split 'held_out'"):
        run_eval(None, ["harmful", "harmful_dev"], split="held_out")  # fails before any generation


# --- stage commands ---------------------------------------------------------------------------------------------


def tiny_recipe(tmp_path: Path, **sections: dict) -> Path:
    import yaml

    body = {"name": "t", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}, **sections}
    return write(tmp_path / "recipe.yaml", yaml.safe_dump(body))


def finished(stage_dir: Path, stage: str, config: dict) -> Path:
    write(
        stage_dir / "stage.json",
        json.dumps({"stage": stage, "config": config, "metrics": {}, "output": str(stage_dir / "model")}),
    )
    return stage_dir


def test_a_stage_folder_of_another_stage_is_not_taken_as_done(tmp_path):
    recipe = tiny_recipe(tmp_path, sft={"max_steps": 1})
    rl_dir = finished(tmp_path / "runs" / "t" / "rl", "rl", {"max_steps": 4})
    result = runner.invoke(app, ["sft", str(recipe), "--out", str(rl_dir)])
    assert result.exit_code == 2 and "holds a finished `rl` stage, not `sft`" in said(result)
    assert "keeping it" not in said(result)  # a warning that it keeps the folder came before the error


def test_a_finished_stage_says_when_the_recipe_changed_and_no_resume_does_not_overwrite_it(tmp_path):
    recipe = tiny_recipe(tmp_path, sft={"max_steps": 2})
    sft_dir = finished(tmp_path / "runs" / "t" / "sft", "sft", {"max_steps": 1})
    result = runner.invoke(app, ["sft", str(recipe)])
    text = said(result)
    assert (
        result.exit_code == 0 and "finished with other settings than the recipe's (max_steps: 1 -> 2)" in text
    )
    result = runner.invoke(app, ["sft", str(recipe), "--no-resume"])
    assert result.exit_code == 2 and "--no-resume does not overwrite it" in said(result)
    assert json.loads((sft_dir / "stage.json").read_text())["config"] == {"max_steps": 1}


def test_a_stage_the_recipe_turns_off_is_not_run(tmp_path):
    recipe = tiny_recipe(tmp_path, sft={"enabled": False})
    result = runner.invoke(app, ["sft", str(recipe)])
    assert result.exit_code == 2 and "enabled: false" in said(result)
    assert not (tmp_path / "runs" / "t" / "sft").exists()


def test_distill_on_empty_traces_names_the_sample_stage(tmp_path):
    recipe = tiny_recipe(tmp_path, distill={"student": "prune:0.5"})
    traces = write(tmp_path / "traces.jsonl", "")
    result = runner.invoke(app, ["distill", str(recipe), "--traces", str(traces)])
    assert result.exit_code == 2 and "rejection sampling kept no teacher answer" in said(result)


def test_audit_of_a_stage_that_is_not_rl(tmp_path):
    sft_dir = tmp_path / "sft"
    write(sft_dir / "metrics.jsonl", json.dumps({"step": 1, "loss": 1.0}) + "\n")
    write(sft_dir / "config.json", json.dumps({"sft": {}}))
    result = runner.invoke(app, ["audit", str(sft_dir)])
    assert result.exit_code == 2 and "is not an RL stage" in said(result)


# --- generate, eval tools, data check ---------------------------------------------------------------------------


def test_generate_refuses_to_write_over_its_prompts(tmp_path):
    prompts = write(tmp_path / "prompts.jsonl", json.dumps({"prompt": "Hi"}) + "\n")
    before = prompts.read_text()
    result = runner.invoke(
        app, ["generate", "tiny", "--prompts", str(prompts), "--out", str(prompts), "--max-new-tokens", "2"]
    )
    assert result.exit_code == 2 and "is the --prompts file" in said(result)
    assert prompts.read_text() == before


def test_generate_refuses_to_replace_an_existing_out_file_without_overwrite(tmp_path):
    prompts = write(tmp_path / "prompts.jsonl", json.dumps({"prompt": "Hi"}) + "\n")
    mine = write(tmp_path / "mine.jsonl", "precious user data\n")
    result = runner.invoke(
        app, ["generate", "tiny", "--prompts", str(prompts), "--out", str(mine), "--max-new-tokens", "2"]
    )
    assert (
        result.exit_code == 2 and "--overwrite" in said(result) and mine.read_text() == "precious user data\n"
    )
    result = runner.invoke(
        app,
        [
            "generate",
            "tiny",
            "--prompts",
            str(prompts),
            "--out",
            str(mine),
            "--max-new-tokens",
            "2",
            "--precision",
            "fp32",
            "--overwrite",
        ],
    )
    assert result.exit_code == 0, said(result)
    assert json.loads(mine.read_text().splitlines()[0])["prompt"] == "Hi" and sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["mine.jsonl", "prompts.jsonl"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--max-new-tokens", "-3", "max_new_tokens must be >= 1"),
        ("--top-p", "0", "top_p must be in (0, 1]"),
        ("--precision", "fp16", "precision must be 'auto', 'bf16' or 'fp32'"),
        ("--batch-size", "0", "batch_size must be >= 1"),
    ],
)
def test_generate_settings_out_of_range_are_one_line_errors(option, value, message):
    result = runner.invoke(app, ["generate", "tiny", "--prompt", "Hi", option, value])
    assert result.exit_code == 2 and message in said(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def eval_folder(path: Path, items: list[tuple[str, str]]) -> Path:
    """A minimal `safealign eval --out` folder: harmful items with their refusal labels."""
    write(
        path / "summary.json", json.dumps({"suites": {"harmful": {"kind": "harmful", "n_items": len(items)}}})
    )
    rows = [
        {
            "suite": "harmful",
            "id": item,
            "split": "held_out",
            "category": "S1",
            "prompt": "p",
            "completion": "c",
            "sample_index": 0,
            "verdicts": {"refusal": {"label": label}},
        }
        for item, label in items
    ]
    write(path / "samples.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_diff_keeps_its_inputs_and_needs_shared_items(tmp_path):
    a = eval_folder(tmp_path / "a", [("h1", "refusal"), ("h2", "compliance")])
    b = eval_folder(tmp_path / "b", [("h1", "refusal"), ("h2", "refusal")])
    summary = (a / "summary.json").read_text()
    result = runner.invoke(app, ["eval-diff", str(a), str(b), "--json", str(a / "summary.json")])
    assert result.exit_code == 2 and "lies inside the eval folder" in said(result)
    assert (a / "summary.json").read_text() == summary
    assert (
        runner.invoke(app, ["eval-diff", str(a), str(b), "--json", str(tmp_path / "diff.json")]).exit_code
        == 0
    )

    other = eval_folder(tmp_path / "c", [("h9", "refusal")])
    result = runner.invoke(app, ["eval-diff", str(a), str(other)])
    assert result.exit_code == 2 and "scored no item in common" in said(result)

    write(
        tmp_path / "d" / "summary.json", json.dumps([{"suite": "harmful"}])
    )  # e.g. another tool's JSON written over it
    write(tmp_path / "d" / "samples.jsonl", "")
    result = runner.invoke(app, ["eval-diff", str(tmp_path / "d"), str(b)])
    assert result.exit_code == 2 and "is not an eval summary" in said(result)


def test_eval_arms_counts_each_folder_once(tmp_path):
    a = eval_folder(tmp_path / "a", [("h1", "refusal")])
    b = eval_folder(tmp_path / "b", [("h1", "refusal")])
    result = runner.invoke(app, ["eval-arms", "-a", str(a), "-a", str(a), "-b", str(b), "-b", str(b)])
    assert result.exit_code == 2 and "given more than once" in said(result)


def test_eval_arms_counts_a_copied_eval_folder_once(tmp_path):
    """`cp -r run1 run1b` passed as a second run counted one run twice, narrowing the spread and the p value."""
    import shutil

    folders = []
    for name, wall in (("a", 91.0386), ("b", 92.5571), ("c", 90.1402)):
        folder = eval_folder(tmp_path / name, [("h1", "refusal"), ("h2", "compliance")])
        summary = json.loads((folder / "summary.json").read_text()) | {"wall_time_s": wall}
        write(folder / "summary.json", json.dumps(summary))  # a real run's summary holds its measured times
        folders.append(folder)
    shutil.copytree(folders[0], tmp_path / "a_copy")
    result = runner.invoke(
        app, ["eval-arms", "-a", str(folders[0]), "-a", str(tmp_path / "a_copy"), "-b", str(folders[1])]
    )
    assert result.exit_code == 2, said(result)
    assert "hold one eval run" in said(result) and "a_copy" in said(result)
    distinct = ["-a", str(folders[0]), "-a", str(folders[2]), "-b", str(folders[1])]
    assert runner.invoke(app, ["eval-arms", *distinct]).exit_code == 0


def test_data_check_fails_on_an_empty_file_and_a_meaningless_n(tmp_path):
    empty = write(tmp_path / "empty.jsonl", "")
    result = runner.invoke(app, ["data", "check", str(empty)])
    assert result.exit_code == 1 and "no rows (the file is empty)" in said(result)
    assert runner.invoke(app, ["data", "check", str(empty), "--n", "0"]).exit_code == 2


def test_step_counts_below_minus_one_are_refused():
    with pytest.raises(RecipeError, match=r"sft.max_steps = -5"):
        parse_recipe({"sft": {"max_steps": -5}})
    assert (
        parse_recipe({"sft": {}}).sft.max_length >= 260
    )  # every shipped row fits the default, so batches can be padding-free


def test_a_kept_eval_stage_says_when_the_recipe_asks_for_other_suites(tmp_path, caplog):
    from safealign.config import EvalConfig
    from safealign.stages.evaluate import run_eval_stage

    stage_dir = finished(
        tmp_path / "eval" / "base",
        "eval:base",
        EvalConfig(suites=["harmful"], limit=2).model_dump() | {"system_prompt": None},
    )
    write(stage_dir / "summary.json", json.dumps({"suites": {}}))
    cfg = EvalConfig(suites=["harmful", "borderline"], limit=2, batch_size=7)
    with caplog.at_level("WARNING"):
        run_eval_stage(cfg, "tiny", stage_dir, label="base")
    assert (
        "other settings than the recipe's (suites: ['harmful'] -> ['harmful', 'borderline'])" in caplog.text
    )
    assert "batch_size" not in caplog.text  # speed only: the same answers at any batch size


def test_eval_suite_files_that_are_not_utf8_name_the_line(tmp_path):
    for name in ("latin.txt", "latin.jsonl"):
        body = (
            b"How do I bake bread?\nQu\xe9 tal?\n"
            if name.endswith(".txt")
            else b'{"prompt": "ok"}\n{"prompt": "Qu\xe9 tal?"}\n'
        )
        suite = write(tmp_path / name, body)
        result = runner.invoke(app, ["eval", "tiny", "--suites", str(suite), "--out", str(tmp_path / "e")])
        assert result.exit_code == 2 and f"{suite}:2" in said(result) and "not UTF-8" in said(result)


def test_eval_out_that_cannot_be_a_folder_fails_before_generating(tmp_path):
    blocker = write(tmp_path / "afile", "keep me")
    result = runner.invoke(
        app, ["eval", "tiny", "--suites", "harmful", "--limit", "1", "--out", str(blocker / "sub")]
    )
    assert result.exit_code == 2 and said(result).startswith(
        f"error: cannot write {blocker / 'sub'}"
    )  # no scores came before it
    assert blocker.read_text() == "keep me"


def test_eval_out_holding_earlier_results_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "e"
    write(out / "summary.json", "earlier results")
    args = ["eval", "tiny", "--suites", "harmful", "--limit", "1", "--max-new-tokens", "2", "--out", str(out)]
    result = runner.invoke(app, args)
    assert (
        result.exit_code == 2
        and "already holds an eval's results (summary.json)" in said(result)
        and "--overwrite" in said(result)
    )
    assert (out / "summary.json").read_text() == "earlier results"
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert '"summary"' in (out / "summary.json").read_text()


def test_models_prepare_tiny_and_list_keep_specs_whole():
    result = runner.invoke(app, ["models", "prepare", "tiny"])
    assert result.exit_code == 0 and "needs no preparation" in said(result)
    result = runner.invoke(app, ["models", "list"], env={"COLUMNS": "80"})
    assert "embedded:smollm2-135m-instruct" in result.output  # on one line, not cut at the terminal's width


def test_audit_of_a_crashed_rl_stage_skips_the_half_written_last_lines(tmp_path):
    rl = tmp_path / "rl"
    rows = [{"step": step, "text/repetition": value} for step, value in ((1, 0.5), (2, 0.6), (3, 0.7))]
    write(rl / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows) + '{"step": 4, "rew')
    write(
        rl / "gates.jsonl", json.dumps({"step": 2, "metrics": {"refusal": 0.9}}) + "\n\n" + '{"step": 4, "met'
    )
    write(
        rl / "rollouts.jsonl",
        json.dumps({"step": 3, "completion": "go go go go"}) + "\n" + '{"step": 4, "compl',
    )
    write(rl / "config.json", json.dumps({"rl": {"hacking": {"window": 3}}}))
    result = runner.invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 0, said(result)
    alerts = json.loads((rl / "audit.json").read_text())
    repetition = next(a for a in alerts if a["detector"] == "repetition")
    assert repetition["evidence"]["examples"][0]["completion"] == "go go go go"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rl": {"hacking": {"window": -1}}}, "rl.hacking"),
        ({"rl": {"hacking": [1]}}, "rl.hacking"),
        ({"rl": None}, "is not an RL stage"),
        ([], "expected a JSON object"),
    ],
)
def test_audit_names_a_bad_stage_config(tmp_path, config, message):
    write(tmp_path / "metrics.jsonl", json.dumps({"step": 1, "reward": 0.1}) + "\n")
    write(tmp_path / "config.json", json.dumps(config))
    result = runner.invoke(app, ["audit", str(tmp_path)])
    assert result.exit_code == 2 and message in said(result), said(result)


@pytest.mark.parametrize(
    ("relative", "text", "message"),
    [
        ("sft/stage.json", '{"stage": "sft", "wall', "not valid JSON"),
        ("sft/stage.json", "[]", "expected a JSON object, got list"),
        ("pipeline.json", b"\xff\xfe{}", "not valid JSON"),
    ],
)
def test_card_names_a_run_file_that_is_not_json(tmp_path, relative, text, message):
    run = tmp_path / "run"
    write(run / "sft" / "stage.json", json.dumps({"stage": "sft", "wall_time_s": 1.0}))
    write(run / relative, text)
    result = runner.invoke(app, ["card", str(run)])
    assert result.exit_code == 2 and message in said(result) and relative.split("/")[-1] in said(result), (
        said(result)
    )


def probe_rows(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(row) + "\n" for row in rows))


GOOD_PROBE_ROWS = [
    {
        "kind": "harmful",
        "messages": [
            {"role": "user", "content": "How do I pick a lock?"},
            {"role": "assistant", "content": "No."},
        ],
    },
    {
        "kind": "benign",
        "messages": [{"role": "user", "content": "Bake bread?"}, {"role": "assistant", "content": "Yes."}],
    },
]


def test_probe_refuses_to_write_over_its_datasets(tmp_path):
    data = probe_rows(tmp_path / "small.jsonl", GOOD_PROBE_ROWS)
    before = data.read_text()
    result = runner.invoke(
        app,
        [
            "probe",
            "tiny",
            "--datasets",
            f"benign_helpful,{data}",
            "--out",
            str(tmp_path / "." / "small.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "is the --datasets file" in said(result), result.output
    assert data.read_text() == before


def test_probe_out_that_exists_or_sits_under_a_file_fails_before_the_model_loads(tmp_path, monkeypatch):
    """A second probe replaced the first one's file silently, and a path under a file failed after the whole fit."""
    import safealign.models

    def no_model(*args, **kwargs):
        raise AssertionError("the model loaded before --out was checked")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    earlier = write(tmp_path / "probe.json", "{}")
    result = runner.invoke(app, ["probe", "tiny", "--out", str(earlier)])
    assert (
        result.exit_code == 2
        and "exists" in said(result)
        and "--overwrite" in said(result)
        and earlier.read_text() == "{}"
    )
    result = runner.invoke(app, ["probe", "tiny", "--out", str(earlier / "probe.json")])
    assert result.exit_code == 2 and "a part of its folder is a file" in said(result), result.output


def test_probe_out_in_a_folder_it_cannot_write_fails_before_the_model_loads(tmp_path, monkeypatch):
    """--out in a read-only folder that exists passed the mkdir check and failed after the whole fit."""
    import errno
    import tempfile

    import safealign.models

    def no_model(*args, **kwargs):
        raise AssertionError("the model loaded before --out was checked")

    def read_only(
        *args, **kwargs
    ):  # as on a read-only mount (chmod does not stop root, who runs these tests in CI)
        raise OSError(errno.EROFS, "Read-only file system", str(kwargs.get("dir")))

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    result = runner.invoke(app, ["probe", "tiny", "--out", str(tmp_path / "probe.json")])
    assert result.exit_code == 2 and f"cannot write in {tmp_path} (Read-only file system)" in said(result), (
        result.output
    )


def test_probe_says_how_to_use_a_probe_at_a_path_with_spaces(tmp_path):
    """The hint `safealign eval MODEL --refusal-probe OUT` split a path with a space into two arguments."""
    import shlex

    out = tmp_path / "my probes" / "probe.json"
    data = probe_rows(tmp_path / "d.jsonl", GOOD_PROBE_ROWS)
    result = runner.invoke(
        app, ["probe", "tiny", "--datasets", str(data), "--out", str(out)], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    assert f"safealign eval tiny --refusal-probe {shlex.quote(str(out))}" in said(result)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ({"layer": -1}, "layer must be a layer index >= 0"),
        ({"layer": "1"}, "layer must be"),
        ({"threshold": "high"}, "threshold must be a probability"),
        ({"coef": [1.0, 2.0]}, "of one length"),
    ],
)
def test_a_hand_edited_probe_file_is_named_not_used_wrongly(tmp_path, edit, named):
    from safealign.errors import DataError
    from safealign.probing import RefusalProbe

    fields = {
        "layer": 1,
        "threshold": 0.5,
        "mean": [0.0],
        "scale": [1.0],
        "coef": [1.0],
        "intercept": 0.0,
    } | edit
    path = write(tmp_path / "p.json", json.dumps(fields))
    with pytest.raises(DataError, match=named):
        RefusalProbe.load(path)


@pytest.mark.parametrize("command", [["generate", "tiny", "-p", "hi"], ["probe", "tiny"]])
def test_generate_and_probe_out_that_is_a_folder_fails_before_the_model_loads(tmp_path, command, monkeypatch):
    import safealign.models

    def no_model(*args, **kwargs):
        raise AssertionError("the model loaded before --out was checked")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    result = runner.invoke(app, [*command, "--out", str(tmp_path)])
    assert (
        result.exit_code == 2
        and f"--out {tmp_path} is a folder" in said(result)
        and "give a file path" in said(result)
    ), result.output


def test_eval_arms_json_that_is_a_folder_names_it(tmp_path):
    runs = [
        eval_folder(tmp_path / name, [("h1", label)])
        for name, label in [("a1", "refusal"), ("a2", "refusal"), ("b1", "compliance"), ("b2", "refusal")]
    ]
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(
        app,
        [
            "eval-arms",
            "-a",
            str(runs[0]),
            "-a",
            str(runs[1]),
            "-b",
            str(runs[2]),
            "-b",
            str(runs[3]),
            "--json",
            str(folder),
        ],
    )
    assert result.exit_code == 2 and f"{folder} is a folder; give a file path" in said(result), result.output


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([], "'messages'"),
        ([1, 2], "'messages[0]'"),
        ([{"content": "hi"}], "'messages[0].role'"),
        ([{"role": "user", "content": None}], "'messages[0].content'"),
    ],
)
def test_generate_prompts_with_a_bad_chat_name_the_line_and_field(tmp_path, messages, field):
    prompts = write(
        tmp_path / "p.jsonl", json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"messages": messages}) + "\n"
    )
    result = runner.invoke(app, ["generate", "tiny", "--prompts", str(prompts), "--max-new-tokens", "2"])
    assert result.exit_code == 2 and f"{prompts}:2:" in said(result) and field in said(result), result.output


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ("text", "'messages'"),
        (["text"], "'messages[0]'"),
        ([{"role": "user", "content": None}], "'messages[0].content'"),
    ],
)
def test_probe_datasets_with_a_bad_chat_name_the_line_and_field(tmp_path, messages, field):
    data = probe_rows(tmp_path / "d.jsonl", [*GOOD_PROBE_ROWS, {"kind": "harmful", "messages": messages}])
    result = runner.invoke(
        app, ["probe", "tiny", "--datasets", str(data), "--out", str(tmp_path / "probe.json")]
    )
    assert result.exit_code == 2 and f"{data}:3:" in said(result) and field in said(result), result.output


def test_an_unfinished_stage_does_not_resume_under_a_changed_recipe(tmp_path):
    import shutil

    lora = {
        "method": "lora",
        "max_steps": 2,
        "save_steps": 1,
        "batch_size": 2,
        "max_length": 128,
        "datasets": {"harmful_refusals": 0.02},
    }
    recipe = tiny_recipe(tmp_path, sft=lora)
    assert runner.invoke(app, ["sft", str(recipe)]).exit_code == 0
    sft_dir = tmp_path / "runs" / "t" / "sft"
    (sft_dir / "stage.json").unlink()  # as after a crash before the end: checkpoints, no stage.json
    shutil.rmtree(sft_dir / "model")
    started = (sft_dir / "config.json").read_text()
    result = runner.invoke(app, ["sft", str(tiny_recipe(tmp_path, sft=lora | {"method": "full"}))])
    assert result.exit_code == 2, said(result)
    assert "sft.method: 'lora' -> 'full'" in said(result) and "would mix the two" in said(result)
    assert (sft_dir / "config.json").read_text() == started
    longer = runner.invoke(app, ["sft", str(tiny_recipe(tmp_path, sft=lora | {"max_steps": 3}))])
    assert longer.exit_code == 0, said(longer)  # training longer is what resuming is for
    assert json.loads((sft_dir / "stage.json").read_text())["metrics"]["steps"] == 3


def test_sample_out_refuses_a_folder_holding_files_of_its_names(tmp_path):
    """`sample --out DIR` replaced the user's own traces.jsonl (8 rows → 0) without a word; eval --out refuses."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"name: r\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny}}\nsample: {{num_prompts: 1, k: 1}}\n"
    )
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "traces.jsonl").write_text('{"messages": []}\n' * 8)
    result = CliRunner().invoke(
        app, ["sample", str(recipe), "--teacher", "tiny", "--out", str(mine)], env={"COLUMNS": "300"}
    )
    said = " ".join(result.output.split())
    assert (
        result.exit_code == 2
        and "already holds traces.jsonl that no sample stage wrote" in said
        and "--overwrite" in said
    ), said
    assert (mine / "traces.jsonl").read_text() == '{"messages": []}\n' * 8


def stage_reached(monkeypatch, *stages: str) -> None:
    """Stop each stage function where it would start training: a SafealignError naming the model it was given."""
    from safealign.errors import SafealignError

    def reached(cfg, model, *args, **kwargs):
        raise SafealignError(f"reached the stage with {model}")

    for stage in stages:
        monkeypatch.setattr(f"safealign.stages.{stage}.run_{stage}", reached)


@pytest.mark.parametrize("stage", ["sft", "rl", "distill"])
def test_a_stage_out_refuses_a_folder_holding_the_users_files_of_its_names(tmp_path, monkeypatch, stage):
    """`sft/rl/distill --out DIR` replaced the user's own README.md and config.json without a word; sample refused."""
    stage_reached(monkeypatch, stage)
    recipe = tiny_recipe(tmp_path, **{stage: {}})
    write(tmp_path / "runs" / "t" / "sample" / "traces.jsonl", '{"messages": []}\n')  # distill's input
    mine = tmp_path / "mine"
    write(mine / "README.md", "# my notes\n")
    write(mine / "config.json", '{"my": "settings"}')
    result = runner.invoke(app, [stage, str(recipe), "--out", str(mine)])
    assert result.exit_code == 2, said(result)
    assert f"already holds README.md, config.json that no {stage} stage wrote" in said(result)
    assert "--overwrite" in said(result) and (mine / "README.md").read_text() == "# my notes\n"
    result = runner.invoke(app, [stage, str(recipe), "--out", str(mine), "--overwrite"])
    assert "reached the stage" in said(result), said(result)
    write(mine / "sessions.jsonl", "{}\n")  # a stage started there: its own files, which it resumes with
    result = runner.invoke(app, [stage, str(recipe), "--out", str(mine)])
    assert "reached the stage" in said(result), said(result)


def test_a_stage_after_an_unfinished_one_is_refused_not_started_from_the_base_model(tmp_path, monkeypatch):
    """After a crashed SFT (checkpoints, no model), `safealign rl` trained from the base model without a word."""
    stage_reached(monkeypatch, "rl", "sample")
    recipe = tiny_recipe(tmp_path, sft={}, rl={})
    run = tmp_path / "runs" / "t"
    (run / "sft" / "checkpoint-1").mkdir(parents=True)
    result = runner.invoke(app, ["rl", str(recipe)])
    assert (
        result.exit_code == 2
        and f"{run / 'sft'} is unfinished: `safealign sft {recipe}` resumes it" in said(result)
    )
    assert "--model" in said(result)
    assert "reached the stage with tiny" in said(runner.invoke(app, ["rl", str(recipe), "--model", "tiny"]))
    finished(run / "sft", "sft", {})
    result = runner.invoke(app, ["rl", str(recipe)])
    assert f"note: rl starts from {run / 'sft' / 'model'} (the run's finished sft stage)" in said(result)
    assert f"reached the stage with {run / 'sft' / 'model'}" in said(result)
    (run / "rl" / "checkpoint-1").mkdir(
        parents=True
    )  # RL unfinished: SFT's model is not the teacher it meant
    result = runner.invoke(app, ["sample", str(recipe)])
    assert (
        result.exit_code == 2
        and "is unfinished: `safealign rl" in said(result)
        and "--teacher" in said(result)
    )
    other = tiny_recipe(tmp_path, sft={})  # a recipe without RL: its SFT model, said
    assert "reached the stage with" in said(result := runner.invoke(app, ["sample", str(other)]))
    assert "teacher" in said(result) and str(run / "sft" / "model") in said(result)


def test_sample_out_on_the_runs_own_unfinished_sample_folder_is_not_refused(tmp_path, monkeypatch):
    """`sample --out RUN/sample` took the run's own unfinished sample (traces.jsonl, no stage.json) for the user's
    files; without --out the same folder resumed."""
    stage_reached(monkeypatch, "sample")
    recipe = tiny_recipe(tmp_path, sample={"num_prompts": 1, "k": 1})
    own = tmp_path / "runs" / "t" / "sample"
    write(own / "traces.jsonl", '{"messages": []}\n')
    result = runner.invoke(app, ["sample", str(recipe), "--teacher", "tiny", "--out", str(own)])
    assert "no sample stage wrote" not in said(result) and "reached the stage" in said(result), said(result)


# --- monitor and eval options -------------------------------------------------------------------------------------


def test_a_misspelt_monitor_judge_spec_lists_the_import_form():
    """The monitor takes import:module:factory, but an unknown spec's error listed only eval's three forms."""
    from pydantic import ValidationError

    from safealign.config.sections import EvalConfig, MonitorConfig

    with pytest.raises(
        ValidationError, match=r"valid forms: default, .*openai:URL\[#MODEL\], import:module:factory"
    ):
        MonitorConfig(judge="imprt:a:b")
    with pytest.raises(
        ValidationError
    ) as eval_error:  # eval takes no import: judges, and does not say it does
        EvalConfig(judge="imprt:a:b")
    assert (
        "valid forms" in str(eval_error.value)
        and "import:" not in str(eval_error.value).split("valid forms")[1]
    )


@pytest.mark.parametrize(
    "command, named, field",
    [
        (["evaluate", "--once", "--upstream", "http://x", "--limit", "0"], "--limit 0:", "eval_limit"),
        (
            ["evaluate", "--once", "--upstream", "http://x", "--tolerance", "5"],
            "--tolerance 5.0:",
            "regression_",
        ),
        (["judge", "--once", "--batch-size", "0"], "--batch-size 0:", "judge_batch_size"),
    ],
)
def test_monitor_option_errors_name_the_flag_typed(tmp_path, command, named, field):
    """`monitor evaluate --limit 0` answered "eval_limit = 0: ...", a recipe field the user never wrote."""
    result = runner.invoke(app, ["monitor", *command, "--db", f"sqlite:///{tmp_path / 'm.db'}"])
    assert result.exit_code == 2 and named in said(result) and field not in said(result), said(result)


def test_a_monitor_option_from_its_variable_names_the_variable(tmp_path):
    result = runner.invoke(
        app,
        ["monitor", "judge", "--once", "--db", f"sqlite:///{tmp_path / 'm.db'}"],
        env={"SAFEALIGN_MONITOR_JUDGE": "imprt:a:b"},
    )
    assert result.exit_code == 2 and "--judge ($SAFEALIGN_MONITOR_JUDGE) 'imprt:a:b':" in said(result), said(
        result
    )


def test_a_monitor_recipe_value_keeps_its_field_name_and_a_typed_one_its_flag(tmp_path):
    recipe = write(tmp_path / "r.yaml", "monitor:\n  upstream: http://127.0.0.1:1\n  eval_limit: 3\n")
    result = runner.invoke(
        app, ["monitor", "evaluate", "--once", "--recipe", str(recipe), "--tolerance", "3"]
    )
    assert (
        result.exit_code == 2
        and "with the options given" in said(result)
        and "--tolerance 3.0:" in said(result)
    )


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--top-p", "0.5"], "--top-p 0.5 shapes sampling, but --temperature 0 decodes greedily"),
        (["--top-p", "0.5", "--refusal-vote", "3"], "--top-p 0.5 reaches neither the greedy answer nor"),
        (["--vote-threshold", "5"], "--vote-threshold 5.0 is not a share: give one in (0, 1]"),
        (["--vote-threshold", "5", "--refusal-vote", "3"], "--vote-threshold 5.0 is not a share"),
        (
            ["--vote-threshold", "0.6"],
            "but no --refusal-vote N is given; add --refusal-vote (e.g. 5) or drop",
        ),
        (
            ["--vote-temperature", "0.9"],
            "--vote-temperature 0.9 sets the answers --refusal-vote or --refusal-probe",
        ),
        (
            ["--probe-samples", "3"],
            "but no --refusal-probe is given; add --refusal-probe PATH or drop --probe-samples",
        ),
    ],
)
def test_eval_refuses_a_flag_without_the_option_it_acts_through(tmp_path, monkeypatch, flags, message):
    """`eval --top-p 0.5` decoded greedily and recorded top_p 0.5 in summary.json; --vote-threshold 5 and
    --probe-samples 3 without their vote or probe were taken without a word."""
    import safealign.models

    def no_model(*args, **kwargs):
        raise AssertionError("the model loaded before the flags were checked")

    monkeypatch.setattr(safealign.models, "load_model", no_model)
    result = runner.invoke(
        app,
        ["eval", "tiny", "--suites", "format", "--out", str(tmp_path / "e"), *flags],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 2 and message in said(result), said(result)


def test_eval_defaults_of_dependent_flags_are_not_taken_as_typed(tmp_path, monkeypatch):
    """Only a typed flag is refused: a plain greedy eval, and --top-p with sampling, still run."""
    from safealign.cli import eval_cmd

    ran = []
    monkeypatch.setattr(eval_cmd, "_eval", lambda *args: ran.append(args))
    for flags in (
        [],
        ["--temperature", "0.7", "--top-p", "0.5"],
        ["--refusal-vote", "3", "--vote-threshold", "0.6"],
    ):
        result = runner.invoke(app, ["eval", "tiny", "--suites", "format", *flags])
        assert result.exit_code == 0, said(result)
    assert len(ran) == 3
