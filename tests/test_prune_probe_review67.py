"""Review 67: pruning a hybrid model's cache indices, the loss criterion's message, and `judges check` on a split
without refusal rows."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from safealign.errors import ModelNotFoundError
from safealign.models.prune import layer_skip_loss, prune_model


def _tiny_lfm2():
    from transformers import Lfm2Config, Lfm2ForCausalLM

    config = Lfm2Config(
        vocab_size=128,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=6,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        full_attn_idxs=[1, 4],
    )
    torch.manual_seed(0)
    return Lfm2ForCausalLM(config).eval()


def test_pruning_a_hybrid_renumbers_its_conv_cache_index(tmp_path):
    """Only self_attn.layer_idx was renumbered: a kept LFM2 conv layer (Qwen3-Next's linear_attn alike) kept the
    teacher's index into the conv-state cache, and the student was refused as "a per-layer setting of the dropped
    layers" (IndexError), a model the config describes exactly."""
    from transformers import AutoModelForCausalLM

    teacher = _tiny_lfm2()
    student, keep = prune_model(teacher, 0.5, keep=[0, 1, 3])
    assert keep == [0, 1, 3]
    assert [layer.conv.layer_idx for layer in (student.model.layers[0], student.model.layers[2])] == [0, 2]
    assert student.config.layer_types == ["conv", "full_attention", "conv"]
    # renumbered, not the teacher's [1, 4] left beside the layer types
    assert student.config.full_attn_idxs == [1]
    student.save_pretrained(tmp_path)
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    ids = torch.arange(1, 10).unsqueeze(0)
    assert torch.equal(
        student.generate(ids, max_new_tokens=5, do_sample=False),
        reloaded.generate(ids, max_new_tokens=5, do_sample=False),
    )


def test_loss_pruning_with_every_answer_cut_off_names_the_cut(tiny):
    """Every row ends with an answer (validated); the calibration texts are cut to a length, and a prompt longer than it
    left no answer token. The error said the rows "need an assistant turn", which they had."""
    from safealign.stages.distill import answer_examples

    rows = [
        {
            "messages": [
                {"role": "user", "content": "What is 2 + 2?"},
                {"role": "assistant", "content": "It is 4."},
            ]
        }
    ]
    examples = answer_examples(rows, tiny.tokenizer, 1, max_length=4)
    with pytest.raises(ModelNotFoundError, match="no answer tokens") as error:
        layer_skip_loss(tiny.model, examples)
    message = str(error.value)
    assert "need an assistant turn" not in message
    assert "cut (at 4 tokens) before its assistant answer" in message and "calibration_rows" in message


class _SaysRefusal:
    """A refusal judge that calls every answer a refusal (and a harm judge that calls none harmful)."""

    def __init__(self, name: str, label: str) -> None:
        self.name, self.label = name, label

    def judge(self, prompts, responses):
        from safealign.judges.base import Verdict

        return [Verdict(self.label, 1.0, f"always {self.label}", self.name) for _ in responses]


def test_judges_check_fails_a_false_refusal_on_a_split_without_refusal_rows(tmp_path, monkeypatch):
    """F1 = 2tp / (2tp + fp + fn) is 0, not undefined, when the judge calls a compliance a refusal: the table showed
    "n/a" and the command passed, "nothing to find", a judge that refused where no row is a refusal."""
    import safealign.judges as judges
    from safealign.cli.main import app
    from safealign.judges import JudgeSet
    from safealign.judges.base import REFUSAL, SAFE

    stub = JudgeSet(_SaysRefusal("refusal-stub", REFUSAL), _SaysRefusal("harm-stub", SAFE))
    monkeypatch.setattr(judges, "build_judges", lambda spec: stub)
    labelled = tmp_path / "answers_only.jsonl"
    labelled.write_text(
        "".join(
            json.dumps(
                {"id": str(i), "prompt": p, "response": r, "label": "compliance", "harmful_content": False}
            )
            + "\n"
            for i, (p, r) in enumerate(
                [("How do I bake bread?", "Mix flour, water and yeast."), ("What is 2 + 2?", "It is 4.")]
            )
        )
    )
    result = CliRunner().invoke(app, ["judges", "check", "--labelled", str(labelled)], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    cells = {
        row[0].split(" (")[0]: row[2:]
        for line in result.output.splitlines()
        if len(row := [cell.strip() for cell in line.split("│") if cell.strip()]) == 7
    }
    # precision 0 of 2 flagged, recall 0 / 0, F1 0 / (0 + 2 + 0) = 0
    assert cells["refusal"] == ["0.000", "n/a", "0.000", "0.000", "0/2/0/0"], cells
    # no yes row, no yes verdict: 0 / 0
    assert cells["harm"] == ["n/a", "n/a", "n/a", "1.000", "0/0/0/2"], cells
    assert (
        "refusal judge F1 0.000 < 0.9 (no row is labelled refusal, and it called 2 of 2 a refusal)"
        in result.output
    )
    assert "not checked" not in result.output
