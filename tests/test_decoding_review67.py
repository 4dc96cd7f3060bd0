"""Review 67: decoding, vocabulary trimming and unpadded scoring."""

from __future__ import annotations

import json

from tokenizers import Tokenizer
from transformers import PreTrainedTokenizerFast

from safealign.models.vocab_trim import kept_token_ids, trimmed_tokenizer


def every_split_tokenizer(tokenizer, size: int) -> PreTrainedTokenizerFast:
    """``tokenizer``'s first ``size`` tokens as transformers converts a tiktoken vocabulary (Llama-3): every split of a
    token into two tokens is a merge, ordered by the token's rank, so one token is built by several merges."""
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = {token: index for token, index in data["model"]["vocab"].items() if index < size}
    merges = []
    for token, _ in sorted(vocab.items(), key=lambda item: item[1]):
        splits = [
            (token[:k], token[k:]) for k in range(1, len(token)) if token[:k] in vocab and token[k:] in vocab
        ]
        merges.extend(sorted(splits, key=lambda pair: (vocab[pair[0]], vocab[pair[1]])))
    data["model"].update(vocab=vocab, merges=[list(pair) for pair in merges], ignore_merges=True)
    special = {name: value for name, value in tokenizer.special_tokens_map.items() if isinstance(value, str)}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(data)), **special)


def test_a_trimmed_tiktoken_style_tokenizer_encodes_its_transfer_set_like_the_teacher(tiny):
    """Only the last merge that builds a token had its parts kept: the student split "electroencephalography" of its own
    transfer set into pieces the teacher never uses, and the teacher then read that segmentation (teacher_ids[student_id])."""
    teacher = every_split_tokenizer(tiny.tokenizer, 8000)
    texts = ["Internationalization and electroencephalography, uncharacteristically tokenized."]
    keep = kept_token_ids(teacher, texts, 256)
    student = trimmed_tokenizer(teacher, keep)
    for text in texts:
        expected = teacher(text, add_special_tokens=False)["input_ids"]
        assert [keep[i] for i in student(text, add_special_tokens=False)["input_ids"]] == expected


def test_a_trimmed_gemma3_student_computes_its_loss():
    """Gemma3ForCausalLM sizes its loss by the vocab_size it copied from the config when built: left at the teacher's
    300, a trimmed student's forward with labels raised ("shape '[-1, 300]' is invalid for input of size 750")."""
    import copy

    import torch
    from test_vocab_trim import tiny_gemma3_config
    from transformers import AutoModelForCausalLM

    from safealign.models.vocab_trim import trim_vocabulary

    torch.manual_seed(0)
    config = tiny_gemma3_config()
    keep = list(range(0, 300, 2))
    student = trim_vocabulary(copy.deepcopy(AutoModelForCausalLM.from_config(config)), keep)
    ids = torch.tensor([[1, 5, 10, 20, 30]])
    out = student(ids, labels=ids)
    expected = torch.nn.functional.cross_entropy(out.logits[0, :-1], ids[0, 1:])
    assert torch.allclose(out.loss, expected)
