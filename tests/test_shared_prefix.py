from __future__ import annotations

import pytest
import torch
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from safealign.models import load_model
from safealign.training.packed_attention import packed_spans, use_packed_attention
from safealign.training.shared_prefix import SharedPrefixCollator, share_prefix, strip_shared_prefix

IGNORE = -100


def example(prompt: list[int], completion: list[int]) -> dict[str, list[int]]:
    return {"input_ids": prompt + completion, "labels": [IGNORE] * len(prompt) + completion}


def collate(examples: list[dict]) -> dict:
    return DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(examples)


def test_packed_spans_mark_continuations_and_their_source():
    assert packed_spans(torch.tensor([[0, 1, 2, 0, 1, 0]])) == [(0, 3, 0, 0), (3, 5, 0, 3), (5, 6, 0, 5)]
    assert packed_spans(torch.tensor([[0, 1, 2, 3, 2, 3, 4]])) == [(0, 4, 0, 0), (4, 7, 2, 0)]
    assert packed_spans(torch.tensor([[0, 1, 2, 0, 1, 2, 3, 3, 4]])) == [(0, 3, 0, 0), (3, 7, 0, 3), (7, 9, 3, 3)]
    assert packed_spans(torch.tensor([[0, 1, 2, 3]])) is None  # one sequence: nothing to split
    assert packed_spans(torch.tensor([[0, 1], [0, 1]])) is None  # a padded batch, not one packed row
    assert packed_spans(torch.tensor([[0, 1, 5, 6]])) is None  # continues more tokens than its source has
    assert packed_spans(None) is None


def test_strip_keeps_the_shared_prompt_prefix_once():
    prefix = [11, 12, 13, 14]
    batch = collate([example(prefix + [20, 21], [30, 31]), example(prefix + [22], [32]), example(prefix + [20, 23, 24], [33, 34, 35])])
    stripped, dropped = strip_shared_prefix(batch)
    assert dropped == 4 + 5  # the third example shares five tokens with the first
    assert stripped["input_ids"].tolist() == [[11, 12, 13, 14, 20, 21, 30, 31, 22, 32, 23, 24, 33, 34, 35]]
    assert stripped["position_ids"].tolist() == [[0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 5, 6, 7, 8, 9]]
    labels = stripped["labels"][0].tolist()
    assert [label for label in labels if label != IGNORE] == [30, 31, 32, 33, 34, 35]  # every labelled token kept
    assert stripped["cu_seq_lens_q"].tolist() == [0, 8, 10, 15] and stripped["max_length_q"] == 8
    assert stripped["seq_idx"].shape == stripped["input_ids"].shape


def test_prefix_stops_before_each_examples_last_prompt_token():
    # the second prompt is entirely a prefix of the first: its last prompt token must stay, since the
    # prediction of its first completion token comes from it
    batch = collate([example([11, 12, 13, 14], [30]), example([11, 12, 13], [31])])
    stripped, dropped = strip_shared_prefix(batch)
    assert dropped == 2
    assert stripped["input_ids"].tolist() == [[11, 12, 13, 14, 30, 13, 31]]
    assert stripped["position_ids"].tolist() == [[0, 1, 2, 3, 4, 2, 3]]


def test_groups_share_their_whole_prompt_with_their_first_member():
    """GRPO's layout: each prompt's rollouts in a row; a group's first rollout becomes the next source."""
    system = [11, 12]
    group_a = [example(system + [20, 21, 22], [30 + i]) for i in range(3)]
    group_b = [example(system + [25, 26, 27], [40 + i]) for i in range(3)]
    stripped, dropped = strip_shared_prefix(collate(group_a + group_b))
    spans = packed_spans(stripped["position_ids"])
    assert [(shared, source) for _, _, shared, source in spans] == [(0, 0), (4, 0), (4, 0), (0, 10), (4, 10), (4, 10)]
    assert dropped == 4 * 4


def test_positions_never_run_on_across_a_boundary():
    # the second example would share 3 tokens and the first continuation ends at position 2: share 2
    batch = collate([example([11, 12, 13, 14, 15], [30]), example([11, 12], [31]), example([11, 12, 13, 14], [32])])
    stripped, _ = strip_shared_prefix(batch)
    spans = packed_spans(stripped["position_ids"])
    assert len(spans) == 3 and [shared for _, _, shared, _ in spans] == [0, 1, 2]


def test_nothing_shared_or_not_packed_is_left_alone():
    batch = collate([example([11, 12], [30]), example([12, 11], [31])])
    assert strip_shared_prefix(batch) == (batch, 0)
    padded = DataCollatorForLanguageModeling(pad_token_id=0)([example([11, 12], [30]), example([11, 12], [31])])
    assert strip_shared_prefix(padded) == (padded, 0)


