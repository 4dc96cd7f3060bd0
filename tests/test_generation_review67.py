"""Review 67 of the generation engine and the training commands' CLI."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from test_cli_review63 import HOLD_RUN  # holds a run folder as `safealign run` does, until killed
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.errors import SettingError
from safealign.generation import GenerationEngine, SamplingParams


@pytest.mark.parametrize("temperature", [2, np.float32(0.7)])
def test_an_int_or_numpy_float32_temperature_samples_instead_of_failing_mid_generate(tiny, temperature):
    """transformers' TemperatureLogitsWarper wants a Python float: it failed on the first decoding step with "has to be
    a strictly positive float", after every prompt was encoded."""
    params = SamplingParams(max_new_tokens=2, temperature=temperature, top_p=1)
    assert type(params.temperature) is float and type(params.top_p) is float
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    assert engine.generate(["hi"], params)[0].completion_tokens >= 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(temperature="0.7"), "temperature must be a finite number >= 0"),
        (dict(temperature=None), "temperature must be a finite number >= 0"),
        (dict(top_p="0.9"), r"top_p must be in \(0, 1\]"),
        (dict(ignore_eos="false"), "ignore_eos must be true or false, got 'false'"),
    ],
)
def test_a_sampling_setting_of_the_wrong_type_is_a_setting_error_naming_it(bad, message):
    """A string temperature or top_p raised a bare TypeError ("'>=' not supported ..."); ignore_eos="false" was true."""
    with pytest.raises(SettingError, match=message):
        SamplingParams(**bad)


def stub_run_rl(monkeypatch) -> list[Path]:
    """The RL stage replaced by one that records the folder it was handed."""
    import safealign.stages.rl as rl_stage

    trained: list[Path] = []
    monkeypatch.setattr(
        rl_stage,
        "run_rl",
        lambda cfg, model, stage_dir, **kwargs: (
            trained.append(stage_dir)
            or SimpleNamespace(record={"output": str(stage_dir / "model"), "metrics": {}})
        ),
    )
    return trained


def test_a_stage_command_refuses_a_folder_holding_another_stages_unfinished_run(tmp_path: Path, monkeypatch):
    """`safealign rl --out F` with F a crashed sft's folder trained rl in it: sft's logs and sessions set aside, its
    config.json replaced (with a checkpoint there, refused as "other settings", offering --no-resume)."""
    trained = stub_run_rl(monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump({"name": "x", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}})
    )
    folder = tmp_path / "my_sft"  # what a crashed `safealign sft r.yaml --out my_sft` leaves
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"sft": {"learning_rate": 1e-5}, "model": "tiny", "seed": 42})
    )
    (folder / "sessions.jsonl").write_text(json.dumps({"started_at": 1.0, "checkpoint": None}) + "\n")
    result = CliRunner().invoke(app, ["rl", str(recipe), "--out", str(folder), "--model", "tiny"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and not trained, result.output
    assert "holds an unfinished `sft` stage (its config.json), not `rl`" in said
    # its own stage resumes there; a model's config.json (not a stage's) is left to the --out check
    (folder / "config.json").write_text(json.dumps({"rl": {}, "model": "tiny", "seed": 42}))
    assert (
        CliRunner().invoke(app, ["rl", str(recipe), "--out", str(folder), "--model", "tiny"]).exit_code == 0
    )
    assert trained == [folder]


def test_audit_of_a_stage_still_training_shows_its_alerts_and_writes_no_audit_json(tmp_path: Path):
    """Written from the first steps, audit.json stayed after the stage trained on and finished, and the card listed its
    "needs 3 logged steps, has 2" notes as the final model's detectors that could not judge."""
    import subprocess
    import sys
    import time

    run_dir = tmp_path / "runs" / "x"
    stage = run_dir / "rl"
    stage.mkdir(parents=True)
    (stage / "config.json").write_text(json.dumps({"rl": {"hacking": {"window": 3}}}))
    rows = [{"step": s, "kl": 0.1, "text/repetition": 0.05} for s in (1, 2)]
    (stage / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN, str(run_dir)])
    try:
        deadline = time.time() + 60
        while not (run_dir / "held").exists():
            assert holder.poll() is None and time.time() < deadline
            time.sleep(0.05)
        result = CliRunner().invoke(app, ["audit", str(run_dir)])
        said = " ".join(result.output.split())
        assert result.exit_code == 0 and "could not judge: repetition" in said, result.output
        assert f"the stage is still training (pid {holder.pid} holds it)" in said
        assert not (stage / "audit.json").exists()
        (stage / "stage.json").write_text("{}")  # finished: the run may go on with other stages
        assert CliRunner().invoke(app, ["audit", str(run_dir)]).exit_code == 0
        assert (stage / "audit.json").is_file()
    finally:
        holder.kill()
        holder.wait()
    (stage / "stage.json").unlink()
    (stage / "audit.json").unlink()
    assert CliRunner().invoke(app, ["audit", str(stage)]).exit_code == 0  # crashed: nothing holds it
    assert (stage / "audit.json").is_file()


@pytest.mark.parametrize("setting", ["eval.max_new_tokens", "rl.gates.max_new_tokens"])
def test_a_recipes_eval_past_the_context_window_names_the_recipe_setting(
    tiny, tmp_path: Path, setting: str
) -> None:
    """The recipe's eval stage and the RL gates were told to "lower --max-new-tokens", an option they do not have."""
    from test_evals import FakeJudges

    from safealign.errors import DataError
    from safealign.evals import run_eval

    path = tmp_path / "short.txt"
    path.write_text("hi\n")
    engine = GenerationEngine(tiny.model, tiny.tokenizer, precision="fp32")
    with pytest.raises(DataError, match=rf"with {setting} 4000 is above .* lower {setting} to \d+") as caught:
        run_eval(
            engine,
            [str(path)],
            judges=FakeJudges(),
            params=SamplingParams(max_new_tokens=4000),
            max_new_tokens_setting=setting,
        )
    assert "--max-new-tokens" not in str(caught.value)


def test_a_stage_command_over_a_stage_made_from_a_retrained_model_does_not_say_it_keeps_it(
    tmp_path: Path, monkeypatch
):
    """`safealign rl --out rl/` over a finished rl/ whose sft/model was trained again since: the command warned "finished
    with other settings ...; keeping it", then the stage set rl/ aside and trained again ("redoing rl")."""
    import time

    from test_pipeline_review64 import RL, finished

    from safealign.config import RLConfig, SFTConfig

    trained = stub_run_rl(monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {"name": "x", "output_dir": str(tmp_path / "runs"), "model": {"name": "tiny"}, "rl": RL}
        )
    )
    sft_dir, rl_dir = tmp_path / "sft", tmp_path / "rl"
    finished(
        rl_dir,
        "rl",
        RLConfig(**RL | {"learning_rate": 5e-6}).model_dump(),
        str(sft_dir / "model"),
        time.time() - 100,
    )
    # sft/ trained again after rl/ started
    finished(sft_dir, "sft", SFTConfig().model_dump(), "tiny", time.time() - 10)
    (sft_dir / "model").mkdir()
    result = CliRunner().invoke(
        app, ["rl", str(recipe), "--out", str(rl_dir), "--model", str(sft_dir / "model")]
    )
    assert result.exit_code == 0, result.output
    assert "keeping it" not in " ".join(result.output.split()), result.output
    assert trained == [rl_dir]
