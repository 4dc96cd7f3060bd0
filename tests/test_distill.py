from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from safealign.config import DistillConfig
from safealign.errors import ModelNotFoundError
from safealign.models import load_model
from safealign.models.prune import (
    kept_layers,
    layer_influence,
    layer_skip_loss,
    mlp_neuron_importance,
    most_influential_layers,
    parse_prune_spec,
    prune_mlp_width,
    prune_model,
)
from safealign.runs import read_json
from safealign.stages.distill import (
    answer_examples,
    build_student,
    completion_ce,
    completion_decision_weights,
    completion_logits,
    kd_divergence,
    kd_loss,
    run_distill,
)
from safealign.training.hidden_states import (
    at_completion_positions,
    hidden_state_loss,
    recorded_layer_outputs,
    relative_state_error,
)


def test_kept_layers_shapes():
    assert kept_layers(30, 0.5) == [0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29]
    assert kept_layers(2, 0.5) == [0]
    assert kept_layers(4, 0.5) == [0, 3]
    assert len(kept_layers(30, 0.55)) == 17
    with pytest.raises(ModelNotFoundError, match="between 0 and 1"):
        parse_prune_spec("prune:1.5")
    with pytest.raises(ModelNotFoundError, match="prune:<fraction"):
        parse_prune_spec("prune:half")


def test_pruned_student_copies_teacher_layers():
    teacher = load_model("tiny:2").model
    # a 4-layer teacher so that pruning keeps more than one layer
    from transformers import LlamaForCausalLM

    config = teacher.config.__class__(**{**teacher.config.to_dict(), "num_hidden_layers": 4})
    torch.manual_seed(0)
    teacher = LlamaForCausalLM(config)
    student, keep = prune_model(teacher, 0.5)
    assert keep == [0, 3] and student.config.num_hidden_layers == 2 and len(student.model.layers) == 2
    for student_index, teacher_index in enumerate(keep):
        for (name, p), (_, q) in zip(
            student.model.layers[student_index].state_dict().items(),
            teacher.model.layers[teacher_index].state_dict().items(),
            strict=True,
        ):
            assert torch.equal(p, q), name
    assert torch.equal(student.model.embed_tokens.weight, teacher.model.embed_tokens.weight)
    assert sum(p.numel() for p in student.parameters()) < sum(p.numel() for p in teacher.parameters())
    ids = torch.tensor([[1, 5, 7, 9]])
    assert student.generate(ids, max_new_tokens=3, do_sample=False).shape == (1, 7)


def four_layer_teacher() -> torch.nn.Module:
    from transformers import LlamaForCausalLM

    config = load_model("tiny:2").model.config
    torch.manual_seed(0)
    return LlamaForCausalLM(config.__class__(**{**config.to_dict(), "num_hidden_layers": 4}))


def tiny_kd_trainer(tiny, output_dir, alpha: float, hidden_weight: float = 0.0):
    """A logit-KD trainer of a 3-layer student pruned from :func:`four_layer_teacher` on two sums, and the student."""
    from datasets import Dataset
    from trl import SFTConfig

    from safealign.stages.distill import make_kd_trainer_class
    from safealign.stages.sft import to_prompt_completion

    teacher = four_layer_teacher()
    student, kept = prune_model(teacher, 0.75, [0, 1, 3])
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} + {i}?"},
                {"role": "assistant", "content": f"{2 * i}"},
            ]
        }
        for i in range(2)
    ]
    args = SFTConfig(
        output_dir=str(output_dir),
        per_device_train_batch_size=2,
        padding_free=True,
        max_length=None,
        completion_only_loss=True,
        report_to="none",
        use_cpu=True,
        bf16=False,
    )
    trainer = make_kd_trainer_class()(
        model=student,
        args=args,
        train_dataset=Dataset.from_list(to_prompt_completion(rows, None)),
        processing_class=tiny.tokenizer,
        teacher=teacher,
        alpha=alpha,
        layer_map=kept,
        hidden_weight=hidden_weight,
    )
    return trainer, student