def _loss_and_grads(model, batch):
    model.zero_grad()
    inputs = {k: v for k, v in batch.items() if k in ("input_ids", "labels", "position_ids")}
    loss = model(**inputs, use_cache=False).loss
    loss.backward()
    return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def test_stripped_batch_gives_the_same_loss_and_gradients(tiny):
    """The real chat template's system message is the shared prefix; loss and every gradient are unchanged."""
    model = load_model("tiny:3").model
    assert use_packed_attention(model) == "sdpa"
    tokenizer = tiny.tokenizer
    examples = []
    for question, answer in [("What is 2 + 3?", "5."), ("Name a colour.", "Blue, for example."), ("Say hi in French.", "Bonjour !")]:
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
        completion = tokenizer(answer + "<|im_end|>", add_special_tokens=False)["input_ids"]
        examples.append(example(list(prompt), completion))
    batch = collate(examples)
    stripped, dropped = strip_shared_prefix(batch)
    assert dropped >= 2 * 20  # the default system message, at least, in the second and third example
    full_loss, full_grads = _loss_and_grads(model, batch)
    loss, grads = _loss_and_grads(model, stripped)
    assert torch.allclose(loss, full_loss, atol=1e-6)
    assert grads.keys() == full_grads.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, full_grads[name], atol=1e-5, rtol=1e-4), name
    # without the continuation attention the stripped row would be a different computation
    model.set_attn_implementation("sdpa")
    wrong, _ = _loss_and_grads(model, stripped)
    assert not torch.allclose(wrong, full_loss, atol=1e-4)


def test_collator_wrapper_counts_tokens_and_is_only_installed_for_packed_attention():
    class Trainer:
        data_collator = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)
        callbacks: list = []

        def add_callback(self, callback):
            self.callbacks.append(callback)

    trainer = Trainer()
    assert share_prefix(trainer, None) is None and not isinstance(trainer.data_collator, SharedPrefixCollator)
    wrapper = share_prefix(trainer, "sdpa")
    assert trainer.data_collator is wrapper and wrapper.padding_free  # settings read through
    wrapper([example([11, 12, 13], [30]), example([11, 12, 14], [31])])
    assert wrapper.shared_tokens == 2 and list(wrapper.uncounted) == [2]
    wrapper([example([0, 12, 13], [30]), example([0, 12, 14], [31])])  # the pad id (0 here) is not counted, as the Trainer does not
    assert wrapper.shared_tokens == 4 and list(wrapper.uncounted) == [2, 1]

    class State:
        num_input_tokens_seen = 6  # what the Trainer counted in the first stripped batch (ids other than the pad id)
    state = State()
    trainer.callbacks[0].on_step_end(None, state, None)  # the second batch was collated ahead, not yet trained
    assert state.num_input_tokens_seen == 8 and list(wrapper.uncounted) == [1]  # the first batch's non-pad tokens


@pytest.mark.parametrize("accumulation", [1, 2])
def test_tokens_seen_count_every_step_as_without_shared_prefixes(tiny, tmp_path, accumulation):
    """The Trainer's num_input_tokens_seen after each step is the same with the prefixes kept once as without."""
    import copy

    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from safealign.stages.sft import to_prompt_completion

    rows = [{"messages": [{"role": "user", "content": f"Q{i}: " + "why? " * (i % 5)}, {"role": "assistant", "content": f"Because {i} " * (1 + i % 4)}]}
            for i in range(8)]
    dataset = Dataset.from_list(to_prompt_completion(rows, None))

    def tokens_after_each_step(share: bool) -> list[int]:
        model = copy.deepcopy(tiny.model)
        attention = use_packed_attention(model) if share else None
        seen: list[int] = []

        class Record(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                seen.append(state.num_input_tokens_seen)

        args = SFTConfig(output_dir=str(tmp_path / f"share-{share}"), per_device_train_batch_size=2, gradient_accumulation_steps=accumulation,
                         padding_free=True, max_length=None, max_steps=4 // accumulation, completion_only_loss=True, report_to="none",
                         use_cpu=True, bf16=False, seed=0, include_num_input_tokens_seen="non_padding", save_strategy="no",
                         disable_tqdm=True, logging_steps=100)
        trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tiny.tokenizer)
        wrapper = share_prefix(trainer, attention)
        assert (wrapper is not None) == share
        trainer.add_callback(Record())  # after share_prefix's callback: sees each step's count once corrected
        trainer.train()
        assert not share or wrapper.shared_tokens > 0
        return seen

    plain = tokens_after_each_step(False)
    assert len(plain) == 4 // accumulation
    assert tokens_after_each_step(True) == plain
