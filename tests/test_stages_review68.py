"""Review 68: the distill, RL and evaluate stages."""

from __future__ import annotations

from safealign.stages.distill import answer_examples


def test_loss_pruning_scores_the_whole_answer_when_the_generation_prompt_is_not_a_prefix_of_it(tiny) -> None:
    """prune_by: loss measured each answer from len(prompt): a template whose generation prompt opens a think block the
    rendered answer turn does not have (DeepSeek-R1 distills') left the answer's first tokens out of the measure."""
    tokenizer = tiny.tokenizer
    template = tokenizer.chat_template
    try:
        tokenizer.chat_template = (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
        )
        row = {
            "messages": [
                {"role": "user", "content": "What is 2+2?"},
                {"role": "assistant", "content": "The answer is 4."},
            ]
        }
        ((ids, start),) = answer_examples([row], tokenizer, 1)
        assert tokenizer.decode(ids[0, start:].tolist()) == "The answer is 4.<|im_end|>\n"
    finally:
        tokenizer.chat_template = template


def test_answer_start_is_unchanged_where_the_generation_prompt_is_a_prefix(tiny) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "The answer is 4."},
        ]
    }
    prompt = tiny.tokenizer.apply_chat_template(
        row["messages"][:1], tokenize=True, add_generation_prompt=True, return_dict=True
    )["input_ids"]
    ((_, start),) = answer_examples([row], tiny.tokenizer, 1)
    assert start == len(prompt)