def test_redundancy_pruning_drops_the_layer_that_changes_nothing():
    teacher = four_layer_teacher()
    with (
        torch.no_grad()
    ):  # layer 2 becomes the identity: its attention and MLP write nothing to the residual stream
        teacher.model.layers[2].self_attn.o_proj.weight.zero_()
        teacher.model.layers[2].mlp.down_proj.weight.zero_()
    influence = layer_influence(teacher, [torch.tensor([[1, 5, 7, 9, 11, 13]]), torch.tensor([[3, 4, 6]])])
    assert len(influence) == 4 and influence[2] == pytest.approx(0.0, abs=1e-3)
    assert min(influence[1], influence[3]) > 0.01
    assert most_influential_layers(influence, 0.75) == [0, 1, 3]
    assert most_influential_layers([0.5, 0.1, 0.3, 0.05, 0.2, 0.4], 0.5) == [
        0,
        2,
        5,
    ]  # first and last always stay
    assert most_influential_layers([0.1, 0.9, 0.9], 0.3) == [0]
    student, keep = prune_model(teacher, 0.75, [3, 0, 1])
    assert keep == [0, 1, 3] and [layer.self_attn.layer_idx for layer in student.model.layers] == [0, 1, 2]
    assert torch.equal(
        student.model.layers[2].mlp.down_proj.weight, teacher.model.layers[3].mlp.down_proj.weight
    )


def test_build_student_records_the_redundancy_choice():
    teacher = load_model("tiny:2")
    teacher.model = four_layer_teacher()
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} + 1?"},
                {"role": "assistant", "content": f"It is {i + 1}."},
            ]
        }
        for i in range(3)
    ]
    student, _, info = build_student(
        DistillConfig(student="prune:0.5", prune_by="redundancy", calibration_rows=2), teacher, rows
    )
    assert info["prune_by"] == "redundancy" and len(info["layer_influence"]) == 4
    assert info["kept_layers"] == [0, 3] and len(student.model.layers) == 2


def test_loss_pruning_drops_the_layer_the_answers_do_not_need():
    teacher = load_model("tiny:2")
    teacher.model = four_layer_teacher()
    with torch.no_grad():  # layer 1 becomes the identity: skipping it changes no logit
        teacher.model.model.layers[1].self_attn.o_proj.weight.zero_()
        teacher.model.model.layers[1].mlp.down_proj.weight.zero_()
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} + 1?"},
                {"role": "assistant", "content": f"It is {i + 1}."},
            ]
        }
        for i in range(3)
    ]
    ids = torch.tensor([[1, 5, 7, 9, 11, 13]])
    before = teacher.model(ids).logits
    rises = layer_skip_loss(teacher.model, answer_examples(rows, teacher.tokenizer, 3))
    assert len(rises) == 4 and rises[1] == pytest.approx(0.0, abs=1e-5)
    assert all(abs(rise) > 1e-4 for index, rise in enumerate(rises) if index != 1)
    assert torch.equal(
        teacher.model(ids).logits, before
    )  # the hooks and replays are gone, the teacher unchanged
    examples = answer_examples(rows, teacher.tokenizer, 3)

    def answer_loss(model: torch.nn.Module) -> float:
        total = sum(
            torch.nn.functional.cross_entropy(
                model(ids).logits[0, start - 1 : -1], ids[0, start:], reduction="sum"
            ).item()
            for ids, start in examples
        )
        return total / sum(ids.shape[1] - start for ids, start in examples)

    baseline = answer_loss(teacher.model)  # the replayed search equals physically removing each layer
    for index in range(4):
        without, _ = prune_model(teacher.model, 0.75, [i for i in range(4) if i != index])
        assert rises[index] == pytest.approx(answer_loss(without) - baseline, abs=1e-5)
    student, _, info = build_student(
        DistillConfig(student="prune:0.75", prune_by="loss", calibration_rows=3), teacher, rows
    )
    assert (
        info["kept_layers"] == [0, 2, 3]
        and len(info["layer_loss_rise"]) == 4
        and len(student.model.layers) == 3
    )
    # Only answer tokens are scored: a row whose answer is cut off by max_length gives no tokens to score.
    example, start = answer_examples(rows[:1], teacher.tokenizer, 1)[0]
    prompt = teacher.tokenizer.apply_chat_template(
        rows[0]["messages"][:1], tokenize=True, add_generation_prompt=True, return_dict=True
    )["input_ids"]
    assert start == len(prompt) < example.shape[1]
    assert answer_examples(rows[:1], teacher.tokenizer, 1, max_length=4)[0][1] == 4
    with pytest.raises(ModelNotFoundError, match="no answer tokens"):
        layer_skip_loss(teacher.model, answer_examples(rows[:1], teacher.tokenizer, 1, max_length=4))


