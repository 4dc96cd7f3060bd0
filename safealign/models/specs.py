"""Parse a model spec string into what it points at, without loading anything."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from safealign.errors import ModelNotFoundError

SpecKind = Literal["embedded", "tiny", "hf_folder", "gguf_file", "lora_adapter", "prune"]


@dataclass(frozen=True)
class ModelSpec:
    """What a spec string points at: ``kind`` plus the name, path or seed that goes with it."""

    raw: str
    kind: SpecKind
    name: str = ""
    path: Path | None = None
    seed: int = 0

    def __str__(self) -> str:
        return self.raw


def resolve_spec(spec: str) -> ModelSpec:
    """Resolve a spec string; raise :class:`ModelNotFoundError` naming the fix when it points nowhere."""
    from safealign.models.embedded import EMBEDDED_MODELS

    spec = str(spec).strip()
    if not spec:
        raise ModelNotFoundError("empty model spec: give 'embedded:smollm2-135m-instruct', 'tiny', or a local path")
    if spec.startswith("embedded:"):
        name = spec.split(":", 1)[1]
        if name not in EMBEDDED_MODELS:
            raise ModelNotFoundError(
                f"unknown embedded model {name!r}; available: {', '.join(sorted(EMBEDDED_MODELS))}"
            )
        return ModelSpec(raw=spec, kind="embedded", name=name)
    if spec == "tiny" or spec.startswith("tiny:"):
        seed_text = spec.split(":", 1)[1] if ":" in spec else "0"
        if not seed_text.isdigit():
            raise ModelNotFoundError(f"bad tiny spec {spec!r}: use 'tiny' or 'tiny:<integer seed>'")
        return ModelSpec(raw=spec, kind="tiny", name="tiny", seed=int(seed_text))
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelNotFoundError(
            f"model {spec!r} not found: no such file or folder. Use 'embedded:smollm2-135m-instruct', "
            "'tiny', a Hugging Face model folder, a .gguf file or a LoRA adapter folder"
        )
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelNotFoundError(f"{spec!r} is a file but not a .gguf model; give a model folder or a .gguf file")
        return ModelSpec(raw=spec, kind="gguf_file", path=path)
    if (path / "adapter_config.json").is_file():
        return ModelSpec(raw=spec, kind="lora_adapter", path=path)
    if (path / "config.json").is_file():
        return ModelSpec(raw=spec, kind="hf_folder", path=path)
    raise ModelNotFoundError(
        f"{spec!r} is a folder but not a model: it has neither config.json (a Hugging Face model) nor "
        "adapter_config.json (a LoRA adapter)"
    )


def adapter_base(path: Path) -> str:
    """The base model spec recorded in a LoRA adapter folder."""
    config = json.loads((path / "adapter_config.json").read_text())
    base = config.get("base_model_name_or_path")
    if not base:
        raise ModelNotFoundError(f"adapter {path} has no base_model_name_or_path in adapter_config.json")
    return str(base)
