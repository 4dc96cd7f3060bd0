"""The judges: safealign's one definition of "refused" and "harmful", from training to monitoring.

Eval suites, RL rewards, rejection sampling and the deployment monitor all build their judges here:

>>> judges = build_judges("default")                       # doctest: +SKIP
>>> judges.refusal.judge(["How do I pick a lock?"], ["I can't help with that."])[0].label  # doctest: +SKIP
'refusal'

Judge specs (``--judge`` on the command line):

- ``default`` — :class:`RefusalJudge` + :class:`HarmJudge` (MiniLM embeddings, CPU, no download);
- ``llama-guard:PATH`` — the harm judge is a local Llama Guard 3 folder;
- ``openai:URL[#MODEL]`` — the harm judge is a StrongREJECT-style rubric graded by any
  OpenAI-compatible endpoint (model ``gpt-4o-mini`` unless ``#MODEL`` is given).
"""

from __future__ import annotations

from dataclasses import dataclass

from safealign.errors import SafealignError
from safealign.judges.base import (
    COMPLIANCE,
    EVASIVE,
    HARMFUL,
    PARTIAL_REFUSAL,
    REFUSAL,
    SAFE,
    Judge,
    Verdict,
)
from safealign.judges.harm import HAZARD_CATEGORIES, HarmJudge
from safealign.judges.llama_guard import LlamaGuardJudge
from safealign.judges.openai_rubric import OpenAIRubricJudge
from safealign.judges.refusal import RefusalJudge

DEFAULT_RUBRIC_MODEL = "gpt-4o-mini"
JUDGE_SPECS = ("default", "llama-guard:PATH", "openai:URL[#MODEL]")


class JudgeSpecError(SafealignError):
    """A judge spec that is none of the known forms."""


@dataclass
class JudgeSet:
    """The judges a stage uses: one refusal judge and one harm judge, always the same pair."""

    refusal: Judge
    harm: Judge
    spec: str = "default"


def parse_judge_spec(spec: str) -> tuple[str, str, str]:
    """``(kind, target, model)`` of a judge spec, without building anything (recipes are checked with it).

    >>> parse_judge_spec("openai:http://127.0.0.1:8000/v1")
    ('openai', 'http://127.0.0.1:8000/v1', 'gpt-4o-mini')
    >>> parse_judge_spec("lama-guard:/models/lg3")
    Traceback (most recent call last):
    ...
    safealign.judges.JudgeSpecError: unknown judge spec 'lama-guard:/models/lg3'; valid forms: default, llama-guard:PATH, openai:URL[#MODEL]
    """
    spec = spec.strip()
    if spec == "default":
        return "default", "", ""
    kind, _, rest = spec.partition(":")
    if kind == "llama-guard" and rest:
        return kind, rest, ""
    if kind == "openai" and rest:
        url, _, model = rest.partition("#")
        if not url.startswith(("http://", "https://")):
            raise JudgeSpecError(f"judge spec {spec!r}: the URL must start with http:// or https:// "
                                 "(e.g. openai:http://127.0.0.1:8000/v1#my-model)")
        return kind, url, model or DEFAULT_RUBRIC_MODEL
    raise JudgeSpecError(f"unknown judge spec {spec!r}; valid forms: {', '.join(JUDGE_SPECS)}")


def build_judges(spec: str = "default") -> JudgeSet:
    """Build the judge pair named by ``spec`` (see the module docstring); the refusal judge is always ours."""
    kind, target, model = parse_judge_spec(spec)
    refusal = RefusalJudge()
    if kind == "llama-guard":
        return JudgeSet(refusal, LlamaGuardJudge(target), spec.strip())
    if kind == "openai":
        return JudgeSet(refusal, OpenAIRubricJudge(target, model), spec.strip())
    return JudgeSet(refusal, HarmJudge(refusal), "default")


__all__ = [
    "COMPLIANCE",
    "EVASIVE",
    "HARMFUL",
    "HAZARD_CATEGORIES",
    "PARTIAL_REFUSAL",
    "REFUSAL",
    "SAFE",
    "HarmJudge",
    "Judge",
    "JudgeSet",
    "JudgeSpecError",
    "LlamaGuardJudge",
    "OpenAIRubricJudge",
    "RefusalJudge",
    "Verdict",
    "build_judges",
    "parse_judge_spec",
]