def test_depth_and_width_pruning_combine():
    teacher = load_model("tiny:2")
    teacher.model = four_layer_teacher()
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} + 1?"},
                {"role": "assistant", "content": f"It is {i + 1}."},
            ]
        }
        for i in range(3)
    ]
    cfg = DistillConfig(student="prune:0.75", prune_by="depth", mlp_fraction=0.5, calibration_rows=2)
    student, _, info = build_student(cfg, teacher, rows)
    width = teacher.model.config.intermediate_size // 2
    assert info["kept_layers"] == [0, 2, 3] and info["intermediate_size"] == width
    assert len(student.model.layers) == 3 and student.config.intermediate_size == width
    for student_index, teacher_index in enumerate(
        info["kept_layers"]
    ):  # attention untouched, MLP rows a subset
        layer, original = student.model.layers[student_index], teacher.model.model.layers[teacher_index]
        assert torch.equal(layer.self_attn.k_proj.weight, original.self_attn.k_proj.weight)
        assert layer.mlp.up_proj.weight.shape == (width, teacher.model.config.hidden_size)
        rows_kept = [
            (original.mlp.up_proj.weight == row).all(dim=1).nonzero().item()
            for row in layer.mlp.up_proj.weight
        ]
        assert rows_kept == sorted(rows_kept)
    assert (
        len(teacher.model.model.layers) == 4 and teacher.model.config.intermediate_size == 2 * width
    )  # teacher untouched
    assert student(torch.tensor([[1, 5, 7]])).logits.shape[-1] == teacher.model.config.vocab_size
    with pytest.raises(ValueError, match="mlp_fraction"):
        DistillConfig(student="prune:0.5", prune_by="width", mlp_fraction=0.5)


def test_width_pruning_keeps_the_most_active_neurons_and_every_layer(tmp_path):
    teacher = four_layer_teacher()
    batches = [torch.tensor([[1, 5, 7, 9, 11, 13]]), torch.tensor([[3, 4, 6]])]
    importance = mlp_neuron_importance(teacher, batches)
    assert len(importance) == 4 and importance[0].shape == (teacher.config.intermediate_size,)
    student, width = prune_mlp_width(teacher, 0.5, importance)
    assert width == teacher.config.intermediate_size // 2 == student.config.intermediate_size
    assert len(student.model.layers) == 4
    kept = torch.topk(importance[1], width).indices.sort().values
    mlp, original = student.model.layers[1].mlp, teacher.model.layers[1].mlp
    assert mlp.gate_proj.weight.shape == (width, teacher.config.hidden_size)
    assert torch.equal(mlp.up_proj.weight, original.up_proj.weight[kept])
    assert torch.equal(mlp.down_proj.weight, original.down_proj.weight[:, kept])
    assert torch.equal(
        student.model.layers[1].self_attn.q_proj.weight, teacher.model.layers[1].self_attn.q_proj.weight
    )
    with torch.no_grad():  # keeping every neuron reproduces the teacher exactly
        full, _ = prune_mlp_width(teacher, 1.0, importance)
        assert torch.allclose(full(batches[0]).logits, teacher(batches[0]).logits, atol=1e-5)
    student.save_pretrained(tmp_path / "student")  # a plain checkpoint of the same class, smaller MLPs
    reloaded = type(teacher).from_pretrained(tmp_path / "student")
    assert torch.allclose(reloaded(batches[0]).logits, student(batches[0]).logits, atol=1e-5)


def test_width_pruning_names_the_layer_without_a_gated_mlp_and_leaves_no_hook_behind():
    teacher = four_layer_teacher()
    teacher.model.layers[2].mlp = torch.nn.Identity()
    with pytest.raises(ModelNotFoundError, match="layer 2 of"):
        mlp_neuron_importance(teacher, [torch.tensor([[1, 5, 7]])])
    assert not any(
        layer.mlp.down_proj._forward_pre_hooks
        for layer in teacher.model.layers
        if hasattr(layer.mlp, "down_proj")
    )


