"""Tests that kill the mutants of the training internals that survived the rest of the suite: packed attention and
shared prefixes, NEFTune's scale, decision-token weights, hidden-state distillation, rollout statistics, the NaN guard
and the resume bookkeeping. Each test names the one-token change it guards against and the wrong number that change
would let through. Pure functions on literal inputs: no model is loaded or trained."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from transformers import TrainerControl
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from safealign.hacking.signals import repeated_ngram_share
from safealign.training.callbacks import NanGuardCallback
from safealign.training.common import ended_at, saved_checkpoints, tokens_per_second
from safealign.training.decision_tokens import decision_token_weights, weight_decision_tokens
from safealign.training.hidden_states import at_completion_positions, hidden_state_loss
from safealign.training.neftune import noise_magnitudes
from safealign.training.packed_attention import packed_sdpa_attention, packed_spans
from safealign.training.rollouts import RolloutCallback, RolloutLog
from safealign.training.shared_prefix import SharedPrefixCollator, share_prefixes

# --- packed attention and shared prefixes ---

ATTENTION = SimpleNamespace(is_causal=True, num_key_value_groups=1, training=False)


def attention_alone(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Causal SDPA over one whole sequence, as (batch, seq, heads, dim)."""
    return sdpa_attention_forward(ATTENTION, query, key, value, None, is_causal=True)[0]


def test_a_continuation_may_share_its_sources_whole_length() -> None:
    # `shared >= source_length` rejected the third sequence, which continues both of its source's tokens, and sent
    # the whole row to the plain (block-diagonal) attention path
    assert packed_spans(torch.tensor([[0, 1, 1, 2, 2, 3]])) == [(0, 2, 0, 0), (2, 4, 1, 0), (4, 6, 2, 0)]


def test_a_continuation_attends_as_with_its_own_copy_of_the_shared_prefix() -> None:
    # tril(diagonal=shared - 1) hid each continuation token from itself: its outputs moved by up to 1.1
    torch.manual_seed(0)
    first, second, third = (torch.randn(3, 1, 2, n, 4) for n in (6, 7, 2))  # query, key, value per sequence
    second[:, :, :, :3] = first[:, :, :, :3]  # the second sequence opens with the first one's 3 tokens
    query, key, value = (torch.cat([first[i], second[i][:, :, 3:], third[i]], dim=2) for i in range(3))
    positions = torch.tensor([[0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 0, 1]])
    packed = packed_sdpa_attention(ATTENTION, query, key, value, None, position_ids=positions)[0]
    alone = torch.cat(
        [attention_alone(*first), attention_alone(*second)[:, 3:], attention_alone(*third)], dim=1
    )
    assert torch.allclose(packed, alone, atol=1e-5)


def test_a_sequence_becomes_the_source_only_for_the_sequences_right_after_it() -> None:
    # Sequence 1 would give sequence 5 four more tokens as its source, but sequences 2-4 between them share more with
    # sequence 0. Summing the gain past the first sequence that gains nothing (`continue` for `break`) made 1 and
    # then 2 sources: 10 tokens dropped instead of 16.
    sequences = [[1, 2, 3, 4, 9], [1, 2, 5, 5, 5, 5, 8], *[[1, 2, 3, 4, 7]] * 3, [1, 2, 5, 5, 5, 5, 6]]
    unscored = [4, 6, 4, 4, 4, 6]
    bounds = torch.tensor([0, *(len(s) for s in sequences)]).cumsum(0).tolist()
    spans = list(zip(bounds[:-1], bounds[1:], strict=True))
    keep, _ = share_prefixes(torch.tensor(sum(sequences, [])), unscored, spans)
    dropped = [0, 2, 4, 4, 4, 2]
    assert keep.tolist() == [i >= n for s, n in zip(sequences, dropped, strict=True) for i in range(len(s))]


PAD = 2


class PaddingFreeCollator:
    """Two examples with the same 3-token prompt (its second token the pad id) in one padding-free row."""

    pad_token_id = PAD

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return {
            "input_ids": torch.tensor([[5, PAD, 7, 8, 9, 5, PAD, 7, 6, 6]]),
            "labels": torch.tensor([[-100, -100, -100, 8, 9, -100, -100, -100, 6, 6]]),
            "position_ids": torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]]),
        }


