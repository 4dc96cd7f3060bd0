"""Review 72 of the refusal probe: a probe from a model of other depth, and the probe CLI's training rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safealign.errors import DataError
from safealign.probing import RefusalProbe


def probe_of(hidden: int, **fields) -> RefusalProbe:
    return RefusalProbe(
        layer=1, threshold=0.5, mean=[0.0] * hidden, scale=[1.0] * hidden, coef=[0.1] * hidden, intercept=0.0, **fields
    )


def test_a_probe_fitted_on_a_model_of_other_depth_is_refused_not_read_at_another_layer(tiny) -> None:
    """Hidden size and layer index alone passed a probe of SmolLM2-135M's 31 states on a pruned model of the same
    width: it scored layer 1 of another depth without a word. The fit records its layer count; that is checked too."""
    hidden = tiny.model.config.hidden_size
    states = tiny.model.config.num_hidden_layers + 1  # embeddings included
    prompts = ["How do I water a cactus?"]
    assert probe_of(hidden, fitted={"layers": states}).score(tiny.model, tiny.tokenizer, prompts).shape == (1,)
    with pytest.raises(DataError, match=r"layer 1 of 31 .*shape \(1, 3, "):
        probe_of(hidden, fitted={"layers": 31}).score(tiny.model, tiny.tokenizer, prompts)
    assert probe_of(hidden).scores_from_states(np.zeros((2, states, hidden))).shape == (2,)  # unrecorded: as before


@pytest.mark.parametrize("layers", ["31", 1, True])
def test_a_hand_edited_layer_count_is_named_when_the_probe_loads(tmp_path: Path, layers) -> None:
    path = probe_of(3, fitted={"layers": layers}).save(tmp_path / "probe.json")
    with pytest.raises(DataError, match="fitted.layers must be the model's layer count, above layer 1"):
        RefusalProbe.load(path)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"kind": ["harmful"]}, r"field 'kind': must be a string, .* got \['harmful'\]"),
        ({"kind": "Harmful"}, "field 'kind': .*did you mean 'harmful'"),
        ({"kind": "harmful", "language": "English"}, "field 'language': .*did you mean 'en'"),
    ],
)
def test_a_training_row_of_a_kind_or_language_training_refuses_is_named_not_skipped(
    tmp_path: Path, fields: dict, said: str
) -> None:
    """A list kind failed with a TypeError traceback; a kind 'Harmful' or a language 'English' (which the training
    stages refuse, with the value meant) left the row out of the fit without a word."""
    from safealign.cli.probe_cmd import training_prompts

    rows = tmp_path / "rows.jsonl"
    row = {"messages": [{"role": "user", "content": "Write ransomware for a hospital."}]}
    rows.write_text(json.dumps({"kind": "benign", **row}) + "\n" + json.dumps(row | fields) + "\n")
    with pytest.raises(DataError, match=rf"rows\.jsonl:2: {said}.*fix the row or drop it"):
        training_prompts(f"{rows},benign_helpful", "en")


def test_the_folder_a_probe_was_written_into_is_named_with_the_file_to_give(tmp_path: Path) -> None:
    """--refusal-probe runs/probe (the folder, not its refusal_probe.json) said 'give a file path for this input or
    output (--out, --json, --prompts, --datasets)', none of them the flag given."""
    with pytest.raises(DataError, match=r"is a folder; give the probe's file, e\.g\. `safealign probe MODEL --out"):
        RefusalProbe.load(tmp_path)
    written = probe_of(3).save(tmp_path / "refusal_probe.json")
    with pytest.raises(DataError, match=rf"is a folder; give the probe's file, {written}$"):
        RefusalProbe.load(tmp_path)


def test_the_probe_loads_its_model_on_the_gpu_as_eval_does(monkeypatch, tmp_path: Path) -> None:
    """`safealign probe` loaded its model on the CPU beside a GPU (eval, generate and serve ask generation_device): every
    training, dev and held-out prompt's forward pass ran there. The GPU is stood in for, as in test_generation_device."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    asked = []

    def load_model(spec, *args, device=None, **kwargs):
        asked.append(device)
        raise KeyboardInterrupt  # stops the command where it would load, as Ctrl-C there does

    monkeypatch.setattr("safealign.models.generation_device", lambda: "cuda:0")
    monkeypatch.setattr("safealign.models.load_model", load_model)
    # the suites (their items, the overlap check) are not this test's: seconds
    monkeypatch.setattr("safealign.cli.probe_cmd.suite_prompts", lambda suites, split: [])
    monkeypatch.setattr("safealign.cli.probe_cmd.check_disjoint_from_probe_suites", lambda train: None)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"kind": kind, "messages": [{"role": "user", "content": text}]})
            for kind, text in (("harmful", "Write ransomware for a hospital."), ("benign", "How do I water a cactus?"))
        )
    )
    CliRunner().invoke(app, ["probe", "tiny", "--datasets", str(rows), "--out", str(tmp_path / "p.json")])
    assert asked == ["cuda:0"]


def test_a_system_prompt_that_is_not_utf8_is_named_before_anything_runs(tmp_path: Path) -> None:
    """Latin-1 bytes in --system-prompt (they reach Python as lone surrogates) failed with the tokenizer's TypeError
    traceback once the model had loaded; eval and generate name them first."""
    from typer.testing import CliRunner

    from safealign.cli.main import app

    argv = ["probe", "tiny", "--system-prompt", "be \udcff kind", "--out", str(tmp_path / "p.json")]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    assert result.exit_code == 2 and "--system-prompt holds the byte \\xff, which is not UTF-8" in result.output
    assert not (tmp_path / "p.json").exists()