def test_kd_loss_is_zero_for_identical_and_ignores_prompt():
    logits = torch.randn(2, 5, 11)
    labels = torch.tensor([[-100, -100, 3, 4, 5], [-100, 1, 2, -100, -100]])
    assert kd_loss(logits, logits, labels, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    other = logits.clone()
    other[:, 0, 3] += 5.0  # position 0 predicts the label at 1: masked in row 0, counted in row 1
    assert kd_loss(logits, other, labels, 1.0).item() > 0


def arithmetic_rows(count: int) -> list[dict]:
    """``count`` reasoning rows in the chat format, each a correct sum in the reasoning format."""
    return [
        {
            "id": f"t{i}",
            "kind": "reasoning",
            "messages": [
                {"role": "user", "content": f"What is {i} + {i}?"},
                {"role": "assistant", "content": f"<think>\n{i}+{i}\n</think>\nThe answer is {2 * i}."},
            ],
        }
        for i in range(count)
    ]


def arithmetic_traces_and_teacher(tmp_path) -> tuple[list[dict], Path, Path]:
    """Eight reasoning traces written to ``traces.jsonl`` and a tiny teacher saved to ``teacher/``."""
    rows = arithmetic_rows(8)
    traces = tmp_path / "traces.jsonl"
    traces.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    teacher_dir = tmp_path / "teacher"
    teacher = load_model("tiny:3")
    teacher.model.save_pretrained(teacher_dir)
    teacher.tokenizer.save_pretrained(teacher_dir)
    return rows, traces, teacher_dir


def kd_on_traces(rows: list[dict], student, teacher, beta: float) -> float:
    """The student's KD loss from the teacher on each trace's answer, averaged over the traces: the same rows before and
    after training (the logged loss is each step's batch's, and falls with an easier batch alone)."""
    template = teacher.tokenizer.apply_chat_template
    total = 0.0
    with torch.no_grad():
        for row in rows:
            prompt = template(
                row["messages"][:1], add_generation_prompt=True, tokenize=True, return_dict=True
            )
            ids = torch.tensor([template(row["messages"], tokenize=True, return_dict=True)["input_ids"]])
            labels = ids.clone()
            labels[0, : len(prompt["input_ids"])] = -100
            total += kd_loss(student(ids).logits, teacher.model(ids).logits, labels, 1.0, beta).item()
    return total / len(rows)


@pytest.mark.parametrize("beta", [0.0, 1.0], ids=["forward_kl", "reverse_kl"])
def test_logit_kd_lowers_kd_loss(tmp_path, capfd, beta):
    rows, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    teacher = load_model(str(teacher_dir))
    before = kd_on_traces(rows, prune_model(teacher.model, 0.5)[0], teacher, beta)
    transfer = tmp_path / "transfer.jsonl"
    transfer.write_text("\n".join(json.dumps(r | {"id": f"x{r['id']}"}) for r in rows[:4]) + "\n")
    cfg = DistillConfig(
        student="prune:0.5",
        mode="logit",
        learning_rate=1e-2,
        max_steps=15,
        batch_size=4,
        save_steps=50,
        transfer_data={str(transfer): 1.0},
        divergence_beta=beta,
    )
    result = run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    logged = [
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if "kd_loss" in line
    ]
    assert logged[-1]["kd_loss"] < logged[0]["kd_loss"]
    after = kd_on_traces(rows, load_model(str(result.model_path)).model, teacher, beta)
    assert after < 0.8 * before, (
        f"the student did not move towards the teacher: KD {before:.3f} -> {after:.3f}"
    )
    stage = read_json(tmp_path / "distill" / "stage.json")
    assert stage["config"]["divergence_beta"] == beta
    assert stage["metrics"]["parameter_ratio"] < 1 and stage["inputs"]["kept_layers"] == [0]
    assert stage["inputs"]["traces"]["rows"] == 12, "traces plus the transfer rows"
    assert stage["metrics"]["padding_free"] is True and stage["metrics"]["shared_prefix_tokens"] > 0
    assert (result.model_path / "model.safetensors").is_file()
    metrics = stage["metrics"]
    assert metrics["teacher_tokens_per_s"] > 0 and metrics["speed_check"]["rounds"] == 3
    assert metrics["generation_speedup"] == pytest.approx(
        metrics["student_tokens_per_s"] / metrics["teacher_tokens_per_s"]
    )
    readme = (tmp_path / "distill" / "README.md").read_text()
    assert "is a student (`prune:0.5`) of the teacher" in readme and "| distillation mode | logit |" in readme
    assert "| student / teacher generation speed |" in readme
    out, err = capfd.readouterr()
    assert "step 15/15: loss " in out + err and "· kd loss " in out + err, (
        "a progress bar with one line per log record"
    )
    assert "{'loss'" not in out + err, "the stock printer's raw dict"


def test_kd_loss_ignores_masked_positions():
    logits = torch.randn(1, 4, 7)
    other = logits.clone()
    other[0, 0, 2] += 5.0  # predicts position 1, which is prompt (-100)
    labels = torch.tensor([[-100, -100, 3, 4]])
    assert kd_loss(logits, other, labels, 1.0).item() == pytest.approx(0.0, abs=1e-6)


def test_packed_rows_give_the_padded_batch_logits():
    """The padding-free path (one packed row, LM head on completion positions only) scores what a padded batch does."""
    from safealign.training.packed_attention import use_packed_attention

    model = four_layer_teacher().eval()
    examples = [([5, 6, 7, 8], [9, 10, 11]), ([12, 13], [14, 15, 16, 17, 18]), ([19, 20, 21], [22])]
    pad = 0
    longest = max(len(p) + len(c) for p, c in examples)
    padded_ids = torch.tensor([[*p, *c] + [pad] * (longest - len(p) - len(c)) for p, c in examples])
    padded_labels = torch.tensor(
        [[-100] * len(p) + c + [-100] * (longest - len(p) - len(c)) for p, c in examples]
    )
    attention_mask = (
        torch.arange(longest)[None] < torch.tensor([[len(p) + len(c)] for p, c in examples])
    ).long()
    packed = {
        "input_ids": torch.tensor([[t for p, c in examples for t in (*p, *c)]]),
        "labels": torch.tensor([[t for p, c in examples for t in ([-100] * len(p) + c)]]),
        "position_ids": torch.tensor([[i for p, c in examples for i in range(len(p) + len(c))]]),
    }
    with torch.no_grad():
        padded_logits, padded_targets = completion_logits(
            model, {"input_ids": padded_ids, "labels": padded_labels, "attention_mask": attention_mask}
        )
        use_packed_attention(model)
        packed_logits, packed_targets = completion_logits(model, packed)
    # a completion token right after the prompt is predicted from the prompt's last position, so every target counts
    assert packed_targets.tolist() == padded_targets.tolist() == [9, 10, 11, 14, 15, 16, 17, 18, 22]
    assert packed_logits.shape == (9, model.config.vocab_size)
    assert torch.allclose(packed_logits, padded_logits, atol=1e-4)
    assert kd_divergence(packed_logits, padded_logits, 2.0).item() == pytest.approx(0.0, abs=1e-5)


def test_decision_weights_follow_the_completion_tokens_of_packed_and_padded_batches():
    """Each answer's first tokens get the weight, in the order completion_logits returns the tokens."""
    examples = [([5, 6, 7, 8], [9, 10, 11]), ([12, 13], [14, 15, 16, 17, 18]), ([19, 20, 21], [22])]
    longest = max(len(p) + len(c) for p, c in examples)
    padded = torch.tensor([[-100] * len(p) + c + [-100] * (longest - len(p) - len(c)) for p, c in examples])
    packed = torch.tensor([[t for p, c in examples for t in ([-100] * len(p) + c)]])
    expected = [3.0, 3.0, 1.0, 3.0, 3.0, 1.0, 1.0, 1.0, 3.0]  # targets 9 10 11 | 14 15 16 17 18 | 22
    assert completion_decision_weights(padded, 2, 3.0).tolist() == expected
    assert completion_decision_weights(packed, 2, 3.0).tolist() == expected
    assert (
        completion_decision_weights(packed, 0, 3.0) is None
        and completion_decision_weights(packed, 2, 1.0) is None
    )


def test_weighted_kd_and_ce_scale_each_token():
    student = torch.randn(2, 9)
    teacher = student.clone()
    teacher[1] += torch.randn(9)  # only the second token diverges
    targets = torch.tensor([3, 4])
    plain = kd_divergence(student, teacher, 2.0)
    assert kd_divergence(student, teacher, 2.0, torch.tensor([1.0, 1.0])).item() == pytest.approx(
        plain.item(), rel=1e-5
    )
    assert kd_divergence(student, teacher, 2.0, torch.tensor([5.0, 1.0])).item() == pytest.approx(
        plain.item(), rel=1e-5
    )
    assert kd_divergence(student, teacher, 2.0, torch.tensor([1.0, 3.0])).item() == pytest.approx(
        3 * plain.item(), rel=1e-5
    )
    per_token = torch.nn.functional.cross_entropy(student, targets, reduction="none")
    weighted = completion_ce(student, targets, torch.tensor([3.0, 1.0]))
    assert weighted.item() == pytest.approx(((3 * per_token[0] + per_token[1]) / 2).item(), rel=1e-5)
    assert completion_ce(student, targets).item() == pytest.approx(per_token.mean().item(), rel=1e-5)


@pytest.mark.parametrize("mode", ["both", "sequence"])
def test_decision_token_weighting_reaches_the_student_loss(tmp_path, mode):
    """Same student, data and first batch: with the answers' first tokens weighted 3x the first logged loss is larger."""
    _, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    first_loss, weights = {}, {}
    for weight in (1.0, 3.0):
        cfg = DistillConfig(
            student="prune:0.5",
            mode=mode,
            learning_rate=1e-3,
            max_steps=1,
            batch_size=4,
            save_steps=50,
            decision_tokens=4,
            decision_weight=weight,
        )
        out = tmp_path / f"distill-{weight}"
        run_distill(cfg, str(teacher_dir), traces, out, precision="fp32")
        logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        first_loss[weight] = next(entry["loss"] for entry in logged if "loss" in entry)
        weights[weight] = read_json(out / "stage.json")["metrics"]["decision_token_weight"]
    assert weights == {1.0: 1.0, 3.0: 3.0}
    assert first_loss[3.0] > first_loss[1.0] * 1.2


def test_hidden_state_loss_compares_each_student_layer_with_its_teacher_layer_on_answer_positions():
    teacher = four_layer_teacher()
    student, kept = prune_model(teacher, 0.75, [0, 1, 3])
    ids = torch.tensor([[1, 5, 7, 9, 11, 13, 15]])
    labels = torch.tensor([[-100, -100, -100, 9, 11, 13, 15]])  # positions 2..5 predict answer tokens
    with torch.no_grad():
        with recorded_layer_outputs(student, [0, 1, 2]) as student_states:
            student(ids)
        with recorded_layer_outputs(teacher, kept) as teacher_states:
            teacher(ids)
    errors = [
        relative_state_error(
            at_completion_positions(student_states[j], labels),
            at_completion_positions(teacher_states[t], labels),
        )
        for j, t in enumerate(kept)
    ]
    assert errors[0].item() == errors[1].item() == 0.0, (
        "layers below the first dropped one are the teacher's, on the same input"
    )
    assert errors[2].item() > 1e-4, "layer 3 now reads layer 1's output instead of layer 2's"
    assert hidden_state_loss(student_states, teacher_states, kept, labels).item() == pytest.approx(
        errors[2].item() / 3
    )
    assert at_completion_positions(student_states[2], labels).shape == (4, student.config.hidden_size)
    # Prompt positions are not scored: a difference there changes nothing.
    moved = {j: state.clone() for j, state in student_states.items()}
    moved[2][0, :2] += 10.0
    assert hidden_state_loss(moved, teacher_states, kept, labels).item() == pytest.approx(
        errors[2].item() / 3
    )
    # The hooks are gone after the block.
    assert not any(layer._forward_hooks for layer in student.model.layers)


def test_hidden_state_kd_lowers_the_student_teacher_state_gap(tmp_path, capfd):
    rows, traces, teacher_dir = arithmetic_traces_and_teacher(tmp_path)
    teacher = four_layer_teacher()
    teacher.save_pretrained(teacher_dir)
    cfg = DistillConfig(
        student="prune:0.75",
        mode="both",
        hidden_weight=1.0,
        learning_rate=1e-2,
        max_steps=12,
        batch_size=4,
        save_steps=50,
    )
    run_distill(cfg, str(teacher_dir), traces, tmp_path / "distill", precision="fp32")
    logged = [
        json.loads(line)
        for line in (tmp_path / "distill" / "metrics.jsonl").read_text().splitlines()
        if "hidden_loss" in line
    ]
    assert logged[0]["hidden_loss"] > 0 and logged[-1]["hidden_loss"] < logged[0]["hidden_loss"]
    stage = read_json(tmp_path / "distill" / "stage.json")
    assert stage["metrics"]["hidden_weight"] == 1.0 and len(stage["inputs"]["kept_layers"]) == 3
    out, err = capfd.readouterr()
    assert "· hidden loss " in out + err


def test_hidden_weight_needs_a_pruned_student_and_the_teacher_pass():
    with pytest.raises(ValueError, match="needs a prune:<fraction> student"):
        DistillConfig(student="tiny:1", hidden_weight=0.5)
    with pytest.raises(ValueError, match="use mode: both"):
        DistillConfig(student="prune:0.5", mode="sequence", hidden_weight=0.5)
    assert DistillConfig(student="prune:0.5", hidden_weight=0.5).hidden_weight == 0.5


def test_divergence_beta_picks_forward_kl_reverse_kl_or_the_jsd_between():
    """beta 0 is KL(teacher || student), beta 1 KL(student || teacher), beta 0.5 the JSD (TRL's generalized JSD)."""
    torch.manual_seed(0)
    student, teacher = torch.randn(3, 13), torch.randn(3, 13) * 2
    s, t = student.log_softmax(-1), teacher.log_softmax(-1)
    forward = (t.exp() * (t - s)).sum() / 3
    reverse = (s.exp() * (s - t)).sum() / 3
    m = torch.logsumexp(torch.stack([s, t]) + torch.tensor(0.5).log(), 0)
    jsd = (0.5 * (t.exp() * (t - m)).sum() + 0.5 * (s.exp() * (s - m)).sum()) / 3
    assert kd_divergence(student, teacher, 1.0).item() == pytest.approx(forward.item(), rel=1e-5)
    assert kd_divergence(student, teacher, 1.0, beta=1.0).item() == pytest.approx(reverse.item(), rel=1e-5)
    assert kd_divergence(student, teacher, 1.0, beta=0.5).item() == pytest.approx(jsd.item(), rel=1e-5)
    assert forward.item() != pytest.approx(reverse.item(), rel=1e-2), (
        "the two directions differ on these logits"
    )
    assert 0 < jsd.item() < torch.tensor(2.0).log().item()
    # T^2 scaling, the per-token weights and the zero at identical distributions hold for every beta
    for beta in (0.0, 0.5, 1.0):
        assert kd_divergence(student, student, 1.0, beta=beta).item() == pytest.approx(0.0, abs=1e-6)
        hot = kd_divergence(student / 2, teacher / 2, 1.0, beta=beta)
        assert kd_divergence(student, teacher, 2.0, beta=beta).item() == pytest.approx(
            4 * hot.item(), rel=1e-5
        )
        weighted = kd_divergence(student, teacher, 1.0, torch.tensor([2.0, 0.0, 1.0]), beta=beta)
        per_row = [
            kd_divergence(student[i : i + 1], teacher[i : i + 1], 1.0, beta=beta).item() for i in range(3)
        ]
        assert weighted.item() == pytest.approx((2 * per_row[0] + per_row[2]) / 3, rel=1e-5)
    student.requires_grad_(True)
    kd_divergence(student, teacher, 1.0, beta=1.0).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0


def test_divergence_beta_is_a_logit_kd_setting():
    with pytest.raises(ValueError, match="mode: sequence does not compute"):
        DistillConfig(student="prune:0.5", mode="sequence", divergence_beta=1.0)
    with pytest.raises(ValueError):
        DistillConfig(divergence_beta=1.5)
    assert DistillConfig(divergence_beta=1.0).divergence_beta == 1.0


def test_distill_whose_trace_prompts_all_fill_max_length_is_a_data_error_before_training(tmp_path):
    from safealign.errors import DataError

    traces = tmp_path / "long.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Question {i}: " + "word " * 120},
                {"role": "assistant", "content": f"It is {i}."},
            ]
        }
        for i in range(4)
    ]
    traces.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    cfg = DistillConfig(student="prune:0.5", max_steps=1, batch_size=2, max_length=64, speed_rounds=0)
    with pytest.raises(
        DataError, match=r"long.jsonl.*raise distill.max_length to at least \d+ .*or shorten the prompts"
    ):
        run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
    assert not (tmp_path / "distill" / "metrics.jsonl").exists()  # stopped before the trainer


