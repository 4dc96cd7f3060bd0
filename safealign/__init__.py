"""safealign: post-train language models to reason well and stay harmless."""

import os as _os

# Models and data come from local folders and installed packages, never from a hub at run time;
# set HF_HUB_OFFLINE=0 to allow the hub.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")

from safealign.generation import Completion, GenerationEngine, SamplingParams
from safealign.models import LoadedModel, load_model, resolve_spec

__version__ = "0.1.0"

__all__ = [
    "Completion",
    "GenerationEngine",
    "LoadedModel",
    "SamplingParams",
    "__version__",
    "load_model",
    "resolve_spec",
]
