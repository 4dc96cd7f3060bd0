"""Evaluation: suites of prompts, metrics with intervals, and the runner every stage calls.

>>> report = run_eval(engine, ["harmful", "borderline", "reasoning"], limit=24)   # doctest: +SKIP
>>> report.metric("harmful", "refusal_rate", "held_out")                          # doctest: +SKIP
Rate(value=0.08, n=24, low=0.023, high=0.25, count=2)
"""

from safealign.evals.endpoint import EndpointError, EndpointGenerator
from safealign.evals.loaders import EvalItem, MissingPackageError, load_suite_file
from safealign.evals.metrics import Rate, wilson_interval
from safealign.evals.runner import EvalReport, SuiteResult, run_eval, suite_metrics
from safealign.evals.suites import SUITES, Suite, generated_suite_items, get_suite, select_items, suite_names

__all__ = [
    "SUITES",
    "EndpointError",
    "EndpointGenerator",
    "EvalItem",
    "EvalReport",
    "MissingPackageError",
    "Rate",
    "Suite",
    "SuiteResult",
    "generated_suite_items",
    "get_suite",
    "load_suite_file",
    "run_eval",
    "select_items",
    "suite_metrics",
    "suite_names",
    "wilson_interval",
]