def test_a_misspelt_lora_target_of_the_student_is_named_before_training(tmp_path):
    """distill built peft's config without the student, so check_lora_targets never ran: peft adapted q_proj alone and
    skipped the misspelt v_projj without a word."""
    from safealign.errors import SafealignError

    traces = tmp_path / "traces.jsonl"
    row = {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]}
    traces.write_text(json.dumps(row) + "\n")
    cfg = DistillConfig(
        method="lora", lora={"target_modules": ["q_proj", "v_projj"]}, max_steps=1, speed_rounds=0
    )
    with pytest.raises(
        SafealignError, match=r"lora.target_modules \['v_projj'\] name no module of this model"
    ):
        run_distill(cfg, "tiny", traces, tmp_path / "distill", precision="fp32")
    assert not (tmp_path / "distill" / "metrics.jsonl").exists()  # stopped before the trainer


def test_width_settings_of_a_student_that_is_not_pruned_are_refused():
    """mlp_fraction and prune_by were ignored for a student loaded whole (vocab_keep and hidden_weight were refused)."""
    with pytest.raises(ValueError, match="mlp_fraction: 0.5 would be ignored"):
        DistillConfig(student="tiny:3", mlp_fraction=0.5)
    with pytest.raises(ValueError, match="prune_by: loss would be ignored"):
        DistillConfig(student="tiny:3", prune_by="loss")
    assert DistillConfig(student="tiny:3").prune_by == "depth"
    assert DistillConfig(student="prune:0.5", prune_by="loss", mlp_fraction=0.5).mlp_fraction == 0.5