def test_tokens_seen_miss_only_the_dropped_non_pad_tokens() -> None:
    # the Trainer counts ids other than the pad id: `missed = dropped` added the dropped pad token to the count too
    collator = SharedPrefixCollator(PaddingFreeCollator())
    batch = collator([])
    assert batch["input_ids"].tolist() == [[5, PAD, 7, 8, 9, 7, 6, 6]]
    assert collator.shared_tokens == 2
    assert list(collator.uncounted) == [1]


# --- NEFTune, decision tokens, hidden states, signals ---


def test_neftune_scale_counts_a_continuations_shared_prefix() -> None:
    # the second sequence is 2 tokens after a 2-token shared prefix: L = 4, alpha / sqrt(4 * 4) = 0.5;
    # `(end - begin) * hidden` gave it 2 / sqrt(2 * 4) = 0.707
    magnitudes = noise_magnitudes(torch.tensor([[0, 1, 2, 3, 2, 3]]), 6, 4, 2.0)
    assert magnitudes.flatten().tolist() == pytest.approx([0.5] * 6)


def test_decision_weights_cover_exactly_the_first_count_tokens_of_each_answer() -> None:
    # `index - last_start <= count` weighted count + 1 tokens: the first answer's third token too
    weights = decision_token_weights(torch.tensor([[0, 1, 1, 1, 0, 1, 1]]).bool(), 2, 5.0)
    assert weights.tolist() == [[1, 5, 5, 1, 1, 5, 5]]


def fused_head_forward(*args: Any, fused_lm_head: bool = False, **kwargs: Any) -> SimpleNamespace:
    """TRL's fused LM head output for one row of 4 tokens, the first unscored."""
    return SimpleNamespace(log_probs=torch.ones(1, 4), label_mask=torch.tensor([[False, True, True, True]]))


def test_decision_weights_apply_to_training_forwards_only() -> None:
    # without `model.training` in the condition the eval loss was weighted too: [1, 3, 3, 1] instead of the token mean
    model = SimpleNamespace(training=False, forward=fused_head_forward)
    assert weight_decision_tokens(SimpleNamespace(model=model), 2, 3.0)
    assert model.forward(fused_lm_head=True).log_probs.tolist() == [[1, 1, 1, 1]]
    model.training = True
    assert model.forward(fused_lm_head=True).log_probs.tolist() == [[1, 3, 3, 1]]


def test_the_state_at_a_position_is_compared_for_the_token_after_it() -> None:
    # states[:, 1:] compared the states at the completion tokens themselves: [3, 4] instead of [2, 3]
    states = torch.arange(5.0).view(1, 5, 1)
    labels = torch.tensor([[-100, -100, -100, 7, 8]])
    assert at_completion_positions(states, labels).flatten().tolist() == [2.0, 3.0]


def test_hidden_state_loss_is_the_mean_over_layers() -> None:
    # layer 0 is off by 1, layer 1 exact: the mean is 0.5; `sum(errors)` gave 1.0 and grew with the layers compared
    teacher = {0: torch.ones(1, 3, 2), 1: torch.ones(1, 3, 2)}
    student = {0: torch.zeros(1, 3, 2), 1: torch.ones(1, 3, 2)}
    labels = torch.tensor([[-100, 1, 1]])
    assert float(hidden_state_loss(student, teacher, [0, 1], labels)) == pytest.approx(0.5)


def test_repetition_counts_the_last_ngram() -> None:
    # range(len(words) - n) left out the last n-gram: "a b a b" read 0 repetition instead of 1/3
    assert repeated_ngram_share("a b a b", 2) == pytest.approx(1 / 3)
    assert repeated_ngram_share("a b c a b c a b c", 3) == pytest.approx(4 / 7)


# --- rollout statistics ---


def rollout_log(accuracy: list[float], kinds: list[str], labels: list[str]) -> RolloutLog:
    """A RolloutLog holding one scored batch of two-completion groups."""
    log = RolloutLog(group_size=2)
    log.batch = {
        "completions": [f"answer {i}" for i in range(len(kinds))],
        "prompts": None,
        "scores": {"accuracy": accuracy},
        "kind": kinds,
        "safety_labels": labels,
    }
    return log


