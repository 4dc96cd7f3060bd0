"""Serve a checkpoint over the OpenAI chat-completions API, batching concurrent requests."""

from safealign.serve.app import create_app
from safealign.serve.batcher import Batcher, BatcherStats, ServerStopping
from safealign.serve.server import run_server

__all__ = ["Batcher", "BatcherStats", "ServerStopping", "create_app", "run_server"]