def test_a_teacher_without_a_chat_template_and_empty_traces_are_named_before_pruning(
    no_template_model, tmp_path
):
    """A pruned student's calibration used the teacher's chat template first: a raw transformers error, naming no folder.
    Empty traces with transfer_data said "drop it from the datasets", advice about a file the user never listed."""
    from safealign.errors import DataError, SafealignError

    traces = tmp_path / "traces.jsonl"
    traces.write_text(
        json.dumps(
            {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]}
        )
        + "\n"
    )
    cfg = DistillConfig(student="prune:0.5", prune_by="redundancy", max_steps=1, speed_rounds=0)
    with pytest.raises(SafealignError, match=r"distill: .*no_template's tokenizer has no chat template"):
        run_distill(cfg, str(no_template_model), traces, tmp_path / "distill", precision="fp32")

    traces.write_text("")
    with pytest.raises(
        DataError, match=r"traces\.jsonl holds no traces: rejection sampling kept none .*rejected\.jsonl"
    ):
        run_distill(
            DistillConfig(transfer_data={"reasoning": 0.1}),
            "tiny",
            traces,
            tmp_path / "distill2",
            precision="fp32",
        )


def test_a_prune_fraction_that_keeps_the_whole_teacher_is_refused(tiny):
    """prune:0.75 of the tiny model's 2 layers keeps both: a "student" as large as its teacher, distilled for nothing."""
    from safealign.config import DistillConfig
    from safealign.errors import DataError
    from safealign.stages.distill import build_student

    with pytest.raises(DataError, match="keeps the whole 2-layer teacher .* no smaller"):
        build_student(DistillConfig(student="prune:0.75", prune_by="depth"), tiny, [])
    student, _, info = build_student(DistillConfig(student="prune:0.5", prune_by="depth"), tiny, [])
    assert info["kept_layers"] == [0]


