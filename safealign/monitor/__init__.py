"""Continuous evaluation after deployment: a judging gateway, its store, alerts, metrics and dashboard.

Public entry points: :func:`create_gateway` (the FastAPI app), :class:`Store` (the database),
:class:`JudgeWorker` (the background judge) and :func:`evaluate_once` (scheduled eval runs).
"""

from safealign.monitor.gateway import create_gateway
from safealign.monitor.reevaluate import evaluate_once
from safealign.monitor.store import Store
from safealign.monitor.worker import JudgeWorker, load_judges

__all__ = ["JudgeWorker", "Store", "create_gateway", "evaluate_once", "load_judges"]
