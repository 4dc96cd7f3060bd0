"""A tiny randomly initialised model with the real SmolLM2 tokenizer, for fast tests."""

from __future__ import annotations

from pathlib import Path

from safealign.models.embedded import (
    cache_dir,
    chat_template_problem,
    conversion_tmp,
    gguf_path,
    is_prepared,
    json_file_problem,
    move_into_place,
    reading_gguf,
    reinstall_fix,
    remove_abandoned_conversions,
    stale_source,
    write_source_record,
)
from safealign.paths import models_cache

# hidden 16 x 2 layers: ~0.8M parameters, almost all in the 49,152 x 16 embedding (tied with the head).
TINY_CONFIG = dict(
    hidden_size=16,
    intermediate_size=48,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=2048,
    tie_word_embeddings=True,
    rope_theta=10000.0,
    # A wide init makes outputs depend on the prompt (at 0.02 every prompt yields the same tokens),
    # which the batching and stop tests need.
    initializer_range=0.3,
)


def real_tokenizer_folder() -> Path:
    """A folder holding the SmolLM2 tokenizer: the prepared embedded model, or a tokenizer-only cache."""
    name = "smollm2-135m-instruct"
    if is_prepared(name):
        return cache_dir(name)
    folder = models_cache() / "smollm2-tokenizer"
    # none yet, damaged (a copy cut short), or read from another build of the package than the one installed now
    # (another tokenizer or chat template under the same file name): built again
    if tokenizer_folder_problem(folder) or stale_source(name, folder):
        from transformers import AutoTokenizer

        source = gguf_path(name)
        with reading_gguf(source, reinstall_fix(name)):
            tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        remove_abandoned_conversions(folder)
        # This process's own name: two processes building it at once (two tests, two ranks) each rename a whole
        # folder, and the second keeps the first's rather than delete it from under that process.
        tmp = conversion_tmp(folder)
        tokenizer.save_pretrained(tmp)
        write_source_record(tmp, source)
        replace = tokenizer_folder_problem(folder) is not None or stale_source(name, folder) is not None
        move_into_place(tmp, folder, replace=replace)
    return folder


def tokenizer_folder_problem(folder: Path) -> str | None:
    """Why the tokenizer-only cache ``folder`` does not load whole (none yet, a file cut short or deleted), else None.
    Its chat template is checked when there is one (older transformers kept it in tokenizer_config.json)."""
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if problem := json_file_problem(folder / name):
            return problem
    template = folder / "chat_template.jinja"
    return chat_template_problem(template) if template.exists() else None


def build_tiny_model(tokenizer, seed: int = 0):
    """A LlamaForCausalLM of the embedded model's architecture, randomly initialised from ``seed``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **TINY_CONFIG,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