def test_benign_refusal_rate_counts_full_refusals_only() -> None:
    # counting partial refusals as refusals read 1.0 over-refusal here; they have their own rate
    labels = ["refusal", "partial_refusal", "refusal", "partial_refusal"]
    stats = rollout_log([1.0] * 4, ["benign", "benign", "harmful", "harmful"], labels).stats()
    assert stats["safety/benign_refusal_rate"] == 0.5
    assert stats["safety/benign_partial_rate"] == 0.5
    assert stats["safety/harmful_refusal_rate"] == 0.5
    assert stats["safety/harmful_partial_rate"] == 0.5


def test_the_reasoning_refusal_rate_counts_refused_reasoning_prompts() -> None:
    # the quickstart's policy refused arithmetic questions (steps 9 and 15, paid -1 by the safety reward) and no
    # logged rate showed it
    kinds = ["reasoning"] * 4 + ["harmful"] * 2
    labels = ["refusal", "evasive", "partial_refusal", "compliance", "refusal", "refusal"]
    assert rollout_log([1.0] * 6, kinds, labels).stats()["safety/reasoning_refusal_rate"] == 0.25
    safety_only = rollout_log([1.0] * 2, ["harmful"] * 2, ["refusal"] * 2).stats()
    assert "safety/reasoning_refusal_rate" not in safety_only  # no reasoning prompt: no rate, not 0


def test_flat_group_share_counts_groups_with_one_accuracy() -> None:
    # `len(set(g)) <= 2` called every two-completion group flat: 1.0 instead of 0.5
    log = rollout_log([1.0, 0.0, 1.0, 1.0], ["benign"] * 4, ["compliance"] * 4)
    assert log.stats()["accuracy/flat_group_share"] == 0.5


def test_a_generation_round_is_written_once(tmp_path: Path) -> None:
    # without the early return a log with no new round wrote the same completions again under step 2
    log = rollout_log([1.0, 0.0], ["benign"] * 2, ["compliance"] * 2)
    log.batches = 1
    path = tmp_path / "rollouts.jsonl"
    callback = RolloutCallback(log, path)
    state = SimpleNamespace(is_world_process_zero=True, global_step=1, log_history=[])
    callback.on_log(None, state, None, logs={"loss": 1.0})
    state.global_step = 2
    callback.on_log(None, state, None, logs={"loss": 1.0})
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(row["step"], row["completion"]) for row in rows] == [(1, "answer 0"), (1, "answer 1")]


# --- NaN guard and resume bookkeeping ---


@pytest.mark.parametrize("key", ["loss", "grad_norm"])
def test_a_non_finite_loss_or_grad_norm_stops_training_without_saving(key: str) -> None:
    # checking only "loss" let an inf grad norm through; dropping `should_save = False` saved the bad step's weights
    guard, control = NanGuardCallback(), TrainerControl(should_save=True)
    logs = {"loss": 1.0, "grad_norm": 1.0, key: float("inf")}
    guard.on_log(None, SimpleNamespace(global_step=3), control, logs=logs)
    assert control.should_training_stop
    assert not control.should_save
    assert (guard.bad_step, guard.bad_value) == (3, f"{key}=inf")


def test_saved_checkpoints_are_newest_first_by_step_number(tmp_path: Path) -> None:
    # without reverse=True the oldest came first, and --resume picked checkpoint-2
    for step in (9, 10, 2):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "trainer_state.json").write_text("{}")
    assert [p.name for p in saved_checkpoints(tmp_path)] == ["checkpoint-10", "checkpoint-9", "checkpoint-2"]


def test_a_checkpoint_at_max_steps_is_the_end_of_training(tmp_path: Path) -> None:
    # `global_step > max_steps` read a checkpoint saved at the last step as unfinished and trained one step past it
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 6, "epoch": 1.0}))
    assert ended_at(tmp_path, SimpleNamespace(max_steps=6, num_train_epochs=3))
    assert not ended_at(tmp_path, SimpleNamespace(max_steps=7, num_train_epochs=3))
    assert ended_at(tmp_path, SimpleNamespace(max_steps=-1, num_train_epochs=1))


def test_tokens_per_second_leave_out_the_tokens_before_a_resume() -> None:
    # 600 tokens in this process's 10 s: 60/s; counting the checkpoint's 400 read 100/s
    trainer = SimpleNamespace(state=SimpleNamespace(num_input_tokens_seen=1000))
    result = SimpleNamespace(metrics={"train_runtime": 10.0})
    assert tokens_per_second(trainer, result, 400) == 60.0
