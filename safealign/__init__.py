"""safealign: post-train language models to reason well and stay harmless."""

import os as _os

# Models and data come from local folders and installed packages, never from a hub at run time;
# set HF_HUB_OFFLINE=0 to allow the hub.
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
# transformers 5.2x swaps layers for kernels fetched from the Hub (the `kernels` package, which TRL requires) when a
# model is loaded or put in train mode on a GPU: code downloaded at run time, and on an offline GPU machine a crash of
# every stage ("Version 2 of 'kernels-community/rotary' is not available in the local cache", an H200, 2026-12-04).
# Off unless asked for: USE_HUB_KERNELS=YES allows them.
_os.environ.setdefault("USE_HUB_KERNELS", "NO")
# OpenMP threads that spin while waiting steal the cores of a small shared machine: generation measured
# 3 tok/s with spinning threads beside another process and 106 tok/s with passive ones. Must be set
# before torch is imported; an explicit OMP_WAIT_POLICY wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
