"""Vocabulary trimming: a student that keeps only the tokens it needs, and spends the freed parameters on layers.

SmolLM2-135M's vocabulary matrix (49,152 x 576, tied embeddings and output head) is 28.3M of its 134.5M
parameters, and on 2 CPU cores its output projection costs about as much decode time as six decoder layers.
A pruned student under a parameter cap can keep more of the teacher's layers if it drops tokens it never
reads or writes (vocabulary trimming, Ushio et al. 2023). The student keeps the first ``keep_first`` ids
(byte-level BPE ids follow merge order, so these are the most frequent pieces of the tokenizer's corpus,
every special token among them) plus every token of its transfer set, closed under the BPE merges that
build them. The tokenizer keeps the same pre-tokenizer and merge order restricted to those tokens, so any
text still encodes (a dropped token falls back to the pieces it was merged from) and text made only of kept
tokens encodes exactly as the teacher encodes it: the student's ids map to the teacher's one to one, which is
what logit distillation needs (``teacher_ids[student_id]``).

Hand-written because neither transformers nor tokenizers trims a trained BPE model: ``resize_token_embeddings``
only cuts the end of the matrix, and ``train_new_from_iterator`` learns new merges (new ids, no teacher map).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from safealign.errors import ModelNotFoundError


class VocabTrimError(ModelNotFoundError, ValueError):
    """A teacher whose tokenizer this module cannot trim, or a bad ``keep_first``: printed by the CLI as one line, and
    a ValueError as it always was."""


def merge_pairs(model: dict[str, Any]) -> list[tuple[str, str]]:
    return [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]  # type: ignore[misc]


def trimmable_tokenizer(tokenizer: Any) -> dict[str, Any]:
    """The tokenizers-library JSON of a BPE ``tokenizer``, which vocabulary trimming rewrites; a VocabTrimError naming
    the fix for any other (the distill stage asks before it prunes the teacher)."""
    # a tokenizer without a tokenizers-library backend (transformers' SentencePieceBackend, a trust_remote_code one)
    # failed in an AttributeError with a traceback, after the teacher was loaded and pruned
    backend = getattr(tokenizer, "backend_tokenizer", None)
    data = json.loads(backend.to_str()) if backend is not None else {"model": {}}
    if data["model"].get("type") != "BPE":
        kind = data["model"].get("type")
        found = (
            f"is a {kind} tokenizer"
            if kind
            else f"({type(tokenizer).__name__}) has no tokenizers-library backend"
        )
        raise VocabTrimError(
            f"distill.vocab_keep: vocabulary trimming needs a BPE tokenizer of the tokenizers library (Llama, Qwen, "
            f"Mistral, SmolLM...); the teacher's {found}: set vocab_keep: null to keep its whole vocabulary"
        )
    return data


def kept_token_ids(tokenizer: Any, texts: Iterable[str], keep_first: int) -> list[int]:
    """Sorted teacher ids the student keeps: ids below ``keep_first``, special tokens, the byte pieces every text can fall
    back to (:func:`fallback_tokens`), every token of ``texts``, and the BPE pieces of each."""
    if keep_first < 1:
        raise VocabTrimError(f"vocab_keep must be a positive number of token ids, got {keep_first}")
    data = trimmable_tokenizer(tokenizer)
    vocab: dict[str, int] = data["model"]["vocab"]
    keep = set(range(min(keep_first, len(tokenizer))))
    keep.update(added["id"] for added in data["added_tokens"])
    # What the post-processor adds to every text (a BOS), an added token or not
    keep.update(tokenizer("")["input_ids"])
    keep.update(vocab[token] for token in fallback_tokens(data) if token in vocab)
    for text in texts:
        keep.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    # Closure: a kept token's two parts are kept too, or the tokenizer could never build it. The parts of every merge
    # that builds it: a tokenizer converted from tiktoken or SentencePiece (Llama-3, Mistral) lists each split of a
    # token as a merge, and with one split's parts kept the student re-segmented its own transfer set.
    parts: dict[str, list[str]] = {}
    for left, right in merge_pairs(data["model"]):
        parts.setdefault(left + right, []).extend((left, right))
    token_of = {index: token for token, index in vocab.items()}
    stack = [token_of[index] for index in keep if index in token_of]
    while stack:
        for part in parts.get(stack.pop(), ()):
            if vocab[part] not in keep:
                keep.add(vocab[part])
                stack.append(part)
    return sorted(keep)


def fallback_tokens(data: dict[str, Any]) -> list[str]:
    """The tokens any text can be spelt with: a byte-level BPE's 256 one-byte pieces (GPT-2, Qwen, Llama-3), a
    SentencePiece-style BPE's ``<0x00>``..``<0xFF>`` byte fallback (Llama-2, Mistral, Gemma), and its unknown token.
    Kept whatever ``keep_first`` is: they need not come first (a tokenizer may list its control tokens before its bytes, as
    Mistral-Nemo's tekken does), and without them a character outside the transfer set was dropped from the text without
    a word (byte-level) or read as ``<unk>``."""
    from tokenizers.pre_tokenizers import ByteLevel

    model, tokens = data["model"], []
    if '"ByteLevel"' in json.dumps(data.get("pre_tokenizer")):  # alone, or in a Sequence (Llama-3)
        tokens += ByteLevel.alphabet()
    if model.get("byte_fallback"):
        tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    if model.get("unk_token"):
        tokens.append(model["unk_token"])
    return tokens


def trimmed_tokenizer(tokenizer: Any, keep: list[int]) -> Any:
    """The tokenizer restricted to ``keep`` (teacher ids, sorted), renumbered 0..len(keep)-1 in the same order."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    new_id = {old: new for new, old in enumerate(keep)}
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    model = data["model"]
    vocab = {token: new_id[index] for token, index in model["vocab"].items() if index in new_id}
    model["vocab"] = vocab
    model["merges"] = [
        [left, right]
        for left, right in merge_pairs(model)
        if left + right in vocab and left in vocab and right in vocab
    ]
    for added in data["added_tokens"]:
        added["id"] = new_id[added["id"]]
    renumber_post_processor(data.get("post_processor"), new_id)
    special = {name: value for name, value in tokenizer.special_tokens_map.items() if isinstance(value, str)}
    trimmed = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(data)), **special)
    trimmed.chat_template = tokenizer.chat_template
    trimmed.padding_side, trimmed.truncation_side = tokenizer.padding_side, tokenizer.truncation_side
    trimmed.model_max_length = tokenizer.model_max_length
    return trimmed


