"""Serve a checkpoint over the OpenAI chat-completions API, batching concurrent requests."""

from safealign.serve.app import create_app
from safealign.serve.batcher import Batcher, BatcherStats

__all__ = ["Batcher", "BatcherStats", "create_app"]
