"""Review 69: pruned students, vocabulary trimming, the tiny model and the distributed helpers."""

from __future__ import annotations

import json

import torch

from safealign.models import load_model
from safealign.models.vocab_trim import kept_token_ids, trimmed_tokenizer


def control_tokens_first(tokenizer, count: int = 300):
    """``tokenizer`` with ``count`` control tokens before its byte alphabet, as Mistral-Nemo's tekken has 1,000."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    data = json.loads(tokenizer.backend_tokenizer.to_str())
    specials = len(data["added_tokens"])
    data["model"]["vocab"] = {
        token: index + count - specials if index >= specials else index
        for token, index in data["model"]["vocab"].items()
    }
    for index in range(specials, count):
        name = f"<SPECIAL_{index}>"
        data["model"]["vocab"][name] = index
        data["added_tokens"].append(
            {
                "id": index,
                "content": name,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        )
    special = {name: value for name, value in tokenizer.special_tokens_map.items() if isinstance(value, str)}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(data)), **special)


def byte_fallback_tokenizer():
    """A SentencePiece-style BPE (Gemma's layout): unused slots, then ``<0x00>``..``<0xFF>``, then the pieces."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    names = ["<unk>", "<s>", "</s>", *(f"<unused{i}>" for i in range(297))]
    names += [f"<0x{byte:02X}>" for byte in range(256)] + list("▁helowrdcaf")
    merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("▁", "hello")]
    names += [left + right for left, right in merges]
    backend = Tokenizer(
        models.BPE(
            vocab={name: index for index, name in enumerate(names)},
            merges=merges,
            unk_token="<unk>",
            byte_fallback=True,
        )
    )
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    backend.add_special_tokens(["<unk>", "<s>", "</s>"])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )


def test_a_byte_level_tokenizer_with_its_bytes_past_vocab_keep_still_encodes_every_text(tiny):
    # vocab_keep 256 of a tokenizer whose first 300 ids are control tokens kept no byte: "naïve café" came out as "e  "
    teacher = control_tokens_first(tiny.tokenizer)
    trimmed = trimmed_tokenizer(teacher, kept_token_ids(teacher, ["hello world"], 256))
    for text in ["Hello, world!", "naïve café 17", "计算 😀"]:
        assert trimmed.decode(trimmed(text, add_special_tokens=False)["input_ids"]) == text


def test_a_byte_fallback_tokenizer_with_its_bytes_past_vocab_keep_reads_no_unknown_token():
    teacher = byte_fallback_tokenizer()
    trimmed = trimmed_tokenizer(teacher, kept_token_ids(teacher, ["hello"], 256))
    ids = trimmed("hello wörld", add_special_tokens=False)["input_ids"]
    assert trimmed.unk_token_id not in ids
    assert trimmed.decode(ids) == "hello wörld"


def test_a_teacher_loaded_in_bf16_is_pruned_not_refused_as_reloading_otherwise(tmp_path):
    # Rebuilt in float32 and cast whole, the check's copy held RoPE's inv_freq in bf16 where the loaded teacher's (and
    # a reloaded student's) is float32: logits differed by ~0.9 and every bf16 teacher's student was refused.
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    from safealign.models.prune import prune_model

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=512,
        hidden_size=256,
        intermediate_size=64,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        initializer_range=0.3,
    )
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    teacher = AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.bfloat16)
    student, keep = prune_model(teacher, 0.5)
    assert keep == [0, 3] and len(student.model.layers) == 2
    assert torch.get_default_dtype() == torch.float32, "the check puts the default dtype back"
    assert next(student.parameters()).dtype == torch.bfloat16


def test_loss_pruning_takes_an_answer_starting_at_the_first_token():
    # a start of 0 (prompt and text differ from their first token) asked for one logit more than the text has
    from safealign.models.prune import layer_skip_loss

    model = load_model("tiny:3").model
    ids = torch.tensor([[5, 9, 33, 71, 2]])
    assert layer_skip_loss(model, [(ids, 0)]) == layer_skip_loss(model, [(ids, 1)])