@pytest.mark.parametrize("hidden_weight", [0.0, 1.0], ids=["logit_kd", "hidden_state_kd"])
def test_kd_loss_is_the_same_when_the_trainer_passes_a_ddp_wrapped_student(tiny, tmp_path, hidden_weight):
    """Under `accelerate launch` DDP, compute_loss gets the DistributedDataParallel wrapper, not the student (world size 1, gloo)."""
    import torch.distributed as dist
    from test_distributed import free_port

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    trainer, student = tiny_kd_trainer(tiny, tmp_path, alpha=0.5, hidden_weight=hidden_weight)
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad():
        plain = trainer.compute_loss(trainer.model, dict(batch))
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
    try:
        wrapped = torch.nn.parallel.DistributedDataParallel(trainer.model)
        with torch.no_grad():
            loss = trainer.compute_loss(wrapped, dict(batch))
    finally:
        dist.destroy_process_group()
    assert torch.allclose(loss, plain, atol=1e-6)
    assert not any(layer._forward_hooks for layer in student.model.layers)


def test_a_pruned_lora_student_writes_no_adapter_that_would_load_onto_the_teacher(tmp_path):
    """distill/adapter/ named the teacher as its base (the pruned student exists only in memory): loading it gave the
    full-depth teacher with the student's adapter on its first layers, without a word."""
    traces = tmp_path / "traces.jsonl"
    row = {"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]}
    traces.write_text(json.dumps(row) + "\n")
    cfg = DistillConfig(
        student="prune:0.5", method="lora", mode="sequence", max_steps=1, batch_size=1, speed_rounds=0
    )
    out = tmp_path / "distill"
    run_distill(cfg, "tiny", traces, out, precision="fp32")
    assert not (out / "adapter").exists()
    assert load_model(str(out / "model")).model.config.num_hidden_layers == 1
    readme = " ".join((out / "README.md").read_text().split())
    assert "| `adapter/` | none: the LoRA adapter is merged into `model/` only." in readme
