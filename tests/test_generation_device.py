"""Models that only generate go to the GPU when torch sees one.

Found on an H200 (docs/scaling.md): rejection sampling, ``safealign eval``, ``generate`` and ``serve`` loaded their
model on the CPU. Here the GPU is stood in for: ``generation_device`` answers ``cuda:0`` and ``load_model`` records
the device it is asked for, then stops the command.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from safealign.cli.main import app
from safealign.config import EvalConfig, SampleConfig
from safealign.stages.evaluate import run_eval_stage
from safealign.stages.sample import run_sample


class Loaded(Exception):
    pass


@pytest.fixture()
def devices(monkeypatch) -> list:
    asked: list = []

    def load_model(spec, *args, device=None, **kwargs):
        asked.append(device)
        raise Loaded(spec)

    for module in ("safealign.models", "safealign.stages.sample", "safealign.stages.evaluate"):
        monkeypatch.setattr(f"{module}.generation_device", lambda: "cuda:0")
        monkeypatch.setattr(f"{module}.load_model", load_model)
    return asked


@pytest.mark.parametrize("argv", [["generate", "tiny", "--prompt", "hi"], ["eval", "tiny", "--suites", "reasoning", "--limit", "1"],
                                  ["serve", "tiny"]], ids=["generate", "eval", "serve"])
def test_commands_that_generate_load_their_model_on_the_gpu(devices, argv, tmp_path):
    out = ["--out", str(tmp_path / "eval")] if argv[0] == "eval" else []
    result = CliRunner().invoke(app, [*argv, *out])
    assert isinstance(result.exception, Loaded) and devices == ["cuda:0"]


def test_stages_that_generate_load_their_model_on_the_gpu(devices, tmp_path):
    with pytest.raises(Loaded):
        run_sample(SampleConfig(num_prompts=2, k=1), "tiny", tmp_path / "sample")
    with pytest.raises(Loaded):
        run_eval_stage(EvalConfig(suites=["reasoning"], limit=1), "tiny", tmp_path / "eval", show_progress=False)
    assert devices == ["cuda:0", "cuda:0"]