def renumber_post_processor(processor: dict[str, Any] | None, new_id: dict[int, int]) -> None:
    """Renumber, in place, the ids a post-processor adds to each text: TemplateProcessing's special tokens (Llama-3's
    BOS), BERT's and RoBERTa's cls and sep, and those of each processor in a Sequence. Left alone, the student's
    tokenizer writes the teacher's id, past the end of the student's vocabulary."""
    if not processor:
        return
    for special in processor.get("special_tokens", {}).values():
        special["ids"] = [new_id[index] for index in special["ids"]]
    for name in ("cls", "sep"):
        if isinstance(processor.get(name), list):  # [token, id]
            processor[name][1] = new_id[processor[name][1]]
    for inner in processor.get("processors") or []:
        renumber_post_processor(inner, new_id)


def _remap_ids(value: Any, new_id: dict[int, int]) -> Any:
    if isinstance(value, list):
        return [new_id[v] for v in value if v in new_id]
    return new_id.get(value) if isinstance(value, int) else value


def trim_vocabulary(model: Any, keep: list[int]) -> Any:
    """Keep only the rows of ``keep`` in the input embeddings and output head (tied or not), in place.

    The modules are cut, not replaced by a plain ``nn.Embedding``/``nn.Linear``: ``from_pretrained`` builds the saved
    student with the model's own classes (Gemma-3's embedding scales its rows by sqrt(hidden_size)), so the student
    trained here must run through them too, or it trains one model and ships another."""
    import torch

    index = torch.tensor(keep, dtype=torch.long)
    new_id = {old: new for new, old in enumerate(keep)}
    embedding, head = model.get_input_embeddings(), model.get_output_embeddings()
    tied = head is not None and head.weight is embedding.weight
    embedding.weight = torch.nn.Parameter(
        embedding.weight.detach()[index].clone(), requires_grad=embedding.weight.requires_grad
    )
    embedding.num_embeddings = len(keep)
    if getattr(embedding, "padding_idx", None) is not None:  # renumbered, as config's pad_token_id is
        embedding.padding_idx = new_id.get(embedding.padding_idx)
    if head is not None:
        head.weight = embedding.weight if tied else torch.nn.Parameter(head.weight.detach()[index].clone())
        if head.bias is not None:
            head.bias = torch.nn.Parameter(head.bias.detach()[index].clone())
        head.out_features = len(keep)
    # Gemma-2 and 3, Mixtral, Qwen2-MoE and ~40 other families size their loss by the vocab_size their modules copied
    # from the config when built: left stale, a trimmed student's forward with labels raised reshaping its logits.
    for module in model.modules():
        if getattr(module, "vocab_size", None) == model.config.vocab_size:
            module.vocab_size = len(keep)
    model.config.vocab_size = len(keep)
    for config in (model.config, getattr(model, "generation_config", None)):
        for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
            if config is not None and getattr(config, name, None) is not None:
                setattr(config, name, _remap_ids(getattr(config, name), new_id))
    return model


def trim_student(
    student: Any, tokenizer: Any, texts: Iterable[str], keep_first: int
) -> tuple[Any, Any, list[int]]:
    """A student and tokenizer that keep the first ``keep_first`` ids and every token of ``texts``; and the kept teacher ids."""
    keep = kept_token_ids(tokenizer, texts, keep_first)
    return trim_vocabulary(student, keep), trimmed_tokenizer(tokenizer, keep), keep
